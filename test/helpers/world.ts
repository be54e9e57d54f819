import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import Redis from 'ioredis';
import request from 'supertest';
import { DEFAULT_RATE_LIMIT_POINTS, DEFAULT_RATE_LIMIT_WINDOW_SECONDS, type Config } from '../../src/config';
import { startServer, type RunningServer } from '../../src/http/server';
import { createLogger } from '../../src/logger';
import { contract } from '../../src/contract';
import type { Runtime } from '../../src/runtime';
import type { Scope } from '../../src/model/api-key';
import { viaProxy, type Proxy } from './proxy';
import { validateResponse } from './response-validator';
import { openTestPglite } from './template';

/**
 * A test world: the real server on a random port, on the backend the environment selects.
 * With DATABASE_URL (and REDIS_URL) set, each world gets its own fresh database and its
 * own Redis key prefix, so test files never see each other's data; otherwise an
 * in-memory PGlite started from the migrated template and the in-process cache.
 */
export interface World {
  server: RunningServer;
  rt: Runtime;
  url: string;
  adminKey: string;
  /** supertest against the server; every response is checked against openapi.yaml. */
  api: ReturnType<typeof contractClient>;
  /** A key of this scope (created once per world). */
  key(scope: Scope): Promise<string>;
  /** Start another server instance on the same database and cache namespace. */
  another(overrides?: Partial<Config>): Promise<RunningServer>;
  close(): Promise<void>;
}

export const backend = process.env.DATABASE_URL ? 'postgres' : 'pglite';

const ADMIN_KEY = 'test-admin-key-' + randomBytes(8).toString('hex');

function databaseUrlFor(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = '/' + name;
  return url.toString();
}

export async function createTestDatabase(base: string): Promise<{ url: string; drop(): Promise<void> }> {
  // VERDICT_TEST_RUN (set by .ci/run) tags this run's databases, so its clean-up drops its own leftovers only.
  const run = /^[a-z0-9]{1,16}$/.test(process.env.VERDICT_TEST_RUN ?? '') ? `${process.env.VERDICT_TEST_RUN}_` : '';
  const name = `verdict_t_${run}${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: databaseUrlFor(base, name),
    async drop() {
      const c = new Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export const redisPrefix = () => `verdict-test:${process.pid}:${randomBytes(4).toString('hex')}:`;

export async function dropRedisPrefix(url: string, prefix: string) {
  const redis = new Redis(url);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redis.quit();
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    databaseUrl: undefined,
    dataDir: '',
    databasePoolSize: 5,
    redisUrl: undefined,
    redisPrefix: '',
    adminKey: ADMIN_KEY,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    shutdownTimeoutMs: 5000,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 65_000,
    corsOrigins: [],
    corsMaxAgeSeconds: 600,
    holdoutShare: 0,
    holdoutSalt: 'verdict-holdout',
    exposureFlushMs: 50,
    resultsCacheSeconds: 0,
    rateLimitPoints: DEFAULT_RATE_LIMIT_POINTS,
    rateLimitWindowSeconds: DEFAULT_RATE_LIMIT_WINDOW_SECONDS,

    demoClock: false,
    ...overrides,
  };
}

export interface WorldOptions {
  /** Reach Postgres / Redis through these proxies (to cut them in outage tests). */
  databaseProxy?: Proxy;
  redisProxy?: Proxy;
}

export async function startWorld(overrides: Partial<Config> = {}, options: WorldOptions = {}): Promise<World> {
  const cleanups: (() => Promise<void>)[] = [];
  let config = testConfig(overrides);
  const logger = createLogger(config.logLevel);
  let serverOptions = {};
  if (process.env.DATABASE_URL) {
    const database = await createTestDatabase(process.env.DATABASE_URL);
    cleanups.push(database.drop);
    config = { ...config, databaseUrl: options.databaseProxy ? viaProxy(database.url, options.databaseProxy) : database.url };
  } else {
    serverOptions = { db: await openTestPglite() };
  }
  if (process.env.REDIS_URL) {
    const prefix = redisPrefix();
    const redisUrl = options.redisProxy ? viaProxy(process.env.REDIS_URL, options.redisProxy) : process.env.REDIS_URL;
    config = { ...config, redisUrl, redisPrefix: prefix };
    const url = process.env.REDIS_URL;
    cleanups.push(() => dropRedisPrefix(url, prefix));
  }
  const server = await startServer(config, logger, serverOptions);
  const rt = await server.ready;
  const extra: RunningServer[] = [];
  const keys = new Map<Scope, string>();

  return {
    server,
    rt,
    url: server.url,
    adminKey: ADMIN_KEY,
    api: contractClient(server),
    async key(scope) {
      let k = keys.get(scope);
      if (!k) {
        k = (await rt.keys.create('test', `test ${scope}`, scope)).secret;
        keys.set(scope, k);
      }
      return k;
    },
    async another(more = {}) {
      if (!config.databaseUrl) throw new Error('several instances need the Postgres backend');
      const s = await startServer({ ...config, ...more }, logger);
      await s.ready;
      extra.push(s);
      return s;
    },
    async close() {
      for (const s of extra) await s.close();
      await server.close();
      for (const c of cleanups.reverse()) await c();
    },
  };
}

/** Checks one response (its status, content type and parsed body) against the contract; throws with every violation. */
function checkResponse(method: string, url: string, status: number, contentType: string | undefined, body: unknown): void {
  const c = contract();
  const m = method.toUpperCase();
  const match = c.match(m, /^https?:/.test(url) ? new URL(url).pathname : url.split('?')[0]);
  const operation = match && 'operation' in match ? match.operation : null;
  const problems = validateResponse(operation, status, contentType, status === 204 ? undefined : body);
  if (problems.length) {
    throw new Error(`${m} ${url} -> ${status} does not match openapi.yaml:\n  ${problems.join('\n  ')}\n  body: ${JSON.stringify(body).slice(0, 500)}`);
  }
}

/** Checks one supertest response against the contract; throws with every violation. */
export function assertMatchesContract(method: string, url: string, res: request.Response): void {
  const body = res.type === 'application/json' || res.type === 'application/problem+json' ? res.body : res.text;
  checkResponse(method, url, res.status, res.headers['content-type'], body);
}

/**
 * fetch for tests that talk to a server in another process: the response is checked against
 * openapi.yaml like every supertest response, then handed back unread.
 */
export async function contractFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(url, init);
  const text = await res.text();
  const type = res.headers.get('content-type') ?? undefined;
  const body = type && /json/.test(type) && text ? JSON.parse(text) : text;
  checkResponse(init.method ?? 'GET', url, res.status, type, body);
  return new Response(res.status === 204 || res.status === 304 ? null : text, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/** supertest whose every response is validated against openapi.yaml. */
export function contractClient(server: RunningServer) {
  const agent = request(server.server);
  const verb =
    (method: 'get' | 'post' | 'patch' | 'put' | 'delete' | 'head' | 'options') =>
    (url: string) =>
      agent[method](url).expect((res) => assertMatchesContract(method, url, res));
  return {
    get: verb('get'),
    post: verb('post'),
    patch: verb('patch'),
    put: verb('put'),
    delete: verb('delete'),
    head: verb('head'),
    options: verb('options'),
  };
}

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

/**
 * The world of one describe block (or file): started before its tests, closed after them.
 * `const world = useWorld(overrides)` stands for `let world; beforeAll(startWorld); afterAll(close)`;
 * the returned object reads through to the running world, so `world.api`, `world.key()` work as usual.
 * Further set-up goes in a `beforeAll` declared after it (Jest runs them in order).
 */
export function useWorld(overrides: Partial<Config> = {}, options: WorldOptions = {}): World {
  let current: World | undefined;
  beforeAll(async () => {
    current = await startWorld(overrides, options);
  });
  afterAll(async () => {
    await current?.close();
    current = undefined;
  });
  return new Proxy({} as World, {
    get(_, property) {
      if (!current) throw new Error(`useWorld: the world is read outside its tests (property ${String(property)})`);
      return Reflect.get(current, property);
    },
  });
}
