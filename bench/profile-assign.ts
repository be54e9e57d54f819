import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_ADMIN_KEY, freePort, load, machine, startAssignExperiments, startProcess, stopProcess, waitFor } from './lib';

/**
 * node dist/bench/profile-assign.js [returning|new]: where POST /v1/assign spends its CPU
 * beyond a bare node:http server. Starts Verdict (embedded default, or DATABASE_URL /
 * REDIS_URL from the environment) under `node --cpu-prof`, creates the 5 experiments of
 * bench:assign, warms up, drives one traffic mix for BENCH_SECONDS (default 10) at
 * BENCH_CONNECTIONS (default 32), stops the server and reads its main thread's profile:
 * self time grouped by where the code lives (Verdict's modules, each dependency, Node's
 * internals, GC, idle), and the heaviest functions.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const MAIN = path.resolve(__dirname, '../src/main.js');
const mix = process.argv[2] === 'new' ? 'new' : 'returning';

let counter = 0;
const body = () =>
  JSON.stringify({
    unitId: mix === 'new' ? `new-${process.pid}-${++counter}` : `visitor-${1 + Math.floor(Math.random() * 1000)}`,
    attributes: { device: Math.random() < 0.6 ? 'mobile' : 'desktop', channel: 'email', lifecycle: 'returning' },
  });

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  startTime: number;
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

function where(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)') return '(program: native, not attributed)';
  if (!url) return `native: ${fn || '(anonymous)'}`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return `dep: ${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith('node:')) return `node: ${url.slice(5).split('/')[0]}`;
  const src = url.indexOf('/dist/src/');
  if (src >= 0) return `verdict: ${url.slice(src + 10)}`;
  return url;
}

/** Self time per function over the samples taken between `from` and `to` (µs on the monotonic clock V8 and process.hrtime share). */
function summarize(file: string, from: number, to: number) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  let total = 0;
  let t = p.startTime;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (t < from || t > to) return;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const groups = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const g = where(n.callFrame.url, n.callFrame.functionName);
    groups.set(g, (groups.get(g) ?? 0) + us);
    const caller = byId.get(parent.get(id) ?? -1);
    const via = caller ? ` <- ${caller.callFrame.functionName || '(anonymous)'} (${where(caller.callFrame.url, caller.callFrame.functionName)})` : '';
    const f = `${n.callFrame.functionName || '(anonymous)'} ${g.startsWith('native') ? '' : `(${g}:${n.callFrame.lineNumber + 1})`}${g.startsWith('native') || g === 'GC' ? via : ''}`;
    fns.set(f, (fns.get(f) ?? 0) + us);
  }
  const idle = groups.get('idle') ?? 0;
  const busy = total - idle;
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1)} %`;
  console.log(`\nmain thread: ${(total / 1e6).toFixed(1)} s profiled during the load, ${(busy / 1e6).toFixed(1)} s busy (shares below are of busy time)\n`);
  console.log('| where | self time | share of busy |');
  console.log('| --- | ---: | ---: |');
  for (const [g, us] of [...groups].filter(([g]) => g !== 'idle').sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`| ${g} | ${(us / 1000).toFixed(0)} ms | ${pct(us)} |`);
  console.log('\nheaviest functions (self time):\n');
  for (const [f, us] of [...fns].filter(([f]) => !f.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${pct(us).padStart(7)}  ${f}`);
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'verdict-prof-'));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'verdict-prof-data-'));
  const port = await freePort();
  const child = startProcess(['--cpu-prof', '--cpu-prof-dir', dir, MAIN], {
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    VERDICT_ADMIN_KEY: BENCH_ADMIN_KEY,
    DATA_DIR: dataDir,
    DATABASE_URL: process.env.DATABASE_URL ?? '',
    REDIS_URL: process.env.REDIS_URL ?? '',
  });
  let result;
  let from = 0;
  let to = Infinity;
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitFor(`${url}/readyz`);
    await startAssignExperiments(url, BENCH_ADMIN_KEY, `prof-${process.pid}`);
    const o = { url: `${url}/v1/assign`, headers: { Authorization: `Bearer ${BENCH_ADMIN_KEY}` }, luaBody: '', jsBody: body, connections: CONNECTIONS };
    await load({ ...o, seconds: 3 });
    from = Number(process.hrtime.bigint() / 1000n);
    result = await load({ ...o, seconds: SECONDS });
    to = Number(process.hrtime.bigint() / 1000n);
  } finally {
    await stopProcess(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(`POST /v1/assign, ${mix} visitors, ${new Date().toISOString()}, ${machine()}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`${result.tool}, ${CONNECTIONS} connections, ${SECONDS} s: ${Math.round(result.requestsPerSecond)} requests/s, p50 ${result.p50ms} ms, p99 ${result.p99ms} ms, ${result.errors} errors`);
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: the main thread is thread 0 (the PGlite worker's is separate).
  const main = files.find((f) => f.split('.')[4] === '0') ?? files[0];
  summarize(path.join(dir, main), from, to);
  if (!process.env.BENCH_KEEP_PROFILE) rmSync(dir, { recursive: true, force: true });
  else console.log(`\nprofiles kept in ${dir}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
