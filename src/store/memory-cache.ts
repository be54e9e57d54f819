import { EventEmitter } from 'node:events';
import type { Cache } from './cache';

/**
 * The in-process cache: a Map with optional expiry and an EventEmitter for pub/sub.
 * It serves a single instance; several instances need Redis to share state. It holds at
 * most `maxEntries` values; past that the oldest written are dropped first.
 */
export const DEFAULT_MAX_ENTRIES = 2_000_000;

export function createMemoryCache(options: { maxEntries?: number } = {}): Cache {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const values = new Map<string, { value: string; expiresAt: number }>();
  const bus = new EventEmitter();
  bus.setMaxListeners(0);

  const live = (key: string): string | null => {
    const entry = values.get(key);
    if (!entry) return null;
    if (entry.expiresAt !== 0 && entry.expiresAt <= Date.now()) {
      values.delete(key);
      return null;
    }
    return entry.value;
  };
  const put = (key: string, value: string, ttlSeconds?: number) => {
    if (values.size >= maxEntries && !values.has(key)) values.delete(values.keys().next().value as string);
    values.set(key, { value, expiresAt: ttlSeconds ? Date.now() + ttlSeconds * 1000 : 0 });
  };

  // Drop expired entries now and then so short-lived keys do not accumulate.
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [key, entry] of values) if (entry.expiresAt !== 0 && entry.expiresAt <= now) values.delete(key);
  }, 60_000);
  sweep.unref();

  return {
    backend: 'memory',
    shared: false,
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
