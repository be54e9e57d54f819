import { choice, GLOBAL_HELP, parseCommand, positionals, slug } from './args';
import { api, connection, send, type Schemas } from './client';
import { CSV, csvBody } from './csv-answer';
import { EXIT } from './cli-errors';
import { json, level, percent, percentInterval, print, pText, pValue, table, value } from './format';

/** `verdict results <experiment>`: lift, intervals and p-values per metric and segment. */
type Results = Schemas['Results'];
type Block = Schemas['ResultBlock'];

export const help = `Usage: verdict results <experiment> [options]

The experiment's results (GET /v1/experiments/{key}/results): per metric, each variant's
units and value, and each comparison with the control (lift, interval, adjusted p-value),
overall and per segment value.

Options:
  --metric <key>       only this metric
  --segment <attr>     only this segment attribute
  --format <f>         table (default), json, or csv (the server's CSV, passed through)

${GLOBAL_HELP}

Example:
  verdict results hero-banner-reco --segment device`;

const FORMATS = ['table', 'json', 'csv'] as const;

export async function run(args: string[]): Promise<number> {
  const { values, positionals: given } = parseCommand('results', args, {
    metric: { type: 'string' },
    segment: { type: 'string' },
    format: { type: 'string' },
  });
  if (values.help) {
    print(help);
    return EXIT.ok;
  }
  const key = slug('results', 'experiment key', positionals('results', given, ['experiment'])[0]!);
  const format = choice('results', 'format', values.format, FORMATS, 'table');
  const query = { metric: values.metric === undefined ? undefined : slug('results', 'metric key', values.metric), segment: values.segment };
  const conn = connection(values);
  const client = api(conn);
  const about = { resource: `experiment "${key}"` };
  const params = { path: { key }, query };

  if (format === 'csv') {
    const { data, response } = await send(conn, client.GET('/v1/experiments/{key}/results', { params, ...CSV }), about);
    process.stdout.write(csvBody(response, data));
    return EXIT.ok;
  }
  const { data } = await send(conn, client.GET('/v1/experiments/{key}/results', { params }), about);
  const results = data as Results;
  print(format === 'json' ? json(results) : toTable(results));
  return EXIT.ok;
}

export function toTable(r: Results): string[] {
  const srm = r.srm.mismatch ? `SAMPLE RATIO MISMATCH (${pText(r.srm.pValue)}): do not trust these results` : `sample ratio ok (${pText(r.srm.pValue)})`;
  const lines = [`${r.experiment} (${r.status}): ${r.analysis} analysis, alpha ${r.alpha}, ${srm}`];
  for (const m of r.metrics) {
    lines.push('', `${m.key} (${m.type}, ${m.role}, should ${m.direction})`);
    for (const block of [m.overall, ...m.segments]) lines.push(...blockLines(block, r.alpha, r.analysis));
    for (const f of m.forWhom) lines.push(`  for whom (${f.attribute}): ${f.summary}`);
  }
  return lines;
}

function blockLines(b: Block, alpha: number, analysis: string): string[] {
  const title = b.attribute === undefined ? 'overall' : `${b.attribute}=${b.value ?? '(not sent)'}`;
  const variants = table(
    ['variant', 'units', 'value'],
    b.variants.map((v) => [v.variant, String(v.units), value(v.value)]),
    '    ',
  );
  const comparisons = table(
    ['comparison', 'lift', `${level(alpha)} ${analysis} CI`, 'adjusted p', 'significant'],
    b.comparisons.map((c) => [
      `${c.variant} vs ${c.control}`,
      percent(c.relative.estimate),
      percentInterval(c.relative.ci),
      pValue(c.pValueAdjusted),
      !c.enoughData ? 'not enough data' : c.significant ? (c.better ? 'yes, better' : 'yes, worse') : 'no',
    ]),
    '    ',
  );
  return [`  ${title}${b.srm?.mismatch ? ' (sample ratio mismatch)' : ''}`, ...variants, ...(b.comparisons.length ? comparisons : [])];
}
