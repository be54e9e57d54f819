import { experimentBody } from '../helpers/fixtures';
import { bearer, useWorld } from '../helpers/world';

/** The demo clock (VERDICT_DEMO_CLOCK): simulated weeks in seconds, and absent unless switched on. */
const DAY = 86_400_000;

describe('with VERDICT_DEMO_CLOCK=1', () => {
  const world = useWorld({ demoClock: true });
  const admin = () => bearer(world.adminKey);

  it('reads the system time until set, then ticks on from the time set', async () => {
    const before = await world.api.get('/v1/demo/clock').set(admin()).expect(200);
    expect(Math.abs(Date.parse(before.body.now) - Date.now())).toBeLessThan(60_000);
    const at = '2026-03-02T08:00:00.000Z';
    const set = await world.api.put('/v1/demo/clock').set(admin()).send({ now: at }).expect(200);
    expect(Date.parse(set.body.now) - Date.parse(at)).toBeGreaterThanOrEqual(0);
    expect(Date.parse(set.body.now) - Date.parse(at)).toBeLessThan(60_000);
    expect(set.body.offsetMs).toBeLessThan(-DAY);
  });

  it('stamps the lifecycle, exposures and events with it, and days running follows it', async () => {
    const start = Date.parse('2026-04-01T00:00:00.000Z');
    await world.api.put('/v1/demo/clock').set(admin()).send({ now: new Date(start).toISOString() }).expect(200);
    const body = experimentBody({ respectsHoldout: false });
    await world.api.post('/v1/experiments').set(admin()).send(body).expect(201);
    const started = await world.api.post(`/v1/experiments/${body.key}/start`).set(admin()).expect(200);
    expect(Date.parse(started.body.startedAt) - start).toBeLessThan(60_000);
    expect(Date.parse(started.body.startedAt)).toBeGreaterThanOrEqual(start);

    const assign = bearer(await world.key('assign'));
    await world.api.post('/v1/assign').set(assign).send({ unitId: 'clock-u1', experiments: [body.key] }).expect(200);

    // Ten simulated days later: an event stamped nine days after the start is recent for the
    // clock (months old for the system clock, which would refuse it as more than 7 days old).
    await world.api.put('/v1/demo/clock').set(admin()).send({ now: new Date(start + 10 * DAY).toISOString() }).expect(200);
    const timestamp = new Date(start + 9 * DAY).toISOString();
    const ingest = await world.api
      .post('/v1/events')
      .set(assign)
      .send({ events: [{ type: 'conversion', eventId: 'clock-e1', unitId: 'clock-u1', event: 'purchase', timestamp }] })
      .expect(200);
    expect(ingest.body).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const tooOld = await world.api
      .post('/v1/events')
      .set(assign)
      .send({ events: [{ type: 'conversion', eventId: 'clock-e2', unitId: 'clock-u1', event: 'purchase', timestamp: new Date(start).toISOString() }] })
      .expect(200);
    expect(tooOld.body.rejected).toEqual([expect.objectContaining({ index: 0, reason: 'timestamp is more than 7 days old' })]);

    await world.rt.exposures.flush();
    const decision = await world.api.get(`/v1/experiments/${body.key}/decision`).set(admin()).expect(200);
    expect(decision.body.daysRunning).toBeGreaterThanOrEqual(10);
    expect(decision.body.daysRunning).toBeLessThan(10.1);
    expect(Date.parse(decision.body.checkedAt) - (start + 10 * DAY)).toBeLessThan(60_000);
    const counts = await world.api.get(`/v1/experiments/${body.key}/counts`).set(admin()).expect(200);
    const units = counts.body.overall.reduce((n: number, v: { units: number }) => n + v.units, 0);
    const converters = counts.body.overall.reduce((n: number, v: { metrics: Record<string, { converters: number }> }) => n + (v.metrics.purchase?.converters ?? 0), 0);
    expect([units, converters]).toEqual([1, 1]);
  });

  it('is set by admins only, to a date-time', async () => {
    const read = bearer(await world.key('read'));
    await world.api.get('/v1/demo/clock').set(read).expect(403);
    await world.api.put('/v1/demo/clock').set(read).send({ now: '2026-01-01T00:00:00Z' }).expect(403);
    const bad = await world.api.put('/v1/demo/clock').set(admin()).send({ now: 'yesterday' }).expect(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: '/now' })]);
  });
});

describe('without it (the default)', () => {
  const world = useWorld();

  it('has no demo clock: the path answers 404, and setting it changes nothing', async () => {
    const admin = bearer(world.adminKey);
    const get = await world.api.get('/v1/demo/clock').set(admin).expect(404);
    expect(get.body.detail).toMatch(/VERDICT_DEMO_CLOCK=1/);
    await world.api.put('/v1/demo/clock').set(admin).send({ now: '2020-01-01T00:00:00Z' }).expect(404);
    expect(Math.abs(world.rt.clock.now().getTime() - Date.now())).toBeLessThan(1000);
  });
});
