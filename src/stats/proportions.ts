/**
 * Binary metrics: difference of two independent proportions with the UNPOOLED standard error
 * (the Wald interval for p_T − p_C).
 *
 *   p̂ = conversions/units,   SE = √( p̂_T(1 − p̂_T)/n_T + p̂_C(1 − p̂_C)/n_C )
 *   z = (p̂_T − p̂_C)/SE,      p = 2Φ(−|z|),      CI = (p̂_T − p̂_C) ± c·SE
 *
 * Source: Newcombe (1998), "Interval estimation for the difference between independent
 * proportions: comparison of eleven methods", Statistics in Medicine 17:873–890, method 1
 * (simple asymptotic / Wald). Its worked example 56/70 vs 48/80 (difference 0.2, 95% CI
 * 0.0575 to 0.3425) is checked in test/stats/proportions.test.ts; see also Agresti,
 * Categorical Data Analysis (3rd ed., 2013), the Wald interval for p1 − p2.
 * Note: R's prop.test uses the POOLED variance under H0 for its test and a continuity
 * correction, so it is not the reference for this estimator.
 */
import type { BinaryArm } from './types';
import { assertBinaryArm } from './validate';

export interface ProportionEstimate {
  /** Conversion rate p̂ = conversions/units (null when units = 0). */
  rate: number | null;
  /** Per-unit Bernoulli variance p̂(1 − p̂) (null when units = 0). */
  unitVariance: number | null;
  /** Standard error of p̂: √(p̂(1 − p̂)/n) (null when units = 0). */
  se: number | null;
}

/** Rate, per-unit variance p̂(1 − p̂) and standard error √(p̂(1 − p̂)/n) of one arm. */
export function proportionEstimate(arm: BinaryArm): ProportionEstimate {
  assertBinaryArm(arm, 'arm');
  if (arm.units === 0) return { rate: null, unitVariance: null, se: null };
  const rate = arm.conversions / arm.units;
  // p(1−p) written as x(n−x)/n² so that it is exactly 0 at rates 0 and 1.
  const unitVariance = (arm.conversions * (arm.units - arm.conversions)) / (arm.units * arm.units);
  return { rate, unitVariance, se: Math.sqrt(unitVariance / arm.units) };
}

/**
 * Difference p̂_T − p̂_C with the unpooled standard error √(p̂_T(1−p̂_T)/n_T + p̂_C(1−p̂_C)/n_C).
 * Returns nulls when either arm has no units.
 */
export function proportionDifference(
  control: BinaryArm,
  treatment: BinaryArm,
): { estimate: number | null; se: number | null } {
  const c = proportionEstimate(control);
  const t = proportionEstimate(treatment);
  if (c.rate === null || t.rate === null || c.se === null || t.se === null) return { estimate: null, se: null };
  return { estimate: t.rate - c.rate, se: Math.hypot(t.se, c.se) };
}
