import { compareRatio, ratioEstimate, type RatioArm } from '../../src/stats';
import vectors from './vectors/scipy.json';
import { expectInterval, expectNoNonFinite, expectRel } from './helpers';

function sufficient(num: number[], den: number[]): RatioArm {
  let numSum = 0, numSumSquares = 0, denSum = 0, denSumSquares = 0, crossSum = 0;
  num.forEach((x, i) => {
    const y = den[i];
    numSum += x;
    numSumSquares += x * x;
    denSum += y;
    denSumSquares += y * y;
    crossSum += x * y;
  });
  return { units: num.length, numSum, numSumSquares, denSum, denSumSquares, crossSum };
}

describe('ratio metrics: delta method vs a direct per-unit numpy computation (vectors/scipy.json "ratio")', () => {
  test.each(vectors.ratio)('$label  [$call]', (v) => {
    const control = sufficient(v.control.num, v.control.den);
    const treatment = sufficient(v.treatment.num, v.treatment.den);
    const c = ratioEstimate(control);
    const t = ratioEstimate(treatment);
    expectRel(c.ratio, v.control.ratio, 1e-13, 'control ratio');
    expectRel(c.se, v.control.se, 1e-10, 'control se');
    expectRel(t.se, v.treatment.se, 1e-10, 'treatment se');
    const r = compareRatio(control, treatment, { alpha: 0.05, analysis: 'fixed' });
    expectNoNonFinite(r);
    expectRel(r.absolute.estimate, v.estimate, 1e-12, 'estimate');
    expectRel(r.statistic, v.z, 1e-9, 'z');
    expectRel(r.pValue, v.pValue, 1e-6, 'p');
    expectInterval(r.absolute.ci, v.ci, Math.abs(v.estimate) + v.se, 'ci');
    expect(r.df).toBeNull();
  });

  test('the covariance term matters: perfectly proportional num and den have zero ratio variance', () => {
    // num = 3·den for every unit → R is exactly 3 whatever the units, so Var(R̂) = 0.
    const den = [1, 2, 5, 7, 3];
    const arm = sufficient(den.map((d) => 3 * d), den);
    expect(ratioEstimate(arm)).toEqual({ ratio: 3, se: 0 });
  });

  test('degenerate ratio input gives nulls with a reason', () => {
    const zeroDen: RatioArm = { units: 5, numSum: 3, numSumSquares: 5, denSum: 0, denSumSquares: 0, crossSum: 0 };
    expect(ratioEstimate(zeroDen).ratio).toBeNull();
    const ok = sufficient([1, 2, 3], [1, 1, 2]);
    const r = compareRatio(zeroDen, ok, { alpha: 0.05, analysis: 'fixed' });
    expect(r.pValue).toBeNull();
    expect(r.reason).toMatch(/denominator/);
    expectNoNonFinite(r);
    const one = sufficient([2], [1]);
    expect(ratioEstimate(one)).toMatchObject({ ratio: 2, se: null });
  });
});
