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
      segments: r.segments,
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

/** Each new arm and combination of segment values gets its cell. */
const CELLS_INSERT = `INSERT INTO cells (experiment_id, variant, holdout, segments)
     SELECT DISTINCT experiment_id, variant, holdout, segments
       FROM json_to_recordset($1::json) AS t(experiment_id int, variant text, holdout bool, segments jsonb)
     ON CONFLICT (experiment_id, variant, holdout, segments) DO NOTHING`;

const EXPOSURES_UPSERT = `INSERT INTO exposures (experiment_id, unit_id, variant, holdout, first_exposed_at, segments, cell)
     SELECT t.experiment_id, t.unit_id, t.variant, t.holdout, t.first_exposed_at, t.segments, c.id
       FROM json_to_recordset($1::json) AS t(experiment_id int, unit_id text, unit_hash text, variant text, holdout bool, first_exposed_at timestamptz, segments jsonb)
       JOIN cells c ON c.experiment_id = t.experiment_id AND c.variant = t.variant AND c.holdout = t.holdout AND c.segments = t.segments
      WHERE NOT EXISTS (
              SELECT 1 FROM erasures e
               WHERE e.unit_hash = t.unit_hash
                 AND e.erased_at >= t.first_exposed_at)
     ON CONFLICT (experiment_id, unit_id) DO UPDATE
        SET first_exposed_at = excluded.first_exposed_at, segments = excluded.segments, cell = excluded.cell
      WHERE excluded.first_exposed_at < exposures.first_exposed_at
     RETURNING experiment_id, unit_id`;

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
