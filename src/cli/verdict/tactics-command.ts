import { choice, GLOBAL_HELP, number, parseCommand, positionals, slug } from './args';
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
value, and the lift pooled across experiments with its interval and I², overall and per
segment value. The pool takes completed experiments; with --include-running, running ones
too (marked provisional). Every interval says whether it is fixed or sequential.

Options:
  --format <f>         table (default), json, or csv (scorecard only: the server's CSV)
  --min-days <n>       days an experiment must have run for its win to count (server default 7)
  --include-running    pool running experiments too (provisional)

${GLOBAL_HELP}

Examples:
  verdict tactics
  verdict tactics personalized-recommendations
  verdict tactics personalized-recommendations --min-days 3 --include-running`;

const FORMATS = ['table', 'json', 'csv'] as const;

export async function run(args: string[]): Promise<number> {
  const { values, positionals: given } = parseCommand('tactics', args, {
    format: { type: 'string' },
    'min-days': { type: 'string' },
    'include-running': { type: 'boolean' },
  });
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
  const minDays = number('tactics', 'min-days', values['min-days'], { min: 0, max: 3650 });
  const query = { ...(minDays === undefined ? {} : { minDays }), ...(values['include-running'] ? { include: 'running' as const } : {}) };
  const params = { path: { tactic }, query };
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

function pooledLine(p: Scorecard['metrics'][number]['pooled'], include: Scorecard['include']): string {
  const which = include === 'running' ? 'completed or running' : 'completed';
  if (!p) return `  pooled lift: n/a (no ${which} experiment with enough data to pool)`;
  const mark = p.provisional ? ` PROVISIONAL (${p.running ?? 0} still running)` : '';
  if (p.experiments === 1) return `  pooled lift over 1 ${which} experiment: ${percent(p.fixed.lift)} (${p.intervalType} CI ${percentInterval(p.fixed.ci)}), its own interval${mark}`;
  return (
    `  pooled lift over ${p.experiments} ${which} experiments: ${percent(p.random.lift)} (${p.intervalType} CI ${percentInterval(p.random.ci)}) random effects, ` +
    `${percent(p.fixed.lift)} fixed effect; I² ${share(p.i2, 0)}${mark}`
  );
}

export function scorecardLines(s: Scorecard): string[] {
  const lines = [`tactic ${s.tactic} (checked ${s.checkedAt}; wins count after ${s.minDays} days; pooling ${s.include === 'running' ? 'completed and running' : 'completed'} experiments)`];
  if (s.metrics.length === 0) lines.push('  no experiments use this tactic yet');
  for (const m of s.metrics) {
    lines.push('', `metric ${m.metric}: win rate ${winRate(m.winRate)}`);
    lines.push(
      ...table(
        ['experiment', 'status', 'decision', 'counted', 'outcome', 'variant', 'lift', 'CI', 'pooled'],
        m.experiments.map((e) => [
          e.key,
          e.status,
          e.decision,
          e.counted ? 'yes' : 'no',
          e.outcome ?? '-',
          e.variant ?? '-',
          percent(e.lift),
          e.ci ? `${percentInterval(e.ci)} ${e.intervalType}` : percentInterval(e.ci),
          e.inPool ? 'yes' : 'no',
        ]),
        '  ',
      ),
    );
    if (m.segments.length) {
      lines.push('  per segment:');
      lines.push(
        ...table(
          ['segment', 'experiments', 'win rate', 'pooled lift', 'CI'],
          m.segments.map((g) => [
            `${g.attribute}=${g.value ?? '(not sent)'}`,
            String(g.experiments),
            winRate(g),
            g.pooled ? `${percent(g.pooled.random.lift)}${g.pooled.provisional ? ' (provisional)' : ''}` : 'n/a',
            g.pooled ? `${percentInterval(g.pooled.random.ci)} ${g.pooled.intervalType}` : '-',
          ]),
          '    ',
        ),
      );
    }
    lines.push(pooledLine(m.pooled, s.include));
  }
  return lines;
}
