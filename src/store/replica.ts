import { Counter, type Registry } from 'prom-client';
import { DatabaseUnavailableError } from '../errors';
import { sqlState, type Db } from './db';

/** The replica failed this read: down, or a query cancelled by a conflict with recovery (40001). */
const replicaFailed = (err: unknown) => err instanceof DatabaseUnavailableError || sqlState(err) === '40001';

/**
 * Reads that may go to a streaming read replica (DATABASE_REPLICA_URL): the results' counts.
 *
 * A read never goes backwards. Before each read the primary's WAL insert position is taken
 * (`pg_current_wal_insert_lsn()`, after every commit so far, asynchronous ones included), and the
 * replica is used only if it has replayed at least that far (`pg_last_wal_replay_lsn()`): then
 * it holds everything the primary had committed when the read began, and a replica only moves
 * forward. Otherwise (lagging, paused, down, or too slow to answer) the read goes to the primary.
 * After a failure the replica is left alone for BACKOFF_MS.
 *
 * `run(fn)` runs fn on the chosen database; if the replica fails during fn, fn runs again on
 * the primary. Each read is counted in verdict_results_reads_total{source, reason}.
 */
export interface ReadRouter {
  run<T>(fn: (db: Db) => Promise<T>): Promise<T>;
}

const BACKOFF_MS = 2000;
/** The replica's position must answer within this, or the read goes to the primary. */
const CHECK_DEADLINE_MS = 500;

export function primaryOnly(db: Db): ReadRouter {
  return { run: (fn) => fn(db) };
}

export function replicaReads(primary: Db, replica: Db, metrics?: Registry): ReadRouter {
  const reads = new Counter({
    name: 'verdict_results_reads_total',
    help: 'Result reads by the database that answered: the replica (caught up), or the primary (reason: replica lagging, down or failed)',
    labelNames: ['source', 'reason'] as const,
    registers: metrics ? [metrics] : [],
  });
  for (const [source, reason] of [['replica', 'caught_up'], ['primary', 'lagging'], ['primary', 'down'], ['primary', 'failed']] as const) reads.inc({ source, reason }, 0);
  let downUntil = 0;

  /** Whether the replica has replayed everything the primary had written when this read began. */
  async function caughtUp(): Promise<boolean> {
    const { rows: p } = await primary.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new DatabaseUnavailableError(new Error('replica did not answer in time'))), CHECK_DEADLINE_MS)));
    try {
      const { rows } = await Promise.race([
        // Not in recovery: the "replica" is a primary itself (e.g. promoted), which is never behind itself.
        replica.query<{ ok: boolean }>('SELECT (NOT pg_is_in_recovery()) OR coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS ok', [p[0].lsn]),
        late,
      ]);
      return rows[0].ok === true;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async run(fn) {
      if (Date.now() < downUntil) {
        reads.inc({ source: 'primary', reason: 'down' });
        return fn(primary);
      }
      let ok: boolean;
      try {
        ok = await caughtUp();
      } catch (err) {
        // The primary's own failure is the caller's; the replica's sends the read to the primary.
        if (!(err instanceof DatabaseUnavailableError) || !(await primary.query('SELECT 1').then(() => true, () => false))) throw err;
        downUntil = Date.now() + BACKOFF_MS;
        reads.inc({ source: 'primary', reason: 'down' });
        return fn(primary);
      }
      if (!ok) {
        reads.inc({ source: 'primary', reason: 'lagging' });
        return fn(primary);
      }
      try {
        const result = await fn(replica);
        reads.inc({ source: 'replica', reason: 'caught_up' });
        return result;
      } catch (err) {
        if (!replicaFailed(err)) throw err;
        downUntil = Date.now() + BACKOFF_MS;
        reads.inc({ source: 'primary', reason: 'failed' });
        return fn(primary);
      }
    },
  };
}
