import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadMigrations, migrate } from '../../src/store/migrate';
import { openPglite, type PgliteDb } from '../../src/store/pglite';

/**
 * A fresh PGlite runs initdb, which takes seconds. Tests start from a copy of a migrated
 * template data directory instead: built once per set of migrations, kept in the OS temp
 * directory, copied (fast) for each test database.
 */
export function templatePath(): string {
  const hash = createHash('sha256');
  for (const m of loadMigrations()) hash.update(`${m.version}:${m.checksum}\n`);
  return path.join(os.tmpdir(), `verdict-pglite-template-${hash.digest('hex').slice(0, 16)}`);
}

export async function ensureTemplate(): Promise<string> {
  const dir = templatePath();
  if (existsSync(dir)) return dir;
  const building = mkdtempSync(`${dir}.building-`);
  const db = await openPglite({ dataDir: building });
  await migrate(db);
  await db.close();
  try {
    renameSync(building, dir);
  } catch {
    rmSync(building, { recursive: true, force: true }); // another process finished first
  }
  return dir;
}

/** A new embedded database, migrated, in its own temporary directory (removed on close). */
export async function openTestPglite(): Promise<PgliteDb> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'verdict-test-db-'));
  cpSync(await ensureTemplate(), dir, { recursive: true });
  const db = await openPglite({ dataDir: dir });
  return {
    ...db,
    async close() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
