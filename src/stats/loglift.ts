/**
 * Relative lift of a metric that cannot be negative (conversion rates, counts, revenue, ratios
 * of such sums), with an interval that stays within [−100 %, ∞): the delta-method interval on
 * the log scale, transformed back.
 *
 *   y = ln(m_T/m_C),   v = se_T²/m_T² + se_C²/m_C²            (Hedges, Gurevitch & Curtis 1999)
 *   lift = e^y − 1,    interval e^(y ± c·√v) − 1,   statistic y/√v
 *
 * For binary metrics y and v are the log risk ratio exactly as metafor::escalc(measure = "RR")
 * computes it (Katz, Baptista, Azen & Pike 1978, "Obtaining confidence intervals for the risk
 * ratio in cohort studies", Biometrics 34:469–474), with escalc's default ½ added to every
 * cell of a comparison that has a zero cell: a 0/3,037 arm gets an interval of honest width
 * (about −99.8 % to −47 % against 15/3,000 at 95 %) instead of Fieller's −100 % to −100 %.
 *
 * Why this interval (and not Fieller's, fieller.ts):
 *  - the lift of a non-negative metric is ≥ −100 %; e^(·) − 1 cannot leave (−100 %, ∞), whereas
 *    Fieller's lower bound goes below −100 % when the treatment mean is near 0 (a rate
 *    interval reached −114.7 %), and Fieller's interval collapses to a point at a zero count;
 *  - it is built from the same (y, v) that the meta-analysis pools (meta.ts) and that the
 *    per-segment heterogeneity and shrinkage use (shrinkage.ts): a tactic with one experiment
 *    pools to exactly that experiment's interval when both use the same critical value;
 *  - any critical value c works: z_{1−α/2} (fixed) or the confidence-sequence multiplier
 *    (sequential.ts), so the interval is as safe to peek at as the absolute one.
 * Trade-off: its test (statistic y/√v) is not the absolute test of compare.ts, so near the
 * threshold the relative interval can include 0 while the absolute test is significant (or
 * the reverse); Fieller's was built to agree. A caller that wants one verdict should take
 * significance from one scale and say which.
 *
 * Means with an arm at exactly 0 (every unit 0) have no log-scale interval and no continuity
 * correction that holds for revenue: ci null with a reason (the absolute interval still
 * applies). Zero standard error (both arms constant): equal means give [0, 0], different ones
 * null with a reason, as in fixed.ts.
 */
import { logRatioEffect, logRiskRatio, type EffectSize } from './meta';
import type { BinaryArm, Interval } from './types';
import { assertFinite } from './validate';

export interface LogScaleLift {
  /** e^y − 1: the lift at the centre of the log-scale interval; null with `reason` when undefined. */
  estimate: number | null;
  /** e^(y ± c·√v) − 1, within (−1, ∞); null with `reason` when undefined. */
  ci: Interval | null;
  /** y/√v: the log-scale z statistic (for normalTwoSidedP or sequentialPValue); null when v = 0. */
  statistic: number | null;
  /** The effect size on the log scale (ln of treatment/control) and its sampling variance. */
  log: EffectSize | null;
  /** True when ½ was added to each cell (binary comparison with a zero cell). */
  corrected: boolean;
  reason?: string;
}

function assertCritical(c: number): void {
  assertFinite(c, 'criticalValue');
  if (!(c > 0)) throw new RangeError(`criticalValue must be > 0, got ${c}`);
}

/** e^(y ± c·√v) − 1 for a log-scale effect (y, v ≥ 0) at critical value c. */
export function logScaleLift(effect: EffectSize, criticalValue: number, corrected = false): LogScaleLift {
  assertFinite(effect.yi, 'yi');
  assertFinite(effect.vi, 'vi');
  if (effect.vi < 0) throw new RangeError(`vi must be >= 0, got ${effect.vi}`);
  assertCritical(criticalValue);
  const log = { yi: effect.yi, vi: effect.vi };
  const estimate = Math.expm1(effect.yi);
  if (effect.vi === 0) {
    if (effect.yi === 0) return { estimate: 0, ci: [0, 0], statistic: 0, log, corrected };
    return {
      estimate,
      ci: null,
      statistic: null,
      log,
      corrected,
      reason: 'zero standard error: both arms have no variance but different values, so the interval is undefined',
    };
  }
  const se = Math.sqrt(effect.vi);
  const lo = Math.expm1(effect.yi - criticalValue * se);
  const hi = Math.expm1(effect.yi + criticalValue * se);
  if (!Number.isFinite(estimate) || !Number.isFinite(hi)) {
    return { estimate: Number.isFinite(estimate) ? estimate : null, ci: null, statistic: effect.yi / se, log, corrected, reason: 'relative interval overflows double precision' };
  }
  return { estimate, ci: [lo, hi], statistic: effect.yi / se, log, corrected };
}

/** Log-scale lift of a binary metric from the escalc log risk ratio (½ added at a zero cell). */
export function binaryLogLift(control: BinaryArm, treatment: BinaryArm, criticalValue: number): LogScaleLift {
  const rr = logRiskRatio(control, treatment);
  if (rr.yi === null) {
    assertCritical(criticalValue);
    return { estimate: null, ci: null, statistic: null, log: null, corrected: false, reason: rr.reason };
  }
  return logScaleLift(rr, criticalValue, rr.corrected);
}

/**
 * Log-scale lift of a mean or ratio metric from each arm's mean and standard error (the
 * values of meanEstimate / ratioEstimate). A mean of 0, or a negative one, gives nulls with a reason.
 */
export function meanLogLift(control: { mean: number; se: number }, treatment: { mean: number; se: number }, criticalValue: number): LogScaleLift {
  assertCritical(criticalValue);
  for (const [name, v] of [['control.mean', control.mean], ['treatment.mean', treatment.mean], ['control.se', control.se], ['treatment.se', treatment.se]] as const) {
    assertFinite(v, name);
  }
  if (control.se < 0 || treatment.se < 0) throw new RangeError('standard errors must be >= 0');
  if (control.mean < 0 || treatment.mean < 0) {
    return { estimate: null, ci: null, statistic: null, log: null, corrected: false, reason: 'a mean is negative: the log-scale lift applies only to metrics that cannot be negative' };
  }
  const effect = logRatioEffect(control, treatment);
  if (effect.yi === null) {
    const which = control.mean === 0 ? 'the control mean is 0: the relative lift is undefined' : 'the treatment mean is 0 (every unit 0): the log-scale interval is undefined; see the absolute interval';
    return { estimate: control.mean === 0 ? null : -1, ci: null, statistic: null, log: null, corrected: false, reason: which };
  }
  return logScaleLift(effect, criticalValue);
}
