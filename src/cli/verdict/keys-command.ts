import { choice, GLOBAL_HELP, parseCommand, positionals } from './args';
import { api, connection, send } from './client';
import { EXIT, UsageError } from './cli-errors';
import { json, print } from './format';

/** `verdict keys create`: a new API key (needs an admin key); its secret is shown once. */
export const help = `Usage: verdict keys create --scope assign|read|admin --name <name> [--format text|json]

Creates an API key (POST /v1/keys; needs an admin key) and prints its secret. The
secret is shown only this once: Verdict keeps a hash of it.

Scopes:
  assign   what a storefront embeds: /v1/assign and /v1/events
  read     experiments, results, decisions (what CI needs for "verdict check")
  admin    everything, including keys

${GLOBAL_HELP}

Example:
  verdict keys create --scope read --name github-actions`;

const SCOPES = ['assign', 'read', 'admin'] as const;

export async function run(args: string[]): Promise<number> {
  const { values, positionals: given } = parseCommand('keys', args, {
    scope: { type: 'string' },
    name: { type: 'string' },
    format: { type: 'string' },
  });
  if (values.help) {
    print(help);
    return EXIT.ok;
  }
  const [action] = positionals('keys', given, ['action']);
  if (action !== 'create') throw new UsageError(`keys: unknown action "${action}" (only "create"); see "verdict keys --help"`);
  if (values.scope === undefined) throw new UsageError(`keys create: --scope is required (${SCOPES.join(', ')})`);
  const scope = choice('keys create', 'scope', values.scope, SCOPES, 'read');
  const name = values.name?.trim();
  if (!name || name.length > 100) throw new UsageError('keys create: --name <name> is required (1 to 100 characters)');
  const format = choice('keys create', 'format', values.format, ['text', 'json'] as const, 'text');
  const conn = connection(values);

  const { data } = await send(conn, api(conn).POST('/v1/keys', { body: { name, scope } }));
  if (format === 'json') print(json(data));
  else {
    print([
      `Created ${data.scope} key ${data.id} ("${data.name}"). Its secret:`,
      '',
      `  ${data.secret}`,
      '',
      'Store it now (e.g. as the VERDICT_KEY secret of your CI): it is not shown again.',
    ]);
  }
  return EXIT.ok;
}
