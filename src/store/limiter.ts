import { LRUCache } from 'lru-cache';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import type { Limiter, LimiterOptions } from './cache';

/**
 * Request limits per key with rate-limiter-flexible: a fixed window of `durationSeconds`
 * holding `points` requests. On Redis the count is one key per API key and window (one slot
 * in a Redis Cluster), incremented atomically by a Lua script, so every instance draws on the
 * same allowance. While Redis is down (or known to be), the count goes on in this process
 * (the library's insurance limiter): limiting degrades to per-instance, it never fails a
 * request.
 *
 * So that the hot path does not pay a Redis round trip per request, an instance takes its
 * requests from Redis in chunks of `chunkOf(points)` (a thousandth of the limit, at most 100;
 * 1 for small limits, so those are exact) and spends them locally until the window ends. The
 * shared count is then ahead of what was served by less than one chunk per instance: near the
 * limit, a key may be refused up to that many requests early, never served more than the limit.
 */
export const chunkOf = (points: number) => Math.max(1, Math.min(100, Math.floor(points / 1000)));
/**
 * In this process: a fixed window per key that starts with the key's first request and lasts
 * `durationSeconds` (as rate-limiter-flexible's memory limiter counts), kept in a plain map
 * and answered synchronously: the default limit (RATE_LIMIT_POINTS) is far above what one
 * storefront key sends, so on the hot path this must cost next to nothing.
 */
export function memoryLimiter(options: LimiterOptions): Limiter {
  const windowMs = options.durationSeconds * 1000;
  const windows = new Map<string, { used: number; until: number }>();
  let nextSweep = Date.now() + windowMs;
  function takeNow(key: string): { allowed: boolean; msBeforeNext: number } {
    const now = Date.now();
    if (now >= nextSweep) {
      // Windows that ended are dropped (bounded memory with many keys).
      for (const [k, w] of windows) if (now >= w.until) windows.delete(k);
      nextSweep = now + windowMs;
    }
    let w = windows.get(key);
    if (w === undefined || now >= w.until) {
      w = { used: 0, until: now + windowMs };
      windows.set(key, w);
    }
    w.used++;
    return { allowed: w.used <= options.points, msBeforeNext: w.until - now };
  }
  return { takeNow, take: async (key) => takeNow(key) };
}

export function redisLimiter(client: Redis | Cluster, available: () => boolean, options: LimiterOptions): Limiter {
  const insurance = new RateLimiterMemory({ keyPrefix: options.keyPrefix, points: options.points, duration: options.durationSeconds });
  const shared = new RateLimiterRedis({
    storeClient: client,
    keyPrefix: options.keyPrefix,
    points: options.points,
    duration: options.durationSeconds,
    insuranceLimiter: insurance,
    // A key over its limit is refused from memory until its window ends: no Redis round trip for a flood.
    inMemoryBlockOnConsumed: options.points + 1,
  });
  const local = wrap(insurance);
  const chunk = chunkOf(options.points);
  // Requests taken from Redis and not yet served, per key, until the end of their window.
  const budgets = new LRUCache<string, { left: number; until: number }>({ max: 10_000 });
  // One reservation in flight per key: requests arriving meanwhile wait for it, then share its chunk.
  const pending = new Map<string, Promise<{ allowed: boolean; msBeforeNext: number }>>();
  async function reserve(key: string): Promise<{ allowed: boolean; msBeforeNext: number }> {
    try {
      const res = await shared.consume(key, chunk);
      budgets.set(key, { left: chunk, until: Date.now() + res.msBeforeNext });
      return { allowed: true, msBeforeNext: res.msBeforeNext };
    } catch (err) {
      if (err instanceof RateLimiterRes) return { allowed: false, msBeforeNext: err.msBeforeNext };
      return { allowed: true, msBeforeNext: 0 };
    } finally {
      pending.delete(key);
    }
  }
  const fromBudget = (key: string) => {
    const budget = budgets.get(key);
    const now = Date.now();
    if (!budget || budget.left <= 0 || now >= budget.until) return null;
    budget.left--;
    return { allowed: true, msBeforeNext: budget.until - now };
  };
  async function take(key: string): Promise<{ allowed: boolean; msBeforeNext: number }> {
    for (;;) {
      if (!available()) return local.take(key);
      const spent = fromBudget(key);
      if (spent) return spent;
      const inFlight = pending.get(key);
      if (!inFlight) {
        const reservation = reserve(key);
        pending.set(key, reservation);
        const answer = await reservation;
        if (!answer.allowed) return answer;
        // The chunk is in the budget now (or Redis failed: let this request through).
        return fromBudget(key) ?? answer;
      }
      const answer = await inFlight;
      if (!answer.allowed) return answer;
    }
  }
  return {
    take(key) {
      const spent = available() ? fromBudget(key) : null;
      return spent ? Promise.resolve(spent) : take(key);
    },
    takeNow: (key) => (available() ? fromBudget(key) : null),
  };
}

function wrap(limiter: RateLimiterAbstract): Omit<Limiter, 'takeNow'> {
  return {
    async take(key) {
      try {
        const res = await limiter.consume(key);
        return { allowed: true, msBeforeNext: res.msBeforeNext };
      } catch (err) {
        if (err instanceof RateLimiterRes) return { allowed: false, msBeforeNext: err.msBeforeNext };
        // No insurance (memory limiters cannot fail): let the request through rather than fail it.
        return { allowed: true, msBeforeNext: 0 };
      }
    },
  };
}
