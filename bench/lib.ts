import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** Shared by the benchmarks: processes to measure, and the load generator (wrk, else autocannon). */

// One free-port helper for tests and benchmarks alike.
import { freePort } from '../test/helpers/private-servers';
export { freePort };

export async function waitFor(url: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await fetch(url).then((r) => r.status < 500, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

export function startProcess(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  return child;
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  tool: string;
}

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  /** A Lua expression (wrk) and a JS function (autocannon) producing the same request bodies. */
  luaBody: string;
  jsBody: () => string;
  seconds: number;
  connections: number;
}

const hasWrk = () => spawnSync('wrk', ['--version']).error === undefined;

function parseWrkMs(text: string, label: string): number {
  const m = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`).exec(text);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

export async function load(o: LoadOptions): Promise<LoadResult> {
  if (hasWrk()) {
    const u = new URL(o.url);
    const script = path.join(os.tmpdir(), `verdict-bench-${process.pid}.lua`);
    const headers = Object.entries({ ...o.headers, 'Content-Type': 'application/json' })
      .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
      .join('\n');
    writeFileSync(
      script,
      `math.randomseed(42)\nwrk.method = "POST"\n${headers}\nrequest = function()\n  return wrk.format(nil, ${JSON.stringify(u.pathname)}, nil, ${o.luaBody})\nend\n` +
        `done = function(summary, latency, requests)\n  io.write(string.format("ERRORS %d\\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))\nend\n`,
    );
    const out = execFileSync('wrk', ['-t1', `-c${o.connections}`, `-d${o.seconds}s`, '--latency', '-s', script, o.url], { encoding: 'utf8' });
    return {
      requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]),
      p50ms: parseWrkMs(out, '50%'),
      p99ms: parseWrkMs(out, '99%'),
      errors: Number(/ERRORS (\d+)/.exec(out)?.[1] ?? 0),
      tool: 'wrk',
    };
  }
  const result = await autocannon({
    url: o.url,
    method: 'POST',
    connections: o.connections,
    duration: o.seconds,
    headers: { ...o.headers, 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: o.jsBody() }) }],
  });
  return {
    requestsPerSecond: result.requests.average,
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    errors: result.errors + result.non2xx,
    tool: 'autocannon',
  };
}

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

/** Is a Postgres server reachable at this URL? */
export async function reachable(url: string | undefined): Promise<boolean> {
  if (!url) return false;
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port || (u.protocol.startsWith('redis') ? 6379 : 5432)), u.hostname);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** The admin key of benchmark servers (set through VERDICT_ADMIN_KEY). */
export const BENCH_ADMIN_KEY = 'bench-admin-key-0123456789';
const MAIN = `${__dirname}/../src/main.js`;

export interface BenchServer {
  /** http://127.0.0.1:<port> */
  base: string;
  /** Admin authorization and JSON content type, for fetch. */
  headers: Record<string, string>;
  /** A connected client on the benchmark's own database. */
  db: Client;
  /** The experiment's id in that database. */
  experimentId: number;
  /** Stops the server and drops the database (kept when BENCH_KEEP is set). */
  close(): Promise<void>;
}

/**
 * A Verdict server process on a fresh PostgreSQL database created for one benchmark, with one
 * running experiment (control vs personalized) of these metrics and segments.
 */
export async function startBenchServer(options: {
  pg: string;
  name: string;
  experiment: { key: string; name: string; metrics: unknown[]; segments: string[] };
  env?: NodeJS.ProcessEnv;
  nodeArgs?: string[];
}): Promise<BenchServer> {
  const { pg, name, experiment } = options;
  const admin = new Client({ connectionString: pg });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(pg);
  url.pathname = `/${name}`;
  const port = await freePort();
  const env = { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', VERDICT_ADMIN_KEY: BENCH_ADMIN_KEY, DATABASE_URL: url.toString(), REDIS_URL: '', ...options.env };
  const server = startProcess([...(options.nodeArgs ?? []), MAIN], env);
  const db = new Client({ connectionString: url.toString() });
  const close = async () => {
    await db.end().catch(() => undefined);
    await stopProcess(server);
    if (process.env.BENCH_KEEP) console.error(`kept database ${name}`);
    else await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  };
  try {
    const base = `http://127.0.0.1:${port}`;
    const headers = { Authorization: `Bearer ${BENCH_ADMIN_KEY}`, 'Content-Type': 'application/json' };
    await waitFor(`${base}/readyz`);
    const body = {
      tactic: 'bench',
      variants: [
        { key: 'control', name: 'Control', weight: 1, control: true },
        { key: 'personalized', name: 'Personalized', weight: 1 },
      ],
      ...experiment,
    };
    for (const [path, init] of [
      ['/v1/experiments', { method: 'POST', headers, body: JSON.stringify(body) }],
      [`/v1/experiments/${experiment.key}/start`, { method: 'POST', headers }],
    ] as const) {
      const res = await fetch(base + path, init);
      if (!res.ok) throw new Error(`${init.method} ${path} -> ${res.status} ${await res.text()}`);
    }
    await db.connect();
    const { rows } = await db.query<{ id: number }>('SELECT id FROM experiments WHERE key = $1', [experiment.key]);
    return { base, headers, db, experimentId: rows[0].id, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Writes `rows` lines (tab-separated, newline-ended) into `table` with COPY, `chunk` lines per push. */
export async function copyRows(client: Client, table: string, rows: number, line: (i: number) => string, chunk = 10_000): Promise<void> {
  let i = 0;
  const source = new Readable({
    read() {
      let text = '';
      for (let k = 0; k < chunk && i < rows; k++, i++) text += line(i);
      this.push(text || null);
    },
  });
  await pipeline(source, client.query(copyFrom(`COPY ${table} FROM STDIN`)));
}

/**
 * The assign benchmarks' world: five running A/B experiments (control vs personalized, one
 * binary metric, three segment attributes), the fifth targeted on lifecycle, keyed `<prefix>-1`
 * to `<prefix>-5`, created and started through the API with an admin key.
 */
export async function startAssignExperiments(url: string, adminKey: string, prefix: string): Promise<void> {
  const h = { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' };
  for (let i = 1; i <= 5; i++) {
    const key = `${prefix}-${i}`;
    const body = {
      key,
      name: `Bench ${i}`,
      tactic: 'bench',
      variants: [
        { key: 'control', name: 'Control', weight: 1, control: true },
        { key: 'personalized', name: 'Personalized', weight: 1 },
      ],
      metrics: [{ key: 'purchase', type: 'binary', role: 'primary' }],
      segments: ['device', 'channel', 'lifecycle'],
      ...(i === 5 ? { targeting: { attribute: 'lifecycle', op: 'in', value: ['new', 'returning'] } } : {}),
    };
    await fetch(`${url}/v1/experiments`, { method: 'POST', headers: h, body: JSON.stringify(body) });
    await fetch(`${url}/v1/experiments/${key}/start`, { method: 'POST', headers: h });
  }
}
