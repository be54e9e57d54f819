import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db } from '../../src/store/db';
import { openPglite } from '../../src/store/pglite';
import { connectPostgres } from '../../src/store/postgres';
import { freePort } from './private-servers';
import { ensureTemplate } from './template';
import { createTestDatabase, redisPrefix, dropRedisPrefix } from './world';

export { freePort };

/**
 * The compiled server (dist/, built by `npm test`'s tsc step) in a process of its own: for
 * tests about processes (signals, crashes, restarts, several instances) and for tests that
 * push many requests, which run several times faster outside jest's module sandbox.
 */
export const MAIN = path.resolve('dist/src/main.js');
export const PROCESS_ADMIN_KEY = 'process-admin-key-0123456789';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<number | null>;
  /** SIGTERM and wait for the exit code (SIGKILL after a minute). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function spawnServer(env: NodeJS.ProcessEnv, port?: number): Promise<ServerProcess> {
  port ??= await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', VERDICT_ADMIN_KEY: PROCESS_ADMIN_KEY, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c) => void (out += c));
  child.stderr!.on('data', (c) => void (out += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`server exited (${child.exitCode}) before it was ready:\n${out}`);
    const status = await fetch(`${url}/readyz`).then((r) => r.status, () => 0);
    if (status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    url,
    output: () => out,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      // A hang guard: a server that does not exit within a minute is killed (and the test sees exit code null).
      const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
      try {
        return await exited;
      } finally {
        clearTimeout(guard);
      }
    },
  };
}

/**
 * Storage for server processes on the backend under test: a fresh database (and Redis prefix)
 * or a data dir. `migrated`: on the embedded backend, start from a copy of the migrated
 * template (test/helpers/template.ts) instead of an empty dir, which spares the server
 * PGlite's initdb and the migrations (about 20 s on 2 busy cores); for tests that are not
 * about a first start.
 */
export async function processStorage(options: { migrated?: boolean } = {}): Promise<{ env: NodeJS.ProcessEnv; cleanup(): Promise<void> }> {
  if (process.env.DATABASE_URL) {
    const db = await createTestDatabase(process.env.DATABASE_URL);
    const env: NodeJS.ProcessEnv = { DATABASE_URL: db.url, REDIS_URL: '' };
    let prefix: string | undefined;
    if (process.env.REDIS_URL) {
      prefix = redisPrefix();
      env.REDIS_URL = process.env.REDIS_URL;
      env.REDIS_PREFIX = prefix;
    }
    return {
      env,
      async cleanup() {
        await db.drop();
        if (prefix) await dropRedisPrefix(process.env.REDIS_URL!, prefix);
      },
    };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'verdict-proc-'));
  if (options.migrated) cpSync(await ensureTemplate(), dir, { recursive: true });
  return {
    env: { DATABASE_URL: '', REDIS_URL: '', DATA_DIR: dir },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Open the storage a server process used (after it stopped, for PGlite) and run fn on it. */
export async function withDatabase<T>(env: NodeJS.ProcessEnv, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = env.DATABASE_URL ? connectPostgres(env.DATABASE_URL, { max: 2 }) : await openPglite({ dataDir: env.DATA_DIR });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
