import { timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../logger';
import { CHANNELS, followChanges, type Cache } from '../store/cache';
import type { Db } from '../store/db';
import type { Scope } from '../model/api-key';
import { activeKeys, findKeyByHash } from '../store/key-store';
import { hashSecret } from './key-secrets';

/**
 * Turns a bearer key into a principal (key id + scope), without waiting on the database
 * for a key it knows: the storefront's hot path authenticates every request, and must keep
 * working while the database is down.
 *
 * Each instance holds the set of active keys (sha256 -> principal): loaded at start,
 * reloaded every REFRESH_MS and whenever a key changes anywhere (create and revoke publish on
 * the cache's `keys:changed` channel; Redis carries it to every instance within
 * milliseconds) or Redis comes back. A key missing from the set (just created on another
 * instance) is looked up in the database; only then can the database's absence show (503).
 * A known key never turns into a 503 or a 401 because the database is unreachable.
 *
 * A revocation takes the key out of the set at once on the instance that made it and, through
 * the channel, on the others; without Redis, by the next reload. A revoked key id is
 * remembered, so a reload that read the table just before the revocation cannot bring it back.
 *
 * A rotated key keeps working until its expiry (the end of the overlap), checked on every
 * request against this instance's clock; the rotation is announced like a revocation, and
 * its expiry remembered the same way.
 */
export interface Principal {
  keyId: string;
  scope: Scope;
  /** A browser key (an assign key for pages): the browser-safe configuration only. */
  browser: boolean;
}

export const ENV_ADMIN_KEY_ID = 'env:VERDICT_ADMIN_KEY';
const REFRESH_MS = 10_000;
const NEGATIVE_TTL_MS = 2_000;
const MAX_ENTRIES = 10_000;

export interface Authenticator {
  authenticate(secret: string): Promise<Principal | null>;
  /** The answer for a known key (or one refused in the last seconds), without waiting; undefined when it must be looked up. */
  cached(secret: string): Principal | null | undefined;
  /** A key was created on this instance: know it now, and tell the others. Never fails. */
  created(keyId: string, scope: Scope, secretHash: string, browser: boolean): Promise<void>;
  /** A key was rotated on this instance: the old one ends at `expiresAt` (epoch ms), the new one works now. Never fails. */
  rotated(oldKeyId: string, expiresAt: number, replacement: Principal, secretHash: string): Promise<void>;
  /** Forget a key on every instance (after a revocation). Never fails. */
  revoked(keyId: string): Promise<void>;
  /** Reload the set of active keys from the database (keeps the current one on failure). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export async function createAuthenticator(db: Db, cache: Cache, logger: Logger, adminKey?: string): Promise<Authenticator> {
  const adminHash = adminKey ? Buffer.from(hashSecret(adminKey), 'hex') : null;
  const admin: Principal = { keyId: ENV_ADMIN_KEY_ID, scope: 'admin', browser: false };
  // Active keys by hash; `expiresAt` (epoch ms) for a rotated key, null otherwise.
  let known = new Map<string, { principal: Principal; expiresAt: number | null }>();
  const revokedIds = new Set<string>();
  // Expiries of keys rotated on this instance, so a reload that read the table before the rotation cannot lengthen them.
  const expiries = new Map<string, number>();
  const expiryOf = (keyId: string, stored: number | null): number | null => {
    const local = expiries.get(keyId);
    return local === undefined ? stored : stored === null ? local : Math.min(local, stored);
  };
  // The presented key -> its hash, so the hot path hashes a key once; the map lives only in
  // this process's memory, where the request already put the key.
  const hashes = new LRUCache<string, string>({ max: MAX_ENTRIES });
  // Keys just refused, answered 401 without a lookup for NEGATIVE_TTL_MS.
  const refused = new LRUCache<string, true>({ max: MAX_ENTRIES, ttl: NEGATIVE_TTL_MS });
  let loading: Promise<void> | null = null;

  // The last key presented: a storefront sends the same one on every request, answered
  // without the LRU's bookkeeping (a measurable share of the hot path, BENCHMARKS.md).
  let lastSecret: string | undefined;
  let lastHash = '';
  const hashOf = (secret: string) => {
    if (secret === lastSecret) return lastHash;
    let hash = hashes.get(secret);
    if (hash === undefined) {
      hash = hashSecret(secret);
      hashes.set(secret, hash);
    }
    lastSecret = secret;
    lastHash = hash;
    return hash;
  };
  const isAdmin = (hash: string) => adminHash !== null && timingSafeEqual(Buffer.from(hash, 'hex'), adminHash);

  async function load() {
    const rows = await activeKeys(db);
    known = new Map(rows.filter((r) => !revokedIds.has(r.id)).map((r) => [r.secretHash, { principal: { keyId: r.id, scope: r.scope, browser: r.browser }, expiresAt: expiryOf(r.id, r.expiresAt) }]));
  }
  function reload(): Promise<void> {
    loading ??= load()
      .catch((err) => logger.warn({ err: err instanceof Error ? err.message : err }, 'could not reload the API keys; keeping the ones in memory'))
      .finally(() => {
        loading = null;
      });
    return loading;
  }
  const forget = (keyId: string) => {
    revokedIds.add(keyId);
    for (const [hash, p] of known) if (p.principal.keyId === keyId) known.delete(hash);
  };

  await load();
  const stopFollowing = await followChanges(cache, CHANNELS.keys, () => void reload(), {
    everyMs: REFRESH_MS,
    onMessage(message) {
      const [change, keyId] = message.split(':', 2);
      if (change === 'revoke' && keyId) forget(keyId);
    },
  });

  function cached(secret: string): Principal | null | undefined {
    const hash = hashOf(secret);
    if (isAdmin(hash)) return admin;
    const entry = known.get(hash);
    if (entry) {
      if (entry.expiresAt === null || Date.now() < entry.expiresAt) return entry.principal;
      // The end of a rotation's overlap: refused from now on.
      known.delete(hash);
      refused.set(hash, true);
      return null;
    }
    return refused.has(hash) ? null : undefined;
  }

  const announce = (message: string) =>
    cache.publish(CHANNELS.keys, message).catch((err) =>
      logger.warn({ err: err instanceof Error ? err.message : err }, 'could not announce a key change through Redis; the other instances see it on their next reload'),
    );

  return {
    cached,
    async authenticate(secret) {
      const answer = cached(secret);
      if (answer !== undefined) return answer;
      const hash = hashOf(secret);
      const row = await findKeyByHash(db, hash);
      const expiresAt = row ? expiryOf(row.id, row.expiresAt ? Date.parse(row.expiresAt) : null) : null;
      if (row && !row.revokedAt && !revokedIds.has(row.id) && (expiresAt === null || Date.now() < expiresAt)) {
        const principal: Principal = { keyId: row.id, scope: row.scope, browser: row.browser };
        known.set(hash, { principal, expiresAt });
        return principal;
      }
      refused.set(hash, true);
      return null;
    },
    async created(keyId, scope, secretHash, browser) {
      known.set(secretHash, { principal: { keyId, scope, browser }, expiresAt: null });
      refused.delete(secretHash);
      await announce(`create:${keyId}`);
    },
    async rotated(oldKeyId, expiresAt, replacement, secretHash) {
      expiries.set(oldKeyId, expiresAt);
      for (const entry of known.values()) if (entry.principal.keyId === oldKeyId) entry.expiresAt = expiresAt;
      known.set(secretHash, { principal: replacement, expiresAt: null });
      refused.delete(secretHash);
      await announce(`rotate:${oldKeyId}`);
    },
    async revoked(keyId) {
      forget(keyId);
      await announce(`revoke:${keyId}`);
    },
    reload,
    async close() {
      await stopFollowing();
      await loading;
    },
  };
}
