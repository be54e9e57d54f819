import { ensureTemplate } from './helpers/template';

/** Runs once before all test files: builds the PGlite template (embedded backend only). */
export default async function globalSetup(): Promise<void> {
  if (!process.env.DATABASE_URL) await ensureTemplate();
}
