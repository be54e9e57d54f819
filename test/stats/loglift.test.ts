import fc from 'fast-check';
import { binaryLogLift, compareBinary, compareMeans, logScaleLift, meanLogLift, metaFixed, metaRandomDL, sequentialCriticalValue } from '../../src/stats';
import segments from './vectors/r-segments.json';
import { exactBinomialCoverage, expectRel } from './helpers';

const Z95 = 1.959963984540054;

describe('log-scale relative lift vs metafor escalc / summary.escalc (vectors/r-segments.json)', () => {
  test.each(segments.riskRatio)('binary: $call', (v) => {
    const fixed = binaryLogLift(v.control, v.treatment, Z95);
    expectRel(fixed.ci?.[0], v.liftFixed[0], 1e-10, 'fixed lower');
    expectRel(fixed.ci?.[1], v.liftFixed[1], 1e-10, 'fixed upper');
    const crit = sequentialCriticalValue(v.control.units + v.treatment.units, 0.05);
    expectRel(crit, v.sequentialCritical, 1e-13, 'sequential critical value');
    const seq = binaryLogLift(v.control, v.treatment, crit);
    expectRel(seq.ci?.[0], v.liftSequential[0], 1e-10, 'sequential lower');
    expectRel(seq.ci?.[1], v.liftSequential[1], 1e-10, 'sequential upper');
    expect(fixed.ci![0]).toBeGreaterThan(-1);
    expect(fixed.corrected).toBe([v.treatment.conversions, v.control.conversions].includes(0) || v.treatment.conversions === v.treatment.units || v.control.conversions === v.control.units);
  });

  test.each(segments.ratioOfMeans)('means: $call', (v) => {
    const r = meanLogLift(
      { mean: v.control.mean, se: v.control.sd / Math.sqrt(v.control.units) },
      { mean: v.treatment.mean, se: v.treatment.sd / Math.sqrt(v.treatment.units) },
      Z95,
    );
    expectRel(r.log?.yi, v.yi, 1e-12, 'yi');
    expectRel(r.ci?.[0], v.liftFixed[0], 1e-10, 'lower');
    expectRel(r.ci?.[1], v.liftFixed[1], 1e-10, 'upper');
    expect(r.corrected).toBe(false);
  });
});

describe('log-scale lift: the properties the README relies on', () => {
  test('issue 16: a 0/3,037 arm no longer gives "-100 % to -100 %"', () => {
    const control = { units: 3000, conversions: 15 };
    const treatment = { units: 3037, conversions: 0 };
    const fieller = compareBinary(control, treatment, { alpha: 0.05, analysis: 'fixed' });
    expect(fieller.relative.ci).toEqual([-1, -1]); // today's zero-width interval
    const log = compareBinary(control, treatment, { alpha: 0.05, analysis: 'fixed', relativeInterval: 'log' });
    expect(log.relative.corrected).toBe(true);
    expect(log.relative.ci![0]).toBeCloseTo(-0.998, 3);
    expect(log.relative.ci![1]).toBeCloseTo(-0.468, 3);
    // the estimate is the interval's centre once ½ is added (e^y − 1), inside the interval
    expect(log.relative.estimate!).toBeGreaterThan(log.relative.ci![0]);
    expect(log.relative.estimate!).toBeLessThan(log.relative.ci![1]);
  });

  test('never below -100 % (Fieller goes below it on the same data)', () => {
    // the treatment rate is not distinguishable from 0: Fieller's lower bound leaves the possible range
    const control = { units: 1000, conversions: 30 };
    const treatment = { units: 1000, conversions: 2 };
    const fieller = compareBinary(control, treatment, { alpha: 0.05, analysis: 'fixed' });
    expect(fieller.relative.ci![0]).toBeLessThan(-1);
    const log = compareBinary(control, treatment, { alpha: 0.05, analysis: 'fixed', relativeInterval: 'log' });
    expect(log.relative.ci![0]).toBeGreaterThan(-1);
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 3000 }), fc.integer({ min: 2, max: 3000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (nc, nt, fc_, ft) => {
        const r = binaryLogLift({ units: nc, conversions: Math.round(fc_ * nc) }, { units: nt, conversions: Math.round(ft * nt) }, 3.5);
        expect(r.ci).not.toBeNull();
        expect(r.ci![0]).toBeGreaterThanOrEqual(-1);
        expect(r.ci![0]).toBeLessThanOrEqual(r.estimate!);
        expect(r.ci![1]).toBeGreaterThanOrEqual(r.estimate!);
      }),
      { numRuns: 300, seed: 16 },
    );
  });

  test.each([
    [500, 0.002, 0.004],
    [3000, 0.0005, 0.005],
    [200, 0.01, 0.03],
    [100, 0.98, 0.95],
  ])('exact coverage of the lift at extreme rates (n = %i per arm, p_T = %f, p_C = %f) stays at about 95 % (at least 94.5 %; at low rates the Fieller interval is mostly unbounded)', (n, pT, pC) => {
    const lift = pT / pC - 1;
    const coverage = exactBinomialCoverage(n, pT, pC, (c, t) => {
      const ci = binaryLogLift(c, t, Z95).ci!;
      return ci[0] <= lift && lift <= ci[1];
    });
    expect(coverage).toBeGreaterThan(0.945);
  });

  test('one experiment pools to exactly its own interval (same y, v and critical value)', () => {
    const control = { units: 5000, conversions: 400 };
    const treatment = { units: 5000, conversions: 460 };
    const own = compareBinary(control, treatment, { alpha: 0.05, analysis: 'fixed', relativeInterval: 'log' });
    const effect = binaryLogLift(control, treatment, Z95).log!;
    for (const pooled of [metaFixed([effect]), metaRandomDL([effect])]) {
      expect(pooled.lift.ci[0]).toBeCloseTo(own.relative.ci![0], 14);
      expect(pooled.lift.ci[1]).toBeCloseTo(own.relative.ci![1], 14);
    }
  });

  test('works with the sequential critical value: wider than fixed, same centre', () => {
    const arm = (mean: number) => ({ units: 4000, sum: 4000 * mean, sumSquares: 4000 * (mean * mean + 900) });
    const fixed = compareMeans(arm(12), arm(13), { alpha: 0.05, analysis: 'fixed', relativeInterval: 'log' });
    const seq = compareMeans(arm(12), arm(13), { alpha: 0.05, analysis: 'sequential', relativeInterval: 'log' });
    expect(seq.relative.ci![0]).toBeLessThan(fixed.relative.ci![0]);
    expect(seq.relative.ci![1]).toBeGreaterThan(fixed.relative.ci![1]);
    expect(Math.log1p(seq.relative.ci![0]) + Math.log1p(seq.relative.ci![1])).toBeCloseTo(2 * Math.log(13 / 12), 12);
    // fixed analysis: the Welch t critical value carries over to the relative interval
    expect(fixed.criticalValue).toBeGreaterThan(Z95);
  });

  test('zero means, negative means, zero standard error', () => {
    expect(meanLogLift({ mean: 0, se: 0 }, { mean: 2, se: 0.1 }, Z95)).toMatchObject({ estimate: null, ci: null });
    const zeroT = meanLogLift({ mean: 2, se: 0.1 }, { mean: 0, se: 0 }, Z95);
    expect(zeroT).toMatchObject({ estimate: -1, ci: null });
    expect(zeroT.reason).toMatch(/treatment mean is 0/);
    expect(meanLogLift({ mean: -1, se: 0.1 }, { mean: 2, se: 0.1 }, Z95).reason).toMatch(/negative/);
    expect(logScaleLift({ yi: 0, vi: 0 }, Z95)).toMatchObject({ estimate: 0, ci: [0, 0], statistic: 0 });
    expect(logScaleLift({ yi: 0.2, vi: 0 }, Z95)).toMatchObject({ ci: null, statistic: null });
    expect(binaryLogLift({ units: 0, conversions: 0 }, { units: 5, conversions: 1 }, Z95)).toMatchObject({ estimate: null, ci: null });
    expect(() => logScaleLift({ yi: 0.1, vi: -1 }, Z95)).toThrow(RangeError);
    expect(() => logScaleLift({ yi: 0.1, vi: 0.1 }, 0)).toThrow(RangeError);
    expect(() => compareBinary({ units: 5, conversions: 1 }, { units: 5, conversions: 1 }, { alpha: 0.05, analysis: 'fixed', relativeInterval: 'bogus' as 'log' })).toThrow(RangeError);
  });
});
