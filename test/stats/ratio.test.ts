import fc from 'fast-check';
import { compareRatio, ratioEstimate, type Comparison, type RatioArm } from '../../src/stats';
import vectors from './vectors/scipy.json';
import { ciScale, expectInterval, expectNoNonFinite, expectRel } from './helpers';

function sufficient(num: number[], den: number[]): RatioArm {
  let numSum = 0, numSumSquares = 0, denSum = 0, denSumSquares = 0, crossSum = 0;
  num.forEach((x, i) => {
    const y = den[i];
    numSum += x;
    numSumSquares += x * x;
    denSum += y;
    denSumSquares += y * y;
    crossSum += x * y;
  });
  return { units: num.length, numSum, numSumSquares, denSum, denSumSquares, crossSum };
}

describe('ratio metrics: delta method vs a direct per-unit numpy computation (vectors/scipy.json "ratio")', () => {
  test.each(vectors.ratio)('$label  [$call]', (v) => {
    const control = sufficient(v.control.num, v.control.den);
    const treatment = sufficient(v.treatment.num, v.treatment.den);
    const c = ratioEstimate(control);
    const t = ratioEstimate(treatment);
    expectRel(c.ratio, v.control.ratio, 1e-13, 'control ratio');
    expectRel(c.se, v.control.se, 1e-10, 'control se');
    expectRel(t.se, v.treatment.se, 1e-10, 'treatment se');
    const r = compareRatio(control, treatment, { alpha: 0.05, analysis: 'fixed' });
    expectNoNonFinite(r);
    expectRel(r.absolute.estimate, v.estimate, 1e-12, 'estimate');
    expectRel(r.statistic, v.z, 1e-9, 'z');
    expectRel(r.pValue, v.pValue, 1e-6, 'p');
    expectInterval(r.absolute.ci, v.ci, ciScale(v.estimate, v.se), 'ci');
    expect(r.df).toBeNull();
  });

  test('the covariance term matters: perfectly proportional num and den have zero ratio variance', () => {
    // num = 3·den for every unit → R is exactly 3 whatever the units, so Var(R̂) = 0.
    const den = [1, 2, 5, 7, 3];
    const arm = sufficient(den.map((d) => 3 * d), den);
    expect(ratioEstimate(arm)).toEqual({ ratio: 3, se: 0 });
  });

  test('degenerate ratio input gives nulls with a reason', () => {
    const zeroDen: RatioArm = { units: 5, numSum: 3, numSumSquares: 5, denSum: 0, denSumSquares: 0, crossSum: 0 };
    expect(ratioEstimate(zeroDen).ratio).toBeNull();
    const ok = sufficient([1, 2, 3], [1, 1, 2]);
    const r = compareRatio(zeroDen, ok, { alpha: 0.05, analysis: 'fixed' });
    expect(r.pValue).toBeNull();
    expect(r.reason).toMatch(/denominator/);
    expectNoNonFinite(r);
    const one = sufficient([2], [1]);
    expect(ratioEstimate(one)).toMatchObject({ ratio: 2, se: null });
  });
});

describe('ratio metrics at the extremes: n = 2 and n = 1e8 per arm, p near 1e-300 (vectors/scipy.json "ratioExtreme")', () => {
  test.each(vectors.ratioExtreme)('$label  [$call]', (v) => {
    const c = ratioEstimate(v.control);
    const t = ratioEstimate(v.treatment);
    expectRel(c.ratio, v.controlRatio, 1e-14, 'control ratio');
    expectRel(t.ratio, v.treatmentRatio, 1e-14, 'treatment ratio');
    expectRel(c.se, v.controlSe, 1e-10, 'control se');
    expectRel(t.se, v.treatmentSe, 1e-10, 'treatment se');
    const scale = ciScale(v.estimate, v.se);
    const fixed = compareRatio(v.control, v.treatment, { alpha: v.alpha, analysis: 'fixed' });
    expectNoNonFinite(fixed);
    expectRel(fixed.absolute.estimate, v.estimate, 1e-11, 'estimate');
    expectRel(fixed.absolute.se, v.se, 1e-10, 'se');
    expectRel(fixed.statistic, v.z, 1e-10, 'z');
    expectRel(fixed.pValue, v.pValue, 1e-6, 'p');
    expect(fixed.pValue).toBeGreaterThan(0);
    expectInterval(fixed.absolute.ci, v.ci, scale, 'ci');
    const seq = compareRatio(v.control, v.treatment, { alpha: v.alpha, analysis: 'sequential' });
    expectNoNonFinite(seq);
    expectRel(seq.criticalValue, v.sequential.criticalValue, 1e-12, 'sequential crit');
    expectInterval(seq.absolute.ci, v.sequential.ci, scale, 'sequential ci');
    expectRel(seq.pValue, v.sequential.pValue, 1e-6, 'sequential p');
  });

  test('the pinned set covers n = 1e8 per arm and a p-value within a few units of 1e-300', () => {
    expect(vectors.ratioExtreme.some((v) => v.control.units === 1e8 && v.treatment.units === 1e8)).toBe(true);
    const tiny = Math.min(...vectors.ratioExtreme.map((v) => v.pValue));
    expect(tiny).toBeGreaterThan(1e-301);
    expect(tiny).toBeLessThan(1e-299);
  });
});

describe('ratio properties (fast-check): p in [0,1]; CI contains the estimate; swapping arms flips the sign and keeps p', () => {
  // Arms built from per-unit moments so that the sums are those of real data: n from 2 to 1e8,
  // denominator mean 0.01..1e3 (> 0), numerator mean of either sign, SDs 0..1e3 (incl. exact 0),
  // correlation in [-1, 1].
  const pos = fc.double({ min: 1e-2, max: 1e3, noNaN: true });
  const sd = fc.oneof(fc.constant(0), fc.double({ min: 1e-4, max: 1e3, noNaN: true }));
  const ratioArm: fc.Arbitrary<RatioArm> = fc
    .record({
      units: fc.oneof(fc.integer({ min: 2, max: 1000 }), fc.integer({ min: 2, max: 1e8 })),
      muDen: pos,
      muNum: fc.tuple(fc.oneof(fc.constant(0), pos), fc.boolean()).map(([m, neg]) => (neg ? -m : m)),
      sdDen: sd,
      sdNum: sd,
      rho: fc.double({ min: -1, max: 1, noNaN: true }),
    })
    .map(({ units: n, muDen, muNum, sdDen, sdNum, rho }) => ({
      units: n,
      numSum: n * muNum,
      numSumSquares: (n - 1) * sdNum * sdNum + n * muNum * muNum,
      denSum: n * muDen,
      denSumSquares: (n - 1) * sdDen * sdDen + n * muDen * muDen,
      crossSum: (n - 1) * rho * sdNum * sdDen + n * muNum * muDen,
    }));
  const opts = fc.record({
    alpha: fc.constantFrom(0.001, 0.01, 0.05, 0.1, 0.2),
    analysis: fc.constantFrom('fixed' as const, 'sequential' as const),
  });

  function checkShape(r: Comparison): void {
    expectNoNonFinite(r);
    if (r.pValue !== null) {
      expect(r.pValue).toBeGreaterThanOrEqual(0);
      expect(r.pValue).toBeLessThanOrEqual(1);
    } else {
      expect(typeof r.reason).toBe('string');
    }
    if (r.absolute.ci !== null && r.absolute.estimate !== null) {
      expect(r.absolute.ci[0]).toBeLessThanOrEqual(r.absolute.estimate);
      expect(r.absolute.ci[1]).toBeGreaterThanOrEqual(r.absolute.estimate);
    }
    if (r.relative.ci && r.relative.estimate !== null) {
      expect(r.relative.ci[0]).toBeLessThanOrEqual(r.relative.estimate + 1e-12 * Math.abs(r.relative.estimate));
      expect(r.relative.ci[1]).toBeGreaterThanOrEqual(r.relative.estimate - 1e-12 * Math.abs(r.relative.estimate));
    }
    if (r.chanceToBeatControl !== null) {
      expect(r.chanceToBeatControl).toBeGreaterThanOrEqual(0);
      expect(r.chanceToBeatControl).toBeLessThanOrEqual(1);
    }
  }

  test('compareRatio, fixed and sequential', () => {
    let tested = 0; // comparisons with a p-value (null only when both arms have zero ratio variance)
    fc.assert(
      fc.property(ratioArm, ratioArm, opts, (c, t, o) => {
        const r = compareRatio(c, t, o);
        const s = compareRatio(t, c, o);
        checkShape(r);
        checkShape(s);
        if (r.pValue !== null) tested++;
        // exact negation (=== so that 0 and −0 count as equal)
        if (r.absolute.estimate !== null) expect(s.absolute.estimate === -r.absolute.estimate).toBe(true);
        expect(s.pValue).toBe(r.pValue);
        expect(s.absolute.se).toBe(r.absolute.se);
        if (r.absolute.ci !== null && s.absolute.ci !== null) {
          expect(s.absolute.ci[0] === -r.absolute.ci[1] && s.absolute.ci[1] === -r.absolute.ci[0]).toBe(true);
        }
        if (r.chanceToBeatControl !== null && s.chanceToBeatControl !== null) {
          expect(Math.abs(r.chanceToBeatControl + s.chanceToBeatControl - 1)).toBeLessThan(1e-9);
        }
        return true;
      }),
      { numRuns: 400, seed: 3 },
    );
    expect(tested).toBeGreaterThan(300);
  });
});
