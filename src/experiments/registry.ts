import { compile, type AssignableExperiment, type CompiledExperiment } from '../assignment';
import type { Logger } from '../logger';
import type { MarkedExperiment } from '../events/exposures';
import type { Cache, Unsubscribe } from '../store/cache';
import type { Db } from '../store/db';
import { experimentsWithStatus, type ExperimentRow } from '../store/experiments';
import { EXPERIMENTS_CHANNEL } from './service';

/**
 * Every experiment, compiled for assignment and held in memory, so /v1/assign never waits
 * on the database. A change anywhere is announced on the cache's `experiments:changed`
 * channel (Redis pub/sub across instances) and the registry reloads within milliseconds;
 * a full reload every REFRESH_MS, and one whenever Redis comes back, also repair a missed
 * message. While the database is down the experiments in memory keep serving. Archived
 * experiments are not held: they answer like unknown ones.
 */
export interface LiveExperiment {
  row: ExperimentRow;
  compiled: CompiledExperiment;
  /** What the exposure recorder needs to find the units' marks. */
  marks: MarkedExperiment;
}

export interface Registry {
  /** Take a change made on this instance into account at once (read-your-writes). */
  apply(row: ExperimentRow): void;
  get(key: string): LiveExperiment | undefined;
  running(): readonly LiveExperiment[];
  /** Every experiment held (draft, running, paused, completed). */
  all(): readonly LiveExperiment[];
  /** Reload from the database now (also called on every change notification). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

const REFRESH_MS = 30_000;

export function toAssignable(e: ExperimentRow): AssignableExperiment {
  return {
    key: e.key,
    status: e.status,
    salt: e.salt,
    variants: e.variants.map((v) => ({ key: v.key, weight: v.weight, ...(v.factors ? { factors: v.factors } : {}) })),
    control: e.variants.find((v) => v.control)!.key,
    coverage: e.coverage,
    targeting: e.targeting,
    layer: e.layer,
    respectsHoldout: e.respectsHoldout,
    overrides: e.overrides,
  };
}

export async function createRegistry(db: Db, cache: Cache, logger: Logger): Promise<Registry> {
  let byKey = new Map<string, LiveExperiment>();
  let running: LiveExperiment[] = [];
  let loading: Promise<void> | null = null;
  let again = false;

  function entry(row: ExperimentRow): LiveExperiment | null {
    const previous = byKey.get(row.key);
    if (previous && previous.row.version === row.version) return previous;
    try {
      return { row, compiled: compile(toAssignable(row)), marks: { id: row.id, uid: row.uid, narrowed: row.narrowedAt !== null } };
    } catch (err) {
      logger.error({ experiment: row.key, err: err instanceof Error ? err.message : err }, 'experiment cannot be compiled for assignment; skipped');
      return null;
    }
  }

  function publish(next: Map<string, LiveExperiment>) {
    byKey = next;
    running = [...next.values()].filter((e) => e.row.status === 'running');
  }

  async function load(): Promise<void> {
    const rows = await experimentsWithStatus(db, ['draft', 'running', 'paused', 'completed']);
    const next = new Map<string, LiveExperiment>();
    for (const row of rows) {
      const e = entry(row);
      if (e) next.set(row.key, e);
    }
    publish(next);
  }

  /** Coalesces bursts of notifications into at most one reload in flight plus one queued. */
  function reload(): Promise<void> {
    if (loading) {
      again = true;
      return loading;
    }
    loading = load()
      .catch((err) => logger.warn({ err: err instanceof Error ? err.message : err }, 'could not reload experiments; keeping the ones in memory'))
      .finally(() => {
        loading = null;
        if (again) {
          again = false;
          void reload();
        }
      });
    return loading;
  }

  await load();
  const unsubscribe: Unsubscribe = await cache.subscribe(EXPERIMENTS_CHANNEL, () => void reload());
  const timer = setInterval(() => void reload(), REFRESH_MS);
  timer.unref();
  const stopWatching = cache.onReconnect(() => void reload());

  return {
    apply(row) {
      const current = byKey.get(row.key);
      if (current && current.row.version >= row.version) return;
      const next = new Map(byKey);
      const e = row.status === 'archived' ? null : entry(row);
      if (e) next.set(row.key, e);
      else next.delete(row.key);
      publish(next);
    },
    get: (key) => byKey.get(key),
    running: () => running,
    all: () => [...byKey.values()],
    reload,
    async close() {
      clearInterval(timer);
      stopWatching();
      await unsubscribe();
      await loading;
    },
  };
}
