import { mkdtempSync, writeFileSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrationsDir } from '../../src/paths';
import { loadMigrations, migrate } from '../../src/store/migrate';
import type { PgliteDb } from '../../src/store/pglite';
import { openTestPglite } from '../helpers/template';

let db: PgliteDb;
beforeAll(async () => {
  db = await openTestPglite();
});
afterAll(() => db.close());

test('the template has every migration recorded, in order', async () => {
  const { rows } = await db.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
  expect(rows.map((r) => r.version)).toEqual(loadMigrations().map((m) => m.version));
});

test('running the migrations again applies nothing', async () => {
  expect(await migrate(db)).toEqual({ applied: [] });
});

test('a new migration file is applied once; an edited applied file is refused', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'verdict-migrations-'));
  cpSync(migrationsDir, dir, { recursive: true });
  writeFileSync(path.join(dir, '900_extra.sql'), 'CREATE TABLE extra_things (id int PRIMARY KEY);');
  expect(await migrate(db, loadMigrations(dir))).toEqual({ applied: ['900_extra'] });
  expect(await migrate(db, loadMigrations(dir))).toEqual({ applied: [] });
  writeFileSync(path.join(dir, '900_extra.sql'), 'CREATE TABLE extra_things (id bigint PRIMARY KEY);');
  await expect(migrate(db, loadMigrations(dir))).rejects.toThrow(/900_extra was changed after it was applied/);
});

test('numbers may leave gaps, and a lower-numbered file that arrives later (a branch merged after) is applied too', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'verdict-migrations-'));
  cpSync(migrationsDir, dir, { recursive: true });
  writeFileSync(path.join(dir, '903_later.sql'), 'CREATE TABLE later_things (id int PRIMARY KEY);');
  expect(await migrate(db, loadMigrations(dir))).toEqual({ applied: ['903_later'] });
  writeFileSync(path.join(dir, '902_merged_after.sql'), 'CREATE TABLE merged_things (id int PRIMARY KEY);');
  expect(await migrate(db, loadMigrations(dir))).toEqual({ applied: ['902_merged_after'] });
});

test('a failing migration leaves nothing half-applied', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'verdict-migrations-'));
  cpSync(migrationsDir, dir, { recursive: true });
  writeFileSync(path.join(dir, '901_broken.sql'), 'CREATE TABLE half_done (id int); SELECT no_such_function();');
  await expect(migrate(db, loadMigrations(dir))).rejects.toThrow();
  const { rows } = await db.query("SELECT to_regclass('half_done') AS t");
  expect(rows[0]).toEqual({ t: null });
  const recorded = await db.query('SELECT 1 FROM schema_migrations WHERE version = 901');
  expect(recorded.rows).toHaveLength(0);
});
