import { benjaminiHochberg, compareBinary, compareMeans, holm, sequentialCriticalValue, sequentialPValue } from '../../src/stats';
import { parse as parseCsv } from '../helpers/csv';
import type { ExperimentCreate } from '../../src/model/experiment';
import { runExperiment } from '../helpers/experiments';
import { experimentBody } from '../helpers/fixtures';
import { seed } from '../helpers/seed';
import { bearer, useWorld } from '../helpers/world';
import agree from '../vectors/numbers-agree.json';

/** GET /v1/experiments/{key}/results through HTTP: estimators wired to the counts, trust checks, adjustments, power, factorial. */
const world = useWorld();
let admin: Record<string, string>;
beforeAll(async () => {
  admin = bearer(world.adminKey);
});

const running = (overrides: Partial<ExperimentCreate> = {}) => runExperiment(world, { segments: [], ...overrides });

async function results(key: string, query = '') {
  return (await world.api.get(`/v1/experiments/${key}/results${query}`).set(bearer(await world.key('read'))).expect(200)).body;
}

const metricOf = (r: { metrics: { key: string }[] }, key: string) => r.metrics.find((m) => m.key === key)! as any; // eslint-disable-line @typescript-eslint/no-explicit-any

test('binary metric, fixed analysis: Newcombe\'s score interval and its test on the counts (R reference values)', async () => {
  const key = await running({ analysis: 'fixed' });
  await seed(world, key, { control: { units: 1000, converters: 100 }, personalized: { units: 1000, converters: 150 } });
  const r = await results(key);
  expect(r).toMatchObject({ analysis: 'fixed', alpha: 0.05, srm: { mismatch: false } });
  const m = metricOf(r, 'purchase');
  expect(m.overall.variants).toEqual([
    { variant: 'control', units: 1000, converters: 100, rate: 0.1, value: 0.1, se: expect.any(Number) },
    { variant: 'personalized', units: 1000, converters: 150, rate: 0.15, value: 0.15, se: expect.any(Number) },
  ]);
  const c = m.overall.comparisons[0];
  // R (test/vectors/generate-numbers-agree.R, "binary1k"): Newcombe 1998 method 10 from Wilson intervals by hand.
  expect(c.statistic).toBeCloseTo(agree.binary1k.statistic, 10);
  expect(c.pValue).toBeCloseTo(agree.binary1k.pValue, 12);
  expect(c.absolute.ci[0]).toBeCloseTo(agree.binary1k.ci95[0], 12);
  expect(c.absolute.ci[1]).toBeCloseTo(agree.binary1k.ci95[1], 12);
  expect(c.absolute.se).toBeCloseTo(Math.sqrt(0.1 * 0.9 / 1000 + 0.15 * 0.85 / 1000), 14); // the unpooled SE is still reported
  expect(c.intervalType).toBe('fixed');
  expect(c.relative.estimate).toBeCloseTo(0.5, 12);
  expect(c.relative.ci[0]).toBeGreaterThan(0);
  expect(c).toMatchObject({ variant: 'personalized', control: 'control', significant: true, better: true, enoughData: true });
  expect(c.pValueAdjusted).toBeCloseTo(c.pValue, 15); // one treatment arm: Holm changes nothing
  expect(c.chanceToBeatControl).toBeGreaterThan(0.999);
  expect(c.warnings).toEqual([]);
});

test('sequential analysis (the default) is more cautious with the same data: wider interval, larger p', async () => {
  const key = await running();
  await seed(world, key, { control: { units: 1000, converters: 100 }, personalized: { units: 1000, converters: 150 } });
  const c = metricOf(await results(key), 'purchase').overall.comparisons[0];
  const fixed = compareBinary({ units: 1000, conversions: 100 }, { units: 1000, conversions: 150 }, { alpha: 0.05, analysis: 'fixed', binaryInterval: 'newcombe' });
  const sequential = compareBinary({ units: 1000, conversions: 100 }, { units: 1000, conversions: 150 }, { alpha: 0.05, analysis: 'sequential', plannedSampleSize: 10_000, binaryInterval: 'newcombe' });
  expect(c.pValue).toBeCloseTo(sequential.pValue!, 12);
  expect(c.pValue).toBeGreaterThan(fixed.pValue!);
  expect(c.absolute.ci[1] - c.absolute.ci[0]).toBeGreaterThan(fixed.absolute.ci![1] - fixed.absolute.ci![0]);
});

test("the experiment's plannedSampleSize is N* of the sequential analysis (shared among pairs by weight)", async () => {
  const key = await running({ plannedSampleSize: 2000 });
  await seed(world, key, { control: { units: 1000, converters: 100 }, personalized: { units: 1000, converters: 150 } });
  const r = await results(key);
  const c = metricOf(r, 'purchase').overall.comparisons[0];
  expect(r.plannedSampleSize).toBe(2000);
  // Two arms of equal weight: the pair is all the traffic, so N* = 2,000.
  expect(c.criticalValue).toBeCloseTo(sequentialCriticalValue(2000, 0.05, 2000), 12);
  const expected = compareBinary({ units: 1000, conversions: 100 }, { units: 1000, conversions: 150 }, { alpha: 0.05, analysis: 'sequential', plannedSampleSize: 2000, binaryInterval: 'newcombe' });
  expect(c.pValue).toBeCloseTo(expected.pValue!, 12);
  // Tuned for the size actually reached, the sequence is tighter than with the default N* = 10,000.
  expect(c.criticalValue).toBeLessThan(sequentialCriticalValue(2000, 0.05, 10_000));

  const three = await running({
    plannedSampleSize: 3000,
    variants: [
      { key: 'control', name: 'Generic', weight: 2, control: true },
      { key: 'a', name: 'A', weight: 1 },
      { key: 'b', name: 'B', weight: 1 },
    ],
  });
  await seed(world, three, { control: { units: 400, converters: 40 }, a: { units: 200, converters: 30 }, b: { units: 200, converters: 20 } });
  const [ca] = metricOf(await results(three), 'purchase').overall.comparisons;
  // control + a carry 3/4 of the weight: N* = 3,000 x 3/4 = 2,250, at N = 600 units in the pair.
  expect(ca.criticalValue).toBeCloseTo(sequentialCriticalValue(600, 0.05, 2250), 12);
  expect(ca.plannedSampleSize).toBe(2250);
});

test('revenue per unit: Welch on the per-unit sums, with the cap applied per unit', async () => {
  const key = await running({
    analysis: 'fixed',
    metrics: [
      { key: 'purchase', type: 'binary', role: 'primary' },
      { key: 'revenue', type: 'revenue', event: 'purchase', cap: 100 },
    ],
  });
  await seed(world, key, {
    control: { units: 200, converters: 40, value: (i) => 20 + (i % 5) * 10 },
    personalized: { units: 200, converters: 60, value: (i) => (i === 0 ? 5000 : 25 + (i % 5) * 10) },
  });
  const m = metricOf(await results(key), 'revenue');
  const sums = (values: number[], n: number) => ({ units: n, sum: values.reduce((a, b) => a + b, 0), sumSquares: values.reduce((a, b) => a + b * b, 0) });
  const control = sums(Array.from({ length: 40 }, (_, i) => 20 + (i % 5) * 10), 200);
  const treatment = sums(Array.from({ length: 60 }, (_, i) => Math.min(100, i === 0 ? 5000 : 25 + (i % 5) * 10)), 200);
  const expected = compareMeans(control, treatment, { alpha: 0.05, analysis: 'fixed' });
  const c = m.overall.comparisons[0];
  expect(m.overall.variants[1].sum).toBe(treatment.sum); // 5000 capped at 100
  expect(c.pValue).toBeCloseTo(expected.pValue!, 12);
  expect(c.df).toBeCloseTo(expected.df!, 8);
  expect(c.absolute.ci).toEqual(expected.absolute.ci);
});

test('minimum data: below it there is no p-value and nothing is significant', async () => {
  const key = await running();
  await seed(world, key, { control: { units: 60, converters: 3 }, personalized: { units: 60, converters: 20 } });
  const c = metricOf(await results(key), 'purchase').overall.comparisons[0];
  expect(c).toMatchObject({ enoughData: false, pValue: null, pValueAdjusted: null, significant: false });
  expect(c.absolute.ci).toBeNull();
  expect(c.warnings[0]).toMatch(/not enough data yet: at least 100 units in each/);
  expect(c.warnings[1]).toMatch(/suspiciously large/);
  expect(c.relative.estimate).toBeCloseTo(20 / 60 / (3 / 60) - 1, 12);
});

test('sample ratio mismatch is flagged overall and per segment, and marks the comparisons', async () => {
  const key = await running({ segments: ['device'] });
  await seed(world, key, {
    control: { units: 700, converters: 70, attributes: (i) => ({ device: i % 2 ? 'mobile' : 'desktop' }) },
    personalized: { units: 500, converters: 60, attributes: (i) => ({ device: i % 2 ? 'mobile' : 'desktop' }) },
  });
  const r = await results(key);
  expect(r.srm.mismatch).toBe(true);
  expect(r.srm.pValue).toBeLessThan(0.001);
  expect(r.srm.observed).toEqual([
    { variant: 'control', units: 700, expectedShare: 0.5 },
    { variant: 'personalized', units: 500, expectedShare: 0.5 },
  ]);
  const m = metricOf(r, 'purchase');
  expect(m.overall.comparisons[0].warnings.join(' ')).toMatch(/sample ratio mismatch/);
  expect(m.segments.map((s: { value: string; srm: { mismatch: boolean } }) => [s.value, s.srm.mismatch])).toEqual([
    ['desktop', true],
    ['mobile', true],
  ]);
});

test('several treatment arms: Holm across arms overall, Benjamini-Hochberg across segment values and arms', async () => {
  const key = await running({
    segments: ['device'],
    variants: [
      { key: 'control', name: 'Control', weight: 1, control: true },
      { key: 'reco-a', name: 'A', weight: 1 },
      { key: 'reco-b', name: 'B', weight: 1 },
    ],
  });
  const device = (i: number) => ({ device: i % 3 === 0 ? 'desktop' : 'mobile' });
  await seed(world, key, {
    control: { units: 600, converters: 60, attributes: device },
    'reco-a': { units: 600, converters: 85, attributes: device },
    'reco-b': { units: 600, converters: 70, attributes: device },
  });
  const m = metricOf(await results(key), 'purchase');
  const overall = m.overall.comparisons;
  expect(overall.map((c: { variant: string }) => c.variant)).toEqual(['reco-a', 'reco-b']);
  const holmed = holm(overall.map((c: { pValue: number }) => c.pValue));
  overall.forEach((c: { pValueAdjusted: number; pValue: number }, i: number) => {
    expect(c.pValueAdjusted).toBeCloseTo(holmed[i], 14);
    expect(c.pValueAdjusted).toBeGreaterThanOrEqual(c.pValue);
  });
  const segs = m.segments.flatMap((s: { comparisons: unknown[] }) => s.comparisons);
  expect(segs).toHaveLength(4);
  const bh = benjaminiHochberg(segs.map((c: { pValue: number }) => c.pValue));
  segs.forEach((c: { pValueAdjusted: number }, i: number) => expect(c.pValueAdjusted).toBeCloseTo(bh[i], 14));
});

test('a metric that should fall: chance to beat control and "better" follow its direction', async () => {
  const key = await running({
    analysis: 'fixed',
    metrics: [
      { key: 'purchase', type: 'binary', role: 'primary' },
      { key: 'unsubscribe', type: 'binary', role: 'guardrail', direction: 'decrease' },
    ],
  });
  await seed(world, key, {
    control: { units: 1000, converters: 80, event: 'unsubscribe' },
    personalized: { units: 1000, converters: 30, event: 'unsubscribe' },
  });
  const c = metricOf(await results(key), 'unsubscribe').overall.comparisons[0];
  expect(c.absolute.estimate).toBeCloseTo(-0.05, 12);
  expect(c).toMatchObject({ significant: true, better: true });
  expect(c.chanceToBeatControl).toBeGreaterThan(0.99);
  expect(c.expectedLoss.treatment).toBeLessThan(c.expectedLoss.control);
});

test('ratio metric (average order value) by the delta method', async () => {
  const key = await running({
    metrics: [
      { key: 'buyer', type: 'binary', event: 'order', role: 'primary' },
      { key: 'orders', type: 'count', event: 'order' },
      { key: 'revenue', type: 'revenue', event: 'order' },
      { key: 'aov', type: 'ratio', numerator: 'revenue', denominator: 'orders' },
    ],
  });
  await seed(world, key, {
    control: { units: 300, converters: 60, event: 'order', perUnit: 2, value: (i) => 30 + (i % 7) },
    personalized: { units: 300, converters: 70, event: 'order', perUnit: 1, value: (i) => 50 + (i % 5) },
  });
  const m = metricOf(await results(key), 'aov');
  const [control, treatment] = m.overall.variants;
  expect(control.denominator).toBe(120);
  expect(treatment.denominator).toBe(70);
  expect(control.value).toBeCloseTo(control.numerator / 120, 12);
  expect(m.overall.comparisons[0].absolute.estimate).toBeCloseTo(treatment.value - control.value, 12);
  expect(m.overall.comparisons[0].pValue).toBeLessThan(0.05);
});

test('?metric= and ?segment= narrow the answer; an unknown one is a 400 naming the parameter', async () => {
  const key = await running({ segments: ['device', 'channel'] });
  await seed(world, key, {
    control: { units: 150, converters: 20, attributes: (i) => ({ device: i % 2 ? 'mobile' : 'desktop', channel: 'email' }) },
    personalized: { units: 150, converters: 25, attributes: (i) => ({ device: i % 2 ? 'mobile' : 'desktop', channel: 'ads' }) },
  });
  const r = await results(key, '?metric=purchase&segment=channel');
  expect(r.metrics.map((m: { key: string }) => m.key)).toEqual(['purchase']);
  expect(r.metrics[0].segments.map((s: { attribute: string; value: string }) => `${s.attribute}=${s.value}`)).toEqual(['channel=ads', 'channel=email']);
  const bad = await world.api.get(`/v1/experiments/${key}/results?metric=nope`).set(admin).expect(400);
  expect(bad.body.errors[0].field).toBe('query.metric');
  const badSeg = await world.api.get(`/v1/experiments/${key}/results?segment=country`).set(admin).expect(400);
  expect(badSeg.body.errors[0].field).toBe('query.segment');
});

test('power: units per arm needed for the minimum detectable effect, and how many more', async () => {
  const key = await running({ minDetectableEffect: 0.1 });
  await seed(world, key, { control: { units: 400, converters: 40 }, personalized: { units: 410, converters: 44 } });
  const p = metricOf(await results(key), 'purchase').power;
  // Two-sample normal formula at p = 0.10, +10 %: (1.959964 + 0.841621)^2 (0.1*0.9 + 0.11*0.89) / 0.01^2
  expect(p.unitsPerArm).toBe(Math.ceil(((1.959963984540054 + 0.8416212335729143) ** 2 * (0.1 * 0.9 + 0.11 * 0.89)) / 0.01 ** 2));
  expect(p).toMatchObject({ mde: 0.1, power: 0.8, currentUnitsPerArm: 400, moreUnitsPerArm: p.unitsPerArm - 400 });
});

/** A running 2 x 2 factorial (headline x image) with this many units and converters per cell. */
async function factorialWith(cells: Record<string, [number, number]>, overrides: Record<string, unknown> = {}) {
  const body = experimentBody({
    respectsHoldout: false,
    segments: [],
    factors: [
      { key: 'headline', levels: [{ key: 'generic' }, { key: 'personal' }] },
      { key: 'image', levels: [{ key: 'stock' }, { key: 'product' }] },
    ],
    ...overrides,
  });
  delete (body as Record<string, unknown>).variants;
  await world.api.post('/v1/experiments').set(admin).send(body).expect(201);
  await world.api.post(`/v1/experiments/${body.key}/start`).set(admin).expect(200);
  await seed(world, body.key, Object.fromEntries(Object.entries(cells).map(([cell, [units, converters]]) => [cell, { units, converters }])));
  return body;
}

test('multivariate: main effect of each factor and the two-way interaction', async () => {
  const body = await factorialWith({ 'generic.stock': [300, 30], 'generic.product': [300, 45], 'personal.stock': [300, 60], 'personal.product': [300, 75] });
  const m = metricOf(await results(body.key), 'purchase');
  expect(m.factors.map((f: { factors: string[]; levels: string[] }) => `${f.factors[0]}:${f.levels[0]}`)).toEqual(['headline:personal', 'image:product']);
  // headline: ((0.2 - 0.1) + (0.25 - 0.15)) / 2 = 0.1; image: ((0.15 - 0.1) + (0.25 - 0.2)) / 2 = 0.05; interaction: (0.25 - 0.2) - (0.15 - 0.1) = 0
  expect(m.factors[0].estimate).toBeCloseTo(0.1, 12);
  expect(m.factors[1].estimate).toBeCloseTo(0.05, 12);
  expect(m.interactions).toHaveLength(1);
  expect(m.interactions[0].estimate).toBeCloseTo(0, 12);
  expect(m.interactions[0].pValue).toBeGreaterThan(0.5);
  // The default (sequential) analysis applies to effects too: the always-valid p-value at
  // N = 1,200 units, z = 0.1 / SE with SE = ½·sqrt(Σ p(1 − p)/300) over the four cells.
  const se = 0.5 * Math.sqrt([0.1, 0.15, 0.2, 0.25].reduce((a, p) => a + (p * (1 - p)) / 300, 0));
  expect(m.factors[0].se).toBeCloseTo(se, 12);
  expect(m.factors[0].pValue).toBeCloseTo(sequentialPValue(0.1 / se, 1200, 0.05, 10_000), 12);
  expect(m.factors[0].pValue).toBeLessThan(0.05);

  // The CSV export carries the effects as rows of their own.
  const csv = await world.api.get(`/v1/experiments/${body.key}/results?metric=purchase`).set(bearer(await world.key('read'))).set('Accept', 'text/csv').expect(200);
  const [header, ...rows] = parseCsv(csv.text);
  const effects = rows.filter((r) => r[header.indexOf('row')] !== 'variant');
  expect(effects.map((r) => [r[header.indexOf('row')], r[header.indexOf('effect_factors')], r[header.indexOf('effect_levels')]])).toEqual([
    ['main_effect', 'headline', 'personal'],
    ['main_effect', 'image', 'product'],
    ['interaction', 'headline x image', 'personal x product'],
  ]);
  expect(Number(effects[0][header.indexOf('p_value')])).toBe(m.factors[0].pValue);
  expect(Number(effects[0][header.indexOf('absolute_ci_low')])).toBe(m.factors[0].ci[0]);
});

test('multivariate: no effect p-value while a cell is below the minimum data rule', async () => {
  const body = await factorialWith({ 'generic.stock': [300, 30], 'generic.product': [300, 45], 'personal.stock': [300, 60], 'personal.product': [50, 15] }, { analysis: 'fixed' });
  const m = metricOf(await results(body.key), 'purchase');
  expect(m.factors[0]).toMatchObject({ pValue: null, ci: null, reason: 'not enough data yet: every cell needs at least 100 units (the smallest has 50)' });
  expect(m.factors[0].estimate).toBeCloseTo(((0.2 - 0.1) + (0.3 - 0.15)) / 2, 12);
});

test('an experiment without data answers with empty arms and reasons, never an error', async () => {
  const key = await running({ segments: ['device'] });
  const r = await results(key);
  const m = metricOf(r, 'purchase');
  expect(m.overall.variants.map((v: { units: number }) => v.units)).toEqual([0, 0]);
  expect(m.overall.comparisons[0]).toMatchObject({ pValue: null, significant: false, enoughData: false });
  expect(r.srm).toMatchObject({ mismatch: false, pValue: 1 });
  expect(m.power.unitsPerArm).toBeNull();
});
