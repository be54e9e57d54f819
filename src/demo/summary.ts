import type { Decision, Report, Results, Scorecard } from './report';

/**
 * The demo's summary: per tactic its win rate and pooled lift, per experiment its decision and
 * lift, and for both "for whom" it works. Pure: a report in, lines of text out.
 */
type Interval = [number, number] | null | undefined;

const pct = (x: number | null | undefined, digits = 1) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(digits)} %`);
export const lift = (estimate: number | null | undefined, ci: Interval) => (estimate === null || estimate === undefined ? 'n/a' : ci ? `${pct(estimate)} (${pct(ci[0])} to ${pct(ci[1])})` : pct(estimate));

export interface Highlight {
  attribute: string;
  value: string | null;
  variant: string;
  /** The value's shrunk (empirical-Bayes) lift on the decided metric. */
  lift: number | null;
  /** Where the decision puts this value: roll out there, keep it out, or not sure yet. */
  verdict: 'ship_to' | 'exclude' | 'undecided';
}

/**
 * For whom an experiment's arm works, from the decision's per-segment verdict
 * (`decision.segments`: present when the lift differs by a segment attribute, Cochran's Q
 * significant after Holm across the attributes and arms): every value of that attribute with
 * its shrunk lift and where it goes (ship_to first, then undecided, then exclude). Empty when
 * the lift differs by no attribute (it is alike for every segment) or the decision is invalid.
 */
export function forWhom(decision: Decision): Highlight[] {
  const seg = decision.segments;
  if (!seg || decision.decision === 'invalid') return [];
  const verdict = (value: string | null): Highlight['verdict'] =>
    value !== null && seg.ship_to.includes(value) ? 'ship_to' : seg.exclude.includes(value) ? 'exclude' : 'undecided';
  const order = { ship_to: 0, undecided: 1, exclude: 2 };
  return seg.values
    .map((v) => ({ attribute: seg.attribute, value: v.value, variant: seg.variant, lift: v.shrunk?.estimate ?? null, verdict: verdict(v.value) }))
    .sort((a, b) => order[a.verdict] - order[b.verdict] || (b.lift ?? -Infinity) - (a.lift ?? -Infinity));
}

/** Whether any segment attribute could be compared at all for this arm (Cochran's Q computed). */
function segmentsCompared(results: Results, decision: Decision): boolean {
  const metric = results.metrics.find((m) => m.key === decision.metric) ?? results.metrics[0];
  return (metric?.forWhom ?? []).some((f) => (decision.variant === null || f.variant === decision.variant) && f.pValue !== null);
}

function describeForWhom(decision: Decision, results: Results): string {
  if (decision.decision === 'invalid') return 'do not trust the data';
  const highlights = forWhom(decision);
  if (highlights.length === 0) return segmentsCompared(results, decision) ? 'alike in every segment' : 'too little data per segment';
  const named = (hs: Highlight[]) => hs.map((h) => `${h.value ?? '(not sent)'} ${pct(h.lift, 0)}`).join(', ');
  const to = highlights.filter((h) => h.verdict === 'ship_to');
  const out = highlights.filter((h) => h.verdict === 'exclude');
  const { attribute } = highlights[0];
  const parts = [to.length ? `${attribute}: only ${named(to)}` : `differs by ${attribute}, nowhere sure yet`];
  if (out.length) parts.push(`not ${named(out)}`);
  return parts.join('; ');
}

/** The winning factor of a multivariate experiment: its significant main effects (absolute, in points). */
function factorNote(results: Results, metricKey: string): string {
  const metric = results.metrics.find((m) => m.key === metricKey);
  const effects = (metric?.factors ?? []).filter((f) => f.pValue !== null && f.pValue < results.alpha && f.estimate !== null);
  return effects.map((f) => `${f.factors.join(' x ')}=${f.levels.join('.')} ${f.estimate! >= 0 ? '+' : ''}${(f.estimate! * 100).toFixed(1)} pts`).join(', ');
}

/**
 * The tactic's "for whom": the segment values where its experiments win (a segment's outcome
 * follows the decision rules on that segment's comparisons, so a segment win is a significant
 * one there), best win rate first.
 */
export function tacticForWhom(scorecard: Scorecard, metric: string): string {
  const m = scorecard.metrics.find((x) => x.metric === metric);
  if (!m) return '';
  return m.segments
    .filter((s) => s.rate !== null && s.wins > 0)
    .sort((a, b) => (b.rate ?? 0) - (a.rate ?? 0) || b.wins - a.wins)
    .slice(0, 3)
    .map((s) => `${s.value} ${s.wins}/${s.wins + s.losses + s.inconclusive}`)
    .join(', ');
}

export function winRate(scorecard: Scorecard, metric: string): string {
  const m = scorecard.metrics.find((x) => x.metric === metric);
  if (!m) return 'n/a';
  const { wins, losses, inconclusive, rate } = m.winRate;
  const counted = wins + losses + inconclusive;
  return rate === null ? 'none counted' : `${wins} of ${counted} (${Math.round(rate * 100)} %)`;
}

export function pooled(scorecard: Scorecard, metric: string): string {
  const p = scorecard.metrics.find((x) => x.metric === metric)?.pooled;
  return p ? lift(p.random.lift, p.random.ci as Interval) : 'n/a';
}

/** The decided arm's comparison on the decision's metric (the first treatment arm when none is decided). */
function decided(decision: Decision) {
  return decision.primary.find((c) => c.variant === decision.variant) ?? decision.primary[0];
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());
}

export function summaryLines(report: Report, story: Record<string, string> = {}): string[] {
  const rows: string[][] = [['tactic / experiment', 'win rate / decision', `lift in ${report.metric} (95 % CI)`, 'for whom']];
  for (const { tactic, scorecard } of report.tactics) {
    rows.push([tactic, winRate(scorecard, report.metric), `pooled ${pooled(scorecard, report.metric)}`, tacticForWhom(scorecard, report.metric)]);
    for (const e of report.experiments.filter((x) => x.tactic === tactic)) {
      const c = decided(e.decision);
      const arm = e.decision.variant ? ` ${e.decision.variant}` : '';
      const factors = factorNote(e.results, e.decision.metric);
      const whom = factors || describeForWhom(e.decision, e.results);
      const planted = story[e.key] ? `  [planted: ${story[e.key]}]` : '';
      rows.push([`  ${e.key}`, `${e.decision.decision}${arm}`, c ? lift(c.relative.estimate, c.enoughData ? (c.relative.ci as Interval) : null) : 'n/a', whom + planted]);
    }
  }
  return table(rows);
}
