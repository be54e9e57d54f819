import fc from 'fast-check';
import {
  DEFAULT_SEQUENTIAL_TUNING,
  compareMeans,
  fixedCriticalValue,
  pairPlannedSampleSize,
  sequentialCriticalValue,
  sequentialPValue,
  sequentialRho,
  sequentialTest,
} from '../../src/stats';
import vectors from './vectors/scipy.json';
import { expectRel } from './helpers';

describe('asymptotic confidence sequence (Waudby-Smith et al. 2023) vs the formula in mpmath', () => {
  test.each(vectors.sequential.critical)('critical value N=$n alpha=$alpha N*=$tuning → $value', (v) => {
    expectRel(sequentialCriticalValue(v.n, v.alpha, v.tuning), v.value, 1e-12, 'crit');
  });
  test.each(vectors.sequential.pValue)('always-valid p z=$z N=$n alpha=$alpha N*=$tuning → $value', (v) => {
    expectRel(sequentialPValue(v.z, v.n, v.alpha, v.tuning), v.value, 1e-9, 'p');
  });

  test('GrowthBook published vector: SequentialTwoSidedTTest, N = 6461, tuning 1000 → halfwidth (1.56516 + 0.55844)/2', () => {
    // gbstats tests/frequentist/test_tests.py::test_sequential_test_runs (relative effect 0.50336,
    // SE 0.3334122146400735 from the same file's one-sided test, ci (-0.55844, 1.56516) at 5 dp).
    const half = sequentialCriticalValue(6461, 0.05, 1000) * 0.3334122146400735;
    expect(0.5033610858562358 - half).toBeCloseTo(-0.55844, 5);
    expect(0.5033610858562358 + half).toBeCloseTo(1.56516, 5);
  });

  test('p <= alpha exactly when |z| >= critical value', () => {
    for (const n of [10, 1000, 1e5, 1e8]) {
      for (const alpha of [0.01, 0.05, 0.2]) {
        const c = sequentialCriticalValue(n, alpha);
        expectRel(sequentialPValue(c, n, alpha), alpha, 1e-12, `p at crit n=${n}`);
        expect(sequentialPValue(c * 1.0001, n, alpha)).toBeLessThan(alpha);
        expect(sequentialPValue(c * 0.9999, n, alpha)).toBeGreaterThan(alpha);
      }
    }
  });

  test('rho matches eq. 161; the critical value is smallest near N* while the halfwidth keeps shrinking', () => {
    expectRel(sequentialRho(0.05, 10000), Math.sqrt((-2 * Math.log(0.05) + Math.log(1 - 2 * Math.log(0.05))) / 10000), 1e-15, 'rho');
    const at = (n: number) => sequentialCriticalValue(n, 0.05, 10000);
    expect(at(10000)).toBeLessThan(at(1000));
    expect(at(10000)).toBeLessThan(at(100000));
    const halfwidthPerSigma = [100, 1000, 1e4, 1e5, 1e6, 1e8].map((n) => at(n) / Math.sqrt(n));
    expect(halfwidthPerSigma).toEqual([...halfwidthPerSigma].sort((a, b) => b - a));
  });

  test('huge z gives a tiny positive p, never NaN; p is 1 for small z', () => {
    const p = sequentialPValue(37.5, 1e6, 0.05); // ≈ 8e-304
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1e-300);
    expect(sequentialPValue(120, 2e4, 0.05)).toBe(0); // true value ~1e-3100: below double range
    expect(sequentialPValue(0, 1e6, 0.05)).toBe(1);
    expect(sequentialPValue(0.5, 10, 0.05)).toBe(1);
    expect(sequentialTest(0, 0, 100, 0.05)).toMatchObject({ pValue: 1, ci: [0, 0] });
  });
});

describe('sequential interval is always wider than the fixed one at the same N', () => {
  // Claim (proved in src/stats/sequential.ts): c_seq² > −2 ln α ≥ z²_{1−α/2} for every N > 0, α ∈ (0,1), N* > 0.
  test('fast-check over N, alpha and N*', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 1e10, noNaN: true }),
        fc.double({ min: 1e-10, max: 0.99, noNaN: true }),
        fc.double({ min: 1, max: 1e9, noNaN: true }),
        (n, alpha, tuning) => sequentialCriticalValue(n, alpha, tuning) > fixedCriticalValue(alpha),
      ),
      { numRuns: 5000, seed: 3 },
    );
  });
  test('exception: vs the Welch t interval it can fail when the Welch df is tiny but N is large', () => {
    // 2 noisy control units vs 1e6 quiet treatment units: Welch df ≈ 1, t_{0.975,1} = 12.7,
    // while the sequential (z-based) critical value at N ≈ 1e6 is only ≈ 3.56.
    const control = { units: 2, sum: 0, sumSquares: 200 };
    const treatment = { units: 1_000_000, sum: 1_000_000, sumSquares: 1_000_100 };
    const fixedT = compareMeans(control, treatment, { alpha: 0.05, analysis: 'fixed' });
    const seq = compareMeans(control, treatment, { alpha: 0.05, analysis: 'sequential' });
    expect(fixedT.df).toBeLessThan(1.01);
    expect(seq.criticalValue).toBeLessThan(fixedT.criticalValue as number);
  });

  test('and therefore wider than the Welch t interval once df is moderate (checked on a grid)', () => {
    for (const n of [4, 10, 30, 100, 1e4, 1e8]) {
      const arm = { units: n / 2, sum: n, sumSquares: 3 * n };
      const fixed = compareMeans(arm, { ...arm, sum: n * 1.1 }, { alpha: 0.05, analysis: 'fixed' });
      const seq = compareMeans(arm, { ...arm, sum: n * 1.1 }, { alpha: 0.05, analysis: 'sequential' });
      expect(seq.criticalValue).toBeGreaterThan(fixed.criticalValue as number);
      expect(seq.df).toBeNull();
    }
  });
});

describe('N* per pair of arms: one rule for the default and an explicit plan (pairPlannedSampleSize)', () => {
  const equal3 = { control: 1, treatment: 1, total: 3 };
  test('three equal arms: the default 10,000 is split exactly as an explicit 10,000 is', () => {
    const byDefault = pairPlannedSampleSize(null, equal3);
    const explicit = pairPlannedSampleSize(10_000, equal3);
    expect(byDefault).toEqual({ plannedSampleSize: 6667, total: 10_000, source: 'default', share: 2 / 3 });
    expect(explicit).toEqual({ ...byDefault, source: 'planned' });
    expect(pairPlannedSampleSize(undefined, equal3)).toEqual(byDefault);
  });
  test('two arms: the pair is the whole experiment', () => {
    expect(pairPlannedSampleSize(null, { control: 50, treatment: 50, total: 100 }).plannedSampleSize).toBe(DEFAULT_SEQUENTIAL_TUNING);
    expect(pairPlannedSampleSize(24_000, { control: 1, treatment: 1, total: 2 }).plannedSampleSize).toBe(24_000);
  });
  test('unequal weights, rounding and the floor of 2', () => {
    // 20/50/30 split of 9,000: control+B = 70 % → 6,300; control+C = 50 % → 4,500
    expect(pairPlannedSampleSize(9000, { control: 20, treatment: 50, total: 100 }).plannedSampleSize).toBe(6300);
    expect(pairPlannedSampleSize(9000, { control: 20, treatment: 30, total: 100 }).plannedSampleSize).toBe(4500);
    expect(pairPlannedSampleSize(1001, equal3).plannedSampleSize).toBe(667);
    expect(pairPlannedSampleSize(3, { control: 0, treatment: 1, total: 10 }).plannedSampleSize).toBe(2);
  });
  test('invalid input throws', () => {
    expect(() => pairPlannedSampleSize(0, equal3)).toThrow(RangeError);
    expect(() => pairPlannedSampleSize(NaN, equal3)).toThrow(RangeError);
    expect(() => pairPlannedSampleSize(100, { control: 2, treatment: 2, total: 3 })).toThrow(RangeError);
    expect(() => pairPlannedSampleSize(100, { control: 1, treatment: 1, total: 0 })).toThrow(RangeError);
    expect(() => pairPlannedSampleSize(100, { control: -1, treatment: 1, total: 3 })).toThrow(RangeError);
  });
});
