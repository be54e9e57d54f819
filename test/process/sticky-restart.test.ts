import { experimentBody } from '../helpers/fixtures';
import { PROCESS_ADMIN_KEY, freePort, processStorage, spawnServer, type ServerProcess } from '../helpers/process';
import { contractFetch } from '../helpers/world';

/**
 * Stickiness across a restart: an experiment paused while the server starts, then resumed
 * and narrowed (coverage lowered), keeps every exposed unit in its recorded variant. On the
 * in-process cache the marks are rebuilt from the database at start; a paused experiment's
 * must be too, and a narrowed experiment falls back to the database's record anyway.
 */
jest.setTimeout(300_000);

const H = { Authorization: `Bearer ${PROCESS_ADMIN_KEY}`, 'Content-Type': 'application/json' };

test('paused at start, resumed, coverage lowered: every exposed unit keeps its variant', async () => {
  const storage = await processStorage();
  const port = await freePort();
  let server: ServerProcess = await spawnServer(storage.env, port);
  try {
    const call = (method: string, path: string, body?: unknown) =>
      contractFetch(`${server.url}${path}`, { method, headers: H, body: body === undefined ? undefined : JSON.stringify(body) });
    const body = experimentBody({ respectsHoldout: false, segments: [] });
    expect((await call('POST', '/v1/experiments', body)).status).toBe(201);
    expect((await call('POST', `/v1/experiments/${body.key}/start`)).status).toBe(200);
    const units = Array.from({ length: 200 }, (_, i) => `sticky-${i}`);
    const recorded = new Map<string, string>();
    for (const unitId of units) {
      const res = await call('POST', '/v1/assign', { unitId, experiments: [body.key] });
      recorded.set(unitId, ((await res.json()) as { assignments: { variant: string }[] }).assignments[0].variant);
    }
    expect((await call('POST', `/v1/experiments/${body.key}/pause`)).status).toBe(200);
    expect(await server.stop()).toBe(0); // a clean stop writes every queued exposure

    server = await spawnServer(storage.env, port);
    expect((await call('POST', `/v1/experiments/${body.key}/resume`)).status).toBe(200);
    expect((await call('PATCH', `/v1/experiments/${body.key}`, { coverage: 0.2 })).status).toBe(200);
    const moved: string[] = [];
    for (const unitId of units) {
      const res = await call('POST', '/v1/assign', { unitId, experiments: [body.key] });
      const a = ((await res.json()) as { assignments: { variant: string; reason: string }[] }).assignments[0];
      if (a.reason !== 'bucketed' || a.variant !== recorded.get(unitId)) moved.push(`${unitId}: ${recorded.get(unitId)} -> ${a.variant} (${a.reason})`);
    }
    expect(moved).toEqual([]);
  } finally {
    await server.stop();
    await storage.cleanup();
  }
});
