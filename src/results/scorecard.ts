import type { components } from '../contract/schema';
import type { Experiment } from '../model/experiment';
import {
  fixedCriticalValue,
  logRatioEffect,
  logRiskRatio,
  logScaleLift,
  metaFixed,
  metaRandomDL,
  normalTwoSidedP,
  sequentialPValue,
  studentTTwoSidedP,
  type EffectSize,
} from '../stats';
import { DEFAULT_PLANNED_SAMPLE_SIZE } from './comparisons';
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
 *  - the lift pooled across experiments on the log scale, overall and per segment value: of
 *    the completed (and archived) experiments, or with `include: 'running'` of the running
 *    and paused ones too (marked provisional); one experiment pools to its own interval,
 *    several to the fixed-effect (inverse variance) and DerSimonian-Laird random-effects
 *    estimates, with Cochran's Q, tau² and I².
 */
export type Scorecard = components['schemas']['Scorecard'];
type ScorecardMetric = Scorecard['metrics'][number];
type ScorecardExperiment = components['schemas']['ScorecardExperiment'];
type SegmentRate = ScorecardMetric['segments'][number];
type WinRate = components['schemas']['WinRate'];
type Outcome = ScorecardExperiment['outcome'];
type MetricResults = Results['metrics'][number];
type Block = MetricResults['overall'];
type Pooled = ScorecardMetric['pooled'];

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

function experimentRow(s: ScoredExperiment, metric: string, pooled: boolean): ScorecardExperiment {
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
    intervalType: s.experiment.analysis,
    inPool: pooled,
    reasons: s.decision.reasons,
  };
}

/** Per segment value, across experiments: every experiment broken down by that attribute contributes its outcome there. */
function segmentRates(list: readonly ScoredExperiment[], metric: string): Omit<SegmentRate, 'pooled'>[] {
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

/** Which experiments the pooled lifts take: completed (and archived) ones, or running (and paused) ones too. */
export type PoolInclude = Scorecard['include'];

export interface ScorecardOptions {
  include?: PoolInclude;
  /** The minDays every decision was taken with (DEFAULT_MIN_DAYS when not given). */
  minDays?: number;
}

const inPool = (e: Experiment, include: PoolInclude) => finished(e) || (include === 'running' && (e.status === 'running' || e.status === 'paused'));

/** One experiment's contribution to a pool: its log-scale effect, and what its own interval used. */
interface Contribution {
  effect: EffectSize;
  comparison: Block['comparisons'][number];
  running: boolean;
  units: number;
  analysis: Experiment['analysis'];
}

/**
 * An experiment's log ratio of the reported arm to the control in one block (overall or a
 * segment value), when it can be trusted and computed: exactly the (y, v) its relative
 * interval was built from (stats/loglift.ts). Binary metrics: the log risk ratio with ½ added
 * to every cell of a comparison with a zero cell (metafor::escalc's default), so an experiment
 * whose treatment converted nobody stays in the pool instead of being dropped for ln 0.
 */
function contribution(s: ScoredExperiment, m: MetricResults, block: Block, variant: string | null): Contribution | null {
  // Invalid (a sample ratio mismatch, or a suspicious lift not acknowledged): not pooled.
  if (s.results.srm.mismatch || block.srm?.mismatch || s.decision.decision === 'invalid') return null;
  const c = block.comparisons.find((x) => x.variant === variant);
  if (!c || !c.enoughData || c.relative.ci === null) return null;
  const control = block.variants.find((v) => v.variant === c.control);
  const treatment = block.variants.find((v) => v.variant === c.variant);
  if (!control || !treatment) return null;
  let effect: EffectSize | null = null;
  if (m.type === 'binary') {
    const rr = logRiskRatio({ units: control.units, conversions: control.converters ?? 0 }, { units: treatment.units, conversions: treatment.converters ?? 0 });
    effect = rr.yi === null ? null : { yi: rr.yi, vi: rr.vi };
  } else if (control.value !== null && control.se !== null && treatment.value !== null && treatment.se !== null && control.value > 0 && treatment.value > 0) {
    const r = logRatioEffect({ mean: control.value, se: control.se }, { mean: treatment.value, se: treatment.se });
    effect = r.yi === null ? null : r;
  }
  if (effect === null || !(effect.vi > 0)) return null;
  return { effect, comparison: c, running: !finished(s.experiment), units: control.units + treatment.units, analysis: s.experiment.analysis };
}

/**
 * The pooled lift of the contributions. One experiment: its own interval, at the critical
 * value its comparison used (sequential when its analysis is), so the tactic and the
 * experiment never show two intervals for one lift. Two or more: the fixed-effect and
 * DerSimonian-Laird meta-analysis at z_{1−α/2} (a fixed-horizon pool of the experiments'
 * final estimates; metafor rma(yi, vi, method = "FE" / "DL")).
 */
function pooledOf(list: readonly Contribution[], alpha: number): Pooled {
  if (list.length === 0) return null;
  const running = list.filter((x) => x.running).length;
  const mark = { provisional: running > 0, ...(running > 0 ? { running } : {}) };
  if (list.length === 1) {
    const [{ effect, comparison: c, units, analysis }] = list;
    const critical = c.criticalValue ?? fixedCriticalValue(alpha);
    const l = logScaleLift(effect, critical);
    const se = Math.sqrt(effect.vi);
    const z = effect.yi / se;
    const tuning = c.plannedSampleSize ?? DEFAULT_PLANNED_SAMPLE_SIZE;
    const pValue = analysis === 'sequential' ? sequentialPValue(z, units, alpha, tuning) : c.df !== null && c.df !== undefined ? studentTTwoSidedP(z, c.df) : normalTwoSidedP(z);
    const one = { lift: l.estimate ?? Math.expm1(effect.yi), ci: l.ci ?? [Math.expm1(effect.yi), Math.expm1(effect.yi)], logEstimate: effect.yi, se, pValue };
    return { experiments: 1, intervalType: analysis, ...mark, fixed: one, random: one, q: 0, tau2: 0, i2: 0 };
  }
  const effects = list.map((x) => x.effect);
  const fixed = metaFixed(effects, alpha);
  const random = metaRandomDL(effects, alpha);
  const estimate = (r: typeof fixed) => ({ lift: r.lift.estimate, ci: r.lift.ci, logEstimate: r.estimate, se: r.se, pValue: r.pValue });
  return { experiments: list.length, intervalType: 'fixed', ...mark, fixed: estimate(fixed), random: estimate(random), q: random.q, tau2: random.tau2, i2: random.i2 };
}

/** The α of the pool: the experiments' own when they share one, else 0.05. */
function poolAlpha(list: readonly ScoredExperiment[]): number {
  const alphas = new Set(list.map((s) => s.experiment.alpha));
  return alphas.size === 1 ? [...alphas][0] : 0.05;
}

export function scorecard(tactic: string, scored: ScoredExperiment[], now: Date, options: ScorecardOptions = {}): Scorecard {
  const include = options.include ?? 'completed';
  const byMetric = new Map<string, ScoredExperiment[]>();
  for (const s of scored) byMetric.set(s.decision.metric, [...(byMetric.get(s.decision.metric) ?? []), s]);
  const metrics = [...byMetric.entries()].map(([metric, list]): ScorecardMetric => {
    const pool = list.filter((s) => inPool(s.experiment, include));
    const alpha = poolAlpha(pool);
    const overall = new Map(pool.flatMap((s) => {
      const m = metricOf(s, metric);
      const x = contribution(s, m, m.overall, reportedComparison(s, metric)?.variant ?? null);
      return x ? [[s, x] as const] : [];
    }));
    const experiments = list.map((s) => experimentRow(s, metric, overall.has(s)));
    const segments = segmentRates(list, metric).map((seg) => {
      const contributions = pool.flatMap((s) => {
        const m = metricOf(s, metric);
        const block = m.segments.find((b) => (b.attribute ?? '') === seg.attribute && (b.value ?? null) === seg.value);
        const x = block ? contribution(s, m, block, reportedComparison(s, metric)?.variant ?? null) : null;
        return x ? [x] : [];
      });
      return { ...seg, pooled: pooledOf(contributions, alpha) };
    });
    return { metric, experiments, winRate: rate(experiments.map((x) => x.outcome)), segments, pooled: pooledOf([...overall.values()], alpha) };
  });
  return { tactic, checkedAt: now.toISOString(), include, minDays: options.minDays ?? DEFAULT_MIN_DAYS, metrics };
}
