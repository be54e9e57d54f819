import fc from 'fast-check';
import { compareBinary, compareMeans, compareRatio, comparisonCriticalValue, type Comparison } from '../../src/stats';
import vectors from './vectors/scipy.json';
import { ciScale, expectInterval, expectNoNonFinite, expectRel } from './helpers';

const fixed = { alpha: 0.05, analysis: 'fixed' as const };
const sequential = { alpha: 0.05, analysis: 'sequential' as const };

function checkShape(r: Comparison): void {
  expectNoNonFinite(r);
  if (r.pValue !== null) {
    expect(r.pValue).toBeGreaterThanOrEqual(0);
    expect(r.pValue).toBeLessThanOrEqual(1);
  }
  if (r.chanceToBeatControl !== null) {
    expect(r.chanceToBeatControl).toBeGreaterThanOrEqual(0);
    expect(r.chanceToBeatControl).toBeLessThanOrEqual(1);
  }
  if (r.absolute.ci && r.absolute.estimate !== null) {
    expect(r.absolute.ci[0]).toBeLessThanOrEqual(r.absolute.estimate);
    expect(r.absolute.ci[1]).toBeGreaterThanOrEqual(r.absolute.estimate);
  }
  if (r.relative.ci && r.relative.estimate !== null) {
    expect(r.relative.ci[0]).toBeLessThanOrEqual(r.relative.estimate + 1e-12 * Math.abs(r.relative.estimate));
    expect(r.relative.ci[1]).toBeGreaterThanOrEqual(r.relative.estimate - 1e-12 * Math.abs(r.relative.estimate));
  }
  if (r.expectedLoss) {
    expect(r.expectedLoss.treatment).toBeGreaterThanOrEqual(0);
    expect(r.expectedLoss.control).toBeGreaterThanOrEqual(0);
  }
  const anyNull = [r.pValue, r.statistic, r.absolute.ci, r.absolute.se].some((v) => v === null);
  if (anyNull) expect(typeof r.reason).toBe('string');
}

describe('extremes: n = 2 and n = 1e8 per arm, rates 0 and 1, zero variance, identical arms', () => {
  test('binary n = 2 per arm', () => {
    const r = compareBinary({ units: 2, conversions: 1 }, { units: 2, conversions: 2 }, fixed);
    checkShape(r);
    expect(r.absolute.estimate).toBe(0.5);
    expect(r.pValue).not.toBeNull();
  });
  test('binary n = 1e8 per arm', () => {
    for (const opts of [fixed, sequential]) {
      const r = compareBinary({ units: 1e8, conversions: 1e7 }, { units: 1e8, conversions: 10_100_000 }, opts);
      checkShape(r);
      expect(r.pValue).toBeGreaterThan(0);
      expect(r.pValue).toBeLessThan(1e-10);
    }
  });
  test('binary rates 0 and 1', () => {
    const zeros = compareBinary({ units: 1000, conversions: 0 }, { units: 1000, conversions: 0 }, fixed);
    checkShape(zeros);
    expect(zeros).toMatchObject({ pValue: 1, statistic: 0, absolute: { estimate: 0, se: 0, ci: [0, 0] } });
    expect(zeros.relative.estimate).toBeNull(); // control rate 0
    expect(zeros.chanceToBeatControl).toBeCloseTo(0.5, 12);
    const ones = compareBinary({ units: 1000, conversions: 1000 }, { units: 1000, conversions: 1000 }, fixed);
    checkShape(ones);
    expect(ones).toMatchObject({ pValue: 1, absolute: { estimate: 0, ci: [0, 0] }, relative: { estimate: 0, ci: [0, 0] } });
    // 0% vs 100%: the Wald test is undefined (SE = 0) — null with a reason, not a fake p = 0,
    // and so is every probability statement (types.ts); the critical value stays (α and N only)
    const split = compareBinary({ units: 10, conversions: 0 }, { units: 10, conversions: 10 }, fixed);
    checkShape(split);
    expect(split).toMatchObject({ pValue: null, statistic: null, chanceToBeatControl: null, expectedLoss: null, absolute: { estimate: 1, ci: null }, relative: { ci: null } });
    expect(split.reason).toMatch(/zero standard error/);
    expect(split.criticalValue).toBeCloseTo(1.959963984540054, 14);
    // with Newcombe's score interval the same data have no degenerate case: all defined
    for (const opts of [fixed, sequential]) {
      const score = compareBinary({ units: 10, conversions: 0 }, { units: 10, conversions: 10 }, { ...opts, binaryInterval: 'newcombe', relativeInterval: 'log' });
      checkShape(score);
      expect(score.reason).toBeUndefined();
      expect(score.absolute.ci![1]).toBe(1);
      expect(score.pValue).toBeGreaterThan(0);
      // significant exactly when the interval excludes 0 (fixed: 0.61 to 1, Newcombe's example (h);
      // sequential at N = 20: the confidence sequence is still far too wide)
      expect(score.pValue! < 0.05).toBe(score.absolute.ci![0] > 0);
      expect(score.absolute.ci![0] > 0).toBe(opts === fixed);
      expect(score.chanceToBeatControl).toBeGreaterThan(0.999);
      // control rate 0: the plain lift is undefined; the log-scale one adds ½ to each cell
      // (escalc): (10.5/11)/(0.5/11) − 1 = +2,000 %, with an interval that says how little that means
      expect(score.relative.corrected).toBe(true);
      expect(score.relative.estimate).toBeCloseTo(20, 12);
      expect(score.relative.ci![0] > 0).toBe(opts === fixed);
    }
  });
  test('means: zero variance, all-zero revenue, identical arms', () => {
    const zero = { units: 500, sum: 0, sumSquares: 0 };
    const allZero = compareMeans(zero, zero, fixed);
    checkShape(allZero);
    expect(allZero).toMatchObject({ pValue: 1, statistic: 0, df: null, absolute: { estimate: 0, ci: [0, 0] } });
    expect(allZero.relative).toMatchObject({ estimate: null, ci: null });
    expect(allZero.expectedLoss).toEqual({ treatment: 0, control: 0 });
    expect(allZero.chanceToBeatControl).toBe(0.5);

    const constant = (v: number, n: number) => ({ units: n, sum: v * n, sumSquares: v * v * n });
    const sameConst = compareMeans(constant(1.1, 10), constant(1.1, 10), fixed);
    checkShape(sameConst);
    expect(sameConst.pValue).toBe(1);
    // both arms constant and different: estimates stay, every inferential quantity is null with
    // one reason, the critical value stays (it depends on α and N only); same under sequential
    for (const opts of [fixed, sequential, { ...fixed, relativeInterval: 'log' as const }]) {
      const diffConst = compareMeans(constant(2, 10), constant(3, 10), opts);
      checkShape(diffConst);
      expect(diffConst).toMatchObject({ pValue: null, statistic: null, chanceToBeatControl: null, expectedLoss: null, absolute: { estimate: 1, se: 0, ci: null } });
      expect(diffConst.relative.estimate).toBeCloseTo(0.5, 14);
      expect(diffConst.relative.ci).toBeNull();
      expect(diffConst.reason).toMatch(/zero standard error/);
      expect(diffConst.relative.reason).toMatch(/zero standard error/);
      expect(diffConst.criticalValue).toBeGreaterThan(1.9);
    }

    const arm = { units: 1000, sum: 2500, sumSquares: 15000 };
    for (const opts of [fixed, sequential]) {
      const same = compareMeans(arm, arm, opts);
      checkShape(same);
      expect(same.pValue).toBe(1);
      expect(same.absolute.estimate).toBe(0);
      expect(same.chanceToBeatControl).toBe(0.5);
    }
  });
  test('means n = 2 and n = 1e8 per arm (pinned vs mpmath/SciPy)', () => {
    for (const v of vectors.welchExtreme) {
      const r = compareMeans(v.control, v.treatment, fixed);
      checkShape(r);
      expectRel(r.statistic, v.t, 1e-8, `t [${v.call}]`);
      expectRel(r.df, v.df, 1e-8, 'df');
      expectRel(r.pValue, v.pValue, 1e-6, 'p');
      expectInterval(r.absolute.ci, v.ci, ciScale(v.estimate, v.se), 'ci');
    }
  });
  test('fewer than 2 units in an arm: defined answer with a reason', () => {
    const r = compareMeans({ units: 1, sum: 3, sumSquares: 9 }, { units: 50, sum: 100, sumSquares: 400 }, fixed);
    checkShape(r);
    expect(r).toMatchObject({ pValue: null, statistic: null, criticalValue: null, chanceToBeatControl: null, expectedLoss: null });
    expect(r.absolute.estimate).toBe(-1);
    expect(r.reason).toMatch(/at least 2 units/);
    const empty = compareBinary({ units: 0, conversions: 0 }, { units: 0, conversions: 0 }, sequential);
    checkShape(empty);
    expect(empty.absolute.estimate).toBeNull();
    const ratio = compareRatio(
      { units: 1, numSum: 1, numSumSquares: 1, denSum: 1, denSumSquares: 1, crossSum: 1 },
      { units: 1, numSum: 1, numSumSquares: 1, denSum: 1, denSumSquares: 1, crossSum: 1 },
      fixed,
    );
    checkShape(ratio);
    expect(ratio.pValue).toBeNull();
  });
  test('huge effect at n = 1e8: p underflows only when the true value is below double range', () => {
    const r = compareBinary({ units: 1e8, conversions: 0 }, { units: 1e8, conversions: 5e7 }, fixed);
    checkShape(r);
    expect(r.pValue).toBe(0); // z = 1e4: true p ≈ 10^(-2e7)
    expect(r.chanceToBeatControl).toBe(1);
  });
  test('options are validated', () => {
    const a = { units: 10, conversions: 2 };
    expect(() => compareBinary(a, a, { alpha: 1.2, analysis: 'fixed' })).toThrow(RangeError);
    expect(() => compareBinary(a, a, { alpha: 0.05, analysis: 'bogus' as 'fixed' })).toThrow(RangeError);
    expect(() => compareBinary(a, a, { alpha: 0.05, analysis: 'sequential', plannedSampleSize: 0 })).toThrow(RangeError);
    expect(comparisonCriticalValue(fixed, 100)).toBeCloseTo(1.959963984540054, 14);
    expect(comparisonCriticalValue({ ...sequential, plannedSampleSize: 1000 }, 6461)).toBeCloseTo(3.1846511445605183, 12);
  });
});

describe('properties (fast-check)', () => {
  const binaryArm = fc.integer({ min: 2, max: 1_000_000 }).chain((n) => fc.record({ units: fc.constant(n), conversions: fc.integer({ min: 0, max: n }) }));
  // Means/SDs from 1e-6 to 1e3 in magnitude plus exact 0 (subnormal sums are not meaningful data).
  const magnitude = fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max: 1e3, noNaN: true }));
  const meanArm = fc
    .record({
      units: fc.integer({ min: 2, max: 1e7 }),
      mean: fc.tuple(magnitude, fc.boolean()).map(([m, neg]) => (neg ? -m : m)),
      sd: magnitude,
    })
    .map(({ units, mean, sd }) => ({ units, sum: mean * units, sumSquares: (units - 1) * sd * sd + units * mean * mean }));
  const opts = fc.record({
    alpha: fc.constantFrom(0.001, 0.01, 0.05, 0.1, 0.2),
    analysis: fc.constantFrom('fixed' as const, 'sequential' as const),
  });

  test('binary: p in [0,1], CI contains the estimate, swapping arms flips the sign and keeps p', () => {
    fc.assert(
      fc.property(binaryArm, binaryArm, opts, (c, t, o) => {
        const r = compareBinary(c, t, o);
        const s = compareBinary(t, c, o);
        checkShape(r);
        if (r.absolute.estimate !== null) expect(s.absolute.estimate).toBe(-r.absolute.estimate);
        expect(s.pValue).toBe(r.pValue);
        if (r.chanceToBeatControl !== null && s.chanceToBeatControl !== null) {
          expect(Math.abs(r.chanceToBeatControl + s.chanceToBeatControl - 1)).toBeLessThan(1e-9);
        }
        return true;
      }),
      { numRuns: 150, seed: 1 },
    );
  });

  test('means: p in [0,1], CI contains the estimate, swapping arms flips the sign and keeps p', () => {
    fc.assert(
      fc.property(meanArm, meanArm, opts, (c, t, o) => {
        const r = compareMeans(c, t, o);
        const s = compareMeans(t, c, o);
        checkShape(r);
        if (r.absolute.estimate !== null && s.absolute.estimate !== null) {
          expect(Math.abs(s.absolute.estimate + r.absolute.estimate)).toBeLessThanOrEqual(1e-12 * Math.abs(r.absolute.estimate));
        }
        if (r.pValue !== null && s.pValue !== null) expect(Math.abs(s.pValue - r.pValue)).toBeLessThanOrEqual(1e-12 * r.pValue + 1e-300);
        else expect(s.pValue).toBe(r.pValue);
        return true;
      }),
      { numRuns: 500, seed: 2 },
    );
  });
});
