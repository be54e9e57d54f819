import type { components } from '../contract/schema';
import type { Results } from './compute';
import { pctText, qPText, type ForWhom } from './for-whom';

/**
 * Where to roll out when the lift differs by a segment attribute (the decision's `segments`).
 * The rule, with its error control:
 *  1. an attribute counts when its Cochran's Q is significant after Holm across the decided
 *     metric's attributes × treatment arms (familywise error ≤ alpha over the attributes tried,
 *     for a fixed-horizon look: Q is not always-valid under repeated looks);
 *  2. of the significant attributes, the one with the smallest adjusted Q p-value, for the
 *     arm the decision is about (the shipped or stopped one; otherwise the first arm with one);
 *  3. `ship_to`: its values (not "not sent") whose shrunk (empirical-Bayes) lift is
 *     significantly better, its interval at z_{1−α/(2k)} (Bonferroni over the k values; the
 *     sequential value at α/k under sequential analysis), and where no guardrail is
 *     significantly harmed, neither by its per-value comparison (Benjamini–Hochberg) nor by its
 *     shrunk lift; `exclude`: values whose shrunk lift is significantly worse or where a
 *     guardrail is harmed; `undecided`: the rest.
 * Pure.
 */
type SegmentDecision = components['schemas']['SegmentDecision'];
type MetricResults = Results['metrics'][number];

const isValue = (attribute: string, value: string | null) => (b: { attribute?: string; value?: string | null }) => b.attribute === attribute && b.value === value;

/** Whether a guardrail is significantly harmed in one value of the attribute for this arm. */
function guardrailHarmed(g: MetricResults, attribute: string, variant: string, value: string | null): boolean {
  const block = g.segments.find(isValue(attribute, value));
  if (block?.comparisons.some((c) => c.variant === variant && c.significant && c.better === false)) return true;
  const shrunk = g.forWhom.find((f) => f.attribute === attribute && f.variant === variant)?.values.find((v) => v.value === value);
  return shrunk?.significant === true && shrunk.better === false;
}

export function segmentDecision(results: Results, metric: MetricResults, guardrails: readonly MetricResults[], variant: string | null): { segments: SegmentDecision; reason: string } | null {
  const significant = metric.forWhom.filter((f) => f.significant && f.pValue !== null && f.pValueAdjusted !== null);
  const arm = variant ?? significant[0]?.variant;
  const mine = significant.filter((f) => f.variant === arm).sort((a, b) => a.pValueAdjusted! - b.pValueAdjusted!);
  const f: ForWhom | undefined = mine[0];
  if (!f) return null;
  const harmed = (value: string | null) => guardrails.some((g) => guardrailHarmed(g, f.attribute, f.variant, value));
  const shipTo = f.values.filter((v) => v.value !== null && v.significant && v.better === true && !harmed(v.value));
  const exclude = f.values.filter((v) => (v.significant && v.better === false) || harmed(v.value));
  const undecided = f.values.filter((v) => !shipTo.includes(v) && !exclude.includes(v));
  const level = `${Math.round((1 - results.alpha) * 100)} %`;
  const named = (vs: typeof f.values) => vs.map((v) => `${v.value ?? '(not sent)'} (shrunk ${v.shrunk ? pctText(v.shrunk.estimate) : 'n/a'})`).join(', ');
  const where =
    shipTo.length > 0
      ? `roll ${f.variant} out to ${f.attribute} = ${named(shipTo)} only`
      : `no value of ${f.attribute} is significantly better once shrunk, so there is nowhere to roll ${f.variant} out yet`;
  const reason =
    `The lift on ${metric.key} differs by ${f.attribute} (${qPText(f.pValue!)}, Holm-adjusted across the attributes tried ${f.pValueAdjusted! < 0.0001 ? '< 0.0001' : f.pValueAdjusted!.toFixed(4)}): ${where}` +
    (exclude.length ? `; exclude ${named(exclude)}` : '') +
    (undecided.length ? `; undecided ${undecided.map((v) => v.value ?? '(not sent)').join(', ')}` : '') +
    ` (shrunk lifts with ${level} intervals Bonferroni-adjusted over the ${f.k} values).`;
  return {
    segments: {
      attribute: f.attribute,
      variant: f.variant,
      metric: metric.key,
      pValue: f.pValue!,
      pValueAdjusted: f.pValueAdjusted!,
      correction: f.correction,
      ship_to: shipTo.map((v) => v.value as string),
      exclude: exclude.map((v) => v.value),
      undecided: undecided.map((v) => v.value),
      values: f.values,
    },
    reason,
  };
}
