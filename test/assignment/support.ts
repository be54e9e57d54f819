/**
 * Test support for the assignment engine: a seeded unit-id generator and the two
 * chi-square tests the property suites use (p-values from jstat).
 */
import { compile } from '../../src/assignment/compile';
import type { AssignableExperiment } from '../../src/assignment/engine-types';

interface JStatLike {
  chisquare: { cdf(x: number, dof: number): number };
}
const jStat = require('jstat') as JStatLike;

/** Mulberry32: a tiny deterministic PRNG (uniform in [0, 1)). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const EXOTIC = ['ü', 'é', '用户', '😀', '🧪', 'e\u0301', 'مستخدم', '/', ' ', 'ß'];

/**
 * `count` distinct unit ids of mixed, realistic shapes (sequential, UUID-like, random
 * alphanumeric, non-ASCII), deterministic for a given seed; all are valid unit ids.
 */
export function unitIds(count: number, seed: number): string[] {
  const r = rng(seed);
  const pick = (s: string): string => s[Math.floor(r() * s.length)];
  const hex = (n: number): string => {
    let out = '';
    for (let i = 0; i < n; i++) out += '0123456789abcdef'[Math.floor(r() * 16)];
    return out;
  };
  const ids: string[] = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const kind = r();
    if (kind < 0.3) {
      ids[i] = `user-${seed}-${i}`;
    } else if (kind < 0.6) {
      ids[i] = `${hex(8)}-${hex(4)}-4${hex(3)}-${hex(4)}-${hex(12)}`;
    } else if (kind < 0.9) {
      const len = 1 + Math.floor(r() * 24);
      let s = '';
      for (let j = 0; j < len; j++) s += pick(ALNUM);
      ids[i] = `${s}.${i.toString(36)}`;
    } else {
      ids[i] = `${EXOTIC[Math.floor(r() * EXOTIC.length)]}${i}${EXOTIC[Math.floor(r() * EXOTIC.length)]}`;
    }
  }
  return ids;
}

/** Pearson chi-square goodness of fit: p-value of `observed` counts against `probabilities`. */
export function chiSquareGoodnessOfFit(observed: readonly number[], probabilities: readonly number[]): number {
  const n = observed.reduce((a, b) => a + b, 0);
  let stat = 0;
  observed.forEach((o, i) => {
    const e = n * probabilities[i];
    stat += ((o - e) * (o - e)) / e;
  });
  return 1 - jStat.chisquare.cdf(stat, observed.length - 1);
}

/** Pearson chi-square test of independence on an r x c contingency table: the p-value. */
export function chiSquareIndependence(table: readonly (readonly number[])[]): number {
  const rows = table.map((row) => row.reduce((a, b) => a + b, 0));
  const cols = table[0].map((_, j) => table.reduce((a, row) => a + row[j], 0));
  const n = rows.reduce((a, b) => a + b, 0);
  let stat = 0;
  table.forEach((row, i) =>
    row.forEach((o, j) => {
      const e = (rows[i] * cols[j]) / n;
      stat += ((o - e) * (o - e)) / e;
    }),
  );
  return 1 - jStat.chisquare.cdf(stat, (rows.length - 1) * (cols.length - 1));
}

/** A running, untargeted, unlayered A/B experiment; override any field. */
export function experiment(overrides: Partial<AssignableExperiment> = {}): AssignableExperiment {
  return {
    key: 'exp',
    status: 'running',
    salt: 'exp-salt',
    variants: [
      { key: 'control', weight: 1 },
      { key: 'treatment', weight: 1 },
    ],
    control: 'control',
    coverage: 1,
    targeting: null,
    layer: null,
    respectsHoldout: true,
    ...overrides,
  };
}

export const compiled = (overrides: Partial<AssignableExperiment> = {}) => compile(experiment(overrides));

/** Count how often each key occurs, in the order of `keys`. */
export function countBy(values: readonly string[], keys: readonly string[]): number[] {
  const counts = new Map(keys.map((k) => [k, 0]));
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return keys.map((k) => counts.get(k)!);
}
