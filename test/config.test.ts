import { ConfigError, loadConfig } from '../src/config';

/** Configuration from the environment: the server timeouts' defaults and their checks. */
test('server timeouts: documented defaults, configurable, and refused when they contradict each other', () => {
  expect(loadConfig({})).toMatchObject({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000 });
  expect(loadConfig({ HEADERS_TIMEOUT_MS: '2000', REQUEST_TIMEOUT_MS: '5000', KEEP_ALIVE_TIMEOUT_MS: '1000' })).toMatchObject({
    headersTimeoutMs: 2000,
    requestTimeoutMs: 5000,
    keepAliveTimeoutMs: 1000,
  });
  expect(() => loadConfig({ HEADERS_TIMEOUT_MS: '20000', REQUEST_TIMEOUT_MS: '5000' })).toThrow(/HEADERS_TIMEOUT_MS .* REQUEST_TIMEOUT_MS/);
  expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '0' })).toThrow(ConfigError);
  expect(() => loadConfig({ KEEP_ALIVE_TIMEOUT_MS: 'soon' })).toThrow(/KEEP_ALIVE_TIMEOUT_MS must be an integer/);
});

test('CORS_ORIGINS: none by default, a comma-separated list of origins or *, anything else refused', () => {
  expect(loadConfig({})).toMatchObject({ corsOrigins: [], corsMaxAgeSeconds: 600 });
  expect(loadConfig({ CORS_ORIGINS: 'https://shop.example, http://localhost:3000', CORS_MAX_AGE_SECONDS: '60' })).toMatchObject({
    corsOrigins: ['https://shop.example', 'http://localhost:3000'],
    corsMaxAgeSeconds: 60,
  });
  expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
  for (const bad of ['shop.example', 'https://shop.example/', 'https://shop.example/path', 'ftp://shop.example']) {
    expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(/CORS_ORIGINS must list origins/);
  }
});

test('REDIS_CLUSTER_NODES: host:port seed nodes, instead of REDIS_URL; DATABASE_REPLICA_URL needs DATABASE_URL', () => {
  expect(loadConfig({}).redisClusterNodes).toBeUndefined();
  expect(loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000, cache-2:7001,[::1]:7002' }).redisClusterNodes).toEqual([
    { host: '127.0.0.1', port: 7000 },
    { host: 'cache-2', port: 7001 },
    { host: '::1', port: 7002 },
  ]);
  expect(() => loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1' })).toThrow(/REDIS_CLUSTER_NODES must list host:port/);
  expect(() => loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:99999' })).toThrow(ConfigError);
  expect(() => loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(/not both/);
  expect(loadConfig({ DATABASE_URL: 'postgres://a@db/v', DATABASE_REPLICA_URL: 'postgres://a@replica/v' }).databaseReplicaUrl).toBe('postgres://a@replica/v');
  expect(() => loadConfig({ DATABASE_REPLICA_URL: 'postgres://a@replica/v' })).toThrow(/needs DATABASE_URL/);
});

test('VERDICT_DEMO_CLOCK: off by default, 1/true turns the settable clock on, anything else refused', () => {
  expect(loadConfig({}).demoClock).toBe(false);
  expect(loadConfig({ VERDICT_DEMO_CLOCK: '0' }).demoClock).toBe(false);
  expect(loadConfig({ VERDICT_DEMO_CLOCK: '1' }).demoClock).toBe(true);
  expect(loadConfig({ VERDICT_DEMO_CLOCK: 'true' }).demoClock).toBe(true);
  expect(() => loadConfig({ VERDICT_DEMO_CLOCK: 'yes please' })).toThrow(/VERDICT_DEMO_CLOCK must be 1 or 0/);
});
