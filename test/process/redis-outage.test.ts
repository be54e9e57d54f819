import Redis from 'ioredis';
import { experimentBody } from '../helpers/fixtures';
import { steadyLoad } from '../helpers/load';
import { havePrivateRedis, startPrivateRedis, type PrivateServer } from '../helpers/private-servers';
import { PROCESS_ADMIN_KEY, spawnServer, type ServerProcess } from '../helpers/process';
import { contractFetch, createTestDatabase } from '../helpers/world';

/**
 * A Redis outage must not stop assignment. Two instances share a private Redis, which this
 * test kills with SIGKILL under steady /v1/assign load on both: every assign (returning
 * units, new tracked units, untracked peeks, forced QA units) is answered 2xx, none hangs,
 * and /v1/events still answers 200. Redis then comes back empty on the same port, and
 * without restarting anything the instances write the exposure marks they could not write,
 * and a change on one instance reaches the other through pub/sub again. Runs once per CI,
 * in the servers run (DATABASE_URL set), where Redis is installed.
 */
jest.setTimeout(300_000);

const onServers = process.env.DATABASE_URL && havePrivateRedis() ? describe : describe.skip;
const OUTAGE_MS = 10_000;
const H = { Authorization: `Bearer ${PROCESS_ADMIN_KEY}`, 'Content-Type': 'application/json' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(what: string, ok: () => Promise<boolean>, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!(await ok().catch(() => false))) {
    if (Date.now() > end) throw new Error(`${what} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

onServers('Redis killed under assign load', () => {
  let redis: PrivateServer;
  let database: { url: string; drop(): Promise<void> };
  let a: ServerProcess;
  let b: ServerProcess;
  let client: Redis;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    database = await createTestDatabase(process.env.DATABASE_URL!);
    const env = { DATABASE_URL: database.url, REDIS_URL: redis.url, REDIS_PREFIX: 'verdict:' };
    a = await spawnServer(env);
    b = await spawnServer(env);
    client = new Redis(redis.url, { maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
  });
  afterAll(async () => {
    client?.disconnect();
    await a?.stop();
    await b?.stop();
    await redis?.close();
    await database?.drop();
  });

  const marksOf = async (units: readonly string[]) => {
    let n = 0;
    for (const unit of units) n += (await client.keys(`*:x:{${unit}}:*`)).length; // marks: x:{unit}:experiment
    return n;
  };

  test('0 non-2xx answers while it is down; marks and pub/sub work again once it is back, without a restart', async () => {
    // Bounded: a hang guard, not a speed check.
    const post = (url: string, path: string, body: unknown, headers = H) => contractFetch(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
    const body = experimentBody({ respectsHoldout: false, segments: [], overrides: { 'qa-1': 'personalized' } });
    expect((await post(a.url, '/v1/experiments', body)).status).toBe(201);
    expect((await post(a.url, `/v1/experiments/${body.key}/start`, {})).status).toBe(200);
    const assignKey = ((await (await post(a.url, '/v1/keys', { name: 'storefront', scope: 'assign' })).json()) as { secret: string }).secret;
    const AK = { Authorization: `Bearer ${assignKey}`, 'Content-Type': 'application/json' };

    const recorded = new Map<string, string>();
    for (let i = 0; i < 100; i++) {
      const res = await post(a.url, '/v1/assign', { unitId: `exposed-${i}`, experiments: [body.key] }, AK);
      recorded.set(`exposed-${i}`, ((await res.json()) as { assignments: { variant: string }[] }).assignments[0].variant);
    }
    const exposed = [...recorded.keys()];
    await eventually('the exposure marks were not written', async () => (await marksOf(exposed)) === exposed.length);
    // Both instances know the assign key before the outage (it is in the database either way).
    for (const s of [a, b]) expect((await post(s.url, '/v1/assign', { unitId: 'warm', track: false }, AK)).status).toBe(200);

    const newDuringOutage: string[] = [];
    const variantOf = (b: unknown) => (b as { assignments: { variant: string; reason: string }[] }).assignments[0];
    const load = steadyLoad(
      () => (Math.random() < 0.5 ? a.url : b.url),
      assignKey,
      (i) => {
        const kind = i % 4;
        if (kind === 0) {
          const unitId = exposed[(i / 4) % exposed.length];
          return { path: '/v1/assign', body: { unitId, experiments: [body.key] }, check: (r) => expect(variantOf(r).variant).toBe(recorded.get(unitId)) };
        }
        if (kind === 1) return { path: '/v1/assign', body: { unitId: 'qa-1', experiments: [body.key] }, check: (r) => expect(variantOf(r)).toMatchObject({ variant: 'personalized', reason: 'forced' }) };
        const unitId = `new-${i}`;
        if (kind === 2 && load.phase === 'outage') newDuringOutage.push(unitId);
        return { path: '/v1/assign', body: { unitId, experiments: [body.key], track: kind === 2 } };
      },
      { workers: 2, pauseMs: 5 },
    );
    await sleep(2000);

    await redis.kill();
    load.phase = 'outage';
    await sleep(1000);
    // Events are committed to the database and answered 200; marking them waits for Redis.
    const events = await post(a.url, '/v1/events', {
      events: [
        { type: 'exposure', eventId: 'exposure-during-outage', unitId: 'event-unit', experiment: body.key },
        { type: 'conversion', eventId: 'order-during-outage', unitId: exposed[0], event: 'purchase' },
      ],
    }, AK);
    expect([events.status, await events.json()]).toEqual([200, { accepted: 2, duplicates: 0, rejected: [] }]);
    await sleep(OUTAGE_MS - 1000);

    await redis.start();
    load.phase = 'after';
    // Marks that could not be written are written once Redis is back (it came back empty).
    const outageUnits = [...newDuringOutage.slice(0, 200), 'event-unit'];
    await eventually('the marks queued during the outage were not written', async () => (await marksOf(outageUnits)) === outageUnits.length);
    await load.stop();

    const outage = load.stats.get('outage')!;
    console.info(`Redis killed ${OUTAGE_MS / 1000} s: ${load.answered('outage')} assigns, statuses ${JSON.stringify(outage.statuses)}, ${outage.failures} failures`);
    expect(load.answered('outage')).toBeGreaterThan(100);
    expect({ before: load.bad('before'), outage: load.bad('outage'), after: load.bad('after'), examples: outage.examples }).toEqual({ before: 0, outage: 0, after: 0, examples: [] });

    // Pub/sub again: once both instances have resubscribed, a change on one reaches the other.
    await eventually('the instances did not subscribe again', async () => {
      const channels = (await client.pubsub('CHANNELS', '*experiments:changed')) as string[];
      if (channels.length !== 1) return false;
      const [, n] = (await client.pubsub('NUMSUB', channels[0])) as [string, number];
      return n >= 2;
    });
    const patched = await contractFetch(`${a.url}/v1/experiments/${body.key}`, { method: 'PATCH', headers: H, body: JSON.stringify({ overrides: { 'qa-1': 'personalized', 'qa-2': 'personalized' } }) });
    expect(patched.status).toBe(200);
    await eventually('the change did not reach the other instance', async () => {
      const res = await post(b.url, '/v1/assign', { unitId: 'qa-2', experiments: [body.key], track: false }, AK);
      return variantOf(await res.json()).reason === 'forced';
    }, 5000);
  });
});
