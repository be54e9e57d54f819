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
 * A baseline with zero variance (every control unit alike) gives null with a reason, not the
 * floor: a plug-in variance of 0 says nothing about the noise to come (types.ts).
 *
 * Direction: the MDE is signed here (+0.05 = a rise of 5 %, −0.05 = a fall of 5 %), and the
 * binary variance depends on the sign (p' = p(1 + MDE)). `powerAdvice` takes the metric's
 * direction and the MDE as a magnitude, and says whether the observed effect is already
 * detectable at the current size.
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
  if (unitVariance === 0) {
    return { unitsPerArm: null, absoluteEffect: delta, reason: 'the baseline has no variance yet (every unit has the same value): the sample size cannot be estimated' };
  }
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

/** Which way a metric should move: conversion up, unsubscribes down. */
export type MetricDirection = 'increase' | 'decrease';

/** What the sample size is computed from: the control arm's baseline. */
export type PowerBaseline =
  | { type: 'binary'; rate: number }
  | { type: 'mean'; mean: number; unitVariance: number }
  | { type: 'ratio'; control: RatioArm };

/** Units per arm to detect the signed relative change `lift` (−0.05 = a fall of 5 %) from this baseline. */
export function unitsPerArmForLift(baseline: PowerBaseline, lift: number, opts: Omit<PowerOptions, 'mde'> = {}): PowerResult {
  const o = { ...opts, mde: lift };
  if (baseline.type === 'binary') return powerBinary(baseline.rate, o);
  if (baseline.type === 'mean') return powerMeans(baseline.mean, baseline.unitVariance, o);
  return powerRatio(baseline.control, o);
}

export interface PowerAdviceInput {
  baseline: PowerBaseline;
  direction: MetricDirection;
  /** The smallest relative change that matters, as a magnitude (> 0): 0.05 = 5 %. */
  mde: number;
  /** The observed relative lift of the arm advised on (treatment/control − 1); null if none yet. */
  observedLift: number | null;
  /** Units per arm so far (the smaller arm of the pair). */
  unitsPerArm: number;
  alpha?: number;
  power?: number;
}

export interface PowerAdvice {
  direction: MetricDirection;
  /** The MDE as a signed change in the direction that counts: +mde to increase, −mde to decrease. */
  target: { lift: number; unitsPerArm: number | null; moreUnitsPerArm: number | null; reason?: string };
  /**
   * The observed lift: 'good' when it moves the metric the way it should, 'bad' the other way,
   * 'none' at 0; the units per arm that a true effect of that size needs, and whether the
   * current units already reach them. Null when there is no observed lift.
   */
  observed: {
    lift: number;
    direction: 'good' | 'bad' | 'none';
    unitsPerArm: number | null;
    detectable: boolean | null;
    reason?: string;
  } | null;
  /**
   * The effect the advice quotes: 'observed' when the observed lift goes the good way and is at
   * least the MDE (then powering for the MDE would understate what is seen), else 'target'.
   */
  quote: 'observed' | 'target';
  /** The quoted effect's signed lift, units per arm, and units still needed (0 when reached). */
  lift: number;
  unitsPerArm: number | null;
  moreUnitsPerArm: number | null;
  reason?: string;
}

/**
 * Sample-size advice that knows the metric's direction: "to detect a −5 % change" for a metric
 * that should fall, and, when the observed lift already goes the good way by at least the MDE
 * (e.g. +52 % against an MDE of 5 %), the units a true effect of that size needs and whether
 * the arms already have them (`observed.detectable`). Same formulas as powerBinary / powerMeans /
 * powerRatio (fixed-horizon, two-sided α, target power; a sequential analysis needs somewhat
 * more). "Detectable" is a statement about the sample size, not evidence that the effect is
 * real: that is the test's job (a power computed from the observed effect is a function of the
 * p-value and adds nothing to it; Hoenig & Heisey 2001, "The abuse of power", Am. Stat. 55:19).
 */
export function powerAdvice(input: PowerAdviceInput): PowerAdvice {
  const { baseline, direction, mde, observedLift, unitsPerArm } = input;
  if (direction !== 'increase' && direction !== 'decrease') throw new RangeError(`direction must be 'increase' or 'decrease', got ${String(direction)}`);
  assertFinite(mde, 'mde');
  if (!(mde > 0)) throw new RangeError(`mde must be > 0 (a magnitude; the direction gives its sign), got ${mde}`);
  assertFinite(unitsPerArm, 'unitsPerArm');
  if (unitsPerArm < 0) throw new RangeError(`unitsPerArm must be >= 0, got ${unitsPerArm}`);
  const opts = { alpha: input.alpha, power: input.power };
  const more = (n: number | null) => (n === null ? null : Math.max(0, n - unitsPerArm));

  const targetLift = direction === 'increase' ? mde : -mde;
  const t = unitsPerArmForLift(baseline, targetLift, opts);
  const target = { lift: targetLift, unitsPerArm: t.unitsPerArm, moreUnitsPerArm: more(t.unitsPerArm), ...(t.reason ? { reason: t.reason } : {}) };

  let observed: PowerAdvice['observed'] = null;
  if (observedLift !== null) {
    assertFinite(observedLift, 'observedLift');
    const signed = direction === 'increase' ? observedLift : -observedLift;
    const way = signed > 0 ? 'good' : signed < 0 ? 'bad' : 'none';
    const o = observedLift === 0 ? { unitsPerArm: null, reason: 'no observed effect to detect' } : unitsPerArmForLift(baseline, observedLift, opts);
    observed = {
      lift: observedLift,
      direction: way,
      unitsPerArm: o.unitsPerArm,
      detectable: o.unitsPerArm === null ? null : unitsPerArm >= o.unitsPerArm,
      ...(o.reason ? { reason: o.reason } : {}),
    };
  }
  if (observed && observed.direction === 'good' && Math.abs(observed.lift) >= mde && observed.unitsPerArm !== null) {
    return { direction, target, observed, quote: 'observed', lift: observed.lift, unitsPerArm: observed.unitsPerArm, moreUnitsPerArm: more(observed.unitsPerArm) };
  }
  return {
    direction,
    target,
    observed,
    quote: 'target',
    lift: targetLift,
    unitsPerArm: target.unitsPerArm,
    moreUnitsPerArm: target.moreUnitsPerArm,
    ...(target.reason ? { reason: target.reason } : {}),
  };
}
