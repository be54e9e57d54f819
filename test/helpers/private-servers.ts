import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import Redis from 'ioredis';

/**
 * PostgreSQL and Redis servers of a test's own, on free loopback ports, in a temporary
 * directory: for outage, crash and cluster tests, which stop, kill, restart and wipe them.
 * The machine's shared servers are never touched. Each server is stopped by its own PID
 * (or `pg_ctl stop` on its own data directory), never by name.
 *
 *   const pg = await startPrivatePostgres();   // pg.url: postgres://postgres@127.0.0.1:<port>/verdict
 *   await pg.stop();  await pg.start();        // a clean stop and a start on the same port and data
 *   await pg.kill();                           // SIGKILL the postmaster (crash); start() recovers
 *   await pg.flush();                          // drop the `verdict` database and create it empty
 *   await pg.close();                          // stop and remove the directory
 *
 * The same for startPrivateRedis() (no persistence: a restart after kill() or stop() comes
 * back empty, like a Redis without AOF/RDB; flush() is FLUSHALL on this private server).
 */
export interface PrivateServer {
  readonly port: number;
  readonly url: string;
  /** Whether the server process runs (as far as this helper knows). */
  running(): boolean;
  /** Start again (same port, same data directory). */
  start(): Promise<void>;
  /** A clean shutdown; resolves when the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL: no shutdown at all; resolves when the process has exited. */
  kill(): Promise<void>;
  /** Remove all data (a fresh empty database / an empty Redis), the server keeps running. */
  flush(): Promise<void>;
  /** Stop (if running) and remove the temporary directory. */
  close(): Promise<void>;
}

export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether the binaries these helpers need are installed. */
export const havePrivatePostgres = () => existsSync(path.join(PG_BIN, 'initdb')) && existsSync(path.join(PG_BIN, 'pg_ctl'));
export const havePrivateRedis = () => spawnSync(REDIS_SERVER, ['--version']).error === undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await ok().catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`${what} within ${timeoutMs} ms`);
}

/** PostgreSQL refuses to run as root: then its processes run as the `postgres` user. */
function postgresUser(): { uid: number; gid: number } | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('running as root, and there is no "postgres" user to run PostgreSQL as');
  return { uid, gid };
}

function run(file: string, args: string[], options: SpawnOptions): void {
  const res = spawnSync(file, args, { ...options, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`${path.basename(file)} ${args.join(' ')} failed (${res.status}): ${res.stderr || res.stdout || res.error}`);
}

export async function startPrivatePostgres(): Promise<PrivateServer> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'verdict-private-pg-'));
  const data = path.join(dir, 'data');
  const user = postgresUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const as: SpawnOptions = user ? { uid: user.uid, gid: user.gid, cwd: dir } : { cwd: dir };
  run(path.join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], as);
  const base = `postgres://postgres@127.0.0.1:${port}`;
  const url = `${base}/verdict`;
  let up = false;

  const pidOf = (): number | null => {
    try {
      return Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return null;
    }
  };
  const connectable = async () => {
    const c = new Client({ connectionString: `${base}/postgres`, connectionTimeoutMillis: 1000 });
    try {
      await c.connect();
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  const admin = async (sql: string) => {
    const c = new Client({ connectionString: `${base}/postgres` });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  const pgCtl = (args: string[]) => run(path.join(PG_BIN, 'pg_ctl'), ['-D', data, ...args], as);

  const server: PrivateServer = {
    port,
    url,
    running: () => up,
    async start() {
      const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
      pgCtl(['-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
      up = true;
      await until('private PostgreSQL did not accept connections', connectable);
    },
    async stop() {
      if (!up) return;
      pgCtl(['-m', 'fast', '-w', '-t', '60', 'stop']);
      up = false;
    },
    async kill() {
      const pid = pidOf();
      if (!up || !pid) return;
      process.kill(pid, 'SIGKILL');
      await until('private PostgreSQL did not die', async () => !isAlive(pid));
      // The postmaster's children notice its death and exit on their own.
      up = false;
    },
    async flush() {
      await admin('DROP DATABASE IF EXISTS verdict WITH (FORCE)');
      await admin('CREATE DATABASE verdict');
    },
    async close() {
      try {
        if (up) await server.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  await server.start();
  await admin('CREATE DATABASE verdict');
  return server;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startPrivateRedis(): Promise<PrivateServer> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'verdict-private-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const ping = async () => {
    const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    r.on('error', () => undefined);
    try {
      await r.connect();
      return (await r.ping()) === 'PONG';
    } finally {
      r.disconnect();
    }
  };
  const end = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill(signal);
    await exited;
    child = null;
  };

  const server: PrivateServer = {
    port,
    url,
    running: () => child !== null && child.exitCode === null && child.signalCode === null,
    async start() {
      if (server.running()) return;
      const c = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'], {
        stdio: 'ignore',
      });
      child = c;
      exited = new Promise((resolve) => c.once('exit', () => resolve()));
      await until('private Redis did not answer PING', ping);
    },
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    async flush() {
      const r = new Redis(url);
      try {
        await r.flushall();
      } finally {
        r.disconnect();
      }
    },
    async close() {
      try {
        await end('SIGKILL');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  await server.start();
  return server;
}
