import Redis from 'ioredis';
import type { Cache } from './cache';

/**
 * Redis through ioredis. Every key and channel is prefixed (REDIS_PREFIX), so several
 * deployments, or several test runs, can share one Redis without seeing each other.
 * Pub/sub needs its own connection, opened on the first subscribe.
 */
export function connectRedis(url: string, prefix: string): Cache {
  // Auto-pipelining sends the commands issued in one tick as one write: the hot path's MGETs
  // from concurrent requests share round trips.
  const options = { keyPrefix: prefix, maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false, enableAutoPipelining: true };
  const client = new Redis(url, options);
  client.on('error', () => undefined); // reported through the failing command and /readyz
  let subscriber: Redis | undefined;
  const handlers = new Map<string, Set<(message: string) => void>>();

  const channelName = (channel: string) => prefix + channel;

  async function ensureSubscriber(): Promise<Redis> {
    if (subscriber) return subscriber;
    subscriber = new Redis(url, { maxRetriesPerRequest: null });
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, message: string) => {
      for (const handler of handlers.get(channel) ?? []) handler(message);
    });
    return subscriber;
  }

  return {
    backend: 'redis',
    shared: true,
    get: (key) => client.get(key),
    mget: async (keys) => (keys.length === 0 ? [] : client.mget(...keys)),
    set: async (key, value, ttlSeconds) => {
      if (ttlSeconds) await client.set(key, value, 'EX', ttlSeconds);
      else await client.set(key, value);
    },
    setMany: async (entries, ttlSeconds) => {
      if (entries.length === 0) return;
      const pipeline = client.pipeline();
      for (const [key, value] of entries) {
        if (ttlSeconds) pipeline.set(key, value, 'EX', ttlSeconds);
        else pipeline.set(key, value);
      }
      const results = await pipeline.exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    },
    setIfAbsent: async (key, value, ttlSeconds) => {
      const res = ttlSeconds ? await client.set(key, value, 'EX', ttlSeconds, 'NX') : await client.set(key, value, 'NX');
      return res === 'OK';
    },
    del: async (key) => void (await client.del(key)),
    publish: async (channel, message) => void (await client.publish(channelName(channel), message)),
    subscribe: async (channel, onMessage) => {
      const sub = await ensureSubscriber();
      const name = channelName(channel);
      let set = handlers.get(name);
      if (!set) {
        set = new Set();
        handlers.set(name, set);
        await sub.subscribe(name);
      }
      set.add(onMessage);
      return async () => {
        set.delete(onMessage);
        if (set.size === 0) {
          handlers.delete(name);
          await sub.unsubscribe(name).catch(() => undefined);
        }
      };
    },
    ping: async () => void (await client.ping()),
    close: async () => {
      await Promise.allSettled([client.quit(), subscriber?.quit()]);
    },
  };
}
