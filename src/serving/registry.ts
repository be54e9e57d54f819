import { compile, type AssignableExperiment, type Assignment, type CompiledExperiment } from '../assignment';
import type { Logger } from '../logger';
import type { MarkedExperiment } from './exposure-recorder';
import { CHANNELS, followChanges, type Cache } from '../store/cache';
import type { Db } from '../store/db';
import type { ExperimentRow } from '../model/experiment';
import { experimentsWithStatus } from '../store/experiment-store';

/**
 * Every experiment, compiled for assignment and held in memory, so /v1/assign never waits
 * on the database. A change anywhere is announced on the cache's `experiments:changed`
 * channel (Redis pub/sub across instances) and the registry reloads within milliseconds;
 * a full reload every REFRESH_MS, and one whenever Redis comes back, also repair a missed
 * message. While the database is down the experiments in memory keep serving. Of an
 * archived experiment only its answer is held (the control, reason not_running): it is
 * read-only for good, and a storefront that still names it must still be told what to show.
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
  /** The answer for an archived experiment (its control, reason not_running); undefined for any other key. */
  archived(key: string): Assignment | undefined;
  running(): readonly LiveExperiment[];
  /** Every experiment held (draft, running, paused, completed). */
  all(): readonly LiveExperiment[];
  /** The archived experiments' answers (their control, reason not_running), by key. */
  archivedAll(): ReadonlyMap<string, Assignment>;
  /**
   * Sum of the versions of every experiment held, archived ones included: every change raises
   * one experiment's version and none is ever deleted, so it only grows, and two instances
   * holding the same experiments agree on it.
   */
  version(): number;
  /** Called after every change of what is held (after a reload that changed something too). */
  subscribe(listener: () => void): () => void;
  /** Reload from the database now (also called on every change notification). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

const REFRESH_MS = 30_000;

/** Each engine result's variant payload (the engine knows none): set when an experiment is compiled. */
const payloads = new WeakMap<Assignment, unknown>();

/** The payload of the variant an engine result serves (undefined when that variant has none). */
export function payloadOf(a: Assignment): unknown {
  return payloads.get(a);
}

function notePayloads(row: ExperimentRow, c: CompiledExperiment): void {
  const byVariant = new Map<string, unknown>();
  for (const v of row.variants) if (v.payload !== undefined) byVariant.set(v.key, v.payload);
  if (byVariant.size === 0) return;
  const note = (a: Assignment) => {
    const p = byVariant.get(a.variant);
    if (p !== undefined) payloads.set(a, p);
  };
  c.bucketed.forEach(note);
  Object.values(c.controlFor).forEach(note);
  c.forced.forEach(note);
}

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
  let archived = new Map<string, { version: number; control: Assignment }>();
  let loading: Promise<void> | null = null;
  let again = false;

  function entry(row: ExperimentRow): LiveExperiment | null {
    const previous = byKey.get(row.key);
    if (previous && previous.row.version === row.version) return previous;
    try {
      const compiled = compile(toAssignable(row));
      notePayloads(row, compiled);
      return { row, compiled, marks: { id: row.id, uid: row.uid, narrowed: row.narrowedAt !== null } };
    } catch (err) {
      logger.error({ experiment: row.key, err: err instanceof Error ? err.message : err }, 'experiment cannot be compiled for assignment; skipped');
      return null;
    }
  }

  function archivedEntry(row: ExperimentRow): { version: number; control: Assignment } | null {
    const previous = archived.get(row.key);
    if (previous && previous.version === row.version) return previous;
    const e = entry(row);
    return e ? { version: row.version, control: e.compiled.controlFor.not_running } : null;
  }

  const listeners = new Set<() => void>();
  let version = 0;
  let archivedControls: ReadonlyMap<string, Assignment> = new Map();

  function publish(next: Map<string, LiveExperiment>, nextArchived: typeof archived) {
    byKey = next;
    archived = nextArchived;
    running = [...next.values()].filter((e) => e.row.status === 'running');
    archivedControls = new Map([...nextArchived].map(([k, a]) => [k, a.control]));
    let sum = 0;
    for (const e of next.values()) sum += e.row.version;
    for (const a of nextArchived.values()) sum += a.version;
    const changed = sum !== version;
    version = sum;
    if (changed) {
      for (const listener of listeners) {
        try {
          listener();
        } catch (err) {
          logger.error({ err: err instanceof Error ? err.message : err }, 'a registry listener failed');
        }
      }
    }
  }

  async function load(): Promise<void> {
    const rows = await experimentsWithStatus(db, ['draft', 'running', 'paused', 'completed', 'archived']);
    const next = new Map<string, LiveExperiment>();
    const nextArchived: typeof archived = new Map();
    for (const row of rows) {
      if (row.status === 'archived') {
        const a = archivedEntry(row);
        if (a) nextArchived.set(row.key, a);
        continue;
      }
      const e = entry(row);
      if (e) next.set(row.key, e);
    }
    publish(next, nextArchived);
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
  const stopFollowing = await followChanges(cache, CHANNELS.experiments, () => void reload(), { everyMs: REFRESH_MS });

  return {
    apply(row) {
      const current = byKey.get(row.key)?.row.version ?? archived.get(row.key)?.version;
      if (current !== undefined && current >= row.version) return;
      const next = new Map(byKey);
      const nextArchived = new Map(archived);
      next.delete(row.key);
      nextArchived.delete(row.key);
      if (row.status === 'archived') {
        const a = archivedEntry(row);
        if (a) nextArchived.set(row.key, a);
      } else {
        const e = entry(row);
        if (e) next.set(row.key, e);
      }
      publish(next, nextArchived);
    },
    get: (key) => byKey.get(key),
    archived: (key) => archived.get(key)?.control,
    archivedAll: () => archivedControls,
    version: () => version,
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    running: () => running,
    all: () => [...byKey.values()],
    reload,
    async close() {
      await stopFollowing();
      await loading;
    },
  };
}
