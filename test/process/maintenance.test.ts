import { execFile } from 'node:child_process';
import path from 'node:path';
import { loadMigrations } from '../../src/store/migrate';
import { processStorage, spawnServer, withDatabase } from '../helpers/process';
import { contractFetch } from '../helpers/world';

/**
 * The maintenance commands an operator runs on the database directly (docs/cli.md, "Maintenance
 * commands"): migrate, keys create / list / revoke, reaggregate. Run as compiled programs
 * on the backend under test, and checked through a server started on the same storage.
 */
function run(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.resolve(`dist/src/cli/${script}-tool.js`), ...args], { env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

let storage: Awaited<ReturnType<typeof processStorage>>;
beforeAll(async () => {
  storage = await processStorage();
});
afterAll(() => storage.cleanup());

test('migrate applies every migration once, then has nothing to do', async () => {
  const first = await run('migrate', [], storage.env);
  expect(first).toMatchObject({ code: 0, stderr: '' });
  // Every file in migrations/, in order (read from there, so a new migration needs no edit here).
  const all = loadMigrations().map((m) => `${String(m.version).padStart(3, '0')}_${m.name}`);
  expect(all.slice(0, 3)).toEqual(['001_foundation', '002_exposures', '003_events']);
  expect(first.stdout).toBe(`applied: ${all.join(', ')}\n`);
  const again = await run('migrate', [], storage.env);
  expect(again).toMatchObject({ code: 0, stdout: 'up to date: no migration to apply\n' });
  const tables = await withDatabase(storage.env, async (db) => (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('experiments', 'events', 'erasures')")).rows[0].n);
  expect(tables).toBe(3);
});

test('keys: create prints a working key once; list shows it without the secret; revoke stops it', async () => {
  const created = await run('keys', ['create', '--scope', 'read', '--name', 'ci'], storage.env);
  expect(created.code).toBe(0);
  const [, id, secret] = /^created (\S+) \(read, "ci"\)\. The key, shown this once:\n\n {2}(\S+)\n/.exec(created.stdout) ?? [];
  expect(secret).toBeDefined();

  const listed = await run('keys', ['list'], storage.env);
  expect(listed.stdout).toMatch(new RegExp(`^${id}\\tread\\tactive\\t\\S+\\tci$`, 'm'));
  expect(listed.stdout).not.toContain(secret);

  const server = await spawnServer(storage.env);
  try {
    expect((await contractFetch(`${server.url}/v1/experiments`, { headers: { Authorization: `Bearer ${secret}` } })).status).toBe(200);
  } finally {
    await server.stop();
  }
  expect((await run('keys', ['revoke', id], storage.env)).stdout).toBe(`revoked ${id}\n`);
  const again = await spawnServer(storage.env);
  try {
    expect((await contractFetch(`${again.url}/v1/experiments`, { headers: { Authorization: `Bearer ${secret}` } })).status).toBe(401);
  } finally {
    await again.stop();
  }
});

test('keys: create --browser makes a browser key (listed as assign+browser; the browser-safe configuration only); only with --scope assign', async () => {
  const created = await run('keys', ['create', '--scope', 'assign', '--browser', '--name', 'pages'], storage.env);
  expect(created.code).toBe(0);
  const [, id, secret] = /^created (\S+) \(assign, browser, "pages"\)\. The key, shown this once:\n\n {2}(\S+)\n/.exec(created.stdout) ?? [];
  expect(secret).toBeDefined();
  expect((await run('keys', ['list'], storage.env)).stdout).toMatch(new RegExp(`^${id}\\tassign\\+browser\\tactive\\t`, 'm'));
  const server = await spawnServer(storage.env);
  try {
    const auth = { Authorization: `Bearer ${secret}` };
    expect(((await (await contractFetch(`${server.url}/v1/config`, { headers: auth })).json()) as { shape: string }).shape).toBe('browser');
    expect((await contractFetch(`${server.url}/v1/config?shape=server`, { headers: auth })).status).toBe(403);
  } finally {
    await server.stop();
  }
  const bad = await run('keys', ['create', '--scope', 'read', '--browser', '--name', 'x'], storage.env);
  expect(bad).toMatchObject({ code: 4, stdout: '', stderr: 'keys: --browser needs --scope assign\n' });
});

test('usage mistakes are one line on stderr and a non-zero exit', async () => {
  const bad = await run('keys', ['create', '--scope', 'root', '--name', 'x'], storage.env);
  expect(bad).toMatchObject({ code: 4, stdout: '', stderr: 'keys: --scope must be one of assign, read, admin\n' });
  const missing = await run('reaggregate', ['no-such-experiment'], storage.env);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/^reaggregate: .*no-such-experiment.*\n$/);
  expect((await run('reaggregate', [], storage.env)).code).toBe(4);
});
