/**
 * Ratio metrics R = Σnum/Σden over the units of an arm (e.g. revenue per order with users as
 * units), with the delta-method variance that accounts for the within-unit correlation of
 * numerator and denominator:
 *
 *   Var(R̂) ≈ (1/n)·( σ²_num/μ_den² − 2·μ_num·σ_num,den/μ_den³ + μ_num²·σ²_den/μ_den⁴ )
 *          = Σ_i (num_i − R̂·den_i)² / ((n − 1)·n·μ_den²)
 *
 * with μ = per-unit means and σ = unbiased (n − 1) sample (co)variances. The second form is the
 * same quantity written with the sums (the residuals num_i − R̂·den_i sum to exactly 0), which
 * needs one cancellation instead of three. Source: Deng, Knoblich & Lu (2018), "Applying the
 * Delta Method in Metric Analytics: A Practical Guide with Novel Ideas", KDD '18;
 * also Kohavi, Tang & Xu (2020), Trustworthy Online Controlled Experiments, ch. 18.
 * Checked against a direct per-unit numpy computation in test/stats/vectors/scipy.json.
 */
import type { RatioArm } from './types';
import { assertRatioArm } from './validate';

export interface RatioEstimate {
  /** R̂ = numSum/denSum (null when denSum = 0 or units = 0). */
  ratio: number | null;
  /** Delta-method standard error of R̂ (null when undefined, e.g. units < 2). */
  se: number | null;
  reason?: string;
}

/** R̂ and its delta-method standard error for one arm. */
export function ratioEstimate(arm: RatioArm): RatioEstimate {
  assertRatioArm(arm, 'arm');
  const n = arm.units;
  if (n === 0) return { ratio: null, se: null, reason: 'no units' };
  if (arm.denSum === 0) return { ratio: null, se: null, reason: 'denominator sum is 0: ratio undefined' };
  const ratio = arm.numSum / arm.denSum;
  if (!Number.isFinite(ratio)) return { ratio: null, se: null, reason: 'the denominator sum is too close to 0: the ratio overflows double precision' };
  if (n < 2) return { ratio, se: null, reason: 'fewer than 2 units: variance undefined' };
  const muDen = arm.denSum / n;
  const resid = arm.numSumSquares - 2 * ratio * arm.crossSum + ratio * ratio * arm.denSumSquares;
  const scale = arm.numSumSquares + ratio * ratio * arm.denSumSquares;
  const residual = resid <= 64 * Number.EPSILON * scale ? 0 : resid; // rounding noise → 0
  const se = Math.sqrt(residual / ((n - 1) * n * muDen * muDen));
  // Sums far apart in size (a denominator near 0, values near the edge of double precision).
  if (!Number.isFinite(se)) return { ratio, se: null, reason: 'the standard error of the ratio overflows double precision' };
  return { ratio, se };
}

/** Difference R̂_T − R̂_C with SE √(Var(R̂_T) + Var(R̂_C)) (independent arms). */
export function ratioDifference(
  control: RatioArm,
  treatment: RatioArm,
): { estimate: number | null; se: number | null } {
  const c = ratioEstimate(control);
  const t = ratioEstimate(treatment);
  const estimate = c.ratio !== null && t.ratio !== null ? t.ratio - c.ratio : null;
  if (c.se === null || t.se === null) return { estimate, se: null };
  return { estimate, se: Math.hypot(t.se, c.se) };
}
