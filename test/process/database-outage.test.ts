import { Client } from 'pg';
import { experimentBody } from '../helpers/fixtures';
import { steadyLoad } from '../helpers/load';
import { havePrivatePostgres, startPrivatePostgres, type PrivateServer } from '../helpers/private-servers';
import { PROCESS_ADMIN_KEY, spawnServer, type ServerProcess } from '../helpers/process';
import { contractFetch, dropRedisPrefix, redisPrefix } from '../helpers/world';

/**
 * A PostgreSQL outage must not stop assignment. The server runs on a private PostgreSQL
 * that this test stops for 60 s (pg_ctl stop) under steady /v1/assign load: every assign
 * answers 200 from what the instance holds (keys, experiments, recorded variants), the
 * variants of exposed units stay put, /v1/events answers 503 with Retry-After; once the
 * database is back, events are accepted again and the first exposures queued meanwhile are
 * written. Runs once per CI, in the servers run (DATABASE_URL set): that is where
 * PostgreSQL's binaries are installed, and the embedded backend has no server to lose.
 */
jest.setTimeout(400_000);

const onServers = process.env.DATABASE_URL && havePrivatePostgres() ? describe : describe.skip;
const OUTAGE_MS = 60_000;
const H = { Authorization: `Bearer ${PROCESS_ADMIN_KEY}`, 'Content-Type': 'application/json' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

onServers('PostgreSQL down for 60 s under assign load', () => {
  let pg: PrivateServer;
  let server: ServerProcess;
  let prefix: string | undefined;
  beforeAll(async () => {
    pg = await startPrivatePostgres();
    const env: NodeJS.ProcessEnv = { DATABASE_URL: pg.url, REDIS_URL: '' };
    if (process.env.REDIS_URL) {
      prefix = redisPrefix();
      Object.assign(env, { REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: prefix });
    }
    server = await spawnServer(env);
  });
  afterAll(async () => {
    await server?.stop();
    await pg?.close();
    if (prefix) await dropRedisPrefix(process.env.REDIS_URL!, prefix);
  });

  test('every assign answers 200 and exposed units keep their variant; events 503 with Retry-After, accepted once it is back', async () => {
    const post = (path: string, body?: unknown, headers = H) =>
      contractFetch(`${server.url}${path}`, { method: 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const body = experimentBody({ respectsHoldout: false, segments: [] });
    expect((await post('/v1/experiments', body)).status).toBe(201);
    expect((await post(`/v1/experiments/${body.key}/start`)).status).toBe(200);
    // A key from the database (the env admin key never needs it).
    const created = await post('/v1/keys', { name: 'storefront', scope: 'assign' });
    const assignKey = ((await created.json()) as { secret: string }).secret;
    const AK = { Authorization: `Bearer ${assignKey}`, 'Content-Type': 'application/json' };

    // 200 exposed units, recorded; then coverage is lowered, so most of them are kept only by their record.
    const recorded = new Map<string, string>();
    for (let i = 0; i < 200; i++) {
      const res = await post('/v1/assign', { unitId: `exposed-${i}`, experiments: [body.key] }, AK);
      recorded.set(`exposed-${i}`, ((await res.json()) as { assignments: { variant: string }[] }).assignments[0].variant);
    }
    const exposedCount = async (units: string[]) => {
      const db = new Client({ connectionString: pg.url });
      await db.connect();
      try {
        return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM exposures WHERE unit_id = ANY($1)', [units])).rows[0].n;
      } finally {
        await db.end();
      }
    };
    for (let i = 0; (await exposedCount([...recorded.keys()])) < 200; i++) {
      if (i > 300) throw new Error('the exposures were never written');
      await sleep(100);
    }
    const lowered = await contractFetch(`${server.url}/v1/experiments/${body.key}`, { method: 'PATCH', headers: H, body: JSON.stringify({ coverage: 0.3 }) });
    expect(lowered.status).toBe(200);

    // Steady load: returning exposed units (their variant checked), new tracked units, untracked peeks.
    const exposed = [...recorded.keys()];
    const newDuringOutage: string[] = [];
    const load = steadyLoad(
      () => server.url,
      assignKey,
      (i) => {
        const kind = i % 3;
        if (kind === 0) {
          const unitId = exposed[(i / 3) % exposed.length];
          return {
            path: '/v1/assign',
            body: { unitId, experiments: [body.key] },
            check: (b) => expect((b as { assignments: { variant: string }[] }).assignments[0].variant).toBe(recorded.get(unitId)),
          };
        }
        const unitId = `new-${i}`;
        const tracked = kind === 1;
        if (tracked && load.phase === 'outage') newDuringOutage.push(unitId);
        return { path: '/v1/assign', body: { unitId, experiments: [body.key], track: tracked } };
      },
      { workers: 2, pauseMs: 10 },
    );
    await sleep(2000);

    await pg.stop();
    load.phase = 'outage';
    const started = Date.now();
    const event = (i: number) => ({ events: [{ type: 'conversion', eventId: `order-${i}`, unitId: exposed[i], event: 'purchase' }] });
    await sleep(5000);
    const during = await post('/v1/events', event(1), AK);
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toMatch(/^\d+$/);
    await sleep(OUTAGE_MS - (Date.now() - started));
    const late = await post('/v1/events', event(2), AK);
    expect(late.status).toBe(503);
    expect(late.headers.get('retry-after')).toMatch(/^\d+$/);

    await pg.start();
    load.phase = 'after';
    let accepted = 0;
    for (let i = 0; accepted !== 200; i++) {
      if (i > 300) throw new Error('events were never accepted again');
      accepted = (await post('/v1/events', event(3), AK)).status;
      if (accepted !== 200) await sleep(100);
    }
    await sleep(2000);
    await load.stop();

    const outage = load.stats.get('outage')!;
    console.info(`PostgreSQL stopped ${OUTAGE_MS / 1000} s: ${load.answered('outage')} assigns, statuses ${JSON.stringify(outage.statuses)}, ${outage.failures} failures`);
    expect(load.answered('outage')).toBeGreaterThan(100);
    expect({ before: load.bad('before'), outage: load.bad('outage'), after: load.bad('after'), examples: outage.examples }).toEqual({ before: 0, outage: 0, after: 0, examples: [] });

    // The first exposures queued during the outage are written once the database is back.
    const queued = newDuringOutage.slice(0, 2000);
    expect(queued.length).toBeGreaterThan(10);
    const inCoverage = (await Promise.all(queued.map(async (unitId) => {
      const res = await post('/v1/assign', { unitId, experiments: [body.key], track: false }, AK);
      return ((await res.json()) as { assignments: { reason: string }[] }).assignments[0].reason === 'bucketed' ? unitId : null;
    }))).filter((u): u is string => u !== null);
    for (let i = 0; (await exposedCount(inCoverage)) < inCoverage.length; i++) {
      if (i > 300) throw new Error(`only ${await exposedCount(inCoverage)} of ${inCoverage.length} queued exposures were written`);
      await sleep(100);
    }
  });
});
