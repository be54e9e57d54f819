import {
  betaProbGreater,
  betaProbGreaterClosedForm,
  binaryChanceToBeatControl,
  binaryExpectedLoss,
  normalChanceToBeatControl,
  normalExpectedLoss,
} from '../../src/stats';
import vectors from './vectors/scipy.json';
import { ciScale, expectAbs, expectRel } from './helpers';

describe('binary chance to beat control: exact, vs mpmath closed form / SciPy quadrature', () => {
  test.each(vectors.bayes)('$control.conversions/$control.units vs $treatment.conversions/$treatment.units  [$call]', (v) => {
    const chance = binaryChanceToBeatControl(v.control, v.treatment);
    expectAbs(chance, v.chance, 1e-10, 1, 'chance');
    if (v.chance < 1e-3 || 1 - v.chance < 1e-3) {
      // small side keeps relative accuracy
      const small = v.chance < 0.5 ? chance : 1 - chance;
      const ref = v.chance < 0.5 ? v.chance : 1 - v.chance;
      if (ref > 1e-300) expectRel(small, ref, 1e-5, 'small side');
    }
    const loss = binaryExpectedLoss(v.control, v.treatment);
    expectAbs(loss.treatment, v.lossTreatment, 1e-12, 1, `loss treatment [${v.lossCall}]`);
    expectAbs(loss.control, v.lossControl, 1e-12, 1, 'loss control');
    expectRel(loss.treatment, v.lossTreatment, 1e-6, 'loss treatment (relative)');
    expectRel(loss.control, v.lossControl, 1e-6, 'loss control (relative)');
  });

  test('identical arms: exactly one half and equal losses', () => {
    for (const [x, n] of [[0, 2], [7, 30], [5000, 10000], [12345, 100000], [50_000_000, 100_000_000]]) {
      const arm = { units: n, conversions: x };
      expectAbs(binaryChanceToBeatControl(arm, arm), 0.5, 1e-10, 1, `n=${n}`);
      const l = binaryExpectedLoss(arm, arm);
      expectRel(l.treatment, l.control, 1e-9, 'symmetric loss');
    }
  });

  test('closed form and quadrature agree where both apply', () => {
    const pairs: Array<[{ a: number; b: number }, { a: number; b: number }]> = [
      [{ a: 9001, b: 10001 }, { a: 9101, b: 9901 }],
      [{ a: 101, b: 19900 }, { a: 131, b: 19870 }],
      [{ a: 7001, b: 3001 }, { a: 6901, b: 3101 }],
    ];
    for (const [x, y] of pairs) {
      const closed = betaProbGreaterClosedForm(x, y);
      // force the quadrature path by scaling both posteriors is not the same problem, so instead
      // compare closed form P(X>Y) + P(Y>X) = 1 and against the dispatching function
      expectAbs(closed + betaProbGreaterClosedForm(y, x), 1, 1e-12, 1, 'complement');
      expectAbs(betaProbGreater(x, y), closed, 1e-12, 1, 'dispatch');
    }
  });

  test('results are probabilities / non-negative and never NaN at the extremes', () => {
    const arms = [
      { units: 2, conversions: 0 },
      { units: 2, conversions: 2 },
      { units: 100_000_000, conversions: 0 },
      { units: 100_000_000, conversions: 100_000_000 },
      { units: 100_000_000, conversions: 1 },
    ];
    for (const a of arms) {
      for (const b of arms) {
        const p = binaryChanceToBeatControl(a, b);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(1);
        const l = binaryExpectedLoss(a, b);
        expect(l.treatment).toBeGreaterThanOrEqual(0);
        expect(l.control).toBeGreaterThanOrEqual(0);
        expect(Number.isFinite(l.treatment) && Number.isFinite(l.control)).toBe(true);
      }
    }
  });
});

describe('normal-approximation chance and loss (means, ratios) vs SciPy', () => {
  test.each(vectors.normalBayes)('d=$diff se=$se  [$call]', (v) => {
    expectAbs(normalChanceToBeatControl(v.diff, v.se), v.chance, 1e-14, 1, 'chance');
    const l = normalExpectedLoss(v.diff, v.se);
    if (v.lossTreatment > 1e-300) expectRel(l.treatment, v.lossTreatment, 1e-8, 'loss');
    else expect(l.treatment).toBeLessThan(1e-290);
    // E[max(0,D)] − E[max(0,−D)] = E[D] = d
    // (checked on the difference's scale, max(|d|, se): d may be 0)
    expectAbs(l.control - l.treatment, v.diff, 1e-12, ciScale(v.diff, v.se), 'identity');
  });
  test('zero standard error', () => {
    expect(normalChanceToBeatControl(0.2, 0)).toBe(1);
    expect(normalChanceToBeatControl(-0.2, 0)).toBe(0);
    expect(normalChanceToBeatControl(0, 0)).toBe(0.5);
    expect(normalExpectedLoss(0.2, 0)).toEqual({ treatment: 0, control: 0.2 });
  });
});
