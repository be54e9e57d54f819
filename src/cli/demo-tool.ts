import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bakery, DEFAULT_DAYS, DEFAULT_SEED, DEFAULT_VISITORS, STORY } from '../demo/bakery';
import { readReport } from '../demo/report';
import { runScenario, type Progress } from '../demo/runner';
import { summaryLines } from '../demo/summary';
import { loadMigrations, migrate } from '../store/migrate';
import { openPglite } from '../store/pglite';

/**
 * `npm run demo`: "The Daily Crumb" bakery's personalization programme, simulated through the
 * public HTTP API. With no --url it starts Verdict on the embedded default (PGlite, in-process
 * cache) in a fresh temporary data directory, with the demo clock on; with --url/--key it plays
 * against a running service (started with VERDICT_DEMO_CLOCK=1). Prints a progress bar, then
 * the summary, the elapsed time and events per second.
 */
const USAGE = `usage: npm run demo -- [--url URL --key ADMIN_KEY] [--seed N] [--customers N] [--days N] [--keep] [--port N]

  --url, --key   play against a running Verdict (started with VERDICT_DEMO_CLOCK=1) with an admin key;
                 default: start one on the embedded database in a fresh temporary directory
  --seed N       the simulation's seed (default ${DEFAULT_SEED}): the same seed, the same numbers
  --customers N  customers over the whole run (default ${DEFAULT_VISITORS.toLocaleString('en-US')}; the issue's full
                 scale is --customers 200000, see BENCHMARKS.md); --visitors is the same
  --days N       simulated days (default ${DEFAULT_DAYS})
  --keep         leave the embedded service running afterwards, to look around (Ctrl-C stops it)
  --port N       the embedded service's port (default 8080 if free, else any free port)
`;

/** The marketer's dashboard (docs/dashboard.md); it asks for a read or admin key. */
const DASHBOARD_PATH = '/dashboard';

function fail(message: string): never {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(2);
}

function positiveInt(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, got "${raw}"`);
  return n;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function anyPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface Embedded {
  url: string;
  adminKey: string;
  dataDir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * A fresh embedded database runs initdb and the migrations, which takes seconds. The demo
 * starts from a copy of a migrated, empty data directory instead, built on the first run and
 * kept in the OS temp directory per set of migrations (as the tests do).
 */
async function migratedTemplate(): Promise<string> {
  const hash = createHash('sha256');
  for (const m of loadMigrations()) hash.update(`${m.version}:${m.checksum}\n`);
  const dir = path.join(os.tmpdir(), `verdict-demo-template-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(dir)) return dir;
  const building = mkdtempSync(`${dir}.building-`);
  const db = await openPglite({ dataDir: building });
  await migrate(db);
  await db.close();
  try {
    renameSync(building, dir);
  } catch {
    rmSync(building, { recursive: true, force: true }); // another run finished first
  }
  return dir;
}

/** Verdict as `npm start` runs it, in a fresh data directory, with the demo clock on. */
async function startEmbedded(port: number | undefined): Promise<Embedded> {
  const chosen = port ?? ((await portFree(8080)) ? 8080 : await anyPort());
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'verdict-demo-'));
  cpSync(await migratedTemplate(), dataDir, { recursive: true });
  const adminKey = `demo-admin-${randomBytes(12).toString('hex')}`;
  const main = path.resolve(__dirname, '..', 'main.js');
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: String(chosen), HOST: '127.0.0.1', DATA_DIR: dataDir, VERDICT_DEMO_CLOCK: '1', VERDICT_ADMIN_KEY: adminKey, LOG_LEVEL: 'error', DATABASE_URL: '', REDIS_URL: '', REDIS_CLUSTER_NODES: '', DATABASE_REPLICA_URL: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Never leave the server behind: whatever ends this process ends it too.
  process.once('exit', () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  const url = `http://127.0.0.1:${chosen}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await Promise.race([exited.then(() => 'exited' as const), fetch(`${url}/readyz`).then((r) => (r.ok ? 'ready' : 'wait'), () => 'wait' as const)]);
    if (state === 'ready') break;
    if (state === 'exited') throw new Error(`the embedded Verdict stopped at start:\n${stderr.trim()}`);
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`the embedded Verdict was not ready within 60 s:\n${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    adminKey,
    dataDir,
    child,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function progressBar(p: Progress, started: number): string {
  const width = 28;
  const done = Math.round((p.day / p.days) * width);
  const seconds = (Date.now() - started) / 1000;
  return `[${'#'.repeat(done)}${'.'.repeat(width - done)}] day ${String(p.day).padStart(2)}/${p.days}  ${fmt(p.visitors)} visitors  ${fmt(p.events)} events  ${seconds.toFixed(1)} s`;
}

async function main() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      key: { type: 'string' },
      seed: { type: 'string' },
      customers: { type: 'string' },
      visitors: { type: 'string' },
      days: { type: 'string' },
      port: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.url && !values.key) fail('--url needs --key, an admin key of that service');
  if (values.key && !values.url) fail('--key goes with --url');
  if (values.keep && values.url) fail('--keep is for the embedded service (the one at --url keeps running anyway)');
  const seed = positiveInt(values.seed, 'seed', DEFAULT_SEED);
  if (values.customers !== undefined && values.visitors !== undefined) fail('--customers and --visitors are the same: give one');
  const visitors = values.customers !== undefined ? positiveInt(values.customers, 'customers', DEFAULT_VISITORS) : positiveInt(values.visitors, 'visitors', DEFAULT_VISITORS);
  const days = positiveInt(values.days, 'days', DEFAULT_DAYS);
  const port = values.port === undefined ? undefined : positiveInt(values.port, 'port', 8080);
  const scenario = bakery({ seed, visitors, days });

  const started = Date.now();
  const out = process.stdout;
  out.write(`The Daily Crumb: ${new Set(scenario.experiments.map((x) => x.definition.tactic)).size} personalization tactics, ${scenario.experiments.length} experiments, ${days} simulated days, ${fmt(visitors)} customers (seed ${seed})\n`);
  const embedded = values.url ? null : await startEmbedded(port);
  const url = values.url ?? embedded!.url;
  const adminKey = values.key ?? embedded!.adminKey;
  out.write(embedded ? `Verdict on the embedded default at ${url}, ready in ${((Date.now() - started) / 1000).toFixed(1)} s (fresh data in ${embedded.dataDir}, demo clock on)\n` : `Verdict at ${url}\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await embedded?.stop();
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => void stop().then(() => process.exit(130)));
  process.stdout.on('error', () => void stop().then(() => process.exit(1)));
  try {
    const tty = process.stderr.isTTY;
    const run = await runScenario({ url, adminKey }, scenario, {
      onProgress: (p) => {
        if (tty) process.stderr.write(`\r${progressBar(p, started)}`);
        else if (p.day % 7 === 0 || p.day === p.days) process.stderr.write(`${progressBar(p, started)}\n`);
      },
    });
    if (tty) process.stderr.write('\n');
    const report = await readReport(url, run.readKey, scenario);
    const seconds = (Date.now() - started) / 1000;
    out.write('\n' + summaryLines(report, STORY).join('\n') + '\n\n');
    out.write(
      `${fmt(run.visitors)} customers, ${fmt(run.assigns)} assignments and ${fmt(run.events)} events in ${seconds.toFixed(1)} s ` +
        `(${fmt(run.events / seconds)} events/s, ${fmt((run.assigns + run.events) / seconds)} assignments and events/s), all through the HTTP API; ` +
        `${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}.\n`,
    );
    out.write(`Each decision's reasons: GET ${url}/v1/experiments/<key>/decision; per tactic: GET ${url}/v1/tactics/<tactic>.\n`);
    out.write(
      embedded && !values.keep
        ? `The dashboard shows the same at ${url}${DASHBOARD_PATH}: run with --keep to leave the service running and look around.\n`
        : embedded
          ? ''
          : `Dashboard: ${url}${DASHBOARD_PATH} (sign in with a read key; this run made one: ${run.readKey}).\n`,
    );
    if (values.keep && embedded) {
      out.write(
        `\nStill running at ${url} (Ctrl-C stops it and deletes its data).\n` +
          `  Dashboard: ${url}${DASHBOARD_PATH} (sign in with the read or the admin key)\n` +
          `  API docs:  ${url}/docs\n  Admin key: ${adminKey}\n  Read key:  ${run.readKey}\n`,
      );
      await new Promise<void>((resolve) => embedded.child.once('exit', () => resolve()));
    }
  } finally {
    if (!values.keep) await stop();
  }
}

main().catch((err) => {
  process.stderr.write(`\ndemo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
