import { experimentBody } from '../helpers/fixtures';
import { PROCESS_ADMIN_KEY, freePort, processStorage, spawnServer, withDatabase, type ServerProcess } from '../helpers/process';
import { contractFetch } from '../helpers/world';

/**
 * Nothing acknowledged is lost, nothing is counted twice: a client sends 20,000 events with
 * retries while the server is killed with SIGKILL (no chance to flush or clean up) and
 * restarted, twice. Afterwards every acknowledged event is stored exactly once, and the
 * per-unit aggregates equal a rebuild from the raw events.
 */
jest.setTimeout(600_000);

const H = { Authorization: `Bearer ${PROCESS_ADMIN_KEY}`, 'Content-Type': 'application/json' };
const EXPERIMENT = 'crash-test';

function makeEvents(total: number) {
  const now = Date.now(); // after the experiment started: exposures may not precede the start
  const events: Record<string, unknown>[] = [];
  const units = 2000;
  for (let u = 0; u < units; u++) events.push({ type: 'exposure', eventId: `x-${u}`, unitId: `unit-${u}`, experiment: EXPERIMENT, timestamp: new Date(now).toISOString() });
  for (let i = 0; events.length < total; i++) {
    const u = (i * 7919) % units;
    events.push({ type: 'conversion', eventId: `c-${i}`, unitId: `unit-${u}`, event: i % 3 === 0 ? 'purchase' : 'revenue', value: (i % 50) + 1, timestamp: new Date(now + (i % 20_000)).toISOString() });
  }
  // Sorted by id: every conversion is sent before its unit's exposure (out of order on purpose).
  return events.sort((a, b) => String(a.eventId).localeCompare(String(b.eventId)));
}

test('20,000 events with retries across two SIGKILLs: every acknowledged event stored exactly once', async () => {
  const storage = await processStorage();
  const port = await freePort();
  let server: ServerProcess = await spawnServer(storage.env, port);
  try {
    const body = experimentBody({ key: EXPERIMENT, respectsHoldout: false, segments: [] });
    const created = await contractFetch(`${server.url}/v1/experiments`, { method: 'POST', headers: H, body: JSON.stringify(body) });
    expect(created.status).toBe(201);
    expect((await contractFetch(`${server.url}/v1/experiments/${EXPERIMENT}/start`, { method: 'POST', headers: H })).status).toBe(200);

    const events = makeEvents(20_000);
    const batches: Record<string, unknown>[][] = [];
    for (let i = 0; i < events.length; i += 200) batches.push(events.slice(i, i + 200));
    const acknowledged = new Set<string>();
    const rejections: unknown[] = [];
    let retries = 0;
    let kills = 0;
    const killAt = [Math.floor(batches.length / 3), Math.floor((2 * batches.length) / 3)];
    let restarting: Promise<void> | null = null;

    const sendWithRetries = async (batch: Record<string, unknown>[]) => {
      for (;;) {
        try {
          const res = await contractFetch(`http://127.0.0.1:${port}/v1/events`, { method: 'POST', headers: H, body: JSON.stringify({ events: batch }), signal: AbortSignal.timeout(10_000) });
          if (res.status === 200) {
            const result = (await res.json()) as { accepted: number; duplicates: number; rejected: unknown[] };
            rejections.push(...result.rejected);
            for (const e of batch) acknowledged.add(String(e.eventId));
            return;
          }
        } catch (err) {
          // connection refused or reset: the server is down; retry
        }
        retries++;
        if (restarting) await restarting;
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    // Four clients send concurrently; the killer strikes in the middle of their traffic.
    let next = 0;
    const client = async () => {
      while (next < batches.length) {
        const i = next++;
        if (killAt.includes(i) && kills < 2) {
          kills++;
          server.child.kill('SIGKILL');
          await server.exited;
          restarting = spawnServer(storage.env, port).then((s) => {
            server = s;
            restarting = null;
          });
        }
        await sendWithRetries(batches[i]);
      }
    };
    await Promise.all([client(), client(), client(), client()]);
    expect(rejections).toEqual([]);
    expect(kills).toBe(2);
    expect(retries).toBeGreaterThan(0);
    expect(acknowledged.size).toBe(events.length);
    expect(await server.stop()).toBe(0);

    await withDatabase(storage.env, async (db) => {
      const { rows } = await db.query<{ n: number; distinct_ids: number }>('SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS distinct_ids FROM events');
      expect(rows[0]).toEqual({ n: events.length, distinct_ids: events.length });
      const ids = await db.query<{ event_id: string }>('SELECT event_id FROM events');
      const stored = new Set(ids.rows.map((r) => r.event_id));
      expect([...acknowledged].filter((id) => !stored.has(id))).toEqual([]);
      const exposures = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM exposures');
      expect(exposures.rows[0].n).toBe(2000);

      // The aggregates kept on ingestion equal a rebuild from the raw events.
      const snapshot = async () =>
        (await db.query<{ unit_id: string; stream: string; count: number; sum: number }>('SELECT unit_id, stream, count, sum FROM unit_metrics ORDER BY unit_id, stream')).rows;
      const kept = await snapshot();
      const { rebuildExperiment, lockAggregates } = await import('../../src/store/aggregate-store');
      await db.transaction(async (tx) => {
        await lockAggregates(tx, 'exclusive');
        const { rows: exp } = await tx.query<{ id: number }>('SELECT id FROM experiments WHERE key = $1', [EXPERIMENT]);
        await rebuildExperiment(tx, exp[0].id);
      });
      const rebuilt = await snapshot();
      expect(kept.length).toBeGreaterThan(1000);
      expect(kept).toEqual(rebuilt);
    });
  } finally {
    await server.stop();
    await storage.cleanup();
  }
});
