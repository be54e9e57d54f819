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
 * Inserts first exposures in one statement. A unit already recorded keeps its row, unless
 * this exposure is earlier (batches from several instances can arrive out of order): the
 * first exposure is the earliest one. Each (experiment, unit) must appear once per call.
 */
export async function insertExposures(q: Queryable, rows: readonly ExposureRow[]): Promise<void> {
  if (rows.length === 0) return;
  await q.query(EXPOSURES_INSERT, exposureParams(rows));
}

/**
 * A batch from /v1/assign's queue: committed without waiting for the WAL flush. Those
 * exposures are already documented as lost on a crash within the flush interval; sparing
 * the flush wait is what lets the embedded database keep up with new visitors.
 */
export async function insertExposureBatch(db: Db, rows: readonly ExposureRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.transaction(async (tx) => {
    await tx.query('SET LOCAL synchronous_commit = off');
    await tx.query(EXPOSURES_INSERT, exposureParams(rows));
  });
}

const EXPOSURES_INSERT = `INSERT INTO exposures (experiment_id, unit_id, variant, holdout, first_exposed_at, segments)
     SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::bool[], $5::timestamptz[], $6::jsonb[])
     ON CONFLICT (experiment_id, unit_id) DO UPDATE
        SET first_exposed_at = excluded.first_exposed_at, segments = excluded.segments
      WHERE excluded.first_exposed_at < exposures.first_exposed_at`;

function exposureParams(rows: readonly ExposureRow[]): unknown[] {
  return [
    rows.map((r) => r.experimentId),
      rows.map((r) => r.unitId),
      rows.map((r) => r.variant),
      rows.map((r) => r.holdout),
      rows.map((r) => r.at.toISOString()),
    rows.map((r) => JSON.stringify(r.segments)),
  ];
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
