import type { components } from '../contract/schema';
import type { Experiment, Metric } from '../model/experiment';
import { factorialEffects, type Factor, type FactorialCell, type FactorialEffect } from '../stats';
import { DEFAULT_PLANNED_SAMPLE_SIZE } from './comparisons';
import type { VariantCounts } from './counts';
import { kindOf, type Unavailable } from './metric-kinds';
import { MIN_UNITS_PER_ARM } from './trust-checks';

/**
 * A multivariate experiment's main effects and two-way interactions for one metric, from each
 * cell's estimate (stats/factorial.ts), under the experiment's analysis (sequential: N = all
 * units, N* = the planned total). Every effect is a contrast of all cells, so:
 *  - while a cell has no estimate (no units, fewer than 2, a denominator of 0), every effect
 *    is listed with null figures and the cell's reason;
 *  - while a cell is below the minimum data rule, estimates are shown without interval or p-value.
 * Pure.
 */
type FactorEffect = components['schemas']['FactorEffect'];
type Effects = { factors?: FactorEffect[]; interactions?: FactorEffect[] };
type Label = Pick<FactorEffect, 'factors' | 'levels' | 'baselines'>;

/** The design as the statistics take it: each factor's name and level keys, baseline first. */
const designOf = (factors: NonNullable<Experiment['factors']>): Factor[] => factors.map((f) => ({ name: f.key, levels: f.levels.map((l) => l.key) }));

/** The labels of every main effect and interaction, in the order stats/factorial.ts reports them. */
export function effectLabels(design: readonly Factor[]): { factors: Label[]; interactions: Label[] } {
  const label = (fs: Factor[], levels: string[]): Label => ({ factors: fs.map((f) => f.name), levels, baselines: fs.map((f) => f.levels[0]) });
  const factors = design.flatMap((f) => f.levels.slice(1).map((level) => label([f], [level])));
  const interactions = design.flatMap((f, i) =>
    design.slice(i + 1).flatMap((g) => f.levels.slice(1).flatMap((a) => g.levels.slice(1).map((b) => label([f, g], [a, b])))),
  );
  return { factors, interactions };
}

/** Each variant's cell: its level of every factor, and the metric's mean and variance there; or why a cell has none. */
function cellsOf(e: Experiment, m: Metric, design: readonly Factor[], overall: readonly VariantCounts[]): FactorialCell[] | Unavailable {
  const cells: FactorialCell[] = [];
  for (const arm of overall) {
    const levels = e.variants.find((v) => v.key === arm.variant)?.factors;
    if (!levels) return { reason: `variant ${arm.variant} is no cell of the design` };
    const r = kindOf(m).arm(arm, m.key);
    if (r.value === null || r.se === null) return { reason: `every effect is a contrast of all cells, and cell ${arm.variant} has no estimate: ${r.reason}` };
    cells.push({ levels: design.map((f) => f.levels.indexOf(levels[f.name])), mean: r.value, variance: r.se * r.se });
  }
  return cells;
}

const unavailable = (label: Label, intervalType: FactorEffect['intervalType'], reason: string): FactorEffect => ({ ...label, estimate: null, se: null, ci: null, intervalType, statistic: null, pValue: null, reason });

/** Below the minimum data rule: the estimate stays, the interval and p-value are withheld. */
const withheld = (reason: string) => (x: FactorialEffect): FactorialEffect => ({ ...x, ci: null, statistic: null, pValue: null, reason });

export function factorialEffectsOf(e: Experiment, m: Metric, overall: readonly VariantCounts[]): Effects {
  if (!e.factors) return {};
  const design = designOf(e.factors);
  const cells = cellsOf(e, m, design, overall);
  if ('reason' in cells) {
    const labels = effectLabels(design);
    return { factors: labels.factors.map((l) => unavailable(l, e.analysis, cells.reason)), interactions: labels.interactions.map((l) => unavailable(l, e.analysis, cells.reason)) };
  }
  const units = overall.reduce((a, v) => a + v.units, 0);
  const r = factorialEffects(design, cells, { alpha: e.alpha, analysis: e.analysis, units, plannedSampleSize: e.plannedSampleSize ?? DEFAULT_PLANNED_SAMPLE_SIZE });
  const smallest = Math.min(...overall.map((v) => v.units));
  const typed = (x: FactorialEffect): FactorEffect => ({ ...x, intervalType: e.analysis });
  if (smallest >= MIN_UNITS_PER_ARM) return { factors: r.mainEffects.map(typed), interactions: r.interactions.map(typed) };
  const hide = withheld(`not enough data yet: every cell needs at least ${MIN_UNITS_PER_ARM} units (the smallest has ${smallest})`);
  return { factors: r.mainEffects.map((x) => typed(hide(x))), interactions: r.interactions.map((x) => typed(hide(x))) };
}
