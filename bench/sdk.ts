import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createClient, type ConfigSnapshot } from '../src/sdk';
import { machine } from './lib';

/**
 * npm run bench:sdk: the SDK's in-process assignment on one core, 5 running experiments
 * (targeting, a layer, the holdout, a multivariate one, payloads), units drawn from a pool of
 * 100,000 distinct ids with attribute sets; and the browser bundle's gzipped size
 * (dist/sdk/verdict-sdk.min.js, from `npm run build:sdk`).
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

const v = (key: string, weight = 1, payload?: string | Record<string, unknown>) => ({ key, weight, ...(payload !== undefined ? { payload } : {}) });
const snapshot: ConfigSnapshot = {
  version: 1,
  shape: 'browser',
  holdout: { share: 0.05, salt: 'verdict-holdout' },
  experiments: [
    { key: 'hero', status: 'running', salt: 'hero', variants: [v('control', 1, { hero: 'generic' }), v('recent', 1, { hero: 'recent' })], control: 'control', coverage: 1, targeting: null, layer: null, respectsHoldout: true },
    { key: 'price', status: 'running', salt: 'price', variants: [v('control', 5), v('b', 2), v('c', 1)], control: 'control', coverage: 0.5, targeting: null, layer: { key: 'checkout', start: 0, end: 0.5 }, respectsHoldout: true },
    {
      key: 'mobile-banner',
      status: 'running',
      salt: 'mobile-banner',
      variants: [v('control'), v('banner', 1, 'SALE')],
      control: 'control',
      coverage: 1,
      targeting: { all: [{ attribute: 'device', op: 'in', value: ['mobile', 'tablet'] }, { any: [{ attribute: 'visits', op: 'gte', value: 3 }, { attribute: 'member', op: 'eq', value: true }] }] } as ConfigSnapshot['experiments'][number]['targeting'],
      layer: null,
      respectsHoldout: false,
    },
    {
      key: 'grid',
      status: 'running',
      salt: 'grid',
      variants: [
        { key: 'plain.none', weight: 1, factors: { hero: 'plain', badge: 'none' } },
        { key: 'plain.sale', weight: 1, factors: { hero: 'plain', badge: 'sale' } },
        { key: 'viewed.none', weight: 1, factors: { hero: 'viewed', badge: 'none' } },
        { key: 'viewed.sale', weight: 1, factors: { hero: 'viewed', badge: 'sale' } },
      ],
      control: 'plain.none',
      coverage: 1,
      targeting: null,
      layer: null,
      respectsHoldout: true,
    },
    { key: 'copy', status: 'running', salt: 'copy', variants: [v('control'), v('short')], control: 'control', coverage: 1, targeting: { attribute: 'country', op: 'neq', value: 'jp' } as ConfigSnapshot['experiments'][number]['targeting'], layer: null, respectsHoldout: false },
  ],
};

/**
 * Calls per second of wall time, and per second of this thread's CPU time (process.cpuUsage:
 * on a machine shared with other work the wall rate measures the share of a core this process
 * got; the CPU rate what one core does).
 */
function rate(fn: (i: number) => void): { wall: number; cpu: number } {
  for (let i = 0; i < 200_000; i++) fn(i); // warm-up (JIT)
  let calls = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + SECONDS * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 10_000; i++) fn(calls + i);
    calls += 10_000;
  }
  const wall = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu0);
  return { wall: calls / wall, cpu: calls / ((used.user + used.system) / 1e6) };
}

const show = (r: { wall: number; cpu: number }) => `${Math.round(r.cpu).toLocaleString('en')} calls per CPU-second (${Math.round(r.wall).toLocaleString('en')} per wall-clock second)`;

async function main() {
  const client = createClient({ url: 'http://bench.invalid', key: 'k', stream: false, fetch: async () => new Response(JSON.stringify(snapshot)) });
  await client.ready();
  const units = Array.from({ length: 100_000 }, (_, i) => `visitor-${i}`);
  const attrs: Record<string, string | number | boolean>[] = [{ device: 'mobile', visits: 4 }, { device: 'desktop', country: 'de' }, { device: 'tablet', member: true, country: 'jp' }];
  let sink = 0;
  const all = rate((i) => {
    sink += client.assign(units[i % units.length], attrs[i % 3], { track: false }).assignments.length;
  });
  const one = rate((i) => {
    sink += client.assignOne('mobile-banner', units[i % units.length], attrs[i % 3], { track: false }).inExperiment ? 1 : 0;
  });
  const same = rate((i) => {
    sink += client.assign('visitor-42', attrs[i % 3], { track: false }).assignments.length;
  });
  await client.close();
  let bundle = 'not built (npm run build:sdk)';
  try {
    const file = readFileSync(path.resolve(__dirname, '../sdk/verdict-sdk.min.js'));
    bundle = `${(file.length / 1024).toFixed(1)} KB minified, ${(gzipSync(file, { level: 9 }).length / 1024).toFixed(1)} KB gzipped`;
  } catch {
    // left as "not built"
  }
  console.log(JSON.stringify({ machine: machine(), date: new Date().toISOString(), loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))), sink: sink > 0 }, null, 2));
  console.log(`assign(unit, attributes), all 5 experiments, 100,000 distinct units: ${show(all)}`);
  console.log(`assignOne(experiment, unit, attributes), targeted experiment:          ${show(one)}`);
  console.log(`assign(unit, attributes), all 5 experiments, the same unit (a page):     ${show(same)}`);
  console.log(`browser bundle: ${bundle}`);
}

void main();
