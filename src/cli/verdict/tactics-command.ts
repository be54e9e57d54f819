import { choice, GLOBAL_HELP, parseCommand, positionals, slug } from './args';
import { api, connection, send, type Schemas } from './client';
import { CSV, csvBody } from './csv-answer';
import { EXIT } from './cli-errors';
import { json, percent, percentInterval, print, share, table } from './format';

/** `verdict tactics [tactic]`: which personalization tactics work, and for whom. */
type Scorecard = Schemas['Scorecard'];
type TacticSummary = Schemas['TacticSummary'];
type WinRate = Schemas['WinRate'];

export const help = `Usage: verdict tactics [tactic] [options]

Without a tactic, every tactic with its experiments by status (GET /v1/tactics).
With one, its scorecard (GET /v1/tactics/{tactic}): per primary metric, the win rate
(wins, losses, inconclusive), each experiment's decision, the win rate per segment
value, and the lift pooled across experiments with its interval and I².

Options:
  --format <f>         table (default), json, or csv (scorecard only: the server's CSV)

${GLOBAL_HELP}

Examples:
  verdict tactics
  verdict tactics personalized-recommendations`;

const FORMATS = ['table', 'json', 'csv'] as const;

export async function run(args: string[]): Promise<number> {
  const { values, positionals: given } = parseCommand('tactics', args, { format: { type: 'string' } });
  if (values.help) {
    print(help);
    return EXIT.ok;
  }
  const [named] = positionals('tactics', given, [], ['tactic']);
  const tactic = named === undefined ? undefined : slug('tactics', 'tactic', named);
  const format = choice('tactics', 'format', values.format, FORMATS, 'table');
  const conn = connection(values);
  const client = api(conn);

  if (tactic === undefined) {
    const { data } = await send(conn, client.GET('/v1/tactics'));
    if (format === 'csv') print(listCsv(data.items));
    else print(format === 'json' ? json(data) : listTable(data.items));
    return EXIT.ok;
  }
  const params = { path: { tactic } };
  const about = { resource: `tactic "${tactic}"` };
  if (format === 'csv') {
    const { data, response } = await send(conn, client.GET('/v1/tactics/{tactic}', { params, ...CSV }), about);
    process.stdout.write(csvBody(response, data));
    return EXIT.ok;
  }
  const { data } = await send(conn, client.GET('/v1/tactics/{tactic}', { params }), about);
  print(format === 'json' ? json(data) : scorecardLines(data as Scorecard));
  return EXIT.ok;
}

const byStatus = (t: TacticSummary) =>
  Object.entries(t.byStatus)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');

function listTable(items: TacticSummary[]): string[] {
  if (items.length === 0) return ['no tactics yet: create an experiment with a "tactic"'];
  return table(['tactic', 'experiments', 'by status'], items.map((t) => [t.tactic, String(t.experiments), byStatus(t)]));
}

/** The list has no CSV on the server; this one is made here, with the same columns as the table. */
function listCsv(items: TacticSummary[]): string[] {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const statuses = [...new Set(items.flatMap((t) => Object.keys(t.byStatus)))].sort();
  return [['tactic', 'experiments', ...statuses].join(','), ...items.map((t) => [quote(t.tactic), t.experiments, ...statuses.map((s) => t.byStatus[s] ?? 0)].join(','))];
}

const winRate = (w: WinRate) => `${share(w.rate)} (${w.wins} won, ${w.losses} lost, ${w.inconclusive} inconclusive)`;

export function scorecardLines(s: Scorecard): string[] {
  const lines = [`tactic ${s.tactic} (checked ${s.checkedAt})`];
  if (s.metrics.length === 0) lines.push('  no experiments use this tactic yet');
  for (const m of s.metrics) {
    lines.push('', `metric ${m.metric}: win rate ${winRate(m.winRate)}`);
    lines.push(
      ...table(
        ['experiment', 'status', 'decision', 'counted', 'outcome', 'variant', 'lift', 'CI'],
        m.experiments.map((e) => [e.key, e.status, e.decision, e.counted ? 'yes' : 'no', e.outcome ?? '-', e.variant ?? '-', percent(e.lift), percentInterval(e.ci)]),
        '  ',
      ),
    );
    if (m.segments.length) {
      lines.push('  per segment:');
      lines.push(...table(['segment', 'experiments', 'win rate'], m.segments.map((g) => [`${g.attribute}=${g.value ?? '(not sent)'}`, String(g.experiments), winRate(g)]), '    '));
    }
    const p = m.pooled;
    lines.push(
      p
        ? `  pooled lift over ${p.experiments} experiments: ${percent(p.random.lift)} (CI ${percentInterval(p.random.ci)}) random effects, ${percent(p.fixed.lift)} fixed effect; I² ${share(p.i2, 0)}`
        : '  pooled lift: n/a (no experiment with enough data to pool)',
    );
  }
  return lines;
}
