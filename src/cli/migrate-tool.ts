import { loadConfig } from '../config';
import { openDb } from '../runtime';
import { migrate } from '../store/migrate';

/** `npm run migrate`: apply pending migrations to DATABASE_URL (or the embedded ./data). */
async function main() {
  const config = loadConfig();
  const db = await openDb(config);
  try {
    const { applied } = await migrate(db);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'up to date: no migration to apply');
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  console.error(`migrate: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
