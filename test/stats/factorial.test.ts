import { factorialEffects, normalTwoSidedP, type FactorialCell } from '../../src/stats';
import { expectRel } from './helpers';

const z975 = 1.959963984540054; // scipy.stats.norm.isf(0.025)

describe('full factorial effects, hand-computed', () => {
  test('2x2: main effects average over the other factor; interaction is the difference-in-differences', () => {
    // cell means          B = b0   B = b1
    //   A = a0             10       12
    //   A = a1             13       17
    // variances of the means: 1, 2, 3, 4 (same layout)
    const cells: FactorialCell[] = [
      { levels: [0, 0], mean: 10, variance: 1 },
      { levels: [0, 1], mean: 12, variance: 2 },
      { levels: [1, 0], mean: 13, variance: 3 },
      { levels: [1, 1], mean: 17, variance: 4 },
    ];
    const r = factorialEffects([{ name: 'A', levels: ['a0', 'a1'] }, { name: 'B', levels: ['b0', 'b1'] }], cells, { alpha: 0.05 });
    const [a, b] = r.mainEffects;
    // A: ((13 − 10) + (17 − 12))/2 = 4, Var = (1 + 2 + 3 + 4)/4 = 2.5
    expect(a).toMatchObject({ factors: ['A'], levels: ['a1'], baselines: ['a0'], estimate: 4 });
    expectRel(a.se, Math.sqrt(2.5), 1e-15, 'se A');
    expectRel(a.pValue, normalTwoSidedP(4 / Math.sqrt(2.5)), 1e-14, 'p A'); // = 2*scipy.stats.norm.sf(2.5298)
    expectRel(a.pValue, 0.011412036386001651, 1e-9, 'p A pinned: 2*scipy.stats.norm.sf(4/2.5**.5)');
    expect(a.ci?.[0]).toBeCloseTo(4 - z975 * Math.sqrt(2.5), 12);
    // B: ((12 − 10) + (17 − 13))/2 = 3
    expect(b.estimate).toBe(3);
    // AB: (17 − 12) − (13 − 10) = 2, Var = 1 + 2 + 3 + 4 = 10
    expect(r.interactions).toHaveLength(1);
    expect(r.interactions[0]).toMatchObject({ factors: ['A', 'B'], levels: ['a1', 'b1'], estimate: 2 });
    expectRel(r.interactions[0].se, Math.sqrt(10), 1e-15, 'se AB');
  });

  test('2x2x2: averaging over the third factor', () => {
    // mean = 10 + 2·a + 3·b + 1·c + 1.5·a·b + 0.5·a·c (a, b, c ∈ {0, 1}); every variance 0.5
    const cells: FactorialCell[] = [];
    for (const a of [0, 1]) for (const b of [0, 1]) for (const c of [0, 1]) {
      cells.push({ levels: [a, b, c], mean: 10 + 2 * a + 3 * b + c + 1.5 * a * b + 0.5 * a * c, variance: 0.5 });
    }
    const factors = ['A', 'B', 'C'].map((name) => ({ name, levels: ['off', 'on'] }));
    const r = factorialEffects(factors, cells, { alpha: 0.05 });
    const est = Object.fromEntries([...r.mainEffects, ...r.interactions].map((e) => [e.factors.join(''), e]));
    // main effect of A averaged over b, c: 2 + 1.5·avg(b) + 0.5·avg(c) = 2 + 0.75 + 0.25 = 3
    expect(est.A.estimate).toBeCloseTo(3, 14);
    expect(est.B.estimate).toBeCloseTo(3 + 0.75, 14); // 3 + 1.5·avg(a)
    expect(est.C.estimate).toBeCloseTo(1 + 0.25, 14); // 1 + 0.5·avg(a)
    expect(est.AB.estimate).toBeCloseTo(1.5, 14);
    expect(est.AC.estimate).toBeCloseTo(0.5, 14);
    expect(est.BC.estimate).toBeCloseTo(0, 14);
    // main effect: 8 cells with weight ±1/4 → Var = 8·0.5/16 = 0.25; interaction: 8 cells ±1/2 → Var = 8·0.5/4 = 1
    expect(est.A.se).toBeCloseTo(0.5, 15);
    expect(est.AB.se).toBeCloseTo(1, 15);
  });

  test('3-level factor gives one main effect per non-baseline level; zero variance is handled', () => {
    const cells: FactorialCell[] = [];
    for (let a = 0; a < 3; a++) for (let b = 0; b < 2; b++) cells.push({ levels: [a, b], mean: a + b, variance: 0 });
    const r = factorialEffects([{ name: 'copy', levels: ['x', 'y', 'z'] }, { name: 'color', levels: ['red', 'blue'] }], cells, { alpha: 0.05 });
    expect(r.mainEffects.map((e) => e.levels[0])).toEqual(['y', 'z', 'blue']);
    expect(r.interactions).toHaveLength(2);
    expect(r.mainEffects[1]).toMatchObject({ estimate: 2, se: 0, pValue: null, ci: null });
    expect(r.interactions[0]).toMatchObject({ estimate: 0, pValue: 1, ci: [0, 0] });
  });

  test('malformed designs throw', () => {
    const f = [{ name: 'A', levels: ['0', '1'] }, { name: 'B', levels: ['0', '1'] }];
    const cell = (a: number, b: number): FactorialCell => ({ levels: [a, b], mean: 1, variance: 1 });
    expect(() => factorialEffects(f, [cell(0, 0), cell(0, 1), cell(1, 0)], { alpha: 0.05 })).toThrow(/full factorial/);
    expect(() => factorialEffects(f, [cell(0, 0), cell(0, 0), cell(1, 0), cell(1, 1)], { alpha: 0.05 })).toThrow(/duplicate/);
    expect(() => factorialEffects(f, [cell(0, 0), cell(0, 1), cell(1, 0), cell(1, 2)], { alpha: 0.05 })).toThrow(/out of range/);
  });
});
