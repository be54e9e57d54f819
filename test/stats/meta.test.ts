import { heterogeneity, logRatioEffect, logRiskRatio, metaFixed, metaRandomDL, type MetaResult } from '../../src/stats';
import rVectors from './vectors/r.json';
import segments from './vectors/r-segments.json';
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

describe('heterogeneity and log risk ratios vs metafor (vectors/r-segments.json)', () => {
  const sets = segments.heterogeneity;

  test.each(sets)('heterogeneity: $call', (v) => {
    const effects = v.yi.map((yi, i) => ({ yi, vi: v.vi[i] }));
    const h = heterogeneity(effects);
    const ref = v.DL;
    expect(h.k).toBe(ref.k);
    expect(h.df).toBe(ref.df);
    expectRel(h.q, ref.q, 1e-10, 'Q');
    expectRel(h.pValue, ref.qPValue, 1e-6, 'Q p');
    if (ref.tau2 === 0) expect(h.tau2).toBe(0);
    else expectRel(h.tau2, ref.tau2, 1e-10, 'tau2');
    if (ref.i2 === 0) expect(h.i2).toBe(0);
    else expectRel(h.i2, ref.i2, 1e-10, 'I2');
    // the DL pooled estimate is the one metaRandomDL gives with this tau2
    const dl = metaRandomDL(effects, v.alpha);
    expectRel(dl.estimate, ref.estimate, 1e-10, 'DL estimate');
    expectRel(dl.se, ref.se, 1e-10, 'DL se');
    expectRel(dl.ci[0], ref.ciLower, 1e-10, 'DL ci lower');
    expectRel(dl.ci[1], ref.ciUpper, 1e-10, 'DL ci upper');
    expect(dl.tau2).toBe(h.tau2);
  });

  test('per-value effects rebuilt from counts: escalc RR with the zero cells of dat.li2007 kept', () => {
    for (const v of sets.filter((s) => 'counts' in s && s.counts)) {
      const c = v.counts as { treatmentConversions: number[]; treatmentUnits: number[]; controlConversions: number[]; controlUnits: number[] };
      const effects = c.treatmentUnits.map((n, i) => {
        const e = logRiskRatio({ units: c.controlUnits[i], conversions: c.controlConversions[i] }, { units: n, conversions: c.treatmentConversions[i] });
        if (e.yi === null) throw new Error('unexpected null');
        expectRel(e.yi, v.yi[i], 1e-12, `${v.name} yi[${i}]`);
        expectRel(e.vi, v.vi[i], 1e-12, `${v.name} vi[${i}]`);
        expect(e.corrected).toBe([c.treatmentConversions[i], n - c.treatmentConversions[i], c.controlConversions[i], c.controlUnits[i] - c.controlConversions[i]].includes(0));
        return e;
      });
      expectRel(heterogeneity(effects).q, v.DL.q, 1e-10, `${v.name} Q from counts`);
    }
    // dat.li2007 has two trials with a zero arm (Urek 1996: control 0/30; Santoro 2000: magnesium 0/75)
    const li = sets.find((s) => s.name === 'li2007')!;
    expect(li.counts!.controlConversions.filter((x) => x === 0)).toHaveLength(1);
    expect(li.counts!.treatmentConversions.filter((x) => x === 0)).toHaveLength(1);
    expect(li.yi).toHaveLength(22);
  });

  test('ratio of means: logRatioEffect is escalc(measure = "ROM") (dat.normand1999 and others)', () => {
    const nor = sets.find((s) => s.name === 'normand1999')!;
    const m = nor.means!;
    m.treatmentMean.forEach((mt, i) => {
      const e = logRatioEffect(
        { mean: m.controlMean[i], se: m.controlSd[i] / Math.sqrt(m.controlUnits[i]) },
        { mean: mt, se: m.treatmentSd[i] / Math.sqrt(m.treatmentUnits[i]) },
      );
      expectRel(e.yi, nor.yi[i], 1e-12, `yi[${i}]`);
      expectRel(e.vi, nor.vi[i], 1e-12, `vi[${i}]`);
    });
  });

  test.each(segments.riskRatio)('log risk ratio: $call', (v) => {
    const e = logRiskRatio(v.control, v.treatment);
    expectRel(e.yi, v.yi, 1e-12, 'yi');
    expectRel(e.vi, v.vi, 1e-12, 'vi');
  });

  test('zero cells: the corrected flag, both-zero kept, empty arms null, invalid input throws', () => {
    expect(logRiskRatio({ units: 3000, conversions: 15 }, { units: 3037, conversions: 0 }).corrected).toBe(true);
    expect(logRiskRatio({ units: 3000, conversions: 15 }, { units: 3037, conversions: 20 }).corrected).toBe(false);
    // without a zero cell it is logRatioEffect on the binomial standard errors (Katz)
    const rr = logRiskRatio({ units: 1000, conversions: 100 }, { units: 1000, conversions: 120 });
    const lr = logRatioEffect({ mean: 0.1, se: Math.sqrt(0.09 / 1000) }, { mean: 0.12, se: Math.sqrt(0.12 * 0.88 / 1000) });
    expect(rr.yi).toBeCloseTo(lr.yi as number, 14);
    expect(rr.vi).toBeCloseTo(lr.vi as number, 16);
    expect(logRiskRatio({ units: 0, conversions: 0 }, { units: 10, conversions: 1 })).toMatchObject({ yi: null, vi: null, corrected: false });
    expect(() => logRiskRatio({ units: 10, conversions: 11 }, { units: 10, conversions: 1 })).toThrow(RangeError);
    expect(() => logRiskRatio({ units: 10, conversions: 1 }, { units: 10, conversions: 1 }, 0)).toThrow(RangeError);
  });

  test('heterogeneity of one value: Q = 0 with a reason; invalid effects throw', () => {
    expect(heterogeneity([{ yi: 0.1, vi: 0.01 }])).toMatchObject({ k: 1, q: 0, df: 0, pValue: null, i2: 0, tau2: 0 });
    expect(heterogeneity([{ yi: 0.1, vi: 0.01 }]).reason).toMatch(/one effect/);
    expect(() => heterogeneity([])).toThrow(RangeError);
    expect(() => heterogeneity([{ yi: 0.1, vi: 0 }, { yi: 0.2, vi: 0.01 }])).toThrow(RangeError);
    expect(() => heterogeneity([{ yi: NaN, vi: 0.01 }])).toThrow(RangeError);
  });
});
