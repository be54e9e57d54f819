import { conflict, invalid, notFound } from '../errors';
import { appendAudit } from '../store/audit-store';
import type { Db } from '../store/db';
import { browserMarkAllowed, type ApiKey, type Scope } from '../model/api-key';
import { countActiveAdminKeys, expireKey, insertKey, listKeys, lockKey, revokeKey } from '../store/key-store';
import type { Authenticator } from './authenticator';
import { hashSecret, newKeyId, newKeySecret } from './key-secrets';

/** Key management: create (the secret is returned once), list, rotate, revoke; each change audited. */
export interface KeyService {
  /** `browser`: a browser key (scope assign only; otherwise 400 naming /browser). */
  create(actor: string, name: string, scope: Scope, options?: { browser?: boolean }): Promise<ApiKey & { secret: string }>;
  list(): Promise<ApiKey[]>;
  /**
   * A new key with the old one's name, scope and browser mark; the old one keeps working for
   * `overlapSeconds`, then stops. A revoked, expired or already rotated key: 409.
   */
  rotate(actor: string, id: string, overlapSeconds: number): Promise<{ key: ApiKey & { secret: string }; previous: ApiKey }>;
  revoke(actor: string, id: string): Promise<void>;
  /** On the embedded default with no admin key at all, make one for the first run. */
  bootstrapAdmin(): Promise<(ApiKey & { secret: string }) | null>;
}

export function createKeyService(db: Db, authenticator: Authenticator): KeyService {
  async function create(actor: string, name: string, scope: Scope, options: { browser?: boolean } = {}) {
    const browser = options.browser === true;
    if (!browserMarkAllowed(scope, browser)) throw invalid('only an assign key can be a browser key', [{ field: '/browser', message: `a browser key must have scope assign (not ${scope})` }]);
    const secret = newKeySecret();
    const secretHash = hashSecret(secret);
    const row = await db.transaction(async (tx) => {
      const key = await insertKey(tx, { id: newKeyId(), name, scope, browser, secretHash });
      await appendAudit(tx, { actor, action: 'key.create', experimentKey: null, details: { id: key.id, name, scope, ...(browser ? { browser } : {}) } });
      return key;
    });
    await authenticator.created(row.id, row.scope, secretHash, row.browser);
    return { ...row, secret };
  }

  return {
    create,
    list: () => listKeys(db),
    async rotate(actor, id, overlapSeconds) {
      const secret = newKeySecret();
      const secretHash = hashSecret(secret);
      const { key, previous } = await db.transaction(async (tx) => {
        const old = await lockKey(tx, id);
        if (!old) throw notFound(`no key with id "${id}"`);
        if (old.revokedAt) throw conflict(`key "${id}" is revoked; create a new key instead`, 'key-revoked');
        if (old.replacedBy) {
          throw conflict(`key "${id}" was already rotated (replaced by "${old.replacedBy}"); rotate its replacement instead`, 'key-rotated', { replacedBy: old.replacedBy });
        }
        if (old.expired) throw conflict(`key "${id}" has expired; create a new key instead`, 'key-expired');
        const key = await insertKey(tx, { id: newKeyId(), name: old.name, scope: old.scope, browser: old.browser, secretHash });
        const previous = await expireKey(tx, id, key.id, overlapSeconds);
        await appendAudit(tx, { actor, action: 'key.rotate', experimentKey: null, details: { id, replacedBy: key.id, overlapSeconds, expiresAt: previous.expiresAt } });
        return { key, previous };
      });
      await authenticator.rotated(previous.id, Date.parse(previous.expiresAt!), { keyId: key.id, scope: key.scope, browser: key.browser }, secretHash);
      return { key: { ...key, secret }, previous };
    },
    async revoke(actor, id) {
      const found = await db.transaction(async (tx) => {
        const ok = await revokeKey(tx, id);
        if (ok) await appendAudit(tx, { actor, action: 'key.revoke', experimentKey: null, details: { id } });
        return ok;
      });
      if (!found) throw notFound(`no key with id "${id}"`);
      await authenticator.revoked(id);
    },
    async bootstrapAdmin() {
      if ((await countActiveAdminKeys(db)) > 0) return null;
      return create('system:bootstrap', 'bootstrap admin', 'admin');
    },
  };
}
