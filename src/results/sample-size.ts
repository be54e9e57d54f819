import type { components } from '../contract/schema';
import type { Experiment, Metric } from '../model/experiment';
import { powerAdvice } from '../stats';
import { controlArm } from './comparisons';
import type { VariantCounts } from './counts';
import { kindOf } from './metric-kinds';

/**
 * Power, per metric, in the metric's good direction (stats/power.ts `powerAdvice`, a
 * fixed-horizon figure): the units each arm needs to detect the experiment's minimum
 * detectable effect signed by the metric's direction (+5 % for a metric that should rise,
 * −5 % for one that should fall) at its alpha with 80 % power, from the control's current
 * rate or variance, and how many more units that is than the smallest arm has now; and, once
 * an arm has a lift, the units a true effect of the observed size needs and whether the arms
 * already have them (`observed.detectable`). The observed lift is the treatment arm's that
 * goes furthest in the good direction (else the first arm's). Null figures, with the reason,
 * while the control gives no baseline. Pure.
 */
type Power = components['schemas']['Power'];
type ComparisonResult = components['schemas']['ComparisonResult'];

export const POWER = 0.8;

/** The arm whose lift goes furthest in the metric's good direction, else the first arm with a lift. */
function observedArm(m: Metric, comparisons: readonly ComparisonResult[]): { variant: string; lift: number } | null {
  const sign = m.direction === 'decrease' ? -1 : 1;
  const withLift = comparisons.flatMap((c) => (c.relative.estimate === null || !Number.isFinite(c.relative.estimate) ? [] : [{ variant: c.variant, lift: c.relative.estimate }]));
  if (withLift.length === 0) return null;
  return withLift.reduce((best, c) => (sign * c.lift > sign * best.lift ? c : best));
}

export function powerOf(e: Experiment, m: Metric, overall: readonly VariantCounts[], comparisons: readonly ComparisonResult[] = []): Power {
  const current = Math.min(...overall.map((a) => a.units));
  const lift = m.direction === 'decrease' ? -e.minDetectableEffect : e.minDetectableEffect;
  const base = { mde: e.minDetectableEffect, direction: m.direction, lift, power: POWER, currentUnitsPerArm: current };
  const baseline = kindOf(m).baseline(controlArm(e, overall), m.key);
  if ('reason' in baseline) return { ...base, unitsPerArm: null, moreUnitsPerArm: null, observed: null, reason: baseline.reason };
  const seen = observedArm(m, comparisons);
  const advice = powerAdvice({ baseline, direction: m.direction, mde: e.minDetectableEffect, observedLift: seen?.lift ?? null, unitsPerArm: current, alpha: e.alpha, power: POWER });
  const { target, observed: o } = advice;
  const observed =
    seen && o
      ? {
          variant: seen.variant,
          lift: o.lift,
          direction: o.direction,
          unitsPerArm: o.unitsPerArm,
          moreUnitsPerArm: o.unitsPerArm === null ? null : Math.max(0, o.unitsPerArm - current),
          detectable: o.detectable,
          ...(o.reason ? { reason: o.reason } : {}),
        }
      : null;
  return { ...base, unitsPerArm: target.unitsPerArm, moreUnitsPerArm: target.moreUnitsPerArm, observed, ...(target.reason ? { reason: target.reason } : {}) };
}
