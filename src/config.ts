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
  /** Redis server; when unset, an in-process cache is used. */
  redisUrl?: string;
  redisPrefix: string;
  /** Accepted as an admin key (bootstrap). */
  adminKey?: string;
  logLevel: string;
  shutdownTimeoutMs: number;
}

export class ConfigError extends Error {}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, got "${logLevel}"`);
  const adminKey = env.VERDICT_ADMIN_KEY || undefined;
  if (adminKey !== undefined && adminKey.length < 16) throw new ConfigError('VERDICT_ADMIN_KEY must be at least 16 characters');
  return {
    port: int(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '0.0.0.0',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.DATA_DIR || 'data'),
    databasePoolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
    redisUrl: env.REDIS_URL || undefined,
    redisPrefix: env.REDIS_PREFIX ?? 'verdict:',
    adminKey,
    logLevel,
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
  };
}
