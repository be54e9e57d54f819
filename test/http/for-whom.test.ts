import type { ExperimentCreate } from '../../src/model/experiment';
import { parse as parseCsv } from '../helpers/csv';
import { runExperiment } from '../helpers/experiments';
import { segmentedArm, seed } from '../helpers/seed';
import { bearer, useWorld } from '../helpers/world';

/**
 * "For whom does it work?" through HTTP: the results' forWhom blocks (Cochran's Q per segment
 * attribute, the shrunk per-value lifts and their ranking) and the decision's `segments`. The
 * statistics themselves are pinned against metafor in test/stats (meta, shrinkage) and the
 * pipeline on literal counts in test/results/segment-decision.test.ts.
 */
const world = useWorld();
let read: Record<string, string>;
beforeAll(async () => {
  read = bearer(await world.key('read'));
});

const running = (overrides: Partial<ExperimentCreate>) => runExperiment(world, { analysis: 'fixed', metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }], ...overrides });
const get = async (path: string) => (await world.api.get(path).set(read).expect(200)).body;

type G = { attributes: Record<string, string>; units: number; converters: number };
/** Each group split evenly between two devices, with the same rate in both. */
const byDevice = (groups: G[]): G[] =>
  groups.flatMap((g) => [
    { attributes: { ...g.attributes, device: 'mobile' }, units: g.units / 2, converters: g.converters / 2 },
    { attributes: { ...g.attributes, device: 'desktop' }, units: g.units / 2, converters: g.converters / 2 },
  ]);

test('opposite effects by lifecycle: significant Q, ship_to names returning; device (same effect everywhere) is not significant', async () => {
  const key = await running({ segments: ['lifecycle', 'device'] });
  await seed(world, key, {
    control: segmentedArm(byDevice([{ attributes: { lifecycle: 'returning' }, units: 400, converters: 40 }, { attributes: { lifecycle: 'new' }, units: 600, converters: 60 }])),
    personalized: segmentedArm(byDevice([{ attributes: { lifecycle: 'returning' }, units: 400, converters: 100 }, { attributes: { lifecycle: 'new' }, units: 600, converters: 54 }])),
  });
  const r = await get(`/v1/experiments/${key}/results`);
  const [lifecycle, device] = r.metrics[0].forWhom;
  expect(lifecycle).toMatchObject({ attribute: 'lifecycle', variant: 'personalized', control: 'control', k: 2, df: 1, correction: 'holm', significant: true });
  expect(lifecycle.pValue).toBeLessThan(0.001);
  expect(lifecycle.pValueAdjusted).toBeCloseTo(Math.min(1, 2 * lifecycle.pValue), 12); // Holm, the smaller of two p-values
  expect(lifecycle.values.map((v: { value: string }) => v.value)).toEqual(['returning', 'new']);
  expect(lifecycle.values[0].lift.estimate).toBeCloseTo(1.5, 12); // 25 % vs 10 %
  expect(lifecycle.values[1].lift.estimate).toBeCloseTo(-0.1, 12); // 9 % vs 10 %
  expect(lifecycle.values[0]).toMatchObject({ significant: true, better: true });
  expect(lifecycle.summary).toMatch(/^The lift differs by lifecycle: returning \+150\.0 % \(shrunk \+\d+\.\d %\), new −10\.0 % \(shrunk −\d+\.\d %\); Q p < 0\.0001/);
  expect(device).toMatchObject({ attribute: 'device', significant: false, i2: 0, tau2: 0 });
  expect(device.q).toBeCloseTo(0, 12);
  // τ² = 0: every value is shrunk all the way to the pooled lift.
  for (const v of device.values) expect(v.shrunk.estimate).toBeCloseTo(device.pooled.estimate, 12);
  expect(device.summary).toMatch(/^No detectable difference by device/);

  const d = await get(`/v1/experiments/${key}/decision?minDays=0&acknowledge=suspicious_lift`);
  expect(d.decision).toBe('ship');
  expect(d.segments).toMatchObject({ attribute: 'lifecycle', variant: 'personalized', metric: 'purchase', correction: 'holm', ship_to: ['returning'], exclude: [], undecided: ['new'] });
  expect(d.reasons).toContainEqual(expect.stringMatching(/^The lift on purchase differs by lifecycle \(Q p < 0\.0001, Holm-adjusted across the attributes tried < 0\.0001\): roll personalized out to lifecycle = returning \(shrunk \+\d+\.\d %\) only; undecided new/));
});

test('the same effect everywhere: no segment decision', async () => {
  const key = await running({ segments: ['device'] });
  await seed(world, key, {
    control: segmentedArm(byDevice([{ attributes: {}, units: 600, converters: 60 }])),
    personalized: segmentedArm(byDevice([{ attributes: {}, units: 600, converters: 90 }])),
  });
  const d = await get(`/v1/experiments/${key}/decision?minDays=0`);
  expect(d.decision).toBe('ship');
  expect(d.segments).toBeNull();
  const [device] = (await get(`/v1/experiments/${key}/results`)).metrics[0].forWhom;
  expect(device).toMatchObject({ significant: false, k: 2 });
});

test('shrinkage ranks a tiny lucky segment below a large steady one', async () => {
  const key = await running({ segments: ['region'] });
  await seed(world, key, {
    control: segmentedArm([
      { attributes: { region: 'tiny' }, units: 100, converters: 5 },
      { attributes: { region: 'big' }, units: 3000, converters: 300 },
      { attributes: { region: 'mid' }, units: 1500, converters: 150 },
    ]),
    personalized: segmentedArm([
      { attributes: { region: 'tiny' }, units: 100, converters: 10 },
      { attributes: { region: 'big' }, units: 3000, converters: 420 },
      { attributes: { region: 'mid' }, units: 1500, converters: 165 },
    ]),
  });
  const [region] = (await get(`/v1/experiments/${key}/results`)).metrics[0].forWhom;
  const by = Object.fromEntries(region.values.map((v: { value: string }) => [v.value, v]));
  expect(by.tiny.lift.estimate).toBeCloseTo(1, 12); // raw: +100 %, the largest
  expect(by.big.lift.estimate).toBeCloseTo(0.4, 12);
  expect(region.tau2).toBeGreaterThan(0);
  expect(by.tiny.ownWeight).toBeLessThan(by.big.ownWeight);
  expect(by.tiny.shrunk.estimate).toBeLessThan(by.big.shrunk.estimate);
  expect(region.values.map((v: { value: string }) => v.value)).toEqual(['big', 'tiny', 'mid']);

  // The CSV a marketer opens in a spreadsheet carries the same answer: one for_whom row per value, in rank order.
  const csv = await world.api.get(`/v1/experiments/${key}/results`).set(read).set('Accept', 'text/csv').expect(200);
  const [header, ...rows] = parseCsv(csv.text);
  const col = (name: string) => header.indexOf(name);
  for (const r of rows) expect(r).toHaveLength(header.length);
  const whom = rows.filter((r) => r[col('row')] === 'for_whom');
  expect(whom.map((r) => [r[col('segment_attribute')], r[col('segment_value')], r[col('variant')], r[col('for_whom_rank')]])).toEqual([
    ['region', 'big', 'personalized', '1'],
    ['region', 'tiny', 'personalized', '2'],
    ['region', 'mid', 'personalized', '3'],
  ]);
  const big = whom[0];
  expect(Number(big[col('relative_estimate')])).toBeCloseTo(by.big.lift.estimate, 12);
  expect(Number(big[col('shrunk_estimate')])).toBeCloseTo(by.big.shrunk.estimate, 12);
  expect(Number(big[col('shrunk_ci_low')])).toBeCloseTo(by.big.shrunk.ci[0], 12);
  expect(Number(big[col('shrunk_ci_high')])).toBeCloseTo(by.big.shrunk.ci[1], 12);
  expect(Number(big[col('own_weight')])).toBeCloseTo(by.big.ownWeight, 12);
  expect(Number(big[col('heterogeneity_q')])).toBeCloseTo(region.q, 12);
  expect(Number(big[col('heterogeneity_p_value_adjusted')])).toBeCloseTo(region.pValueAdjusted, 12);
  expect(Number(big[col('i2')])).toBeCloseTo(region.i2, 12);
  expect(Number(big[col('tau2')])).toBeCloseTo(region.tau2, 12);
  expect(big[col('for_whom_summary')]).toBe(region.summary);
});
