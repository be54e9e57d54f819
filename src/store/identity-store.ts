import type { Logger } from '../logger';
import type { Cache } from './cache';
import type { Queryable } from './db';

/**
 * The database's identity (migration 006): a random id made when the database was first
 * migrated. Every Redis key and channel holding this database's data lives under it (see
 * scopeCache), so a Redis that outlives its database, or is shared by mistake, never mixes
 * two databases' exposure marks.
 */
export async function databaseIdentity(q: Queryable): Promise<string> {
  const { rows } = await q.query<{ id: string }>('SELECT id FROM database_identity');
  if (!rows[0]) throw new Error('database_identity is empty: the database was not migrated by Verdict');
  return rows[0].id;
}

/** The key, outside every database's scope, naming the database that last used this prefix. */
export const IDENTITY_KEY = 'database';

/**
 * Compares the identity recorded in a shared cache with this database's, and records ours.
 * Another one there means Redis holds (or held) another database's data under this prefix:
 * the database was reset, replaced or restored, or two deployments share a prefix. Nothing
 * is read from the other scope; it is logged, so an operator can remove the stale keys (or
 * give each deployment its own REDIS_PREFIX). Called at start and whenever Redis comes back.
 */
export async function checkCacheIdentity(cache: Cache, identity: string, logger: Logger, prefix: string): Promise<'new' | 'same' | 'other'> {
  if (!cache.shared) return 'same';
  const recorded = await cache.get(IDENTITY_KEY);
  if (recorded === identity) return 'same';
  await cache.set(IDENTITY_KEY, identity);
  if (recorded === null) return 'new';
  logger.warn(
    { database: identity, redisHeld: recorded, prefix },
    `Redis holds another database's data under prefix "${prefix}" (database ${recorded}; this database is ${identity}): ` +
      `it is ignored (this database's keys live under "${prefix}${identity}:"); if that database is gone, delete the keys under "${prefix}${recorded}:"; ` +
      'if two deployments share this Redis, give each its own REDIS_PREFIX',
  );
  return 'other';
}
