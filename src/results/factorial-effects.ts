import type { components } from '../contract/schema';
import type { Experiment, Metric } from '../model/experiment';
import { factorialEffects, holm, type Factor, type FactorialCell, type FactorialEffect } from '../stats';
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
 *  - while a cell is below the minimum data rule, estimates are shown without interval or p-value;
 *  - otherwise every effect gets a Holm-adjusted p-value across all the main effects and
 *    interactions of this metric (the family is fixed by the design, so an effect without a
 *    p-value counts as p = 1), `significant` (adjusted p < alpha) and `better` (the metric's
 *    good direction), which the decision of a multivariate experiment rests on (decision.ts);
 *  - a main effect also carries `relative`: the estimate over the mean of the cells at the
 *    baseline level, so "+4 points" reads as "about +40 %".
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

const untested = { pValueAdjusted: null, significant: false, better: null } as const;

const unavailable = (label: Label, intervalType: FactorEffect['intervalType'], reason: string): FactorEffect => ({ ...label, estimate: null, se: null, ci: null, intervalType, statistic: null, pValue: null, ...untested, relative: null, reason });

/** Below the minimum data rule: the estimate stays, the interval and p-value are withheld. */
const withheld = (reason: string) => (x: FactorEffect): FactorEffect => ({ ...x, ci: null, statistic: null, pValue: null, ...untested, reason });

/** A main effect over the mean of the cells at its factor's baseline level; null for an interaction or a baseline of 0. */
function relativeOf(x: FactorialEffect, design: readonly Factor[], cells: readonly FactorialCell[]): number | null {
  if (x.factors.length !== 1) return null;
  const f = design.findIndex((d) => d.name === x.factors[0]);
  const base = cells.filter((c) => c.levels[f] === 0);
  const mean = base.reduce((a, c) => a + c.mean, 0) / base.length;
  return mean === 0 ? null : x.estimate / mean;
}

/** Holm across every effect of the metric: significant when the adjusted p-value is below alpha, better by the metric's direction. */
export function adjustEffects(effects: readonly FactorEffect[], alpha: number, direction: Metric['direction']): FactorEffect[] {
  const adjusted = holm(effects.map((x) => x.pValue ?? 1));
  return effects.map((x, i) => {
    if (x.pValue === null || x.estimate === null) return { ...x, ...untested };
    const significant = adjusted[i] < alpha;
    return { ...x, pValueAdjusted: adjusted[i], significant, better: significant ? (direction === 'decrease' ? x.estimate < 0 : x.estimate > 0) : null };
  });
}

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
  const shown = (x: FactorialEffect): FactorEffect => ({ ...x, intervalType: e.analysis, ...untested, relative: relativeOf(x, design, cells) });
  const mains = r.mainEffects.map(shown);
  const interactions = r.interactions.map(shown);
  const smallest = Math.min(...overall.map((v) => v.units));
  if (smallest < MIN_UNITS_PER_ARM) {
    const hide = withheld(`not enough data yet: every cell needs at least ${MIN_UNITS_PER_ARM} units (the smallest has ${smallest})`);
    return { factors: mains.map(hide), interactions: interactions.map(hide) };
  }
  const adjusted = adjustEffects([...mains, ...interactions], e.alpha, m.direction);
  return { factors: adjusted.slice(0, mains.length), interactions: adjusted.slice(mains.length) };
}
