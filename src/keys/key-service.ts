import { notFound } from '../errors';
import { appendAudit } from '../store/audit-store';
import type { Db } from '../store/db';
import type { ApiKey, Scope } from '../model/api-key';
import { countActiveAdminKeys, insertKey, listKeys, revokeKey } from '../store/key-store';
import type { Authenticator } from './authenticator';
import { hashSecret, newKeyId, newKeySecret } from './key-secrets';

/** Key management: create (the secret is returned once), list, revoke; each change audited. */
export interface KeyService {
  create(actor: string, name: string, scope: Scope): Promise<ApiKey & { secret: string }>;
  list(): Promise<ApiKey[]>;
  revoke(actor: string, id: string): Promise<void>;
  /** On the embedded default with no admin key at all, make one for the first run. */
  bootstrapAdmin(): Promise<(ApiKey & { secret: string }) | null>;
}

export function createKeyService(db: Db, authenticator: Authenticator): KeyService {
  async function create(actor: string, name: string, scope: Scope) {
    const secret = newKeySecret();
    const secretHash = hashSecret(secret);
    const row = await db.transaction(async (tx) => {
      const key = await insertKey(tx, { id: newKeyId(), name, scope, secretHash });
      await appendAudit(tx, { actor, action: 'key.create', experimentKey: null, details: { id: key.id, name, scope } });
      return key;
    });
    await authenticator.created(row.id, row.scope, secretHash);
    return { ...row, secret };
  }

  return {
    create,
    list: () => listKeys(db),
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
