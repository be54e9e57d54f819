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
type WinRate = components['schemas']['WinRate'];
type Outcome = 'win' | 'loss' | 'inconclusive' | null;
type Block = Results['metrics'][number]['overall'];

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

function rate(outcomes: Outcome[]): WinRate {
  const wins = outcomes.filter((o) => o === 'win').length;
  const losses = outcomes.filter((o) => o === 'loss').length;
  const inconclusive = outcomes.filter((o) => o === 'inconclusive').length;
  const counted = wins + losses + inconclusive;
  return { wins, losses, inconclusive, rate: counted ? wins / counted : null };
}

/** A segment block's outcome, by the rules of the overall decision applied to that segment. */
function segmentOutcome(s: ScoredExperiment, primary: Block, guardrails: Block[]): Outcome {
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

/** The arm an experiment's lift is reported for: the decision's, else the first treatment arm. */
function armOf(s: ScoredExperiment, metric: string) {
  const m = s.results.metrics.find((x) => x.key === metric)!;
  const comparisons = m.overall.comparisons;
  return { m, c: comparisons.find((c) => c.variant === s.decision.variant) ?? comparisons[0] };
}

function pooled(scored: ScoredExperiment[], metric: string, alpha: number): ScorecardMetric['pooled'] {
  const effects: EffectSize[] = [];
  for (const s of scored) {
    if (s.results.srm.mismatch) continue;
    const { m, c } = armOf(s, metric);
    if (!c || !c.enoughData) continue;
    const control = m.overall.variants.find((v) => v.variant === c.control);
    const treatment = m.overall.variants.find((v) => v.variant === c.variant);
    if (!control || !treatment || control.value === null || control.se === null || treatment.value === null || treatment.se === null) continue;
    const effect = logRatioEffect({ mean: control.value, se: control.se }, { mean: treatment.value, se: treatment.se });
    if (effect.yi !== null && effect.vi > 0) effects.push(effect);
  }
  if (effects.length === 0) return null;
  const fixed = metaFixed(effects, alpha);
  const random = metaRandomDL(effects, alpha);
  const estimate = (r: typeof fixed) => ({ lift: r.lift.estimate, ci: r.lift.ci, logEstimate: r.estimate, se: r.se, pValue: r.pValue });
  return { experiments: effects.length, fixed: estimate(fixed), random: estimate(random), q: random.q, tau2: random.tau2, i2: random.i2 };
}

export function scorecard(tactic: string, scored: ScoredExperiment[], now: Date, alpha = 0.05): Scorecard {
  const byMetric = new Map<string, ScoredExperiment[]>();
  for (const s of scored) {
    const key = s.decision.metric;
    byMetric.set(key, [...(byMetric.get(key) ?? []), s]);
  }
  const metrics = [...byMetric.entries()].map(([metric, list]): ScorecardMetric => {
    const experiments: ScorecardExperiment[] = list.map((s) => {
      const outcome = outcomeOf(s.experiment, s.decision.decision);
      const { c } = armOf(s, metric);
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
    });

    // Per segment value: every experiment broken down by that attribute contributes its outcome there.
    const segments = new Map<string, { attribute: string; value: string | null; outcomes: Outcome[]; experiments: number }>();
    for (const s of list) {
      const m = s.results.metrics.find((x) => x.key === metric)!;
      const guardrails = s.results.metrics.filter((x) => x.role === 'guardrail' && x.key !== metric);
      for (const block of m.segments) {
        const k = JSON.stringify([block.attribute, block.value]);
        const entry = segments.get(k) ?? { attribute: block.attribute!, value: block.value ?? null, outcomes: [], experiments: 0 };
        const guardBlocks = guardrails.flatMap((g) => g.segments.filter((b) => b.attribute === block.attribute && b.value === block.value));
        entry.outcomes.push(segmentOutcome(s, block, guardBlocks));
        entry.experiments += 1;
        segments.set(k, entry);
      }
    }
    return {
      metric,
      experiments,
      winRate: rate(experiments.map((x) => x.outcome as Outcome)),
      segments: [...segments.values()]
        .sort((a, b) => (a.attribute === b.attribute ? String(a.value).localeCompare(String(b.value)) : a.attribute.localeCompare(b.attribute)))
        .map((s) => ({ attribute: s.attribute, value: s.value, experiments: s.experiments, ...rate(s.outcomes) })),
      pooled: pooled(list, metric, alpha),
    };
  });
  return { tactic, checkedAt: now.toISOString(), metrics };
}
