/**
 * Means per unit (count and revenue metrics) and Welch's unequal-variance t test.
 *
 *   x̄ = Σx/n,  s² = (Σx² − (Σx)²/n)/(n − 1),  v = s²/n (variance of x̄)
 *   t = (x̄_T − x̄_C)/√(v_T + v_C)
 *   df = (v_T + v_C)² / ( v_T²/(n_T − 1) + v_C²/(n_C − 1) )      (Welch–Satterthwaite)
 *   CI = (x̄_T − x̄_C) ± t_{1−α/2, df}·√(v_T + v_C)
 *
 * Source: Welch (1947), Biometrika 34:28–35; Satterthwaite (1946). Matches R's default
 * t.test(x, y) (var.equal = FALSE): t.test(extra ~ group, data = sleep) gives t = −1.860813,
 * df = 17.77647, p = 0.07939414, CI (−3.3654832, 0.2054832) — pinned at full precision in
 * test/stats/vectors/r.json.
 */
import { sampleVariance } from './moments';
import type { MeanArm } from './types';
import { assertMeanArm } from './validate';

export interface MeanEstimate {
  /** x̄ = sum/units (null when units = 0). */
  mean: number | null;
  /** Unbiased per-unit sample variance s² (null when units < 2). */
  unitVariance: number | null;
  /** Standard error of the mean √(s²/n) (null when units < 2). */
  se: number | null;
}

/** Mean, sample variance and standard error of the mean of one arm from its sums. */
export function meanEstimate(arm: MeanArm): MeanEstimate {
  assertMeanArm(arm, 'arm');
  const n = arm.units;
  const mean = n > 0 ? arm.sum / n : null;
  const unitVariance = sampleVariance(n, arm.sum, arm.sumSquares);
  const se = unitVariance === null ? null : Math.sqrt(unitVariance / n);
  return { mean, unitVariance, se };
}

/**
 * Welch–Satterthwaite degrees of freedom from the variances of the two means (v = s²/n):
 * df = (v_T + v_C)² / (v_T²/(n_T − 1) + v_C²/(n_C − 1)). Scaled by max(v) so that tiny or huge
 * variances do not under/overflow. Returns null when both variances are 0 (df undefined).
 * One zero variance is fine: df = n − 1 of the other arm (as R's t.test).
 */
export function welchDf(varMeanT: number, nT: number, varMeanC: number, nC: number): number | null {
  const m = Math.max(varMeanT, varMeanC);
  if (!(m > 0) || nT < 2 || nC < 2) return null;
  const a = varMeanT / m;
  const b = varMeanC / m;
  return ((a + b) * (a + b)) / ((a * a) / (nT - 1) + (b * b) / (nC - 1));
}

/**
 * Difference of means x̄_T − x̄_C with SE √(s_T²/n_T + s_C²/n_C) and Welch df.
 * Fields are null when an arm has fewer than 2 units (estimate only needs 1 unit per arm).
 */
export function meanDifference(
  control: MeanArm,
  treatment: MeanArm,
): { estimate: number | null; se: number | null; df: number | null } {
  const c = meanEstimate(control);
  const t = meanEstimate(treatment);
  const estimate = c.mean !== null && t.mean !== null ? t.mean - c.mean : null;
  if (c.se === null || t.se === null) return { estimate, se: null, df: null };
  return {
    estimate,
    se: Math.hypot(t.se, c.se),
    df: welchDf(t.se * t.se, treatment.units, c.se * c.se, control.units),
  };
}
