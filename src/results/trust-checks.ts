import type { components } from '../contract/schema';
import type { Experiment } from '../model/experiment';
import { sampleRatioMismatch } from '../stats';
import type { VariantCounts } from './counts';

/**
 * The checks that say whether to trust a comparison: the minimum data rule (below it no
 * p-value is shown and nothing is significant), the sample ratio mismatch (the split between
 * variants is not what the weights say), and lifts too large for the data. Each check has its
 * threshold here and its warning, a sentence with the numbers. Pure.
 */
type Srm = components['schemas']['Srm'];

export const MIN_UNITS_PER_ARM = 100;
export const MIN_CONVERTERS = 10;
export const MINIMUM_DATA_RULE = `at least ${MIN_UNITS_PER_ARM} units in each of the two arms compared, and at least ${MIN_CONVERTERS} converting units (units with an event; for ratio metrics, with a denominator event) across the two`;
/** Lifts larger than this are flagged until each arm has LARGE_ARM units. */
export const SUSPICIOUS_LIFT = 0.5;
export const LARGE_ARM = 10_000;
export const SRM_THRESHOLD = 0.001;

/** Units with data for the minimum data rule: converters (for ratio metrics, units with a denominator event: counts.ts). */
const converting = (metric: string, v: VariantCounts) => v.metrics[metric].converters;

/** Whether two arms meet the minimum data rule for this metric. */
export function hasEnoughData(metric: string, control: VariantCounts, treatment: VariantCounts): boolean {
  const enoughUnits = control.units >= MIN_UNITS_PER_ARM && treatment.units >= MIN_UNITS_PER_ARM;
  return enoughUnits && converting(metric, control) + converting(metric, treatment) >= MIN_CONVERTERS;
}

export function notEnoughDataWarning(metric: string, control: VariantCounts, treatment: VariantCounts): string {
  const converters = converting(metric, control) + converting(metric, treatment);
  return `not enough data yet: ${MINIMUM_DATA_RULE} (now ${control.units} and ${treatment.units} units, ${converters} converting)`;
}

export const SRM_WARNING = 'sample ratio mismatch: the split between variants is not what the weights say; do not trust this comparison';

/** Whether a lift is too large to believe with this little data. */
export function isSuspiciousLift(lift: number | null, control: VariantCounts, treatment: VariantCounts): lift is number {
  return lift !== null && Math.abs(lift) > SUSPICIOUS_LIFT && Math.min(control.units, treatment.units) < LARGE_ARM;
}

export function suspiciousLiftWarning(lift: number): string {
  return `a lift of ${(lift * 100).toFixed(0)} % is suspiciously large for this little data (under ${LARGE_ARM.toLocaleString('en')} units per arm): check the tracking before trusting it`;
}

export type WarningKind = 'data' | 'srm' | 'suspicious_lift';

/** Which check a comparison's warning comes from (the texts above). */
export function warningKind(warning: string): WarningKind | null {
  if (warning === SRM_WARNING) return 'srm';
  if (warning.startsWith('not enough data yet')) return 'data';
  if (/^a lift of -?\d+ % is suspiciously large/.test(warning)) return 'suspicious_lift';
  return null;
}

/** The warnings of one comparison, in this order: not enough data, sample ratio mismatch, suspicious lift. */
export function comparisonWarnings(metric: string, control: VariantCounts, treatment: VariantCounts, mismatch: boolean, lift: number | null): string[] {
  return [
    ...(hasEnoughData(metric, control, treatment) ? [] : [notEnoughDataWarning(metric, control, treatment)]),
    ...(mismatch ? [SRM_WARNING] : []),
    ...(isSuspiciousLift(lift, control, treatment) ? [suspiciousLiftWarning(lift)] : []),
  ];
}

/** The sample ratio check of a block's arms against the experiment's weights (chi-square, p < SRM_THRESHOLD). */
export function srmOf(e: Experiment, arms: readonly VariantCounts[]): Srm {
  const total = e.variants.reduce((a, v) => a + v.weight, 0);
  const observed = e.variants.map((v) => arms.find((a) => a.variant === v.key)?.units ?? 0);
  const r = sampleRatioMismatch(
    observed,
    e.variants.map((v) => v.weight),
    SRM_THRESHOLD,
  );
  return {
    pValue: r.pValue,
    mismatch: r.mismatch,
    threshold: SRM_THRESHOLD,
    chiSquare: r.chiSquare,
    ...(r.reason ? { reason: r.reason } : {}),
    observed: e.variants.map((v, i) => ({ variant: v.key, units: observed[i], expectedShare: v.weight / total })),
  };
}
