import { copyRows, machine, reachable, startBenchServer } from './lib';

/**
 * npm run bench:results: an experiment with 1,000,000 exposed units and 5,000,000
 * conversion events, written with COPY (fast), aggregated once from the raw events
 * (POST /reaggregate, timed too), then GET /v1/experiments/{key}/counts timed: the read
 * aggregates per-unit aggregates over exposed units, never raw events. PostgreSQL.
 */
const UNITS = Number(process.env.BENCH_UNITS ?? 1_000_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 5_000_000);
const RUNS = 5;
const PG = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A deterministic pseudo-random stream (mulberry32), so every run writes the same data. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function main() {
  if (!(await reachable(PG))) throw new Error(`PostgreSQL is not reachable at ${PG}`);
  const name = `verdict_bench_results_${process.pid}`;
  const bench = await startBenchServer({
    pg: PG,
    name,
    experiment: {
      key: 'bench-results',
      name: 'Bench results',
      metrics: [
        { key: 'buyer', type: 'binary', event: 'order', role: 'primary' },
        { key: 'orders', type: 'count', event: 'order' },
        { key: 'revenue', type: 'revenue', event: 'order', cap: 500 },
        { key: 'aov', type: 'ratio', numerator: 'revenue', denominator: 'orders' },
        { key: 'cart', type: 'binary', event: 'add_to_cart' },
        { key: 'unsubscribe', type: 'binary', role: 'guardrail', direction: 'decrease' },
      ],
      segments: ['device', 'channel', 'lifecycle'],
    },
    env: { RESULTS_CACHE_SECONDS: '0' },
  });
  const { db, base, headers: h } = bench;
  try {
    const id = bench.experimentId;
    const t0 = Date.now() - 3 * 86400_000;
    const rand = prng(42);
    const devices = ['mobile', 'desktop', 'tablet'];
    const channels = ['email', 'search', 'social', 'direct', 'ads'];
    const lifecycles = ['new', 'returning'];
    // Every arm in every combination of segment values is a cell (as the exposure writer records them).
    const combos = devices.flatMap((device) => channels.flatMap((channel) => lifecycles.map((lifecycle) => JSON.stringify({ device, channel, lifecycle }))));
    const cellOf = new Map<string, number>();
    for (const variant of ['control', 'personalized']) {
      const { rows: made } = await db.query<{ id: number; segments: unknown }>(
        'INSERT INTO cells (experiment_id, variant, holdout, segments) SELECT $1, $2, false, s::jsonb FROM unnest($3::text[]) s RETURNING id, segments',
        [id, variant, combos],
      );
      for (const r of made) cellOf.set(`${variant}|${JSON.stringify(r.segments)}`, r.id);
    }
    let started = Date.now();
    await copyRows(db, 'exposures (experiment_id, unit_id, variant, holdout, first_exposed_at, segments, cell)', UNITS, (i) => {
      const seg = combos[Math.floor(rand() * combos.length)];
      const variant = rand() < 0.5 ? 'control' : 'personalized';
      const cell = cellOf.get(`${variant}|${JSON.stringify(JSON.parse(seg))}`)!;
      return `${id}\tu${i}\t${variant}\tf\t${new Date(t0 + Math.floor(rand() * 86400_000)).toISOString()}\t${seg}\t${cell}\n`;
    }, 20_000);
    const exposuresMs = Date.now() - started;
    started = Date.now();
    const names = ['order', 'order', 'order', 'add_to_cart', 'add_to_cart', 'add_to_cart', 'add_to_cart', 'unsubscribe', 'page_view', 'page_view'];
    await copyRows(db, 'events (event_id, unit_id, kind, name, value, occurred_at)', EVENTS, (i) => {
      const n = names[Math.floor(rand() * names.length)];
      const value = n === 'order' ? (10 + rand() * 90).toFixed(2) : '\\N';
      return `e${i}\tu${Math.floor(rand() * UNITS)}\tconversion\t${n}\t${value}\t${new Date(t0 + 86400_000 + Math.floor(rand() * 86400_000)).toISOString()}\n`;
    }, 20_000);
    const eventsMs = Date.now() - started;
    await db.query('ANALYZE');
    started = Date.now();
    const re = (await (await fetch(`${base}/v1/experiments/bench-results/reaggregate`, { method: 'POST', headers: h })).json()) as { rows: number };
    const reaggregateMs = Date.now() - started;
    await db.query('VACUUM ANALYZE unit_metrics');

    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i <= RUNS; i++) {
      const s = process.hrtime.bigint();
      const res = await fetch(`${base}/v1/experiments/bench-results/counts`, { headers: h });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`counts answered ${res.status}: ${text}`);
      bytes = text.length;
      if (i > 0) times.push(Number(process.hrtime.bigint() - s) / 1e6); // the first run warms the cache
    }
    times.sort((a, b) => a - b);
    const version = (await db.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version;
    console.log(`\nGET /v1/experiments/{key}/counts, ${new Date().toISOString().slice(0, 10)}, ${machine()}, PostgreSQL ${version}`);
    console.log(`${UNITS.toLocaleString('en')} exposed units, ${EVENTS.toLocaleString('en')} conversion events, 6 metrics (one ratio), 3 segment attributes (10 values), 2 variants\n`);
    console.log('| step | time |');
    console.log('| --- | ---: |');
    console.log(`| COPY exposures | ${(exposuresMs / 1000).toFixed(1)} s |`);
    console.log(`| COPY events | ${(eventsMs / 1000).toFixed(1)} s |`);
    console.log(`| POST /reaggregate (${re.rows.toLocaleString('en')} per-unit aggregate rows from the raw events) | ${(reaggregateMs / 1000).toFixed(1)} s |`);
    console.log(`| **GET /counts**, median of ${RUNS} (min, max) | **${times[Math.floor(RUNS / 2)].toFixed(0)} ms** (${times[0].toFixed(0)}, ${times[RUNS - 1].toFixed(0)}); ${bytes.toLocaleString('en')} bytes |`);
  } finally {
    await bench.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
