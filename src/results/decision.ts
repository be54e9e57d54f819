import type { components } from '../contract/schema';
import type { Experiment } from '../model/experiment';
import type { Results } from './compute';

/**
 * The rollout decision CI gates on, from an experiment's results. Pure. In order:
 *  - invalid: no exposures, a sample ratio mismatch, or the decided metric below the
 *    minimum data rule: the data cannot carry a decision;
 *  - rollback: any arm significantly worse on the decided metric, or significantly harming a
 *    guardrail (even when another arm, or the same one, wins on the decided metric);
 *  - ship: an arm significantly better on the decided metric (adjusted p-value), the lower
 *    bound of its relative interval at least minLift (when given), after at least minDays:
 *    the best such arm ships;
 *  - continue: none of these yet, with what is missing (units, days, lift).
 * Every reason is a sentence with its numbers.
 */
export type Decision = components['schemas']['Decision'];
type DecisionComparison = components['schemas']['DecisionComparison'];
type MetricResults = Results['metrics'][number];
type ComparisonResult = MetricResults['overall']['comparisons'][number];

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

/** "+12.3 % (95 % interval +4.1 % to +20.9 %)" */
export function liftText(c: Pick<ComparisonResult, 'relative'>, alpha: number): string {
  const ci = c.relative.ci;
  return `${pct(c.relative.estimate)}${ci ? ` (${Math.round((1 - alpha) * 100)} % interval ${pct(ci[0])} to ${pct(ci[1])})` : ''}`;
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
    chanceToBeatControl: c.chanceToBeatControl,
  };
}

export function daysRunning(e: Pick<Experiment, 'startedAt' | 'completedAt'>, now: Date): number {
  if (!e.startedAt) return 0;
  const end = e.completedAt ? new Date(e.completedAt) : now;
  return Math.max(0, (end.getTime() - new Date(e.startedAt).getTime()) / DAY_MS);
}

export function decide(e: Experiment, results: Results, options: DecisionOptions = {}): Decision {
  const now = options.now ?? new Date();
  const minDays = options.minDays ?? DEFAULT_MIN_DAYS;
  const minLift = options.minLift ?? null;
  const metric = results.metrics.find((m) => m.key === (options.metric ?? e.metrics.find((x) => x.role === 'primary')!.key))!;
  const guardrailMetrics = results.metrics.filter((m) => m.role === 'guardrail' && m.key !== metric.key);
  const days = daysRunning(e, now);
  const arms = metric.overall.comparisons;
  const base = {
    experiment: e.key,
    metric: metric.key,
    primary: arms.map((c) => summary(metric, c)),
    guardrails: guardrailMetrics.flatMap((g) => g.overall.comparisons.map((c) => summary(g, c))),
    srm: results.srm,
    power: metric.power,
    analysis: results.analysis,
    alpha: results.alpha,
    minLift,
    minDays,
    daysRunning: Math.round(days * 100) / 100,
    checkedAt: now.toISOString(),
  };
  const answer = (decision: Decision['decision'], reasons: string[], variant: string | null = null): Decision => ({ ...base, decision, reasons, variant });
  const level = `${Math.round((1 - results.alpha) * 100)} %`;
  const lift = (c: ComparisonResult) => liftText(c, results.alpha);
  const analysis = `${results.analysis} analysis, alpha ${results.alpha}`;

  const units = results.srm.observed.reduce((a, o) => a + o.units, 0);
  if (units === 0) {
    return answer('invalid', [
      e.status === 'draft'
        ? `"${e.key}" has not started: start it and send exposures before deciding.`
        : `No exposures recorded for "${e.key}" yet: check that the storefront calls /v1/assign (or sends exposure events) for it.`,
    ]);
  }
  if (results.srm.mismatch) {
    const split = results.srm.observed.map((o) => `${o.variant} ${o.units} (expected ${(o.expectedShare * 100).toFixed(0)} %)`).join(', ');
    return answer('invalid', [
      `Sample ratio mismatch: units per variant are ${split}, ${pValueText(results.srm.pValue)}. Assignment or tracking is broken; fix it before trusting any result.`,
    ]);
  }
  const short = arms.filter((c) => !c.enoughData);
  if (short.length > 0) {
    const more = metric.power.moreUnitsPerArm;
    return answer('invalid', [
      `Not enough data on ${metric.key} yet: ${results.minimumData.rule}.` +
        ` Now ${results.srm.observed.map((o) => `${o.variant} ${o.units} units`).join(', ')}.` +
        (more ? ` Roughly ${more.toLocaleString('en')} more units per arm are needed to detect a ${pct(metric.power.mde, 0)} lift.` : ''),
    ]);
  }

  const harmsFor = (variant: string) =>
    guardrailMetrics.flatMap((g) => g.overall.comparisons.filter((c) => c.variant === variant && c.significant && c.better === false).map((c) => ({ g, c })));
  const harmText = ({ g, c }: { g: MetricResults; c: ComparisonResult }) =>
    `Guardrail ${g.key} moved the wrong way for ${c.variant}: ${lift(c)} against ${c.control}, adjusted ${pValueText(c.pValueAdjusted)}; ${g.key} should ${g.direction}.`;
  const moved = metric.direction === 'increase' ? 'raised' : 'lowered';
  const winners = arms
    .filter((c) => c.significant && c.better === true)
    .sort((a, b) => Math.abs(b.relative.estimate ?? 0) - Math.abs(a.relative.estimate ?? 0));

  // Rollback comes before ship: a significant harm anywhere (the decided metric worse, or a
  // guardrail hurt, by any arm) is a reason not to roll out, whatever another arm or the
  // calendar says. The same data never turns from rollback into ship as days pass.
  const harms = arms.flatMap((c) => harmsFor(c.variant));
  const worse = arms.filter((c) => c.significant && c.better === false);
  if (harms.length > 0 || worse.length > 0) {
    const reasons = [
      ...worse.map(
        (c) => `${c.variant} made ${metric.key} worse: ${lift(c)} against ${c.control}, adjusted ${pValueText(c.pValueAdjusted)}; ${metric.key} should ${metric.direction}.`,
      ),
      ...harms.map(harmText),
    ];
    for (const w of winners) {
      const own = harms.some((h) => h.c.variant === w.variant);
      reasons.push(
        own
          ? `${w.variant} did ${metric.direction === 'increase' ? 'raise' : 'lower'} ${metric.key} (${lift(w)}), but its guardrail harm outweighs that.`
          : `${w.variant} ${moved} ${metric.key} (${lift(w)}) without harm, but another arm did harm: roll back, then test ${w.variant} on its own.`,
      );
    }
    return answer('rollback', reasons, (worse[0] ?? harms[0].c).variant);
  }

  if (winners.length > 0) {
    const w = winners[0];
    const reasons = [`${w.variant} ${moved} ${metric.key} by ${lift(w)}, adjusted ${pValueText(w.pValueAdjusted)} (${analysis}).`];
    const blockers: string[] = [];
    if (minLift !== null) {
      const ci = w.relative.ci;
      const increase = metric.direction === 'increase';
      // The bound that must clear minLift: the lower bound of a rise, or the smallest reduction.
      const bound = ci === null ? null : increase ? ci[0] : -ci[1];
      if (bound === null || bound < minLift) {
        const goal = increase ? `the required minimum lift of ${pct(minLift)}` : `the required minimum reduction of ${pct(minLift).replace('+', '')}`;
        blockers.push(`The ${level} interval of the lift (${ci ? `${pct(ci[0])} to ${pct(ci[1])}` : 'unbounded'}) does not yet clear ${goal}: keep collecting data.`);
        blockers.push(unitsForMinLift(w, increase, minLift, Math.min(...results.srm.observed.map((o) => o.units))));
      }
    }
    if (days < minDays) {
      blockers.push(`It has run ${days.toFixed(1)} days; at least ${minDays} are required (full weeks avoid day-of-week effects).`);
    }
    if (blockers.length === 0) {
      const guard = guardrailMetrics.length ? `No guardrail (${guardrailMetrics.map((g) => g.key).join(', ')}) is significantly harmed.` : 'The experiment has no guardrail metric.';
      return answer('ship', [...reasons, guard, `It has run ${days.toFixed(1)} days.`], w.variant);
    }
    return answer('continue', [...reasons, ...blockers]);
  }

  const best = [...arms].sort((a, b) => (a.pValueAdjusted ?? 1) - (b.pValueAdjusted ?? 1))[0];
  const more = metric.power.moreUnitsPerArm;
  const reasons = [
    best
      ? `No significant difference on ${metric.key} yet: ${best.variant} ${lift(best)} against ${best.control}, adjusted ${pValueText(best.pValueAdjusted)} (${analysis}).`
      : `No comparison on ${metric.key} yet.`,
    more === null
      ? `The units still needed cannot be estimated yet (${metric.power.reason ?? 'no baseline'}).`
      : more > 0
        ? `Roughly ${more.toLocaleString('en')} more units per arm are needed to detect a ${pct(metric.power.mde, 0)} lift with ${Math.round(metric.power.power * 100)} % power.`
        : `The arms already have the units to detect a ${pct(metric.power.mde, 0)} lift: the effect, if any, is likely smaller than that.`,
  ];
  if (days < minDays) reasons.push(`It has run ${days.toFixed(1)} of the ${minDays} days required before shipping.`);
  return answer('continue', reasons);
}

/**
 * Roughly how many more units per arm would bring the interval's bound past minLift if the
 * lift holds: the half-width shrinks as 1/sqrt(n), so n' = n·(h / (lift − minLift))².
 */
function unitsForMinLift(w: ComparisonResult, increase: boolean, minLift: number, units: number): string {
  const estimate = w.relative.estimate;
  const ci = w.relative.ci;
  if (estimate === null || ci === null) return 'The units still needed cannot be estimated: the interval of the lift is unbounded.';
  const lift = increase ? estimate : -estimate;
  const half = increase ? estimate - ci[0] : ci[1] - estimate;
  if (lift <= minLift || half <= 0) {
    return `The lift so far (${pct(estimate)}) is not above the minimum: more data is unlikely to clear it.`;
  }
  const needed = Math.ceil(units * (half / (lift - minLift)) ** 2);
  return `If the lift holds, roughly ${Math.max(0, needed - units).toLocaleString('en')} more units per arm would clear it.`;
}
