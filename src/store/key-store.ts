import type { ApiKey, Scope } from '../model/api-key';
import type { Queryable } from './db';

/** SQL for API keys. Only the sha256 of a key is stored. */

interface DbRow {
  id: string;
  name: string;
  scope: Scope;
  browser: boolean;
  created_at: Date;
  revoked_at: Date | null;
  expires_at: Date | null;
}

const COLUMNS = 'id, name, scope, browser, created_at, revoked_at, expires_at';
/** A key that still opens the API: not revoked, and not past the end of a rotation's overlap. */
const ACTIVE = 'revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())';

const toKey = (r: DbRow): ApiKey => ({
  id: r.id,
  name: r.name,
  scope: r.scope,
  browser: r.browser,
  createdAt: r.created_at.toISOString(),
  revokedAt: r.revoked_at ? r.revoked_at.toISOString() : null,
  expiresAt: r.expires_at ? r.expires_at.toISOString() : null,
});

export async function insertKey(q: Queryable, key: { id: string; name: string; scope: Scope; browser: boolean; secretHash: string }): Promise<ApiKey> {
  const { rows } = await q.query<DbRow>(
    `INSERT INTO api_keys (id, name, scope, browser, secret_hash) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
    [key.id, key.name, key.scope, key.browser, key.secretHash],
  );
  return toKey(rows[0]);
}

export async function findKeyByHash(q: Queryable, secretHash: string): Promise<ApiKey | null> {
  const { rows } = await q.query<DbRow>(`SELECT ${COLUMNS} FROM api_keys WHERE secret_hash = $1`, [secretHash]);
  return rows[0] ? toKey(rows[0]) : null;
}

export async function listKeys(q: Queryable): Promise<ApiKey[]> {
  const { rows } = await q.query<DbRow>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at DESC, id`);
  return rows.map(toKey);
}

export async function revokeKey(q: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await q.query('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1', [id]);
  return rowCount > 0;
}

export async function countActiveAdminKeys(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM api_keys WHERE scope = 'admin' AND ${ACTIVE}`);
  return rows[0].n;
}

/** Every key not revoked, with its hash (the authenticator holds them in memory). */
export async function activeKeys(q: Queryable): Promise<ActiveKey[]> {
  const { rows } = await q.query<{ id: string; scope: Scope; browser: boolean; secret_hash: string; expires_at: Date | null }>(
    `SELECT id, scope, browser, secret_hash, expires_at FROM api_keys WHERE ${ACTIVE}`,
  );
  return rows.map((r) => ({ id: r.id, scope: r.scope, browser: r.browser, secretHash: r.secret_hash, expiresAt: r.expires_at ? r.expires_at.getTime() : null }));
}

export interface ActiveKey {
  id: string;
  scope: Scope;
  /** A browser key (an assign key for pages: the browser-safe configuration only). */
  browser: boolean;
  secretHash: string;
  /** Epoch ms at which a rotated key stops working; null when it was not rotated. */
  expiresAt: number | null;
}

/** The key, locked until the end of the transaction (a rotation reads, then changes it). */
export async function lockKey(q: Queryable, id: string): Promise<(ApiKey & { replacedBy: string | null; expired: boolean }) | null> {
  const { rows } = await q.query<DbRow & { replaced_by: string | null; expired: boolean }>(
    `SELECT ${COLUMNS}, replaced_by, (expires_at IS NOT NULL AND expires_at <= now()) AS expired FROM api_keys WHERE id = $1 FOR UPDATE`,
    [id],
  );
  return rows[0] ? { ...toKey(rows[0]), replacedBy: rows[0].replaced_by, expired: rows[0].expired } : null;
}

/** Ends a key `overlapSeconds` from now, replaced by `replacedBy`. */
export async function expireKey(q: Queryable, id: string, replacedBy: string, overlapSeconds: number): Promise<ApiKey> {
  const { rows } = await q.query<DbRow>(
    `UPDATE api_keys SET expires_at = now() + make_interval(secs => $3), replaced_by = $2 WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, replacedBy, overlapSeconds],
  );
  return toKey(rows[0]);
}
