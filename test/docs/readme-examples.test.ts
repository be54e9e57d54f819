import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { extractExamples, matchShown, parseShown, type Example } from '../helpers/doc-examples';
import { PROCESS_ADMIN_KEY, processStorage, spawnServer, type ServerProcess } from '../helpers/process';
import { contractFetch } from '../helpers/world';

/**
 * Every curl example of the documentation, run as a new user would run it: in order, with
 * bash, against a freshly started server (the compiled dist/src/main.js, on the backend under
 * test), and each one's shown output (the ```json block right after it) compared with what
 * came back, leaving open only what legitimately varies (see matchShown).
 *
 * DOCS is the README, then every page of docs/ (the reference calls of docs/api.md continue the
 * README's walkthrough on the same server).
 *
 * The documentation's text assumes four shell variables: KEY (the admin key the first start
 * prints), URL, ASSIGN_KEY and READ_KEY (keys of those scopes). The runner sets them, and
 * drops the lines of a block that assign them placeholders (`KEY=vk_...`). curl runs with
 * --fail-with-body, so an example answered with an error fails here even when it shows no
 * output, and with a time limit, so none can hang the suite.
 */
export const DOCS = ['README.md', 'docs/api.md', 'docs/assignment.md', 'docs/results.md', 'docs/cli.md', 'docs/testing.md', 'docs/design.md', 'docs/scaling.md', 'docs/configuration.md', 'docs/outages.md', 'docs/dashboard.md', 'docs/sdk.md', 'docs/demo.md'];

const VARIABLES = ['KEY', 'URL', 'ASSIGN_KEY', 'READ_KEY'];
const ASSIGNS_VARIABLE = new RegExp(`^\\s*(export\\s+)?(${VARIABLES.join('|')})=`);

const PRELUDE = [
  'set -euo pipefail',
  'curl() { command curl --silent --show-error --fail-with-body --max-time 30 "$@"; }',
].join('\n');

let server: ServerProcess;
let storage: Awaited<ReturnType<typeof processStorage>>;
let workDir: string;
let env: NodeJS.ProcessEnv;
const examples = extractExamples(DOCS);

async function createKey(url: string, scope: string): Promise<string> {
  const res = await contractFetch(`${url}/v1/keys`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${PROCESS_ADMIN_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: `docs ${scope}`, scope }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { secret: string }).secret;
}

beforeAll(async () => {
  storage = await processStorage({ migrated: true });
  // A person types more slowly than the first-exposure flush; the runner does not.
  server = await spawnServer({ ...storage.env, EXPOSURE_FLUSH_MS: '20' });
  workDir = mkdtempSync(path.join(os.tmpdir(), 'verdict-docs-'));
  env = {
    PATH: process.env.PATH,
    HOME: workDir,
    KEY: PROCESS_ADMIN_KEY,
    URL: server.url,
    ASSIGN_KEY: await createKey(server.url, 'assign'),
    READ_KEY: await createKey(server.url, 'read'),
  };
});
afterAll(async () => {
  await server?.stop();
  await storage?.cleanup();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function run(example: Example): { status: number | null; stdout: string; stderr: string } {
  const body = example.script
    .split('\n')
    .filter((line) => !ASSIGNS_VARIABLE.test(line))
    .join('\n');
  const r = spawnSync('bash', ['-c', `${PRELUDE}\n${body}`], { cwd: workDir, env, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the documentation has curl examples with shown outputs (the runner finds them)', () => {
  expect(examples.length).toBeGreaterThanOrEqual(5);
  expect(examples.filter((e) => e.shown).length).toBeGreaterThanOrEqual(3);
});

test('every curl example runs, in order, and answers what the documentation shows', () => {
  const failures: string[] = [];
  for (const example of examples) {
    const { status, stdout, stderr } = run(example);
    if (status !== 0) {
      failures.push(`${example.at}: exited ${status}\n${stderr}${stdout}`);
      continue;
    }
    if (!example.shown) continue;
    let actual: unknown;
    try {
      actual = JSON.parse(stdout);
    } catch {
      failures.push(`${example.at}: printed no single JSON document, but ${example.shown.at} shows one:\n${stdout}`);
      continue;
    }
    const problems = matchShown(parseShown(example.shown.text), actual);
    if (problems.length) failures.push(`${example.shown.at} (the output of ${example.at}) is not what it answered:\n  ${problems.join('\n  ')}`);
  }
  expect(failures).toEqual([]);
});

test('DOCS reads every page of docs/, after the README', () => {
  const pages = readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
  expect(DOCS[0]).toBe('README.md');
  expect(pages.filter((p) => !DOCS.includes(p))).toEqual([]);
});

test('the comparison leaves open only what it should', () => {
  const shown = parseShown('{ "id": "key_...", "at": "2026-11-29T10:00:00.000Z", "n": 2, "any": "...", "list": [ ... ], "o": { "a": 1, ... } }');
  const actual = { id: 'key_Ab12', at: '2027-01-01T00:00:00Z', n: 2, any: [1], list: [1, 2], o: { a: 1, b: 2 } };
  expect(matchShown(shown, actual)).toEqual([]);
  expect(matchShown(shown, { ...actual, n: 3 })).toEqual(['/n: shown 2, got 3']);
  expect(matchShown(shown, { ...actual, id: 'vk_x' })).toHaveLength(1);
  expect(matchShown(shown, { ...actual, extra: true })).toEqual(['/extra: not shown, but answered true']);
  expect(matchShown(shown, { ...actual, o: { b: 2 } })).toEqual(['/o/a: shown, but missing']);
  expect(matchShown(parseShown('{ "accepted": 2, "rejected": [] }'), { accepted: 2, rejected: [{ index: 0 }] })).toHaveLength(1);
});
