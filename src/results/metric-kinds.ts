import type { components } from '../contract/schema';
import type { Metric } from '../model/experiment';
import {
  binaryArmProblem,
  compareBinary,
  compareMeans,
  compareRatio,
  meanArmProblem,
  meanEstimate,
  proportionEstimate,
  ratioArmProblem,
  ratioEstimate,
  type BinaryArm,
  type CompareOptions,
  type Comparison,
  type MeanArm,
  type PowerBaseline,
  type RatioArm,
  unavailableComparison,
} from '../stats';
import type { MetricCounts, VariantCounts } from './counts';

/**
 * Metric kinds: everything that depends on a metric's type, said once, in the table at the
 * bottom. A kind reads one arm's sufficient statistics from the counts, estimates the arm's
 * value (a rate, a mean per unit, or a ratio of sums) with its standard error, compares two
 * arms with the intervals that suit it, and gives the baseline a sample size is computed
 * from. Counts that contradict themselves (more converters than units, a negative sum of
 * squares) make no arm: every figure built on them is null, with the reason. Pure.
 */
type ArmResult = components['schemas']['ArmResult'];
export type MetricType = Metric['type'];

/** A figure that cannot be computed, and why. */
export interface Unavailable {
  reason: string;
}

/** What the experiment sets for every comparison; the kind adds its interval methods. */
export type ExperimentCompareOptions = Pick<CompareOptions, 'alpha' | 'analysis' | 'plannedSampleSize'>;

/** The intervals a kind's comparisons use: for the difference (binary only) and for the relative lift. */
export type IntervalMethods = Pick<CompareOptions, 'binaryInterval' | 'relativeInterval'>;

export interface MetricKind {
  /** The arm as the results show it: its value and standard error, or why they are null. */
  arm(v: VariantCounts, metric: string): ArmResult;
  /** Treatment against control; every figure null, with the reason, when an arm's counts are not valid. */
  compare(control: VariantCounts, treatment: VariantCounts, metric: string, opts: ExperimentCompareOptions): Comparison;
  /** What the units needed are computed from: the control's rate or variance. */
  baseline(control: VariantCounts, metric: string): PowerBaseline | Unavailable;
}

/** One arm's estimate: value and standard error, with a reason when either is null. */
interface Estimate {
  value: number | null;
  se: number | null;
  reason?: string;
}

type Read<A> = { arm: A } | Unavailable;

/** What one kind does with its own arm type A. */
interface KindSpec<A> {
  /** The arm's sufficient statistics from its counts, or why the counts make none. */
  read(units: number, counts: MetricCounts, variant: string): Read<A>;
  estimate(arm: A): Estimate;
  /** The figures shown beside value and se: converters and rate, sum and mean, or the ratio's parts. */
  figures(counts: MetricCounts, value: number | null): Partial<ArmResult>;
  compare(control: A, treatment: A, opts: CompareOptions): Comparison;
  intervals: IntervalMethods;
  baseline(control: A): PowerBaseline | Unavailable;
}

const NO_UNITS = 'no units yet';
const ONE_UNIT = 'fewer than 2 units: variance undefined';

function estimated(value: number | null, se: number | null, reason: string): Estimate {
  return value !== null && se !== null ? { value, se } : { value, se, reason };
}

/** The arm, or (when the statistics would refuse it as input) why its counts are not valid. */
function checked<A>(arm: A, problemOf: (arm: A, name: string) => string | null, variant: string): Read<A> {
  const problem = problemOf(arm, variant);
  return problem === null ? { arm } : { reason: `the counts are not valid: ${problem}` };
}

/** A kind from its spec: reading happens here once, so no caller handles an arm type. */
function kind<A>(spec: KindSpec<A>): MetricKind {
  const read = (v: VariantCounts, metric: string) => spec.read(v.units, v.metrics[metric], v.variant);
  return {
    arm(v, metric) {
      const r = read(v, metric);
      const e = 'reason' in r ? { value: null, se: null, reason: r.reason } : spec.estimate(r.arm);
      return { variant: v.variant, units: v.units, ...spec.figures(v.metrics[metric], e.value), value: e.value, se: e.se, ...(e.reason ? { reason: e.reason } : {}) };
    },
    compare(control, treatment, metric, opts) {
      const c = read(control, metric);
      const t = read(treatment, metric);
      const unknown = (reason: string) => unavailableComparison({ units: control.units, mean: null, se: null }, { units: treatment.units, mean: null, se: null }, reason);
      if ('reason' in c) return unknown(`control: ${c.reason}`);
      if ('reason' in t) return unknown(`treatment: ${t.reason}`);
      return spec.compare(c.arm, t.arm, { ...opts, ...spec.intervals });
    },
    baseline(control, metric) {
      const c = read(control, metric);
      return 'reason' in c ? c : spec.baseline(c.arm);
    },
  };
}

/** Binary: did the unit convert. The rate, the difference of rates, exact Beta posteriors. */
const binary = kind<BinaryArm>({
  read: (units, c, variant) => checked({ units, conversions: c.converters }, binaryArmProblem, variant),
  estimate(arm) {
    const e = proportionEstimate(arm);
    return estimated(e.rate, e.se, NO_UNITS);
  },
  figures: (c, value) => ({ converters: c.converters, rate: value }),
  compare: compareBinary,
  intervals: { binaryInterval: 'newcombe', relativeInterval: 'log' },
  baseline(arm) {
    const rate = proportionEstimate(arm).rate;
    return rate === null ? { reason: 'the control has no units yet' } : { type: 'binary', rate };
  },
});

/** Count and revenue: the mean per unit, Welch's test (z under sequential analysis). */
const mean = kind<MeanArm>({
  read: (units, c, variant) => checked({ units, sum: c.sum, sumSquares: c.sumSquares }, meanArmProblem, variant),
  estimate(arm) {
    const e = meanEstimate(arm);
    return estimated(e.mean, e.se, arm.units === 0 ? NO_UNITS : ONE_UNIT);
  },
  figures: (c, value) => ({ converters: c.converters, sum: c.sum, mean: value }),
  compare: compareMeans,
  intervals: { relativeInterval: 'log' },
  baseline(arm) {
    const e = meanEstimate(arm);
    return e.mean === null || e.unitVariance === null ? { reason: 'the control needs at least 2 units' } : { type: 'mean', mean: e.mean, unitVariance: e.unitVariance };
  },
});

/** The ratio's sufficient statistics, when the counts carry all its parts. */
function ratioArm(units: number, c: MetricCounts): RatioArm | null {
  const { numeratorSum, numeratorSumSquares, denominatorSum, denominatorSumSquares, crossSum } = c;
  if (numeratorSum === undefined || numeratorSumSquares === undefined || denominatorSum === undefined || denominatorSumSquares === undefined || crossSum === undefined) return null;
  return { units, numSum: numeratorSum, numSumSquares: numeratorSumSquares, denSum: denominatorSum, denSumSquares: denominatorSumSquares, crossSum };
}

/** Ratio: sum of one metric over sum of another, with the delta method. */
const ratio = kind<RatioArm>({
  read(units, c, variant) {
    const arm = ratioArm(units, c);
    return arm === null ? { reason: "the counts lack the sums of the ratio's parts" } : checked(arm, ratioArmProblem, variant);
  },
  estimate(arm) {
    const e = ratioEstimate(arm);
    return estimated(e.ratio, e.se, e.reason ?? ONE_UNIT);
  },
  figures: (c) => ({ ...(c.numeratorSum === undefined ? {} : { numerator: c.numeratorSum }), ...(c.denominatorSum === undefined ? {} : { denominator: c.denominatorSum }) }),
  compare: compareRatio,
  intervals: { relativeInterval: 'log' },
  baseline: (arm) => ({ type: 'ratio', control: arm }),
});

export const METRIC_KINDS: Readonly<Record<MetricType, MetricKind>> = { binary, count: mean, revenue: mean, ratio };

export const kindOf = (m: Pick<Metric, 'type'>): MetricKind => METRIC_KINDS[m.type];
