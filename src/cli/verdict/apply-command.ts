import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Experiment, ExperimentCreate } from '../../model/experiment';
import { GLOBAL_HELP, parseCommand, positionals } from './args';
import { api, connection, httpError, isProblem, networkError, type Api, type Connection } from './client';
import { CliError, EXIT, UsageError } from './cli-errors';
import { print } from './format';
import { describe, plan, type Step } from './plan';

/** `verdict apply -f experiments.yaml`: experiments as code. */
export const help = `Usage: verdict apply -f <experiments.yaml> [--dry-run]

Makes the server's experiments match the file. The file is a YAML (or JSON) list of
experiment definitions, in the shape of POST /v1/experiments (ExperimentCreate), either
at the top level or under "experiments:". For each one:
  - missing on the server: created (as a draft);
  - a draft: the fields that differ are updated (If-Match the version read);
  - running or paused: the changes it can take are applied; changes to variants,
    weights, salt, factors, layer or respectsHoldout are refused (they would reshuffle
    units already assigned), and so are changes to analysis, alpha or plannedSampleSize
    (they would change the test after its data was seen);
  - completed or archived: any change is refused;
  - otherwise reported unchanged. Omitted fields mean their defaults.

One line per experiment: create, update (with the changes), refuse (with the reason),
reject (the server's answer), invalid (a rule the definition breaks) or unchanged.

Options:
  -f, --file <path>    the experiments file (required)
  --dry-run            print the plan, change nothing

Exit codes:
  0 everything applied (or would apply)   1 a change was refused or rejected
  4 usage, file, auth or connection error

${GLOBAL_HELP}

Example:
  verdict apply -f experiments.yaml --dry-run`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals: given } = parseCommand('apply', args, {
    file: { type: 'string', short: 'f' },
    'dry-run': { type: 'boolean' },
  });
  if (values.help) {
    print(help);
    return EXIT.ok;
  }
  positionals('apply', given, []);
  if (!values.file) throw new UsageError('apply: -f <experiments.yaml> is required; see "verdict apply --help"');
  const definitions = load(values.file);
  const conn = connection(values);
  const client = api(conn);
  const dryRun = values['dry-run'] === true;

  let refused = false;
  for (const desired of definitions) {
    const current = await fetchExperiment(conn, client, desired.key);
    for (const step of plan(desired, current?.experiment ?? null)) {
      const ok = dryRun ? report(step) : await execute(conn, client, step, current?.etag);
      refused ||= !ok;
    }
  }
  if (dryRun) print('dry run: nothing was changed');
  return refused ? EXIT.refused : EXIT.ok;
}

/** The file's experiments; anything that is not a list of definitions with a key is a file error. */
export function load(file: string): ExperimentCreate[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new CliError(`${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const list = Array.isArray(doc) ? doc : doc && typeof doc === 'object' && Array.isArray((doc as { experiments?: unknown }).experiments) ? (doc as { experiments: unknown[] }).experiments : null;
  if (!list) throw new CliError(`${file}: expected a list of experiments (at the top level or under "experiments:")`);
  const seen = new Set<string>();
  return list.map((entry, i) => {
    const where = `${file}: experiment ${i + 1}`;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw new CliError(`${where} is not a mapping`);
    const e = entry as Record<string, unknown>;
    if (typeof e.key !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(e.key)) throw new CliError(`${where}: "key" must be a slug (lower-case letters, digits, - and _)`);
    for (const field of ['name', 'tactic'] as const) if (typeof e[field] !== 'string') throw new CliError(`${where} ("${e.key}"): "${field}" is required`);
    if (!Array.isArray(e.metrics)) throw new CliError(`${where} ("${e.key}"): "metrics" (a list) is required`);
    if (seen.has(e.key)) throw new CliError(`${where}: key "${e.key}" appears twice in the file`);
    seen.add(e.key);
    return e as unknown as ExperimentCreate;
  });
}

async function fetchExperiment(conn: Connection, client: Api, key: string): Promise<{ experiment: Experiment; etag?: string } | null> {
  let outcome;
  try {
    outcome = await client.GET('/v1/experiments/{key}', { params: { path: { key } } });
  } catch (err) {
    throw networkError(conn, err);
  }
  const { data, error, response } = outcome;
  if (response.status === 404 && isProblem(error)) return null;
  if (!data) throw httpError(response, error);
  return { experiment: data, etag: response.headers.get('etag') ?? undefined };
}

/** Prints the step; false when it is a refusal. */
function report(step: Step): boolean {
  switch (step.kind) {
    case 'create':
      print(`create ${step.key}`);
      return true;
    case 'update':
      print(`update ${step.key}: ${step.changes.map(describe).join(', ')}`);
      return true;
    case 'unchanged':
      print(`unchanged ${step.key}`);
      return true;
    case 'refuse':
      print(`refuse ${step.key}: ${step.reason}`);
      return false;
    case 'invalid':
      print([`invalid ${step.key}: the definition breaks a rule`, ...step.errors.map((e) => `  ${e.field}: ${e.message}`)]);
      return false;
  }
}

/** Sends a create or an update; a refusal by the server is reported, auth and server failures end the run. */
async function execute(conn: Connection, client: Api, step: Step, etag: string | undefined): Promise<boolean> {
  if (step.kind !== 'create' && step.kind !== 'update') return report(step);
  let outcome;
  try {
    outcome =
      step.kind === 'create'
        ? await client.POST('/v1/experiments', { body: step.body })
        : await client.PATCH('/v1/experiments/{key}', { params: { path: { key: step.key }, header: etag ? { 'If-Match': etag } : {} }, body: step.patch });
  } catch (err) {
    throw networkError(conn, err);
  }
  const { response, error } = outcome;
  if (response.ok) return report(step);
  const status = response.status;
  if (status === 401 || status === 403 || status >= 500 || !isProblem(error)) throw httpError(response, error);
  print([`reject ${step.key}: ${error.detail ?? error.title} (${status})`, ...(error.errors ?? []).map((e) => `  ${e.field}: ${e.message}`)]);
  return false;
}
