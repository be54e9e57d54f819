import Redis, { ReplyError, type RedisOptions } from 'ioredis';
import { CacheUnavailableError } from '../errors';
import type { Cache } from './cache';

/**
 * Redis through ioredis. Every key and channel is prefixed (REDIS_PREFIX), so several
 * deployments, or several test runs, can share one Redis without seeing each other.
 * Pub/sub needs its own connection, opened on the first subscribe.
 *
 * Fail fast, never wait on a dead Redis: no offline queue (a command while disconnected
 * fails at once), no retry of a command whose connection dropped, and a command timeout.
 * After a failure Redis counts as down for SUSPECT_MS, and `available()` is false while it
 * is down or reconnecting, so the hot path skips it instead of paying for each failure.
 * ioredis reconnects on its own (at most RECONNECT_MAX_MS between attempts); listeners of
 * `onReconnect` then catch up on what they missed (pub/sub messages, writes).
 */
const COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 2000;
const RECONNECT_MAX_MS = 2000;
const SUSPECT_MS = 1000;
/** How long a start waits for the pub/sub connection before going on without it. */
const SUBSCRIBE_WAIT_MS = 2000;

const retryStrategy = (times: number) => Math.min(times * 100, RECONNECT_MAX_MS);

function whenReady(conn: Redis, timeoutMs: number): Promise<boolean> {
  if (conn.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      conn.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    conn.on('ready', onReady);
  });
}

export function connectRedis(url: string, prefix: string): Cache {
  // Auto-pipelining sends the commands issued in one tick as one write: the hot path's MGETs
  // from concurrent requests share round trips.
  const options: RedisOptions = {
    keyPrefix: prefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy,
    enableAutoPipelining: true,
  };
  const client = new Redis(url, options);
  client.on('error', () => undefined); // reported through the failing command and /readyz
  let subscriber: Redis | undefined;
  const handlers = new Map<string, Set<(message: string) => void>>();
  const reconnectListeners = new Set<() => void>();
  let suspectUntil = 0;
  let closed = false;

  /** Every 'ready' after the first of a connection is a reconnection. */
  const watchReconnects = (conn: Redis) => {
    let seen = false;
    conn.on('ready', () => {
      suspectUntil = 0;
      if (seen) for (const listener of reconnectListeners) listener();
      seen = true;
    });
  };
  watchReconnects(client);

  /** Runs a command; a failure other than Redis's own reply marks Redis down for a moment. */
  async function run<T>(command: () => Promise<T>): Promise<T> {
    if (client.status !== 'ready') throw new CacheUnavailableError(`Redis connection is ${client.status}`);
    try {
      return await command();
    } catch (err) {
      if (err instanceof ReplyError) throw err;
      suspectUntil = Date.now() + SUSPECT_MS;
      throw new CacheUnavailableError(err);
    }
  }

  const channelName = (channel: string) => prefix + channel;

  async function ensureSubscriber(): Promise<Redis> {
    if (subscriber) return subscriber;
    // Subscriptions wait for the connection (and are renewed by ioredis after a reconnection).
    subscriber = new Redis(url, { maxRetriesPerRequest: null, connectTimeout: CONNECT_TIMEOUT_MS, retryStrategy });
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, message: string) => {
      for (const handler of handlers.get(channel) ?? []) handler(message);
    });
    watchReconnects(subscriber);
    await whenReady(subscriber, SUBSCRIBE_WAIT_MS);
    return subscriber;
  }

  return {
    backend: 'redis',
    shared: true,
    available: () => client.status === 'ready' && Date.now() >= suspectUntil,
    connected: (timeoutMs) => whenReady(client, timeoutMs),
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => void reconnectListeners.delete(listener);
    },
    get: (key) => run(() => client.get(key)),
    mget: async (keys) => (keys.length === 0 ? [] : run(() => client.mget(...keys))),
    set: (key, value, ttlSeconds) =>
      run(async () => {
        if (ttlSeconds) await client.set(key, value, 'EX', ttlSeconds);
        else await client.set(key, value);
      }),
    setMany: async (entries, ttlSeconds, setOptions) => {
      if (entries.length === 0) return;
      await run(async () => {
        const pipeline = client.pipeline();
        for (const [key, value] of entries) {
          if (ttlSeconds && setOptions?.onlyIfAbsent) pipeline.set(key, value, 'EX', ttlSeconds, 'NX');
          else if (ttlSeconds) pipeline.set(key, value, 'EX', ttlSeconds);
          else if (setOptions?.onlyIfAbsent) pipeline.set(key, value, 'NX');
          else pipeline.set(key, value);
        }
        const results = await pipeline.exec();
        const failed = results?.find(([err]) => err);
        if (failed) throw failed[0];
      });
    },
    setIfAbsent: (key, value, ttlSeconds) =>
      run(async () => {
        const res = ttlSeconds ? await client.set(key, value, 'EX', ttlSeconds, 'NX') : await client.set(key, value, 'NX');
        return res === 'OK';
      }),
    del: (key) => run(async () => void (await client.del(key))),
    publish: (channel, message) => run(async () => void (await client.publish(channelName(channel), message))),
    subscribe: async (channel, onMessage) => {
      const sub = await ensureSubscriber();
      const name = channelName(channel);
      let set = handlers.get(name);
      if (!set) {
        set = new Set();
        handlers.set(name, set);
        const subscribed = sub.subscribe(name);
        // Connected: confirm the subscription before going on. Not connected (Redis is down at
        // start): go on; ioredis subscribes once it connects.
        if (sub.status === 'ready') await subscribed;
        else subscribed.catch(() => undefined);
      }
      set.add(onMessage);
      return async () => {
        set.delete(onMessage);
        if (set.size === 0) {
          handlers.delete(name);
          if (sub.status === 'ready') await sub.unsubscribe(name).catch(() => undefined);
        }
      };
    },
    // Not skipped while suspect: /readyz and recovery need a real answer.
    ping: async () => {
      if (client.status !== 'ready') throw new CacheUnavailableError(`Redis connection is ${client.status}`);
      try {
        await client.ping();
        suspectUntil = 0;
      } catch (err) {
        throw new CacheUnavailableError(err);
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      reconnectListeners.clear();
      await Promise.allSettled([client.status === 'ready' ? client.quit() : Promise.resolve(), subscriber?.status === 'ready' ? subscriber.quit() : Promise.resolve()]);
      client.disconnect();
      subscriber?.disconnect();
    },
  };
}
