import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * The architecture's directions, as .dependency-cruiser.cjs states them (npm run check:deps,
 * run by .ci/run): src/ keeps every rule, and a small tree that breaks each rule once
 * (test/fixtures/dependency-rules) is caught by each.
 */
const ROOT = path.resolve(__dirname, '../..');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const CRUISER = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** The violations of the project's rules in `src` below `dir`. */
function cruise(dir: string): Violation[] {
  const run = spawnSync(process.execPath, [CRUISER, '--config', CONFIG, '--output-type', 'json', 'src'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (!run.stdout) throw new Error(`dependency-cruiser did not run: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

test('src/ keeps every dependency rule', () => {
  expect(cruise(ROOT).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
});

test('each rule fails on a tree that breaks it', () => {
  const found = cruise(path.join(__dirname, '../fixtures/dependency-rules')).map((v) => [v.rule.name, v.from, v.to]);
  const expected = [
    ['no-file-cycle', 'src/results/one.ts', 'src/results/two.ts'],
    ['no-folder-cycle', 'src/serving', 'src/events'],
    ['http-only-from-main', 'src/runtime.ts', 'src/http/app.ts'],
    ['pure-cores', 'src/assignment/hash.ts', 'fs'],
    ['pure-model', 'src/model/experiment.ts', 'src/store/db.ts'],
    ['contract-beneath-services', 'src/contract/spec.ts', 'src/serving/registry.ts'],
    ['store-beneath-services', 'src/store/db.ts', 'src/keys/key-service.ts'],
  ];
  for (const violation of expected) expect(found).toContainEqual(violation);
  // Every rule of the configuration is shown failing here, and nothing the tree does not break.
  const rules = (require(CONFIG) as { forbidden: { name: string }[] }).forbidden.map((r) => r.name);
  expect(new Set(found.map(([name]) => name))).toEqual(new Set(rules));
  expect(found.filter(([, from]) => from === 'src/main.ts')).toEqual([]);
});

test('no two files in src/ share a name (a folder\'s index.ts aside)', () => {
  const byName = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name !== 'index.ts') byName.set(entry.name, [...(byName.get(entry.name) ?? []), path.relative(ROOT, full)]);
    }
  };
  walk(path.join(ROOT, 'src'));
  expect([...byName.values()].filter((paths) => paths.length > 1)).toEqual([]);
});
