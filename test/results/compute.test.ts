import type { ExperimentCreate } from '../../src/model/experiment';
import { computeResults, type Results } from '../../src/results/compute';
import { effectLabels } from '../../src/results/factorial-effects';
import { factorialEffects, holm, normalTwoSidedP, sequentialPValue } from '../../src/stats';
import scipy from '../stats/vectors/scipy.json';
import agree from '../vectors/numbers-agree.json';
import { arm, binary, counts, experiment, sums, twoArms } from './literal';

/**
 * computeResults on literal counts. Expected figures are worked by hand in the comments, or
 * are the statistics package's reference vectors (test/stats/vectors: SciPy/mpmath), cited by
 * their inputs.
 */
type MetricResults = Results['metrics'][number];

const metric = (r: Results, key = 'purchase'): MetricResults => r.metrics.find((m) => m.key === key)!;
const comparison = (r: Results, key = 'purchase') => metric(r, key).overall.comparisons[0];

/**
 * 1,000 of 10,000 vs 1,100 of 10,000: the unpooled SE from scipy.json "binary", and Newcombe's
 * score interval with the test that inverts it from R (numbers-agree.json "binary10k": Wilson
 * intervals by hand, Newcombe 1998 method 10; fixed, and sequential at N* = 10,000).
 */
const BINARY_SE = scipy.binary.find((v) => v.control.conversions === 1000 && v.treatment.conversions === 1100 && v.alpha === 0.05)!;
const BINARY = {
  estimate: BINARY_SE.estimate,
  se: BINARY_SE.se,
  criticalValue: BINARY_SE.criticalValue,
  z: agree.binary10k.statistic,
  pValue: agree.binary10k.pValue,
  ci: agree.binary10k.ci95,
  sequential: { criticalValue: agree.binary10k.sequentialCritical, ci: agree.binary10k.ciSequential, pValue: BINARY_SE.sequential.pValue },
};
const BINARY_ARMS = () => twoArms([10_000, 1000], [10_000, 1100]);
/** scipy.json "welchExtreme": 500,000 units per arm, means 10 and 10.0742. */
const WELCH = scipy.welchExtreme.find((v) => v.control.units === 500_000)!;
/** scipy.json "sequential.critical": the critical value at N units for N*, alpha 0.05. */
const critical = (n: number, tuning: number) => scipy.sequential.critical.find((v) => v.n === n && v.tuning === tuning && v.alpha === 0.05)!.value;

const THREE_ARMS: Partial<ExperimentCreate> = {
  variants: [
    { key: 'control', name: 'Generic', weight: 1, control: true },
    { key: 'a', name: 'A', weight: 1 },
    { key: 'b', name: 'B', weight: 1 },
  ],
};

describe('arms: each metric kind reads its arm from the counts', () => {
  test('binary: the rate and its standard error sqrt(p(1 - p)/n)', () => {
    const r = computeResults(experiment(), counts(BINARY_ARMS()));
    expect(metric(r).overall.variants).toEqual([
      { variant: 'control', units: 10_000, converters: 1000, rate: 0.1, value: 0.1, se: expect.closeTo(0.003, 15) }, // sqrt(0.1 * 0.9 / 10,000)
      { variant: 'personalized', units: 10_000, converters: 1100, rate: 0.11, value: 0.11, se: expect.closeTo(Math.sqrt((0.11 * 0.89) / 10_000), 15) },
    ]);
  });

  test('count and revenue: the mean per unit and its standard error from the sums', () => {
    const e = experiment({ metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }, { key: 'revenue', type: 'revenue' }, { key: 'items', type: 'count' }] });
    // 4 units with values 1, 2, 3, 4: sum 10, sum of squares 30, mean 2.5, s² = (30 − 100/4)/3 = 5/3, se = sqrt(5/3/4).
    const four = sums(4, 10, 30);
    const r = computeResults(e, counts([arm('control', 4, { purchase: binary(4), revenue: four, items: four }), arm('personalized', 4, { purchase: binary(4), revenue: four, items: four })]));
    for (const key of ['revenue', 'items']) {
      expect(metric(r, key).overall.variants[0]).toEqual({ variant: 'control', units: 4, converters: 4, sum: 10, mean: 2.5, value: 2.5, se: expect.closeTo(Math.sqrt(5 / 12), 15) });
    }
  });

  test('ratio: the ratio of sums and its delta-method standard error (scipy.json "ratio", "small")', () => {
    const v = scipy.ratio.find((x) => x.label === 'small')!;
    const parts = (a: { num: number[]; den: number[] }) => {
      const total = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
      return {
        converters: a.den.length,
        count: total(a.den),
        sum: total(a.num),
        sumSquares: total(a.num.map((x) => x * x)),
        numeratorSum: total(a.num),
        numeratorSumSquares: total(a.num.map((x) => x * x)),
        denominatorSum: total(a.den),
        denominatorSumSquares: total(a.den.map((x) => x * x)),
        crossSum: total(a.num.map((x, i) => x * a.den[i])),
      };
    };
    const e = experiment({ metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }, { key: 'revenue', type: 'revenue' }, { key: 'orders', type: 'count' }, { key: 'aov', type: 'ratio', numerator: 'revenue', denominator: 'orders' }] });
    const armOf = (variant: string, a: { num: number[]; den: number[] }) =>
      arm(variant, a.num.length, { purchase: binary(0), revenue: sums(0, 0, 0), orders: sums(0, 0, 0), aov: parts(a) });
    const r = computeResults(e, counts([armOf('control', v.control), armOf('personalized', v.treatment)]));
    const [control, treatment] = metric(r, 'aov').overall.variants;
    expect(control.value).toBeCloseTo(v.control.ratio, 12);
    expect(control.se).toBeCloseTo(v.control.se, 12);
    expect(control.numerator).toBeCloseTo(v.control.num.reduce((s, x) => s + x, 0), 9);
    expect(treatment.value).toBeCloseTo(v.treatment.ratio, 12);
    const c = comparison(r, 'aov');
    expect(c.absolute.estimate).toBeCloseTo(v.estimate, 12);
    expect(c.absolute.se).toBeCloseTo(v.se, 12);
    expect(c.statistic).toBeCloseTo(v.z, 10);
  });

  test('a value that cannot be computed is null with the reason', () => {
    const e = experiment({ metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }, { key: 'revenue', type: 'revenue' }, { key: 'orders', type: 'count' }, { key: 'aov', type: 'ratio', numerator: 'revenue', denominator: 'orders' }] });
    const none = { purchase: binary(0), revenue: sums(0, 0, 0), orders: sums(0, 0, 0), aov: { ...sums(0, 0, 0), numeratorSum: 0, numeratorSumSquares: 0, denominatorSum: 0, denominatorSumSquares: 0, crossSum: 0 } };
    const r = computeResults(e, counts([arm('control', 0, none), arm('personalized', 1, none)]));
    expect(metric(r).overall.variants[0]).toMatchObject({ value: null, se: null, reason: 'no units yet' });
    expect(metric(r, 'revenue').overall.variants.map((v) => v.reason)).toEqual(['no units yet', 'fewer than 2 units: variance undefined']);
    expect(metric(r, 'aov').overall.variants[1]).toMatchObject({ value: null, reason: 'denominator sum is 0: ratio undefined' });
  });

  test('counts that contradict themselves make no arm: null figures with the reason, never an error', () => {
    const e = experiment({ metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }, { key: 'revenue', type: 'revenue' }] });
    const r = computeResults(
      e,
      counts([arm('control', 150, { purchase: binary(151), revenue: sums(20, 100, -1) }), arm('personalized', 150, { purchase: binary(20), revenue: sums(20, 100, 600) })]),
    );
    const invalidRate = 'the counts are not valid: control.conversions (151) exceeds control.units (150)';
    expect(metric(r).overall.variants[0]).toMatchObject({ value: null, se: null, reason: invalidRate });
    expect(comparison(r)).toMatchObject({ pValue: null, significant: false, absolute: { estimate: null, ci: null }, reason: `control: ${invalidRate}` });
    expect(metric(r).power).toMatchObject({ unitsPerArm: null, reason: invalidRate });
    const invalidSums = 'the counts are not valid: control.sumSquares must be >= 0, got -1';
    expect(metric(r, 'revenue').overall.variants[0]).toMatchObject({ value: null, reason: invalidSums });
    expect(comparison(r, 'revenue').reason).toBe(`control: ${invalidSums}`);
  });
});

describe('comparisons against the control', () => {
  test('binary, fixed analysis: Newcombe\'s score interval and its test (R, numbers-agree.json "binary10k")', () => {
    const r = computeResults(experiment(), counts(BINARY_ARMS()));
    const c = comparison(r);
    expect(c).toMatchObject({ variant: 'personalized', control: 'control', enoughData: true, significant: true, better: true, warnings: [] });
    expect(c.absolute.estimate).toBeCloseTo(BINARY.estimate, 15);
    expect(c.absolute.se).toBeCloseTo(BINARY.se, 15);
    expect(c.statistic).toBeCloseTo(BINARY.z, 12);
    expect(c.pValue).toBeCloseTo(BINARY.pValue, 14);
    expect(c.intervalType).toBe('fixed');
    expect(c.absolute.ci![0]).toBeCloseTo(BINARY.ci[0], 14);
    expect(c.absolute.ci![1]).toBeCloseTo(BINARY.ci[1], 14);
    expect(c.criticalValue).toBeCloseTo(BINARY.criticalValue, 14);
    expect(c.relative.estimate).toBeCloseTo(0.1, 14); // 0.11 / 0.10 − 1
    expect(c.pValueAdjusted).toBe(c.pValue); // one treatment arm: Holm changes nothing
    expect(c.chanceToBeatControl).toBeGreaterThan(0.5);
  });

  test('binary, sequential analysis at the default N* = 10,000 (R, numbers-agree.json "binary10k")', () => {
    const c = comparison(computeResults(experiment({ analysis: 'sequential' }), counts(BINARY_ARMS())));
    expect(c.criticalValue).toBeCloseTo(BINARY.sequential.criticalValue, 12);
    // The always-valid p-value of the score statistic (sequential.ts), near the Wald one of scipy.json.
    expect(c.pValue).toBeCloseTo(sequentialPValue(BINARY.z, 20_000, 0.05, 10_000), 14);
    expect(c.pValue).toBeCloseTo(BINARY.sequential.pValue, 2);
    expect([c.intervalType, c.plannedSampleSize]).toEqual(['sequential', 10_000]);
    expect(c.absolute.ci![0]).toBeCloseTo(BINARY.sequential.ci[0], 12);
    expect(c.absolute.ci![1]).toBeCloseTo(BINARY.sequential.ci[1], 12);
    expect(c.significant).toBe(false);
  });

  test('count, fixed analysis: Welch on the sums (scipy.json "welchExtreme")', () => {
    const e = experiment({ metrics: [{ key: 'items', type: 'count', role: 'primary' }] });
    const r = computeResults(e, counts([arm('control', 500_000, { items: sums(400_000, WELCH.control.sum, WELCH.control.sumSquares) }), arm('personalized', 500_000, { items: sums(400_000, WELCH.treatment.sum, WELCH.treatment.sumSquares) })]));
    const c = comparison(r, 'items');
    expect(c.absolute.estimate).toBeCloseTo(WELCH.estimate, 12);
    expect(c.statistic).toBeCloseTo(WELCH.t, 9);
    expect(c.df! / WELCH.df).toBeCloseTo(1, 12);
    expect(c.pValue! / WELCH.pValue).toBeCloseTo(1, 6);
    expect(c.absolute.ci![0]).toBeCloseTo(WELCH.ci[0], 12);
    expect(c.absolute.ci![1]).toBeCloseTo(WELCH.ci[1], 12);
  });

  test('a metric that should fall: chance to beat control and expected loss in its good direction, a rise is "worse"', () => {
    const up = comparison(computeResults(experiment(), counts(BINARY_ARMS())));
    const e = experiment({ metrics: [{ key: 'purchase', type: 'binary', role: 'primary', direction: 'decrease' }] });
    const down = comparison(computeResults(e, counts(BINARY_ARMS())));
    expect(down).toMatchObject({ significant: true, better: false });
    expect(down.chanceToBeatControl).toBeCloseTo(1 - up.chanceToBeatControl!, 15);
    expect(down.expectedLoss).toEqual({ treatment: up.expectedLoss!.control, control: up.expectedLoss!.treatment });
  });

  test("N* of each pair is the planned total times the pair's share of the weights (sequential.critical: N = 6,461, N* = 1,000)", () => {
    // Three equal arms, 1,500 planned: each pair carries 2/3 of the traffic, so N* = 1,000, at N = 3,231 + 3,230.
    const planned = experiment({ ...THREE_ARMS, analysis: 'sequential', plannedSampleSize: 1500 });
    const arms = [arm('control', 3231, { purchase: binary(300) }), arm('a', 3230, { purchase: binary(320) }), arm('b', 3230, { purchase: binary(290) })];
    const r = computeResults(planned, counts(arms));
    for (const c of metric(r).overall.comparisons) expect(c.criticalValue).toBeCloseTo(critical(6461, 1000), 12);
    expect(r.plannedSampleSize).toBe(1500);
  });

  test('without a plan, a pair uses the default N* = 10,000 (sequential.critical: N = N* = 10,000)', () => {
    const unplanned = computeResults(experiment({ analysis: 'sequential' }), counts(twoArms([5000, 500], [5000, 520])));
    expect(comparison(unplanned).criticalValue).toBeCloseTo(critical(10_000, 10_000), 12);
    expect(unplanned.plannedSampleSize).toBe(10_000);
  });
});

describe('the minimum data rule: 100 units in each arm and 10 converting units between them', () => {
  test('below it: no interval, no p-value, nothing significant; the estimates stay, with a warning that says why', () => {
    const c = comparison(computeResults(experiment(), counts(twoArms([99, 10], [100, 20]))));
    expect(c).toMatchObject({ enoughData: false, pValue: null, pValueAdjusted: null, significant: false, better: null, absolute: { ci: null }, relative: { ci: null, reason: 'not enough data yet' } });
    expect(c.absolute.estimate).toBeCloseTo(20 / 100 - 10 / 99, 15);
    expect(c.warnings[0]).toBe(
      'not enough data yet: at least 100 units in each of the two arms compared, and at least 10 converting units (units with an event; for ratio metrics, with a denominator event) across the two (now 99 and 100 units, 30 converting)',
    );
  });

  test('the converting units count across both arms: 9 is not enough, 10 is', () => {
    expect(comparison(computeResults(experiment(), counts(twoArms([100, 4], [100, 5])))).enoughData).toBe(false);
    expect(comparison(computeResults(experiment(), counts(twoArms([100, 4], [100, 6])))).enoughData).toBe(true);
  });

  test('ratio metrics count the units with a denominator event', () => {
    const e = experiment({ metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }, { key: 'revenue', type: 'revenue' }, { key: 'orders', type: 'count' }, { key: 'aov', type: 'ratio', numerator: 'revenue', denominator: 'orders' }] });
    const withOrders = (units: number, buyers: number) => {
      const orders = sums(buyers, 2 * buyers, 4 * buyers);
      const revenue = sums(buyers, 50 * buyers, 2600 * buyers);
      const aov = { converters: buyers, count: 2 * buyers, sum: revenue.sum, sumSquares: revenue.sumSquares, numeratorSum: revenue.sum, numeratorSumSquares: revenue.sumSquares, denominatorSum: orders.sum, denominatorSumSquares: orders.sumSquares, crossSum: 100 * buyers };
      return arm(units === 200 ? 'control' : 'personalized', units, { purchase: binary(0), revenue, orders, aov });
    };
    expect(comparison(computeResults(e, counts([withOrders(200, 4), withOrders(201, 5)])), 'aov').enoughData).toBe(false);
    expect(comparison(computeResults(e, counts([withOrders(200, 5), withOrders(201, 5)])), 'aov').enoughData).toBe(true);
  });
});

describe('sample ratio mismatch', () => {
  test('overall and per segment value, against the weights (scipy.json "srm": [1000, 2000, 3050] vs 0.2, 0.3, 0.5)', () => {
    const v = scipy.srm.find((x) => x.observed.join() === '1000,2000,3050')!;
    const e = experiment({
      segments: ['device'],
      variants: [
        { key: 'control', name: 'Generic', weight: 0.2, control: true },
        { key: 'a', name: 'A', weight: 0.3 },
        { key: 'b', name: 'B', weight: 0.5 },
      ],
    });
    const arms = (units: number[]) => units.map((u, i) => arm(['control', 'a', 'b'][i], u, { purchase: binary(Math.round(u / 10)) }));
    const r = computeResults(e, counts(arms([1000, 2000, 3050]), [{ attribute: 'device', value: 'mobile', variants: arms([200, 300, 500]) }]));
    expect(r.srm).toEqual({
      pValue: expect.closeTo(v.pValue, 24),
      mismatch: true,
      threshold: 0.001,
      chiSquare: expect.closeTo(v.chiSquare, 10),
      observed: [
        { variant: 'control', units: 1000, expectedShare: 0.2 },
        { variant: 'a', units: 2000, expectedShare: 0.3 },
        { variant: 'b', units: 3050, expectedShare: 0.5 },
      ],
    });
    const m = metric(r);
    expect(m.overall.srm).toEqual(r.srm);
    for (const c of m.overall.comparisons) expect(c.warnings).toContain('sample ratio mismatch: the split between variants is not what the weights say; do not trust this comparison');
    // The mobile segment is split exactly by the weights: chi-square 0.
    expect(m.segments[0].srm).toMatchObject({ mismatch: false, chiSquare: 0, pValue: 1 });
    expect(m.segments[0].comparisons[0].warnings).toEqual([]);
  });

  test('no units at all: nothing to test', () => {
    expect(computeResults(experiment(), counts(twoArms([0, 0], [0, 0]))).srm).toMatchObject({ mismatch: false, pValue: 1, reason: 'no units observed' });
  });
});

describe('multiple comparisons', () => {
  test('Holm over every treatment arm overall: an arm below the minimum data counts as p = 1', () => {
    // Arms a and c are BINARY's treatment (p = BINARY.pValue each); b has 50 units. The weights
    // 200:200:200:1 match 10,000:10,000:10,000:50 exactly, so there is no mismatch.
    const e = experiment({
      variants: [
        { key: 'control', name: 'Generic', weight: 200, control: true },
        { key: 'a', name: 'A', weight: 200 },
        { key: 'b', name: 'B', weight: 1 },
        { key: 'c', name: 'C', weight: 200 },
      ],
    });
    const r = computeResults(e, counts([arm('control', 10_000, { purchase: binary(1000) }), arm('a', 10_000, { purchase: binary(1100) }), arm('b', 50, { purchase: binary(9) }), arm('c', 10_000, { purchase: binary(1100) })]));
    const [a, b, c] = metric(r).overall.comparisons;
    // Holm over (p, p, 1): the two smallest are multiplied by 3 (not by 2, as they would be without b), so 0.063 > 0.05.
    expect(a.pValueAdjusted).toBeCloseTo(3 * BINARY.pValue, 14);
    expect(c.pValueAdjusted).toBeCloseTo(3 * BINARY.pValue, 14);
    expect([a.significant, b.significant, c.significant]).toEqual([false, false, false]);
    expect(b).toMatchObject({ pValue: null, pValueAdjusted: null });
  });

  test('Benjamini-Hochberg over the segment comparisons that have a p-value, across attributes and values', () => {
    // device=desktop and channel=email each hold BINARY's arms (p = BINARY.pValue each); device=tablet is below the minimum data.
    const e = experiment({ segments: ['device', 'channel'] });
    const r = computeResults(
      e,
      counts(BINARY_ARMS(), [
        { attribute: 'device', value: 'desktop', variants: BINARY_ARMS() },
        { attribute: 'device', value: 'tablet', variants: twoArms([50, 5], [50, 9]) },
        { attribute: 'channel', value: 'email', variants: BINARY_ARMS() },
      ]),
    );
    const [desktop, tablet, email] = metric(r).segments.map((s) => s.comparisons[0]);
    // BH over (p, p): the larger stays p·2/2, the smaller min(p·2/1, p) = p. Counting tablet as 1 would give 1.5·p.
    expect(desktop.pValueAdjusted).toBeCloseTo(BINARY.pValue, 15);
    expect(email.pValueAdjusted).toBeCloseTo(BINARY.pValue, 15);
    expect([desktop.significant, email.significant, tablet.significant]).toEqual([true, true, false]);
    expect(tablet.pValueAdjusted).toBeNull();
    expect(metric(r).segments.map((s) => [s.attribute, s.value])).toEqual([
      ['device', 'desktop'],
      ['device', 'tablet'],
      ['channel', 'email'],
    ]);
  });

  test('?segment= and ?metric= narrow the answer', () => {
    const e = experiment({ segments: ['device', 'channel'], metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }, { key: 'signup', type: 'binary' }] });
    const both = (u: number, c: number) => arm('control', u, { purchase: binary(c), signup: binary(c) });
    const arms = [both(100, 10), { ...both(100, 20), variant: 'personalized' }];
    const r = computeResults(e, counts(arms, [{ attribute: 'device', value: 'mobile', variants: arms }, { attribute: 'channel', value: 'ads', variants: arms }]), { metric: 'signup', segment: 'channel' });
    expect(r.metrics.map((m) => m.key)).toEqual(['signup']);
    expect(r.metrics[0].segments.map((s) => s.attribute)).toEqual(['channel']);
  });
});

describe('suspicious lifts', () => {
  test('a lift beyond ±50 % is flagged while an arm has fewer than 10,000 units', () => {
    // 160/1,000 against 100/1,000: +60 %; 40/1,000 against 100/1,000: −60 %.
    expect(comparison(computeResults(experiment(), counts(twoArms([1000, 100], [1000, 160])))).warnings).toEqual([
      'a lift of 60 % is suspiciously large for this little data (under 10,000 units per arm): check the tracking before trusting it',
    ]);
    expect(comparison(computeResults(experiment(), counts(twoArms([1000, 100], [1000, 40])))).warnings[0]).toMatch(/^a lift of -60 % is suspiciously large/);
    // The same +60 % with 10,000 units per arm is believed, but not while one arm is smaller.
    expect(comparison(computeResults(experiment(), counts(twoArms([10_000, 1000], [10_000, 1600])))).warnings).toEqual([]);
    const e = experiment({ variants: [{ key: 'control', name: 'Generic', weight: 4, control: true }, { key: 'personalized', name: 'Recently viewed', weight: 1 }] });
    expect(comparison(computeResults(e, counts(twoArms([20_000, 2000], [5000, 800])))).warnings[0]).toMatch(/^a lift of 60 % is suspiciously large/);
  });
});

describe('power', () => {
  test('binary: units per arm for the MDE from the control rate (scipy.json "power": p = 0.1, MDE 5 % -> 57,760)', () => {
    const v = scipy.power.find((x) => x.kind === 'binary' && x.baseline === 0.1 && x.mde === 0.05)!;
    const p = metric(computeResults(experiment(), counts(twoArms([10_000, 1000], [10_200, 1100])))).power;
    // The observed lift, 1,100/10,200 against 0.1: +7.84 %. scipy: (norm.isf(0.025) + norm.ppf(0.8))**2 * (0.1*0.9 + p2*(1 - p2)) / (p2 - 0.1)**2
    // with p2 = 1100/10200 gives 23,759.54, so 23,760 per arm: 13,760 more than the smaller arm's 10,000.
    expect(p).toEqual({
      mde: 0.05,
      direction: 'increase',
      lift: 0.05,
      power: 0.8,
      unitsPerArm: v.unitsPerArm,
      currentUnitsPerArm: 10_000,
      moreUnitsPerArm: v.unitsPerArm - 10_000,
      observed: { variant: 'personalized', lift: expect.closeTo(1100 / 10_200 / 0.1 - 1, 14), direction: 'good', unitsPerArm: 23_760, moreUnitsPerArm: 13_760, detectable: false },
    });
  });

  test('a metric that should fall is advised about a fall: the MDE signed by the direction, the observed lift judged by it', () => {
    // 0.1 → 0.095 needs 55,249 per arm. scipy: (norm.isf(0.025) + norm.ppf(0.8))**2 * (0.1*0.9 + 0.095*0.905) / 0.005**2 = 55,248.26.
    const e = experiment({ metrics: [{ key: 'purchase', type: 'binary', role: 'primary', direction: 'decrease' }] });
    const fall = metric(computeResults(e, counts(twoArms([10_000, 1000], [10_000, 900])))).power;
    expect(fall).toMatchObject({ direction: 'decrease', lift: -0.05, unitsPerArm: 55_249, moreUnitsPerArm: 45_249, observed: { lift: expect.closeTo(-0.1, 14), direction: 'good' } });
    // The same counts read with the opposite direction: the fall is the bad way.
    expect(metric(computeResults(experiment(), counts(twoArms([10_000, 1000], [10_000, 900])))).power.observed).toMatchObject({ direction: 'bad' });
  });

  test('an observed effect already detectable at the current size says so (+60 % on 1,000 units per arm needs 490)', () => {
    // scipy: (norm.isf(0.025) + norm.ppf(0.8))**2 * (0.1*0.9 + 0.16*0.84) / 0.06**2 = 489.25.
    const p = metric(computeResults(experiment(), counts(twoArms([1000, 100], [1000, 160])))).power;
    expect(p.observed).toEqual({ variant: 'personalized', lift: expect.closeTo(0.6, 14), direction: 'good', unitsPerArm: 490, moreUnitsPerArm: 0, detectable: true });
  });

  test('mean: from the control mean and per-unit variance (scipy.json "power": mean 10, variance 100 -> 6,280)', () => {
    const v = scipy.power.find((x) => x.kind === 'means' && x.baseline === 10)!;
    // 101 units, sum 1,010, sum of squares 20,100: mean 10, s² = (20,100 − 1,010²/101)/100 = 100.
    const e = experiment({ metrics: [{ key: 'revenue', type: 'revenue', role: 'primary' }] });
    const p = metric(computeResults(e, counts([arm('control', 101, { revenue: sums(50, 1010, 20_100) }), arm('personalized', 101, { revenue: sums(50, 1010, 20_100) })])), 'revenue').power;
    expect(p).toMatchObject({ unitsPerArm: v.unitsPerArm, moreUnitsPerArm: v.unitsPerArm - 101 });
  });

  test('without a baseline yet, null with the reason', () => {
    expect(metric(computeResults(experiment(), counts(twoArms([0, 0], [0, 0])))).power).toMatchObject({ unitsPerArm: null, moreUnitsPerArm: null, reason: 'the control has no units yet' });
    const e = experiment({ metrics: [{ key: 'revenue', type: 'revenue', role: 'primary' }] });
    const one = computeResults(e, counts([arm('control', 1, { revenue: sums(1, 5, 25) }), arm('personalized', 1, { revenue: sums(1, 5, 25) })]));
    expect(metric(one, 'revenue').power).toMatchObject({ unitsPerArm: null, reason: 'the control needs at least 2 units' });
  });
});

describe('factorial effects', () => {
  const FACTORS: Partial<ExperimentCreate> = {
    factors: [
      { key: 'headline', levels: [{ key: 'generic' }, { key: 'personal' }] },
      { key: 'image', levels: [{ key: 'stock' }, { key: 'product' }] },
    ],
  };
  const cells = (c: Record<string, [number, number]>) => Object.entries(c).map(([variant, [units, converters]]) => arm(variant, units, { purchase: binary(converters) }));

  test('main effects and the interaction as contrasts of the cell rates', () => {
    const r = computeResults(experiment(FACTORS), counts(cells({ 'generic.stock': [300, 30], 'generic.product': [300, 45], 'personal.stock': [300, 60], 'personal.product': [300, 75] })));
    const m = metric(r);
    // Rates 0.10, 0.15, 0.20, 0.25. headline: ((0.20 − 0.10) + (0.25 − 0.15))/2 = 0.1; image: ((0.15 − 0.10) + (0.25 − 0.20))/2 = 0.05;
    // interaction: (0.25 − 0.20) − (0.15 − 0.10) = 0. SE of a main effect: ½·sqrt(Σ p(1 − p)/300).
    const se = 0.5 * Math.sqrt([0.1, 0.15, 0.2, 0.25].reduce((a, p) => a + (p * (1 - p)) / 300, 0));
    expect(m.factors!.map((f) => [f.factors, f.levels, f.baselines])).toEqual([
      [['headline'], ['personal'], ['generic']],
      [['image'], ['product'], ['stock']],
    ]);
    expect(m.factors![0].estimate).toBeCloseTo(0.1, 14);
    expect(m.factors![1].estimate).toBeCloseTo(0.05, 14);
    expect(m.factors![0].se).toBeCloseTo(se, 14);
    expect(m.factors![0].pValue).toBeCloseTo(normalTwoSidedP(0.1 / se), 14);
    expect(m.interactions![0]).toMatchObject({ factors: ['headline', 'image'], levels: ['personal', 'product'] });
    expect(m.interactions![0].estimate).toBeCloseTo(0, 14);
    expect(m.interactions![0].se).toBeCloseTo(2 * se, 14); // all four cells with weight ±1 instead of ±½
    // Holm across the family of the metric's 3 effects (2 main effects, 1 interaction); significant and better on the adjusted p.
    const all = [...m.factors!, ...m.interactions!];
    expect(all.map((x) => x.pValueAdjusted)).toEqual(holm(all.map((x) => x.pValue!)));
    expect(all.map((x) => [x.significant, x.better])).toEqual([
      [true, true],
      [true, true],
      [false, null],
    ]);
    // Relative to the baseline level's cells: 0.1 / mean(0.10, 0.15) and 0.05 / mean(0.10, 0.20); none for an interaction.
    expect(m.factors![0].relative).toBeCloseTo(0.1 / 0.125, 14);
    expect(m.factors![1].relative).toBeCloseTo(0.05 / 0.15, 14);
    expect(m.interactions![0].relative).toBeNull();
  });

  test('a cell below the minimum data: the estimate stays, no interval or p-value', () => {
    const r = computeResults(experiment(FACTORS), counts(cells({ 'generic.stock': [300, 30], 'generic.product': [300, 45], 'personal.stock': [300, 60], 'personal.product': [50, 15] })));
    const f = metric(r).factors![0];
    expect(f).toMatchObject({ ci: null, statistic: null, pValue: null, reason: 'not enough data yet: every cell needs at least 100 units (the smallest has 50)' });
    expect(f.estimate).toBeCloseTo((0.2 - 0.1 + (0.3 - 0.15)) / 2, 14);
  });

  test('a cell without an estimate: every effect is listed, null, with the reason', () => {
    const r = computeResults(experiment(FACTORS), counts(cells({ 'generic.stock': [300, 30], 'generic.product': [300, 45], 'personal.stock': [300, 60], 'personal.product': [0, 0] })));
    const m = metric(r);
    const reason = 'every effect is a contrast of all cells, and cell personal.product has no estimate: no units yet';
    const none = { estimate: null, se: null, ci: null, intervalType: 'fixed', statistic: null, pValue: null, pValueAdjusted: null, significant: false, better: null, relative: null, reason };
    expect([...m.factors!, ...m.interactions!]).toEqual([
      { factors: ['headline'], levels: ['personal'], baselines: ['generic'], ...none },
      { factors: ['image'], levels: ['product'], baselines: ['stock'], ...none },
      { factors: ['headline', 'image'], levels: ['personal', 'product'], baselines: ['generic', 'stock'], ...none },
    ]);
  });

  test('the labels of effects that cannot be computed are those the statistics report (2 x 3 x 2)', () => {
    const design = [
      { name: 'a', levels: ['a0', 'a1'] },
      { name: 'b', levels: ['b0', 'b1', 'b2'] },
      { name: 'c', levels: ['c0', 'c1'] },
    ];
    const cellsOf = design.reduce<number[][]>((acc, f) => acc.flatMap((prefix) => f.levels.map((_, l) => [...prefix, l])), [[]]);
    const computed = factorialEffects(design, cellsOf.map((levels) => ({ levels, mean: 0.1, variance: 0.001 })), { alpha: 0.05 });
    const label = (x: { factors: string[]; levels: string[]; baselines: string[] }) => ({ factors: x.factors, levels: x.levels, baselines: x.baselines });
    expect(effectLabels(design)).toEqual({ factors: computed.mainEffects.map(label), interactions: computed.interactions.map(label) });
  });

  test('an experiment with variants, not factors, has no effects', () => {
    expect(metric(computeResults(experiment(), counts(BINARY_ARMS())))).not.toHaveProperty('factors');
  });
});

test('the experiment-level figures: analysis, alpha, the minimum data rule, holdout units', () => {
  const r = computeResults(experiment({ alpha: 0.1 }), { ...counts(BINARY_ARMS()), holdout: arm('holdout', 321, { purchase: binary(30) }) });
  expect(r).toMatchObject({ experiment: 'exp', status: 'running', analysis: 'fixed', alpha: 0.1, minimumData: { unitsPerArm: 100, converters: 10 }, holdout: { units: 321 } });
});
