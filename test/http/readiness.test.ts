import { runExperiment } from '../helpers/experiments';
import { backend, bearer, startWorld, type World } from '../helpers/world';
import { startProxy, type Proxy } from '../helpers/proxy';
import { experimentBody } from '../helpers/fixtures';

/**
 * Outages of the servers behind Verdict (Postgres, Redis): /readyz says which is down and
 * requests that need the database answer 503 with Retry-After, never a 500. The embedded
 * backend runs in this process and cannot be down on its own, so this runs on Postgres.
 */
const onServers = backend === 'postgres' ? describe : describe.skip;

onServers('when a dependency goes down', () => {
  let world: World;
  let pgProxy: Proxy;
  let redisProxy: Proxy | undefined;
  beforeAll(async () => {
    const pg = new URL(process.env.DATABASE_URL!);
    pgProxy = await startProxy(pg.hostname, Number(pg.port || 5432));
    if (process.env.REDIS_URL) {
      const r = new URL(process.env.REDIS_URL);
      redisProxy = await startProxy(r.hostname, Number(r.port || 6379));
    }
    world = await startWorld({}, { databaseProxy: pgProxy, redisProxy });
  });
  afterAll(async () => {
    await world.close();
    await pgProxy.close();
    await redisProxy?.close();
  });

  test('database down: /readyz is 503 naming it, API calls are 503 with Retry-After; back up: all well', async () => {
    pgProxy.cut();
    const ready = await world.api.get('/readyz').expect(503);
    expect(ready.body.checks.database.ok).toBe(false);
    expect(ready.headers['retry-after']).toBeDefined();
    const res = await world.api.post('/v1/experiments').set(bearer(world.adminKey)).send(experimentBody());
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.body.detail).toMatch(/database is unavailable/);
    pgProxy.restore();
    await world.api.get('/readyz').expect(200);
    await world.api.post('/v1/experiments').set(bearer(world.adminKey)).send(experimentBody()).expect(201);
  });

  test('events while the database is down: 503 with Retry-After and nothing stored; the retry is accepted', async () => {
    const events = Array.from({ length: 50 }, (_, i) => ({ type: 'conversion', eventId: `down-${i}`, unitId: `u-${i}`, event: 'purchase' }));
    pgProxy.cut();
    const down = await world.api.post('/v1/events').set(bearer(world.adminKey)).send({ events });
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBeDefined();
    pgProxy.restore();
    const retry = await world.api.post('/v1/events').set(bearer(world.adminKey)).send({ events }).expect(200);
    expect(retry.body).toEqual({ accepted: 50, duplicates: 0, rejected: [] });
  });
});

const withRedis = backend === 'postgres' && process.env.REDIS_URL ? describe : describe.skip;

withRedis('when Redis goes down', () => {
  let world: World;
  let redisProxy: Proxy;
  beforeAll(async () => {
    const r = new URL(process.env.REDIS_URL!);
    redisProxy = await startProxy(r.hostname, Number(r.port || 6379));
    world = await startWorld({}, { redisProxy });
  });
  afterAll(async () => {
    await world.close();
    await redisProxy.close();
  });

  test('assignment, events and changes go on without Redis; what needs it answers 503 with Retry-After, never 500', async () => {
    const admin = bearer(world.adminKey);
    const body = { key: await runExperiment(world, { segments: [] }) };
    const assignKey = bearer(await world.key('assign'));
    redisProxy.cut();
    try {
      for (const request of [{ unitId: 'cut-1' }, { unitId: 'cut-2', track: false }, { unitId: 'cut-3', experiments: [body.key] }]) {
        const res = await world.api.post('/v1/assign').set(assignKey).send(request).expect(200);
        expect(res.body.assignments.find((a: { experiment: string }) => a.experiment === body.key).reason).toBe('bucketed');
      }
      const events = await world.api.post('/v1/events').set(assignKey).send({
        events: [
          { type: 'exposure', eventId: 'cut-x', unitId: 'cut-4', experiment: body.key },
          { type: 'conversion', eventId: 'cut-c', unitId: 'cut-4', event: 'purchase' },
        ],
      });
      expect([events.status, events.body]).toEqual([200, { accepted: 2, duplicates: 0, rejected: [] }]);
      // Committed changes are answered; the other instances learn of them on their next reload.
      await world.api.patch(`/v1/experiments/${body.key}`).set(admin).send({ coverage: 0.5 }).expect(200);
      const key = await world.api.post('/v1/keys').set(admin).send({ name: 'during the outage', scope: 'read' }).expect(201);
      await world.api.get('/v1/experiments').set(bearer(key.body.secret)).expect(200);
      await world.api.delete(`/v1/keys/${key.body.id}`).set(admin).expect(204);
      await world.api.get('/v1/experiments').set(bearer(key.body.secret)).expect(401);
      // An erasure must clear the unit's marks in Redis: not done until it can, and safe to retry.
      const erased = await world.api.delete('/v1/units/cut-4').set(admin);
      expect(erased.status).toBe(503);
      expect(erased.headers['retry-after']).toMatch(/^\d+$/);
      expect(erased.body.type).toBe('urn:verdict:problem:cache-unavailable');
    } finally {
      redisProxy.restore();
    }
    for (let i = 0; (await world.api.delete('/v1/units/cut-4').set(admin)).status !== 200; i++) {
      if (i > 100) throw new Error('the erasure never succeeded after Redis came back');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  test('/readyz is 503 naming the cache, and ready again once it is back', async () => {
    redisProxy.cut();
    const ready = await world.api.get('/readyz').expect(503);
    expect(ready.body.checks.cache.ok).toBe(false);
    expect(ready.body.checks.database.ok).toBe(true);
    redisProxy.restore();
    for (let i = 0; i < 50; i++) {
      if ((await world.api.get('/readyz')).status === 200) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('never ready again after Redis came back');
  });
});
