/**
 * Property tests over 100,000 generated unit ids per seed (fixed seeds, so the run is
 * reproducible): determinism across restarts, weights honoured, independence of experiments.
 * Statistical checks use Pearson's chi-square with p > 0.001; each is paired with a check that
 * the same test rejects a real defect, so it cannot pass vacuously.
 */
import vectors from '../vectors/bucketing.json';
import { assign } from '../../src/assignment/assign';
import { compile } from '../../src/assignment/compile';
import type { AssignableExperiment } from '../../src/assignment/engine-types';
import { chiSquareGoodnessOfFit, chiSquareIndependence, countBy, experiment, unitIds } from './support';

const N = 100_000;
const SEEDS = [11, 2024, 987654321];
const ids = new Map(SEEDS.map((seed) => [seed, unitIds(N, seed)]));
const P_MIN = 0.001;

const variantsOf = (exp: AssignableExperiment, units: readonly string[]): string[] => {
  const c = compile(exp);
  return units.map((unitId) => assign({ unitId }, c).variant);
};

/** Number of positions where two equally long arrays differ (fast, unlike a deep toEqual). */
const differences = (a: readonly string[], b: readonly string[]): number => a.filter((v, i) => v !== b[i]).length;

describe('determinism', () => {
  it('generates 100,000 distinct ids per seed', () => {
    for (const seed of SEEDS) expect(new Set(ids.get(seed)).size).toBe(N);
  });

  it.each(SEEDS)('same experiment and unit give the same variant, also after a JSON round-trip "restart" (seed %i)', (seed) => {
    const exp = experiment({
      variants: [{ key: 'control', weight: 1 }, { key: 'b', weight: 2 }, { key: 'c', weight: 3 }],
      coverage: 0.8,
      layer: { key: 'home', start: 0.1, end: 0.9 },
    });
    const units = ids.get(seed)!;
    const first = variantsOf(exp, units);
    const restarted = JSON.parse(JSON.stringify(exp)) as AssignableExperiment;
    expect(differences(first, variantsOf(exp, units))).toBe(0);
    expect(differences(first, variantsOf(restarted, units))).toBe(0);
    expect(new Set(first)).toEqual(new Set(['control', 'b', 'c'])); // not trivially constant
  });

  it('matches the independently computed vector buckets: variant = range containing the bucket', () => {
    const exp = experiment({ salt: 'exp-checkout-button', variants: [{ key: 'control', weight: 1 }, { key: 'treatment', weight: 3 }] });
    const c = compile(exp);
    const cases = (vectors as { salt: string; unitId: string; bucket: number }[]).filter((v) => v.salt === 'exp-checkout-button');
    expect(cases.length).toBeGreaterThan(50);
    for (const v of cases) {
      expect(assign({ unitId: v.unitId }, c).variant).toBe(v.bucket < 0.25 ? 'control' : 'treatment');
    }
  });
});

describe('weights are honoured (chi-square goodness of fit, p > 0.001)', () => {
  const designs: [string, number[]][] = [
    ['50/50', [1, 1]],
    ['10/90', [10, 90]],
    ['1:2:3', [1, 2, 3]],
  ];
  const cases = designs.flatMap(([name, w]) => SEEDS.map((seed) => [name, seed, w] as const));

  it.each(cases)('%s, seed %i', (_, seed, weights) => {
    const keys = weights.map((__, i) => (i === 0 ? 'control' : `v${i}`));
    const exp = experiment({ salt: `split-${seed}`, variants: keys.map((key, i) => ({ key, weight: weights[i] })) });
    const total = weights.reduce((a, b) => a + b, 0);
    const p = chiSquareGoodnessOfFit(countBy(variantsOf(exp, ids.get(seed)!), keys), weights.map((w) => w / total));
    expect(p).toBeGreaterThan(P_MIN);
  });

  it('the same check rejects a 1-point skew (power at n = 100,000)', () => {
    const exp = experiment({ salt: 'split-power' });
    const counts = countBy(variantsOf(exp, ids.get(SEEDS[0])!), ['control', 'treatment']);
    expect(chiSquareGoodnessOfFit(counts, [0.51, 0.49])).toBeLessThan(P_MIN);
  });
});

describe('experiments are independent (chi-square test of independence, p > 0.001)', () => {
  const a = experiment({ key: 'a', salt: 'indep-a', variants: [{ key: 'control', weight: 1 }, { key: 'x', weight: 1 }, { key: 'y', weight: 1 }] });
  const b = experiment({ key: 'b', salt: 'indep-b', variants: [{ key: 'control', weight: 1 }, { key: 'z', weight: 3 }] });
  const table = (va: string[], vb: string[]): number[][] => {
    const rows = ['control', 'x', 'y'];
    const cols = ['control', 'z'];
    const t = rows.map(() => cols.map(() => 0));
    va.forEach((v, i) => t[rows.indexOf(v)][cols.indexOf(vb[i])]++);
    return t;
  };

  it.each(SEEDS)('different salts, same units (seed %i)', (seed) => {
    const units = ids.get(seed)!;
    expect(chiSquareIndependence(table(variantsOf(a, units), variantsOf(b, units)))).toBeGreaterThan(P_MIN);
  });

  it('the same check rejects two experiments that share a salt', () => {
    const units = ids.get(SEEDS[0])!;
    const sameSalt = { ...b, salt: a.salt };
    expect(chiSquareIndependence(table(variantsOf(a, units), variantsOf(sameSalt, units)))).toBeLessThan(P_MIN);
  });
});
