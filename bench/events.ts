import { BENCH_ADMIN_KEY, copyRows, load, machine, reachable, startBenchServer } from './lib';

/**
 * npm run bench:events: sustained HTTP ingestion of conversion events in batches of 500
 * against PostgreSQL, attribution on (100,000 exposed units, two metrics on the event),
 * and in the same run a COPY of the same number of rows into a scratch table shaped like
 * `events` (same keys and index): the database's own ceiling on this machine.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const BATCH = 500;
const UNITS = 100_000;
const PG = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

// wrk: each request builds 500 conversions with ids unique per connection and request.
const luaBody = `(function()
  counter = (counter or 0) + 1
  local parts = {}
  for i = 1, ${BATCH} do
    parts[i] = string.format('{"type":"conversion","eventId":"%s-%d-%d","unitId":"unit-%d","event":"order","value":%d}', prefix, counter, i, math.random(1, ${UNITS}), math.random(5, 80))
  end
  return '{"events":[' .. table.concat(parts, ",") .. ']}'
end)()`;
let jsCounter = 0;
const jsBody = () => {
  const c = ++jsCounter;
  const events = Array.from({ length: BATCH }, (_, i) => ({ type: 'conversion', eventId: `js-${process.pid}-${c}-${i}`, unitId: `unit-${1 + Math.floor(Math.random() * UNITS)}`, event: 'order', value: 5 + Math.floor(Math.random() * 75) }));
  return JSON.stringify({ events });
};

async function main() {
  if (!(await reachable(PG))) throw new Error(`PostgreSQL is not reachable at ${PG}; bench:events measures the server backend`);
  const name = `verdict_bench_events_${process.pid}`;
  const bench = await startBenchServer({
    pg: PG,
    name,
    experiment: {
      key: 'bench-events',
      name: 'Bench events',
      metrics: [
        { key: 'buyer', type: 'binary', event: 'order', role: 'primary' },
        { key: 'revenue', type: 'revenue', event: 'order' },
      ],
      segments: ['device'],
    },
    env: { REDIS_URL: (await reachable(REDIS)) ? REDIS : '', REDIS_PREFIX: `${name}:` },
    nodeArgs: (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
  });
  const { db } = bench;
  try {
    const { rows } = await db.query<{ id: number }>(`UPDATE experiments SET started_at = now() - interval '2 hours' WHERE id = $1 RETURNING id`, [bench.experimentId]);
    const exposedAt = new Date(Date.now() - 3600_000).toISOString();
    const cells = new Map<string, number>();
    for (const variant of ['control', 'personalized']) {
      for (const device of ['mobile', 'desktop']) {
        const { rows: c } = await db.query<{ id: number }>(
          `INSERT INTO cells (experiment_id, variant, holdout, segments) VALUES ($1, $2, false, $3) RETURNING id`,
          [rows[0].id, variant, JSON.stringify({ device })],
        );
        cells.set(`${variant}|${device}`, c[0].id);
      }
    }
    await copyRows(db, 'exposures (experiment_id, unit_id, variant, holdout, first_exposed_at, segments, cell)', UNITS, (i) => {
      const variant = i % 2 ? 'personalized' : 'control';
      const device = i % 3 ? 'mobile' : 'desktop';
      return `${rows[0].id}\tunit-${i + 1}\t${variant}\tf\t${exposedAt}\t{"device": "${device}"}\t${cells.get(`${variant}|${device}`)}\n`;
    });
    await db.query('ANALYZE');
    console.error(`bench:events: ${UNITS.toLocaleString('en')} exposed units; ${SECONDS} s of batches of ${BATCH}, ${CONNECTIONS} connections`);

    const target = `${bench.base}/v1/events`;
    const headers = { Authorization: `Bearer ${BENCH_ADMIN_KEY}` };
    await load({ url: target, headers, luaBody: luaBody.replace('prefix', '"warm"'), jsBody, seconds: 3, connections: CONNECTIONS });
    const before = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0].n);
    const started = Date.now();
    const r = await load({ url: target, headers, luaBody: luaBody.replace('prefix', '"run-" .. tostring(math.random(1, 2147483647))'), jsBody, seconds: SECONDS, connections: CONNECTIONS });
    const elapsed = (Date.now() - started) / 1000;
    const stored = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0].n) - before;
    const apiRate = stored / elapsed;
    const attributed = (await db.query<{ n: string }>('SELECT sum(count) AS n FROM unit_metrics')).rows[0].n;

    // The ceiling: COPY as many rows into a scratch copy of the events table.
    await db.query('CREATE TABLE scratch_events (LIKE events INCLUDING ALL)');
    const copyStarted = Date.now();
    const now = new Date().toISOString();
    await copyRows(db, 'scratch_events (event_id, unit_id, kind, name, value, occurred_at)', stored, (i) => `copy-${i}\tunit-${1 + (i % UNITS)}\tconversion\torder\t${5 + (i % 75)}\t${now}\n`);
    const copyRate = stored / ((Date.now() - copyStarted) / 1000);

    console.log(`\nPOST /v1/events, ${new Date().toISOString().slice(0, 10)}, ${machine()}`);
    console.log(`PostgreSQL ${(await db.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version}, ${r.tool}, ${CONNECTIONS} connections, batches of ${BATCH}, ${SECONDS} s, attribution on (${UNITS.toLocaleString('en')} exposed units, 2 metrics on the event)\n`);
    console.log('| path | events/s | vs COPY | notes |');
    console.log('| --- | ---: | ---: | --- |');
    console.log(`| POST /v1/events | ${Math.round(apiRate).toLocaleString('en')} | ${((100 * apiRate) / copyRate).toFixed(0)} % | ${stored.toLocaleString('en')} events stored, ${Number(attributed).toLocaleString('en')} attributions; p50 ${r.p50ms.toFixed(1)} ms, p99 ${r.p99ms.toFixed(1)} ms per batch; ${r.errors} errors |`);
    console.log(`| COPY into a scratch events table | ${Math.round(copyRate).toLocaleString('en')} | 100 % | the same number of rows, same keys and index |`);
  } finally {
    await bench.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
