import { sqlState, type Db, type Queryable } from './db';
import { lockAggregates } from './aggregate-store';

/**
 * Raw events by month (migrations/011_partitioned_events.sql, docs/scaling.md "Data growth").
 *
 * `events` is partitioned by range of occurred_at, one partition per UTC month, named
 * events_YYYY_MM, plus events_default for anything outside them. Maintenance, at start and
 * every hour on every instance, and from `npm run events:maintain`:
 *
 *   - creates the partitions of this month and the next MONTHS_AHEAD (an event is accepted
 *     only up to 5 minutes ahead, so the month an event lands in always exists), and of every
 *     month the default partition holds rows for, moving those rows into it;
 *   - with a retention (EVENTS_RETENTION_DAYS), drops every month that ended more than that
 *     many days ago, and the ids of its events (event_ids) with it.
 *
 * Each change runs in one transaction holding the aggregates lock exclusively: every writer of
 * events takes that lock first, so no ingestion, erasure or rebuild interleaves, and two
 * instances maintaining at once do it one after the other (the second finds nothing to do).
 * No session state: it works through pgbouncer's transaction pooling.
 */
export const MONTHS_AHEAD = 2;

/**
 * Events are accepted from 7 days old (src/events/event-ingestor.ts): a retention must exceed
 * that, so an id is never forgotten while its event, sent again with its timestamp, could
 * still be accepted. One day of margin.
 */
export const MIN_RETENTION_DAYS = 8;

const NAME = /^events_(\d{4})_(\d{2})$/;
const UNDEFINED_TABLE = '42P01';

/** The first moment of the UTC month `offset` months after the one holding `at`. */
function monthStart(at: Date, offset = 0): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + offset, 1));
}

export function partitionName(month: Date): string {
  return `events_${String(month.getUTCFullYear()).padStart(4, '0')}_${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The month partitions that exist, by their first moment (from their names, which this module gives). */
export async function eventPartitions(q: Queryable): Promise<Date[]> {
  const { rows } = await q.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'events'::regclass ORDER BY c.relname`,
  );
  return rows.flatMap((r) => {
    const m = NAME.exec(r.name);
    return m ? [new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1))] : [];
  });
}

/** The months the default partition holds rows for (normally none: it is a safety net). */
async function defaultMonths(q: Queryable): Promise<Date[]> {
  const { rows } = await q.query<{ month: string }>(
    `SELECT DISTINCT to_char(date_trunc('month', occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM') AS month FROM events_default`,
  );
  return rows.map((r) => new Date(`${r.month}-01T00:00:00Z`));
}

/**
 * Creates the partition of one month. Rows the default partition holds for that month are
 * moved into it first (a table of the partition's shape, filled, then attached: attaching
 * checks that the default partition no longer holds any row of its range).
 */
async function createPartition(q: Queryable, month: Date): Promise<number> {
  const name = partitionName(month);
  const from = month.toISOString();
  const to = monthStart(month, 1).toISOString();
  await q.exec(`CREATE TABLE ${name} (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
  const { rowCount } = await q.query(
    `WITH moved AS (
       DELETE FROM events_default WHERE occurred_at >= $1 AND occurred_at < $2
       RETURNING event_id, unit_id, kind, name, value, occurred_at, received_at
     )
     INSERT INTO ${name} (event_id, unit_id, kind, name, value, occurred_at, received_at) SELECT * FROM moved`,
    [from, to],
  );
  await q.exec(`ALTER TABLE events ATTACH PARTITION ${name} FOR VALUES FROM ('${from}') TO ('${to}')`);
  return rowCount;
}

/** Deletes the ids of the events one month holds (the same units: a co-located join on Citus). */
async function deleteIds(q: Queryable, month: Date): Promise<number> {
  const { rowCount } = await q.query(`DELETE FROM event_ids d USING ${partitionName(month)} e WHERE d.unit_id = e.unit_id AND d.event_id = e.event_id`);
  return rowCount;
}

/** Drops one month of events, and the ids of its events unless they were deleted already. */
async function dropPartition(q: Queryable, month: Date, idsDeleted: boolean): Promise<{ events: number; ids: number }> {
  const name = partitionName(month);
  const ids = idsDeleted ? 0 : await deleteIds(q, month);
  const { rows } = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${name}`);
  await q.exec(`DROP TABLE ${name}`);
  return { events: rows[0].n, ids };
}

export interface MaintenanceReport {
  /** Partitions created (by name), and the rows moved into them from the default partition. */
  created: string[];
  moved: number;
  /** Partitions dropped by the retention (by name), with the events and ids they held. */
  dropped: string[];
  droppedEvents: number;
  droppedIds: number;
}

/**
 * What maintenance would change at `now`: months to create, months to drop. Read without any
 * lock: when there is nothing, the common case, no lock is taken at all.
 */
async function plan(q: Queryable, now: Date, retentionDays: number | undefined) {
  const existing = new Set((await eventPartitions(q)).map((d) => d.getTime()));
  const wanted = new Map<number, Date>();
  for (let k = 0; k <= MONTHS_AHEAD; k++) wanted.set(monthStart(now, k).getTime(), monthStart(now, k));
  for (const m of await defaultMonths(q)) wanted.set(m.getTime(), m);
  const create = [...wanted.values()].filter((m) => !existing.has(m.getTime())).sort((a, b) => a.getTime() - b.getTime());
  const drop: Date[] = [];
  if (retentionDays !== undefined) {
    const cutoff = now.getTime() - retentionDays * 86_400_000;
    // A whole month goes once its last moment is older than the retention: everything kept is at most that old.
    for (const t of existing) if (monthStart(new Date(t), 1).getTime() <= cutoff) drop.push(new Date(t));
    // A month older than the retention found in the default partition is created, filled and dropped.
    for (const m of create) if (monthStart(m, 1).getTime() <= cutoff) drop.push(m);
  }
  drop.sort((a, b) => a.getTime() - b.getTime());
  return { create, drop };
}

/**
 * Brings the partitions up to date at `now` (see above). `retentionDays` undefined keeps every
 * event. Safe to run from several instances at once, and at any time.
 */
export async function maintainEvents(db: Db, options: { now?: Date; retentionDays?: number } = {}): Promise<MaintenanceReport> {
  const now = options.now ?? new Date();
  const { retentionDays } = options;
  if (retentionDays !== undefined && (!Number.isInteger(retentionDays) || retentionDays < MIN_RETENTION_DAYS)) {
    throw new RangeError(`the retention must be a whole number of days, at least ${MIN_RETENTION_DAYS}, got ${retentionDays}`);
  }
  const report: MaintenanceReport = { created: [], moved: 0, dropped: [], droppedEvents: 0, droppedIds: 0 };
  const first = await plan(db, now, retentionDays);
  if (first.create.length === 0 && first.drop.length === 0) return report;
  // The ids of the months to drop go first, each month in its own transaction and without the
  // aggregates lock: the one long statement of a drop does not hold up ingestion. Safe, since
  // every event of such a month is older than the retention (at least 8 days), and an event
  // that old is refused when sent again with its timestamp. (A month made only now, from rows
  // of the default partition, loses its ids under the lock below.)
  const existing = new Set((await eventPartitions(db)).map((d) => d.getTime()));
  const cleaned = new Set<number>();
  for (const month of first.drop) {
    if (!existing.has(month.getTime())) continue;
    try {
      report.droppedIds += await db.transaction((tx) => deleteIds(tx, month));
    } catch (err) {
      // Another instance dropped this month meanwhile (instances starting together): nothing left to do for it.
      if (sqlState(err) === UNDEFINED_TABLE) continue;
      throw err;
    }
    cleaned.add(month.getTime());
  }
  await db.transaction(async (tx) => {
    await lockAggregates(tx, 'exclusive');
    // Planned again under the lock: another instance may have done it meanwhile.
    const { create, drop } = await plan(tx, now, retentionDays);
    for (const month of create) {
      report.moved += await createPartition(tx, month);
      report.created.push(partitionName(month));
    }
    for (const month of drop) {
      // A month that had no partition until now (its rows came from the default partition) loses its ids here.
      const gone = await dropPartition(tx, month, cleaned.has(month.getTime()) && !create.some((m) => m.getTime() === month.getTime()));
      report.dropped.push(partitionName(month));
      report.droppedEvents += gone.events;
      report.droppedIds += gone.ids;
    }
  });
  return report;
}
