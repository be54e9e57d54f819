import { compareMeans, meanEstimate, sampleVariance, welchDf } from '../../src/stats';
import rVectors from './vectors/r.json';
import { ciScale, expectAbs, expectInterval, expectNoNonFinite, expectRel } from './helpers';

describe("Welch t test vs R's t.test (vectors/r.json; R's x = treatment, y = control)", () => {
  test.each(rVectors.welch)('$name: $call', (v) => {
    const alpha = Math.round(v.alpha * 1e12) / 1e12;
    const r = compareMeans(v.control, v.treatment, { alpha, analysis: 'fixed' });
    expectNoNonFinite(r);
    expectRel(r.absolute.estimate, v.estimate, 1e-12, 'estimate');
    expectRel(r.statistic, v.statistic, 1e-10, 't');
    expectRel(r.df, v.df, 1e-10, 'df');
    expectRel(r.pValue, v.pValue, 1e-6, 'p');
    // R reports no SE: its SE is estimate/statistic (both R's), so the scale is R's, not ours.
    expectInterval(r.absolute.ci, v.ci, ciScale(v.estimate, Math.abs(v.estimate / v.statistic)), 'ci');
  });

  test('sleep data reproduces the textbook output (t = -1.8608, df = 17.776, p = 0.07939)', () => {
    const sleep = rVectors.welch[0];
    const r = compareMeans(sleep.control, sleep.treatment, { alpha: 0.05, analysis: 'fixed' });
    expect(r.statistic).toBeCloseTo(-1.8608, 4);
    expect(r.df).toBeCloseTo(17.776, 3);
    expect(r.pValue).toBeCloseTo(0.07939, 5);
    expect(r.absolute.ci?.[0]).toBeCloseTo(-3.3654832, 7);
    expect(r.absolute.ci?.[1]).toBeCloseTo(0.2054832, 7);
  });
});

describe('GrowthBook published absolute-effect vectors (gbstats tests/frequentist/test_tests.py)', () => {
  const control = { units: 3407, sum: 1396.87, sumSquares: 52377.9767 };
  const treatment = { units: 3461, sum: 2422.7, sumSquares: 134698.29 };
  test('TwoSidedTTest absolute: expected 0.29, ci (0.04538, 0.53462), stddev 0.12478, p 0.02016 (5 dp)', () => {
    const r = compareMeans(control, treatment, { alpha: 0.05, analysis: 'fixed' });
    expect(r.absolute.estimate).toBeCloseTo(0.29, 5);
    expect(r.absolute.ci?.[0]).toBeCloseTo(0.04538, 5);
    expect(r.absolute.ci?.[1]).toBeCloseTo(0.53462, 5);
    expect(r.absolute.se).toBeCloseTo(0.12478, 5);
    expect(r.pValue).toBeCloseTo(0.02016, 5);
  });
  test('OneSidedTreatmentGreaterTTest absolute (n_C = 3000): point 0.23437666666666668, SE 0.12983081254184736, one-sided p 0.03554272489873023', () => {
    const r = compareMeans({ ...control, units: 3000 }, treatment, { alpha: 0.05, analysis: 'fixed' });
    expectRel(r.absolute.estimate, 0.23437666666666668, 1e-12, 'estimate');
    expectRel(r.absolute.se, 0.12983081254184736, 1e-12, 'se');
    // Our p is two-sided; GrowthBook's one-sided t p-value (scipy t.cdf, same Welch df) is half of it.
    expectRel(r.pValue, 2 * 0.03554272489873023, 1e-6, 'p');
  });
  test('OneSidedTreatmentGreaterTTest absolute (n_C = 3000): full-precision lower bound 0.020791480063255735 at the 1e-8 bar', () => {
    // growthbook/growthbook packages/stats/tests/frequentist/test_tests.py::test_one_sided_ttest_absolute
    // pins ci = (0.020791480063255735, inf) (its own test compares only 5 dp). That bound is
    // estimate − t_{0.95, Welch df}·SE, i.e. the lower end of our two-sided interval at alpha = 0.10.
    // Independent check (SciPy 1.17.1): estimate - scipy.stats.t.ppf(0.95, df) * SE with the Welch
    // df = 6087.3825... of these arms gives 0.020791480063255735 as well.
    const r = compareMeans({ ...control, units: 3000 }, treatment, { alpha: 0.1, analysis: 'fixed' });
    const scale = ciScale(0.23437666666666668, 0.12983081254184736);
    expectAbs(r.absolute.ci?.[0], 0.020791480063255735, 1e-8, scale, 'one-sided lower bound');
    expectRel(r.absolute.estimate, 0.23437666666666668, 1e-12, 'estimate');
    expectRel(r.pValue, 2 * 0.03554272489873023, 1e-6, 'p');
  });
});

describe('moments from sufficient statistics', () => {
  test('sample variance matches the textbook formula and clamps rounding noise to 0', () => {
    expect(sampleVariance(4, 10, 30)).toBeCloseTo(5 / 3, 15); // 1,2,3,4
    expect(sampleVariance(1, 3, 9)).toBeNull();
    // ten units of 1.1: Σx² − (Σx)²/n is ~1e-15 noise, reported as exactly 0
    const x = Array.from({ length: 10 }, () => 1.1);
    expect(sampleVariance(10, x.reduce((a, b) => a + b), x.reduce((a, b) => a + b * b, 0))).toBe(0);
    // rounding can make Σx² − (Σx)²/n slightly negative: never NaN
    expect(sampleVariance(3, 0.30000000000000004, 0.03)).toBe(0);
  });
  test('welchDf: one zero variance gives n − 1 of the other arm; both zero is undefined', () => {
    expect(welchDf(0.5, 10, 0, 20)).toBeCloseTo(9, 12);
    expect(welchDf(0, 10, 0, 20)).toBeNull();
    expect(welchDf(1e-300, 10, 1e-300, 10)).toBeCloseTo(18, 12); // no underflow
  });
  test('meanEstimate of one unit has a mean but no variance', () => {
    expect(meanEstimate({ units: 1, sum: 4, sumSquares: 16 })).toEqual({ mean: 4, unitVariance: null, se: null });
  });
});
