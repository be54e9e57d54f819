/**
 * Sample size per arm for a two-sided test of a relative minimum detectable effect (MDE),
 * by the standard two-sample normal formula (Chow, Shao & Wang, "Sample Size Calculations in
 * Clinical Research", 2nd ed. 2008, §3.2 and §4.2 — unequal-variance form; Kohavi, Tang & Xu
 * 2020, Trustworthy Online Controlled Experiments, ch. 17, whose rule of thumb n ≈ 16σ²/δ² is
 * this formula at α = 0.05, power 0.8):
 *
 *   n = (z_{1−α/2} + z_{power})² · (σ_C² + σ_T²) / δ²,     δ = baseline·MDE
 *
 *  - binary: σ_C² = p(1 − p), σ_T² = p'(1 − p') with p' = p(1 + MDE);
 *  - means: σ_C² = σ_T² = the per-unit variance;
 *  - ratio: σ² = n·Var(R̂), the per-unit delta-method variance of the control ratio.
 * The result is rounded up, with a floor of 2 units (the least any test here accepts).
 *
 * Differences from R (test/stats/power.test.ts pins both): power.prop.test uses the pooled
 * variance under H0 for the α part, and power.t.test the noncentral t; both add the
 * negligible opposite-tail power. For the sizes that matter in online experiments the answers
 * agree within 0.1% (e.g. p = 0.1, MDE 5%: 57,760 here vs 57,762.7 from power.prop.test).
 */
import { normalQuantile } from './distributions';
import { ratioEstimate } from './ratio';
import type { RatioArm } from './types';
import { assertAlpha, assertFinite, assertProbability } from './validate';

export interface PowerOptions {
  /** Two-sided significance level; default 0.05. */
  alpha?: number;
  /** Target power 1 − β; default 0.8. */
  power?: number;
  /** Relative minimum detectable effect (0.05 = +5%); default 0.05. Negative values allowed. */
  mde?: number;
}

export interface PowerResult {
  /** Units needed in EACH arm (rounded up, ≥ 2); null with reason when undefined. */
  unitsPerArm: number | null;
  /** The absolute effect δ = baseline·MDE being powered for. */
  absoluteEffect: number | null;
  reason?: string;
}

function resolve(opts: PowerOptions): { alpha: number; power: number; mde: number } {
  const alpha = opts.alpha ?? 0.05;
  const power = opts.power ?? 0.8;
  const mde = opts.mde ?? 0.05;
  assertAlpha(alpha);
  assertProbability(power, 'power');
  if (!(power > 0 && power < 1)) throw new RangeError('power must be in (0, 1)');
  assertFinite(mde, 'mde');
  return { alpha, power, mde };
}

/** n = (z_{1−α/2} + z_{power})²·(σ_C² + σ_T²)/δ², rounded up (≥ 2). */
export function unitsPerArmFor(varControl: number, varTreatment: number, delta: number, alpha: number, power: number): number | null {
  if (delta === 0) return null;
  const z = -normalQuantile(alpha / 2) + normalQuantile(power);
  const n = (z * z * (varControl + varTreatment)) / (delta * delta);
  if (!Number.isFinite(n)) return null;
  // The 1e-12 guard keeps an exact integer (up to rounding) from being bumped by one.
  return Math.max(2, Math.ceil(n * (1 - 1e-12)));
}

/** A sample size that does not fit a double (an effect far smaller than the spread) says so. */
function withReason(r: PowerResult): PowerResult {
  return r.unitsPerArm === null ? { ...r, reason: 'the effect is too small against the variance: the sample size overflows double precision' } : r;
}

/** Units per arm to detect rate p → p(1 + MDE) for a binary metric. */
export function powerBinary(baselineRate: number, opts: PowerOptions = {}): PowerResult {
  const { alpha, power, mde } = resolve(opts);
  assertProbability(baselineRate, 'baselineRate');
  const p2 = baselineRate * (1 + mde);
  const delta = p2 - baselineRate;
  if (delta === 0) return { unitsPerArm: null, absoluteEffect: 0, reason: 'baseline rate or MDE is 0: no effect to detect' };
  if (p2 < 0 || p2 > 1) return { unitsPerArm: null, absoluteEffect: delta, reason: 'baseline·(1 + MDE) is outside [0, 1]' };
  const n = unitsPerArmFor(baselineRate * (1 - baselineRate), p2 * (1 - p2), delta, alpha, power);
  return withReason({ unitsPerArm: n, absoluteEffect: delta });
}

/** Units per arm to detect mean μ → μ(1 + MDE) when both arms have per-unit variance σ². */
export function powerMeans(mean: number, unitVariance: number, opts: PowerOptions = {}): PowerResult {
  const { alpha, power, mde } = resolve(opts);
  assertFinite(mean, 'mean');
  assertFinite(unitVariance, 'unitVariance');
  if (unitVariance < 0) throw new RangeError('unitVariance must be >= 0');
  const delta = mean * mde;
  if (delta === 0) return { unitsPerArm: null, absoluteEffect: 0, reason: 'mean or MDE is 0: no effect to detect' };
  return withReason({ unitsPerArm: unitsPerArmFor(unitVariance, unitVariance, delta, alpha, power), absoluteEffect: delta });
}

/** Units per arm for a ratio metric, from the control arm's sufficient statistics. */
export function powerRatio(control: RatioArm, opts: PowerOptions = {}): PowerResult {
  const e = ratioEstimate(control);
  if (e.ratio === null || e.se === null) return { unitsPerArm: null, absoluteEffect: null, reason: e.reason };
  const unitVariance = e.se * e.se * control.units;
  if (!Number.isFinite(unitVariance)) return { unitsPerArm: null, absoluteEffect: null, reason: 'the per-unit variance overflows double precision' };
  return powerMeans(e.ratio, unitVariance, opts);
}
