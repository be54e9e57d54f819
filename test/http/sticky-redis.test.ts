import { runExperiment } from '../helpers/experiments';
import { Writable } from 'node:stream';
import pino from 'pino';
import { assign, compile } from '../../src/assignment';
import { toAssignable } from '../../src/serving/registry';
import { startServer, type RunningServer } from '../../src/http/server';
import { experimentBody } from '../helpers/fixtures';
import { bearer, contractFetch, createTestDatabase, dropRedisPrefix, startWorld, testConfig, useWorld, type World } from '../helpers/world';

/**
 * Stickiness when Redis and the database part ways: Redis loses its data while the database
 * keeps its record (b), and a fresh database is put behind a Redis that still holds another
 * database's marks (c). Needs PostgreSQL and Redis (several instances, one Redis).
 */
const withRedis = process.env.DATABASE_URL && process.env.REDIS_URL ? describe : describe.skip;

type Answer = { variant: string; reason: string };
const units = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

withRedis('Redis wiped, two instances', () => {
  const world = useWorld();
  let other: RunningServer;
  beforeAll(async () => {
    other = await world.another();
  });

  test('after coverage is lowered every exposed unit keeps its variant on every instance: 0 disagreements', async () => {
    const admin = bearer(world.adminKey);
    const body = { key: await runExperiment(world, { segments: [] }) };
    const ids = units(300, 'wiped');
    const recorded = new Map<string, string>();
    for (const unitId of ids) {
      const res = await world.api.post('/v1/assign').set(admin).send({ unitId, experiments: [body.key] }).expect(200);
      recorded.set(unitId, res.body.assignments[0].variant);
    }
    await world.rt.exposures.flush();

    // Redis restarts without persistence: everything under this deployment's prefix is gone.
    await dropRedisPrefix(process.env.REDIS_URL!, world.rt.config.redisPrefix);
    await world.api.patch(`/v1/experiments/${body.key}`).set(admin).send({ coverage: 0.3 }).expect(200);
    const otherRt = await other.ready;
    for (let i = 0; otherRt.registry.get(body.key)?.row.coverage !== 0.3; i++) {
      if (i > 100) throw new Error('the other instance never saw the change');
      await new Promise((r) => setTimeout(r, 50));
    }

    const check = async (unitIds: string[]) => {
      const disagreements: string[] = [];
      const late: string[] = [];
      for (const unitId of unitIds) {
        const onThis = (await world.api.post('/v1/assign').set(admin).send({ unitId, experiments: [body.key] }).expect(200)).body.assignments[0] as Answer;
        const res = await contractFetch(`${other.url}/v1/assign`, { method: 'POST', headers: { ...admin, 'Content-Type': 'application/json' }, body: JSON.stringify({ unitId, experiments: [body.key] }) });
        const onOther = ((await res.json()) as { assignments: Answer[] }).assignments[0];
        for (const [where, a] of [['this', onThis], ['other', onOther]] as const) {
          if (a.reason !== 'bucketed' || a.variant !== recorded.get(unitId)) {
            disagreements.push(`${unitId} on ${where}: ${recorded.get(unitId)} -> ${a.variant} (${a.reason})`);
            late.push(unitId);
          }
        }
      }
      return { disagreements, late: [...new Set(late)] };
    };
    const first = await check(ids);
    // A record lookup that misses its deadline (a loaded machine: CI runs two backends' suites on
    // 2 cores) answers by hashing for the next 2 s, as documented for a slow database
    // (docs/outages.md): those units are asked again once lookups are back, and must then agree.
    const again = first.late.length > 0 ? (await new Promise((r) => setTimeout(r, 2_500)), await check(first.late)) : first;
    expect(again.disagreements).toEqual([]);
  });
});

withRedis('a fresh database behind the same Redis and prefix', () => {
  let world: World;
  let fresh: RunningServer | undefined;
  let freshDb: { url: string; drop(): Promise<void> } | undefined;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await fresh?.close();
    await freshDb?.drop();
    await world.close();
  });

  test("a new experiment inherits nothing: all of its tracked assigns are recorded, each by its own hashing; the start logs the other database's data", async () => {
    const admin = bearer(world.adminKey);
    const old = { key: await runExperiment(world, { segments: [], salt: 'the-old-salt' }) };
    const ids = units(300, 'reset');
    for (const unitId of ids) await world.api.post('/v1/assign').set(admin).send({ unitId, experiments: [old.key] }).expect(200);
    await world.rt.exposures.flush();

    // The database is reset (or replaced) while Redis keeps its data: same Redis, same prefix.
    freshDb = await createTestDatabase(process.env.DATABASE_URL!);
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) }));
    fresh = await startServer(testConfig({ databaseUrl: freshDb.url, redisUrl: process.env.REDIS_URL, redisPrefix: world.rt.config.redisPrefix }), logger);
    const rt = await fresh.ready;
    expect(lines.join('')).toMatch(/another database/);

    const body = experimentBody({ respectsHoldout: false, segments: [], salt: 'the-new-salt' });
    const api = (path: string, payload: unknown) =>
      contractFetch(`${fresh!.url}${path}`, { method: 'POST', headers: { ...admin, 'Content-Type': 'application/json' }, body: JSON.stringify(payload) });
    expect((await api('/v1/experiments', body)).status).toBe(201);
    expect((await api(`/v1/experiments/${body.key}/start`, {})).status).toBe(200);
    const row = rt.registry.get(body.key)!.row;
    expect(row.id).toBe(world.rt.registry.get(old.key)!.row.id); // the same serial id as the old experiment

    const compiled = compile(toAssignable(row));
    const inherited: string[] = [];
    for (const unitId of ids) {
      const a = ((await (await api('/v1/assign', { unitId, experiments: [body.key] })).json()) as { assignments: Answer[] }).assignments[0];
      const expected = assign({ unitId }, compiled);
      if (a.variant !== expected.variant) inherited.push(`${unitId}: ${a.variant}, its own hashing gives ${expected.variant}`);
    }
    expect(inherited).toEqual([]);
    await rt.exposures.flush();
    const { rows } = await rt.db.query<{ n: number }>('SELECT count(*)::int AS n FROM exposures WHERE experiment_id = $1', [row.id]);
    expect(rows[0].n).toBe(ids.length);
  });
});
