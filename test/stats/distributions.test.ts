import {
  betaCdf,
  chiSquareSf,
  normalCdf,
  normalQuantile,
  normalSf,
  normalTwoSidedP,
  studentTCdf,
  studentTQuantile,
  studentTSf,
  studentTTwoSidedP,
} from '../../src/stats';
import vectors from './vectors/scipy.json';
import { expectRel } from './helpers';

const d = vectors.distributions;

describe('normal distribution vs SciPy (vectors/scipy.json)', () => {
  test.each(d.normalSf)('normalSf($x) = $value  [$call]', ({ x, value }) => {
    expectRel(normalSf(x), value, 1e-12, `normalSf(${x})`);
  });
  test.each(d.normalCdf)('normalCdf($x) = $value  [$call]', ({ x, value }) => {
    expectRel(normalCdf(x), value, 1e-12, `normalCdf(${x})`);
  });
  test.each(d.normalTwoSidedP)('normalTwoSidedP($x) = $value  [$call]', ({ x, value }) => {
    expectRel(normalTwoSidedP(x), value, 1e-12, `normalTwoSidedP(${x})`);
    expectRel(normalTwoSidedP(-x), value, 1e-12, `normalTwoSidedP(${-x})`);
  });
  test.each(d.normalQuantile)('normalQuantile($p) = $value  [$call]', ({ p, value }) => {
    if (value === 0) expect(normalQuantile(p)).toBe(0);
    else expectRel(normalQuantile(p), value, 1e-12, `normalQuantile(${p})`);
  });
  test('far tail stays positive down to ~1e-308 and never NaN', () => {
    expect(normalSf(37.5)).toBeGreaterThan(0);
    expect(normalTwoSidedP(37.0471)).toBeGreaterThan(9e-301);
    expect(normalTwoSidedP(1e6)).toBe(0); // true value < 5e-324: not representable
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(() => normalQuantile(1.5)).toThrow(RangeError);
  });
});

describe('Student t vs SciPy/mpmath, df from 1 to 1e9', () => {
  test.each(d.tTwoSidedP)('2·P(T_$df > $t) = $value  [$call]', ({ t, df, value }) => {
    expectRel(studentTTwoSidedP(t, df), value, 1e-10, `studentTTwoSidedP(${t}, ${df})`);
    expectRel(studentTTwoSidedP(-t, df), value, 1e-10, `studentTTwoSidedP(${-t}, ${df})`);
  });
  test.each(d.tQuantile)('t quantile($p, $df) = $value  [$call]', ({ p, df, value }) => {
    expectRel(studentTQuantile(p, df), value, 1e-12, `studentTQuantile(${p}, ${df})`);
  });
  test('sf/cdf consistency and symmetry', () => {
    for (const df of [1, 3.5, 40, 1e6, 1e9]) {
      for (const t of [-4, -1, 0, 0.7, 2.5]) {
        expect(studentTSf(t, df) + studentTCdf(t, df)).toBeCloseTo(1, 14);
        expect(studentTSf(t, df)).toBeCloseTo(studentTCdf(-t, df), 15);
      }
      expect(studentTSf(0, df)).toBe(0.5);
    }
  });
  test('df = Infinity is the normal distribution and large df converges to it', () => {
    expect(studentTTwoSidedP(2.5, Infinity)).toBe(normalTwoSidedP(2.5));
    expectRel(studentTTwoSidedP(5, 1e20), normalTwoSidedP(5), 1e-12, 'df 1e20');
    expectRel(studentTQuantile(0.975, 1e300), 1.959963984540054, 1e-12, 'quantile df 1e300');
  });
  test('quantile inverts the cdf for tiny tails', () => {
    for (const df of [1, 2, 7, 1e4, 1e8]) {
      for (const p of [1e-300, 1e-50, 1e-8, 0.01, 0.3]) {
        const t = studentTQuantile(p, df);
        if (!Number.isFinite(t)) continue;
        expectRel(studentTCdf(t, df), p, 1e-11, `cdf(quantile(${p}, ${df}))`);
      }
    }
  });
  test('invalid df throws', () => {
    expect(() => studentTTwoSidedP(1, 0)).toThrow(RangeError);
    expect(() => studentTTwoSidedP(1, NaN)).toThrow(RangeError);
  });
});

describe('chi-square upper tail and beta cdf vs SciPy', () => {
  test.each(d.chiSquareSf)('P(chi2_$k > $x) = $value  [$call]', ({ x, k, value }) => {
    expectRel(chiSquareSf(x, k), value, 1e-10, `chiSquareSf(${x}, ${k})`);
  });
  test.each(d.betaCdf)('betaCdf($x; $a, $b) = $value  [$call]', ({ x, a, b, value }) => {
    expectRel(betaCdf(x, a, b), value, 1e-10, `betaCdf(${x}, ${a}, ${b})`);
  });
  test('edges', () => {
    expect(chiSquareSf(0, 3)).toBe(1);
    expect(chiSquareSf(-1, 3)).toBe(1);
    expect(chiSquareSf(Infinity, 3)).toBe(0);
  });
});
