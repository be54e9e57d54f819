import { logRatioEffect, metaFixed, metaRandomDL, type MetaResult } from '../../src/stats';
import rVectors from './vectors/r.json';
import { expectRel } from './helpers';

function check(ours: MetaResult, ref: (typeof rVectors.metafor)[number]['FE']): void {
  expectRel(ours.estimate, ref.estimate, 1e-10, 'estimate');
  expectRel(ours.se, ref.se, 1e-10, 'se');
  expectRel(ours.ci[0], ref.ciLower, 1e-10, 'ci lower');
  expectRel(ours.ci[1], ref.ciUpper, 1e-10, 'ci upper');
  expectRel(ours.z, ref.z, 1e-10, 'z');
  expectRel(ours.pValue, ref.pValue, 1e-6, 'p');
  expectRel(ours.q, ref.q, 1e-10, 'Q');
  expectRel(ours.qPValue, ref.qPValue, 1e-6, 'Q p');
  if (ref.tau2 === 0) expect(ours.tau2).toBe(0);
  else expectRel(ours.tau2, ref.tau2, 1e-10, 'tau2');
  if (ref.i2 === 0) expect(ours.i2).toBe(0);
  else expectRel(ours.i2, ref.i2, 1e-10, 'I2');
}

describe('meta-analysis vs R metafor (vectors/r.json)', () => {
  test.each(rVectors.metafor)('$call', (v) => {
    const effects = v.yi.map((yi, i) => ({ yi, vi: v.vi[i] }));
    check(metaFixed(effects), v.FE);
    check(metaRandomDL(effects), v.DL);
    const fe = metaFixed(effects);
    expect(fe.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    expect(fe.lift.estimate).toBeCloseTo(Math.expm1(fe.estimate), 15);
  });

  test('BCG vaccine trials: the textbook DL result (estimate -0.7141, tau^2 0.3088, I^2 92.12%)', () => {
    const v = rVectors.metafor[0];
    const dl = metaRandomDL(v.yi.map((yi, i) => ({ yi, vi: v.vi[i] })));
    expect(dl.estimate).toBeCloseTo(-0.7141, 4);
    expect(dl.tau2).toBeCloseTo(0.3088, 4);
    expect(dl.i2).toBeCloseTo(0.9212, 4);
  });

  test('delta-method log ratio of means', () => {
    // ln(11/10) and (0.2/11)² + (0.1/10)²
    const e = logRatioEffect({ mean: 10, se: 0.1 }, { mean: 11, se: 0.2 });
    expect(e.yi).toBeCloseTo(Math.log(1.1), 15);
    expect(e.vi).toBeCloseTo((0.2 / 11) ** 2 + 0.01 ** 2, 17);
    expect(logRatioEffect({ mean: 0, se: 0.1 }, { mean: 11, se: 0.2 })).toMatchObject({ yi: null, vi: null });
    expect(logRatioEffect({ mean: -1, se: 0.1 }, { mean: 1, se: 0.2 }).yi).toBeNull();
  });

  test('single experiment and invalid input', () => {
    const one = metaRandomDL([{ yi: 0.05, vi: 0.0004 }]);
    expect(one).toMatchObject({ k: 1, q: 0, df: 0, qPValue: null, tau2: 0, i2: 0, estimate: 0.05 });
    expect(() => metaFixed([])).toThrow(RangeError);
    expect(() => metaFixed([{ yi: 0.1, vi: 0 }])).toThrow(RangeError);
  });
});
