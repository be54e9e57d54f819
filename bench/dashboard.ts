import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startServer } from '../src/http/server';
import { createLogger } from '../src/logger';
import { projectRoot } from '../src/paths';
import { buildDemo } from '../test/dashboard/demo-data';
import { testConfig } from '../test/helpers/world';
import { machine } from './lib';

/**
 * npm run bench:dashboard: the dashboard's weight and speed, in one run. The gzipped size of
 * its script and style sheet as built (dist/dashboard), then the time to first render of the
 * experiment page on the demo's data (the small bakery of test/dashboard/demo-data.ts, played
 * through the API on the demo clock) on the embedded default: from navigation to the verdict
 * sentence and every chart drawn, in Debian's Chromium
 * (CHROMIUM_PATH), a fresh browser context (cold cache) each time, median of RUNS (default 7).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RUNS = Number(process.env.RUNS ?? 7);
/** The demo's experiment with the most on its page: a segment decision, three for-whom forest plots, the lift over time. */
const EXPERIMENT = 'reco-basket-recent';

async function main() {
  const dir = path.join(projectRoot, 'dist', 'dashboard');
  const sizes = Object.fromEntries(
    ['app.js', 'app.css'].map((f) => {
      const raw = readFileSync(path.join(dir, f));
      return [f, { raw: raw.length, gzip: gzipSync(raw, { level: 9 }).length }];
    }),
  );
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'verdict-bench-dashboard-'));
  const adminKey = 'bench-admin-key-dashboard-0123456789';
  const server = await startServer(testConfig({ dataDir, adminKey, resultsCacheSeconds: 0, demoClock: true }), createLogger('silent'));
  await server.ready;
  const seeded = Date.now();
  const demo = await buildDemo(server.url, adminKey);
  const readKey = demo.readKey;
  const seedMs = Date.now() - seeded;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  const times: number[] = [];
  try {
    for (let i = 0; i < RUNS + 1; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      await context.addInitScript(`sessionStorage.setItem('verdict.key', ${JSON.stringify(readKey)}); sessionStorage.setItem('verdict.scope', 'read');`);
      const page = await context.newPage();
      await page.goto(`${server.url}/dashboard#/experiments/${EXPERIMENT}`);
      await page.waitForSelector('body[data-ready="true"] #headline');
      // Milliseconds from the navigation's start to the page drawn, as the browser measures it.
      const ms = await page.evaluate<number>('performance.now()');
      if (i > 0) times.push(ms); // the first run warms the server's code paths
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  const out = {
    machine: machine(),
    load: os.loadavg().map((x) => x.toFixed(1)).join(' '),
    bundle: sizes,
    totalGzipBytes: sizes['app.js'].gzip + sizes['app.css'].gzip,
    firstRenderMs: { median: Math.round(times[Math.floor(times.length / 2)]), min: Math.round(times[0]), max: Math.round(times[times.length - 1]), runs: times.length },
    experiment: EXPERIMENT,
    demo: { visitors: demo.visitors, events: demo.events, days: demo.scenario.days },
    seedMs,
  };
  console.log(JSON.stringify(out, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
