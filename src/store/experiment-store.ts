import type { Definition, ExperimentRow, ExperimentStatus } from '../model/experiment';
import type { Queryable } from './db';

/** SQL for the experiments table. Rows come back as the model's ExperimentRow. */

const COLUMNS = 'id, uid, key, status, tactic, version, definition, created_at, updated_at, started_at, completed_at, archived_at, narrowed_at';

interface DbRow {
  id: number;
  uid: string;
  key: string;
  status: ExperimentStatus;
  tactic: string;
  version: number;
  definition: Definition;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  archived_at: Date | null;
  narrowed_at: Date | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toExperiment(r: DbRow): ExperimentRow {
  return {
    id: r.id,
    key: r.key,
    ...r.definition,
    tactic: r.tactic,
    status: r.status,
    version: r.version,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    startedAt: iso(r.started_at),
    completedAt: iso(r.completed_at),
    archivedAt: iso(r.archived_at),
    uid: r.uid,
    narrowedAt: iso(r.narrowed_at),
  };
}

export async function insertExperiment(q: Queryable, key: string, tactic: string, definition: Definition, at: Date = new Date()): Promise<ExperimentRow> {
  const { rows } = await q.query<DbRow>(
    `INSERT INTO experiments (key, status, tactic, definition, created_at, updated_at) VALUES ($1, 'draft', $2, $3, $4, $4) RETURNING ${COLUMNS}`,
    [key, tactic, JSON.stringify(definition), at],
  );
  return toExperiment(rows[0]);
}

/**
 * `forUpdate` locks the row against other changes of the experiment (FOR NO KEY UPDATE: its
 * id never changes). That lock still lets other transactions insert rows referencing the
 * experiment (exposures, cells: their foreign key checks take FOR KEY SHARE), so a change that
 * then waits for the aggregates lock cannot deadlock with an exposure write holding it.
 */
export async function findExperiment(q: Queryable, key: string, options: { forUpdate?: boolean } = {}): Promise<ExperimentRow | null> {
  const { rows } = await q.query<DbRow>(`SELECT ${COLUMNS} FROM experiments WHERE key = $1${options.forUpdate ? ' FOR NO KEY UPDATE' : ''}`, [key]);
  return rows[0] ? toExperiment(rows[0]) : null;
}

export interface ExperimentFilter {
  statuses?: ExperimentStatus[];
  tactic?: string;
  /** Only experiments with an id below this one (pagination, newest first). */
  beforeId?: number;
  limit: number;
}

export async function listExperiments(q: Queryable, filter: ExperimentFilter): Promise<ExperimentRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.statuses && filter.statuses.length > 0) {
    params.push(filter.statuses);
    where.push(`status = ANY($${params.length}::text[])`);
  }
  if (filter.tactic) {
    params.push(filter.tactic);
    where.push(`tactic = $${params.length}`);
  }
  if (filter.beforeId !== undefined) {
    params.push(filter.beforeId);
    where.push(`id < $${params.length}`);
  }
  params.push(filter.limit);
  const { rows } = await q.query<DbRow>(
    `SELECT ${COLUMNS} FROM experiments ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT $${params.length}`,
    params,
  );
  return rows.map(toExperiment);
}

/** Experiments in any of these statuses (the in-memory registry loads the live ones). */
export async function experimentsWithStatus(q: Queryable, statuses: ExperimentStatus[]): Promise<ExperimentRow[]> {
  const { rows } = await q.query<DbRow>(`SELECT ${COLUMNS} FROM experiments WHERE status = ANY($1::text[]) ORDER BY id`, [statuses]);
  return rows.map(toExperiment);
}

export interface ExperimentChange {
  tactic: string;
  definition: Definition;
  status: ExperimentStatus;
  /** Set the timestamp column of the new status to `at`. */
  stamp?: 'started_at' | 'completed_at' | 'archived_at';
  /** The change narrows a started experiment (see narrows() in the model): stamp narrowed_at. */
  narrowed?: boolean;
  /** When the change happens (the service's clock; the demo clock may be set in the past). */
  at?: Date;
}

/** Writes a new version; the caller holds the row lock (findExperiment forUpdate). */
export async function saveExperiment(q: Queryable, key: string, change: ExperimentChange): Promise<ExperimentRow> {
  const stamp =
    (change.stamp ? `, ${change.stamp} = COALESCE(${change.stamp}, $5)` : '') + (change.narrowed ? ', narrowed_at = COALESCE(narrowed_at, $5)' : '');
  const { rows } = await q.query<DbRow>(
    `UPDATE experiments SET tactic = $2, definition = $3, status = $4, version = version + 1, updated_at = $5${stamp}
      WHERE key = $1 RETURNING ${COLUMNS}`,
    [key, change.tactic, JSON.stringify(change.definition), change.status, change.at ?? new Date()],
  );
  return toExperiment(rows[0]);
}

/**
 * Serialises writers that claim the same name (a layer, a salt) until the transaction ends,
 * so two concurrent creates cannot both pass an overlap or uniqueness check.
 */
export async function lockName(q: Queryable, name: string): Promise<void> {
  await q.query('SELECT pg_advisory_xact_lock(hashtext($1))', [name]);
}

/** Live (not completed or archived) experiments in a layer, other than `exceptKey`. */
export async function liveExperimentsInLayer(q: Queryable, layerKey: string, exceptKey: string): Promise<ExperimentRow[]> {
  const { rows } = await q.query<DbRow>(
    `SELECT ${COLUMNS} FROM experiments
      WHERE definition->'layer'->>'key' = $1 AND key <> $2 AND status IN ('draft', 'running', 'paused')`,
    [layerKey, exceptKey],
  );
  return rows.map(toExperiment);
}

/** The key of another experiment hashing with this salt, if any. */
export async function experimentWithSalt(q: Queryable, salt: string, exceptKey: string): Promise<string | null> {
  const { rows } = await q.query<{ key: string }>(`SELECT key FROM experiments WHERE definition->>'salt' = $1 AND key <> $2 LIMIT 1`, [salt, exceptKey]);
  return rows[0]?.key ?? null;
}

/** Experiments of a tactic that have started (they have data to judge), oldest first. */
export async function startedInTactic(q: Queryable, tactic: string): Promise<ExperimentRow[]> {
  const { rows } = await q.query<DbRow>(`SELECT ${COLUMNS} FROM experiments WHERE tactic = $1 AND started_at IS NOT NULL ORDER BY id`, [tactic]);
  return rows.map(toExperiment);
}

/** Every tactic, with its experiments counted per status (archived ones too: their results still count on the scorecard). */
export async function tacticSummaries(q: Queryable): Promise<{ tactic: string; experiments: number; byStatus: Record<string, number> }[]> {
  const { rows } = await q.query<{ tactic: string; status: string; n: number }>(
    `SELECT tactic, status, count(*)::int AS n FROM experiments GROUP BY tactic, status ORDER BY tactic, status`,
  );
  const out = new Map<string, { tactic: string; experiments: number; byStatus: Record<string, number> }>();
  for (const r of rows) {
    const t = out.get(r.tactic) ?? { tactic: r.tactic, experiments: 0, byStatus: {} };
    t.experiments += r.n;
    t.byStatus[r.status] = r.n;
    out.set(r.tactic, t);
  }
  return [...out.values()];
}
