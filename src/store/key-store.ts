import type { ApiKey, Scope } from '../model/api-key';
import type { Queryable } from './db';

/** SQL for API keys. Only the sha256 of a key is stored. */

interface DbRow {
  id: string;
  name: string;
  scope: Scope;
  created_at: Date;
  revoked_at: Date | null;
}

const toKey = (r: DbRow): ApiKey => ({
  id: r.id,
  name: r.name,
  scope: r.scope,
  createdAt: r.created_at.toISOString(),
  revokedAt: r.revoked_at ? r.revoked_at.toISOString() : null,
});

export async function insertKey(q: Queryable, key: { id: string; name: string; scope: Scope; secretHash: string }): Promise<ApiKey> {
  const { rows } = await q.query<DbRow>(
    'INSERT INTO api_keys (id, name, scope, secret_hash) VALUES ($1, $2, $3, $4) RETURNING id, name, scope, created_at, revoked_at',
    [key.id, key.name, key.scope, key.secretHash],
  );
  return toKey(rows[0]);
}

export async function findKeyByHash(q: Queryable, secretHash: string): Promise<ApiKey | null> {
  const { rows } = await q.query<DbRow>('SELECT id, name, scope, created_at, revoked_at FROM api_keys WHERE secret_hash = $1', [secretHash]);
  return rows[0] ? toKey(rows[0]) : null;
}

export async function listKeys(q: Queryable): Promise<ApiKey[]> {
  const { rows } = await q.query<DbRow>('SELECT id, name, scope, created_at, revoked_at FROM api_keys ORDER BY created_at DESC, id');
  return rows.map(toKey);
}

export async function revokeKey(q: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await q.query('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1', [id]);
  return rowCount > 0;
}

export async function countActiveAdminKeys(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: number }>("SELECT count(*)::int AS n FROM api_keys WHERE scope = 'admin' AND revoked_at IS NULL");
  return rows[0].n;
}

/** Every key not revoked, with its hash (the authenticator holds them in memory). */
export async function activeKeys(q: Queryable): Promise<{ id: string; scope: Scope; secretHash: string }[]> {
  const { rows } = await q.query<{ id: string; scope: Scope; secret_hash: string }>('SELECT id, scope, secret_hash FROM api_keys WHERE revoked_at IS NULL');
  return rows.map((r) => ({ id: r.id, scope: r.scope, secretHash: r.secret_hash }));
}
