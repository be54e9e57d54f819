import { choice, GLOBAL_HELP, number, parseCommand, positionals } from './args';
import { api, connection, send } from './client';
import { EXIT, UsageError } from './cli-errors';
import { json, print } from './format';

/** `verdict keys create` and `verdict keys rotate` (need an admin key); a new secret is shown once. */
export const help = `Usage: verdict keys create --scope assign|read|admin --name <name> [--browser] [--format text|json]
       verdict keys rotate <key id> [--overlap <seconds>] [--format text|json]

create: makes an API key (POST /v1/keys; needs an admin key) and prints its secret. The
secret is shown only this once: Verdict keeps a hash of it. --browser (scope assign only)
makes a browser key, the one a web page embeds: it assigns and sends events, and reads the
configuration in its browser-safe shape only (no QA overrides, no drafts).

rotate: replaces a key (POST /v1/keys/{id}/rotate): a new key with the same name, scope and mark,
whose secret is printed once; the old key keeps working for --overlap seconds (default
86400, one day; 0 ends it at once), time to deploy the new one.

Scopes:
  assign   what a storefront embeds: /v1/assign, /v1/events, /v1/config (--browser in pages)
  read     experiments, results, decisions (what CI needs for "verdict check")
  admin    everything, including keys

${GLOBAL_HELP}

Examples:
  verdict keys create --scope read --name github-actions
  verdict keys create --scope assign --browser --name shop-pages
  verdict keys rotate key_AbC123xyz456 --overlap 3600`;

const SCOPES = ['assign', 'read', 'admin'] as const;

export async function run(args: string[]): Promise<number> {
  const { values, positionals: given } = parseCommand('keys', args, {
    scope: { type: 'string' },
    name: { type: 'string' },
    format: { type: 'string' },
    overlap: { type: 'string' },
    browser: { type: 'boolean' },
  });
  if (values.help) {
    print(help);
    return EXIT.ok;
  }
  if (given[0] === 'rotate') return rotate(given, values);
  const [action] = positionals('keys', given, ['action']);
  if (action !== 'create') throw new UsageError(`keys: unknown action "${action}" (create or rotate); see "verdict keys --help"`);
  if (values.scope === undefined) throw new UsageError(`keys create: --scope is required (${SCOPES.join(', ')})`);
  const scope = choice('keys create', 'scope', values.scope, SCOPES, 'read');
  const name = values.name?.trim();
  if (!name || name.length > 100) throw new UsageError('keys create: --name <name> is required (1 to 100 characters)');
  const browser = values.browser === true;
  if (browser && scope !== 'assign') throw new UsageError(`keys create: --browser needs --scope assign (a page must never hold a ${scope} key)`);
  const format = choice('keys create', 'format', values.format, ['text', 'json'] as const, 'text');
  const conn = connection(values);

  const { data } = await send(conn, api(conn).POST('/v1/keys', { body: browser ? { name, scope, browser } : { name, scope } }));
  if (format === 'json') print(json(data));
  else {
    print([
      `Created ${data.scope}${data.browser ? ' (browser)' : ''} key ${data.id} ("${data.name}"). Its secret:`,
      '',
      `  ${data.secret}`,
      '',
      'Store it now (e.g. as the VERDICT_KEY secret of your CI): it is not shown again.',
    ]);
  }
  return EXIT.ok;
}

async function rotate(given: string[], values: { overlap?: string; format?: string } & Parameters<typeof connection>[0]): Promise<number> {
  const [, id] = positionals('keys rotate', given, ['action', 'key id']);
  const overlapSeconds = number('keys rotate', 'overlap', values.overlap, { min: 0, max: 2_592_000 });
  if (overlapSeconds !== undefined && !Number.isInteger(overlapSeconds)) throw new UsageError('keys rotate: --overlap must be whole seconds');
  const format = choice('keys rotate', 'format', values.format, ['text', 'json'] as const, 'text');
  const conn = connection(values);
  const { data } = await send(
    conn,
    api(conn).POST('/v1/keys/{id}/rotate', { params: { path: { id: id! } }, body: overlapSeconds === undefined ? {} : { overlapSeconds } }),
  );
  if (format === 'json') print(json(data));
  else {
    print([
      `Rotated ${data.previous.id}: new ${data.key.scope} key ${data.key.id} ("${data.key.name}"). Its secret:`,
      '',
      `  ${data.key.secret}`,
      '',
      `The old key works until ${data.previous.expiresAt}. Store the new secret now: it is not shown again.`,
    ]);
  }
  return EXIT.ok;
}
