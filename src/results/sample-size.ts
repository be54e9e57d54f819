import type { components } from '../contract/schema';
import type { Experiment, Metric } from '../model/experiment';
import { unitsPerArmForLift, type PowerResult } from '../stats';
import { controlArm } from './comparisons';
import type { VariantCounts } from './counts';
import { kindOf } from './metric-kinds';

/**
 * Power, per metric: the units each arm needs to detect the experiment's minimum detectable
 * effect (relative) at its alpha with 80 % power, from the control's current rate or variance
 * (stats/power.ts, a fixed-horizon figure), and how many more units that is than the smallest
 * arm has now. Null, with the reason, while the control gives no baseline. Pure.
 */
type Power = components['schemas']['Power'];

export const POWER = 0.8;

function unitsNeeded(e: Experiment, m: Metric, control: VariantCounts): PowerResult {
  const baseline = kindOf(m).baseline(control, m.key);
  if ('reason' in baseline) return { unitsPerArm: null, absoluteEffect: null, reason: baseline.reason };
  return unitsPerArmForLift(baseline, e.minDetectableEffect, { alpha: e.alpha, power: POWER });
}

export function powerOf(e: Experiment, m: Metric, overall: readonly VariantCounts[]): Power {
  const r = unitsNeeded(e, m, controlArm(e, overall));
  const current = Math.min(...overall.map((a) => a.units));
  return {
    mde: e.minDetectableEffect,
    power: POWER,
    unitsPerArm: r.unitsPerArm,
    currentUnitsPerArm: current,
    moreUnitsPerArm: r.unitsPerArm === null ? null : Math.max(0, r.unitsPerArm - current),
    ...(r.reason ? { reason: r.reason } : {}),
  };
}
