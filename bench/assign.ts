import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { havePrivateRedis, startPrivateRedis, type PrivateServer } from '../test/helpers/private-servers';
import { freePort, load, machine, reachable, startAssignExperiments, startProcess, stopProcess, waitFor, type LoadResult } from './lib';

/**
 * npm run bench:assign: POST /v1/assign under load (one unit with attributes per request,
 * 5 running experiments, exposures on), and in the same run the two ceilings on this
 * machine: a bare node:http server and a bare express app that parse the same body and
 * answer a fixed body of the same size. Verdict runs on the embedded default and, when
 * reachable, on PostgreSQL + Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL; defaults to the
 * local servers), in two traffic mixes:
 *   returning visitors: unit ids from 1,000 visitors, whose exposures are already recorded
 *     after the warm-up (the storefront's steady state: every page view is assigned and
 *     checked against the recorded exposures, nothing new to write);
 *   new visitors: every request a unit never seen, so each writes 5 first exposures.
 * With the servers, also "PostgreSQL + Redis down": the same on a private Redis that is
 * killed (SIGKILL) after the returning visitors' warm-up, so both mixes are measured with
 * Redis down (assignment skips it; marks wait in memory).
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const PG = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN = 'bench-admin-key-0123456789';
const MAIN = path.resolve(__dirname, '../src/main.js');
const BASELINES = path.resolve(__dirname, 'baselines.js');

interface Mix {
  name: string;
  luaBody: string;
  jsBody: () => string;
}

const lua = (unitExpr: string) =>
  `string.format('{"unitId":"%s","attributes":{"device":"%s","channel":"email","lifecycle":"returning"}}', ${unitExpr}, (math.random() < 0.6) and "mobile" or "desktop")`;
const js = (unit: () => string) => () =>
  JSON.stringify({ unitId: unit(), attributes: { device: Math.random() < 0.6 ? 'mobile' : 'desktop', channel: 'email', lifecycle: 'returning' } });

let counter = 0;
const RETURNING: Mix = {
  name: 'returning visitors',
  luaBody: lua('"visitor-" .. math.random(1, 1000)'),
  jsBody: js(() => `visitor-${1 + Math.floor(Math.random() * 1000)}`),
};
const NEW: Mix = {
  name: 'new visitors',
  luaBody: lua('"new-" .. tostring(math.random(1, 2147483647)) .. "-" .. tostring(math.random(1, 2147483647))'),
  jsBody: js(() => `new-${process.pid}-${++counter}`),
};

async function setUpExperiments(url: string) {
  await startAssignExperiments(url, ADMIN, 'bench');
  const h = { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' };
  const res = await fetch(`${url}/v1/assign`, { method: 'POST', headers: h, body: RETURNING.jsBody() });
  return (await res.text()).length;
}

/** Verdict in its own process: both traffic mixes, each after a warm-up of its own (`afterWarmUp` runs after the first one). */
async function measureVerdict(env: NodeJS.ProcessEnv, afterWarmUp?: () => Promise<void>): Promise<{ results: Map<Mix, LoadResult>; bytes: number }> {
  const port = await freePort();
  const child = startProcess([MAIN], { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', VERDICT_ADMIN_KEY: ADMIN, ...env });
  try {
    await waitFor(`http://127.0.0.1:${port}/readyz`);
    const bytes = await setUpExperiments(`http://127.0.0.1:${port}`);
    const url = `http://127.0.0.1:${port}/v1/assign`;
    const headers = { Authorization: `Bearer ${ADMIN}` };
    const results = new Map<Mix, LoadResult>();
    for (const mix of [RETURNING, NEW]) {
      await load({ url, headers, ...mix, seconds: 3, connections: CONNECTIONS }); // warm up (and record the returning visitors)
      if (mix === RETURNING) await afterWarmUp?.();
      results.set(mix, await load({ url, headers, ...mix, seconds: SECONDS, connections: CONNECTIONS }));
    }
    return { results, bytes };
  } finally {
    await stopProcess(child);
  }
}

async function measureBaseline(mode: 'http' | 'express', bytes: number): Promise<LoadResult> {
  const port = await freePort();
  const child = startProcess([BASELINES, mode, String(port), String(bytes)]);
  try {
    await waitFor(`http://127.0.0.1:${port}/`);
    const url = `http://127.0.0.1:${port}/v1/assign`;
    await load({ url, headers: {}, ...RETURNING, seconds: 2, connections: CONNECTIONS });
    return await load({ url, headers: {}, ...RETURNING, seconds: SECONDS, connections: CONNECTIONS });
  } finally {
    await stopProcess(child);
  }
}

async function round(withServers: boolean): Promise<{ target: string; r: LoadResult }[]> {
  const rows: { target: string; r: LoadResult }[] = [];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'verdict-bench-'));
  const embedded = await measureVerdict({ DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '' });
  rmSync(dataDir, { recursive: true, force: true });
  rows.push({ target: 'bare node:http', r: await measureBaseline('http', embedded.bytes) });
  rows.push({ target: 'bare express 5', r: await measureBaseline('express', embedded.bytes) });
  for (const [mix, r] of embedded.results) rows.push({ target: `verdict, embedded (PGlite + in-process cache), ${mix.name}`, r });
  if (withServers) {
    const admin = new Client({ connectionString: PG });
    await admin.connect();
    const names: string[] = [];
    const database = async () => {
      const name = `verdict_bench_${process.pid}_${Date.now()}_${names.length}`;
      await admin.query(`CREATE DATABASE ${name}`);
      names.push(name);
      const url = new URL(PG);
      url.pathname = `/${name}`;
      return { name, url: url.toString() };
    };
    let redis: PrivateServer | undefined;
    try {
      const up = await database();
      const servers = await measureVerdict({ DATABASE_URL: up.url, REDIS_URL: REDIS, REDIS_PREFIX: `${up.name}:` });
      for (const [mix, r] of servers.results) rows.push({ target: `verdict, PostgreSQL + Redis up, ${mix.name}`, r });
      if (havePrivateRedis()) {
        const down = await database();
        const privateRedis = (redis = await startPrivateRedis());
        const outage = await measureVerdict({ DATABASE_URL: down.url, REDIS_URL: privateRedis.url, REDIS_PREFIX: 'bench:' }, () => privateRedis.kill());
        for (const [mix, r] of outage.results) rows.push({ target: `verdict, PostgreSQL + Redis down, ${mix.name}`, r });
      }
    } finally {
      await redis?.close();
      for (const name of names) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  }
  return rows;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  console.error(`bench:assign: ${rounds} rounds, ${SECONDS} s per target, ${CONNECTIONS} connections`);
  const withServers = (await reachable(PG)) && (await reachable(REDIS));
  if (!withServers) console.error('  PostgreSQL or Redis not reachable: measuring the embedded default only');
  const all: { target: string; r: LoadResult }[][] = [];
  for (let i = 0; i < rounds; i++) {
    all.push(await round(withServers));
    console.error(`  round ${i + 1} of ${rounds} done`);
  }
  // Every target is measured once per round, rounds interleaved; report each target's median
  // round, and the ratio within each round (the machine's speed drifts between rounds).
  const rows = all[0].map(({ target }, t) => {
    const per = all.map((rs) => rs[t].r);
    const ratios = all.map((rs) => rs[t].r.requestsPerSecond / rs[0].r.requestsPerSecond);
    return {
      target,
      r: {
        requestsPerSecond: median(per.map((r) => r.requestsPerSecond)),
        p50ms: median(per.map((r) => r.p50ms)),
        p99ms: median(per.map((r) => r.p99ms)),
        errors: per.reduce((a, r) => a + r.errors, 0),
        tool: per[0].tool,
      },
      ratio: median(ratios),
      ratios,
    };
  });
  console.log(`\nPOST /v1/assign, ${new Date().toISOString().slice(0, 10)}, ${machine()}`);
  console.log(`load: ${rows[0].r.tool}, ${CONNECTIONS} connections, ${SECONDS} s per target after a warm-up, ${rounds} interleaved rounds (medians); 5 running experiments, exposures on\n`);
  console.log('| target | requests/s | vs bare node:http (median; each round) | p50 | p99 | errors |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const { target, r, ratio, ratios } of rows) {
    const each = ratios.map((x) => `${(100 * x).toFixed(0)}`).join(', ');
    console.log(`| ${target} | ${Math.round(r.requestsPerSecond).toLocaleString('en')} | ${(100 * ratio).toFixed(0)} % (${each}) | ${r.p50ms.toFixed(2)} ms | ${r.p99ms.toFixed(2)} ms | ${r.errors} |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
