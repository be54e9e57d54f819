import { loadConfig } from '../config';
import { openDb } from '../runtime';
import { maintainEvents } from '../store/event-partitions';
import { migrate } from '../store/migrate';

/**
 * `npm run events:maintain`: what every instance does at start and every hour, run once on
 * DATABASE_URL (or the embedded ./data, when no server has it open): the raw events' monthly
 * partitions created ahead (rows the default partition holds moved into theirs), and, with
 * EVENTS_RETENTION_DAYS, the months older than it dropped with their event ids. Prints what
 * changed. For a cron job beside the service, or to apply a new retention at once.
 */
async function main() {
  if (process.argv[2] === '--help' || process.argv[2] === '-h') {
    console.log('usage: [EVENTS_RETENTION_DAYS=n] npm run events:maintain');
    return;
  }
  const config = loadConfig();
  const db = await openDb(config);
  try {
    await migrate(db);
    const r = await maintainEvents(db, { retentionDays: config.eventsRetentionDays });
    const retention = config.eventsRetentionDays === undefined ? 'no retention (EVENTS_RETENTION_DAYS unset): every event kept' : `retention ${config.eventsRetentionDays} days`;
    console.log(`events: ${retention}`);
    console.log(r.created.length ? `created: ${r.created.join(', ')} (${r.moved} rows moved from events_default)` : 'created: none (every partition needed exists)');
    console.log(r.dropped.length ? `dropped: ${r.dropped.join(', ')} (${r.droppedEvents} events, ${r.droppedIds} ids)` : 'dropped: none');
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  console.error(`events:maintain: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
