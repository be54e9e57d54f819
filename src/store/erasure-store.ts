import { createHash } from 'node:crypto';
import type { Queryable } from './db';

/**
 * Erased units are remembered by a hash (the first 16 hex digits of the SHA-256 of the unit
 * id's UTF-8 bytes, as the audit log records them) and the moment of the erasure, so that
 * data about the unit from before its erasure, arriving late, is not stored again.
 * (migrations/005_erasures.sql; writeExposures sends it with each exposure it writes.)
 */
export const unitHash = (unitId: string): string => createHash('sha256').update(unitId).digest('hex').slice(0, 16);

/** When each of these units was last erased, for those that were (one index lookup per unit). */
export async function erasedAt(q: Queryable, unitIds: readonly string[]): Promise<Map<string, Date>> {
  const out = new Map<string, Date>();
  if (unitIds.length === 0) return out;
  const ids = [...new Set(unitIds)];
  const byHash = new Map(ids.map((id) => [unitHash(id), id]));
  const { rows } = await q.query<{ unit_hash: string; erased_at: Date }>('SELECT unit_hash, erased_at FROM erasures WHERE unit_hash = ANY($1::text[])', [[...byHash.keys()]]);
  for (const r of rows) out.set(byHash.get(r.unit_hash)!, new Date(r.erased_at));
  return out;
}
