import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../logger';
import type { Cache } from '../store/cache';
import { sqlState, type Db } from '../store/db';
import { insertExposureBatch, recentExposures, type ExposureRow } from '../store/exposures';

/**
 * First exposures from /v1/assign, recorded off the request path.
 *
 * `record` only queues: the request never waits on the database. A pending map dedupes
 * within this instance; the queue is written in one statement at least every
 * EXPOSURE_FLUSH_MS (and at once when it holds a full batch). Only after a write has
 * committed is each unit marked as exposed in the cache (Redis across instances), so a
 * unit is re-recorded rather than lost if its write failed. The mark is the variant, which
 * also keeps assignment sticky for exposed units.
 *
 * With Redis, marks are also kept in a bounded in-process map (a mark never changes once
 * written, short of erasure, which clears it everywhere): a returning visitor is then
 * answered without a round trip to Redis.
 *
 * Durability: a clean shutdown (SIGTERM/SIGINT) writes everything queued. An unclean crash
 * (SIGKILL, power loss) loses what was queued and not yet written: at most the last flush
 * interval of first exposures. Those units are recorded again, with a later time, the next
 * time they are assigned. While the database is down the queue is kept and retried (up to
 * MAX_PENDING exposures; beyond that the oldest are dropped, and logged).
 *
 * A batch the database refuses for its data (SQLSTATE class 22, e.g. text it cannot store)
 * would fail the same way forever and hold up everyone queued behind it: it is split in
 * halves until the offending rows are alone, and only those are dropped (logged, and counted
 * in verdict_exposures_dropped_total{reason="invalid"}). Any other failure (connection,
 * timeout) keeps the whole queue for the next attempt. The HTTP layer refuses such text
 * before it is queued; this is the backstop.
 */
export interface ExposureRecorder {
  /** What is known of these (experiment, unit) pairs: "v:<variant>", "h" (holdout) or null. */
  known(pairs: readonly (readonly [number, string])[]): Promise<(string | null)[]>;
  record(row: ExposureRow): void;
  /** Write everything queued now. */
  flush(): Promise<void>;
  /** After a restart, load recent exposures of these experiments into an in-process cache. */
  warm(experimentIds: readonly number[]): Promise<number>;
  pending(): number;
  /** Mark units as exposed after their exposures were committed elsewhere (POST /v1/events). */
  markExposed(rows: readonly ExposureRow[]): Promise<void>;
  /** Drop what this instance holds of a unit (erasure); the caller clears the shared cache. */
  forget(experimentIds: readonly number[], unitId: string): void;
  close(): Promise<void>;
}

export const MAX_PENDING = 200_000;
/** Rows per INSERT: small enough that the embedded database never blocks requests for long. */
const BATCH = 500;
const NEAR_CACHE_ENTRIES = 500_000;
const WARM_LIMIT = 1_000_000;
/** Exposure marks expire in Redis after this long (experiments rarely run longer). */
const MARK_TTL_SECONDS = 120 * 24 * 3600;

export const exposureKey = (experimentId: number, unitId: string) => `x:${experimentId}:${unitId}`;
export const exposureMark = (row: { variant: string; holdout: boolean }) => (row.holdout ? 'h' : `v:${row.variant}`);

/** The database refused the data itself (SQLSTATE class 22): retrying the same rows cannot help. */
export const isDataError = (err: unknown): boolean => sqlState(err)?.startsWith('22') ?? false;

export function createExposureRecorder(db: Db, cache: Cache, logger: Logger, flushMs: number, metrics?: Registry): ExposureRecorder {
  const queue = new Map<string, ExposureRow>();
  const dropped = new Counter({
    name: 'verdict_exposures_dropped_total',
    help: 'First exposures dropped before being written: refused by the database as invalid data, or the queue overflowing',
    labelNames: ['reason'] as const,
    registers: metrics ? [metrics] : [],
  });
  dropped.inc({ reason: 'invalid' }, 0);
  dropped.inc({ reason: 'overflow' }, 0);
  // In-process marks live as long as the process (bounded by the cache's size); only shared ones need an expiry.
  const markTtl = cache.shared ? MARK_TTL_SECONDS : undefined;
  let flushing: Promise<void> | null = null;
  let closed = false;
  const near = cache.shared ? new Map<string, string>() : null;
  const remember = (key: string, mark: string) => {
    if (!near) return;
    if (near.size >= NEAR_CACHE_ENTRIES) near.delete(near.keys().next().value as string);
    near.set(key, mark);
  };

  /** Writes these queued rows, then marks them; rows refused as invalid data are isolated and dropped. */
  async function write(keys: readonly string[], rows: readonly ExposureRow[]): Promise<void> {
    try {
      await insertExposureBatch(db, rows);
    } catch (err) {
      if (!isDataError(err)) throw err;
      if (rows.length === 1) {
        queue.delete(keys[0]);
        dropped.inc({ reason: 'invalid' });
        logger.error(
          { dropped: keys[0], sqlState: sqlState(err), err: err instanceof Error ? err.message : err },
          'exposure refused by the database (invalid data): dropped',
        );
        return;
      }
      const half = Math.ceil(rows.length / 2);
      await write(keys.slice(0, half), rows.slice(0, half));
      await write(keys.slice(half), rows.slice(half));
      return;
    }
    const marks = rows.map((r, i) => [keys[i], exposureMark(r)] as const);
    await cache.setMany(marks, markTtl);
    for (const [key, mark] of marks) remember(key, mark);
    for (const k of keys) queue.delete(k);
  }

  async function writeQueued(): Promise<void> {
    while (queue.size > 0) {
      const keys = [...queue.keys()].slice(0, BATCH);
      await write(keys, keys.map((k) => queue.get(k)!));
    }
  }

  function flush(): Promise<void> {
    flushing ??= writeQueued()
      .catch((err) => {
        logger.warn({ err: err instanceof Error ? err.message : err, pending: queue.size }, 'exposures not written yet; will retry');
        throw err;
      })
      .finally(() => {
        flushing = null;
      });
    return flushing;
  }

  const timer = setInterval(() => void flush().catch(() => undefined), flushMs);
  timer.unref();

  return {
    async known(pairs) {
      const keys = pairs.map(([id, unit]) => exposureKey(id, unit));
      const marks: (string | null)[] = keys.map((k) => near?.get(k) ?? null);
      const missing = keys.filter((_, i) => marks[i] === null);
      if (missing.length > 0) {
        const fetched = await cache.mget(missing);
        let j = 0;
        for (let i = 0; i < keys.length; i++) {
          if (marks[i] !== null) continue;
          const value = fetched[j++];
          if (value !== null) {
            marks[i] = value;
            remember(keys[i], value);
          } else {
            const queued = queue.get(keys[i]);
            if (queued) marks[i] = exposureMark(queued);
          }
        }
      }
      return marks;
    },
    record(row) {
      const key = exposureKey(row.experimentId, row.unitId);
      if (queue.has(key)) return;
      if (queue.size >= MAX_PENDING) {
        const oldest = queue.keys().next().value as string;
        queue.delete(oldest);
        dropped.inc({ reason: 'overflow' });
        logger.error({ dropped: oldest }, 'exposure queue full (database down?): dropping the oldest exposure');
      }
      queue.set(key, row);
      if (queue.size >= BATCH && !flushing && !closed) void flush().catch(() => undefined);
    },
    flush,
    async warm(experimentIds) {
      if (cache.shared || experimentIds.length === 0) return 0;
      const rows = await recentExposures(db, experimentIds, WARM_LIMIT);
      for (const r of rows) await cache.setIfAbsent(exposureKey(r.experimentId, r.unitId), exposureMark(r));
      return rows.length;
    },
    pending: () => queue.size,
    async markExposed(rows) {
      const marks = rows.map((r) => [exposureKey(r.experimentId, r.unitId), exposureMark(r)] as const);
      await cache.setMany(marks, markTtl);
      for (const [key, mark] of marks) remember(key, mark);
    },
    forget(experimentIds, unitId) {
      for (const id of experimentIds) {
        const key = exposureKey(id, unitId);
        near?.delete(key);
        queue.delete(key);
      }
    },
    async close() {
      closed = true;
      clearInterval(timer);
      for (let attempt = 0; queue.size > 0 || flushing; attempt++) {
        try {
          await (flushing ?? flush());
        } catch {
          if (attempt >= 5) {
            logger.error({ lost: queue.size }, 'could not write queued exposures before shutting down');
            return;
          }
          await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
        }
      }
    },
  };
}
