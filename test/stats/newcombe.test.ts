import fc from 'fast-check';
import {
  compareBinary,
  fixedHorizonTest,
  newcombeDifference,
  newcombeStatistic,
  normalTwoSidedP,
  proportionDifference,
  sequentialCriticalValue,
  sequentialPValue,
  wilsonInterval,
} from '../../src/stats';
import vectors from './vectors/intervals.json';
import { exactBinomialCoverage, expectRel } from './helpers';

/** |a − e| ≤ tol·max(|e|, 1e-3): relative, except for bounds at or near 0 (probability scale). */
function close(actual: number | null | undefined, expected: number, tol: number, label: string): void {
  if (typeof actual !== 'number') throw new Error(`${label}: got ${String(actual)}`);
  const bound = tol * Math.max(Math.abs(expected), 1e-3);
  if (!(Math.abs(actual - expected) <= bound)) throw new Error(`${label}: ${actual} vs ${expected} (|error| ${Math.abs(actual - expected)} > ${bound})`);
}

describe("Newcombe's hybrid score interval vs statsmodels (vectors/intervals.json)", () => {
  test.each(vectors.newcombe)('$treatment.conversions/$treatment.units vs $control.conversions/$control.units: $note', (v) => {
    const c95 = newcombeDifference(v.control, v.treatment, 1.959963984540054);
    expect(c95.estimate).toBeCloseTo(v.estimate, 15);
    close(c95.ci?.[0], v.ci95[0], 1e-10, 'ci95 lower');
    close(c95.ci?.[1], v.ci95[1], 1e-10, 'ci95 upper');
    const c99 = newcombeDifference(v.control, v.treatment, 2.5758293035489004);
    close(c99.ci?.[0], v.ci99[0], 1e-10, 'ci99 lower');
    close(c99.ci?.[1], v.ci99[1], 1e-10, 'ci99 upper');
    const crit = sequentialCriticalValue(v.control.units + v.treatment.units, 0.05);
    expectRel(crit, v.sequentialCritical, 1e-13, 'sequential critical value');
    const seq = newcombeDifference(v.control, v.treatment, crit);
    close(seq.ci?.[0], v.ciSequential[0], 1e-10, 'sequential lower');
    close(seq.ci?.[1], v.ciSequential[1], 1e-10, 'sequential upper');
    const stat = newcombeStatistic(v.control, v.treatment);
    if (v.statistic === 0) expect(stat).toBe(0);
    else expectRel(stat, v.statistic, 1e-9, 'statistic');
    expectRel(normalTwoSidedP(stat as number), v.pValue, 1e-6, 'p');
  });

  test('Newcombe (1998) Table II, method 10, as printed (4 decimals)', () => {
    const a = newcombeDifference({ units: 80, conversions: 48 }, { units: 70, conversions: 56 }, 1.959963984540054).ci!;
    expect(a[0]).toBeCloseTo(0.0524, 4);
    expect(a[1]).toBeCloseTo(0.3339, 4);
    const b = newcombeDifference({ units: 10, conversions: 3 }, { units: 10, conversions: 9 }, 1.959963984540054).ci!;
    expect(b[0]).toBeCloseTo(0.1705, 4);
    expect(b[1]).toBeCloseTo(0.809, 4);
  });

  test('keeps its width at rates 0 and 1, where the Wald interval has none', () => {
    const zero = { units: 3037, conversions: 0 };
    const some = { units: 3000, conversions: 15 };
    const wald = compareBinary(some, zero, { alpha: 0.05, analysis: 'fixed' });
    const score = compareBinary(some, zero, { alpha: 0.05, analysis: 'fixed', binaryInterval: 'newcombe' });
    const [lo, hi] = score.absolute.ci!;
    expect(hi - lo).toBeGreaterThan(0.005);
    expect(wilsonInterval(zero, 1.96)![0]).toBe(0);
    expect(wilsonInterval({ units: 7, conversions: 7 }, 1.96)![1]).toBe(1);
    expect(wilsonInterval({ units: 0, conversions: 0 }, 1.96)).toBeNull();
    // the Wald p-value and Newcombe's differ; both are finite here
    expect(wald.pValue).not.toBeNull();
    expect(score.pValue).toBeCloseTo(vectors.newcombe.find((x) => x.treatment.units === 3037 && x.treatment.conversions === 0)!.pValue, 12);
  });

  test.each([
    [500, 0.002, 0.004],
    [3000, 0.0005, 0.005],
    [200, 0.01, 0.03],
    [100, 0.98, 0.95],
  ])('exact coverage at extreme rates (n = %i per arm, p_T = %f, p_C = %f): Newcombe keeps 95 %, Wald does not always', (n, pT, pC) => {
    const z = 1.959963984540054;
    const d = pT - pC;
    const newcombe = exactBinomialCoverage(n, pT, pC, (c, t) => {
      const ci = newcombeDifference(c, t, z).ci!;
      return ci[0] <= d && d <= ci[1];
    });
    const wald = exactBinomialCoverage(n, pT, pC, (c, t) => {
      const e = proportionDifference(c, t);
      const ci = fixedHorizonTest(e.estimate!, e.se!, null, 0.05).ci;
      return ci !== null && ci[0] <= d && d <= ci[1];
    });
    expect(newcombe).toBeGreaterThan(0.95);
    expect(newcombe).toBeLessThan(0.9999);
    expect(wald).toBeLessThan(newcombe);
    if (n === 500) expect(wald).toBeLessThan(0.87); // 0.858: the zero-width intervals at x = 0
  });

  test('the test inverts the interval: significant exactly when the interval excludes 0, fixed and sequential', () => {
    const arm = fc.record({ units: fc.integer({ min: 2, max: 5000 }), frac: fc.double({ min: 0, max: 1, noNaN: true }) }).map((a) => ({ units: a.units, conversions: Math.round(a.frac * a.units) }));
    fc.assert(
      fc.property(arm, arm, fc.constantFrom(0.01, 0.05, 0.1), fc.constantFrom('fixed' as const, 'sequential' as const), (c, t, alpha, analysis) => {
        const r = compareBinary(c, t, { alpha, analysis, binaryInterval: 'newcombe' });
        const [lo, hi] = r.absolute.ci!;
        const excludes = lo > 0 || hi < 0;
        const margin = Math.abs(Math.abs(r.statistic!) - r.criticalValue!);
        if (margin > 1e-9) expect(excludes).toBe(r.pValue! < alpha);
        if (analysis === 'sequential') expect(r.pValue).toBe(sequentialPValue(r.statistic!, c.units + t.units, alpha));
        expect(lo).toBeGreaterThanOrEqual(-1);
        expect(hi).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300, seed: 16 },
    );
  });

  test('degenerate and invalid input', () => {
    expect(newcombeDifference({ units: 0, conversions: 0 }, { units: 5, conversions: 1 }, 1.96)).toMatchObject({ estimate: null, ci: null });
    expect(newcombeStatistic({ units: 0, conversions: 0 }, { units: 5, conversions: 1 })).toBeNull();
    expect(newcombeStatistic({ units: 10, conversions: 3 }, { units: 20, conversions: 6 })).toBe(0);
    expect(() => newcombeDifference({ units: 5, conversions: 1 }, { units: 5, conversions: 1 }, 0)).toThrow(RangeError);
    expect(() => wilsonInterval({ units: 5, conversions: 6 }, 1.96)).toThrow(RangeError);
  });
});
