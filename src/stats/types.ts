/**
 * Shared types of the statistics package.
 *
 * Conventions used everywhere in src/stats:
 * - "control" is the baseline arm, "treatment" the arm being compared; every difference is
 *   treatment − control and every relative lift is treatment/control − 1.
 * - Invalid input (negative counts, conversions > units, non-finite sums, alpha outside (0,1),
 *   …) throws a RangeError: it is a bug or corrupt data upstream.
 * - Valid but degenerate input (fewer than 2 units in an arm, zero variance, control mean 0,
 *   an unbounded Fieller interval, …) never throws and never produces NaN or ±Infinity:
 *   the affected fields are `null` and a human-readable `reason` says why.
 * - The minimum amount of data needed before a result is *shown* or *acted on* is a product
 *   decision made by the caller, not here: these functions answer for any n ≥ 2 per arm.
 * - Zero standard error (both arms constant, e.g. every unit 2 vs every unit 3, or 0/10 vs
 *   10/10 under the Wald interval): with equal values there is nothing to test (statistic 0,
 *   p = 1, interval [0, 0], chance to beat ½, losses 0). With different values the normal model
 *   has no noise to measure the difference against, so every inferential quantity (statistic,
 *   p-value, absolute and relative intervals, chance to beat control, expected loss) is null
 *   with one reason, rather than a fabricated p = 0 or certainty; the estimates stay, and so
 *   does `criticalValue`, which depends only on α, N and N* (it is the bar the data would have
 *   to clear). The sample size for a zero-variance baseline is null too (power.ts). Binary
 *   metrics compared with `binaryInterval: 'newcombe'` have no such case: score intervals and
 *   Beta posteriors are defined at rates 0 and 1.
 */

/** A closed interval [lower, upper]. */
export type Interval = [number, number];

/** Binary metric of one arm: `conversions` of `units` units converted (rate = conversions/units). */
export interface BinaryArm {
  units: number;
  conversions: number;
}

/**
 * Count or revenue metric of one arm, as sufficient statistics over units:
 * `sum` = Σ x_i and `sumSquares` = Σ x_i² for the `units` units (x_i = value of unit i, 0 if none).
 */
export interface MeanArm {
  units: number;
  sum: number;
  sumSquares: number;
}

/**
 * Ratio metric of one arm (e.g. revenue per session, where units are users): the metric is
 * R = numSum/denSum. Sufficient statistics over the `units` units: Σ num_i, Σ num_i², Σ den_i,
 * Σ den_i² and crossSum = Σ num_i·den_i.
 */
export interface RatioArm {
  units: number;
  numSum: number;
  numSumSquares: number;
  denSum: number;
  denSumSquares: number;
  crossSum: number;
}

/** 'fixed': classic fixed-horizon test. 'sequential': always-valid test, safe to peek at. */
export type Analysis = 'fixed' | 'sequential';

export interface CompareOptions {
  /** Two-sided significance level, in (0, 1); e.g. 0.05. */
  alpha: number;
  analysis: Analysis;
  /**
   * Sequential analysis only: the planned total sample size (units of BOTH arms of this
   * comparison together) used to tune the confidence sequence; defaults to 10,000.
   */
  plannedSampleSize?: number;
  /**
   * Binary metrics: the absolute interval and its test. 'wald' (default): the unpooled Wald
   * interval and z test (proportions.ts), zero width at rates 0 and 1. 'newcombe': Newcombe's
   * hybrid score interval and the test that inverts it (newcombe.ts).
   */
  binaryInterval?: 'wald' | 'newcombe';
  /**
   * The relative lift's interval. 'fieller' (default): Fieller's (fieller.ts), which agrees with
   * the absolute test but can leave [−100 %, ∞). 'log': the log-scale delta-method interval
   * (loglift.ts), within (−100 %, ∞), with escalc's ½ correction for binary zero cells; a
   * comparison with a negative mean (revenue with refunds) takes Fieller's instead.
   */
  relativeInterval?: 'fieller' | 'log';
}

/** Per-arm estimate as used by a comparison. */
export interface ArmEstimate {
  units: number;
  /** The arm's metric value (rate, mean per unit, or ratio of sums); null if undefined. */
  mean: number | null;
  /** Standard error of `mean`; null if undefined (e.g. fewer than 2 units). */
  se: number | null;
}

/** Result of comparing one treatment arm against the control arm for one metric. */
export interface Comparison {
  control: ArmEstimate;
  treatment: ArmEstimate;
  /** Absolute effect treatment − control, in the metric's units. */
  absolute: {
    estimate: number | null;
    se: number | null;
    ci: Interval | null;
  };
  /**
   * Relative lift treatment/control − 1, with Fieller's interval at the same critical value
   * as the absolute test. `ci` is null (with `reason`) when the interval is unbounded.
   */
  relative: {
    estimate: number | null;
    ci: Interval | null;
    /** Log-scale interval of a binary comparison with a zero cell: ½ was added to every cell. */
    corrected?: boolean;
    reason?: string;
  };
  /** Two-sided p-value (always-valid p-value under sequential analysis). */
  pValue: number | null;
  /** z statistic, or Welch t statistic for means under fixed analysis. */
  statistic: number | null;
  /** Welch–Satterthwaite degrees of freedom of the t statistic; null for z statistics. */
  df: number | null;
  /** Multiplier of the standard error used for every interval of this comparison. */
  criticalValue: number | null;
  /** P(treatment > control) under the posterior; flip for metrics where lower is better. */
  chanceToBeatControl: number | null;
  /**
   * Posterior expected loss in the metric's units: `treatment` = E[max(0, control − treatment)]
   * (risk of shipping treatment), `control` = E[max(0, treatment − control)] (risk of keeping control).
   */
  expectedLoss: { treatment: number; control: number } | null;
  /** Set when any field above is null: why it could not be computed. */
  reason?: string;
}

/** A two-sided test of H0: effect = 0 and the matching confidence interval. */
export interface TestResult {
  statistic: number | null;
  pValue: number | null;
  df: number | null;
  criticalValue: number;
  ci: Interval | null;
  reason?: string;
}
