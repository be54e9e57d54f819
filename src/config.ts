import path from 'node:path';

/**
 * Configuration comes only from environment variables; every one is listed in the README
 * with its default. A bad value stops the start with a message naming the variable.
 */
export interface Config {
  port: number;
  host: string;
  /** PostgreSQL server; when unset, the embedded PGlite in `dataDir` is used. */
  databaseUrl?: string;
  dataDir: string;
  databasePoolSize: number;
  /** A read replica of DATABASE_URL (streaming): results read there when it has caught up, else from the primary. */
  databaseReplicaUrl?: string;
  /** Redis server; when unset, an in-process cache is used. */
  redisUrl?: string;
  /** Redis Cluster seed nodes (host:port); used instead of REDIS_URL when set. */
  redisClusterNodes?: { host: string; port: number }[];
  redisPrefix: string;
  /** Accepted as an admin key (bootstrap). */
  adminKey?: string;
  logLevel: string;
  shutdownTimeoutMs: number;
  /** How long a client may take to send a request's headers; then 408 and the connection closes. */
  headersTimeoutMs: number;
  /** How long a client may take to send a whole request (headers and body); then 408. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: number;
  /** Origins whose pages may call /v1/assign and /v1/events from the browser (CORS); `*` for any. Empty: none. */
  corsOrigins: string[];
  /** How long browsers may cache a CORS preflight's answer. */
  corsMaxAgeSeconds: number;
  /** Global holdout: this share of all units never gets personalization. */
  holdoutShare: number;
  holdoutSalt: string;
  /** Exposures from /v1/assign are written in batches, at least this often. */
  exposureFlushMs: number;
  /** How long computed counts are reused per experiment version. */
  resultsCacheSeconds: number;
  /** Requests allowed per API key in each window (0: no limit); shared through Redis when configured. */
  rateLimitPoints: number;
  rateLimitWindowSeconds: number;
  /** Raw events older than this many days are dropped, a whole month at a time (unset: kept forever). */
  eventsRetentionDays?: number;

  /** VERDICT_DEMO_CLOCK: a settable clock (PUT /v1/demo/clock) for demos and simulations; never in production. */
  demoClock: boolean;
}

export class ConfigError extends Error {}

/**
 * Per key: 1,000,000 requests per 10 s by default, far above what one storefront key sends
 * through a few instances (the benchmarks reach about 20,000 a second), so the limit stops a
 * runaway or abusive client without ever touching real traffic, the suite or the benchmarks.
 */
export const DEFAULT_RATE_LIMIT_POINTS = 1_000_000;
export const DEFAULT_RATE_LIMIT_WINDOW_SECONDS = 10;

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

function share(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new ConfigError(`${name} must be a number from 0 to 1, got "${raw}"`);
  return n;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new ConfigError(`${name} must be 1 or 0 (true or false), got "${env[name]}"`);
}

const SLUG = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** CORS_ORIGINS: comma-separated origins as a browser sends them (`https://shop.example`, no path), or `*`. */
function corsOrigins(env: NodeJS.ProcessEnv): string[] {
  const origins = (env.CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  for (const origin of origins) {
    if (origin === '*') continue;
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(`CORS_ORIGINS must list origins such as https://shop.example (scheme, host and port only, no path or trailing slash) or *, got "${origin}"`);
    }
  }
  return origins;
}

/** REDIS_CLUSTER_NODES: comma-separated host:port seed nodes of a Redis Cluster. */
function clusterNodes(env: NodeJS.ProcessEnv): { host: string; port: number }[] | undefined {
  const raw = (env.REDIS_CLUSTER_NODES ?? '').trim();
  if (raw === '') return undefined;
  if (env.REDIS_URL) throw new ConfigError('set either REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both');
  return raw.split(',').map((entry) => {
    const m = /^\s*([A-Za-z0-9.\-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\s*$/.exec(entry);
    const port = m ? Number(m[2]) : NaN;
    if (!m || port < 1 || port > 65535) throw new ConfigError(`REDIS_CLUSTER_NODES must list host:port seed nodes separated by commas, got "${entry.trim()}"`);
    return { host: m[1].replace(/^\[|\]$/g, ''), port };
  });
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function holdoutSalt(env: NodeJS.ProcessEnv): string {
  const salt = env.HOLDOUT_SALT || 'verdict-holdout';
  if (!SLUG.test(salt)) throw new ConfigError(`HOLDOUT_SALT must be a slug ([a-z0-9][a-z0-9_-]*), got "${salt}"`);
  return salt;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const headersTimeoutMs = int(env, 'HEADERS_TIMEOUT_MS', 10_000, 100, 600_000);
  const requestTimeoutMs = int(env, 'REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(`HEADERS_TIMEOUT_MS (${headersTimeoutMs}) must not be larger than REQUEST_TIMEOUT_MS (${requestTimeoutMs}): the headers are part of the request`);
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, got "${logLevel}"`);
  const adminKey = env.VERDICT_ADMIN_KEY || undefined;
  if (adminKey !== undefined && adminKey.length < 16) throw new ConfigError('VERDICT_ADMIN_KEY must be at least 16 characters');
  const databaseReplicaUrl = env.DATABASE_REPLICA_URL || undefined;
  if (databaseReplicaUrl && !env.DATABASE_URL) throw new ConfigError('DATABASE_REPLICA_URL needs DATABASE_URL (the primary it replicates)');
  return {
    port: int(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '0.0.0.0',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.DATA_DIR || 'data'),
    databasePoolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
    databaseReplicaUrl,
    redisUrl: env.REDIS_URL || undefined,
    redisClusterNodes: clusterNodes(env),
    redisPrefix: env.REDIS_PREFIX ?? 'verdict:',
    adminKey,
    logLevel,
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: int(env, 'KEEP_ALIVE_TIMEOUT_MS', 65_000, 100, 600_000),
    corsOrigins: corsOrigins(env),
    corsMaxAgeSeconds: int(env, 'CORS_MAX_AGE_SECONDS', 600, 0, 86_400),
    holdoutShare: share(env, 'HOLDOUT_SHARE', 0),
    holdoutSalt: holdoutSalt(env),
    exposureFlushMs: int(env, 'EXPOSURE_FLUSH_MS', 1000, 10, 60_000),
    resultsCacheSeconds: int(env, 'RESULTS_CACHE_SECONDS', 5, 0, 3600),
    rateLimitPoints: int(env, 'RATE_LIMIT_POINTS', DEFAULT_RATE_LIMIT_POINTS, 0, 1_000_000_000),
    rateLimitWindowSeconds: int(env, 'RATE_LIMIT_WINDOW_SECONDS', DEFAULT_RATE_LIMIT_WINDOW_SECONDS, 1, 86_400),
    // At least 8: events are accepted up to 7 days old, and an id is kept while its event could still be.
    eventsRetentionDays: env.EVENTS_RETENTION_DAYS ? int(env, 'EVENTS_RETENTION_DAYS', 0, 8, 36_500) : undefined,

    demoClock: flag(env, 'VERDICT_DEMO_CLOCK'),
  };
}
