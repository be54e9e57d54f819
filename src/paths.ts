import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The project root (where openapi.yaml and migrations/ live), found by walking up from
 * this file, so the same code works from src/ (tests, ts-jest) and from dist/src/ (npm start).
 */
function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, 'openapi.yaml')) && existsSync(path.join(dir, 'migrations'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`openapi.yaml and migrations/ not found above ${start}`);
    dir = parent;
  }
}

export const projectRoot = findRoot(__dirname);
export const openApiPath = path.join(projectRoot, 'openapi.yaml');
export const migrationsDir = path.join(projectRoot, 'migrations');
