import type { Decision, Report, Results, Scorecard } from './report';

/**
 * The demo's summary: per tactic its win rate and pooled lift, per experiment its decision and
 * lift, and for both "for whom" it works. Pure: a report in, lines of text out.
 */
type Comparison = Results['metrics'][number]['overall']['comparisons'][number];
type Interval = [number, number] | null | undefined;

const pct = (x: number | null | undefined, digits = 1) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(digits)} %`);
export const lift = (estimate: number | null | undefined, ci: Interval) => (estimate === null || estimate === undefined ? 'n/a' : ci ? `${pct(estimate)} (${pct(ci[0])} to ${pct(ci[1])})` : pct(estimate));

export interface Highlight {
  attribute: string;
  value: string | null;
  variant: string;
  lift: number | null;
  better: boolean;
}

/**
 * For whom an experiment's arm works (or harms), per segment value, on the decided metric:
 * the segment comparisons that are significant (Benjamini-Hochberg adjusted across segment
 * values and arms, as the results report them), best first.
 *
 * The seam for per-segment decisions: today it reads the results' segment blocks; once the
 * decision carries its own per-segment verdicts (`decision.segments`, issue 16), read them here
 * instead, and nothing else in the summary changes.
 */
export function forWhom(decision: Decision, results: Results): Highlight[] {
  const metric = results.metrics.find((m) => m.key === decision.metric) ?? results.metrics[0];
  if (!metric || decision.decision === 'invalid') return [];
  const out: Highlight[] = [];
  for (const block of metric.segments) {
    const pick = (c: Comparison) => c.significant && (decision.variant === null || c.variant === decision.variant);
    for (const c of block.comparisons.filter(pick)) {
      out.push({ attribute: block.attribute ?? '', value: block.value ?? null, variant: c.variant, lift: c.relative.estimate, better: c.better === true });
    }
  }
  return out.sort((a, b) => Number(b.better) - Number(a.better) || (b.lift ?? 0) - (a.lift ?? 0));
}

function describeForWhom(highlights: Highlight[], decision: Decision): string {
  if (decision.decision === 'invalid') return 'do not trust the data';
  const good = highlights.filter((h) => h.better);
  const bad = highlights.filter((h) => !h.better);
  const parts: string[] = [];
  if (good.length) parts.push(good.slice(0, 3).map((h) => `${h.value} ${pct(h.lift, 0)}`).join(', '));
  if (bad.length) parts.push('worse: ' + bad.slice(0, 2).map((h) => `${h.value} ${pct(h.lift, 0)}`).join(', '));
  return parts.join('; ') || 'no segment stands out';
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
      const whom = factors || describeForWhom(forWhom(e.decision, e.results), e.decision);
      const planted = story[e.key] ? `  [planted: ${story[e.key]}]` : '';
      rows.push([`  ${e.key}`, `${e.decision.decision}${arm}`, c ? lift(c.relative.estimate, c.enoughData ? (c.relative.ci as Interval) : null) : 'n/a', whom + planted]);
    }
  }
  return table(rows);
}
