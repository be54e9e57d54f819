import http from 'node:http';
import { Socket } from 'node:net';
import { securityHeaders } from '../src/http/security-headers';
import { memoryLimiter, redisLimiter } from '../src/store/limiter';
import Redis from 'ioredis';
import { machine } from './lib';

/**
 * What item 4 of issue 20 added to every request, in CPU time per request measured in
 * process (process.cpuUsage over many calls, so a loaded machine inflates it less than a
 * throughput run): helmet's headers on a real ServerResponse, and one count of the per-key
 * rate limiter, in memory and (when BENCH_REDIS_URL or the local Redis answers) in Redis.
 * Run: npx tsc -p tsconfig.json && node dist/bench/access-overhead.js
 */
const N = Number(process.env.BENCH_CALLS ?? 200_000);

function cpuMicros(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / N;
}

async function cpuMicrosAsync(run: (i: number) => Promise<unknown>, batch = 256): Promise<{ cpu: number; wall: number }> {
  const start = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i += batch) await Promise.all(Array.from({ length: Math.min(batch, N - i) }, (_, j) => run(i + j)));
  const used = process.cpuUsage(start);
  return { cpu: (used.user + used.system) / N, wall: Number(process.hrtime.bigint() - t0) / 1e3 / N };
}

async function main() {
  const headers = securityHeaders();
  const req = new http.IncomingMessage(new Socket());
  req.url = '/v1/assign';
  const baseline = cpuMicros(() => {
    for (let i = 0; i < N; i++) new http.ServerResponse(req);
  });
  const withHeaders = cpuMicros(() => {
    for (let i = 0; i < N; i++) headers(req, new http.ServerResponse(req), () => undefined);
  });
  const memory = memoryLimiter({ keyPrefix: 'b:', points: 1e9, durationSeconds: 10 });
  const mem = await cpuMicrosAsync(() => memory.take('key_bench'));
  console.log(`\nAccess and abuse on the hot path, ${new Date().toISOString().slice(0, 10)}, ${machine()}; ${N.toLocaleString('en')} calls each`);
  console.log('\n| added per request | CPU per request | wall per request (256 concurrent) |');
  console.log('| --- | ---: | ---: |');
  console.log(`| helmet's headers (beyond creating the response) | ${(withHeaders - baseline).toFixed(2)} µs | |`);
  console.log(`| rate limit, in memory | ${mem.cpu.toFixed(2)} µs | ${mem.wall.toFixed(2)} µs |`);
  const url = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const client = new Redis(url, { keyPrefix: `bench-rl-${process.pid}:`, enableAutoPipelining: true, lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    const shared = redisLimiter(client, () => true, { keyPrefix: 'b:', points: 1e9, durationSeconds: 10 });
    const r = await cpuMicrosAsync(() => shared.take('key_bench'));
    console.log(`| rate limit, in Redis (chunks of 100 reserved by one Lua call each) | ${r.cpu.toFixed(2)} µs | ${r.wall.toFixed(2)} µs |`);
    await client.del('b:key_bench');
  } catch (err) {
    console.log(`| rate limit, in Redis | not measured: ${(err as Error).message} | |`);
  } finally {
    client.disconnect();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
