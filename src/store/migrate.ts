import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { migrationsDir } from '../paths';
import type { Db } from './db';

/**
 * Applies migrations/NNN_name.sql in order, each in its own transaction, and records
 * each in schema_migrations. Idempotent: applied files are skipped. A transaction-level
 * advisory lock lets several instances start at once without applying a file twice.
 * Editing a file that was already applied is refused (its checksum changed).
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

const FILE = /^(\d+)_([a-z0-9_-]+)\.sql$/;
const LOCK_ID = 7_421_001;

export function loadMigrations(dir = migrationsDir): Migration[] {
  const files = readdirSync(dir).filter((f) => FILE.test(f));
  const migrations = files.map((file) => {
    const [, num, name] = FILE.exec(file)!;
    const sql = readFileSync(path.join(dir, file), 'utf8');
    return { version: Number(num), name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
  });
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i].version === migrations[i - 1].version) {
      throw new Error(`two migrations numbered ${migrations[i].version}`);
    }
  }
  return migrations;
}

export async function migrate(db: Db, migrations = loadMigrations()): Promise<{ applied: string[] }> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const applied: string[] = [];
  for (const m of migrations) {
    const didApply = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
      const { rows } = await tx.query<{ checksum: string }>('SELECT checksum FROM schema_migrations WHERE version = $1', [m.version]);
      if (rows.length > 0) {
        if (rows[0].checksum !== m.checksum) {
          throw new Error(`migration ${m.version}_${m.name} was changed after it was applied; add a new migration instead`);
        }
        return false;
      }
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
      return true;
    });
    if (didApply) applied.push(`${String(m.version).padStart(3, '0')}_${m.name}`);
  }
  return { applied };
}
