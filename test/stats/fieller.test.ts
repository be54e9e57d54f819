import fc from 'fast-check';
import { compareBinary, compareMeans, fiellerLift, relativeLiftEstimate } from '../../src/stats';
import vectors from './vectors/scipy.json';
import { ciScale, expectInterval } from './helpers';

describe("Fieller's interval vs mpmath roots of the quadratic (vectors/scipy.json \"fieller\")", () => {
  test.each(vectors.fieller)('mC=$meanC vC=$varC mT=$meanT vT=$varT c=$crit  [$call]', (v) => {
    const r = fiellerLift(v.meanC, v.varC, v.meanT, v.varT, v.crit);
    expect(r.estimate).toBeCloseTo(v.estimate, 14);
    // Scale: the lift's magnitude or its delta-method SE √(vT/mC² + mT²·vC/mC⁴), whichever is larger.
    const seLift = Math.sqrt(v.varT / v.meanC ** 2 + (v.meanT ** 2 * v.varC) / v.meanC ** 4);
    expectInterval(r.ci, v.ci, ciScale(v.estimate, seLift), 'fieller', 1e-10);
  });

  test('unbounded when the control mean is not distinguishable from 0, and undefined at 0', () => {
    const r = fiellerLift(0.5, 1, 2, 0.1, 1.96); // 0.25 <= 1.96²·1
    expect(r.ci).toBeNull();
    expect(r.reason).toMatch(/unbounded/);
    expect(r.estimate).toBeCloseTo(3, 14);
    const z = fiellerLift(0, 1, 2, 0.1, 1.96);
    expect(z).toMatchObject({ estimate: null, ci: null });
    expect(relativeLiftEstimate(0, 3).estimate).toBeNull();
  });

  test('zero variances collapse the interval to the point estimate', () => {
    expect(fiellerLift(4, 0, 5, 0, 1.96)).toEqual({ estimate: 0.25, ci: [0.25, 0.25] });
  });
});

describe('property: relative CI excludes 0 exactly when the absolute test is significant (fast-check)', () => {
  // Means and variances span 1e-6..1e2 in magnitude (and exact 0); values near the subnormal
  // range are excluded because m² underflows there and no floating-point test is meaningful.
  const mean = fc.oneof(
    fc.constant(0),
    fc.double({ min: 1e-6, max: 100, noNaN: true }),
    fc.double({ min: -100, max: -1e-6, noNaN: true }),
  );
  const variance = fc.oneof(fc.constant(0), fc.double({ min: 1e-12, max: 50, noNaN: true }));
  test('for arbitrary means/variances and critical values', () => {
    fc.assert(
      fc.property(
        mean,
        variance,
        mean,
        variance,
        fc.double({ min: 0.5, max: 6, noNaN: true }),
        (mC, vC, mT, vT, c) => {
          const r = fiellerLift(mC, vC, mT, vT, c);
          if (r.ci === null) return true; // unbounded: no interval to test
          const stat = (mT - mC) ** 2 - c * c * (vT + vC);
          if (Math.abs(stat) <= 1e-9 * (mT * mT + mC * mC + c * c * (vT + vC))) return true; // on the boundary
          const significant = stat > 0;
          const excludes = r.ci[0] > 0 || r.ci[1] < 0;
          return significant === excludes && r.ci[0] <= r.ci[1];
        },
      ),
      { numRuns: 3000, seed: 42 },
    );
  });

  test('through compareBinary / compareMeans, fixed and sequential', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 100_000 }),
        fc.integer({ min: 20, max: 100_000 }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        fc.double({ min: -0.5, max: 0.5, noNaN: true }),
        fc.constantFrom('fixed' as const, 'sequential' as const),
        fc.constantFrom(0.01, 0.05, 0.1),
        (nC, nT, pC, lift, analysis, alpha) => {
          const pT = Math.min(0.999, Math.max(0.001, pC * (1 + lift)));
          const r = compareBinary(
            { units: nC, conversions: Math.round(pC * nC) },
            { units: nT, conversions: Math.round(pT * nT) },
            { alpha, analysis },
          );
          if (r.relative.ci === null || r.statistic === null || r.criticalValue === null) return true;
          if (Math.abs(Math.abs(r.statistic) - r.criticalValue) < 1e-9) return true;
          const significant = Math.abs(r.statistic) > r.criticalValue;
          const excludes = r.relative.ci[0] > 0 || r.relative.ci[1] < 0;
          const pAgrees = (r.pValue as number) < alpha === significant;
          return significant === excludes && pAgrees;
        },
      ),
      { numRuns: 150, seed: 7 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 5000 }),
        fc.double({ min: 0.5, max: 50, noNaN: true }),
        fc.double({ min: 0.1, max: 30, noNaN: true }),
        fc.double({ min: -0.3, max: 0.3, noNaN: true }),
        (n, mean, sd, lift) => {
          const arm = (m: number) => ({ units: n, sum: m * n, sumSquares: (n - 1) * sd * sd + n * m * m });
          const r = compareMeans(arm(mean), arm(mean * (1 + lift)), { alpha: 0.05, analysis: 'fixed' });
          if (r.relative.ci === null || r.statistic === null || r.criticalValue === null) return true;
          if (Math.abs(Math.abs(r.statistic) - r.criticalValue) < 1e-9) return true;
          return (Math.abs(r.statistic) > r.criticalValue) === (r.relative.ci[0] > 0 || r.relative.ci[1] < 0);
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });
});
