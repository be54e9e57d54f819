import Redis, { Cluster, ReplyError, type ClusterOptions, type RedisOptions } from 'ioredis';
import { CacheUnavailableError } from '../errors';
import type { Cache } from './cache';
import { redisLimiter } from './limiter';

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
 *
 * Redis Cluster (REDIS_CLUSTER_NODES): the same through ioredis's Cluster client. Redis refuses
 * a multi-key command whose keys lie in different slots (CROSSSLOT), so the key layout puts
 * what is read together under one hash tag (an exposure mark: `x:{<unit>}:<experiment>`,
 * serving/exposure-recorder.ts: the one MGET, of one unit's marks, is one slot). Writes of
 * many keys (setMany) are single-key SETs here, which auto-pipelining groups per node.
 * Pub/sub: PUBLISH reaches subscribers on every node of the cluster, and ioredis subscribes
 * again on another node when its node fails. A master's failure: its slots fail fast (as if
 * Redis were down) until its replica takes over, and the client follows the new slot map.
 */
const COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 2000;
const RECONNECT_MAX_MS = 2000;
const SUSPECT_MS = 1000;
/** How long a start waits for the pub/sub connection before going on without it. */
const SUBSCRIBE_WAIT_MS = 2000;

const retryStrategy = (times: number) => Math.min(times * 100, RECONNECT_MAX_MS);

function whenReady(conn: Redis | Cluster, timeoutMs: number): Promise<boolean> {
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

/** Where Redis is: one server's URL, or a Redis Cluster's seed nodes. */
export type RedisTarget = { url: string } | { cluster: readonly { host: string; port: number }[] };

type Client = Redis | Cluster;

function openClient(target: RedisTarget, prefix: string): Client {
  // Auto-pipelining sends the commands issued in one tick as one write: the hot path's MGETs
  // from concurrent requests share round trips.
  const perConnection: RedisOptions = {
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
  };
  if ('url' in target) return new Redis(target.url, { ...perConnection, keyPrefix: prefix, enableOfflineQueue: false, retryStrategy, enableAutoPipelining: true });
  const options: ClusterOptions = {
    keyPrefix: prefix,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    clusterRetryStrategy: retryStrategy,
    // A failed-over master is found within a second even if no command hit a MOVED.
    slotsRefreshInterval: 1000,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    redisOptions: perConnection,
  };
  return new Cluster([...target.cluster], options);
}

function openSubscriber(target: RedisTarget): Client {
  if ('url' in target) return new Redis(target.url, { maxRetriesPerRequest: null, connectTimeout: CONNECT_TIMEOUT_MS, retryStrategy });
  return new Cluster([...target.cluster], { clusterRetryStrategy: retryStrategy, slotsRefreshInterval: 1000, redisOptions: { connectTimeout: CONNECT_TIMEOUT_MS } });
}

export function connectRedis(to: string | RedisTarget, prefix: string): Cache {
  const target: RedisTarget = typeof to === 'string' ? { url: to } : to;
  const isCluster = 'cluster' in target;
  const client = openClient(target, prefix);
  client.on('error', () => undefined); // reported through the failing command and /readyz
  let subscriber: Client | undefined;
  const handlers = new Map<string, Set<(message: string) => void>>();
  const reconnectListeners = new Set<() => void>();
  let suspectUntil = 0;
  let closed = false;

  /** Every 'ready' after the first of a connection is a reconnection. */
  const watchReconnects = (conn: Client) => {
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

  async function ensureSubscriber(): Promise<Client> {
    if (subscriber) return subscriber;
    // Subscriptions wait for the connection (and are renewed by ioredis after a reconnection).
    subscriber = openSubscriber(target);
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, message: string) => {
      for (const handler of handlers.get(channel) ?? []) handler(message);
    });
    watchReconnects(subscriber);
    await whenReady(subscriber, SUBSCRIBE_WAIT_MS);
    return subscriber;
  }

  const available = () => client.status === 'ready' && Date.now() >= suspectUntil;
  return {
    backend: 'redis',
    shared: true,
    available,
    limiter: (options) => redisLimiter(client, available, options),
    connected: (timeoutMs) => whenReady(client, timeoutMs),
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => void reconnectListeners.delete(listener);
    },
    get: (key) => run(() => client.get(key)),
    mget: async (keys) => {
      if (keys.length === 0) return [];
      try {
        return await run(() => client.mget(...keys));
      } catch (err) {
        // Cluster: keys of several slots (a key layout without a common hash tag) are read one by one.
        if (!(isCluster && err instanceof ReplyError && /CROSSSLOT/.test((err as Error).message))) throw err;
        return run(() => Promise.all(keys.map((key) => client.get(key))));
      }
    },
    set: (key, value, ttlSeconds) =>
      run(async () => {
        if (ttlSeconds) await client.set(key, value, 'EX', ttlSeconds);
        else await client.set(key, value);
      }),
    setMany: async (entries, ttlSeconds, setOptions) => {
      if (entries.length === 0) return;
      if (isCluster) {
        // Keys of many slots: one SET each; auto-pipelining sends each node's in one write.
        await run(() =>
          Promise.all(
            entries.map(([key, value]) => {
              if (ttlSeconds && setOptions?.onlyIfAbsent) return client.set(key, value, 'EX', ttlSeconds, 'NX');
              if (ttlSeconds) return client.set(key, value, 'EX', ttlSeconds);
              if (setOptions?.onlyIfAbsent) return client.set(key, value, 'NX');
              return client.set(key, value);
            }),
          ),
        );
        return;
      }
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
