import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cluster } from 'ioredis';
import {
  clusterDown,
  clusterUp,
  killPid,
  psql,
  redisCli,
  redisClusterOk,
  redisMasters,
  startInstance,
  startPostgres,
  stopPostgres,
  type ClusterState,
} from '../../bench/cluster/topology';
import { markKey } from '../../src/serving/exposure-recorder';
import { assignMany } from '../helpers/assign';
import { experimentBody } from '../helpers/fixtures';
import { steadyLoad } from '../helpers/load';
import { havePrivatePostgres, havePrivateRedis } from '../helpers/private-servers';
import { PROCESS_ADMIN_KEY, spawnServer, type ServerProcess } from '../helpers/process';
import { contractFetch, createTestDatabase } from '../helpers/world';

/**
 * The local cluster of issue 20 (bench/cluster/topology.ts, the one `npm run cluster:up` starts):
 * HAProxy round robin over three instances, pgbouncer in transaction pooling before the primary,
 * a streaming replica for results (DATABASE_REPLICA_URL), a Redis Cluster of three masters and
 * three replicas (REDIS_CLUSTER_NODES). One topology for the whole file; the destructive tests
 * (replica stopped, an instance killed, a Redis master killed) come last. A single instance on
 * its own database and no Redis is the reference for the results. Runs in the servers run
 * (DATABASE_URL set), where the Debian packages are installed (.ci/run installs them).
 */
jest.setTimeout(300_000);

const haveParts = () => havePrivatePostgres() && havePrivateRedis() && ['haproxy', 'pgbouncer'].every((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status === 0);
const onServers = process.env.DATABASE_URL && haveParts() ? describe : describe.skip;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(what: string, ok: () => Promise<boolean> | boolean, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!(await Promise.resolve().then(ok).catch(() => false))) {
    if (Date.now() > end) throw new Error(`${what} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

type Assignment = { experiment: string; variant: string | null; inExperiment: boolean; reason: string };

onServers('the local cluster: HAProxy, three instances, pgbouncer, a read replica, Redis Cluster', () => {
  let cluster: ClusterState;
  let single: ServerProcess;
  let singleDb: { url: string; drop(): Promise<void> };
  let K: string;
  const lb = () => cluster.haproxy.url;

  async function call(base: string, method: string, route: string, body?: unknown, key = K) {
    const res = await contractFetch(base + route, {
      method,
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
  const assignOn = async (base: string, unitId: string, experiment: string): Promise<Assignment> => {
    // Untracked: a probe records no exposure (the results are compared with a single instance's).
    const res = await call(base, 'POST', '/v1/assign', { unitId, experiments: [experiment], track: false });
    expect(res.status).toBe(200);
    return res.body.assignments[0];
  };
  /** Results without the time they were computed: what must agree between two deployments. */
  const resultsOf = async (base: string, key: string, apiKey = K) => {
    const res = await call(base, 'GET', `/v1/experiments/${key}/results`, undefined, apiKey);
    expect(res.status).toBe(200);
    const { computedAt: _at, ...rest } = res.body;
    return rest;
  };
  const metric = async (base: string, line: string) => {
    const text = await (await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${K}` } })).text();
    const found = text.split('\n').find((l) => l.startsWith(line + ' '));
    return found ? Number(found.split(' ').pop()) : NaN;
  };
  const primaryCount = (sql: string) => Number(psql(cluster.primary.url, sql));

  beforeAll(async () => {
    cluster = await clusterUp({
      dir: mkdtempSync(path.join(os.tmpdir(), 'verdict-cluster-')),
      // Results read at once (no per-version reuse), exposures written every 100 ms.
      env: { RESULTS_CACHE_SECONDS: '0', EXPOSURE_FLUSH_MS: '100' },
      log: (m) => process.env.CLUSTER_TEST_LOG && process.stderr.write(`${new Date().toISOString()} ${m}\n`),
    });
    K = cluster.adminKey;
    singleDb = await createTestDatabase(process.env.DATABASE_URL!);
    single = await spawnServer({ DATABASE_URL: singleDb.url, REDIS_URL: '', RESULTS_CACHE_SECONDS: '0', EXPOSURE_FLUSH_MS: '100', VERDICT_ADMIN_KEY: PROCESS_ADMIN_KEY });
  });
  afterAll(async () => {
    await single?.stop();
    await singleDb?.drop();
    if (cluster) await clusterDown(cluster);
  });

  const create = async (base: string, key: string, apiKey = K) => {
    const body = experimentBody({ key, respectsHoldout: false });
    expect((await call(base, 'POST', '/v1/experiments', body, apiKey)).status).toBe(201);
    expect((await call(base, 'POST', `/v1/experiments/${key}/start`, undefined, apiKey)).status).toBe(200);
  };
  const servedByAll = (key: string) =>
    eventually(`every instance serves ${key}`, async () => {
      for (const inst of cluster.instances) if ((await assignOn(inst.url, 'probe', key)).reason === 'unknown') return false;
      return true;
    });

  test('the same units get the same variants through any instance, and through HAProxy', async () => {
    await create(lb(), 'cl-same');
    await servedByAll('cl-same');
    const units = Array.from({ length: 300 }, (_, i) => `same-${i}`);
    const body = (unitId: string) => ({ unitId, experiments: ['cl-same'], track: false });
    const via = await Promise.all([...cluster.instances.map((i) => i.url), lb()].map((base) => assignMany(base, K, units, body, 8)));
    const variants = via.map((answers) => answers.map((a) => a.assignments[0].variant));
    for (const v of variants.slice(1)) expect(v).toEqual(variants[0]);
    expect(new Set(variants[0]).size).toBe(2); // both arms are served: the comparison means something
  });

  test('a change made through one instance is served by all within 1 s (pub/sub over the Redis Cluster)', async () => {
    await create(lb(), 'cl-change');
    await servedByAll('cl-change');
    const [first, ...others] = cluster.instances;
    for (const [action, reason] of [['pause', 'not_running'], ['resume', 'bucketed']] as const) {
      const began = Date.now();
      expect((await call(first.url, 'POST', `/v1/experiments/cl-change/${action}`)).status).toBe(200);
      const seen = await Promise.all(
        others.map(async (inst) => {
          // A unit in the experiment answers "bucketed" while it runs (the coverage is 100 %).
          await eventually(`${inst.url} serves the ${action}`, async () => (await assignOn(inst.url, 'change-unit', 'cl-change')).reason === reason, 5000);
          return Date.now() - began;
        }),
      );
      // The periodic refresh is every 30 s: within a second, it can only be the notification.
      for (const ms of seen) expect(ms).toBeLessThan(1000);
    }
  });

  const traffic = Array.from({ length: 240 }, (_, i) => `t-${i}`);
  const conversions = (prefix: string) => ({
    events: traffic.filter((_, i) => i % 3 === 0).map((unitId, i) => ({ type: 'conversion', eventId: `${prefix}-${i}`, unitId, event: 'purchase', value: 10 + (i % 7) })),
  });

  test('exposures are not double-counted, and results equal a single instance’s on the same traffic', async () => {
    await create(lb(), 'cl-results');
    await create(single.url, 'cl-results', PROCESS_ADMIN_KEY);
    await servedByAll('cl-results');
    // Each unit assigned three times through HAProxy (so by each instance in turn), and three times on the single instance.
    const body = (unitId: string) => ({ unitId, experiments: ['cl-results'] });
    for (let round = 0; round < 3; round++) {
      await assignMany(lb(), K, traffic, body, 6);
      await assignMany(single.url, PROCESS_ADMIN_KEY, traffic, body, 6);
    }
    const id = primaryCount("SELECT id FROM experiments WHERE key = 'cl-results'");
    await eventually('every exposure written', () => primaryCount(`SELECT count(*) FROM exposures WHERE experiment_id = ${id}`) === traffic.length);
    expect((await call(lb(), 'POST', '/v1/events', conversions('cv'))).body.accepted).toBe(80);
    expect((await call(single.url, 'POST', '/v1/events', conversions('cv'), PROCESS_ADMIN_KEY)).body.accepted).toBe(80);
    // Twice on the cluster: the retry of a batch is stored once.
    expect((await call(lb(), 'POST', '/v1/events', conversions('cv'))).body.duplicates).toBe(80);
    await eventually('the single instance wrote its exposures', () => Number(psql(singleDb.url, 'SELECT count(*) FROM exposures')) === traffic.length);
    const reference = await resultsOf(single.url, 'cl-results', PROCESS_ADMIN_KEY);
    for (const inst of cluster.instances) expect(await resultsOf(inst.url, 'cl-results')).toEqual(reference);
    expect(primaryCount(`SELECT count(*) FROM exposures WHERE experiment_id = ${id}`)).toBe(traffic.length);
  });

  test('replica lag: results never go backwards (a paused replica is bypassed for the primary)', async () => {
    const inst = cluster.instances[0].url;
    const before = await resultsOf(inst, 'cl-results');
    const lagging = await metric(inst, 'verdict_results_reads_total{source="primary",reason="lagging"}');
    psql(cluster.replica.url, 'SELECT pg_wal_replay_pause()');
    try {
      const more = { events: traffic.filter((_, i) => i % 3 === 1).map((unitId, i) => ({ type: 'conversion', eventId: `lag-${i}`, unitId, event: 'purchase', value: 5 })) };
      expect((await call(inst, 'POST', '/v1/events', more)).body.accepted).toBe(80);
      const after = await resultsOf(inst, 'cl-results');
      expect(after).not.toEqual(before); // the 80 new conversions are in: read from the primary
      expect(await resultsOf(single.url, 'cl-results', PROCESS_ADMIN_KEY)).not.toEqual(after);
      await call(single.url, 'POST', '/v1/events', more, PROCESS_ADMIN_KEY);
      expect(after).toEqual(await resultsOf(single.url, 'cl-results', PROCESS_ADMIN_KEY));
      expect(await metric(inst, 'verdict_results_reads_total{source="primary",reason="lagging"}')).toBeGreaterThan(lagging);
    } finally {
      psql(cluster.replica.url, 'SELECT pg_wal_replay_resume()');
    }
    // Caught up again: the replica answers, with the same results.
    const fromReplica = await metric(inst, 'verdict_results_reads_total{source="replica",reason="caught_up"}');
    await eventually('the replica serves results again', async () => {
      await resultsOf(inst, 'cl-results');
      return (await metric(inst, 'verdict_results_reads_total{source="replica",reason="caught_up"}')) > fromReplica;
    });
    expect(await resultsOf(inst, 'cl-results')).toEqual(await resultsOf(single.url, 'cl-results', PROCESS_ADMIN_KEY));
  });

  test('the replica stopped: results fall back to the primary, and use the replica again once it is back', async () => {
    const reference = await resultsOf(single.url, 'cl-results', PROCESS_ADMIN_KEY);
    stopPostgres(cluster, 'replica');
    try {
      for (const inst of cluster.instances) expect(await resultsOf(inst.url, 'cl-results')).toEqual(reference);
      for (const inst of cluster.instances) {
        const down = (await metric(inst.url, 'verdict_results_reads_total{source="primary",reason="down"}')) + (await metric(inst.url, 'verdict_results_reads_total{source="primary",reason="failed"}'));
        expect(down).toBeGreaterThan(0);
      }
    } finally {
      startPostgres(cluster, 'replica');
    }
    const inst = cluster.instances[1].url;
    const fromReplica = await metric(inst, 'verdict_results_reads_total{source="replica",reason="caught_up"}');
    await eventually('the replica serves results again', async () => {
      expect(await resultsOf(inst, 'cl-results')).toEqual(reference);
      return (await metric(inst, 'verdict_results_reads_total{source="replica",reason="caught_up"}')) > fromReplica;
    });
  });

  test('one instance killed under load costs no acknowledged request beyond those in flight', async () => {
    await create(lb(), 'cl-kill');
    await servedByAll('cl-kill');
    const acknowledged: string[] = [];
    const WORKERS = 4;
    let seq = 0;
    const load = steadyLoad(lb, K, (i) => {
      if (i % 5 === 4) {
        const eventId = `kill-${++seq}`;
        return { path: '/v1/events', body: { events: [{ type: 'conversion', eventId, unitId: `k-${i}`, event: 'purchase' }] }, check: () => void acknowledged.push(eventId) };
      }
      return { path: '/v1/assign', body: { unitId: `k-${i}`, experiments: ['cl-kill'] }, check: (b) => expect((b as { assignments: Assignment[] }).assignments[0].reason).not.toBe('unknown') };
    }, { workers: WORKERS, pauseMs: 5, timeoutMs: 5000 });
    await eventually('load running', () => load.answered('before') >= 50);
    load.phase = 'kill';
    await killPid(cluster.instances[1].pid);
    await sleep(3000);
    load.phase = 'after';
    await eventually('load after the kill', () => load.answered('after') >= 100);
    await load.stop();
    expect(load.bad('before')).toBe(0);
    // At most the requests in flight at the kill (one per worker) may fail; HAProxy retries most of them elsewhere.
    expect(load.bad('kill')).toBeLessThanOrEqual(WORKERS);
    expect(load.stats.get('after')!.examples).toEqual([]);
    expect(load.answered('kill')).toBeGreaterThan(0);
    // Every acknowledged event batch is stored.
    const ids = acknowledged.map((e) => `'${e}'`).join(',');
    expect(primaryCount(`SELECT count(*) FROM events WHERE event_id IN (${ids})`)).toBe(acknowledged.length);
    await startInstance(cluster, 1);
  });

  test('one Redis Cluster master killed: assign keeps answering; the cluster fails over and is used again without a restart', async () => {
    const masters = redisMasters(cluster);
    expect(masters).toHaveLength(3);
    const victim = masters[0];
    const load = steadyLoad(lb, K, (i) => ({ path: '/v1/assign', body: { unitId: `r-${i}`, experiments: ['cl-kill'] } }), { workers: 3, pauseMs: 5, timeoutMs: 5000 });
    await eventually('load running', () => load.answered('before') >= 30);
    load.phase = 'failover';
    await killPid(cluster.redis.pids[String(victim)]);
    await eventually('a replica took over the dead master’s slots', () => {
      const now = redisMasters(cluster);
      return now.length === 3 && !now.includes(victim) && redisClusterOk(cluster);
    });
    await sleep(1500);
    load.phase = 'after';
    await eventually('load after the failover', () => load.answered('after') >= 50);
    await load.stop();
    for (const phase of ['before', 'failover', 'after']) {
      expect({ phase, bad: load.bad(phase), examples: load.stats.get(phase)!.examples }).toEqual({ phase, bad: 0, examples: [] });
    }
    // Used again: new exposure marks land on every master, the promoted one included, and a change still reaches every instance.
    const units = Array.from({ length: 60 }, (_, i) => `post-${i}`);
    await assignMany(lb(), K, units, (unitId) => ({ unitId, experiments: ['cl-kill'] }), 6);
    const client = new Cluster(cluster.redis.ports.filter((p) => p !== victim).map((port) => ({ host: '127.0.0.1', port })));
    try {
      const onMaster = new Map<string, number>();
      await eventually('every new unit is marked in the Redis Cluster', async () => {
        onMaster.clear();
        for (const node of client.nodes('master')) {
          const keys = await node.keys('*x:{post-*');
          onMaster.set(`${node.options.port}`, keys.length);
        }
        return [...onMaster.values()].reduce((a, n) => a + n, 0) === units.length;
      });
      expect([...onMaster.values()].every((n) => n > 0)).toBe(true);
    // The key layout: one unit's marks in all experiments lie in one slot (its MGET is a single-slot command).
    const slot = (key: string) => redisCli(cluster.redis.ports.find((p) => p !== victim)!, 'cluster', 'keyslot', `verdict:0123abcd:${key}`);
    expect(new Set(['e-one', 'e-two', 'e-three'].map((uid) => slot(markKey(uid, 'cust-8842')))).size).toBe(1);
    expect(new Set(['cust-1', 'cust-2', 'cust-3', 'cust-4'].map((unit) => slot(markKey('e-one', unit)))).size).toBeGreaterThan(1);
    } finally {
      client.disconnect();
    }
    for (const inst of cluster.instances) {
      const ready = await call(inst.url, 'GET', '/readyz');
      expect(ready.body.checks.cache.ok).toBe(true);
    }
    expect((await call(cluster.instances[2].url, 'POST', '/v1/experiments/cl-kill/pause')).status).toBe(200);
    for (const inst of cluster.instances) await eventually(`${inst.url} serves the pause`, async () => (await assignOn(inst.url, 'x', 'cl-kill')).reason === 'not_running', 5000);
  });
});
