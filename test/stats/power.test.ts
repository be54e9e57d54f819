import { powerAdvice, powerBinary, powerMeans, powerRatio, unitsPerArmForLift, type PowerBaseline } from '../../src/stats';
import intervals from './vectors/intervals.json';
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
    // zero variance: null with a reason, not the 2-unit floor (types.ts)
    expect(powerMeans(10, 0)).toMatchObject({ unitsPerArm: null, absoluteEffect: 0.5 });
    expect(powerMeans(10, 0).reason).toMatch(/no variance/);
    expect(() => powerBinary(1.5)).toThrow(RangeError);
    expect(() => powerMeans(10, 4, { power: 1 })).toThrow(RangeError);
  });
  test('ratio metrics use the per-unit delta-method variance of the control ratio', () => {
    // num = 2·den exactly → zero ratio variance → minimum size
    const exact = { units: 3, numSum: 12, numSumSquares: 56, denSum: 6, denSumSquares: 14, crossSum: 28 };
    expect(powerRatio(exact).unitsPerArm).toBeNull();
    const noisy = { units: 4, numSum: 10, numSumSquares: 30, denSum: 8, denSumSquares: 18, crossSum: 21 };
    const r = powerRatio(noisy);
    expect(r.unitsPerArm).toBeGreaterThan(2);
    expect(powerRatio({ ...noisy, denSum: 0 }).unitsPerArm).toBeNull();
  });
});

describe('sample size for a signed lift (vectors/intervals.json "power", the formula above computed with SciPy)', () => {
  test.each(intervals.power)('$type lift $lift → $unitsPerArm  [$call]', (v) => {
    const baseline: PowerBaseline = v.type === 'binary' ? { type: 'binary', rate: v.rate as number } : { type: 'mean', mean: v.mean as number, unitVariance: v.unitVariance as number };
    expect(unitsPerArmForLift(baseline, v.lift).unitsPerArm).toBe(v.unitsPerArm);
  });
});

describe('power advice that knows the direction (powerAdvice)', () => {
  const n = (rate: number, lift: number) => intervals.power.find((p) => p.type === 'binary' && p.rate === rate && p.lift === lift)!.unitsPerArm;

  test('a metric that should fall is powered for a fall of the MDE, not a rise', () => {
    const a = powerAdvice({ baseline: { type: 'binary', rate: 0.08 }, direction: 'decrease', mde: 0.05, observedLift: null, unitsPerArm: 10_000 });
    expect(a).toMatchObject({ quote: 'target', lift: -0.05, unitsPerArm: n(0.08, -0.05), moreUnitsPerArm: n(0.08, -0.05) - 10_000, observed: null });
    expect(a.unitsPerArm).not.toBe(n(0.08, 0.05)); // the sign matters for a rate
  });

  test('+52 % observed against a 5 % MDE: the advice quotes the observed effect and says it is already detectable', () => {
    const a = powerAdvice({ baseline: { type: 'binary', rate: 0.04 }, direction: 'increase', mde: 0.05, observedLift: 0.52, unitsPerArm: 2500 });
    expect(a).toMatchObject({ quote: 'observed', lift: 0.52, unitsPerArm: n(0.04, 0.52), moreUnitsPerArm: 0 });
    expect(a.observed).toMatchObject({ direction: 'good', detectable: true, unitsPerArm: 1733 });
    expect(a.target.lift).toBe(0.05);
    // with fewer units than a +52 % effect needs: not yet detectable, and how many more
    const early = powerAdvice({ baseline: { type: 'binary', rate: 0.04 }, direction: 'increase', mde: 0.05, observedLift: 0.52, unitsPerArm: 1000 });
    expect(early).toMatchObject({ quote: 'observed', moreUnitsPerArm: 733, observed: { detectable: false } });
  });

  test('an observed move the wrong way, or smaller than the MDE, keeps the MDE in the good direction', () => {
    const bad = powerAdvice({ baseline: { type: 'mean', mean: 12, unitVariance: 900 }, direction: 'decrease', mde: 0.05, observedLift: 0.52, unitsPerArm: 500 });
    expect(bad).toMatchObject({ quote: 'target', lift: -0.05, unitsPerArm: 39_245, moreUnitsPerArm: 38_745, observed: { direction: 'bad', unitsPerArm: 363, detectable: true } });
    const small = powerAdvice({ baseline: { type: 'binary', rate: 0.2 }, direction: 'decrease', mde: 0.1, observedLift: -0.04, unitsPerArm: 100 });
    expect(small).toMatchObject({ quote: 'target', lift: -0.1, unitsPerArm: n(0.2, -0.1), observed: { direction: 'good' } });
    const none = powerAdvice({ baseline: { type: 'binary', rate: 0.2 }, direction: 'increase', mde: 0.1, observedLift: 0, unitsPerArm: 100 });
    expect(none.observed).toMatchObject({ direction: 'none', unitsPerArm: null, detectable: null });
  });

  test('undefined sample sizes carry their reason; invalid input throws', () => {
    const flat = powerAdvice({ baseline: { type: 'mean', mean: 5, unitVariance: 0 }, direction: 'increase', mde: 0.05, observedLift: 0.3, unitsPerArm: 50 });
    expect(flat).toMatchObject({ quote: 'target', unitsPerArm: null, moreUnitsPerArm: null });
    expect(flat.reason).toMatch(/no variance/);
    const tooBig = powerAdvice({ baseline: { type: 'binary', rate: 0.6 }, direction: 'increase', mde: 0.05, observedLift: 0.9, unitsPerArm: 50 });
    expect(tooBig.observed?.reason).toMatch(/outside \[0, 1\]/);
    expect(tooBig.quote).toBe('target');
    expect(() => powerAdvice({ baseline: { type: 'binary', rate: 0.1 }, direction: 'increase', mde: -0.05, observedLift: null, unitsPerArm: 5 })).toThrow(RangeError);
    expect(() => powerAdvice({ baseline: { type: 'binary', rate: 0.1 }, direction: 'up' as 'increase', mde: 0.05, observedLift: null, unitsPerArm: 5 })).toThrow(RangeError);
  });
});
