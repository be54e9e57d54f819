import { compareBinary, proportionDifference, proportionEstimate } from '../../src/stats';
import vectors from './vectors/scipy.json';
import { ciScale, expectInterval, expectNoNonFinite, expectRel } from './helpers';

describe('binary metrics: unpooled Wald difference vs mpmath/SciPy (vectors/scipy.json "binary")', () => {
  test.each(vectors.binary)('$control.conversions/$control.units vs $treatment.conversions/$treatment.units (alpha $alpha)', (v) => {
    const fixed = compareBinary(v.control, v.treatment, { alpha: v.alpha, analysis: 'fixed' });
    expectNoNonFinite(fixed);
    expect(fixed.absolute.estimate).toBeCloseTo(v.estimate, 15);
    expectRel(fixed.absolute.se ?? NaN, v.se, 1e-12, 'se');
    if (v.z === undefined) {
      // zero standard error: see the degenerate-input tests
      return;
    }
    const scale = ciScale(v.estimate, v.se); // CI bounds to 1e-8 of this (reference values)
    expectRel(fixed.statistic, v.z, 1e-10, 'z');
    expectRel(fixed.pValue, v.pValue as number, 1e-6, `p [${v.call}]`);
    expectInterval(fixed.absolute.ci, v.ci as number[], scale, 'ci');
    expect(fixed.df).toBeNull();
    const seq = compareBinary(v.control, v.treatment, { alpha: v.alpha, analysis: 'sequential' });
    const s = v.sequential as { criticalValue: number; ci: number[]; pValue: number };
    expectRel(seq.criticalValue, s.criticalValue, 1e-12, 'sequential crit');
    expectInterval(seq.absolute.ci, s.ci, scale, 'sequential ci');
    expectRel(seq.pValue, s.pValue, 1e-6, 'sequential p');
  });

  test('Newcombe (1998) worked example: 56/70 vs 48/80 → 0.2, Wald 95% CI 0.0575 to 0.3425', () => {
    const r = compareBinary({ units: 80, conversions: 48 }, { units: 70, conversions: 56 }, { alpha: 0.05, analysis: 'fixed' });
    expect(r.absolute.estimate).toBeCloseTo(0.2, 14);
    expect(r.absolute.ci?.[0]).toBeCloseTo(0.0575, 4);
    expect(r.absolute.ci?.[1]).toBeCloseTo(0.3425, 4);
  });

  test('p-value near 1e-300 is reported as the tiny positive number', () => {
    const v = vectors.binary.find((b) => b.treatment.conversions === 116_250)!;
    const r = compareBinary(v.control, v.treatment, { alpha: 0.05, analysis: 'fixed' });
    expect(r.pValue).toBeGreaterThan(0);
    expect(r.pValue).toBeLessThan(1e-298);
    expectRel(r.pValue, v.pValue as number, 1e-6, 'p');
  });

  test('per-arm estimate: rates 0 and 1 have exactly zero variance', () => {
    expect(proportionEstimate({ units: 50, conversions: 0 })).toEqual({ rate: 0, unitVariance: 0, se: 0 });
    expect(proportionEstimate({ units: 50, conversions: 50 })).toEqual({ rate: 1, unitVariance: 0, se: 0 });
    expect(proportionEstimate({ units: 0, conversions: 0 })).toEqual({ rate: null, unitVariance: null, se: null });
    expect(proportionDifference({ units: 0, conversions: 0 }, { units: 5, conversions: 1 })).toEqual({ estimate: null, se: null });
  });

  test('invalid input throws', () => {
    const o = { alpha: 0.05, analysis: 'fixed' as const };
    expect(() => compareBinary({ units: 10, conversions: 11 }, { units: 10, conversions: 1 }, o)).toThrow(RangeError);
    expect(() => compareBinary({ units: -1, conversions: 0 }, { units: 10, conversions: 1 }, o)).toThrow(RangeError);
    expect(() => compareBinary({ units: 10.5, conversions: 0 }, { units: 10, conversions: 1 }, o)).toThrow(RangeError);
    expect(() => compareBinary({ units: 10, conversions: 1 }, { units: 10, conversions: 1 }, { alpha: 0, analysis: 'fixed' })).toThrow(RangeError);
  });
});
