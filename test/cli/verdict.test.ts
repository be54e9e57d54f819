import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from '../helpers/csv';
import { runExperiment } from '../helpers/experiments';
import { uniqueKey } from '../helpers/fixtures';
import type { ArmPlan } from '../helpers/seed';
import { freePort } from '../helpers/process';
import { bearer, useWorld } from '../helpers/world';

/**
 * The `verdict` command, run as the real binary (bin/verdict.js, as npm links it) against a
 * running service: its output and exit codes for every decision, results, tactics, keys,
 * and `apply` creating, updating and refusing.
 */
const BIN = path.resolve('bin/verdict.js');
const world = useWorld();
let admin: Record<string, string>;
let readKey: string;
const dir = mkdtempSync(path.join(tmpdir(), 'verdict-cli-'));

beforeAll(async () => {
  admin = bearer(world.adminKey);
  readKey = await world.key('read');
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the binary asynchronously (the service answers from this same process). */
function verdict(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH, VERDICT_URL: world.url, VERDICT_KEY: readKey, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

const experiment = (plan: Record<string, ArmPlan>, options: { days?: number; tactic?: string; complete?: boolean } = {}) =>
  runExperiment(world, { segments: ['device'], analysis: 'fixed', ...(options.tactic ? { tactic: options.tactic } : {}) }, { ...options, plan });

const device = (i: number) => ({ device: i % 2 ? 'mobile' : 'desktop' });
/** +45 %: significant, below the ±50 % that is held back as suspicious. */
const WIN = { control: { units: 1000, converters: 100, attributes: device }, personalized: { units: 1000, converters: 145, attributes: device } };
/** +60 % on 1,000 units per arm: flagged as suspiciously large. */
const SUSPICIOUS = { control: { units: 1000, converters: 100 }, personalized: { units: 1000, converters: 160 } };
const LOSS = { control: { units: 1000, converters: 160 }, personalized: { units: 1000, converters: 100 } };

describe('verdict check: one exit code per decision', () => {
  const tactic = uniqueKey('cli-reco');
  const keys: Record<string, string> = {};
  beforeAll(async () => {
    keys.ship = await experiment(WIN, { days: 8, tactic, complete: true });
    keys.early = await experiment(WIN, { days: 2, tactic });
    keys.rollback = await experiment(LOSS, { days: 8, tactic });
    keys.invalid = await experiment({ control: { units: 700, converters: 60 }, personalized: { units: 500, converters: 90 } }, { days: 8, tactic });
    keys.suspicious = await experiment(SUSPICIOUS, { days: 8 });
  });

  test('a suspiciously large lift exits 3, held back, with the warning in the text and in the markdown summary; --acknowledge suspicious_lift ships it', async () => {
    const summary = path.join(dir, 'suspicious.md');
    const held = await verdict(['check', keys.suspicious], { GITHUB_STEP_SUMMARY: summary });
    expect(held.code).toBe(3);
    expect(held.stdout).toMatch(new RegExp(`^${keys.suspicious}: INVALID \\(personalized\\)\\n`));
    expect(held.stdout).toMatch(/- Held back: on purchase, personalized vs control, a lift of 60 % is suspiciously large .* acknowledge it with \?acknowledge=suspicious_lift \(verdict check --acknowledge suspicious_lift\) to ship\./);
    expect(readFileSync(summary, 'utf8')).toMatch(/^- Held back: on purchase, personalized vs control, a lift of 60 % is suspiciously large/m);
    const shipped = await verdict(['check', keys.suspicious, '--acknowledge', 'suspicious_lift', '--format', 'markdown']);
    expect([shipped.code, shipped.stderr]).toEqual([0, ""]);
    expect(shipped.stdout).toMatch(/^- Warning: purchase, personalized vs control: a lift of 60 % is suspiciously large/m);
    expect(shipped.stdout).toMatch(/acknowledged: suspicious_lift/);
    expect((await verdict(['check', keys.suspicious, '--acknowledge', 'srm'])).stderr).toMatch(/^verdict: check: --acknowledge must be one of suspicious_lift \(got "srm"\)\n$/);
  });

  test('ship exits 0 with the decision and its reasons', async () => {
    const r = await verdict(['check', keys.ship]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(new RegExp(`^${keys.ship}: SHIP \\(personalized\\)\\n`));
    expect(r.stdout).toMatch(/- personalized raised purchase by \+45\.0 % \(95 % fixed interval/);
    expect(r.stdout).toMatch(/personalized vs control: lift \+45\.0 %/);
  });

  test('continue exits 1: the same win before the minimum days; --min-days 0 lets it ship', async () => {
    const r = await verdict(['check', keys.early]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/CONTINUE/);
    expect(r.stdout).toMatch(/It has run 2\.0 days; at least 7 are required/);
    expect((await verdict(['check', keys.early, '--min-days', '0'])).code).toBe(0);
  });

  test('--min-lift above the interval keeps it at continue', async () => {
    const r = await verdict(['check', keys.ship, '--min-lift', '0.9']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/min lift \+90\.0 %/);
  });

  test('rollback exits 2', async () => {
    const r = await verdict(['check', keys.rollback]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/ROLLBACK/);
    expect(r.stdout).toMatch(/- personalized made purchase worse: -37\.5 % \(95 % fixed interval -\d+\.\d % to -\d+\.\d %\) against control/);
  });

  test('invalid exits 3', async () => {
    const r = await verdict(['check', keys.invalid]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/INVALID/);
    expect(r.stdout).toMatch(/Sample ratio mismatch/);
  });

  test('--format json prints the API decision; markdown goes to stdout and GITHUB_STEP_SUMMARY', async () => {
    const json = await verdict(['check', keys.rollback, '--format', 'json']);
    expect(json.code).toBe(2);
    const d = JSON.parse(json.stdout);
    const api = (await world.api.get(`/v1/experiments/${keys.rollback}/decision`).set(bearer(readKey)).expect(200)).body;
    expect({ ...d, checkedAt: null }).toEqual({ ...api, checkedAt: null });

    const summary = path.join(dir, 'summary.md');
    writeFileSync(summary, '# earlier step\n');
    const md = await verdict(['check', keys.ship, '--format', 'markdown'], { GITHUB_STEP_SUMMARY: summary });
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(new RegExp(`^### Verdict: ${keys.ship} \\*\\*SHIP\\*\\*`));
    expect(md.stdout).toMatch(/\| Experiment \| Decision \| Metric \| Variant \| Lift \| 95 % fixed CI \| Adjusted p \|/);
    expect(md.stdout).toMatch(new RegExp(`\\| ${keys.ship} \\| \\*\\*SHIP\\*\\* \\| purchase \\| personalized \\| \\+45\\.0 % \\|`));
    const written = readFileSync(summary, 'utf8');
    expect(written.startsWith('# earlier step\n### Verdict: ')).toBe(true);
    expect(written).toContain(md.stdout);
  });

  test('errors exit 4 with one line on stderr: usage, unknown experiment, refused key, unreachable service', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['check'], {}, /^verdict: check: missing <experiment>; see "verdict check --help"\n$/],
      [['check', keys.ship, '--format', 'html'], {}, /^verdict: check: --format must be one of text, json, markdown \(got "html"\)\n$/],
      [['check', keys.ship, '--min-lift', 'lots'], {}, /^verdict: check: --min-lift must be a number/],
      [['check', keys.ship, '--bogus'], {}, /^verdict: check: unknown option --bogus/],
      [['chek', keys.ship], {}, /^verdict: unknown command "chek"/],
      [['check', 'no-such-experiment'], {}, /^verdict: experiment "no-such-experiment" not found \(404\)\n$/],
      [['check', keys.ship], { VERDICT_KEY: 'not-a-real-key-000000' }, /^verdict: the API key was refused: .* \(401\)\n$/],
      [['check', keys.ship], { VERDICT_KEY: '' }, /^verdict: no API key: pass --key <key> or set VERDICT_KEY\n$/],
      [['check', keys.ship, '--url', closed], {}, new RegExp(`^verdict: cannot reach the Verdict service at ${closed} \\(ECONNREFUSED\\)\n$`)],
    ];
    for (const [args, env, message] of cases) {
      const r = await verdict(args, env);
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 4, stdout: '' });
      expect(r.stderr).toMatch(message);
    }
  });

  test('--help for the program and every command, exit 0', async () => {
    const top = await verdict(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['check', 'results', 'tactics', 'apply', 'keys']) {
      expect(top.stdout).toContain(`  ${command}`);
      const r = await verdict([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: verdict ${command}`));
    }
    expect((await verdict(['check', '--help'])).stdout).toMatch(/0 ship {3}1 continue {3}2 rollback {3}3 invalid {3}4 usage/);
  });

  test('tactics: the list and the scorecard with its win rate', async () => {
    const list = await verdict(['tactics']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${tactic}\\s+4\\s`));
    const card = await verdict(['tactics', tactic]);
    expect(card.code).toBe(0);
    // Completed ship = 1 win; the running rollback = 1 loss; continue and invalid not counted.
    expect(card.stdout).toMatch(/metric purchase: win rate 50\.0 % \(1 won, 1 lost, 0 inconclusive\)/);
    const json = JSON.parse((await verdict(['tactics', tactic, '--format', 'json'])).stdout);
    expect(json.metrics[0].winRate).toEqual({ wins: 1, losses: 1, inconclusive: 0, rate: 0.5 });
    const csv = await verdict(['tactics', tactic, '--format', 'csv']);
    expect(csv.code).toBe(0);
    const rows = parseCsv(csv.stdout);
    expect(rows[0].slice(0, 3)).toEqual(['tactic', 'metric', 'row']);
    expect(rows.filter((r) => r[2] === 'experiment')).toHaveLength(4);
    expect(rows[0]).toEqual(expect.arrayContaining(['interval_type', 'provisional', 'in_pool', 'min_days']));
    // --min-days 0: the 2-day running win counts too; --include-running pools the running ones, marked provisional.
    const relaxed = await verdict(['tactics', tactic, '--min-days', '0', '--include-running']);
    expect(relaxed.code).toBe(0);
    expect(relaxed.stdout).toMatch(/wins count after 0 days; pooling completed and running experiments/);
    expect(relaxed.stdout).toMatch(/metric purchase: win rate 66\.7 % \(2 won, 1 lost, 0 inconclusive\)/);
    expect(relaxed.stdout).toMatch(/PROVISIONAL/);
    expect(card.stdout).toMatch(/pooled lift over 1 completed experiment: .* \(fixed CI .*\), its own interval/);
    expect((await verdict(['tactics', tactic, '--min-days', 'soon'])).code).toBe(4);
  });
});

describe('verdict results', () => {
  let key: string;
  beforeAll(async () => {
    key = await experiment(WIN, { days: 1 });
  });

  test('a table per metric and segment value', async () => {
    const r = await verdict(['results', key, '--segment', 'device']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${key} \\(running\\): fixed analysis, alpha 0\\.05, sample ratio ok`));
    expect(r.stdout).toMatch(/purchase \(binary, primary, should increase\)/);
    expect(r.stdout).toMatch(/ {2}device=desktop/);
    expect(r.stdout).toMatch(/ {2}device=mobile/);
    expect(r.stdout).toMatch(/personalized vs control\s+\+45\.0 %/);
  });

  test('json is the API answer; csv is the server export', async () => {
    const json = JSON.parse((await verdict(['results', key, '--format', 'json'])).stdout);
    expect(json.metrics[0].overall.variants.map((v: { units: number }) => v.units)).toEqual([1000, 1000]);
    const csv = await verdict(['results', key, '--format', 'csv', '--metric', 'purchase']);
    expect(csv.code).toBe(0);
    const rows = parseCsv(csv.stdout);
    // purchase x (overall + 2 devices) x 2 variants, plus the header; and "for whom": device's 2 values for the treatment
    expect(rows.filter((r) => r[0] === 'variant')).toHaveLength(3 * 2);
    expect(rows.filter((r) => r[0] === 'for_whom')).toHaveLength(2);
    expect(rows).toHaveLength(1 + 3 * 2 + 2);
    expect(rows[0]).toContain('relative_ci_low');
  });
});

describe('verdict keys create', () => {
  test('an admin creates a read key that then works for check', async () => {
    const r = await verdict(['keys', 'create', '--scope', 'read', '--name', 'ci'], { VERDICT_KEY: world.adminKey });
    expect(r.code).toBe(0);
    const secret = /^ {2}(\S+)$/m.exec(r.stdout)?.[1];
    expect(secret).toBeDefined();
    await world.api.get('/v1/experiments').set(bearer(secret!)).expect(200);
    const denied = await verdict(['keys', 'create', '--scope', 'admin', '--name', 'x']);
    expect(denied.code).toBe(4);
    expect(denied.stderr).toMatch(/\(403\)\n$/);
  });

  test('--browser makes a browser key: it reads the browser-safe configuration only; only with --scope assign', async () => {
    const r = await verdict(['keys', 'create', '--scope', 'assign', '--browser', '--name', 'shop pages'], { VERDICT_KEY: world.adminKey });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Created assign \(browser\) key key_\w+ \("shop pages"\)/);
    const secret = /^ {2}(\S+)$/m.exec(r.stdout)![1];
    expect((await world.api.get('/v1/config').set(bearer(secret)).expect(200)).body.shape).toBe('browser');
    await world.api.get('/v1/config?shape=server').set(bearer(secret)).expect(403);
    const wrong = await verdict(['keys', 'create', '--scope', 'read', '--browser', '--name', 'x'], { VERDICT_KEY: world.adminKey });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(/--browser needs --scope assign/);
  });
});

describe('verdict keys rotate', () => {
  test('prints the new secret once; the old key works until the overlap ends, then not', async () => {
    const old = await world.rt.keys.create('test', 'storefront', 'read');
    const r = await verdict(['keys', 'rotate', old.id, '--overlap', '0'], { VERDICT_KEY: world.adminKey });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Rotated ${old.id}: new read key key_\\w+ \\("storefront"\\)`));
    const secret = /^ {2}(\S+)$/m.exec(r.stdout)?.[1];
    await world.api.get('/v1/experiments').set(bearer(secret!)).expect(200);
    await world.api.get('/v1/experiments').set(bearer(old.secret)).expect(401);
    const again = await verdict(['keys', 'rotate', old.id], { VERDICT_KEY: world.adminKey });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/\(409\)\n$/);
    expect((await verdict(['keys', 'rotate', old.id, '--overlap', '-5'], { VERDICT_KEY: world.adminKey })).code).toBe(4);
  });
});

describe('verdict apply: experiments as code', () => {
  const key = uniqueKey('apply');
  const other = uniqueKey('apply');
  const file = path.join(dir, 'experiments.yaml');
  const write = (coverage: number, weights: [number, number], hypothesis = 'Recommendations raise purchases.') =>
    writeFileSync(
      file,
      `experiments:
  - key: ${key}
    name: Recommended for you
    hypothesis: ${hypothesis}
    tactic: personalized-recommendations
    coverage: ${coverage}
    variants:
      - { key: control, name: Bestsellers, weight: ${weights[0]}, control: true }
      - { key: personalized, name: Recommended, weight: ${weights[1]} }
    metrics:
      - { key: purchase, type: binary, role: primary }
      - { key: unsubscribe, type: binary, role: guardrail, direction: decrease }
  - key: ${other}
    name: Welcome email
    tactic: personalized-email
    variants:
      - { key: control, name: Generic, weight: 1, control: true }
      - { key: personalized, name: By first purchase, weight: 1 }
    metrics: [{ key: click, type: binary, role: primary }]
`,
    );
  const get = async (k: string) => (await world.api.get(`/v1/experiments/${k}`).set(admin)).body;

  test('--dry-run shows the plan and changes nothing', async () => {
    write(0.5, [1, 1]);
    const r = await verdict(['apply', '-f', file, '--dry-run'], { VERDICT_KEY: world.adminKey });
    expect(r).toMatchObject({ code: 0, stdout: `create ${key}\ncreate ${other}\ndry run: nothing was changed\n` });
    await world.api.get(`/v1/experiments/${key}`).set(admin).expect(404);
  });

  test('creates what does not exist, then reports it unchanged', async () => {
    const r = await verdict(['apply', '-f', file], { VERDICT_KEY: world.adminKey });
    expect(r).toMatchObject({ code: 0, stdout: `create ${key}\ncreate ${other}\n`, stderr: '' });
    expect(await get(key)).toMatchObject({ status: 'draft', coverage: 0.5, name: 'Recommended for you' });
    expect(await get(other)).toMatchObject({ status: 'draft', tactic: 'personalized-email' });
    expect((await verdict(['apply', '-f', file], { VERDICT_KEY: world.adminKey })).stdout).toBe(`unchanged ${key}\nunchanged ${other}\n`);
  });

  test('updates a draft, weights included', async () => {
    write(0.8, [1, 3]);
    const r = await verdict(['apply', '-f', file], { VERDICT_KEY: world.adminKey });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`update ${key}: variants control:1,personalized:1 -> control:1,personalized:3, coverage 0.5 -> 0.8\nunchanged ${other}\n`);
    const e = await get(key);
    expect(e.coverage).toBe(0.8);
    expect(e.variants.map((v: { weight: number }) => v.weight)).toEqual([1, 3]);
  });

  test('on a running experiment: applies what it can take, refuses new weights, exits 1', async () => {
    await world.api.post(`/v1/experiments/${key}/start`).set(admin).expect(200);
    write(1, [1, 1], 'Recommendations raise purchases by 5 %.');
    const plan = await verdict(['apply', '-f', file, '--dry-run'], { VERDICT_KEY: world.adminKey });
    expect(plan.code).toBe(1);
    const r = await verdict(['apply', '-f', file], { VERDICT_KEY: world.adminKey });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `update ${key}: hypothesis "Recommendations raise purchases." -> "Recommendations raise purchases by 5 %.", coverage 0.8 -> 1\n` +
        `refuse ${key}: variants cannot change once started (running)\n` +
        `unchanged ${other}\n`,
    );
    expect(plan.stdout).toBe(r.stdout + 'dry run: nothing was changed\n');
    const e = await get(key);
    expect(e).toMatchObject({ coverage: 1, hypothesis: 'Recommendations raise purchases by 5 %.' });
    expect(e.variants.map((v: { weight: number }) => v.weight)).toEqual([1, 3]); // units are not reshuffled
  });

  test('a misspelt field is an error, not a silent reset of the field to its default', async () => {
    const typo = path.join(dir, 'typo.yaml');
    writeFileSync(typo, readFileSync(file, 'utf8').replace('    coverage: 1\n', '    covrage: 0.2\n'));
    const r = await verdict(['apply', '-f', typo], { VERDICT_KEY: world.adminKey });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^invalid ${key}: the definition breaks a rule\n {2}/covrage: .*\nunchanged ${other}\n$`));
    expect((await get(key)).coverage).toBe(1);
  });

  test('a definition that breaks a rule is reported with the field at fault, exit 1', async () => {
    const invalid = path.join(dir, 'invalid.yaml');
    writeFileSync(invalid, `- key: ${uniqueKey('apply')}\n  name: No arms\n  tactic: personalized-email\n  metrics: [{ key: click, type: binary, role: primary }]\n`);
    const r = await verdict(['apply', '-f', invalid], { VERDICT_KEY: world.adminKey });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^invalid apply-\d+-\d+: the definition breaks a rule\n {2}\/variants: is required/);
  });

  test('a file that is not a list of experiments is a one-line error, exit 4', async () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'experiments: {key: nope}\n');
    const r = await verdict(['apply', '-f', bad], { VERDICT_KEY: world.adminKey });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(`verdict: ${bad}: expected a list of experiments (at the top level or under "experiments:")\n`);
    const missing = await verdict(['apply', '-f', path.join(dir, 'none.yaml')], { VERDICT_KEY: world.adminKey });
    expect(missing).toMatchObject({ code: 4, stderr: `verdict: cannot read ${path.join(dir, 'none.yaml')}: ENOENT\n` });
  });
});
