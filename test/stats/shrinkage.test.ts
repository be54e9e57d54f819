import { empiricalBayesDL, metaRandomDL, normalQuantile } from '../../src/stats';
import segments from './vectors/r-segments.json';
import { expectRel } from './helpers';

describe('empirical-Bayes (BLUP) estimates vs metafor::blup after rma(method = "DL") (vectors/r-segments.json)', () => {
  test.each(segments.heterogeneity)('$call', (v) => {
    const effects = v.yi.map((yi, i) => ({ yi, vi: v.vi[i] }));
    const r = empiricalBayesDL(effects, { alpha: v.alpha });
    const ref = v.DL.blup;
    expect(r.estimates).toHaveLength(ref.pred.length);
    expectRel(r.model.tau2 || 1, v.DL.tau2 || 1, 1e-10, 'tau2');
    expectRel(r.model.estimate, v.DL.estimate, 1e-10, 'DL estimate');
    r.estimates.forEach((e, i) => {
      expectRel(e.estimate, ref.pred[i], 1e-10, `pred[${i}]`);
      expectRel(e.se, ref.se[i], 1e-10, `se[${i}]`);
      expectRel(e.ci[0], ref.piLower[i], 1e-10, `pi.lb[${i}]`);
      expectRel(e.ci[1], ref.piUpper[i], 1e-10, `pi.ub[${i}]`);
      expect(e.lift.estimate).toBeCloseTo(Math.expm1(ref.pred[i]), 14);
      expect(e.lift.ci[0]).toBeGreaterThan(-1);
    });
  });

  test('tau2 = 0: complete pooling, every estimate is the DL mean with its SE', () => {
    const v = segments.heterogeneity.find((s) => s.name === 'tau2zero')!;
    const r = empiricalBayesDL(v.yi.map((yi, i) => ({ yi, vi: v.vi[i] })));
    for (const e of r.estimates) {
      expect(e.ownWeight).toBe(0);
      expect(e.estimate).toBe(r.model.estimate);
      expect(e.se).toBe(r.model.se);
    }
  });

  test("winner's curse: a tiny lucky segment (+80 %) is shrunk below a large steady one (+20 %)", () => {
    const v = segments.heterogeneity.find((s) => s.name === 'luckySmall')!;
    const r = empiricalBayesDL(v.yi.map((yi, i) => ({ yi, vi: v.vi[i] })));
    const [tiny, large] = r.estimates;
    expect(v.yi[0]).toBeGreaterThan(v.yi[1]); // raw: the tiny segment ranks first
    expect(tiny.estimate).toBeLessThan(large.estimate); // shrunk: it ranks below
    expect(tiny.ownWeight).toBeLessThan(0.01);
    expect(large.ownWeight).toBeGreaterThan(0.35);
  });

  test('opposite effects stay apart when the heterogeneity is large; the small value still moves most', () => {
    const v = segments.heterogeneity.find((s) => s.name === 'twoValues')!;
    const r = empiricalBayesDL(v.yi.map((yi, i) => ({ yi, vi: v.vi[i] })));
    const [small, large] = r.estimates;
    expect(Math.abs(small.estimate - v.yi[0])).toBeGreaterThan(Math.abs(large.estimate - v.yi[1]));
    expect(small.lift.ci[0]).toBeGreaterThan(0);
    expect(large.lift.ci[1]).toBeLessThan(0);
  });

  test('a critical value replaces z_{1-alpha/2} in the estimates\' intervals (e.g. the sequential one), not in the model\'s', () => {
    const v = segments.heterogeneity.find((s) => s.name === 'bcg')!;
    const effects = v.yi.map((yi, i) => ({ yi, vi: v.vi[i] }));
    const seq = empiricalBayesDL(effects, { criticalValue: 3.2 });
    const fixed = empiricalBayesDL(effects);
    expect(fixed.criticalValue).toBeCloseTo(-normalQuantile(0.025), 15);
    expect(seq.criticalValue).toBe(3.2);
    seq.estimates.forEach((e, i) => {
      expect(e.estimate).toBe(fixed.estimates[i].estimate);
      expect(e.ci[1] - e.ci[0]).toBeCloseTo(2 * 3.2 * e.se, 12);
    });
    expect(seq.model).toEqual(metaRandomDL(effects));
    expect(() => empiricalBayesDL(effects, { criticalValue: 0 })).toThrow(RangeError);
    expect(() => empiricalBayesDL([])).toThrow(RangeError);
  });
});
