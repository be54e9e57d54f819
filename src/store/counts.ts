import type { Queryable } from './db';

/**
 * The raw counts of an experiment, read from the per-unit aggregates (never from raw
 * events) with plain GROUP BYs on small integer keys (variant, holdout, segment cell,
 * stream), which PostgreSQL runs in parallel. Breakdowns per segment attribute are then
 * sums over cells (results/counts.ts). A unit's value for a metric is 0/1 (binary), its
 * event count (count) or the sum of its event values (revenue), after the metric's cap.
 */
export interface CountingMetric {
  key: string;
  /** The aggregates it reads (see migrations/003_events.sql). */
  stream: string;
  type: 'binary' | 'count' | 'revenue';
  cap: number | null;
}

export interface RatioParts {
  key: string;
  numerator: CountingMetric;
  denominator: CountingMetric;
}

/** A cell: one arm (variant, or the holdout) in one combination of segment values. */
export interface CellRow {
  cell: number;
  variant: string;
  holdout: boolean;
  segments: Record<string, string | number | boolean>;
}

export interface UnitsRow {
  cell: number;
  units: number;
}

/** Per cell and stream: converters, raw event count, and per metric Σv and Σv² (and ratio cross sums). */
export interface StreamRow {
  cell: number;
  stream: string;
  converters: number;
  count: number;
  values: Record<string, { sum: number; sumSquares: number }>;
  cross: Record<string, number>;
}

export interface CrossRow {
  cell: number;
  metric: string;
  crossSum: number;
}

/** The per-unit value of a metric, as SQL over unit_metrics alias u and a cap parameter. */
function value(m: CountingMetric, cap: string): string {
  if (m.type === 'binary') return '(u.count > 0)::int::float8';
  const column = m.type === 'count' ? 'u.count::float8' : 'u.sum';
  return m.cap === null ? column : `LEAST(${column}, ${cap})`;
}

export async function experimentCells(q: Queryable, experimentId: number): Promise<CellRow[]> {
  const { rows } = await q.query<{ id: number; variant: string; holdout: boolean; segments: CellRow['segments'] }>(
    'SELECT id, variant, holdout, segments FROM cells WHERE experiment_id = $1',
    [experimentId],
  );
  return rows.map((r) => ({ cell: r.id, variant: r.variant, holdout: r.holdout, segments: r.segments }));
}

/** The ids of the experiment's streams, by stream key. */
export async function streamIds(q: Queryable, experimentId: number): Promise<Map<string, number>> {
  const { rows } = await q.query<{ id: number; stream: string }>('SELECT id, stream FROM experiment_streams WHERE experiment_id = $1', [experimentId]);
  return new Map(rows.map((r) => [r.stream, r.id]));
}

export async function unitCounts(q: Queryable, experimentId: number): Promise<UnitsRow[]> {
  const { rows } = await q.query<UnitsRow>('SELECT cell, count(*)::int AS units FROM exposures WHERE experiment_id = $1 GROUP BY cell', [experimentId]);
  return rows;
}

/**
 * One pass over unit_metrics: per (variant, holdout, cell, stream), the sums every metric on
 * that stream needs. Uncapped metrics read the stream's plain sums (Σcount, Σcount², Σsum,
 * Σsum²); a capped metric adds its own two columns; a ratio whose parts share a stream adds
 * its cross sum. Every row has at least one event, so converters = rows.
 */
export async function streamCounts(
  q: Queryable,
  experimentId: number,
  ids: Map<string, number>,
  metrics: readonly CountingMetric[],
  ratios: readonly RatioParts[],
): Promise<StreamRow[]> {
  if (metrics.length === 0) return [];
  const keyOf = new Map([...ids].map(([key, id]) => [id, key]));
  const params: unknown[] = [experimentId];
  const add = (v: unknown, type: string) => (params.push(v), `$${params.length}::${type}`);
  const cap = (m: CountingMetric) => (m.cap === null ? '' : add(m.cap, 'float8'));
  const columns: string[] = [];
  const capped = metrics.filter((m) => m.cap !== null && m.type !== 'binary');
  capped.forEach((m, i) => {
    const stream = add(ids.get(m.stream) ?? -1, 'int');
    const v = value(m, cap(m));
    columns.push(`sum(CASE WHEN u.stream = ${stream} THEN ${v} END) AS s${i}`, `sum(CASE WHEN u.stream = ${stream} THEN (${v}) * (${v}) END) AS q${i}`);
  });
  const shared = ratios.filter((r) => r.numerator.stream === r.denominator.stream);
  shared.forEach((r, j) => {
    const stream = add(ids.get(r.numerator.stream) ?? -1, 'int');
    columns.push(`sum(CASE WHEN u.stream = ${stream} THEN (${value(r.numerator, cap(r.numerator))}) * (${value(r.denominator, cap(r.denominator))}) END) AS x${j}`);
  });
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT u.cell, u.stream, count(*)::int AS converters,
            sum(u.count::float8) AS count, sum((u.count * u.count)::float8) AS count_sq, sum(u.sum) AS sum, sum(u.sum * u.sum) AS sum_sq
            ${columns.map((c) => ', ' + c).join('')}
       FROM unit_metrics u WHERE u.experiment_id = $1
      GROUP BY u.cell, u.stream`,
    params,
  );
  return rows.map((raw) => {
    const r: Record<string, unknown> & { stream: string } = { ...raw, stream: keyOf.get(raw.stream as number) ?? '' };
    const converters = r.converters as number;
    const plain = (m: CountingMetric) =>
      m.type === 'binary'
        ? { sum: converters, sumSquares: converters }
        : m.type === 'count'
          ? { sum: Number(r.count), sumSquares: Number(r.count_sq) }
          : { sum: Number(r.sum), sumSquares: Number(r.sum_sq) };
    return {
      cell: r.cell as number,
      stream: r.stream,
      converters,
      count: Number(r.count),
      values: Object.fromEntries(
        metrics
          .filter((m) => m.stream === r.stream)
          .map((m) => {
            const i = capped.indexOf(m);
            return [m.key, i < 0 ? plain(m) : { sum: Number(r[`s${i}`] ?? 0), sumSquares: Number(r[`q${i}`] ?? 0) }];
          }),
      ),
      cross: Object.fromEntries(shared.flatMap((x, j) => (x.numerator.stream === r.stream ? [[x.key, Number(r[`x${j}`] ?? 0)]] : []))),
    };
  });
}

/** Cross sums of a ratio metric whose numerator and denominator read different streams. */
export async function crossSums(q: Queryable, experimentId: number, ids: Map<string, number>, ratio: RatioParts): Promise<CrossRow[]> {
  const params: unknown[] = [experimentId, ids.get(ratio.numerator.stream) ?? -1, ids.get(ratio.denominator.stream) ?? -1];
  const capParam = (c: number | null) => (c === null ? '' : (params.push(c), `$${params.length}::float8`));
  const num = value(ratio.numerator, capParam(ratio.numerator.cap));
  const den = value(ratio.denominator, capParam(ratio.denominator.cap)).replace(/\bu\./g, 'b.');
  const { rows } = await q.query<Omit<CrossRow, 'metric'>>(
    `SELECT u.cell, sum((${num}) * (${den})) AS "crossSum"
       FROM unit_metrics u
       JOIN unit_metrics b ON b.experiment_id = u.experiment_id AND b.unit_id = u.unit_id AND b.stream = $3
      WHERE u.experiment_id = $1 AND u.stream = $2
      GROUP BY u.cell`,
    params,
  );
  return rows.map((r) => ({ ...r, metric: ratio.key }));
}
