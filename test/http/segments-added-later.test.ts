import { runExperiment } from '../helpers/experiments';
import { conversion, counts, exposure, send } from '../helpers/events';
import { bearer, useWorld } from '../helpers/world';

/**
 * A segment attribute added to a running experiment breaks down the units exposed before it
 * was added, from the attributes stored with their first exposure (POST /v1/assign's queue and
 * POST /v1/events alike); units that never sent it are "not sent". What is stored is bounded
 * (model/attributes.ts, unit-tested in test/model/attributes.test.ts).
 */
const world = useWorld();
let admin: Record<string, string>;
let assignKey: Record<string, string>;
beforeAll(async () => {
  admin = bearer(world.adminKey);
  assignKey = bearer(await world.key('assign'));
});

const assign = (unitId: string, key: string, attributes: Record<string, unknown>) =>
  world.api.post('/v1/assign').set(assignKey).send({ unitId, experiments: [key], attributes }).expect(200);

/** Units per value of `attribute`, summed over the arms; and purchase converters per value. */
async function byValue(key: string, attribute: string) {
  const c = await counts(world, key);
  const rows = c.body.segments.filter((s) => s.attribute === attribute);
  const units = Object.fromEntries(rows.map((s) => [String(s.value), s.variants.reduce((a, v) => a + v.units, 0)]));
  const converters = Object.fromEntries(rows.map((s) => [String(s.value), s.variants.reduce((a, v) => a + v.metrics.purchase.converters, 0)]));
  return { units, converters };
}

test('adding lifecycle later breaks down the units exposed before, by what they sent; units that never sent it are not sent', async () => {
  const key = await runExperiment(world, { segments: ['device'], analysis: 'fixed' }, { days: 1 });
  const now = Date.now();
  // Through /v1/assign (queued, written in batches) ...
  await assign('early-a1', key, { device: 'mobile', lifecycle: 'returning' });
  await assign('early-a2', key, { device: 'mobile', lifecycle: 'new' });
  await assign('early-a3', key, { device: 'desktop' });
  await world.rt.exposures.flush();
  // ... and through /v1/events, with conversions.
  const at = new Date(now - 1000).toISOString();
  const res = await send(world, [
    exposure('early-e1', key, at, { attributes: { lifecycle: 'returning', device: 'desktop' } }),
    exposure('early-e2', key, at, { attributes: { lifecycle: 'new' } }),
    conversion('early-e1', 'purchase', new Date().toISOString()),
    conversion('early-a1', 'purchase', new Date().toISOString()),
  ]);
  expect(res.body.rejected).toEqual([]);
  expect((await byValue(key, 'lifecycle')).units).toEqual({});

  const patched = await world.api.patch(`/v1/experiments/${key}`).set(admin).send({ segments: ['device', 'lifecycle'] }).expect(200);
  expect(patched.body.segments).toEqual(['device', 'lifecycle']);
  const later = await byValue(key, 'lifecycle');
  expect(later.units).toEqual({ returning: 2, new: 2, null: 1 });
  expect(later.converters).toEqual({ returning: 2, new: 0, null: 0 });
  // The breakdown already there is unchanged.
  expect((await byValue(key, 'device')).units).toEqual({ mobile: 2, desktop: 2, null: 1 });

  // Exposed after the change: broken down as well, by either path.
  await assign('late-a1', key, { lifecycle: 'new' });
  await world.rt.exposures.flush();
  await send(world, [exposure('late-e1', key, new Date().toISOString(), { attributes: { lifecycle: 'vip' } })]);
  expect((await byValue(key, 'lifecycle')).units).toEqual({ returning: 2, new: 3, vip: 1, null: 1 });

  // Dropped and added back: still known.
  await world.api.patch(`/v1/experiments/${key}`).set(admin).send({ segments: ['device'] }).expect(200);
  await world.api.patch(`/v1/experiments/${key}`).set(admin).send({ segments: ['lifecycle'] }).expect(200);
  expect((await byValue(key, 'lifecycle')).units).toEqual({ returning: 2, new: 3, vip: 1, null: 1 });
  const results = (await world.api.get(`/v1/experiments/${key}/results`).set(admin).expect(200)).body;
  expect(results.metrics[0].forWhom.map((f: { attribute: string }) => f.attribute)).toEqual(['lifecycle']);
});

test('stored attributes are bounded: beyond 20 others, or a value over 64 characters, a segment added later sees the unit as not sent', async () => {
  const key = await runExperiment(world, { segments: [], analysis: 'fixed' });
  const many = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`k${i}`, `v${i}`]));
  await assign('bounded-1', key, { long: 'x'.repeat(65), ...many });
  await world.rt.exposures.flush();
  const { rows } = await world.rt.db.query<{ attributes: Record<string, unknown> }>(
    'SELECT x.attributes FROM exposures x JOIN experiments e ON e.id = x.experiment_id WHERE e.key = $1',
    [key],
  );
  expect(Object.keys(rows[0].attributes).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`).sort());
  await world.api.patch(`/v1/experiments/${key}`).set(admin).send({ segments: ['k19', 'k20', 'long'] }).expect(200);
  expect((await byValue(key, 'k19')).units).toEqual({ v19: 1 });
  expect((await byValue(key, 'k20')).units).toEqual({ null: 1 });
  expect((await byValue(key, 'long')).units).toEqual({ null: 1 });
});
