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
 */
export function memoryLimiter(options: LimiterOptions): Limiter {
  return wrap(new RateLimiterMemory({ keyPrefix: options.keyPrefix, points: options.points, duration: options.durationSeconds }));
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
  const viaRedis = wrap(shared);
  const local = wrap(insurance);
  return { take: (key) => (available() ? viaRedis.take(key) : local.take(key)) };
}

function wrap(limiter: RateLimiterAbstract): Limiter {
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
