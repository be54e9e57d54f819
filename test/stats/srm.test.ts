import { sampleRatioMismatch } from '../../src/stats';
import vectors from './vectors/scipy.json';
import { expectRel } from './helpers';

describe('SRM chi-square vs scipy.stats.chisquare (vectors/scipy.json "srm")', () => {
  test.each(vectors.srm)('$observed with weights $weights  [$call]', (v) => {
    const r = sampleRatioMismatch(v.observed, v.weights);
    expectRel(r.chiSquare, v.chiSquare === 0 ? 0 : v.chiSquare, v.chiSquare === 0 ? 0 : 1e-12, 'chi2');
    expect(r.df).toBe(v.observed.length - 1);
    if (v.pValue === 1) expect(r.pValue).toBe(1);
    else expectRel(r.pValue, v.pValue, 1e-6, 'p');
    expect(r.mismatch).toBe(v.pValue < 0.001);
  });

  test('zero totals, zero-weight variants, custom threshold', () => {
    expect(sampleRatioMismatch([0, 0], [1, 1])).toMatchObject({ chiSquare: 0, pValue: 1, mismatch: false });
    expect(sampleRatioMismatch([500, 0, 500], [1, 0, 1])).toMatchObject({ chiSquare: 0, df: 1, pValue: 1, mismatch: false });
    expect(sampleRatioMismatch([500, 3, 500], [1, 0, 1])).toMatchObject({ chiSquare: null, pValue: 0, mismatch: true });
    expect(sampleRatioMismatch([5100, 4900], [1, 1], 0.05).mismatch).toBe(true);
    expect(sampleRatioMismatch([5100, 4900], [1, 1]).mismatch).toBe(false);
    // weights that need normalising give the same answer as normalised ones
    expect(sampleRatioMismatch([1000, 2000, 3050], [2, 3, 5])).toEqual(sampleRatioMismatch([1000, 2000, 3050], [0.2, 0.3, 0.5]));
  });

  test('huge imbalance at 1e8 units: tiny but positive p where representable', () => {
    const r = sampleRatioMismatch([50_100_000, 49_900_000], [1, 1]);
    expect(r.pValue).toBeGreaterThan(0);
    expect(r.pValue).toBeLessThan(1e-80);
    expect(r.mismatch).toBe(true);
  });

  test('invalid input throws', () => {
    expect(() => sampleRatioMismatch([1, 2], [1])).toThrow(RangeError);
    expect(() => sampleRatioMismatch([1], [1])).toThrow(RangeError);
    expect(() => sampleRatioMismatch([1, -2], [1, 1])).toThrow(RangeError);
    expect(() => sampleRatioMismatch([1, 2], [0, 0])).toThrow(RangeError);
  });
});
