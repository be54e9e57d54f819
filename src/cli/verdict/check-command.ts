import { appendFileSync } from 'node:fs';
import { choice, GLOBAL_HELP, number, parseCommand, positionals, slug } from './args';
import { api, connection, send, type Schemas } from './client';
import { CliError, EXIT } from './cli-errors';
import { json, level, markdownTable, percent, percentInterval, print, pText, pValue, value } from './format';

/** `verdict check <experiment>`: the rollout decision, as an exit code CI can gate on. */
type Decision = Schemas['Decision'];
type Comparison = Schemas['DecisionComparison'];
type Effect = Schemas['FactorEffect'];

export const help = `Usage: verdict check <experiment> [options]

May this experiment's personalization roll out? Prints the decision and its reasons
(GET /v1/experiments/{key}/decision) and exits with its code.

Options:
  --metric <key>       decide on this metric instead of the primary one
  --min-lift <x>       relative lift the interval's lower bound must reach to ship (e.g. 0.02)
  --min-days <n>       days the experiment must have run before it can ship (server default 7)
  --acknowledge <w>    a warning checked and accepted: suspicious_lift (a lift flagged as
                       suspiciously large is held back as invalid until acknowledged)
  --format <f>         text (default), json (the API's Decision) or markdown (a PR comment)
  --segment-aware      exit 0 only for a rollout that lists its segments: a ship when the lift
                       does not differ by any segment attribute, or, when it does, a decision
                       whose segments name values to ship to (and the minimum days are met)

Every results warning (not enough data, sample ratio mismatch, suspicious lift) is printed
among the reasons. With 3+ arms each arm's own decision is listed; multivariate experiments
print the factor effects the decision rests on and the levels to ship.

When GITHUB_STEP_SUMMARY is set, the markdown is also appended to that file.

Exit codes:
  0 ship   1 continue   2 rollback   3 invalid   4 usage, auth, connection or server error
  With --segment-aware: 0 for a ship without a segment decision or for a segment rollout
  (ship_to not empty, not invalid); a ship whose lift differs by segment but names no value
  to ship to is 1; otherwise the decision's code.

${GLOBAL_HELP}

Example:
  verdict check hero-banner-reco --min-lift 0.02 --format markdown || exit 1`;

const FORMATS = ['text', 'json', 'markdown'] as const;
const ACKNOWLEDGEMENTS = ['suspicious_lift'] as const;

const CODES: Record<string, number> = { ship: EXIT.ship, continue: EXIT.continue, rollback: EXIT.rollback, invalid: EXIT.invalid };

export async function run(args: string[]): Promise<number> {
  const { values, positionals: given } = parseCommand('check', args, {
    metric: { type: 'string' },
    'min-lift': { type: 'string' },
    'min-days': { type: 'string' },
    acknowledge: { type: 'string' },
    format: { type: 'string' },
    'segment-aware': { type: 'boolean' },
  });
  if (values.help) {
    print(help);
    return EXIT.ok;
  }
  const key = slug('check', 'experiment key', positionals('check', given, ['experiment'])[0]!);
  const format = choice('check', 'format', values.format, FORMATS, 'text');
  const query = {
    metric: values.metric === undefined ? undefined : slug('check', 'metric key', values.metric),
    minLift: number('check', 'min-lift', values['min-lift'], { min: 0, max: 10 }),
    minDays: number('check', 'min-days', values['min-days'], { min: 0, max: 3650 }),
    acknowledge: values.acknowledge === undefined ? undefined : [choice('check', 'acknowledge', values.acknowledge, ACKNOWLEDGEMENTS, 'suspicious_lift')],
  };
  const conn = connection(values);

  const { data } = await send(conn, api(conn).GET('/v1/experiments/{key}/decision', { params: { path: { key }, query } }), { resource: `experiment "${key}"` });
  const plain = CODES[data.decision];
  if (plain === undefined) throw new CliError(`the server answered an unknown decision "${data.decision}"`);
  const code = values['segment-aware'] ? segmentAwareCode(data, plain) : plain;

  const markdown = toMarkdown(data).join('\n') + '\n';
  print(format === 'json' ? json(data) : format === 'markdown' ? markdown : toText(data));
  appendSummary(markdown);
  return code;
}

/**
 * --segment-aware: a rollout must say where it goes. A ship with no segment decision (the lift
 * does not differ by any attribute) rolls out everywhere: 0. A segment decision that names
 * values to ship to, on a decision that is not invalid, after the minimum days: 0 (the
 * targeted rollout). A ship whose lift differs by segment without such values: 1 (continue).
 */
export function segmentAwareCode(d: Decision, plain: number): number {
  const s = d.segments;
  if (s === null) return plain;
  if (d.decision !== 'invalid' && s.ship_to.length > 0 && d.daysRunning >= d.minDays) return EXIT.ship;
  return d.decision === 'ship' ? EXIT.continue : plain;
}

/** The segment rollout as lines: where to ship, what to exclude. */
function segmentLines(d: Decision): string[] {
  const s = d.segments;
  if (!s) return [];
  const list = (xs: (string | null)[]) => (xs.length ? xs.map((x) => x ?? '(not sent)').join(', ') : 'none');
  return [
    `  segments (${s.variant} by ${s.attribute}, Q adjusted ${pText(s.pValueAdjusted)}, ${s.correction}):`,
    `    ship to:   ${list(s.ship_to)}`,
    `    exclude:   ${list(s.exclude)}`,
    `    undecided: ${list(s.undecided)}`,
  ];
}

/** GitHub Actions shows this file on the run's summary page. */
function appendSummary(markdown: string): void {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (!file) return;
  try {
    appendFileSync(file, markdown + '\n');
  } catch (err) {
    process.stderr.write(`verdict: could not append to GITHUB_STEP_SUMMARY (${(err as Error).message})\n`);
  }
}

const marker = (d: Decision) => d.decision.toUpperCase();

function lift(c: Comparison): string {
  return percent(c.relative.estimate);
}

function verdictOf(c: Comparison): string {
  if (!c.enoughData) return 'not enough data';
  if (!c.significant) return 'not significant';
  return c.better ? 'significant, better' : 'significant, worse';
}

const levelsText = (levels: Record<string, string>) =>
  Object.entries(levels)
    .map(([f, l]) => `${f}=${l}`)
    .join(', ');

function effectLine(d: Decision, x: Effect): string {
  const name = x.factors.map((f, i) => `${f}=${x.levels[i]}`).join(' x ');
  const ci = x.ci ? `${value(x.ci[0])} to ${value(x.ci[1])}` : 'n/a';
  const verdict = x.pValue === null ? (x.reason ?? 'no p-value') : !x.significant ? 'not significant' : x.better ? 'significant, better' : 'significant, worse';
  return `${name}: ${value(x.estimate)} (${level(d.alpha)} CI ${ci}), adjusted ${pText(x.pValueAdjusted)}, ${verdict}`;
}

function comparisonLine(d: Decision, c: Comparison): string {
  return `${c.variant} vs ${c.control}: lift ${lift(c)} (${level(d.alpha)} ${c.intervalType} CI ${percentInterval(c.relative.ci)}), adjusted ${pText(c.pValueAdjusted)}, ${verdictOf(c)}`;
}

export function toText(d: Decision): string[] {
  const days = `${d.daysRunning.toFixed(1)} days running (minimum ${d.minDays})`;
  const minLift = d.minLift === null ? '' : `, min lift ${percent(d.minLift)}`;
  const lines = [
    `${d.experiment}: ${marker(d)}${d.variant ? ` (${d.variant})` : ''}`,
    `  metric ${d.metric}, ${d.analysis} analysis, alpha ${d.alpha}${minLift}, ${days}`,
    ...d.reasons.map((r) => `  - ${r}`),
  ];
  if (d.levels) lines.push(`  levels: ${levelsText(d.levels)}`);
  if (d.effects?.length) lines.push(`  factor effects on ${d.metric} (Holm-adjusted across ${d.effects.length}):`, ...d.effects.map((x) => `    ${effectLine(d, x)}`));
  if (d.primary.length) lines.push(`  ${d.metric}:`, ...d.primary.map((c) => `    ${comparisonLine(d, c)}`));
  if (d.pairs.length > 1) lines.push('  each arm on its own:', ...d.pairs.map((p) => `    ${p.variant} vs ${p.control}: ${p.decision.toUpperCase()}`));
  for (const g of d.guardrails) lines.push(`  guardrail ${g.metric} (should ${g.direction}): ${comparisonLine(d, g)}`);
  if (d.srm.mismatch) lines.push(`  sample ratio mismatch: ${pText(d.srm.pValue)}`);
  lines.push(...segmentLines(d));
  if (d.acknowledged.length) lines.push(`  acknowledged: ${d.acknowledged.join(', ')}`);
  return lines;
}

/** A compact table for a pull-request comment or the job summary. */
export function toMarkdown(d: Decision): string[] {
  const row = (c: Comparison, metric: string) => [d.experiment, `**${marker(d)}**`, metric, c.variant, lift(c), percentInterval(c.relative.ci), pValue(c.pValueAdjusted)];
  const rows = [...d.primary.map((c) => row(c, c.metric)), ...d.guardrails.map((g) => row(g, `${g.metric} (guardrail)`))];
  if (rows.length === 0) rows.push([d.experiment, `**${marker(d)}**`, d.metric, d.variant ?? '', 'n/a', 'n/a', 'n/a']);
  const effects = (d.effects ?? []).map((x) => [x.factors.map((f, i) => `${f}=${x.levels[i]}`).join(' × '), value(x.estimate), x.ci ? `${value(x.ci[0])} to ${value(x.ci[1])}` : 'n/a', pValue(x.pValueAdjusted), x.significant ? (x.better ? 'better' : 'worse') : 'no']);
  const pairs = d.pairs.length > 1 ? d.pairs.map((p) => [`${p.variant} vs ${p.control}`, `**${p.decision.toUpperCase()}**`, p.reasons[0] ?? '']) : [];
  return [
    `### Verdict: ${d.experiment} **${marker(d)}**${d.levels ? ` (${levelsText(d.levels)})` : ''}`,
    '',
    ...markdownTable(['Experiment', 'Decision', 'Metric', 'Variant', 'Lift', `${level(d.alpha)} ${d.analysis} CI`, 'Adjusted p'], rows),
    '',
    ...(effects.length ? [...markdownTable(['Factor effect', 'Estimate', `${level(d.alpha)} CI`, 'Adjusted p (Holm)', 'Significant'], effects), ''] : []),
    ...(pairs.length ? [...markdownTable(['Arm', 'Decision', 'Why'], pairs), ''] : []),
    ...d.reasons.map((r) => `- ${r}`),
    ...(d.reasons.length ? [''] : []),
    ...(d.segments ? [`**Segments** (${d.segments.attribute}): ship to ${d.segments.ship_to.join(', ') || 'none'}; exclude ${d.segments.exclude.map((x) => x ?? '(not sent)').join(', ') || 'none'}`, ''] : []),
    `<sub>${d.analysis} analysis, alpha ${d.alpha}, ${d.daysRunning.toFixed(1)} days running (minimum ${d.minDays})${d.acknowledged.length ? `, acknowledged: ${d.acknowledged.join(', ')}` : ''}, checked ${d.checkedAt}</sub>`,
  ];
}
