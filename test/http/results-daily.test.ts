import { assign, compile } from '../../src/assignment';
import type { ExperimentRow } from '../../src/model/experiment';
import { toAssignable } from '../../src/serving/registry';
import { conversion, eid, exposure, send } from '../helpers/events';
import { DAY_MS, runExperiment } from '../helpers/experiments';
import { bearer, useWorld } from '../helpers/world';

/** GET /v1/experiments/{key}/results/daily: the cumulative results per UTC day of first exposure. */
const world = useWorld();

/** `n` unit ids that the documented assignment puts in `variant`. */
async function unitsIn(key: string, variant: string, n: number, prefix: string): Promise<string[]> {
  const e = (await world.api.get(`/v1/experiments/${key}`).set(bearer(world.adminKey)).expect(200)).body as ExperimentRow;
  const compiled = compile({ ...toAssignable(e), status: 'running' });
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) if (assign({ unitId: `${prefix}-${i}` }, compiled).variant === variant) out.push(`${prefix}-${i}`);
  return out;
}

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

test('one entry per day, cumulative units and converters, the last day equal to /results', async () => {
  const key = await runExperiment(world, { segments: ['device'] }, { days: 5 });
  const now = Date.now();
  // Day -3: 100 units per arm (10 vs 20 convert); day -1: 100 more per arm (10 vs 30); none on day -2.
  const plan = [
    { ago: 3, control: 10, personalized: 20 },
    { ago: 1, control: 10, personalized: 30 },
  ];
  const events: unknown[] = [];
  for (const [i, day] of plan.entries()) {
    const t = now - day.ago * DAY_MS;
    for (const variant of ['control', 'personalized'] as const) {
      const units = await unitsIn(key, variant, 100, `${key}-d${i}-${variant}`);
      units.forEach((u, j) => {
        events.push(exposure(u, key, new Date(t).toISOString(), { attributes: { device: j % 2 ? 'mobile' : 'desktop' } }, eid('dx')));
        if (j < day[variant]) events.push(conversion(u, 'purchase', new Date(t + 60_000).toISOString(), undefined, eid('dc')));
      });
    }
  }
  const res = await send(world, events);
  expect(res.body.rejected).toEqual([]);

  const read = bearer(await world.key('read'));
  const daily = (await world.api.get(`/v1/experiments/${key}/results/daily`).set(read).expect(200)).body;
  expect(daily).toMatchObject({ experiment: key, metric: 'purchase', analysis: 'sequential', alpha: 0.05 });
  expect(daily.days.map((d: { date: string }) => d.date)).toEqual([utcDay(now - 3 * DAY_MS), utcDay(now - 2 * DAY_MS), utcDay(now - DAY_MS)]);
  expect(daily.days.map((d: { units: number }) => d.units)).toEqual([200, 200, 400]);
  const converters = (d: { variants: { variant: string; converters: number }[] }) => d.variants.map((v) => [v.variant, v.converters]);
  expect(converters(daily.days[0])).toEqual([['control', 10], ['personalized', 20]]);
  expect(daily.days[1]).toEqual({ ...daily.days[0], date: utcDay(now - 2 * DAY_MS) });
  expect(converters(daily.days[2])).toEqual([['control', 20], ['personalized', 50]]);
  expect(daily.days[0].comparisons[0].relative.estimate).toBeCloseTo(1, 12); // 0.20 / 0.10 - 1
  expect(daily.days[2].comparisons[0].relative.estimate).toBeCloseTo(1.5, 12); // 0.25 / 0.10 - 1

  const results = (await world.api.get(`/v1/experiments/${key}/results?metric=purchase`).set(read).expect(200)).body;
  const overall = results.metrics[0].overall;
  expect(daily.days[2].variants).toEqual(overall.variants);
  expect(daily.days[2].comparisons).toEqual(overall.comparisons);

  // Another metric by name: revenue (no conversion carries a value, so every sum is 0).
  const revenue = (await world.api.get(`/v1/experiments/${key}/results/daily?metric=revenue`).set(read).expect(200)).body;
  expect(revenue.metric).toBe('revenue');
  expect(revenue.days).toHaveLength(3);
});

test('no exposure yet: no days; a metric it does not have, 400 naming it; an unknown experiment, 404; no key, 401', async () => {
  const key = await runExperiment(world, { segments: [] });
  const read = bearer(await world.key('read'));
  expect((await world.api.get(`/v1/experiments/${key}/results/daily`).set(read).expect(200)).body.days).toEqual([]);
  const bad = await world.api.get(`/v1/experiments/${key}/results/daily?metric=nope`).set(read).expect(400);
  expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'query.metric' })]);
  await world.api.get('/v1/experiments/no-such-experiment/results/daily').set(read).expect(404);
  await world.api.get(`/v1/experiments/${key}/results/daily`).expect(401);
});
