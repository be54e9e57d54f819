import { plan } from '../../src/cli/verdict/plan';
import type { ExperimentRow } from '../../src/model/experiment';
import { parse as parseCsv } from '../helpers/csv';
import { runExperiment } from '../helpers/experiments';
import { experimentBody, uniqueKey } from '../helpers/fixtures';
import type { ArmPlan } from '../helpers/seed';
import { bearer, useWorld } from '../helpers/world';
import R from '../vectors/numbers-agree.json';

/**
 * Issue 16, "numbers that agree everywhere" and the statistical choices of item 6, through the
 * HTTP API. Reference values: test/vectors/numbers-agree.json (R 4.2 + metafor, by
 * test/vectors/generate-numbers-agree.R; each item carries its call).
 */
const world = useWorld();
let read: Record<string, string>;
let admin: Record<string, string>;
beforeAll(async () => {
  read = bearer(await world.key('read'));
  admin = bearer(world.adminKey);
});

type Comparison = {
  variant: string;
  absolute: { estimate: number | null; ci: [number, number] | null };
  relative: { estimate: number | null; ci: [number, number] | null; corrected?: boolean; reason?: string };
  pValue: number | null;
  statistic: number | null;
  criticalValue: number | null;
  chanceToBeatControl: number | null;
  expectedLoss: unknown;
  significant: boolean;
  intervalType: string;
  plannedSampleSize: number | null;
};

const results = async (key: string) => (await world.api.get(`/v1/experiments/${key}/results`).set(read).expect(200)).body;
const overall = async (key: string, metric = 'purchase'): Promise<Comparison[]> => (await results(key)).metrics.find((m: { key: string }) => m.key === metric).overall.comparisons;
const decision = async (key: string, query = '') => (await world.api.get(`/v1/experiments/${key}/decision${query}`).set(read).expect(200)).body;
const binaryArms = (control: [number, number], treatment: [number, number], extra: Partial<ArmPlan> = {}): Record<string, ArmPlan> => ({
  control: { units: control[0], converters: control[1], ...extra },
  personalized: { units: treatment[0], converters: treatment[1], ...extra },
});
const near = (actual: [number, number] | null, expected: number[], digits = 12) => {
  expect(actual).not.toBeNull();
  expect(actual![0]).toBeCloseTo(expected[0], digits);
  expect(actual![1]).toBeCloseTo(expected[1], digits);
};

describe('rates at 0 and 1: Newcombe score interval, log-scale lift within [-100 %, inf)', () => {
  test('a 0/3,037 arm: an interval of honest width (R), not -100 % to -100 %, and no rollback from a zero-width interval', async () => {
    // Sequential (the default): with the Wald interval the treatment's 0 % has no variance and
    // z = 3.17 clears c = 3.06, so main rolled back; Newcombe's interval still includes 0.
    const key = await runExperiment(world, { tactic: uniqueKey('zero'), segments: [] }, { days: 10, plan: binaryArms([3000, 10], [3037, 0]) });
    const d = await decision(key);
    expect(d.decision).toBe('continue');
    expect(d.primary[0].intervalType).toBe('sequential');
    const [c] = await overall(key);
    expect(c.intervalType).toBe('sequential');
    expect(c.criticalValue).toBeCloseTo(R.zeroArm.criticalValue, 12);
    near(c.absolute.ci, R.zeroArm.absoluteCi, 14);
    expect(c.statistic).toBeCloseTo(R.zeroArm.statistic, 9);
    expect(c.relative.corrected).toBe(true);
    near(c.relative.ci, R.zeroArm.relativeCi, 12);
    expect(c.relative.ci![1] - c.relative.ci![0]).toBeGreaterThan(1);
    expect(c.significant).toBe(false);
  });

  test("a rate near 0: the relative interval stays above -100 % (R's log risk ratio), where Fieller's went below", async () => {
    const key = await runExperiment(world, { tactic: uniqueKey('near'), segments: [], analysis: 'fixed' }, { days: 10, plan: binaryArms([150, 12], [150, 1]) });
    const [c] = await overall(key);
    expect(c.relative.ci![0]).toBeGreaterThan(-1);
    near(c.relative.ci, R.nearZero.relativeCi, 12);
    near(c.absolute.ci, R.nearZero.absoluteCi, 14);
    expect(c.intervalType).toBe('fixed');
    expect(c.plannedSampleSize).toBeNull();
  });

  test('both arms constant and different (0/150 vs 150/150): the score interval, its test and the posterior agree', async () => {
    const key = await runExperiment(world, { tactic: uniqueKey('const'), segments: [], analysis: 'fixed' }, { days: 10, plan: binaryArms([150, 0], [150, 150]) });
    const [c] = await overall(key);
    near(c.absolute.ci, R.constantArms.absoluteCi, 14);
    expect(c.statistic).toBeCloseTo(R.constantArms.statistic, 9);
    expect(c.pValue).toBeLessThan(1e-50);
    expect(c.significant).toBe(true);
    expect(c.chanceToBeatControl).toBeGreaterThan(0.999);
  });

  test('a count metric with both arms constant and different: every inferential figure null, said in the decision', async () => {
    const metrics = [{ key: 'items', type: 'count' as const, role: 'primary' as const, event: 'purchase' }];
    const key = await runExperiment(
      world,
      { tactic: uniqueKey('const'), segments: [], analysis: 'fixed', metrics },
      { days: 10, plan: { control: { units: 150, converters: 150, perUnit: 1 }, personalized: { units: 150, converters: 150, perUnit: 2 } } },
    );
    const r = await results(key);
    const m = r.metrics[0];
    const [c] = m.overall.comparisons as Comparison[];
    expect(c).toMatchObject({ pValue: null, statistic: null, significant: false, chanceToBeatControl: null, expectedLoss: null, absolute: { estimate: 1, ci: null }, relative: { estimate: 1, ci: null } });
    expect(c.criticalValue).toBeCloseTo(1.959963984540054, 12); // the bar the data would have to clear: alpha and N only
    expect(m.power.unitsPerArm).toBeNull();
    expect(m.power.reason).toMatch(/no variance/);
    const d = await decision(key);
    expect(d.decision).toBe('continue');
    expect(d.reasons.join(' ')).toMatch(/zero standard error/);
  });
});

describe('N* of 3+ arms: one rule, reported per pair', () => {
  test('the default and an explicit 10,000 give each pair the same N* (2/3 of it) and the same figures', async () => {
    const variants = [
      { key: 'control', name: 'Control', weight: 1, control: true },
      { key: 'a', name: 'A', weight: 1 },
      { key: 'b', name: 'B', weight: 1 },
    ];
    const arms = { control: { units: 150, converters: 15 }, a: { units: 150, converters: 25 }, b: { units: 150, converters: 18 } };
    const byDefault = await runExperiment(world, { tactic: uniqueKey('nstar'), segments: [], variants }, { days: 10, plan: arms });
    const explicit = await runExperiment(world, { tactic: uniqueKey('nstar'), segments: [], variants, plannedSampleSize: 10_000 }, { days: 10, plan: arms });
    const [d, x] = [await overall(byDefault), await overall(explicit)];
    expect(d.map((c) => c.plannedSampleSize)).toEqual([6667, 6667]);
    expect(x.map((c) => c.plannedSampleSize)).toEqual([6667, 6667]);
    for (let i = 0; i < 2; i++) {
      expect(d[i].criticalValue).toBe(x[i].criticalValue);
      expect(d[i].pValue).toBe(x[i].pValue);
    }
    expect((await results(byDefault)).plannedSampleSize).toBe(10_000);
  });
});

describe('analysis, alpha and plannedSampleSize are locked once started', () => {
  test('PATCH of a started experiment with exposures: 409 locked-after-start naming the field; verdict apply refuses it too', async () => {
    const key = await runExperiment(world, { tactic: uniqueKey('lock'), segments: [], analysis: 'sequential' }, { plan: binaryArms([120, 10], [120, 12]) });
    for (const [field, value] of [['alpha', 0.1], ['analysis', 'fixed'], ['plannedSampleSize', 500]] as const) {
      const res = await world.api.patch(`/v1/experiments/${key}`).set(admin).send({ [field]: value }).expect(409);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ type: expect.stringMatching(/locked-after-start$/), fields: [field] });
      expect(res.body.detail).toContain(field);
    }
    const current = (await world.api.get(`/v1/experiments/${key}`).set(admin).expect(200)).body as ExperimentRow;
    expect(current).toMatchObject({ alpha: 0.05, analysis: 'sequential' });
    // The name can still change.
    await world.api.patch(`/v1/experiments/${key}`).set(admin).send({ name: 'Renamed' }).expect(200);
    const steps = plan({ ...experimentBody({ key, tactic: current.tactic, segments: [] }), name: 'Renamed', analysis: 'sequential', alpha: 0.1 }, { ...current, name: 'Renamed' });
    expect(steps).toEqual([{ kind: 'refuse', key, reason: expect.stringContaining('alpha') }]);
  });
});

describe('the tactic scorecard agrees with the experiments', () => {
  const tactic = uniqueKey('agree');
  const keys: Record<string, string> = {};
  const lifecycle = (i: number) => ({ lifecycle: i % 2 === 0 ? 'returning' : 'new' });
  beforeAll(async () => {
    // Completed after 3 days (sequential): a clear win overall and in both segment values, at +45 % (under the
    // suspicious-lift threshold of 50 %, so the decision ships without an acknowledgement and the scorecard counts it).
    keys.short = await runExperiment(
      world,
      { tactic, segments: ['lifecycle'] },
      { days: 3, complete: true, plan: { control: { units: 2000, converters: 200, attributes: lifecycle }, personalized: { units: 2000, converters: 290, attributes: lifecycle } } },
    );
    keys.running = await runExperiment(world, { tactic, segments: ['lifecycle'] }, { days: 2, plan: binaryArms([300, 30], [300, 36], { attributes: lifecycle }) });
  });
  const card = async (query = '') => (await world.api.get(`/v1/tactics/${tactic}${query}`).set(read).expect(200)).body;

  test('completed experiments only by default; one experiment pools to its own (sequential) interval', async () => {
    const s = await card();
    expect(s).toMatchObject({ include: 'completed', minDays: 7 });
    const m = s.metrics[0];
    const [c] = await overall(keys.short);
    expect(m.pooled).toMatchObject({ experiments: 1, intervalType: 'sequential', provisional: false });
    near(m.pooled.fixed.ci, c.relative.ci!, 12);
    near(m.pooled.random.ci, c.relative.ci!, 12);
    expect(m.pooled.fixed.lift).toBeCloseTo(c.relative.estimate!, 12);
    const rows = Object.fromEntries(m.experiments.map((e: { key: string; inPool: boolean; intervalType: string }) => [e.key, [e.inPool, e.intervalType]]));
    expect(rows).toEqual({ [keys.short]: [true, 'sequential'], [keys.running]: [false, 'sequential'] });
  });

  test('?include=running pools running experiments too, marked provisional', async () => {
    const m = (await card('?include=running')).metrics[0];
    expect(m.pooled).toMatchObject({ experiments: 2, provisional: true, running: 1, intervalType: 'fixed' });
    expect(m.segments.every((g: { pooled: { provisional: boolean } }) => g.pooled.provisional)).toBe(true);
  });

  test('segment rows carry the pooled lift per value: with one experiment, that segment value\'s own interval', async () => {
    const m = (await card()).metrics[0];
    const blocks = (await results(keys.short)).metrics[0].segments as { value: string; comparisons: Comparison[] }[];
    expect(m.segments).toHaveLength(2);
    for (const g of m.segments) {
      const own = blocks.find((b) => b.value === g.value)!.comparisons[0];
      expect(g.pooled).toMatchObject({ experiments: 1, intervalType: 'sequential', provisional: false });
      near(g.pooled.random.ci, own.relative.ci!, 12);
    }
  });

  test('?minDays= (documented; `verdict tactics --min-days`) lets a completed experiment that ran under 7 days count as a win', async () => {
    const outcome = (s: { metrics: { experiments: { key: string; outcome: string | null }[] }[] }) => s.metrics[0].experiments.find((e) => e.key === keys.short)!.outcome;
    expect(outcome(await card())).toBe('inconclusive');
    const s = await card('?minDays=2');
    expect(s.minDays).toBe(2);
    expect(outcome(s)).toBe('win');
    expect(s.metrics[0].winRate).toMatchObject({ wins: 1, rate: 1 });
    await world.api.get(`/v1/tactics/${tactic}?minDays=-1`).set(read).expect(400);
    await world.api.get(`/v1/tactics/${tactic}?include=everything`).set(read).expect(400);
  });

  test('the scorecard CSV carries the interval type, provisional mark, pool membership and the segment pooled lifts', async () => {
    const res = await world.api.get(`/v1/tactics/${tactic}?include=running&minDays=2`).set(read).set('Accept', 'text/csv').expect(200);
    const [header, ...rows] = parseCsv(res.text);
    const col = (name: string) => header.indexOf(name);
    for (const name of ['interval_type', 'provisional', 'in_pool', 'pooled_experiments', 'include', 'min_days']) expect(col(name)).toBeGreaterThan(-1);
    const segment = rows.find((r) => r[col('row')] === 'rate' && r[col('segment_value')] === 'returning')!;
    expect(segment[col('pooled_random_lift')]).not.toBe('');
    expect(segment[col('provisional')]).toBe('true');
    const short = rows.find((r) => r[col('experiment')] === keys.short)!;
    expect([short[col('interval_type')], short[col('in_pool')], short[col('outcome')], short[col('min_days')]]).toEqual(['sequential', 'true', 'win', '2']);
  });

  test('the results CSV says each interval\'s type and the N* its pair used', async () => {
    const res = await world.api.get(`/v1/experiments/${keys.short}/results?metric=purchase`).set(read).set('Accept', 'text/csv').expect(200);
    const [header, ...rows] = parseCsv(res.text);
    const treatment = rows.find((r) => r[header.indexOf('variant')] === 'personalized' && r[header.indexOf('segment_attribute')] === '')!;
    expect(treatment[header.indexOf('interval_type')]).toBe('sequential');
    expect(treatment[header.indexOf('pair_planned_sample_size')]).toBe('10000');
  });

  test('decision reasons name the interval type', async () => {
    const d = await decision(keys.short, '?minDays=2&acknowledge=suspicious_lift');
    expect(d.decision).toBe('ship');
    expect(d.reasons[0]).toMatch(/95 % sequential interval/);
  });
});

describe('the pooled lift keeps experiments with a zero-conversion arm', () => {
  test('1/2 added to every cell (metafor::escalc default): fixed and DL pooled lifts as metafor computes them', async () => {
    const tactic = uniqueKey('pool0');
    const zero = await runExperiment(world, { tactic, segments: [], analysis: 'fixed' }, { days: 10, complete: true, plan: binaryArms([3000, 10], [3037, 0]) });
    await runExperiment(world, { tactic, segments: [], analysis: 'fixed' }, { days: 10, complete: true, plan: binaryArms([1000, 100], [1000, 120]) });
    const m = (await world.api.get(`/v1/tactics/${tactic}`).set(read).expect(200)).body.metrics[0];
    expect(m.pooled).toMatchObject({ experiments: 2, intervalType: 'fixed', provisional: false });
    expect(m.experiments.find((e: { key: string }) => e.key === zero).inPool).toBe(true);
    const R0 = R.pooledZeroCell;
    expect(m.pooled.fixed.lift).toBeCloseTo(R0.fixedLift, 10);
    near(m.pooled.fixed.ci, R0.fixedCi, 10);
    expect(m.pooled.random.lift).toBeCloseTo(R0.randomLift, 10);
    near(m.pooled.random.ci, R0.randomCi, 9);
    expect(m.pooled.tau2).toBeCloseTo(R0.tau2, 10);
    expect(m.pooled.q).toBeCloseTo(R0.q, 10);
  });
});
