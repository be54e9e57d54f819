/**
 * The cache seam: Redis (ioredis) when REDIS_URL is set, otherwise an in-process
 * equivalent with the same interface. Used for what must be fast or shared between
 * instances: change notifications (pub/sub) and short-lived keyed values.
 *
 * The cache is never the record: everything in it can be rebuilt from the database or
 * waited for. So a Redis outage degrades, it does not fail: callers on the hot path ask
 * `available()` and skip Redis while it is known to be down, commands fail fast instead of
 * queueing, and a failure is a CacheUnavailableError (503 if it ever reaches HTTP).
 */
export type Unsubscribe = () => Promise<void>;

/**
 * The pub/sub channels, each announcing a change every instance must take into account at
 * once (under the cache's scope, so only instances on the same database hear it):
 *   experiments  an experiment was created or changed (message: its key): registries reload;
 *   keys         a key was created or revoked ("create:<id>", "revoke:<id>"): authenticators reload;
 *   unitsErased  a unit was erased (message: its id): recorders drop what they hold of it.
 */
export const CHANNELS = {
  experiments: 'experiments:changed',
  keys: 'keys:changed',
  unitsErased: 'units:erased',
} as const;

export interface Cache {
  /** Which backend runs: for operators (/readyz) only; code decides on `shared`. */
  readonly backend: 'redis' | 'memory';
  /**
   * Values are shared with the other instances and outlive this process (Redis): they need
   * an expiry, and reading them costs a round trip. False: they live and die with this process.
   */
  readonly shared: boolean;
  /** Whether a command is worth trying now (false while Redis is known to be down). */
  available(): boolean;
  /** Resolves true once connected, false after timeoutMs without a connection. */
  connected(timeoutMs: number): Promise<boolean>;
  /** Called each time the connection comes back after it was lost (messages may have been missed meanwhile). */
  onReconnect(listener: () => void): () => void;
  get(key: string): Promise<string | null>;
  mget(keys: readonly string[]): Promise<(string | null)[]>;
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  /** Many SETs at once (one round trip on Redis); with onlyIfAbsent, SET NX each. */
  setMany(entries: readonly (readonly [string, string])[], ttlSeconds?: number, options?: { onlyIfAbsent?: boolean }): Promise<void>;
  /** SET NX: true when the key was absent and is now set. */
  setIfAbsent(key: string, value: string, ttlSeconds?: number): Promise<boolean>;
  del(key: string): Promise<void>;
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, onMessage: (message: string) => void): Promise<Unsubscribe>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** A counter of requests per key over a fixed window: in Redis (shared by every instance), or this process's. */
  limiter(options: LimiterOptions): Limiter;
}

export interface LimiterOptions {
  /** Namespace of the limiter's keys. */
  keyPrefix: string;
  /** Requests allowed per key and window. */
  points: number;
  durationSeconds: number;
}

export interface Limiter {
  /** Counts one request of `key`. Never rejects: a Redis failure counts in this process instead. */
  take(key: string): Promise<{ allowed: boolean; msBeforeNext: number }>;
  /**
   * The same, answered without waiting when this process can (in memory; on Redis, from the
   * chunk already reserved); null when the answer needs Redis (then call `take`). Counts the
   * request only when it answers. Lets the hot path skip a promise per request.
   */
  takeNow(key: string): { allowed: boolean; msBeforeNext: number } | null;
}

/**
 * Keeps what an instance holds in memory (experiments, API keys) in step with the database:
 * `refresh` runs on every message of `channel` (after `onMessage`, if given), every
 * `everyMs`, and whenever Redis comes back (messages may have been missed meanwhile).
 * Resolves, once subscribed, to the function that stops all three.
 */
export async function followChanges(
  cache: Cache,
  channel: string,
  refresh: () => void,
  options: { everyMs: number; onMessage?: (message: string) => void },
): Promise<() => Promise<void>> {
  const unsubscribe = await cache.subscribe(channel, (message) => {
    options.onMessage?.(message);
    refresh();
  });
  const timer = setInterval(refresh, options.everyMs);
  timer.unref();
  const stopWatching = cache.onReconnect(refresh);
  return async () => {
    clearInterval(timer);
    stopWatching();
    await unsubscribe();
  };
}

/**
 * A view of a cache in which every key and channel is prefixed with `scope` (the
 * database's identity and ':'): data of two databases never meet, even in one Redis
 * under one REDIS_PREFIX. Everything else is the underlying cache's.
 */
export function scopeCache(cache: Cache, scope: string): Cache {
  const k = (key: string) => scope + key;
  return {
    backend: cache.backend,
    shared: cache.shared,
    available: () => cache.available(),
    connected: (timeoutMs) => cache.connected(timeoutMs),
    onReconnect: (listener) => cache.onReconnect(listener),
    get: (key) => cache.get(k(key)),
    mget: (keys) => cache.mget(keys.map(k)),
    set: (key, value, ttl) => cache.set(k(key), value, ttl),
    setMany: (entries, ttl, options) =>
      cache.setMany(
        entries.map(([key, value]) => [k(key), value] as const),
        ttl,
        options,
      ),
    setIfAbsent: (key, value, ttl) => cache.setIfAbsent(k(key), value, ttl),
    del: (key) => cache.del(k(key)),
    publish: (channel, message) => cache.publish(k(channel), message),
    subscribe: (channel, onMessage) => cache.subscribe(k(channel), onMessage),
    ping: () => cache.ping(),
    close: () => cache.close(),
    limiter: (options) => cache.limiter({ ...options, keyPrefix: scope + options.keyPrefix }),
  };
}
