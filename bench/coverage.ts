import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { coverageScenario } from '../src/demo/coverage';
import { api } from '../src/demo/http-client';
import { runScenario } from '../src/demo/runner';
import { freePort, startProcess, stopProcess, waitFor } from './lib';

/**
 * `npm run bench:coverage`: the full-size interval coverage simulation (test/demo/coverage.test.ts
 * runs a small one). Many experiments with known true lifts run through the HTTP API of a
 * server on the embedded default with the demo clock, once with fixed-horizon and once with
 * sequential analysis; prints the share of 95 % intervals holding the truth with its binomial
 * 99 % margin. BENCH_COVERAGE_EXPERIMENTS (default 200) and BENCH_COVERAGE_VISITORS (2000).
 */
type Comparison = { relative: { ci: [number, number] | null }; absolute: { ci: [number, number] | null } };

async function run(analysis: 'fixed' | 'sequential', k: number, visitors: number) {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'verdict-bench-coverage-'));
  const adminKey = 'bench-coverage-admin-key-0123456789';
  const child = startProcess([path.resolve(__dirname, '..', 'src', 'main.js')], {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    VERDICT_DEMO_CLOCK: '1',
    VERDICT_ADMIN_KEY: adminKey,
    LOG_LEVEL: 'error',
    DATABASE_URL: '',
    REDIS_URL: '',
  });
  const url = `http://127.0.0.1:${port}`;
  const orphan = () => child.kill('SIGTERM');
  process.once('exit', orphan);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  try {
    await waitFor(`${url}/readyz`, 120_000);
    const scenario = coverageScenario({ experiments: k, visitors, seed: 4242, analysis, prefix: `cov-${analysis}` });
    const started = Date.now();
    const result = await runScenario({ url, adminKey }, scenario, { concurrency: 24 });
    const client = api(url, 8);
    let relative = 0;
    let absolute = 0;
    for (const [key, lift] of Object.entries(scenario.truth)) {
      const res = await client.request<{ metrics: { overall: { comparisons: Comparison[] } }[] }>('GET', `/v1/experiments/${key}/results`, result.readKey);
      const c = res.metrics[0].overall.comparisons[0];
      if (c.relative.ci && c.relative.ci[0] <= lift && lift <= c.relative.ci[1]) relative++;
      if (c.absolute.ci && c.absolute.ci[0] <= 0.2 * lift && 0.2 * lift <= c.absolute.ci[1]) absolute++;
    }
    client.close();
    const margin = 2.576 * Math.sqrt((0.95 * 0.05) / k);
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    console.log(
      `${analysis.padEnd(10)} ${k} experiments x ${visitors} customers: relative ${pct(relative / k)}, absolute ${pct(absolute / k)} ` +
        `(95 % promised, binomial 99 % margin ${pct(0.95 - margin)} to ${pct(Math.min(1, 0.95 + margin))}); ${result.events} events in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  } finally {
    process.off('exit', orphan);
    await stopProcess(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  const k = Number(process.env.BENCH_COVERAGE_EXPERIMENTS ?? 200);
  const visitors = Number(process.env.BENCH_COVERAGE_VISITORS ?? 2000);
  await run('fixed', k, visitors);
  await run('sequential', k, visitors);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
