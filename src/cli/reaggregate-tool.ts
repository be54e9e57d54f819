import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { openRuntime } from '../runtime';

/**
 * `npm run reaggregate -- <experiment>`: rebuild an experiment's per-unit aggregates from
 * the raw events (after a metric definition changed, or to check them). Works on the
 * database directly; on the embedded default while a server runs, use the API instead:
 * POST /v1/experiments/<key>/reaggregate.
 */
async function main() {
  const key = process.argv[2];
  if (!key || key === '--help' || key === '-h') {
    console.log('usage: npm run reaggregate -- <experiment key>');
    process.exit(key ? 0 : 4);
  }
  const rt = await openRuntime(loadConfig(), createLogger('warn'));
  try {
    const started = Date.now();
    const { rows } = await rt.unitData.reaggregate('cli', key);
    console.log(`reaggregated ${key}: ${rows} aggregate rows rebuilt from the raw events in ${Date.now() - started} ms`);
  } finally {
    await rt.close();
  }
}

main().catch((err) => {
  console.error(`reaggregate: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
