import path from 'node:path';
import { clusterDown, clusterUp, loadState } from './topology';

/**
 * `npm run cluster:up` / `npm run cluster:down`: the local cluster of bench/cluster/topology.ts
 * (HAProxy, three Verdict instances, pgbouncer, PostgreSQL primary + streaming replica, a Redis
 * Cluster of six nodes), in CLUSTER_DIR (default .cluster/). `up` prints the addresses and
 * returns; everything keeps running until `down`, which stops each process by its PID.
 */
async function main() {
  const dir = path.resolve(process.env.CLUSTER_DIR || '.cluster');
  const command = process.argv[2];
  if (command === 'up') {
    const instances = Number(process.env.CLUSTER_INSTANCES || 3);
    const state = await clusterUp({ dir, instances, log: (m) => console.log(`  ${m}`) });
    console.log(`\nThe cluster is up (state: ${path.join(dir, 'cluster.json')}):
  API (HAProxy)        ${state.haproxy.url}   admin key: ${state.adminKey}
  instances            ${state.instances.map((i) => i.url).join('  ')}
  DATABASE_URL         ${state.bouncer.url}   (pgbouncer, transaction pooling)
  DATABASE_REPLICA_URL ${state.replica.url}
  primary              ${state.primary.url}
  REDIS_CLUSTER_NODES  ${state.redis.nodes}
Stop it with: npm run cluster:down`);
  } else if (command === 'down') {
    let state;
    try {
      state = loadState(dir);
    } catch {
      console.log(`no cluster in ${dir}`);
      return;
    }
    await clusterDown(state, { log: (m) => console.log(`  ${new Date().toISOString().slice(11, 23)} stopping ${m}`) });
    console.log('the cluster is stopped');
  } else {
    console.error('usage: cluster-tool up|down');
    process.exit(2);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
