import Redis from 'ioredis';
import { chunkOf, memoryLimiter, redisLimiter } from '../../src/store/limiter';
import { dropRedisPrefix, redisPrefix } from '../helpers/world';

/**
 * The per-key limiter (store/limiter.ts). In Redis, instances take requests in chunks; the
 * count must still never serve more than the limit, and refuse at most one chunk per
 * instance early.
 */
test('chunks: a thousandth of the limit, at most 100, 1 for small limits', () => {
  expect([5, 999, 1_000, 2_000, 50_000, 1_000_000].map(chunkOf)).toEqual([1, 1, 1, 2, 50, 100]);
});

test('in memory: exactly the limit per window', async () => {
  const limiter = memoryLimiter({ keyPrefix: 't:', points: 50, durationSeconds: 60 });
  const answers = await Promise.all(Array.from({ length: 80 }, () => limiter.take('key_a')));
  expect(answers.filter((a) => a.allowed)).toHaveLength(50);
  expect((await limiter.take('key_b')).allowed).toBe(true);
});

const withRedis = process.env.REDIS_URL ? test : test.skip;

withRedis('in Redis, two instances: never more than the limit, at most a chunk each refused early', async () => {
  const prefix = redisPrefix();
  const clients = [0, 1].map(() => new Redis(process.env.REDIS_URL!, { keyPrefix: prefix, enableAutoPipelining: true, maxRetriesPerRequest: 0 }));
  try {
    const points = 20_000; // chunks of 20
    const limiters = clients.map((c) => redisLimiter(c, () => c.status === 'ready', { keyPrefix: 'rl:', points, durationSeconds: 60 }));
    await Promise.all(clients.map((c) => new Promise((r) => c.once('ready', r))));
    let allowed = 0;
    for (let round = 0; round < 100; round++) {
      const answers = await Promise.all(Array.from({ length: 220 }, (_, i) => limiters[i % 2].take('key_shared')));
      allowed += answers.filter((a) => a.allowed).length;
    }
    expect(allowed).toBeLessThanOrEqual(points);
    expect(allowed).toBeGreaterThanOrEqual(points - 2 * chunkOf(points));
    const refused = await limiters[0].take('key_shared');
    expect(refused.allowed).toBe(false);
    expect(refused.msBeforeNext).toBeGreaterThan(0);
  } finally {
    clients.forEach((c) => c.disconnect());
    await dropRedisPrefix(process.env.REDIS_URL!, prefix);
  }
});
