import http from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clusterDown, clusterUp, type ClusterState } from './cluster/topology';

/**
 * `npm run bench:soak` (issue 20, item 5): the local cluster (bench/cluster/topology.ts: HAProxy
 * over three instances, pgbouncer, primary + replica, Redis Cluster), then
 *   1. the maximum: closed-loop mixed load (80 % POST /v1/assign, 20 % POST /v1/events batches of
 *      EVENTS_PER_BATCH) through HAProxy for MAX_SECONDS;
 *   2. the soak: the same mix, open loop, at 70 % of that maximum for SOAK_SECONDS (default 300):
 *      errors, p50/p99 per minute, each instance's RSS (from /proc) after the first minute
 *      (warm-up) and at the end;
 *   3. 1 vs 3 instances: ingestion (event batches) and results (GET .../results) throughput,
 *      closed loop for PHASE_SECONDS, straight to one instance vs through HAProxy to three.
 * The load generator runs on the same machine (it takes CPU from the servers: the ratios within
 * one run are what to compare). Writes bench/results/soak.json and prints a summary.
 */
const SOAK_SECONDS = Number(process.env.SOAK_SECONDS || 300);
const MAX_SECONDS = Number(process.env.MAX_SECONDS || 20);
const PHASE_SECONDS = Number(process.env.PHASE_SECONDS || 15);
const CONNECTIONS = Number(process.env.CONNECTIONS || 32);
const EVENTS_PER_BATCH = 20;
const EXPERIMENT = 'soak-hero';

interface Sample {
  ms: number;
  ok: boolean;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

function client(base: string, key: string) {
  const url = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const request = (method: string, route: string, body?: unknown) =>
    new Promise<{ status: number; ms: number }>((resolve) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const began = performance.now();
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: route,
          method,
          agent,
          timeout: 10_000,
          headers: { Authorization: `Bearer ${key}`, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - began }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve({ status: 0, ms: performance.now() - began }));
      req.end(payload);
    });
  return { request, close: () => agent.destroy() };
}

let unitSeq = 0;
let eventSeq = 0;
const runId = Date.now().toString(36);

/** One request of the mix: 4 in 5 an assign (returning and new units), 1 in 5 an event batch. */
function mixed(i: number): { method: string; route: string; body: unknown } {
  if (i % 5 === 4) return { method: 'POST', route: '/v1/events', body: eventBatch() };
  const unitId = i % 2 === 0 ? `u-${runId}-${unitSeq++}` : `u-${runId}-${Math.floor(Math.random() * Math.max(1, unitSeq))}`;
  return { method: 'POST', route: '/v1/assign', body: { unitId, attributes: { device: i % 3 === 0 ? 'mobile' : 'desktop' } } };
}

function eventBatch() {
  return {
    events: Array.from({ length: EVENTS_PER_BATCH }, () => ({
      type: 'conversion',
      eventId: `e-${runId}-${eventSeq++}`,
      unitId: `u-${runId}-${Math.floor(Math.random() * Math.max(1, unitSeq))}`,
      event: 'purchase',
      value: 20,
    })),
  };
}

/** Closed loop: CONNECTIONS requests always in flight for `seconds`. */
async function closedLoop(base: string, key: string, seconds: number, next: (i: number) => { method: string; route: string; body?: unknown }) {
  const c = client(base, key);
  const samples: Sample[] = [];
  const end = Date.now() + seconds * 1000;
  let i = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < end) {
        const r = next(i++);
        const res = await c.request(r.method, r.route, r.body);
        samples.push({ ms: res.ms, ok: res.status >= 200 && res.status < 300 });
      }
    }),
  );
  c.close();
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  return { perSecond: Math.round(samples.length / seconds), errors: samples.filter((s) => !s.ok).length, p50ms: round(percentile(sorted, 50)), p99ms: round(percentile(sorted, 99)), requests: samples.length };
}

const round = (n: number) => Math.round(n * 10) / 10;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** Open loop at `rate` requests a second for `seconds`: latency per minute, errors, RSS. */
async function soak(state: ClusterState, rate: number, seconds: number) {
  const c = client(state.haproxy.url, state.adminKey);
  const minutes: Sample[][] = [];
  const rss: { at: number; mb: number[] }[] = [];
  const began = Date.now();
  const pids = state.instances.map((i) => i.pid);
  const sampleRss = () => rss.push({ at: Math.round((Date.now() - began) / 1000), mb: pids.map(rssMb) });
  sampleRss();
  const rssTimer = setInterval(sampleRss, 10_000);
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  const intervalMs = 1000 / rate;
  while (Date.now() - began < seconds * 1000) {
    const due = Math.floor((Date.now() - began) / intervalMs);
    while (sent < due) {
      const r = mixed(sent++);
      const minute = Math.floor((Date.now() - began) / 60_000);
      const p = c.request(r.method, r.route, r.body).then((res) => {
        (minutes[minute] ??= []).push({ ms: res.ms, ok: res.status >= 200 && res.status < 300 });
        inFlight.delete(p);
      });
      inFlight.add(p);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(inFlight);
  clearInterval(rssTimer);
  sampleRss();
  c.close();
  const perMinute = minutes.map((m, i) => {
    const sorted = m.map((s) => s.ms).sort((a, b) => a - b);
    return { minute: i + 1, requests: m.length, errors: m.filter((s) => !s.ok).length, p50ms: round(percentile(sorted, 50)), p99ms: round(percentile(sorted, 99)) };
  });
  const warm = rss.find((r) => r.at >= Math.min(60, seconds / 3)) ?? rss[0];
  const last = rss[rss.length - 1];
  const growth = warm.mb.map((mb, i) => round(((last.mb[i] - mb) / mb) * 100));
  return { rate, seconds, sent, errors: perMinute.reduce((a, m) => a + m.errors, 0), perMinute, rssAfterWarmupMb: warm.mb, rssEndMb: last.mb, rssGrowthPercent: growth, rssSamples: rss };
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'verdict-soak-'));
  console.log(`starting the local cluster in ${dir} ...`);
  // Results computed on every read (no per-version reuse): the results figures measure the read path.
  const state = await clusterUp({ dir, env: { RESULTS_CACHE_SECONDS: '0' }, log: (m) => console.log(`  ${m}`) });
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), loadAverageAtStart: os.loadavg().map(round), node: process.version };
  try {
    const admin = client(state.haproxy.url, state.adminKey);
    const create = await admin.request('POST', '/v1/experiments', {
      key: EXPERIMENT,
      name: 'Soak',
      hypothesis: 'Load does not change the answers.',
      tactic: 'soak',
      variants: [
        { key: 'control', name: 'Control', weight: 1, control: true },
        { key: 'personalized', name: 'Personalized', weight: 1 },
      ],
      metrics: [
        { key: 'purchase', type: 'binary', role: 'primary' },
        { key: 'revenue', type: 'revenue', event: 'purchase' },
      ],
      segments: ['device'],
    });
    if (create.status !== 201) throw new Error(`create: ${create.status}`);
    await admin.request('POST', `/v1/experiments/${EXPERIMENT}/start`);
    admin.close();
    await new Promise((r) => setTimeout(r, 1500)); // every instance serves it (pub/sub)

    console.log(`maximum: closed loop, ${CONNECTIONS} connections, ${MAX_SECONDS} s ...`);
    const max = await closedLoop(state.haproxy.url, state.adminKey, MAX_SECONDS, mixed);
    console.log(`  ${max.perSecond} req/s, p99 ${max.p99ms} ms, ${max.errors} errors`);
    const rate = Math.max(1, Math.round(max.perSecond * 0.7));
    console.log(`soak: ${rate} req/s (70 %) for ${SOAK_SECONDS} s ...`);
    const soaked = await soak(state, rate, SOAK_SECONDS);
    for (const m of soaked.perMinute) console.log(`  minute ${m.minute}: ${m.requests} requests, ${m.errors} errors, p50 ${m.p50ms} ms, p99 ${m.p99ms} ms`);
    console.log(`  RSS after warm-up ${soaked.rssAfterWarmupMb.join(' / ')} MB, at the end ${soaked.rssEndMb.join(' / ')} MB (growth ${soaked.rssGrowthPercent.join(' / ')} %)`);

    const scaling: Record<string, unknown> = {};
    for (const [label, base] of [['1 instance', state.instances[0].url], ['3 instances (HAProxy)', state.haproxy.url]] as const) {
      const ingestion = await closedLoop(base, state.adminKey, PHASE_SECONDS, () => ({ method: 'POST', route: '/v1/events', body: eventBatch() }));
      const results = await closedLoop(base, state.adminKey, PHASE_SECONDS, () => ({ method: 'GET', route: `/v1/experiments/${EXPERIMENT}/results` }));
      scaling[label] = { ingestionEventsPerSecond: ingestion.perSecond * EVENTS_PER_BATCH, ingestion, resultsPerSecond: results.perSecond, results };
      console.log(`  ${label}: ingestion ${ingestion.perSecond * EVENTS_PER_BATCH} events/s (${ingestion.errors} errors), results ${results.perSecond}/s (p99 ${results.p99ms} ms, ${results.errors} errors)`);
    }
    const out = { date: new Date().toISOString(), machine: { ...machine, loadAverageAtEnd: os.loadavg().map(round) }, connections: CONNECTIONS, eventsPerBatch: EVENTS_PER_BATCH, max, soak: soaked, scaling };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/soak.json', JSON.stringify(out, null, 2));
    console.log('written: bench/results/soak.json');
  } finally {
    await clusterDown(state);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
