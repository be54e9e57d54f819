import { LRUCache } from 'lru-cache';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../logger';
import type { Cache } from '../store/cache';
import { sqlState, type Db } from '../store/db';
import { insertExposureBatch, recentExposures, recordedExposures, type ExposureRow } from '../store/exposure-store';

/**
 * First exposures from /v1/assign, recorded off the request path, and what is known of
 * each unit's record ("marks"), which keeps assignment sticky.
 *
 * `record` only queues: the request never waits on the database. A pending map dedupes
 * within this instance; the queue is written in one statement at least every
 * EXPOSURE_FLUSH_MS (and at once when it holds a full batch). Only after a write has
 * committed is each unit marked as exposed in the cache (Redis across instances), so a
 * unit is re-recorded rather than lost if its write failed. The mark is the variant ("v:"
 * + key) or "h" (recorded in the holdout). A mark never changes once written (short of
 * erasure): marks are written with SET NX, and the database keeps the earliest exposure.
 *
 * Where a unit's mark is looked up, in order: this instance's marks (with Redis, a bounded
 * in-process copy, so a returning visitor is answered without a round trip), its queue, the
 * cache (one Redis MGET, skipped while Redis is down), and, only for an experiment narrowed
 * after its start (coverage lowered or targeting changed: `narrowed`), the database's
 * record. Only there can a unit whose mark is missing (Redis lost its data, an in-process
 * cache beyond its warm-up, a mark not yet written) be moved by hashing; everywhere else
 * hashing alone gives the recorded variant. The database lookups of concurrent requests go
 * in one query, are bounded by LOOKUP_DEADLINE_MS, and are skipped for LOOKUP_BACKOFF_MS
 * after a failure: assignment never waits long on the database.
 *
 * Redis down: marks that could not be written are kept in process (they serve this
 * instance's lookups) and written when Redis is back (up to MAX_PENDING; beyond that the
 * oldest are dropped: those units are recorded again on their next visit, which the
 * database ignores, since it keeps the earliest exposure).
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

/** What the recorder needs of an experiment: its ids, and whether it was narrowed after its start. */
export interface MarkedExperiment {
  id: number;
  uid: string;
  narrowed: boolean;
}

/** A first exposure to record, with its experiment's uid (which names its mark). */
export type QueuedExposure = ExposureRow & { uid: string };

export interface ExposureRecorder {
  /** What is known of the unit in these experiments: "v:<variant>", "h" (holdout) or null. */
  known(unitId: string, experiments: readonly MarkedExperiment[]): Promise<(string | null)[]>;
  record(row: QueuedExposure): void;
  /** Write everything queued now (and the marks of what was written). */
  flush(): Promise<void>;
  /** After a restart on the in-process cache, load recent exposures of these experiments. */
  warm(experiments: readonly { id: number; uid: string }[]): Promise<number>;
  pending(): number;
  /** Mark units as exposed after their exposures were committed elsewhere (POST /v1/events). Never fails. */
  markExposed(rows: readonly QueuedExposure[]): Promise<void>;
  /** Drop what this instance holds of a unit (erasure); the caller clears the shared cache. */
  forget(experimentUids: readonly string[], unitId: string): void;
  close(): Promise<void>;
}

export const MAX_PENDING = 200_000;
/** Rows per INSERT: small enough that the embedded database never blocks requests for long. */
const BATCH = 500;
const MARK_BATCH = 1000;
const NEAR_CACHE_ENTRIES = 500_000;
const WARM_LIMIT = 1_000_000;
/** Exposure marks expire in Redis after this long (experiments rarely run longer). */
const MARK_TTL_SECONDS = 120 * 24 * 3600;
/** A lookup of the database's record answers within this, or the request goes on without it. */
const LOOKUP_DEADLINE_MS = 300;
/** After a failed or late lookup, the database is not asked again for this long. */
const LOOKUP_BACKOFF_MS = 2000;

/**
 * The key of a unit's mark in an experiment (under the cache's scope: REDIS_PREFIX + database
 * identity + ':'). The unit is the hash tag: on a Redis Cluster all marks of one unit lie in one
 * slot, so `known`'s MGET (one unit, all its experiments) is a single-slot command. (Marks kept
 * under the earlier layout `x:<experiment>:<unit>` are not read: hashing gives the recorded
 * variant, and narrowed experiments read the database's record, as after any loss of Redis.)
 */
export const markKey = (experimentUid: string, unitId: string) => `x:{${unitId}}:${experimentUid}`;
export const exposureMark = (row: { variant: string; holdout: boolean }) => (row.holdout ? 'h' : `v:${row.variant}`);

/** The database refused the data itself (SQLSTATE class 22): retrying the same rows cannot help. */
export const isDataError = (err: unknown): boolean => sqlState(err)?.startsWith('22') ?? false;

const message = (err: unknown) => (err instanceof Error ? err.message : err);

export function createExposureRecorder(db: Db, cache: Cache, logger: Logger, flushMs: number, metrics?: Registry): ExposureRecorder {
  const queue = new Map<string, QueuedExposure>();
  const registers = metrics ? [metrics] : [];
  const dropped = new Counter({
    name: 'verdict_exposures_dropped_total',
    help: 'First exposures dropped before being written: refused by the database as invalid data, or the queue overflowing',
    labelNames: ['reason'] as const,
    registers,
  });
  dropped.inc({ reason: 'invalid' }, 0);
  dropped.inc({ reason: 'overflow' }, 0);
  const lookups = new Counter({
    name: 'verdict_exposure_lookups_total',
    help: "Units looked up in the database's record (narrowed experiments, mark missing): found, absent, or failed (database down or late; answered by hashing)",
    labelNames: ['outcome'] as const,
    registers,
  });
  for (const outcome of ['found', 'absent', 'failed']) lookups.inc({ outcome }, 0);
  // Marks kept in this process that Redis does not have yet (it was down).
  const unwritten = new Map<string, string>();
  new Gauge({
    name: 'verdict_exposure_marks_unwritten',
    help: 'Exposure marks waiting for Redis to come back',
    registers,
    collect() {
      this.set(unwritten.size);
    },
  });

  let flushing: Promise<void> | null = null;
  let writingMarks: Promise<void> | null = null;
  let closed = false;
  // With Redis: the marks this instance knows, so a returning visitor is answered without a
  // round trip; the least recently used go first. Bounded by count through maxSize, which
  // (unlike `max`) allocates nothing up front.
  const near = cache.shared ? new LRUCache<string, string>({ maxSize: NEAR_CACHE_ENTRIES, sizeCalculation: () => 1 }) : null;
  const remember = (key: string, mark: string) => void near?.set(key, mark);

  /** Writes the unwritten marks to Redis while it is up (SET NX: a mark never changes). */
  function writeMarks(): Promise<void> {
    if (!near) return Promise.resolve();
    writingMarks ??= (async () => {
      while (unwritten.size > 0 && cache.available()) {
        const batch: [string, string][] = [];
        for (const entry of unwritten) {
          batch.push(entry);
          if (batch.length >= MARK_BATCH) break;
        }
        await cache.setMany(batch, MARK_TTL_SECONDS, { onlyIfAbsent: true });
        for (const [key, mark] of batch) if (unwritten.get(key) === mark) unwritten.delete(key);
      }
    })()
      // Redis went down meanwhile: the marks stay here until it is back.
      .catch(() => undefined)
      .finally(() => {
        writingMarks = null;
      });
    return writingMarks;
  }

  /** Marks known to be recorded: held here at once, and written to the cache (now, or once Redis is back). */
  function keep(marks: readonly (readonly [string, string])[]): void {
    if (!near) {
      void cache.setMany(marks, undefined, { onlyIfAbsent: true });
      return;
    }
    for (const [key, mark] of marks) {
      remember(key, mark);
      if (!unwritten.has(key) && unwritten.size >= MAX_PENDING) unwritten.delete(unwritten.keys().next().value as string);
      unwritten.set(key, mark);
    }
  }

  /** Writes these queued rows, then marks them; rows refused as invalid data are isolated and dropped. */
  async function write(keys: readonly string[], rows: readonly QueuedExposure[]): Promise<void> {
    try {
      await insertExposureBatch(db, rows);
    } catch (err) {
      if (!isDataError(err)) throw err;
      if (rows.length === 1) {
        queue.delete(keys[0]);
        dropped.inc({ reason: 'invalid' });
        logger.error({ dropped: keys[0], sqlState: sqlState(err), err: message(err) }, 'exposure refused by the database (invalid data): dropped');
        return;
      }
      const half = Math.ceil(rows.length / 2);
      await write(keys.slice(0, half), rows.slice(0, half));
      await write(keys.slice(half), rows.slice(half));
      return;
    }
    keep(rows.map((r, i) => [keys[i], exposureMark(r)] as const));
    for (const k of keys) queue.delete(k);
    await writeMarks();
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
        logger.warn({ err: message(err), pending: queue.size }, 'exposures not written yet; will retry');
        throw err;
      })
      .finally(() => {
        flushing = null;
      });
    return flushing;
  }

  // The database's record, for units of narrowed experiments whose mark is missing. Lookups
  // of the requests that arrive together are answered by one query.
  let waiting: { pairs: { experiment: MarkedExperiment; unitId: string }[]; resolve: (found: Map<string, string> | null) => void }[] = [];
  let lookupsDownUntil = 0;

  function runLookups(): void {
    const batch = waiting;
    waiting = [];
    const pairs = new Map<string, { experimentId: number; unitId: string; uid: string }>();
    for (const w of batch) for (const { experiment, unitId } of w.pairs) pairs.set(markKey(experiment.uid, unitId), { experimentId: experiment.id, unitId, uid: experiment.uid });
    const uidOf = new Map([...pairs.values()].map((p) => [p.experimentId, p.uid]));
    const query = recordedExposures(db, [...pairs.values()]).then((rows) => {
      const found = new Map(rows.map((r) => [markKey(uidOf.get(r.experimentId)!, r.unitId), exposureMark(r)] as const));
      keep([...found]); // also when the answer came too late for its requests
      void writeMarks();
      return found;
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), LOOKUP_DEADLINE_MS)));
    Promise.race([query, late])
      .then((found) => {
        if (found === 'late') throw new Error(`no answer within ${LOOKUP_DEADLINE_MS} ms`);
        lookups.inc({ outcome: 'found' }, found.size);
        lookups.inc({ outcome: 'absent' }, pairs.size - found.size);
        return found;
      })
      .catch((err) => {
        lookupsDownUntil = Date.now() + LOOKUP_BACKOFF_MS;
        lookups.inc({ outcome: 'failed' }, pairs.size);
        logger.warn({ err: message(err), units: pairs.size }, "could not read the exposures' record; answering by hashing for now");
        return null;
      })
      .then((found) => {
        clearTimeout(timer);
        for (const w of batch) w.resolve(found);
      });
    query.catch(() => undefined);
  }

  function lookUp(pairs: { experiment: MarkedExperiment; unitId: string }[]): Promise<Map<string, string> | null> {
    if (Date.now() < lookupsDownUntil) {
      lookups.inc({ outcome: 'failed' }, pairs.length);
      return Promise.resolve(null);
    }
    return new Promise((resolve) => {
      waiting.push({ pairs, resolve });
      if (waiting.length === 1) setImmediate(runLookups);
    });
  }

  const timer = setInterval(() => {
    void flush().catch(() => undefined);
    void writeMarks();
  }, flushMs);
  timer.unref();
  const stopWatching = cache.onReconnect(() => void writeMarks());

  return {
    async known(unitId, experiments) {
      const keys = experiments.map((e) => markKey(e.uid, unitId));
      const marks: (string | null)[] = keys.map((k) => {
        const held = near?.get(k) ?? unwritten.get(k);
        if (held !== undefined) return held;
        const queued = queue.get(k);
        return queued ? exposureMark(queued) : null;
      });
      let missing = keys.flatMap((_, i) => (marks[i] === null ? [i] : []));
      if (missing.length > 0 && cache.available()) {
        try {
          const fetched = await cache.mget(missing.map((i) => keys[i]));
          missing.forEach((i, j) => {
            const value = fetched[j];
            if (value !== null) {
              marks[i] = value;
              remember(keys[i], value);
            }
          });
          missing = missing.filter((i) => marks[i] === null);
        } catch {
          // Redis is down: answer from what this instance holds (and the database's record below).
        }
      }
      const narrowed = missing.filter((i) => experiments[i].narrowed);
      if (narrowed.length > 0) {
        const found = await lookUp(narrowed.map((i) => ({ experiment: experiments[i], unitId })));
        if (found) for (const i of narrowed) marks[i] = found.get(keys[i]) ?? null;
      }
      return marks;
    },
    record(row) {
      const key = markKey(row.uid, row.unitId);
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
    async warm(experiments) {
      if (cache.shared || experiments.length === 0) return 0;
      const uidOf = new Map(experiments.map((e) => [e.id, e.uid]));
      const rows = await recentExposures(db, [...uidOf.keys()], WARM_LIMIT);
      for (const r of rows) await cache.setIfAbsent(markKey(uidOf.get(r.experimentId)!, r.unitId), exposureMark(r));
      return rows.length;
    },
    pending: () => queue.size,
    async markExposed(rows) {
      keep(rows.map((r) => [markKey(r.uid, r.unitId), exposureMark(r)] as const));
      await writeMarks();
    },
    forget(experimentUids, unitId) {
      for (const uid of experimentUids) {
        const key = markKey(uid, unitId);
        near?.delete(key);
        unwritten.delete(key);
        queue.delete(key);
      }
    },
    async close() {
      closed = true;
      clearInterval(timer);
      stopWatching();
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
      await writeMarks();
      if (unwritten.size > 0) logger.warn({ marks: unwritten.size }, 'Redis is down: exposure marks not written (those units are recorded again on their next visit)');
    },
  };
}
