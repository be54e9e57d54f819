import type { Queryable } from './db';

/** The audit log: who (key id) did what, when. Written in the same transaction as the change. */
export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  details: Record<string, unknown>;
}

export async function appendAudit(
  q: Queryable,
  entry: { actor: string; action: string; experimentKey: string | null; details?: Record<string, unknown> },
): Promise<void> {
  await q.query('INSERT INTO audit_log (actor, action, experiment_key, details) VALUES ($1, $2, $3, $4)', [
    entry.actor,
    entry.action,
    entry.experimentKey,
    JSON.stringify(entry.details ?? {}),
  ]);
}

export async function auditFor(q: Queryable, experimentKey: string): Promise<AuditEntry[]> {
  const { rows } = await q.query<{ id: number; at: Date; actor: string; action: string; details: Record<string, unknown> }>(
    'SELECT id, at, actor, action, details FROM audit_log WHERE experiment_key = $1 ORDER BY id',
    [experimentKey],
  );
  return rows.map((r) => ({ id: r.id, at: r.at.toISOString(), actor: r.actor, action: r.action, details: r.details }));
}
