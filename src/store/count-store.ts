import { MAX_CONVERSION_VALUE } from './aggregate-store';
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
  /** With `byDay`: the UTC day (days since 1970-01-01) of the units' first exposure. */
  day?: number;
}

/** Per cell and stream: converters, raw event count, and per metric Σv and Σv² (and ratio cross sums). */
export interface StreamRow {
  cell: number;
  stream: string;
  converters: number;
  count: number;
  values: Record<string, { sum: number; sumSquares: number }>;
  cross: Record<string, number>;
  day?: number;
}

export interface CrossRow {
  cell: number;
  metric: string;
  crossSum: number;
  day?: number;
}

/**
 * `byDay`: every read can also be grouped by the UTC day of each unit's first exposure (a join
 * on exposures' primary key). Rows of days up to d, summed, are the counts of the units first
 * exposed by the end of day d: the cumulative results over time (results/daily.ts).
 */
const DAY = `floor(extract(epoch FROM x.first_exposed_at) / 86400)::int`;
const byDayJoin = (alias: string) => `JOIN exposures x ON x.experiment_id = ${alias}.experiment_id AND x.unit_id = ${alias}.unit_id`;

/**
 * Reading the sums, in range whatever is stored.
 *
 * The aggregates this code writes stay in range: each event's value is clamped at ±1e9, so a
 * unit's sum is at most count × 1e9 and its square nowhere near overflowing. But PostgreSQL
 * raises an error (SQLSTATE 22003) when a float8 product overflows, or underflows to 0 (a
 * value below about 1e-162, squared), and one such row would fail every read of its
 * experiment for good: aggregates written before values were bounded, a value such as 1e-200
 * (within the bound), a cap such as 1e-200, a hand edit. So the sums are read plainly, and
 * when PostgreSQL refuses them, read again `guarded`: each unit's sum clamped at ±count × 1e9
 * and every value below 1e-150 in magnitude counted as 0. Squares and products of such values
 * lie between 1e-300 and 1e56, so no stored row can fail the guarded read. Guarding every read
 * instead made the read of a million units about 1.5 times slower.
 */
const OUT_OF_RANGE = '22003';
const NEGLIGIBLE = 1e-150;
const IN_RANGE_SUM = `LEAST(GREATEST(u.sum, -${MAX_CONVERSION_VALUE}::float8 * u.count), ${MAX_CONVERSION_VALUE}::float8 * u.count)`;
const negligibleAsZero = (x: string) => `(CASE WHEN abs(${x}) < ${NEGLIGIBLE}::float8 THEN 0 ELSE ${x} END)`;

async function inRange<T>(read: (guarded: boolean) => Promise<T>): Promise<T> {
  try {
    return await read(false);
  } catch (err) {
    if ((err as { code?: unknown }).code !== OUT_OF_RANGE) throw err;
    return read(true);
  }
}

/** The per-unit value of a metric, as SQL over unit_metrics alias u and a cap parameter. */
function value(m: CountingMetric, cap: string, guarded: boolean): string {
  if (m.type === 'binary') return '(u.count > 0)::int::float8';
  const column = m.type === 'count' ? 'u.count::float8' : guarded ? IN_RANGE_SUM : 'u.sum';
  const v = m.cap === null ? column : `LEAST(${column}, ${cap})`;
  return guarded ? negligibleAsZero(v) : v;
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

export async function unitCounts(q: Queryable, experimentId: number, byDay = false): Promise<UnitsRow[]> {
  const day = byDay ? `, ${DAY} AS day` : '';
  const { rows } = await q.query<UnitsRow>(`SELECT x.cell, count(*)::int AS units${day} FROM exposures x WHERE x.experiment_id = $1 GROUP BY x.cell${day ? ', day' : ''}`, [experimentId]);
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
  byDay = false,
): Promise<StreamRow[]> {
  if (metrics.length === 0) return [];
  const keyOf = new Map([...ids].map(([key, id]) => [id, key]));
  const capped = metrics.filter((m) => m.cap !== null && m.type !== 'binary');
  const shared = ratios.filter((r) => r.numerator.stream === r.denominator.stream);
  const read = (guarded: boolean) => {
    const params: unknown[] = [experimentId];
    const add = (v: unknown, type: string) => (params.push(v), `$${params.length}::${type}`);
    const cap = (m: CountingMetric) => (m.cap === null ? '' : add(m.cap, 'float8'));
    const columns: string[] = [];
    capped.forEach((m, i) => {
      const stream = add(ids.get(m.stream) ?? -1, 'int');
      const v = value(m, cap(m), guarded);
      columns.push(`sum(CASE WHEN u.stream = ${stream} THEN ${v} END) AS s${i}`, `sum(CASE WHEN u.stream = ${stream} THEN (${v}) * (${v}) END) AS q${i}`);
    });
    shared.forEach((r, j) => {
      const stream = add(ids.get(r.numerator.stream) ?? -1, 'int');
      columns.push(`sum(CASE WHEN u.stream = ${stream} THEN (${value(r.numerator, cap(r.numerator), guarded)}) * (${value(r.denominator, cap(r.denominator), guarded)}) END) AS x${j}`);
    });
    const sum = guarded ? negligibleAsZero(IN_RANGE_SUM) : 'u.sum';
    return q.query<Record<string, unknown>>(
      `SELECT u.cell, u.stream, count(*)::int AS converters,
              sum(u.count::float8) AS count, sum(u.count::float8 * u.count::float8) AS count_sq, sum(${sum}) AS sum, sum(${sum} * ${sum}) AS sum_sq
              ${columns.map((c) => ', ' + c).join('')}${byDay ? `, ${DAY} AS day` : ''}
         FROM unit_metrics u ${byDay ? byDayJoin('u') : ''} WHERE u.experiment_id = $1
        GROUP BY u.cell, u.stream${byDay ? ', day' : ''}`,
      params,
    );
  };
  const { rows } = await inRange(read);
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
      ...(byDay ? { day: r.day as number } : {}),
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
export async function crossSums(q: Queryable, experimentId: number, ids: Map<string, number>, ratio: RatioParts, byDay = false): Promise<CrossRow[]> {
  const { rows } = await inRange((guarded) => {
    const params: unknown[] = [experimentId, ids.get(ratio.numerator.stream) ?? -1, ids.get(ratio.denominator.stream) ?? -1];
    const capParam = (c: number | null) => (c === null ? '' : (params.push(c), `$${params.length}::float8`));
    const num = value(ratio.numerator, capParam(ratio.numerator.cap), guarded);
    const den = value(ratio.denominator, capParam(ratio.denominator.cap), guarded).replace(/\bu\./g, 'b.');
    return q.query<Omit<CrossRow, 'metric'>>(
      `SELECT u.cell, sum((${num}) * (${den})) AS "crossSum"${byDay ? `, ${DAY} AS day` : ''}
         FROM unit_metrics u
         JOIN unit_metrics b ON b.experiment_id = u.experiment_id AND b.unit_id = u.unit_id AND b.stream = $3
         ${byDay ? byDayJoin('u') : ''}
        WHERE u.experiment_id = $1 AND u.stream = $2
        GROUP BY u.cell${byDay ? ', day' : ''}`,
      params,
    );
  });
  return rows.map((r) => ({ ...r, metric: ratio.key }));
}
