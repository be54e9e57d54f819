import { EventEmitter } from 'node:events';
import { LRUCache } from 'lru-cache';
import type { Cache } from './cache';
import { memoryLimiter } from './limiter';

/**
 * The in-process cache: an LRU cache (lru-cache) with optional expiry per value, and an
 * EventEmitter for pub/sub. It serves a single instance; several instances need Redis to
 * share state. It holds at most `maxEntries` values; past that the least recently used are
 * dropped first (a returning visitor's exposure mark, read on each visit, stays).
 */
export const DEFAULT_MAX_ENTRIES = 2_000_000;

export function createMemoryCache(options: { maxEntries?: number } = {}): Cache {
  // Bounded by count through maxSize (each value weighs 1) rather than `max`, which would
  // allocate its arrays for all two million entries up front.
  const values = new LRUCache<string, string>({ maxSize: options.maxEntries ?? DEFAULT_MAX_ENTRIES, sizeCalculation: () => 1 });
  const bus = new EventEmitter();
  bus.setMaxListeners(0);

  const live = (key: string): string | null => values.get(key) ?? null;
  const put = (key: string, value: string, ttlSeconds?: number) => void values.set(key, value, { ttl: ttlSeconds ? ttlSeconds * 1000 : 0 });

  // Drop expired entries now and then so short-lived keys do not accumulate.
  const sweep = setInterval(() => values.purgeStale(), 60_000);
  sweep.unref();

  return {
    backend: 'memory',
    shared: false,
    limiter: memoryLimiter,
    available: () => true,
    connected: async () => true,
    onReconnect: () => () => undefined,
    get: async (key) => live(key),
    mget: async (keys) => keys.map(live),
    set: async (key, value, ttlSeconds) => void put(key, value, ttlSeconds),
    setMany: async (entries, ttlSeconds, options) => {
      for (const [key, value] of entries) if (!options?.onlyIfAbsent || live(key) === null) put(key, value, ttlSeconds);
    },
    setIfAbsent: async (key, value, ttlSeconds) => {
      if (live(key) !== null) return false;
      put(key, value, ttlSeconds);
      return true;
    },
    del: async (key) => void values.delete(key),
    publish: async (channel, message) => {
      // Deliver asynchronously, as Redis would.
      setImmediate(() => bus.emit(channel, message));
    },
    subscribe: async (channel, onMessage) => {
      bus.on(channel, onMessage);
      return async () => void bus.off(channel, onMessage);
    },
    ping: async () => undefined,
    close: async () => {
      clearInterval(sweep);
      bus.removeAllListeners();
      values.clear();
    },
  };
}
