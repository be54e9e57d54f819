import type { components } from '../contract/schema';
import type { Experiment } from '../model/experiment';
import type { Results } from './compute';
import { segmentDecision } from './segment-decision';
import { warningKind, type WarningKind } from './trust-checks';

/**
 * The rollout decision CI gates on, from an experiment's results. Pure. The first rule that
 * applies decides:
 *  - invalid: no exposures, a sample ratio mismatch, or every arm of the decided metric below
 *    the minimum data rule: the data cannot carry a decision;
 *  - rollback: any arm significantly worse on the decided metric, or significantly harming a
 *    guardrail (even when another arm, or the same one, wins on the decided metric);
 *  - ship: an arm significantly better on the decided metric (adjusted p-value), the lower
 *    bound of its relative interval at least minLift (when given), after at least minDays:
 *    the best such arm ships, unless its lift is flagged as suspiciously large and the caller
 *    has not acknowledged it (`acknowledge: ['suspicious_lift']`): then invalid, held back;
 *  - continue: none of these yet, with what is missing (units, days, lift).
 * With 3+ arms each pair (arm against the control) is also decided on its own (`pairs`): an arm
 * below the minimum data rule is `invalid` there and is left out of the experiment's decision,
 * which rests on the arms that have the data.
 * A multivariate experiment is decided on its factor effects (Holm across the main effects and
 * interactions: factorial-effects.ts): the levels significantly better, harming no guardrail,
 * ship (`levels` names the combination); a level significantly worse or harming a guardrail,
 * with nothing to ship, rolls back. When an interaction is significant the effects do not add
 * up, and the decision falls back to each combination against the control.
 * Every results warning (not enough data, sample ratio mismatch, suspicious lift) of the decided
 * metric and its guardrails is listed in `warnings` and said in the reasons. Every reason is a
 * sentence with its numbers.
 * Every reason is a sentence with its numbers. Beside the decision, unless it is invalid:
 * `segments`, where to roll out when the lift differs by a segment attribute
 * (segment-decision.ts), with one more reason.
 */
export type Decision = components['schemas']['Decision'];
type DecisionComparison = components['schemas']['DecisionComparison'];
type PairDecision = components['schemas']['PairDecision'];
type Acknowledgement = components['schemas']['Acknowledgement'];
type MetricResults = Results['metrics'][number];
type ComparisonResult = MetricResults['overall']['comparisons'][number];
type FactorEffect = components['schemas']['FactorEffect'];
type Power = components['schemas']['Power'];
type Verdict = Decision['decision'];

export const DEFAULT_MIN_DAYS = 7;
const DAY_MS = 86_400_000;
export const ACKNOWLEDGE_HINT = 'acknowledge it with ?acknowledge=suspicious_lift (verdict check --acknowledge suspicious_lift)';

export interface DecisionOptions {
  metric?: string;
  minLift?: number;
  minDays?: number;
  now?: Date;
  /** Warnings the marketer has checked and accepts. */
  acknowledge?: readonly Acknowledgement[];
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

/** One results warning, with the metric and the pair it is about. */
interface Warning {
  kind: WarningKind | null;
  metric: string;
  variant: string;
  control: string;
  text: string;
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
  acknowledged: Set<Acknowledgement>;
  warnings: Warning[];
}

/**
 * A ruling: the decision, its reasons, the arm it is about, the factor levels (multivariate),
 * and which warnings its reasons already say (so they are not repeated).
 */
interface Ruling {
  decision: Verdict;
  reasons: string[];
  variant: string | null;
  levels?: Record<string, string> | null;
  says?: (w: Warning) => boolean;
}

const ruling = (decision: Verdict, reasons: string[], variant: string | null = null, extra: Partial<Ruling> = {}): Ruling => ({ decision, reasons, variant, ...extra });
const lift = (facts: Facts, c: ComparisonResult) => liftText(c, facts.results.alpha);
const analysisText = (facts: Facts) => `${facts.results.analysis} analysis, alpha ${facts.results.alpha}`;
const changeText = (x: number) => `${pct(x, 0)} ${x >= 0 ? 'lift' : 'change'}`;

/**
 * The units advice of the power figure, in the metric's direction (sample-size.ts): for the
 * observed lift when it goes the good way and is at least the MDE (powering for +5 % when +52 %
 * is seen would understate it), else for the MDE. Null when it cannot be estimated.
 */
export function unitsAdvice(power: Power, withPower = true): string | null {
  const at = withPower ? ` with ${Math.round(power.power * 100)} % power` : '';
  const o = power.observed;
  if (o && o.direction === 'good' && Math.abs(o.lift) >= power.mde && o.unitsPerArm !== null && o.moreUnitsPerArm !== null) {
    if (o.moreUnitsPerArm === 0) {
      return `The arms already have the ${o.unitsPerArm.toLocaleString('en')} units per arm that a true effect as large as the observed ${pct(o.lift)} (${o.variant}) needs${at}: the effect is already detectable at this size (a fixed-horizon figure; the test decides whether it is real)`;
    }
    return `Roughly ${o.moreUnitsPerArm.toLocaleString('en')} more units per arm are needed to detect an effect as large as the observed ${pct(o.lift)} (${o.variant})${at}`;
  }
  if (power.moreUnitsPerArm === null) return null;
  if (power.moreUnitsPerArm === 0) return `The arms already have the units to detect a ${changeText(power.lift)}: the effect, if any, is likely smaller than that`;
  return `Roughly ${power.moreUnitsPerArm.toLocaleString('en')} more units per arm are needed to detect a ${changeText(power.lift)}${at}`;
}

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

/** Every warning of the overall comparisons of these metrics. */
function warningsOf(metrics: readonly MetricResults[]): Warning[] {
  return metrics.flatMap((m) => m.overall.comparisons.flatMap((c) => c.warnings.map((text) => ({ kind: warningKind(text), metric: m.key, variant: c.variant, control: c.control, text }))));
}

/** The warnings as listed: the sample ratio mismatch once for the experiment, the others per metric and pair. */
function warningLines(warnings: readonly Warning[]): string[] {
  return [...new Set(warnings.map((w) => (w.kind === 'srm' ? w.text : `${w.metric}, ${w.variant} vs ${w.control}: ${w.text}`)))];
}

/** The warnings as reasons. */
const warningReasons = (warnings: readonly Warning[]) => warningLines(warnings).map((line) => `Warning: ${line}.`);

/** Invalid: nothing exposed yet. */
function noExposures(facts: Facts): Ruling | null {
  const { e, results } = facts;
  if (results.srm.observed.some((o) => o.units > 0)) return null;
  return ruling(
    'invalid',
    [
      e.status === 'draft'
        ? `"${e.key}" has not started: start it and send exposures before deciding.`
        : `No exposures recorded for "${e.key}" yet: check that the storefront calls /v1/assign (or sends exposure events) for it.`,
    ],
    null,
    { says: (w) => w.kind === 'data' },
  );
}

/** Invalid: units split otherwise than the weights say, so assignment or tracking is broken. */
function sampleRatioMismatch(facts: Facts): Ruling | null {
  const { srm } = facts.results;
  if (!srm.mismatch) return null;
  const split = srm.observed.map((o) => `${o.variant} ${o.units} (expected ${(o.expectedShare * 100).toFixed(0)} %)`).join(', ');
  return ruling('invalid', [`Sample ratio mismatch: units per variant are ${split}, ${pValueText(srm.pValue)}. Assignment or tracking is broken; fix it before trusting any result.`], null, {
    says: (w) => w.kind === 'srm',
  });
}

/** Invalid: every arm of the decided metric below the minimum data rule (an arm alone below it is left out: pairs). */
function notEnoughData(facts: Facts): Ruling | null {
  const { results, metric } = facts;
  if (facts.arms.some((c) => c.enoughData)) return null;
  const advice = unitsAdvice(metric.power, false);
  return ruling(
    'invalid',
    [
      `Not enough data on ${metric.key} yet: ${results.minimumData.rule}.` +
        ` Now ${results.srm.observed.map((o) => `${o.variant} ${o.units} units`).join(', ')}.` +
        (advice ? ` ${advice}.` : ''),
    ],
    null,
    { says: (w) => w.kind === 'data' && w.metric === metric.key },
  );
}

const isWorse = (c: { significant: boolean; better?: boolean | null }) => c.significant && c.better === false;
const isBetter = (c: { significant: boolean; better?: boolean | null }) => c.significant && c.better === true;

/** Guardrails that one arm significantly harms. */
function harmsBy(facts: Facts, variant: string): { g: MetricResults; c: ComparisonResult }[] {
  return facts.guardrails.flatMap((g) => g.overall.comparisons.filter((c) => c.variant === variant && isWorse(c)).map((c) => ({ g, c })));
}

/** Arms significantly better on the decided metric, the largest lift first. */
function winners(facts: Facts): ComparisonResult[] {
  return facts.arms.filter(isBetter).sort((a, b) => Math.abs(b.relative.estimate ?? 0) - Math.abs(a.relative.estimate ?? 0));
}

const worseReason = (facts: Facts, c: ComparisonResult) =>
  `${c.variant} made ${facts.metric.key} worse: ${lift(facts, c)} against ${c.control}, adjusted ${pValueText(c.pValueAdjusted)}; ${facts.metric.key} should ${facts.metric.direction}.`;
const harmReason = (facts: Facts, g: MetricResults, c: ComparisonResult) =>
  `Guardrail ${g.key} moved the wrong way for ${c.variant}: ${lift(facts, c)} against ${c.control}, adjusted ${pValueText(c.pValueAdjusted)}; ${g.key} should ${g.direction}.`;

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
    ...worse.map((c) => worseReason(facts, c)),
    ...harms.map(({ g, c }) => harmReason(facts, g, c)),
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
  const units = Math.min(...results.srm.observed.filter((o) => o.variant === w.variant || o.variant === w.control).map((o) => o.units));
  return [`The ${level} interval of the lift (${ci ? `${pct(ci[0])} to ${pct(ci[1])}` : 'unbounded'}) does not yet clear ${goal}: keep collecting data.`, unitsForMinLift(w, increase, minLift, units)];
}

const daysBlocker = (facts: Facts) =>
  facts.days < facts.minDays ? [`It has run ${facts.days.toFixed(1)} days; at least ${facts.minDays} are required (full weeks avoid day-of-week effects).`] : [];

/** The suspicious-lift warning of the decided metric for this arm, when not acknowledged. */
function unacknowledgedSuspicion(facts: Facts, variant: string): Warning | null {
  const w = facts.warnings.find((x) => x.kind === 'suspicious_lift' && x.metric === facts.metric.key && x.variant === variant);
  return w && !facts.acknowledged.has('suspicious_lift') ? w : null;
}

/**
 * A ship, unless its lift is suspiciously large and not acknowledged: then invalid, held back
 * until the tracking is checked. An acknowledged suspicion ships, and says so.
 */
function shipOrHold(facts: Facts, variant: string, reasons: string[], levels: Record<string, string> | null = null): Ruling {
  const suspicion = unacknowledgedSuspicion(facts, variant);
  if (suspicion) {
    return ruling(
      'invalid',
      [
        reasons[0],
        `Held back: on ${suspicion.metric}, ${suspicion.variant} vs ${suspicion.control}, ${suspicion.text}. Check that both arms' exposures and conversions are tracked alike, then ${ACKNOWLEDGE_HINT} to ship.`,
      ],
      variant,
      { levels, says: (w) => w === suspicion },
    );
  }
  const acknowledged = facts.warnings.some((w) => w.kind === 'suspicious_lift' && w.metric === facts.metric.key && w.variant === variant);
  return ruling('ship', [...reasons, ...(acknowledged ? [`The suspiciously large lift of ${variant} was acknowledged (acknowledge=suspicious_lift): the tracking has been checked.`] : [])], variant, { levels });
}

/** Ship the best winning arm once minLift and minDays are met; until then, continue with what is missing. */
function ship(facts: Facts): Ruling | null {
  const [w] = winners(facts);
  if (!w) return null;
  const { metric, guardrails, days } = facts;
  const moved = metric.direction === 'increase' ? 'raised' : 'lowered';
  const won = `${w.variant} ${moved} ${metric.key} by ${lift(facts, w)}, adjusted ${pValueText(w.pValueAdjusted)} (${analysisText(facts)}).`;
  const blockers = [...minLiftBlockers(facts, w), ...daysBlocker(facts)];
  if (blockers.length > 0) return ruling('continue', [won, ...blockers]);
  const guard = guardrails.length ? `No guardrail (${guardrails.map((g) => g.key).join(', ')}) is significantly harmed.` : 'The experiment has no guardrail metric.';
  return shipOrHold(facts, w.variant, [won, guard, `It has run ${days.toFixed(1)} days.`]);
}

/** The units advice as a reason, or why it cannot be given. */
function adviceReason(metric: MetricResults): string {
  const advice = unitsAdvice(metric.power);
  return advice === null ? `The units still needed cannot be estimated yet (${metric.power.reason ?? 'no baseline'}).` : `${advice}.`;
}

/** Continue: no significant difference yet, with the units still needed and the days still to run. */
function keepCollecting(facts: Facts): Ruling {
  const { metric, days, minDays } = facts;
  const best = [...facts.arms].filter((c) => c.enoughData).sort((a, b) => (a.pValueAdjusted ?? 1) - (b.pValueAdjusted ?? 1))[0];
  // Zero standard error (both arms constant, different): no test exists, so say that rather than "no difference".
  const untestable = facts.arms.filter((c) => c.enoughData && c.pValue === null && c.reason !== undefined);
  const reasons = [
    best
      ? `No significant difference on ${metric.key} yet: ${best.variant} ${lift(facts, best)} against ${best.control}, adjusted ${pValueText(best.pValueAdjusted)} (${analysisText(facts)}).`
      : `No comparison on ${metric.key} yet.`,
    ...untestable.map((c) => `${c.variant} against ${c.control} cannot be tested on ${metric.key}: ${c.reason}.`),
    adviceReason(metric),
  ];
  if (days < minDays) reasons.push(`It has run ${days.toFixed(1)} of the ${minDays} days required before shipping.`);
  return ruling('continue', reasons);
}

/** Each treatment arm against the control, decided on its own. */
function pairDecision(facts: Facts, c: ComparisonResult): PairDecision {
  const { metric } = facts;
  const pair = { variant: c.variant, control: c.control };
  if (!c.enoughData) {
    const why = c.warnings.find((w) => warningKind(w) === 'data') ?? 'not enough data yet';
    return { ...pair, decision: 'invalid', reasons: [`${c.variant} vs ${c.control} on ${metric.key}: ${why}.`] };
  }
  const harms = harmsBy(facts, c.variant);
  if (isWorse(c) || harms.length > 0) {
    return { ...pair, decision: 'rollback', reasons: [...(isWorse(c) ? [worseReason(facts, c)] : []), ...harms.map(({ g, c: h }) => harmReason(facts, g, h))] };
  }
  if (isBetter(c)) {
    const won = `${c.variant} ${metric.direction === 'increase' ? 'raised' : 'lowered'} ${metric.key} by ${lift(facts, c)}, adjusted ${pValueText(c.pValueAdjusted)}.`;
    const blockers = [...minLiftBlockers(facts, c), ...daysBlocker(facts)];
    if (blockers.length > 0) return { ...pair, decision: 'continue', reasons: [won, ...blockers] };
    const r = shipOrHold(facts, c.variant, [won]);
    return { ...pair, decision: r.decision, reasons: r.reasons };
  }
  return { ...pair, decision: 'continue', reasons: [`No significant difference on ${metric.key} yet: ${lift(facts, c)} against ${c.control}, adjusted ${pValueText(c.pValueAdjusted)}.`] };
}

/** The arms left out of the experiment's decision for lack of data, when others have it. */
function leftOut(facts: Facts): string[] {
  const short = facts.arms.filter((c) => !c.enoughData);
  if (short.length === 0 || short.length === facts.arms.length) return [];
  return [
    `${short.map((c) => c.variant).join(', ')} ${short.length === 1 ? 'has' : 'have'} too little data on ${facts.metric.key} to be decided yet (see pairs): the decision rests on ${facts.arms
      .filter((c) => c.enoughData)
      .map((c) => c.variant)
      .join(', ')}.`,
  ];
}

// ---- multivariate experiments: the factor effects ------------------------------------------

const effectName = (x: FactorEffect) => x.factors.map((f, i) => `${f}=${x.levels[i]}`).join(' × ');

/** An absolute effect: percentage points for a rate, the metric's units otherwise. */
function absoluteText(x: number | null, type: MetricResults['type']): string {
  if (x === null) return 'n/a';
  const sign = x >= 0 ? '+' : '';
  return type === 'binary' ? `${sign}${(x * 100).toFixed(1)} points` : `${sign}${Number(x.toPrecision(3))}`;
}

function effectText(facts: Facts, x: FactorEffect, metric = facts.metric): string {
  const level = `${Math.round((1 - facts.results.alpha) * 100)} %`;
  const ci = x.ci ? ` (${level} interval ${absoluteText(x.ci[0], metric.type)} to ${absoluteText(x.ci[1], metric.type)})` : '';
  const relative = x.relative === null || x.relative === undefined ? '' : `, about ${pct(x.relative)} over ${x.factors[0]}=${x.baselines[0]}`;
  return `${absoluteText(x.estimate, metric.type)}${ci}${relative}, adjusted ${pValueText(x.pValueAdjusted)}`;
}

/** The cell (variant) with these levels. */
function cellOf(e: Experiment, levels: Record<string, string>): string | null {
  return e.variants.find((v) => v.factors && Object.entries(levels).every(([f, l]) => v.factors![f] === l))?.key ?? null;
}

/** Every factor at its baseline level, except those given. */
function levelsWith(e: Experiment, chosen: Record<string, string>): Record<string, string> {
  return Object.fromEntries((e.factors ?? []).map((f) => [f.key, chosen[f.key] ?? f.levels[0].key]));
}

/** Main effects of a guardrail that harm it, for a factor level. */
function guardrailHarms(facts: Facts, x: FactorEffect): { g: MetricResults; h: FactorEffect }[] {
  return facts.guardrails.flatMap((g) => (g.factors ?? []).filter((h) => h.factors[0] === x.factors[0] && h.levels[0] === x.levels[0] && isWorse(h)).map((h) => ({ g, h })));
}

/**
 * The decision of a multivariate experiment from its factor effects; null when it is no
 * factorial experiment, or when an interaction is significant (then each combination is
 * compared with the control, after the `preface`).
 */
function factorial(facts: Facts, preface: string[]): Ruling | null {
  const { e, metric } = facts;
  if (!e.factors || !metric.factors) return null;
  const mains = metric.factors;
  const interactions = metric.interactions ?? [];
  const family = mains.length + interactions.length;
  const holmText = `Holm across the ${family} effects on ${metric.key}; ${analysisText(facts)}`;
  if (mains.every((x) => x.pValue === null)) {
    const advice = unitsAdvice(metric.power, false);
    return ruling('invalid', [`Not enough data on ${metric.key} for the factor effects yet: ${mains[0]?.reason ?? 'no effect can be tested'}.${advice ? ` ${advice}.` : ''}`], null, {
      says: (w) => w.kind === 'data' && w.metric === metric.key,
    });
  }
  const interacting = interactions.filter((x) => x.significant);
  if (interacting.length > 0) {
    preface.push(
      `The factors interact on ${metric.key} (${interacting.map((x) => `${effectName(x)}: ${effectText(facts, x)}`).join('; ')}): their effects do not add up, so each combination is compared with the control.`,
    );
    return null;
  }
  const harmful = mains.flatMap((x) => guardrailHarms(facts, x).map(({ g, h }) => ({ x, g, h })));
  const harms = (x: FactorEffect) => harmful.some((y) => y.x === x);
  const worse = mains.filter(isWorse);
  const better = mains.filter((x) => isBetter(x) && !harms(x));
  const moved = metric.direction === 'increase' ? 'raised' : 'lowered';
  const notes = [
    ...worse.map((x) => `${effectName(x)} made ${metric.key} worse: ${effectText(facts, x)}; keep ${x.factors[0]}=${x.baselines[0]}.`),
    ...harmful.map(({ x, g, h }) => `${effectName(x)} harmed guardrail ${g.key}: ${effectText(facts, h, g)}; ${g.key} should ${g.direction}, so it is not shipped.`),
  ];
  if (better.length > 0) {
    const best = new Map<string, FactorEffect>();
    for (const x of better) {
      const held = best.get(x.factors[0]);
      if (!held || Math.abs(x.estimate ?? 0) > Math.abs(held.estimate ?? 0)) best.set(x.factors[0], x);
    }
    const chosen = Object.fromEntries([...best.values()].map((x) => [x.factors[0], x.levels[0]]));
    const levels = levelsWith(e, chosen);
    const variant = cellOf(e, levels);
    const won = [...best.values()].map((x) => `${effectName(x)} ${moved} ${metric.key} by ${effectText(facts, x)} (${holmText}).`);
    const kept = (e.factors ?? []).filter((f) => !(f.key in chosen)).map((f) => `${f.key}=${f.levels[0].key}`);
    const cell = metric.overall.comparisons.find((c) => c.variant === variant);
    const blockers = [...(cell ? minLiftBlockers(facts, cell) : []), ...daysBlocker(facts)];
    if (blockers.length > 0) return ruling('continue', [...won, ...notes, ...blockers], null, { levels });
    const what = `Ship ${Object.entries(chosen)
      .map(([f, l]) => `${f}=${l}`)
      .join(', ')}${kept.length ? ` (keep ${kept.join(', ')})` : ''}: the combination ${variant}.`;
    const guard = facts.guardrails.length ? `No guardrail (${facts.guardrails.map((g) => g.key).join(', ')}) is significantly harmed by the levels shipped.` : 'The experiment has no guardrail metric.';
    return shipOrHold(facts, variant ?? '', [...won, what, ...notes, guard, `It has run ${facts.days.toFixed(1)} days.`], levels);
  }
  if (worse.length > 0 || harmful.length > 0) {
    const first = worse[0] ?? harmful[0].x;
    const levels = levelsWith(e, { [first.factors[0]]: first.levels[0] });
    return ruling('rollback', notes, cellOf(e, levels), { levels });
  }
  const lowest = [...mains, ...interactions].filter((x) => x.pValue !== null).sort((a, b) => (a.pValue ?? 1) - (b.pValue ?? 1))[0];
  const reasons = [
    lowest ? `No factor level moved ${metric.key} significantly yet: the strongest, ${effectName(lowest)}, ${effectText(facts, lowest)} (${holmText}).` : `No factor effect on ${metric.key} yet.`,
    adviceReason(metric),
  ];
  if (facts.days < facts.minDays) reasons.push(`It has run ${facts.days.toFixed(1)} of the ${facts.minDays} days required before shipping.`);
  return ruling('continue', reasons, null, { levels: null });
}

export function decide(e: Experiment, results: Results, options: DecisionOptions = {}): Decision {
  const now = options.now ?? new Date();
  const metric = metricResults(results, decidedMetric(e, options));
  const guardrails = results.metrics.filter((m) => m.role === 'guardrail' && m.key !== metric.key);
  const acknowledged = [...new Set(options.acknowledge ?? [])];
  const facts: Facts = {
    e,
    results,
    metric,
    guardrails,
    arms: metric.overall.comparisons,
    days: daysRunning(e, now),
    minDays: options.minDays ?? DEFAULT_MIN_DAYS,
    minLift: options.minLift ?? null,
    acknowledged: new Set(acknowledged),
    warnings: warningsOf([metric, ...guardrails]),
  };
  const preface: string[] = [];
  const r =
    noExposures(facts) ??
    sampleRatioMismatch(facts) ??
    factorial(facts, preface) ??
    notEnoughData(facts) ??
    rollback(facts) ??
    ship(facts) ??
    keepCollecting(facts);
  const bySegment = r.decision === 'invalid' ? null : segmentDecision(results, metric, guardrails, r.variant);
  const reasons = [...preface, ...r.reasons, ...(bySegment ? [bySegment.reason] : [])];
  if (r.decision !== 'invalid') reasons.push(...leftOut(facts));
  const unsaid = facts.warnings.filter((w) => !r.says?.(w));
  reasons.push(...warningReasons(unsaid));
  const effects = e.factors && metric.factors ? [...metric.factors, ...(metric.interactions ?? [])] : undefined;
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
    reasons,
    variant: r.variant,
    segments: bySegment?.segments ?? null,
    levels: r.levels ?? null,
    warnings: warningLines(facts.warnings),
    acknowledged,
    pairs: facts.arms.map((c) => pairDecision(facts, c)),
    ...(effects ? { effects } : {}),
  };
}
