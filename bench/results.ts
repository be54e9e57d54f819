import os from 'node:os';
import { machine, reachable, startBenchServer } from './lib';

/**
 * npm run bench:results: an experiment with BENCH_UNITS exposed units (default 1,000,000) and
 * BENCH_EVENTS conversion events (default 5 per unit), written by set-based SQL inside
 * PostgreSQL (generate_series, deterministic hashes: every run writes the same data) into a
 * database of its own, dropped at the end; the events into the monthly partitions of
 * migration 011 with their ids in event_ids, as ingestion stores them. Then aggregated once
 * from the raw events (POST /reaggregate, timed too), then GET /v1/experiments/{key}/counts
 * timed: the read aggregates per-unit aggregates over exposed units, never raw events.
 */
const UNITS = Number(process.env.BENCH_UNITS ?? 1_000_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 5_000_000);
const RUNS = 5;
const PG = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Rows per INSERT of events: each chunk its own transaction. */
const CHUNK = 2_000_000;
/** A deterministic pseudo-random integer in [0, n) for row i and stream k (PostgreSQL's own int4 hash). */
const pick = (i: string, k: number, n: string) => `(abs(hashint4((${i})::int * 16 + ${k})::bigint) % ${n})`;
/**
 * BENCH_INDEXES_AFTER=1: load as a restore does, the events' and ids' indexes dropped before the
 * INSERTs and built after (timed on their own line): 50,000,000 random inserts into three
 * b-trees take hours on a small shared machine; a sorted build takes minutes. The same
 * indexes and data either way; the read measured is the same.
 */
const INDEXES_AFTER = process.env.BENCH_INDEXES_AFTER === '1';
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(', ');

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
    const t0 = new Date(Date.now() - 3 * 86400_000).toISOString();
    const devices = ['mobile', 'desktop', 'tablet'];
    const channels = ['email', 'search', 'social', 'direct', 'ads'];
    const lifecycles = ['new', 'returning'];
    // Every arm in every combination of segment values is a cell (as the exposure writer records them).
    const combos = devices.flatMap((device) => channels.flatMap((channel) => lifecycles.map((lifecycle) => JSON.stringify({ device, channel, lifecycle }))));
    for (const variant of ['control', 'personalized']) {
      await db.query('INSERT INTO cells (experiment_id, variant, holdout, segments) SELECT $1, $2, false, s::jsonb FROM unnest($3::text[]) s', [id, variant, combos]);
    }
    console.error(`load average before: ${load()}`);
    let started = Date.now();
    // Each unit: one of the 60 cells, first exposed within the first day.
    await db.query(
      `INSERT INTO exposures (experiment_id, unit_id, variant, holdout, first_exposed_at, segments, cell)
       SELECT $1, 'u' || i, c.variant, false, $2::timestamptz + ${pick('i', 1, '86400000')} * interval '1 millisecond', c.segments, c.id
         FROM generate_series(0, $3::int - 1) AS i
         JOIN (SELECT id, variant, segments, (row_number() OVER (ORDER BY id) - 1)::int AS k FROM cells WHERE experiment_id = $1) c
           ON c.k = ${pick('i', 2, '60')}`,
      [id, t0, UNITS],
    );
    const exposuresMs = Date.now() - started;
    console.error(`exposures: ${(exposuresMs / 1000).toFixed(1)} s (load ${load()})`);
    if (INDEXES_AFTER) {
      await db.query('ALTER TABLE event_ids DROP CONSTRAINT event_ids_pkey');
      await db.query('DROP INDEX events_unit_idx, events_conversion_time_idx');
    }
    started = Date.now();
    // Each event: a random unit, one of ten names (3 in 10 an order with a value), within the second day.
    const names = `(ARRAY['order','order','order','add_to_cart','add_to_cart','add_to_cart','add_to_cart','unsubscribe','page_view','page_view'])`;
    for (let lo = 0; lo < EVENTS; lo += CHUNK) {
      const hi = Math.min(EVENTS, lo + CHUNK) - 1;
      await db.query(
        `WITH g AS MATERIALIZED (
           SELECT 'e' || j AS event_id, 'u' || ${pick('j', 3, '$3::int')} AS unit_id, ${names}[1 + ${pick('j', 4, '10')}] AS name, j
             FROM generate_series($1::int, $2::int) AS j
         ), ids AS (
           INSERT INTO event_ids (unit_id, event_id) SELECT unit_id, event_id FROM g
         )
         INSERT INTO events (event_id, unit_id, kind, name, value, occurred_at)
         SELECT event_id, unit_id, 'conversion', name,
                CASE WHEN name = 'order' THEN round(10 + ${pick('j', 5, '9000')} / 100.0, 2) END,
                $4::timestamptz + interval '1 day' + ${pick('j', 6, '86400000')} * interval '1 millisecond'
           FROM g`,
        [lo, hi, UNITS, t0],
      );
      console.error(`events ${hi + 1}: ${((Date.now() - started) / 1000).toFixed(1)} s (load ${load()})`);
    }
    const eventsMs = Date.now() - started;
    started = Date.now();
    if (INDEXES_AFTER) {
      await db.query("SET maintenance_work_mem = '1GB'");
      await db.query('ALTER TABLE event_ids ADD PRIMARY KEY (unit_id, event_id)');
      await db.query('CREATE INDEX events_unit_idx ON events (unit_id)');
      await db.query("CREATE INDEX events_conversion_time_idx ON events (occurred_at) WHERE kind = 'conversion'");
      console.error(`indexes: ${((Date.now() - started) / 1000).toFixed(1)} s (load ${load()})`);
    }
    const indexesMs = Date.now() - started;
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
    const months = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'events'::regclass`)).rows[0].n;
    console.log(`load average (1, 5, 15 min) at the end: ${load()}\n`);
    console.log('| step | time |');
    console.log('| --- | ---: |');
    console.log(`| INSERT exposures (set-based SQL) | ${(exposuresMs / 1000).toFixed(1)} s |`);
    console.log(`| INSERT events and their ids (set-based SQL; events partitioned by month, ${months} partitions${INDEXES_AFTER ? '; indexes dropped' : ''}) | ${(eventsMs / 1000).toFixed(1)} s |`);
    if (INDEXES_AFTER) console.log(`| the three indexes of events and event_ids built after | ${(indexesMs / 1000).toFixed(1)} s |`);
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
