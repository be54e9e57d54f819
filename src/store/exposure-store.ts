import { lockAggregates, recomputeUnits } from './aggregate-store';
import { unitHash } from './erasure-store';
import type { Db, Queryable } from './db';

/** SQL for first exposures. */
export interface ExposureRow {
  experimentId: number;
  unitId: string;
  variant: string;
  holdout: boolean;
  at: Date;
  /** Values of the experiment's segment attributes at the moment of exposure. */
  segments: Record<string, string | number | boolean>;
  /** What is stored of every attribute sent (model/attributes.ts), for segments added later. */
  attributes?: Record<string, string | number | boolean>;
}

/**
 * Records first exposures and brings their units' aggregates up to date. An exposure of an
 * erased unit at or before its erasure (queued elsewhere while it was erased) is skipped. A unit already
 * recorded keeps its row unless this exposure is earlier (batches from several instances
 * arrive out of order): the first exposure is the earliest one. Every inserted or moved
 * exposure has its aggregates recomputed from the raw events, because conversions may have
 * arrived before the exposure was written. Each (experiment, unit) at most once per call.
 * Takes the exclusive aggregates lock: call inside a transaction.
 */
export async function writeExposures(tx: Queryable, rows: readonly ExposureRow[]): Promise<void> {
  if (rows.length === 0) return;
  await lockAggregates(tx, 'exclusive');
  const batch = JSON.stringify(
    rows.map((r) => ({
      experiment_id: r.experimentId,
      unit_id: r.unitId,
      unit_hash: unitHash(r.unitId),
      variant: r.variant,
      holdout: r.holdout,
      first_exposed_at: r.at.toISOString(),
      attributes: { ...r.attributes, ...r.segments },
    })),
  );
  await tx.query(CELLS_INSERT, [batch]);
  const { rows: changed } = await tx.query<{ experiment_id: number; unit_id: string }>(EXPOSURES_UPSERT, [batch]);
  await recomputeUnits(
    tx,
    changed.map((r) => ({ experimentId: r.experiment_id, unitId: r.unit_id })),
  );
}

/**
 * A batch from /v1/assign's queue. On PostgreSQL it commits durably: the units are marked as
 * exposed (in Redis) once this returns, and a mark outliving a row that a database crash took
 * back would leave that unit out of the results for good. On the embedded database it commits
 * without waiting for the WAL flush: the database lives and dies with this process, and so do
 * the queue and the in-process marks, so a crash loses rows and marks together (the units are
 * recorded again on their next visit), and sparing the flush wait lets it keep up with new
 * visitors.
 */
export async function insertExposureBatch(db: Db, rows: readonly ExposureRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.transaction(async (tx) => {
    if (db.backend === 'pglite') await tx.query('SET LOCAL synchronous_commit = off');
    await writeExposures(tx, rows);
  });
}

/**
 * The batch with each row's segment values taken from its attributes by the experiment's
 * segment attributes as the database has them now (not as the writer's copy has them): an
 * exposure written after a segment was added is broken down by it, whichever instance wrote
 * it. (Adding one re-cells the experiment under the exclusive aggregates lock: recellExposures.)
 */
const BATCH_WITH_SEGMENTS = `SELECT t.experiment_id, t.unit_id, t.unit_hash, t.variant, t.holdout, t.first_exposed_at, t.attributes,
            (SELECT coalesce(jsonb_object_agg(k, t.attributes -> k), '{}'::jsonb)
               FROM jsonb_array_elements_text(e.definition -> 'segments') AS k
              WHERE t.attributes ? k) AS segments
       FROM json_to_recordset($1::json) AS t(experiment_id int, unit_id text, unit_hash text, variant text, holdout bool, first_exposed_at timestamptz, attributes jsonb)
       JOIN experiments e ON e.id = t.experiment_id`;

/** Each new arm and combination of segment values gets its cell. */
const CELLS_INSERT = `INSERT INTO cells (experiment_id, variant, holdout, segments)
     SELECT DISTINCT experiment_id, variant, holdout, segments FROM (${BATCH_WITH_SEGMENTS}) AS t
     ON CONFLICT (experiment_id, variant, holdout, segments) DO NOTHING`;

/**
 * The batch is materialized first, so each row's segment values are computed once and the
 * cell is found by one hash join on all four columns. Inlined, the planner (which estimates
 * 100 rows for json_to_recordset and has no statistics on the embedded database) joined the
 * cells on arm only and recomputed the segment values for every cell of the arm: 24 times a
 * row with three segment attributes, 190 for a 2x2x2 multivariate test, most of the cost of
 * writing an exposure (measured on the demo: 1.1 s for a batch of 200, 0.1 s materialized).
 */
const EXPOSURES_UPSERT = `WITH t AS MATERIALIZED (${BATCH_WITH_SEGMENTS})
     INSERT INTO exposures (experiment_id, unit_id, variant, holdout, first_exposed_at, segments, attributes, cell)
     SELECT t.experiment_id, t.unit_id, t.variant, t.holdout, t.first_exposed_at, t.segments, t.attributes, c.id
       FROM t
       JOIN cells c ON c.experiment_id = t.experiment_id AND c.variant = t.variant AND c.holdout = t.holdout AND c.segments = t.segments
      WHERE NOT EXISTS (
              SELECT 1 FROM erasures e
               WHERE e.unit_hash = t.unit_hash
                 AND e.erased_at >= t.first_exposed_at)
     ON CONFLICT (experiment_id, unit_id) DO UPDATE
        SET first_exposed_at = excluded.first_exposed_at, segments = excluded.segments, attributes = excluded.attributes, cell = excluded.cell
      WHERE excluded.first_exposed_at < exposures.first_exposed_at
     RETURNING experiment_id, unit_id`;

/** Every exposure of experiment $1 with its segment values by the attributes in $2 (a JSON array), from what it stored. */
const RECELLED = `SELECT unit_id, variant, holdout, attrs,
            (SELECT coalesce(jsonb_object_agg(k, attrs -> k), '{}'::jsonb) FROM jsonb_array_elements_text($2::jsonb) AS k WHERE attrs ? k) AS segs
       FROM (SELECT unit_id, variant, holdout, coalesce(attributes, '{}'::jsonb) || segments AS attrs FROM exposures WHERE experiment_id = $1) AS x`;

/**
 * After an experiment's segment attributes changed: every exposure gets its segment values
 * from the attributes stored with it (a segment added later is broken down for the units
 * exposed before it was added; those that never sent it show as not sent), and its cell, and
 * its aggregates follow it. Exposures recorded before attributes were stored (migration 008)
 * keep only the segment values they had; those are kept in their attributes from now on.
 * Reads and rewrites every exposure of the experiment once. Takes the exclusive aggregates
 * lock: call inside the transaction that changes the segments. The number of units re-celled.
 */
export async function recellExposures(tx: Queryable, experimentId: number, segments: readonly string[]): Promise<number> {
  await lockAggregates(tx, 'exclusive');
  const args = [experimentId, JSON.stringify(segments)];
  await tx.query(
    `INSERT INTO cells (experiment_id, variant, holdout, segments)
     SELECT DISTINCT $1::int, variant, holdout, segs FROM (${RECELLED}) AS n
     ON CONFLICT (experiment_id, variant, holdout, segments) DO NOTHING`,
    args,
  );
  const { rowCount } = await tx.query(
    `UPDATE exposures x SET attributes = n.attrs, segments = n.segs, cell = c.id
       FROM (${RECELLED}) AS n
       JOIN cells c ON c.experiment_id = $1 AND c.variant = n.variant AND c.holdout = n.holdout AND c.segments = n.segs
      WHERE x.experiment_id = $1 AND x.unit_id = n.unit_id AND (x.cell <> c.id OR x.attributes IS NULL)`,
    args,
  );
  await tx.query(
    `UPDATE unit_metrics u SET cell = x.cell FROM exposures x
      WHERE u.experiment_id = $1 AND x.experiment_id = $1 AND u.unit_id = x.unit_id AND u.cell <> x.cell`,
    [experimentId],
  );
  return rowCount ?? 0;
}

/** Exposed units of experiments, newest first (to warm the in-process exposure cache). */
export async function recentExposures(
  q: Queryable,
  experimentIds: readonly number[],
  limit: number,
): Promise<{ experimentId: number; unitId: string; variant: string; holdout: boolean }[]> {
  if (experimentIds.length === 0) return [];
  const { rows } = await q.query<{ experiment_id: number; unit_id: string; variant: string; holdout: boolean }>(
    `SELECT experiment_id, unit_id, variant, holdout FROM exposures
      WHERE experiment_id = ANY($1::int[]) ORDER BY first_exposed_at DESC LIMIT $2`,
    [experimentIds, limit],
  );
  return rows.map((r) => ({ experimentId: r.experiment_id, unitId: r.unit_id, variant: r.variant, holdout: r.holdout }));
}

/**
 * The recorded first exposures of these (experiment, unit) pairs: the record that keeps an
 * exposed unit in its variant (or in the holdout) when hashing alone no longer would.
 */
export async function recordedExposures(
  q: Queryable,
  pairs: readonly { experimentId: number; unitId: string }[],
): Promise<{ experimentId: number; unitId: string; variant: string; holdout: boolean }[]> {
  if (pairs.length === 0) return [];
  const { rows } = await q.query<{ experiment_id: number; unit_id: string; variant: string; holdout: boolean }>(
    `SELECT x.experiment_id, x.unit_id, x.variant, x.holdout FROM exposures x
       JOIN unnest($1::int[], $2::text[]) AS p(experiment_id, unit_id) ON x.experiment_id = p.experiment_id AND x.unit_id = p.unit_id`,
    [pairs.map((p) => p.experimentId), pairs.map((p) => p.unitId)],
  );
  return rows.map((r) => ({ experimentId: r.experiment_id, unitId: r.unit_id, variant: r.variant, holdout: r.holdout }));
}
