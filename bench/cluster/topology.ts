import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * The local cluster (issue 20): on one machine and loopback ports only, from Debian's packages,
 *
 *   clients ──> HAProxy (round robin, health check GET /readyz)
 *                 ├─> Verdict instance 1 ┐
 *                 ├─> Verdict instance 2 ├─> pgbouncer (transaction pooling) ──> PostgreSQL primary
 *                 └─> Verdict instance 3 ┘      │                                   │ streaming (pg_basebackup -R)
 *                        │  results ────────────┼──────────────────────────────> PostgreSQL replica (DATABASE_REPLICA_URL)
 *                        └─> Redis Cluster: 3 masters + 3 replicas (REDIS_CLUSTER_NODES)
 *
 * Every process is started here and stopped by its own PID (PostgreSQL by `pg_ctl stop` on its
 * own data directory), never by name. The state (ports, PIDs, directories) is a JSON file in the
 * cluster's directory, so `cluster:down` in another process stops what `cluster:up` started.
 * Used by `npm run cluster:up` / `cluster:down` (bench/cluster/cluster-tool.ts), the cluster
 * tests (test/cluster/) and `npm run bench:soak`.
 */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
export const ADMIN_KEY = 'cluster-admin-key-0123456789';
/** The repository (this file runs from bench/cluster/ under ts-jest, from dist/bench/cluster/ compiled). */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
/** The compiled server: `npm run cluster:up` and `npm test` build it first (tsc). */
export const MAIN = path.join(repoRoot(), 'dist/src/main.js');

export interface InstanceState {
  port: number;
  url: string;
  pid: number;
  log: string;
}

export interface ClusterState {
  dir: string;
  adminKey: string;
  primary: { port: number; url: string; data: string };
  replica: { port: number; url: string; data: string };
  bouncer: { port: number; url: string; pidFile: string };
  redis: { ports: number[]; nodes: string; pids: Record<string, number> };
  instances: InstanceState[];
  /** The environment every instance gets (without PORT). */
  env: Record<string, string>;
  haproxy: { port: number; url: string; pidFile: string };
}

export interface UpOptions {
  dir: string;
  instances?: number;
  /** Extra environment for the Verdict instances (e.g. RESULTS_CACHE_SECONDS=0 in tests). */
  env?: Record<string, string>;
  log?: (message: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Thrown inside `until`'s check: stop waiting at once (other errors count as "not yet"). */
class GiveUp extends Error {}

async function until(what: string, ok: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await Promise.resolve().then(ok).catch((err) => {
      if (err instanceof GiveUp) throw err;
      return false;
    })) return;
    await sleep(100);
  }
  throw new Error(`${what} within ${timeoutMs} ms`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Free loopback ports from a random base below 30000 (Redis Cluster also needs port + 10000 for its bus). */
async function ports(count: number, redisCount: number): Promise<number[]> {
  const found: number[] = [];
  let p = 20000 + Math.floor(Math.random() * 9000);
  while (found.length < count) {
    p++;
    const needsBus = found.length < redisCount;
    if (p > 29990) p = 20000;
    if ((await canListen(p)) && (!needsBus || (await canListen(p + 10000)))) found.push(p);
  }
  return found;
}

/** PostgreSQL and pgbouncer refuse to run as root: then they run as the `postgres` user. */
function postgresUser(): { uid: number; gid: number } | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('running as root, and there is no "postgres" user to run PostgreSQL as');
  return { uid, gid };
}

function run(file: string, args: string[], options: SpawnOptions = {}): string {
  const res = spawnSync(file, args, { ...options, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`${path.basename(file)} ${args.join(' ')} failed (${res.status}): ${res.stderr || res.stdout || res.error}`);
  return String(res.stdout);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const readPid = (file: string): number | null => {
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0].trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
};

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopPid(pid: number | null, graceMs = 10_000): Promise<void> {
  if (!pid || !isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const end = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < end) await sleep(50);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(20);
}

export async function killPid(pid: number | null): Promise<void> {
  if (!pid || !isAlive(pid)) return;
  process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(20);
}

const asPostgres = (dir: string): SpawnOptions => {
  const user = postgresUser();
  return user ? { uid: user.uid, gid: user.gid, cwd: dir } : { cwd: dir };
};

function pgOptions(port: number, dir: string): string {
  return `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c hot_standby_feedback=on`;
}

export function startPostgres(state: ClusterState, which: 'primary' | 'replica'): void {
  const node = state[which];
  run(path.join(PG_BIN, 'pg_ctl'), ['-D', node.data, '-o', pgOptions(node.port, state.dir), '-l', `${node.data}.log`, '-w', '-t', '60', 'start'], asPostgres(state.dir));
}

export function stopPostgres(state: ClusterState, which: 'primary' | 'replica'): void {
  const node = state[which];
  if (!existsSync(path.join(node.data, 'postmaster.pid'))) return;
  run(path.join(PG_BIN, 'pg_ctl'), ['-D', node.data, '-m', 'fast', '-w', '-t', '60', 'stop'], asPostgres(state.dir));
}

export function psql(url: string, sql: string): string {
  return run(path.join(PG_BIN, 'psql'), [url, '-Atqc', sql]).trim();
}

export function redisCli(port: number, ...args: string[]): string {
  return run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]).trim();
}

function startRedisNode(state: ClusterState, port: number): void {
  const dir = path.join(state.dir, `redis-${port}`);
  mkdirSync(dir, { recursive: true });
  const pidFile = path.join(dir, 'redis.pid');
  rmSync(pidFile, { force: true });
  run('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'yes', '--pidfile', pidFile, '--logfile', path.join(dir, 'redis.log'),
    '--save', '', '--appendonly', 'no', '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
    // Failure detection within a second, and the slots of the other masters stay served meanwhile.
    '--cluster-node-timeout', '1000', '--cluster-require-full-coverage', 'no', '--cluster-replica-validity-factor', '0',
  ]);
  state.redis.pids[String(port)] = 0;
}

async function redisPids(state: ClusterState): Promise<void> {
  for (const port of state.redis.ports) {
    const file = path.join(state.dir, `redis-${port}`, 'redis.pid');
    await until(`Redis ${port} did not write its PID`, () => readPid(file) !== null, 10_000);
    state.redis.pids[String(port)] = readPid(file)!;
  }
}

/** Restart a Redis node that was killed: it rejoins the cluster from its nodes.conf (as a replica if it lost its master role). */
export async function restartRedisNode(state: ClusterState, port: number): Promise<void> {
  startRedisNode(state, port);
  await redisPids(state);
}

/** The Redis Cluster's masters (port) as the cluster sees them now. */
export function redisMasters(state: ClusterState): number[] {
  const alive = state.redis.ports.find((p) => isAlive(state.redis.pids[String(p)]));
  if (!alive) return [];
  // Line: <id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot ranges...>
  return redisCli(alive, 'cluster', 'nodes')
    .split('\n')
    .map((l) => l.trim().split(' '))
    .filter((f) => f[2]?.split(',').includes('master') && !/fail/.test(f[2]) && f.length > 8)
    .map((f) => Number(f[1].split('@')[0].split(':')[1]));
}

export function redisClusterOk(state: ClusterState): boolean {
  return state.redis.ports.filter((p) => isAlive(state.redis.pids[String(p)])).every((p) => /cluster_state:ok/.test(redisCli(p, 'cluster', 'info')));
}

function writeBouncer(state: ClusterState): string {
  const ini = path.join(state.dir, 'pgbouncer.ini');
  const users = path.join(state.dir, 'userlist.txt');
  writeFileSync(users, '"postgres" ""\n');
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=127.0.0.1 port=${state.primary.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${state.bouncer.port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${users}`,
      // Transaction pooling: a server connection belongs to a client only for one transaction, so
      // the service may keep no session state (see docs/scaling.md, "The local cluster").
      'pool_mode = transaction',
      'max_client_conn = 1000',
      'default_pool_size = 20',
      'ignore_startup_parameters = extra_float_digits,options',
      `pidfile = ${state.bouncer.pidFile}`,
      `logfile = ${path.join(state.dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  );
  const user = postgresUser();
  if (user) for (const f of [ini, users]) chownSync(f, user.uid, user.gid);
  return ini;
}

function writeHaproxy(state: ClusterState): string {
  const cfg = path.join(state.dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    [
      'global',
      '  maxconn 4096',
      `  pidfile ${state.haproxy.pidFile}`,
      'defaults',
      '  mode http',
      '  timeout connect 1s',
      '  timeout client 30s',
      '  timeout server 30s',
      '  option http-keep-alive',
      // A request that never reached an instance (connection refused: it just died) goes to another.
      '  retries 3',
      '  option redispatch 1',
      '  retry-on conn-failure empty-response',
      'frontend verdict',
      `  bind 127.0.0.1:${state.haproxy.port}`,
      '  default_backend instances',
      'backend instances',
      '  balance roundrobin',
      '  option httpchk GET /readyz',
      '  http-check expect status 200',
      '  default-server inter 500ms fall 2 rise 2',
      ...state.instances.map((inst, i) => `  server v${i + 1} 127.0.0.1:${inst.port} check`),
      '',
    ].join('\n'),
  );
  return cfg;
}

const ready = (url: string) => fetch(`${url}/readyz`).then((r) => r.status === 200, () => false);

/** Start Verdict instance i (again, after a kill): same port, same environment. */
export async function startInstance(state: ClusterState, i: number): Promise<void> {
  const inst = state.instances[i];
  const fd = openSync(inst.log, 'a');
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, ...state.env, PORT: String(inst.port) },
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  child.unref();
  inst.pid = child.pid!;
  let exited = false;
  child.once('exit', () => (exited = true));
  const tail = () => readFileSync(inst.log, 'utf8').slice(-2000);
  try {
    await until(`Verdict instance ${i + 1} was not ready`, async () => {
      if (exited || !isAlive(inst.pid)) throw new GiveUp(`Verdict instance ${i + 1} exited`);
      return ready(inst.url);
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}; its log (${inst.log}):\n${tail()}`);
  }
}

export const stateFile = (dir: string) => path.join(dir, 'cluster.json');

export function saveState(state: ClusterState): void {
  writeFileSync(stateFile(state.dir), JSON.stringify(state, null, 2));
}

export function loadState(dir: string): ClusterState {
  return JSON.parse(readFileSync(stateFile(dir), 'utf8')) as ClusterState;
}

export async function clusterUp(options: UpOptions): Promise<ClusterState> {
  const log = options.log ?? (() => undefined);
  const count = options.instances ?? 3;
  const dir = path.resolve(options.dir);
  if (existsSync(stateFile(dir))) throw new Error(`${stateFile(dir)} exists: a cluster runs there (npm run cluster:down first)`);
  mkdirSync(dir, { recursive: true });
  const user = postgresUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const [r1, r2, r3, r4, r5, r6, pgP, pgR, bouncer, haproxy, ...inst] = await ports(10 + count, 6);
  const redisPorts = [r1, r2, r3, r4, r5, r6];
  const state: ClusterState = {
    dir,
    adminKey: ADMIN_KEY,
    primary: { port: pgP, url: `postgres://postgres@127.0.0.1:${pgP}/verdict`, data: path.join(dir, 'pg-primary') },
    replica: { port: pgR, url: `postgres://postgres@127.0.0.1:${pgR}/verdict`, data: path.join(dir, 'pg-replica') },
    bouncer: { port: bouncer, url: `postgres://postgres@127.0.0.1:${bouncer}/verdict`, pidFile: path.join(dir, 'pgbouncer.pid') },
    redis: { ports: redisPorts, nodes: redisPorts.map((p) => `127.0.0.1:${p}`).join(','), pids: {} },
    instances: inst.map((port, i) => ({ port, url: `http://127.0.0.1:${port}`, pid: 0, log: path.join(dir, `verdict-${i + 1}.log`) })),
    env: {},
    haproxy: { port: haproxy, url: `http://127.0.0.1:${haproxy}`, pidFile: path.join(dir, 'haproxy.pid') },
  };
  state.env = {
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    VERDICT_ADMIN_KEY: ADMIN_KEY,
    DATABASE_URL: state.bouncer.url,
    DATABASE_REPLICA_URL: state.replica.url,
    REDIS_CLUSTER_NODES: state.redis.nodes,
    REDIS_URL: '',
    ...options.env,
  };
  saveState(state);
  try {
    log(`PostgreSQL primary on ${pgP}`);
    run(path.join(PG_BIN, 'initdb'), ['-D', state.primary.data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], asPostgres(dir));
    startPostgres(state, 'primary');
    psql(`postgres://postgres@127.0.0.1:${pgP}/postgres`, 'CREATE DATABASE verdict');
    log(`PostgreSQL streaming replica on ${pgR} (pg_basebackup)`);
    run(path.join(PG_BIN, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(pgP), '-U', 'postgres', '-D', state.replica.data, '-R', '-X', 'stream', '-c', 'fast'], asPostgres(dir));
    startPostgres(state, 'replica');
    log(`pgbouncer (transaction pooling) on ${bouncer}`);
    run('pgbouncer', ['-d', '-q', writeBouncer(state)], asPostgres(dir));
    await until('pgbouncer did not accept connections', () => psql(state.bouncer.url, 'SELECT 1') === '1', 20_000);
    log(`Redis Cluster on ${redisPorts.join(', ')}`);
    for (const port of redisPorts) startRedisNode(state, port);
    await redisPids(state);
    saveState(state);
    await until('Redis nodes did not answer', () => redisPorts.every((p) => redisCli(p, 'ping') === 'PONG'), 20_000);
    run('redis-cli', ['--cluster', 'create', ...redisPorts.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes']);
    await until('Redis Cluster did not reach cluster_state:ok', () => redisClusterOk(state), 30_000);
    // Every replica attached to its master (a failover needs one).
    await until('Redis Cluster replicas did not attach', () => redisMasters(state).length === 3 && redisCli(redisPorts[0], 'cluster', 'nodes').split('\n').filter((l) => /slave/.test(l)).length === 3, 30_000);
    log(`Verdict instances on ${inst.join(', ')}`);
    await Promise.all(state.instances.map((_, i) => startInstance(state, i)));
    saveState(state);
    log(`HAProxy on ${haproxy}`);
    run('haproxy', ['-D', '-f', writeHaproxy(state)]);
    await until('HAProxy did not route to a ready instance', () => ready(state.haproxy.url), 20_000);
    saveState(state);
    return state;
  } catch (err) {
    await clusterDown(state).catch(() => undefined);
    throw err;
  }
}

/** Stops everything the state names, each by its own PID; then removes the directory unless `keep`. */
export async function clusterDown(state: ClusterState, options: { keep?: boolean; log?: (message: string) => void } = {}): Promise<void> {
  const log = options.log ?? (() => undefined);
  log('HAProxy');
  await stopPid(readPid(state.haproxy.pidFile));
  log('Verdict instances');
  await Promise.all(state.instances.map((i) => stopPid(i.pid)));
  log('Redis Cluster');
  await Promise.all(Object.values(state.redis.pids).map((pid) => killPid(pid)));
  log('pgbouncer');
  await stopPid(readPid(state.bouncer.pidFile));
  log('PostgreSQL replica and primary');
  for (const which of ['replica', 'primary'] as const) {
    try {
      stopPostgres(state, which);
    } catch {
      const pid = readPid(path.join(state[which].data, 'postmaster.pid'));
      await killPid(pid);
    }
  }
  if (!options.keep) rmSync(state.dir, { recursive: true, force: true });
  else rmSync(stateFile(state.dir), { force: true });
}
