import type { components } from '../contract/schema';
import type { Experiment } from '../model/experiment';
import type { Results } from './compute';
import { segmentDecision } from './segment-decision';

/**
 * The rollout decision CI gates on, from an experiment's results. Pure. The first rule that
 * applies decides:
 *  - invalid: no exposures, a sample ratio mismatch, or the decided metric below the
 *    minimum data rule: the data cannot carry a decision;
 *  - rollback: any arm significantly worse on the decided metric, or significantly harming a
 *    guardrail (even when another arm, or the same one, wins on the decided metric);
 *  - ship: an arm significantly better on the decided metric (adjusted p-value), the lower
 *    bound of its relative interval at least minLift (when given), after at least minDays:
 *    the best such arm ships;
 *  - continue: none of these yet, with what is missing (units, days, lift).
 * Every reason is a sentence with its numbers. Beside the decision, unless it is invalid:
 * `segments`, where to roll out when the lift differs by a segment attribute
 * (segment-decision.ts), with one more reason.
 */
export type Decision = components['schemas']['Decision'];
type DecisionComparison = components['schemas']['DecisionComparison'];
type MetricResults = Results['metrics'][number];
type ComparisonResult = MetricResults['overall']['comparisons'][number];
type Verdict = Decision['decision'];

export const DEFAULT_MIN_DAYS = 7;
const DAY_MS = 86_400_000;

export interface DecisionOptions {
  metric?: string;
  minLift?: number;
  minDays?: number;
  now?: Date;
}

export const pct = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined ? 'n/a' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(digits)} %`;

export function pValueText(p: number | null): string {
  if (p === null) return 'p n/a';
  if (p < 0.0001) return 'p < 0.0001';
  return `p = ${p < 0.01 ? p.toFixed(4) : p.toFixed(3)}`;
}

/** "+12.3 % (95 % sequential interval +4.1 % to +20.9 %)": the interval says which kind it is. */
export function liftText(c: Pick<ComparisonResult, 'relative' | 'intervalType'>, alpha: number): string {
  const ci = c.relative.ci;
  return `${pct(c.relative.estimate)}${ci ? ` (${Math.round((1 - alpha) * 100)} % ${c.intervalType} interval ${pct(ci[0])} to ${pct(ci[1])})` : ''}`;
}

export function daysRunning(e: Pick<Experiment, 'startedAt' | 'completedAt'>, now: Date): number {
  if (!e.startedAt) return 0;
  const end = e.completedAt ? new Date(e.completedAt) : now;
  return Math.max(0, (end.getTime() - new Date(e.startedAt).getTime()) / DAY_MS);
}

function summary(m: MetricResults, c: ComparisonResult): DecisionComparison {
  return {
    metric: m.key,
    role: m.role,
    direction: m.direction,
    variant: c.variant,
    control: c.control,
    enoughData: c.enoughData,
    significant: c.significant,
    better: c.better ?? null,
    pValue: c.pValue,
    pValueAdjusted: c.pValueAdjusted,
    absolute: { estimate: c.absolute.estimate, ci: c.absolute.ci },
    relative: { estimate: c.relative.estimate, ci: c.relative.ci },
    intervalType: c.intervalType,
    chanceToBeatControl: c.chanceToBeatControl,
  };
}

/** What every rule reads: the decided metric, its guardrails, the calendar and the options. */
interface Facts {
  e: Experiment;
  results: Results;
  metric: MetricResults;
  guardrails: MetricResults[];
  arms: ComparisonResult[];
  days: number;
  minDays: number;
  minLift: number | null;
}

/** A ruling: the decision, its reasons, and the arm it is about. */
type Ruling = { decision: Verdict; reasons: string[]; variant: string | null };

const ruling = (decision: Verdict, reasons: string[], variant: string | null = null): Ruling => ({ decision, reasons, variant });
const lift = (facts: Facts, c: ComparisonResult) => liftText(c, facts.results.alpha);
const analysisText = (facts: Facts) => `${facts.results.analysis} analysis, alpha ${facts.results.alpha}`;
const moreUnitsText = (more: number, mde: number) => `Roughly ${more.toLocaleString('en')} more units per arm are needed to detect a ${pct(mde, 0)} lift`;

function metricResults(results: Results, key: string): MetricResults {
  const m = results.metrics.find((x) => x.key === key);
  if (!m) throw new Error(`the results of "${results.experiment}" have no metric "${key}"`);
  return m;
}

function decidedMetric(e: Experiment, options: DecisionOptions): string {
  if (options.metric) return options.metric;
  const primary = e.metrics.find((m) => m.role === 'primary');
  if (!primary) throw new Error(`experiment "${e.key}" has no primary metric`); // validateDefinition requires one
  return primary.key;
}

/** Invalid: nothing exposed yet. */
function noExposures(facts: Facts): Ruling | null {
  const { e, results } = facts;
  if (results.srm.observed.some((o) => o.units > 0)) return null;
  return ruling('invalid', [
    e.status === 'draft'
      ? `"${e.key}" has not started: start it and send exposures before deciding.`
      : `No exposures recorded for "${e.key}" yet: check that the storefront calls /v1/assign (or sends exposure events) for it.`,
  ]);
}

/** Invalid: units split otherwise than the weights say, so assignment or tracking is broken. */
function sampleRatioMismatch(facts: Facts): Ruling | null {
  const { srm } = facts.results;
  if (!srm.mismatch) return null;
  const split = srm.observed.map((o) => `${o.variant} ${o.units} (expected ${(o.expectedShare * 100).toFixed(0)} %)`).join(', ');
  return ruling('invalid', [
    `Sample ratio mismatch: units per variant are ${split}, ${pValueText(srm.pValue)}. Assignment or tracking is broken; fix it before trusting any result.`,
  ]);
}

/** Invalid: an arm of the decided metric below the minimum data rule. */
function notEnoughData(facts: Facts): Ruling | null {
  const { results, metric } = facts;
  if (facts.arms.every((c) => c.enoughData)) return null;
  const more = metric.power.moreUnitsPerArm;
  return ruling('invalid', [
    `Not enough data on ${metric.key} yet: ${results.minimumData.rule}.` +
      ` Now ${results.srm.observed.map((o) => `${o.variant} ${o.units} units`).join(', ')}.` +
      (more ? ` ${moreUnitsText(more, metric.power.mde)}.` : ''),
  ]);
}

const isWorse = (c: ComparisonResult) => c.significant && c.better === false;

/** Guardrails that one arm significantly harms. */
function harmsBy(facts: Facts, variant: string): { g: MetricResults; c: ComparisonResult }[] {
  return facts.guardrails.flatMap((g) => g.overall.comparisons.filter((c) => c.variant === variant && isWorse(c)).map((c) => ({ g, c })));
}

/** Arms significantly better on the decided metric, the largest lift first. */
function winners(facts: Facts): ComparisonResult[] {
  return facts.arms.filter((c) => c.significant && c.better === true).sort((a, b) => Math.abs(b.relative.estimate ?? 0) - Math.abs(a.relative.estimate ?? 0));
}

/**
 * Rollback: a significant harm anywhere (the decided metric worse, or a guardrail hurt, by any
 * arm), whatever another arm or the calendar says. It comes before ship, so the same data
 * never turns from rollback into ship as days pass.
 */
function rollback(facts: Facts): Ruling | null {
  const { metric } = facts;
  const harms = facts.arms.flatMap((c) => harmsBy(facts, c.variant));
  const worse = facts.arms.filter(isWorse);
  if (harms.length === 0 && worse.length === 0) return null;
  const moved = metric.direction === 'increase' ? 'raised' : 'lowered';
  const reasons = [
    ...worse.map((c) => `${c.variant} made ${metric.key} worse: ${lift(facts, c)} against ${c.control}, adjusted ${pValueText(c.pValueAdjusted)}; ${metric.key} should ${metric.direction}.`),
    ...harms.map(({ g, c }) => `Guardrail ${g.key} moved the wrong way for ${c.variant}: ${lift(facts, c)} against ${c.control}, adjusted ${pValueText(c.pValueAdjusted)}; ${g.key} should ${g.direction}.`),
    ...winners(facts).map((w) =>
      harms.some((h) => h.c.variant === w.variant)
        ? `${w.variant} did ${metric.direction === 'increase' ? 'raise' : 'lower'} ${metric.key} (${lift(facts, w)}), but its guardrail harm outweighs that.`
        : `${w.variant} ${moved} ${metric.key} (${lift(facts, w)}) without harm, but another arm did harm: roll back, then test ${w.variant} on its own.`,
    ),
  ];
  return ruling('rollback', reasons, (worse[0] ?? harms[0].c).variant);
}

/**
 * Roughly how many more units per arm would bring the interval's bound past minLift if the
 * lift holds: the half-width shrinks as 1/sqrt(n), so n' = n·(h / (lift − minLift))².
 */
function unitsForMinLift(w: ComparisonResult, increase: boolean, minLift: number, units: number): string {
  const estimate = w.relative.estimate;
  const ci = w.relative.ci;
  if (estimate === null || ci === null) return 'The units still needed cannot be estimated: the interval of the lift is unbounded.';
  const gain = increase ? estimate : -estimate;
  const half = increase ? estimate - ci[0] : ci[1] - estimate;
  if (gain <= minLift || half <= 0) {
    return `The lift so far (${pct(estimate)}) is not above the minimum: more data is unlikely to clear it.`;
  }
  const needed = Math.ceil(units * (half / (gain - minLift)) ** 2);
  return `If the lift holds, roughly ${Math.max(0, needed - units).toLocaleString('en')} more units per arm would clear it.`;
}

/** Why the winner's interval does not clear minLift yet (the lower bound of a rise, or the smallest reduction), or nothing. */
function minLiftBlockers(facts: Facts, w: ComparisonResult): string[] {
  const { minLift, metric, results } = facts;
  if (minLift === null) return [];
  const ci = w.relative.ci;
  const increase = metric.direction === 'increase';
  const bound = ci === null ? null : increase ? ci[0] : -ci[1];
  if (bound !== null && bound >= minLift) return [];
  const level = `${Math.round((1 - results.alpha) * 100)} % ${w.intervalType}`;
  const goal = increase ? `the required minimum lift of ${pct(minLift)}` : `the required minimum reduction of ${pct(minLift).replace('+', '')}`;
  return [
    `The ${level} interval of the lift (${ci ? `${pct(ci[0])} to ${pct(ci[1])}` : 'unbounded'}) does not yet clear ${goal}: keep collecting data.`,
    unitsForMinLift(w, increase, minLift, Math.min(...results.srm.observed.map((o) => o.units))),
  ];
}

/** Ship the best winning arm once minLift and minDays are met; until then, continue with what is missing. */
function ship(facts: Facts): Ruling | null {
  const [w] = winners(facts);
  if (!w) return null;
  const { metric, guardrails, days, minDays } = facts;
  const moved = metric.direction === 'increase' ? 'raised' : 'lowered';
  const won = `${w.variant} ${moved} ${metric.key} by ${lift(facts, w)}, adjusted ${pValueText(w.pValueAdjusted)} (${analysisText(facts)}).`;
  const blockers = [
    ...minLiftBlockers(facts, w),
    ...(days < minDays ? [`It has run ${days.toFixed(1)} days; at least ${minDays} are required (full weeks avoid day-of-week effects).`] : []),
  ];
  if (blockers.length > 0) return ruling('continue', [won, ...blockers]);
  const guard = guardrails.length ? `No guardrail (${guardrails.map((g) => g.key).join(', ')}) is significantly harmed.` : 'The experiment has no guardrail metric.';
  return ruling('ship', [won, guard, `It has run ${days.toFixed(1)} days.`], w.variant);
}

/** Continue: no significant difference yet, with the units still needed and the days still to run. */
function keepCollecting(facts: Facts): Ruling {
  const { metric, days, minDays } = facts;
  const best = [...facts.arms].sort((a, b) => (a.pValueAdjusted ?? 1) - (b.pValueAdjusted ?? 1))[0];
  const { moreUnitsPerArm: more, mde, power, reason } = metric.power;
  // Zero standard error (both arms constant, different): no test exists, so say that rather than "no difference".
  const untestable = facts.arms.filter((c) => c.enoughData && c.pValue === null && c.reason !== undefined);
  const reasons = [
    best
      ? `No significant difference on ${metric.key} yet: ${best.variant} ${lift(facts, best)} against ${best.control}, adjusted ${pValueText(best.pValueAdjusted)} (${analysisText(facts)}).`
      : `No comparison on ${metric.key} yet.`,
    ...untestable.map((c) => `${c.variant} against ${c.control} cannot be tested on ${metric.key}: ${c.reason}.`),
    more === null
      ? `The units still needed cannot be estimated yet (${reason ?? 'no baseline'}).`
      : more > 0
        ? `${moreUnitsText(more, mde)} with ${Math.round(power * 100)} % power.`
        : `The arms already have the units to detect a ${pct(mde, 0)} lift: the effect, if any, is likely smaller than that.`,
  ];
  if (days < minDays) reasons.push(`It has run ${days.toFixed(1)} of the ${minDays} days required before shipping.`);
  return ruling('continue', reasons);
}

export function decide(e: Experiment, results: Results, options: DecisionOptions = {}): Decision {
  const now = options.now ?? new Date();
  const metric = metricResults(results, decidedMetric(e, options));
  const guardrails = results.metrics.filter((m) => m.role === 'guardrail' && m.key !== metric.key);
  const facts: Facts = {
    e,
    results,
    metric,
    guardrails,
    arms: metric.overall.comparisons,
    days: daysRunning(e, now),
    minDays: options.minDays ?? DEFAULT_MIN_DAYS,
    minLift: options.minLift ?? null,
  };
  const r = noExposures(facts) ?? sampleRatioMismatch(facts) ?? notEnoughData(facts) ?? rollback(facts) ?? ship(facts) ?? keepCollecting(facts);
  const bySegment = r.decision === 'invalid' ? null : segmentDecision(results, metric, guardrails, r.variant);
  return {
    experiment: e.key,
    metric: metric.key,
    primary: facts.arms.map((c) => summary(metric, c)),
    guardrails: guardrails.flatMap((g) => g.overall.comparisons.map((c) => summary(g, c))),
    srm: results.srm,
    power: metric.power,
    analysis: results.analysis,
    alpha: results.alpha,
    minLift: facts.minLift,
    minDays: facts.minDays,
    daysRunning: Math.round(facts.days * 100) / 100,
    checkedAt: now.toISOString(),
    decision: r.decision,
    reasons: bySegment ? [...r.reasons, bySegment.reason] : r.reasons,
    variant: r.variant,
    segments: bySegment?.segments ?? null,
  };
}
