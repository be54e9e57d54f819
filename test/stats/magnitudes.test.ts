import fc from 'fast-check';
import {
  compareBinary,
  compareMeans,
  compareRatio,
  logRatioEffect,
  meanEstimate,
  powerMeans,
  powerRatio,
  ratioEstimate,
  type MeanArm,
  type RatioArm,
} from '../../src/stats';
import { expectNoNonFinite } from './helpers';

/**
 * Whatever the magnitudes of finite, consistent sums (per-unit values from the smallest
 * subnormal to far beyond any revenue, against each other), the statistics never throw and
 * never answer NaN or ±Infinity: a figure that cannot be computed in double precision is null,
 * and a reason says why. (Conversion values are bounded at ±1e9, but a unit's sum is its
 * events' sum, and nothing bounds a value from below: 1e-300 is a valid value.)
 */
const magnitude = fc.oneof(
  fc.constantFrom(0, Number.MIN_VALUE, 1e-308, 1e-300, 1e-200, 1e-160, 1e-150, 1e-100, 1e12, 1e15, 1e30, 1e100, 1e150, 1e154),
  fc.double({ min: 1e-12, max: 1e9, noNaN: true }),
);
const signed = fc.tuple(magnitude, fc.boolean()).map(([m, negative]) => (negative ? -m : m));

/** An arm whose units hold one of two values: `k` of them `a`, the rest `b` (converters and non-converters). */
const meanArm: fc.Arbitrary<MeanArm> = fc
  .record({ units: fc.integer({ min: 2, max: 1e6 }), share: fc.double({ min: 0, max: 1, noNaN: true }), a: signed, b: fc.oneof(fc.constant(0), signed) })
  .map(({ units, share, a, b }) => {
    const k = Math.round(share * units);
    return { units, sum: k * a + (units - k) * b, sumSquares: k * a * a + (units - k) * b * b };
  })
  .filter((arm) => Number.isFinite(arm.sum) && Number.isFinite(arm.sumSquares));

const ratioArm: fc.Arbitrary<RatioArm> = fc
  .record({ units: fc.integer({ min: 2, max: 1e6 }), share: fc.double({ min: 0, max: 1, noNaN: true }), num: signed, den: magnitude, num2: signed, den2: magnitude })
  .map(({ units, share, num, den, num2, den2 }) => {
    const k = Math.round(share * units);
    const r = units - k;
    return {
      units,
      numSum: k * num + r * num2,
      numSumSquares: k * num * num + r * num2 * num2,
      denSum: k * den + r * den2,
      denSumSquares: k * den * den + r * den2 * den2,
      crossSum: k * num * den + r * num2 * den2,
    };
  })
  .filter((arm) => Object.values(arm).every(Number.isFinite));

const opts = fc.record({ alpha: fc.constantFrom(0.01, 0.05), analysis: fc.constantFrom('fixed' as const, 'sequential' as const) });

function nullsHaveReasons(r: { reason?: string; relative: { estimate: number | null; ci: unknown; reason?: string }; pValue: number | null; absolute: { estimate: number | null; ci: unknown } }) {
  if (r.pValue === null || r.absolute.ci === null || r.absolute.estimate === null) expect(typeof r.reason).toBe('string');
  if (r.relative.estimate === null || r.relative.ci === null) expect(typeof r.relative.reason).toBe('string');
}

test('means: no throw, no NaN or infinity, every null with a reason', () => {
  fc.assert(
    fc.property(meanArm, meanArm, opts, (c, t, o) => {
      const r = compareMeans(c, t, o);
      expectNoNonFinite(r);
      nullsHaveReasons(r);
      const e = meanEstimate(c);
      expectNoNonFinite(e);
      if (e.mean !== null && e.unitVariance !== null) {
        const p = powerMeans(e.mean, e.unitVariance);
        expectNoNonFinite(p);
        if (p.unitsPerArm === null) expect(typeof p.reason).toBe('string');
      }
    }),
    { numRuns: 3000, seed: 14 },
  );
});

test('ratios: no throw, no NaN or infinity, every null with a reason', () => {
  fc.assert(
    fc.property(ratioArm, ratioArm, opts, (c, t, o) => {
      const r = compareRatio(c, t, o);
      expectNoNonFinite(r);
      nullsHaveReasons(r);
      const e = ratioEstimate(c);
      expectNoNonFinite(e);
      if (e.ratio === null || e.se === null) expect(typeof e.reason).toBe('string');
      const p = powerRatio(c);
      expectNoNonFinite(p);
      if (p.unitsPerArm === null) expect(typeof p.reason).toBe('string');
    }),
    { numRuns: 3000, seed: 15 },
  );
});

test('the log lift pooled across experiments: finite, or null with a reason', () => {
  const arm = fc.record({ mean: signed, se: magnitude });
  fc.assert(
    fc.property(arm, arm, (c, t) => {
      const e = logRatioEffect(c, t);
      expectNoNonFinite(e);
      if (e.yi === null) expect(typeof (e as { reason?: string }).reason).toBe('string');
    }),
    { numRuns: 2000, seed: 16 },
  );
});

test('binary metrics at any size stay finite (a reference point: counts cannot overflow)', () => {
  const r = compareBinary({ units: 2 ** 40, conversions: 3 }, { units: 2 ** 40, conversions: 2 ** 39 }, { alpha: 0.05, analysis: 'fixed' });
  expectNoNonFinite(r);
});

test('a statistic beyond double precision (1e15 over a standard error near 1e-150) is null with a reason, not Infinity', () => {
  const control = { units: 389317, numSum: 3.89317e-155, numSumSquares: 3.89317e-315, denSum: 3.89317e-7, denSumSquares: 3.89317e-19, crossSum: 3.89317e-167 };
  const treatment = { units: 2, numSum: 2e15, numSumSquares: 2e30, denSum: 2e-150, denSumSquares: 2e-300, crossSum: 2e-135 };
  const r = compareRatio(control, treatment, { alpha: 0.01, analysis: 'fixed' });
  expectNoNonFinite(r);
  expect(r.statistic).toBeNull();
  expect(r.reason).toMatch(/double precision/);
});
