import type { components } from '../contract/schema';
import type { Experiment, Metric } from '../model/experiment';
import {
  benjaminiHochberg,
  compareBinary,
  compareMeans,
  compareRatio,
  factorialEffects,
  holm,
  meanEstimate,
  powerBinary,
  powerMeans,
  powerRatio,
  proportionEstimate,
  ratioEstimate,
  sampleRatioMismatch,
  type BinaryArm,
  type CompareOptions,
  type Comparison,
  type MeanArm,
  type PowerResult,
  type RatioArm,
} from '../stats';
import type { Counts, VariantCounts } from './counts';

/**
 * Counts + statistics -> results: for every metric, the overall block and one block per
 * segment value, each with its arms and its comparisons against the control; the checks
 * that say whether to trust them (sample ratio mismatch, minimum data, suspicious lifts);
 * multiple-comparison adjustments; power; factorial effects. Pure: no I/O.
 */
export type Results = components['schemas']['Results'];
type MetricResults = components['schemas']['MetricResults'];
type ResultBlock = components['schemas']['ResultBlock'];
type ArmResult = components['schemas']['ArmResult'];
type ComparisonResult = components['schemas']['ComparisonResult'];
type Srm = components['schemas']['Srm'];

/** The minimum data rule: below it no p-value is shown and nothing is significant. */
export const MIN_UNITS_PER_ARM = 100;
export const MIN_CONVERTERS = 10;
export const MINIMUM_DATA_RULE = `at least ${MIN_UNITS_PER_ARM} units in each of the two arms compared, and at least ${MIN_CONVERTERS} converting units (units with an event; for ratio metrics, with a denominator event) across the two`;
/** Lifts larger than this are flagged until each arm has LARGE_ARM units. */
export const SUSPICIOUS_LIFT = 0.5;
export const LARGE_ARM = 10_000;
export const SRM_THRESHOLD = 0.001;
/** N* of the sequential analysis when the experiment plans no sample size. */
export const DEFAULT_PLANNED_SAMPLE_SIZE = 10_000;
export const POWER = 0.8;

export interface ResultOptions {
  metric?: string;
  segment?: string;
}

type Arm = BinaryArm | MeanArm | RatioArm;

/** One arm's sufficient statistics for a metric, from the counts. */
function armOf(m: Metric, v: VariantCounts): Arm {
  const c = v.metrics[m.key];
  if (m.type === 'binary') return { units: v.units, conversions: c.converters };
  if (m.type === 'ratio') {
    return {
      units: v.units,
      numSum: c.numeratorSum ?? 0,
      numSumSquares: c.numeratorSumSquares ?? 0,
      denSum: c.denominatorSum ?? 0,
      denSumSquares: c.denominatorSumSquares ?? 0,
      crossSum: c.crossSum ?? 0,
    };
  }
  return { units: v.units, sum: c.sum, sumSquares: c.sumSquares };
}

function armResult(m: Metric, v: VariantCounts): ArmResult {
  const c = v.metrics[m.key];
  /** Why a null value or standard error is null. */
  const why = (value: number | null, se: number | null, reason?: string) =>
    value !== null && se !== null ? {} : { reason: reason ?? (v.units === 0 ? 'no units yet' : 'fewer than 2 units: variance undefined') };
  if (m.type === 'binary') {
    const est = proportionEstimate({ units: v.units, conversions: c.converters });
    return { variant: v.variant, units: v.units, converters: c.converters, rate: est.rate, value: est.rate, se: est.se, ...why(est.rate, est.se) };
  }
  if (m.type === 'ratio') {
    const est = safe(() => ratioEstimate(armOf(m, v) as RatioArm), (reason) => ({ ratio: null, se: null, reason }));
    return { variant: v.variant, units: v.units, numerator: c.numeratorSum ?? 0, denominator: c.denominatorSum ?? 0, value: est.ratio, se: est.se, ...why(est.ratio, est.se, est.reason) };
  }
  const est: { mean: number | null; se: number | null; reason?: string } = safe(
    () => meanEstimate({ units: v.units, sum: c.sum, sumSquares: c.sumSquares }),
    (reason) => ({ mean: null, se: null, unitVariance: null, reason }),
  );
  return { variant: v.variant, units: v.units, converters: c.converters, sum: c.sum, mean: est.mean, value: est.mean, se: est.se, ...why(est.mean, est.se, est.reason) };
}

/** The estimate, or (when the sums are not valid input) the fallback, told why. */
function safe<T>(f: () => T, fallback: (reason: string) => T): T {
  try {
    return f();
  } catch (err) {
    return fallback(`cannot compute: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function compare(m: Metric, control: Arm, treatment: Arm, opts: CompareOptions): Comparison | string {
  try {
    if (m.type === 'binary') return compareBinary(control as BinaryArm, treatment as BinaryArm, opts);
    if (m.type === 'ratio') return compareRatio(control as RatioArm, treatment as RatioArm, opts);
    return compareMeans(control as MeanArm, treatment as MeanArm, opts);
  } catch (err) {
    return `cannot compute: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Units with data for the minimum data rule: converters, or units with a denominator event. */
function convertingUnits(m: Metric, v: VariantCounts): number {
  return v.metrics[m.key].converters;
}

/** The comparison of one treatment arm with the control, before multiple-comparison adjustment. */
function comparison(e: Experiment, m: Metric, control: VariantCounts, treatment: VariantCounts, mismatch: boolean): ComparisonResult {
  const weights = new Map(e.variants.map((v) => [v.key, v.weight]));
  const totalWeight = e.variants.reduce((a, v) => a + v.weight, 0);
  // N* for this pair: the planned total times the pair's share of the traffic.
  const planned = e.plannedSampleSize
    ? Math.max(2, Math.round((e.plannedSampleSize * ((weights.get(control.variant) ?? 0) + (weights.get(treatment.variant) ?? 0))) / totalWeight))
    : DEFAULT_PLANNED_SAMPLE_SIZE;
  const result = compare(m, armOf(m, control), armOf(m, treatment), { alpha: e.alpha, analysis: e.analysis, plannedSampleSize: planned });
  const warnings: string[] = [];
  const converting = convertingUnits(m, control) + convertingUnits(m, treatment);
  const enoughData = control.units >= MIN_UNITS_PER_ARM && treatment.units >= MIN_UNITS_PER_ARM && converting >= MIN_CONVERTERS;
  if (!enoughData) {
    warnings.push(
      `not enough data yet: ${MINIMUM_DATA_RULE} (now ${control.units} and ${treatment.units} units, ${converting} converting)`,
    );
  }
  if (mismatch) warnings.push('sample ratio mismatch: the split between variants is not what the weights say; do not trust this comparison');
  const base = { variant: treatment.variant, control: control.variant, enoughData, warnings };
  if (typeof result === 'string') {
    return { ...base, absolute: { estimate: null, se: null, ci: null }, relative: { estimate: null, ci: null, reason: result }, pValue: null, pValueAdjusted: null, significant: false, chanceToBeatControl: null, expectedLoss: null, reason: result };
  }
  const decrease = m.direction === 'decrease';
  const lift = result.relative.estimate;
  if (lift !== null && Math.abs(lift) > SUSPICIOUS_LIFT && Math.min(control.units, treatment.units) < LARGE_ARM) {
    warnings.push(
      `a lift of ${(lift * 100).toFixed(0)} % is suspiciously large for this little data (under ${LARGE_ARM.toLocaleString('en')} units per arm): check the tracking before trusting it`,
    );
  }
  const loss = result.expectedLoss;
  return {
    ...base,
    absolute: { estimate: result.absolute.estimate, se: result.absolute.se, ci: enoughData ? result.absolute.ci : null },
    relative: {
      estimate: lift,
      ci: enoughData ? result.relative.ci : null,
      ...(result.relative.reason || !enoughData ? { reason: result.relative.reason ?? 'not enough data yet' } : {}),
    },
    pValue: enoughData ? result.pValue : null,
    pValueAdjusted: null,
    significant: false,
    better: null,
    chanceToBeatControl: result.chanceToBeatControl === null ? null : decrease ? 1 - result.chanceToBeatControl : result.chanceToBeatControl,
    // For a metric that should fall, shipping the treatment loses when it rises.
    expectedLoss: loss === null ? null : decrease ? { treatment: loss.control, control: loss.treatment } : loss,
    statistic: result.statistic,
    df: result.df,
    criticalValue: result.criticalValue,
    ...(result.reason ? { reason: result.reason } : {}),
  };
}

/**
 * Sets pValueAdjusted, significant and better from the adjusted p-values of these comparisons.
 * With `wholeFamily`, comparisons without a p-value yet (below the minimum data rule) still
 * count in the family, as p = 1: the arms are fixed by the design, so an arm that has no
 * data yet must not make the others' correction lighter.
 */
function adjust(e: Experiment, m: Metric, comparisons: ComparisonResult[], method: (p: number[]) => number[], wholeFamily = false): void {
  const tested = comparisons.filter((c) => c.pValue !== null);
  const untested = wholeFamily ? comparisons.length - tested.length : 0;
  const adjusted = method([...tested.map((c) => c.pValue!), ...new Array<number>(untested).fill(1)]);
  tested.forEach((c, i) => {
    c.pValueAdjusted = adjusted[i];
    c.significant = adjusted[i] < e.alpha;
    const est = c.absolute.estimate;
    c.better = c.significant && est !== null ? (m.direction === 'decrease' ? est < 0 : est > 0) : null;
  });
}

export function srmOf(e: Experiment, arms: readonly VariantCounts[]): Srm {
  const weights = e.variants.map((v) => v.weight);
  const observed = e.variants.map((v) => arms.find((a) => a.variant === v.key)?.units ?? 0);
  const total = weights.reduce((a, b) => a + b, 0);
  const r = sampleRatioMismatch(observed, weights, SRM_THRESHOLD);
  return {
    pValue: r.pValue,
    mismatch: r.mismatch,
    threshold: SRM_THRESHOLD,
    chiSquare: r.chiSquare,
    ...(r.reason ? { reason: r.reason } : {}),
    observed: e.variants.map((v, i) => ({ variant: v.key, units: observed[i], expectedShare: v.weight / total })),
  };
}

function block(e: Experiment, m: Metric, arms: readonly VariantCounts[], srm: Srm): ResultBlock {
  const control = arms.find((a) => a.variant === e.variants.find((v) => v.control)!.key)!;
  return {
    variants: arms.map((a) => armResult(m, a)),
    comparisons: arms.filter((a) => a !== control).map((t) => comparison(e, m, control, t, srm.mismatch)),
  };
}

function power(e: Experiment, m: Metric, overall: readonly VariantCounts[]): components['schemas']['Power'] {
  const control = overall.find((a) => a.variant === e.variants.find((v) => v.control)!.key)!;
  const current = Math.min(...overall.map((a) => a.units));
  const opts = { alpha: e.alpha, power: POWER, mde: e.minDetectableEffect };
  const arm = armOf(m, control);
  let r: PowerResult;
  try {
    if (m.type === 'binary') {
      const rate = proportionEstimate(arm as BinaryArm).rate;
      r = rate === null ? { unitsPerArm: null, absoluteEffect: null, reason: 'the control has no units yet' } : powerBinary(rate, opts);
    } else if (m.type === 'ratio') {
      r = powerRatio(arm as RatioArm, opts);
    } else {
      const est = meanEstimate(arm as MeanArm);
      r =
        est.mean === null || est.unitVariance === null
          ? { unitsPerArm: null, absoluteEffect: null, reason: 'the control needs at least 2 units' }
          : powerMeans(est.mean, est.unitVariance, opts);
    }
  } catch (err) {
    r = { unitsPerArm: null, absoluteEffect: null, reason: err instanceof Error ? err.message : String(err) };
  }
  return {
    mde: e.minDetectableEffect,
    power: POWER,
    unitsPerArm: r.unitsPerArm,
    currentUnitsPerArm: current,
    moreUnitsPerArm: r.unitsPerArm === null ? null : Math.max(0, r.unitsPerArm - current),
    ...(r.reason ? { reason: r.reason } : {}),
  };
}

/** Main effects and two-way interactions of a factorial experiment, from each cell's estimate. */
function factorial(e: Experiment, m: Metric, overall: readonly VariantCounts[]) {
  if (!e.factors) return {};
  const factors = e.factors.map((f) => ({ name: f.key, levels: f.levels.map((l) => l.key) }));
  const cells = [];
  for (const v of e.variants) {
    const arm = overall.find((a) => a.variant === v.key);
    const est = arm ? armResult(m, arm) : null;
    if (!est || est.value === null || est.se === null || !v.factors) return { factors: [], interactions: [] };
    cells.push({ levels: factors.map((f) => f.levels.indexOf(v.factors![f.name])), mean: est.value, variance: est.se * est.se });
  }
  try {
    const units = overall.reduce((a, v) => a + v.units, 0);
    const r = factorialEffects(factors, cells, { alpha: e.alpha, analysis: e.analysis, units: Math.max(1, units), plannedSampleSize: e.plannedSampleSize ?? DEFAULT_PLANNED_SAMPLE_SIZE });
    // The minimum data rule applies to every cell: an effect is a contrast of all of them.
    const smallest = Math.min(...overall.map((v) => v.units));
    if (smallest >= MIN_UNITS_PER_ARM) return { factors: r.mainEffects, interactions: r.interactions };
    const reason = `not enough data yet: every cell needs at least ${MIN_UNITS_PER_ARM} units (the smallest has ${smallest})`;
    const hide = (x: (typeof r.mainEffects)[number]) => ({ ...x, ci: null, statistic: null, pValue: null, reason });
    return { factors: r.mainEffects.map(hide), interactions: r.interactions.map(hide) };
  } catch {
    return { factors: [], interactions: [] };
  }
}

export function computeResults(e: Experiment, counts: Counts, options: ResultOptions = {}): Results {
  const srm = srmOf(e, counts.overall);
  const metrics = e.metrics.filter((m) => !options.metric || m.key === options.metric);
  const segmentGroups = counts.segments.filter((s) => !options.segment || s.attribute === options.segment);
  const segmentSrm = new Map(segmentGroups.map((s) => [s, srmOf(e, s.variants)]));

  const results: MetricResults[] = metrics.map((m) => {
    const overall = { ...block(e, m, counts.overall, srm), srm };
    adjust(e, m, overall.comparisons, holm, true);
    const segments = segmentGroups.map((s) => ({ attribute: s.attribute, value: s.value, ...block(e, m, s.variants, segmentSrm.get(s)!), srm: segmentSrm.get(s)! }));
    adjust(e, m, segments.flatMap((s) => s.comparisons), benjaminiHochberg);
    return {
      key: m.key,
      name: m.name,
      type: m.type,
      direction: m.direction,
      role: m.role,
      overall,
      segments,
      power: power(e, m, counts.overall),
      ...factorial(e, m, counts.overall),
    };
  });

  return {
    experiment: e.key,
    status: e.status,
    computedAt: counts.computedAt,
    analysis: e.analysis,
    alpha: e.alpha,
    plannedSampleSize: e.plannedSampleSize ?? DEFAULT_PLANNED_SAMPLE_SIZE,
    minimumData: { unitsPerArm: MIN_UNITS_PER_ARM, converters: MIN_CONVERTERS, rule: MINIMUM_DATA_RULE },
    srm,
    holdout: counts.holdout ? { units: counts.holdout.units } : null,
    metrics: results,
  };
}
