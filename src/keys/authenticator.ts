import { timingSafeEqual } from 'node:crypto';
import type { Cache } from '../store/cache';
import type { Db } from '../store/db';
import { findKeyByHash, type Scope } from '../store/keys';
import { hashSecret } from './keys';

/**
 * Turns a bearer key into a principal (key id + scope). Lookups are cached in memory for
 * a short time, because the storefront's hot path authenticates every request; a revoked
 * key is dropped at once on this instance and, through the cache's pub/sub, on the others.
 */
export interface Principal {
  keyId: string;
  scope: Scope;
}

export const ENV_ADMIN_KEY_ID = 'env:VERDICT_ADMIN_KEY';
const REVOKED_CHANNEL = 'keys:revoked';
const TTL_MS = 30_000;
const NEGATIVE_TTL_MS = 2_000;
const MAX_ENTRIES = 10_000;

export interface Authenticator {
  authenticate(secret: string): Promise<Principal | null>;
  /** The answer for a key seen recently, without waiting (undefined when not known). */
  cached(secret: string): Principal | null | undefined;
  /** Forget a key on every instance (after a revocation). */
  revoked(keyId: string): Promise<void>;
  close(): Promise<void>;
}

export async function createAuthenticator(db: Db, cache: Cache, adminKey?: string): Promise<Authenticator> {
  const adminHash = adminKey ? Buffer.from(hashSecret(adminKey), 'hex') : null;
  const memo = new Map<string, { principal: Principal | null; expiresAt: number }>();

  const forget = (keyId: string) => {
    for (const [secret, entry] of memo) if (entry.principal?.keyId === keyId) memo.delete(secret);
  };
  const unsubscribe = await cache.subscribe(REVOKED_CHANNEL, forget);

  return {
    cached(secret) {
      const hit = memo.get(secret);
      return hit && hit.expiresAt > Date.now() ? hit.principal : undefined;
    },
    async authenticate(secret) {
      // Memoized by the presented key itself: the hot path then skips hashing. The map lives
      // only in this process's memory, where the request already put the key.
      const now = Date.now();
      const hit = memo.get(secret);
      if (hit && hit.expiresAt > now) return hit.principal;
      const hash = hashSecret(secret);
      if (adminHash && timingSafeEqual(Buffer.from(hash, 'hex'), adminHash)) {
        const admin: Principal = { keyId: ENV_ADMIN_KEY_ID, scope: 'admin' };
        memo.set(secret, { principal: admin, expiresAt: Number.MAX_SAFE_INTEGER });
        return admin;
      }
      const row = await findKeyByHash(db, hash);
      const principal = row && !row.revokedAt ? { keyId: row.id, scope: row.scope } : null;
      if (memo.size >= MAX_ENTRIES) memo.clear();
      memo.set(secret, { principal, expiresAt: now + (principal ? TTL_MS : NEGATIVE_TTL_MS) });
      return principal;
    },
    async revoked(keyId) {
      forget(keyId);
      await cache.publish(REVOKED_CHANNEL, keyId);
    },
    close: unsubscribe,
  };
}
