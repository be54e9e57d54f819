import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { SCOPES, type Scope } from '../model/api-key';
import { createLogger } from '../logger';
import { openRuntime } from '../runtime';

/**
 * `npm run keys -- <command>`: manage API keys directly in the database (no server needed).
 *   create --scope assign|read|admin --name <name> [--browser]   prints the new key once
 *   list                                             every key, without secrets
 *   revoke <id>                                      the key stops working
 */
const USAGE = `usage: npm run keys -- create --scope assign|read|admin --name <name> [--browser]
       npm run keys -- list
       npm run keys -- revoke <key id>`;

function fail(message: string): never {
  console.error(`keys: ${message}`);
  process.exit(4);
}

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { scope: { type: 'string' }, name: { type: 'string' }, browser: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, arg] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  if (!['create', 'list', 'revoke'].includes(command)) fail(`unknown command "${command}"\n${USAGE}`);
  if (command === 'create') {
    if (!values.scope || !SCOPES.includes(values.scope as Scope)) fail(`--scope must be one of ${SCOPES.join(', ')}`);
    if (!values.name) fail('--name is required (e.g. --name ci)');
    if (values.browser && values.scope !== 'assign') fail('--browser needs --scope assign');
  }
  if (command === 'revoke' && !arg) fail('revoke needs the key id (see: npm run keys -- list)');

  const config = loadConfig();
  const rt = await openRuntime(config, createLogger('warn'));
  try {
    if (command === 'create') {
      const key = await rt.keys.create('cli', values.name!, values.scope as Scope, { browser: values.browser === true });
      console.log(`created ${key.id} (${key.scope}${key.browser ? ', browser' : ''}, "${key.name}"). The key, shown this once:\n\n  ${key.secret}\n`);
    } else if (command === 'list') {
      for (const k of await rt.keys.list()) {
        console.log(`${k.id}\t${k.scope}${k.browser ? '+browser' : ''}\t${k.revokedAt ? 'revoked' : 'active'}\t${k.createdAt}\t${k.name}`);
      }
    } else {
      await rt.keys.revoke('cli', arg);
      console.log(`revoked ${arg}`);
    }
  } finally {
    await rt.close();
  }
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
