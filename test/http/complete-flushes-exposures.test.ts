import { experimentBody } from '../helpers/fixtures';
import { bearer, useWorld } from '../helpers/world';

/**
 * Completing an experiment is a barrier for this instance's first exposures: every exposure
 * assigned before the completion is written before it is answered, so results read right after
 * it count every unit. The demo relies on it (it completes, then reads the summary at once):
 * with PGlite in a worker the recorder's queue could hold thousands of exposures at the end of
 * a run (30,000 customers: 6,035 of 15,035 units of reco-home-picks counted 2.7 s after the
 * last completion, all of them 15 s later), and the printed numbers changed from run to run.
 */
describe('POST /v1/experiments/{key}/complete', () => {
  // A flush interval far beyond the test: only the completion can write the queue.
  const world = useWorld({ exposureFlushMs: 60_000 });
  const admin = () => bearer(world.adminKey);

  it('writes the first exposures still queued before it completes, so the results read after it count them', async () => {
    const body = experimentBody({ respectsHoldout: false });
    await world.api.post('/v1/experiments').set(admin()).send(body).expect(201);
    await world.api.post(`/v1/experiments/${body.key}/start`).set(admin()).expect(200);
    const assign = bearer(await world.key('assign'));
    const units = Array.from({ length: 25 }, (_, i) => `complete-flush-u${i}`);
    for (const unitId of units) await world.api.post('/v1/assign').set(assign).send({ unitId, experiments: [body.key] }).expect(200);
    // A conversion of each unit, acknowledged before the completion (its exposure still queued).
    const timestamp = new Date().toISOString();
    await world.api
      .post('/v1/events')
      .set(assign)
      .send({ events: units.map((unitId, i) => ({ type: 'conversion', eventId: `complete-flush-e${i}`, unitId, event: 'purchase', timestamp })) })
      .expect(200);
    expect(world.rt.exposures.pending()).toBe(units.length);

    await world.api.post(`/v1/experiments/${body.key}/complete`).set(admin()).expect(200);

    expect(world.rt.exposures.pending()).toBe(0);
    const counts = await world.api.get(`/v1/experiments/${body.key}/counts`).set(admin()).expect(200);
    const total = (field: 'units' | 'converters') =>
      counts.body.overall.reduce((n: number, v: { units: number; metrics: Record<string, { converters: number }> }) => n + (field === 'units' ? v.units : (v.metrics.purchase?.converters ?? 0)), 0);
    expect([total('units'), total('converters')]).toEqual([units.length, units.length]);
  });
});
