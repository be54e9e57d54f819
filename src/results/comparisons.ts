import type { components } from '../contract/schema';
import type { Experiment, Metric } from '../model/experiment';
import { pairPlannedSampleSize, type Comparison } from '../stats';
import type { VariantCounts } from './counts';
import { kindOf } from './metric-kinds';
import { comparisonWarnings, hasEnoughData } from './trust-checks';

/**
 * Each treatment arm against the control, for one metric in one block (overall, or one
 * segment value): the kind's comparison at the pair's N*, then the rules on top of it. Below
 * the minimum data rule the intervals and the p-value are withheld (estimates stay); chance
 * to beat control and expected loss are stated in the metric's good direction. Significance
 * is set later, by the multiple-comparison adjustment (adjustments.ts). Pure.
 */
type ComparisonResult = components['schemas']['ComparisonResult'];
type Direction = Metric['direction'];

/** N* of the sequential analysis when the experiment plans no sample size. */
export const DEFAULT_PLANNED_SAMPLE_SIZE = 10_000;

/** The control's arm among a block's arms (every block has every variant: counts.ts). */
export function controlArm(e: Experiment, arms: readonly VariantCounts[]): VariantCounts {
  const key = e.variants.find((v) => v.control)?.key;
  const control = arms.find((a) => a.variant === key);
  if (!control) throw new Error(`the counts of "${e.key}" have no arm for its control`);
  return control;
}

/**
 * N* of one pair's confidence sequence, by one rule whether the experiment plans a sample size
 * or takes the default: the planned total (or DEFAULT_PLANNED_SAMPLE_SIZE) times the pair's
 * share of the weights (stats/sequential.ts, pairPlannedSampleSize). With two arms that is the
 * total itself. Reported in each comparison's `plannedSampleSize`.
 */
export function pairTuning(e: Experiment, control: string, treatment: string): number {
  const weight = (key: string) => e.variants.find((v) => v.key === key)?.weight ?? 0;
  const total = e.variants.reduce((a, v) => a + v.weight, 0);
  return pairPlannedSampleSize(e.plannedSampleSize ?? DEFAULT_PLANNED_SAMPLE_SIZE, { control: weight(control), treatment: weight(treatment), total }).plannedSampleSize;
}

/** Chance to beat control and expected losses in the metric's good direction: for a metric that should fall, shipping loses when it rises. */
function inGoodDirection(r: Comparison, direction: Direction): Pick<ComparisonResult, 'chanceToBeatControl' | 'expectedLoss'> {
  const chance = r.chanceToBeatControl;
  const loss = r.expectedLoss;
  if (direction === 'increase') return { chanceToBeatControl: chance, expectedLoss: loss };
  return { chanceToBeatControl: chance === null ? null : 1 - chance, expectedLoss: loss === null ? null : { treatment: loss.control, control: loss.treatment } };
}

/** The comparison as the results show it: intervals and p-value only with enough data. */
function shown(r: Comparison, enoughData: boolean, direction: Direction): Omit<ComparisonResult, 'variant' | 'control' | 'enoughData' | 'warnings' | 'intervalType' | 'plannedSampleSize'> {
  const withheld = enoughData ? {} : { reason: r.relative.reason ?? 'not enough data yet' };
  return {
    absolute: { estimate: r.absolute.estimate, se: r.absolute.se, ci: enoughData ? r.absolute.ci : null },
    relative: {
      estimate: r.relative.estimate,
      ci: enoughData ? r.relative.ci : null,
      ...(r.relative.corrected ? { corrected: true } : {}),
      ...(r.relative.reason ? { reason: r.relative.reason } : withheld),
    },
    pValue: enoughData ? r.pValue : null,
    pValueAdjusted: null,
    significant: false,
    better: null,
    ...inGoodDirection(r, direction),
    statistic: r.statistic,
    df: r.df,
    criticalValue: r.criticalValue,
    ...(r.reason ? { reason: r.reason } : {}),
  };
}

/** One treatment arm against the control, before the multiple-comparison adjustment. */
export function compareWithControl(e: Experiment, m: Metric, control: VariantCounts, treatment: VariantCounts, mismatch: boolean): ComparisonResult {
  const plannedSampleSize = pairTuning(e, control.variant, treatment.variant);
  const opts = { alpha: e.alpha, analysis: e.analysis, plannedSampleSize };
  const r = kindOf(m).compare(control, treatment, m.key, opts);
  const enoughData = hasEnoughData(m.key, control, treatment);
  const warnings = comparisonWarnings(m.key, control, treatment, mismatch, r.relative.estimate);
  return {
    variant: treatment.variant,
    control: control.variant,
    enoughData,
    warnings,
    ...shown(r, enoughData, m.direction),
    intervalType: e.analysis,
    plannedSampleSize: e.analysis === 'sequential' ? plannedSampleSize : null,
  };
}

/** A block's arms and the comparison of every treatment arm with the control. */
export function resultBlock(e: Experiment, m: Metric, arms: readonly VariantCounts[], mismatch: boolean): Pick<components['schemas']['ResultBlock'], 'variants' | 'comparisons'> {
  const control = controlArm(e, arms);
  return {
    variants: arms.map((a) => kindOf(m).arm(a, m.key)),
    comparisons: arms.filter((a) => a !== control).map((t) => compareWithControl(e, m, control, t, mismatch)),
  };
}
