import type { components } from '../contract/schema';
import type { Experiment } from '../model/experiment';
import { logRatioEffect, metaFixed, metaRandomDL, type EffectSize } from '../stats';
import type { Results } from './compute';
import { DEFAULT_MIN_DAYS, daysRunning, type Decision } from './decision';

/**
 * The tactic scorecard: which personalization tactics work, and for whom. Pure. Per primary
 * metric used by the tactic's experiments:
 *  - each experiment with its decision; a win is `ship`, a loss `rollback`, inconclusive a
 *    completed experiment with neither; running experiments still at `continue` and
 *    `invalid` ones are listed but not counted;
 *  - the win rate wins / (wins + losses + inconclusive), overall and per segment value (a
 *    segment's outcome follows the same rules on that segment's comparisons and guardrails,
 *    and an experiment invalid overall counts in no segment);
 *  - the lift pooled across experiments on the log scale: fixed effect (inverse variance)
 *    and DerSimonian-Laird random effects, with Cochran's Q, tau² and I².
 */
export type Scorecard = components['schemas']['Scorecard'];
type ScorecardMetric = Scorecard['metrics'][number];
type ScorecardExperiment = components['schemas']['ScorecardExperiment'];
type SegmentRate = ScorecardMetric['segments'][number];
type WinRate = components['schemas']['WinRate'];
type Outcome = ScorecardExperiment['outcome'];
type MetricResults = Results['metrics'][number];
type Block = MetricResults['overall'];

export interface ScoredExperiment {
  experiment: Experiment;
  results: Results;
  decision: Decision;
}

const finished = (e: Experiment) => e.status === 'completed' || e.status === 'archived';

/** How a decision counts: ship = win, rollback = loss, a finished experiment with neither = inconclusive. */
export function outcomeOf(e: Experiment, decision: Decision['decision']): Outcome {
  if (decision === 'ship') return 'win';
  if (decision === 'rollback') return 'loss';
  if (decision === 'continue' && finished(e)) return 'inconclusive';
  return null;
}

function rate(outcomes: readonly Outcome[]): WinRate {
  const wins = outcomes.filter((o) => o === 'win').length;
  const losses = outcomes.filter((o) => o === 'loss').length;
  const inconclusive = outcomes.filter((o) => o === 'inconclusive').length;
  const counted = wins + losses + inconclusive;
  return { wins, losses, inconclusive, rate: counted ? wins / counted : null };
}

/** A segment block's outcome, by the rules of the overall decision applied to that segment. */
function segmentOutcome(s: ScoredExperiment, primary: Block, guardrails: readonly Block[]): Outcome {
  // An experiment whose data cannot be trusted overall (e.g. a sample ratio mismatch) is not counted in any segment either.
  if (s.decision.decision === 'invalid') return null;
  if (primary.srm?.mismatch || primary.comparisons.some((c) => !c.enoughData)) return null;
  const harmed = guardrails.some((g) => g.comparisons.some((c) => c.significant && c.better === false));
  if (harmed || primary.comparisons.some((c) => c.significant && c.better === false)) return 'loss';
  const minDays = s.decision.minDays ?? DEFAULT_MIN_DAYS;
  const longEnough = daysRunning(s.experiment, new Date(s.decision.checkedAt)) >= minDays;
  if (longEnough && primary.comparisons.some((c) => c.significant && c.better === true)) return 'win';
  return finished(s.experiment) ? 'inconclusive' : null;
}

function metricOf(s: ScoredExperiment, metric: string): MetricResults {
  const m = s.results.metrics.find((x) => x.key === metric);
  if (!m) throw new Error(`the results of "${s.experiment.key}" have no metric "${metric}"`);
  return m;
}

/** The comparison an experiment's lift is reported for: the decision's arm, else the first treatment arm. */
function reportedComparison(s: ScoredExperiment, metric: string) {
  const comparisons = metricOf(s, metric).overall.comparisons;
  return comparisons.find((c) => c.variant === s.decision.variant) ?? comparisons[0];
}

function experimentRow(s: ScoredExperiment, metric: string): ScorecardExperiment {
  const outcome = outcomeOf(s.experiment, s.decision.decision);
  const c = reportedComparison(s, metric);
  return {
    key: s.experiment.key,
    name: s.experiment.name,
    status: s.experiment.status,
    decision: s.decision.decision,
    counted: outcome !== null,
    outcome,
    variant: c?.variant ?? null,
    lift: c?.relative.estimate ?? null,
    ci: c && c.enoughData ? c.relative.ci : null,
    reasons: s.decision.reasons,
  };
}

/** Per segment value, across experiments: every experiment broken down by that attribute contributes its outcome there. */
function segmentRates(list: readonly ScoredExperiment[], metric: string): SegmentRate[] {
  const segments = new Map<string, { attribute: string; value: string | null; outcomes: Outcome[] }>();
  for (const s of list) {
    const guardrails = s.results.metrics.filter((x) => x.role === 'guardrail' && x.key !== metric);
    for (const block of metricOf(s, metric).segments) {
      const attribute = block.attribute ?? '';
      const value = block.value ?? null;
      const k = JSON.stringify([attribute, value]);
      const entry = segments.get(k) ?? { attribute, value, outcomes: [] };
      const guardBlocks = guardrails.flatMap((g) => g.segments.filter((b) => b.attribute === block.attribute && b.value === block.value));
      entry.outcomes.push(segmentOutcome(s, block, guardBlocks));
      segments.set(k, entry);
    }
  }
  return [...segments.values()]
    .sort((a, b) => (a.attribute === b.attribute ? String(a.value).localeCompare(String(b.value)) : a.attribute.localeCompare(b.attribute)))
    .map((s) => ({ attribute: s.attribute, value: s.value, experiments: s.outcomes.length, ...rate(s.outcomes) }));
}

/** An experiment's log ratio of the reported arm to the control, when it can be trusted and computed. */
function effectOf(s: ScoredExperiment, metric: string): EffectSize | null {
  // Invalid (a sample ratio mismatch, or a suspicious lift not acknowledged): not pooled.
  if (s.results.srm.mismatch || s.decision.decision === 'invalid') return null;
  const c = reportedComparison(s, metric);
  if (!c || !c.enoughData) return null;
  const arms = metricOf(s, metric).overall.variants;
  const control = arms.find((v) => v.variant === c.control);
  const treatment = arms.find((v) => v.variant === c.variant);
  if (!control || !treatment || control.value === null || control.se === null || treatment.value === null || treatment.se === null) return null;
  const effect = logRatioEffect({ mean: control.value, se: control.se }, { mean: treatment.value, se: treatment.se });
  return effect.yi !== null && effect.vi > 0 ? effect : null;
}

function pooled(list: readonly ScoredExperiment[], metric: string, alpha: number): ScorecardMetric['pooled'] {
  const effects = list.flatMap((s) => effectOf(s, metric) ?? []);
  if (effects.length === 0) return null;
  const fixed = metaFixed(effects, alpha);
  const random = metaRandomDL(effects, alpha);
  const estimate = (r: typeof fixed) => ({ lift: r.lift.estimate, ci: r.lift.ci, logEstimate: r.estimate, se: r.se, pValue: r.pValue });
  return { experiments: effects.length, fixed: estimate(fixed), random: estimate(random), q: random.q, tau2: random.tau2, i2: random.i2 };
}

export function scorecard(tactic: string, scored: ScoredExperiment[], now: Date, alpha = 0.05): Scorecard {
  const byMetric = new Map<string, ScoredExperiment[]>();
  for (const s of scored) byMetric.set(s.decision.metric, [...(byMetric.get(s.decision.metric) ?? []), s]);
  const metrics = [...byMetric.entries()].map(([metric, list]): ScorecardMetric => {
    const experiments = list.map((s) => experimentRow(s, metric));
    return { metric, experiments, winRate: rate(experiments.map((x) => x.outcome)), segments: segmentRates(list, metric), pooled: pooled(list, metric, alpha) };
  });
  return { tactic, checkedAt: now.toISOString(), metrics };
}
