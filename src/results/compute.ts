import type { components } from '../contract/schema';
import type { Experiment, Metric } from '../model/experiment';
import { adjustArms, adjustSegments } from './adjustments';
import { DEFAULT_PLANNED_SAMPLE_SIZE, resultBlock } from './comparisons';
import type { Counts } from './counts';
import { factorialEffectsOf } from './factorial-effects';
import { forWhomOf } from './for-whom';
import { powerOf } from './sample-size';
import { MIN_CONVERTERS, MIN_UNITS_PER_ARM, MINIMUM_DATA_RULE, srmOf } from './trust-checks';

/**
 * Counts + statistics -> results: for every metric, the overall block and one block per
 * segment value, each with its arms and its comparisons against the control
 * (comparisons.ts, by the metric's kind: metric-kinds.ts); the checks that say whether to
 * trust them (trust-checks.ts); the multiple-comparison adjustments (adjustments.ts); power
 * (sample-size.ts); factorial effects (factorial-effects.ts); for whom it works, per segment
 * attribute (for-whom.ts). Pure: no I/O.
 */
export type Results = components['schemas']['Results'];
type MetricResults = components['schemas']['MetricResults'];
type Srm = components['schemas']['Srm'];
type SegmentCounts = Counts['segments'][number];

export interface ResultOptions {
  metric?: string;
  segment?: string;
}

/** One segment value's counts with its sample ratio check (the same for every metric). */
interface CheckedSegment {
  counts: SegmentCounts;
  srm: Srm;
}

function metricResults(e: Experiment, m: Metric, counts: Counts, srm: Srm, segments: readonly CheckedSegment[], only?: string): MetricResults {
  const rule = { alpha: e.alpha, direction: m.direction };
  const overall = resultBlock(e, m, counts.overall, srm.mismatch);
  const comparisons = adjustArms(overall.comparisons, rule);
  const blocks = segments.map((s) => ({ attribute: s.counts.attribute, value: s.counts.value, ...resultBlock(e, m, s.counts.variants, s.srm.mismatch), srm: s.srm }));
  return {
    key: m.key,
    name: m.name,
    type: m.type,
    direction: m.direction,
    role: m.role,
    overall: { variants: overall.variants, comparisons, srm },
    segments: adjustSegments(blocks, rule),
    power: powerOf(e, m, counts.overall, comparisons),
    // Holm runs across every attribute; ?segment= only narrows what is shown.
    forWhom: forWhomOf(e, m, counts, e.segments).filter((f) => !only || f.attribute === only),
    ...factorialEffectsOf(e, m, counts.overall),
  };
}

export function computeResults(e: Experiment, counts: Counts, options: ResultOptions = {}): Results {
  const srm = srmOf(e, counts.overall);
  const segments = counts.segments.filter((s) => !options.segment || s.attribute === options.segment).map((s) => ({ counts: s, srm: srmOf(e, s.variants) }));
  const metrics = e.metrics.filter((m) => !options.metric || m.key === options.metric);
  return {
    experiment: e.key,
    status: e.status,
    computedAt: counts.computedAt,
    analysis: e.analysis,
    alpha: e.alpha,
    plannedSampleSize: e.plannedSampleSize ?? DEFAULT_PLANNED_SAMPLE_SIZE,
    minimumData: { unitsPerArm: MIN_UNITS_PER_ARM, converters: MIN_CONVERTERS, rule: MINIMUM_DATA_RULE },
    srm,
    holdout: counts.holdout ? { units: counts.holdout.units } : null,
    metrics: metrics.map((m) => metricResults(e, m, counts, srm, segments, options.segment)),
  };
}
