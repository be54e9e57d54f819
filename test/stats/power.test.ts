import { powerBinary, powerMeans, powerRatio } from '../../src/stats';
import rVectors from './vectors/r.json';
import vectors from './vectors/scipy.json';

describe('sample size per arm: our normal formula computed with SciPy (vectors/scipy.json "power")', () => {
  test.each(vectors.power)('$kind baseline $baseline mde $mde alpha $alpha power $power → $unitsPerArm  [$call]', (v) => {
    const opts = { alpha: v.alpha, power: v.power, mde: v.mde };
    const r = v.kind === 'binary' ? powerBinary(v.baseline, opts) : powerMeans(v.baseline, v.unitVariance as number, opts);
    expect(r.unitsPerArm).toBe(v.unitsPerArm);
    expect(r.absoluteEffect).toBeCloseTo(v.baseline * v.mde, 14);
  });
});

describe("agreement with R's power.prop.test / power.t.test (different but close formulas)", () => {
  // power.prop.test uses the pooled variance under H0 for the alpha term; power.t.test the
  // noncentral t. Both also count the (negligible) opposite tail. We claim ≤ 0.1% agreement (observed: 57760 vs 57762.7, 80679 vs 80681.4, 6280 vs 6280.06).
  test.each(rVectors.power)('$call = $n', (v) => {
    const r =
      'baselineRate' in v && v.baselineRate !== undefined
        ? powerBinary(v.baselineRate, { mde: v.mde })
        : powerMeans((v as { mean: number }).mean, (v as { unitVariance: number }).unitVariance, { mde: v.mde });
    const ours = r.unitsPerArm as number;
    expect(Math.abs(ours - v.n) / v.n).toBeLessThan(0.001);
  });
});

describe('defaults and degenerate input', () => {
  test('defaults are alpha 0.05, power 0.8, mde 0.05', () => {
    expect(powerBinary(0.1).unitsPerArm).toBe(powerBinary(0.1, { alpha: 0.05, power: 0.8, mde: 0.05 }).unitsPerArm);
  });
  test('no effect to detect, impossible rates, zero variance', () => {
    expect(powerBinary(0).unitsPerArm).toBeNull();
    expect(powerBinary(0.99, { mde: 0.05 }).unitsPerArm).toBeNull(); // 1.0395 > 1
    expect(powerMeans(0, 4).unitsPerArm).toBeNull();
    expect(powerMeans(10, 0).unitsPerArm).toBe(2);
    expect(() => powerBinary(1.5)).toThrow(RangeError);
    expect(() => powerMeans(10, 4, { power: 1 })).toThrow(RangeError);
  });
  test('ratio metrics use the per-unit delta-method variance of the control ratio', () => {
    // num = 2·den exactly → zero ratio variance → minimum size
    const exact = { units: 3, numSum: 12, numSumSquares: 56, denSum: 6, denSumSquares: 14, crossSum: 28 };
    expect(powerRatio(exact).unitsPerArm).toBe(2);
    const noisy = { units: 4, numSum: 10, numSumSquares: 30, denSum: 8, denSumSquares: 18, crossSum: 21 };
    const r = powerRatio(noisy);
    expect(r.unitsPerArm).toBeGreaterThan(2);
    expect(powerRatio({ ...noisy, denSum: 0 }).unitsPerArm).toBeNull();
  });
});
