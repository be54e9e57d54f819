/**
 * Full-factorial (multivariate) experiments: main effects and two-way interactions as linear
 * contrasts of the cell means, cells independent (Montgomery, "Design and Analysis of
 * Experiments", 9th ed. 2017, ch. 5–6; Box, Hunter & Hunter 2005, ch. 5; Kohavi, Tang & Xu
 * 2020, ch. 4 on multivariate tests).
 *
 * A cell is one combination of factor levels with the mean of the metric and the variance of
 * that mean (se²). With O = the combinations of the other factors (|O| cells each):
 *  - main effect of factor A, level a vs the first level a₀:
 *      (1/|O|)·Σ_o [ m(a, o) − m(a₀, o) ]
 *  - two-way interaction of A (a vs a₀) and B (b vs b₀), difference-in-differences:
 *      (1/|O|)·Σ_o [ m(a,b,o) − m(a₀,b,o) − m(a,b₀,o) + m(a₀,b₀,o) ]
 * Each is Σ w_c·m_c with Var = Σ w_c²·v_c; z = estimate/SE, two-sided normal p-value and
 * interval estimate ± z_{1−α/2}·SE (fixed analysis), or the always-valid p-value and the
 * confidence-sequence interval at N = all units of the experiment (sequential analysis, as
 * in sequential.ts), so effects are as safe to peek at as the comparisons. Effects are on
 * the additive (absolute) scale.
 */
import { fixedHorizonTest } from './fixed';
import { DEFAULT_SEQUENTIAL_TUNING, sequentialTest } from './sequential';
import type { Interval } from './types';
import { assertAlpha, assertFinite } from './validate';

export interface Factor {
  name: string;
  /** Level names; the first one is the baseline level. At least 2. */
  levels: string[];
}

export interface FactorialCell {
  /** Level index of every factor, in the order of `factors`. */
  levels: number[];
  /** Mean of the metric in this cell. */
  mean: number;
  /** Variance of that mean (its squared standard error). */
  variance: number;
}

export interface FactorialEffect {
  /** Factor names: one for a main effect, two for an interaction. */
  factors: string[];
  /** Level compared against the baseline level, per factor in `factors`. */
  levels: string[];
  baselines: string[];
  estimate: number;
  se: number;
  ci: Interval | null;
  statistic: number | null;
  pValue: number | null;
  reason?: string;
}

export interface FactorialResult {
  mainEffects: FactorialEffect[];
  interactions: FactorialEffect[];
}

function cellKey(levels: number[]): string {
  return levels.join(',');
}

/** Every combination of level indices for the given level counts (row-major). */
function combinations(counts: number[]): number[][] {
  let out: number[][] = [[]];
  for (const c of counts) {
    const next: number[][] = [];
    for (const prefix of out) for (let l = 0; l < c; l++) next.push([...prefix, l]);
    out = next;
  }
  return out;
}

export interface FactorialOptions {
  alpha: number;
  /** Default fixed. Sequential needs `units`. */
  analysis?: 'fixed' | 'sequential';
  /** Units in all cells together (N of the confidence sequence). */
  units?: number;
  /** N* of the confidence sequence; default 10,000. */
  plannedSampleSize?: number;
}

/** Main effects of every non-baseline level and all two-way interactions of a full factorial. */
export function factorialEffects(factors: Factor[], cells: FactorialCell[], opts: FactorialOptions): FactorialResult {
  assertAlpha(opts.alpha);
  const sequential = opts.analysis === 'sequential';
  if (sequential && !(Number.isInteger(opts.units) && (opts.units as number) >= 1)) throw new RangeError('a sequential analysis needs the total units (a positive integer)');
  if (factors.length < 1) throw new RangeError('at least one factor is needed');
  factors.forEach((f) => {
    if (f.levels.length < 2) throw new RangeError(`factor ${f.name} needs at least 2 levels`);
  });
  const counts = factors.map((f) => f.levels.length);
  const byKey = new Map<string, FactorialCell>();
  for (const cell of cells) {
    if (cell.levels.length !== factors.length) throw new RangeError('every cell needs one level per factor');
    cell.levels.forEach((l, i) => {
      if (!Number.isInteger(l) || l < 0 || l >= counts[i]) throw new RangeError(`level index ${l} out of range for ${factors[i].name}`);
    });
    assertFinite(cell.mean, 'cell.mean');
    assertFinite(cell.variance, 'cell.variance');
    if (cell.variance < 0) throw new RangeError('cell.variance must be >= 0');
    const key = cellKey(cell.levels);
    if (byKey.has(key)) throw new RangeError(`duplicate cell ${key}`);
    byKey.set(key, cell);
  }
  const all = combinations(counts);
  if (byKey.size !== all.length) throw new RangeError(`full factorial needs ${all.length} cells, got ${byKey.size}`);

  /** Evaluate Σ w_c m_c over the other factors' combinations; `fixed` maps factor → level. */
  const contrast = (terms: Array<{ sign: number; fixed: Map<number, number> }>, fixedFactors: number[]) => {
    const others = counts.map((c, i) => (fixedFactors.includes(i) ? 1 : c));
    const combos = combinations(others);
    const w = 1 / combos.length;
    let estimate = 0;
    let variance = 0;
    for (const combo of combos) {
      for (const term of terms) {
        const levels = combo.map((l, i) => term.fixed.get(i) ?? l);
        const cell = byKey.get(cellKey(levels)) as FactorialCell;
        estimate += term.sign * w * cell.mean;
        variance += w * w * cell.variance;
      }
    }
    return { estimate, se: Math.sqrt(variance) };
  };

  const effect = (names: number[], levels: number[], estimate: number, se: number): FactorialEffect => {
    const test = sequential
      ? sequentialTest(estimate, se, opts.units as number, opts.alpha, opts.plannedSampleSize ?? DEFAULT_SEQUENTIAL_TUNING)
      : fixedHorizonTest(estimate, se, null, opts.alpha);
    const out: FactorialEffect = {
      factors: names.map((i) => factors[i].name),
      levels: names.map((i, k) => factors[i].levels[levels[k]]),
      baselines: names.map((i) => factors[i].levels[0]),
      estimate,
      se,
      ci: test.ci,
      statistic: test.statistic,
      pValue: test.pValue,
    };
    if (test.reason !== undefined) out.reason = test.reason;
    return out;
  };

  const mainEffects: FactorialEffect[] = [];
  factors.forEach((_, f) => {
    for (let a = 1; a < counts[f]; a++) {
      const r = contrast(
        [
          { sign: 1, fixed: new Map([[f, a]]) },
          { sign: -1, fixed: new Map([[f, 0]]) },
        ],
        [f],
      );
      mainEffects.push(effect([f], [a], r.estimate, r.se));
    }
  });

  const interactions: FactorialEffect[] = [];
  for (let f = 0; f < factors.length; f++) {
    for (let g = f + 1; g < factors.length; g++) {
      for (let a = 1; a < counts[f]; a++) {
        for (let b = 1; b < counts[g]; b++) {
          const r = contrast(
            [
              { sign: 1, fixed: new Map([[f, a], [g, b]]) },
              { sign: -1, fixed: new Map([[f, 0], [g, b]]) },
              { sign: -1, fixed: new Map([[f, a], [g, 0]]) },
              { sign: 1, fixed: new Map([[f, 0], [g, 0]]) },
            ],
            [f, g],
          );
          interactions.push(effect([f, g], [a, b], r.estimate, r.se));
        }
      }
    }
  }
  return { mainEffects, interactions };
}
