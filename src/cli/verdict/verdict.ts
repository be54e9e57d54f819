import { splitCommand } from './args';
import * as apply from './apply-command';
import * as check from './check-command';
import { CliError, EXIT, UsageError } from './cli-errors';
import { print } from './format';
import * as keys from './keys-command';
import * as results from './results-command';
import * as tactics from './tactics-command';

/**
 * `verdict`, the command line of the Verdict service: one module per command, each with
 * `help` and `run(args) -> exit code`. Errors end as one line on stderr, never a stack trace.
 */
interface Command {
  help: string;
  run(args: string[]): Promise<number>;
}

const COMMANDS: Record<string, Command & { summary: string }> = {
  check: { ...check, summary: 'the rollout decision (ship, continue, rollback, invalid) as an exit code' },
  results: { ...results, summary: 'lift, intervals and p-values per metric, variant and segment' },
  tactics: { ...tactics, summary: 'which personalization tactics work, and for whom' },
  apply: { ...apply, summary: 'create and update experiments from a YAML file' },
  keys: { ...keys, summary: 'create or rotate an API key (keys create --scope ... --name ...; keys rotate <id>)' },
};

const HELP = `Usage: verdict <command> [options]

The command line of Verdict, the A/B experimentation service.

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(9)}${c.summary}`)
  .join('\n')}

Every command talks to the service over HTTP:
  --url <url>    or VERDICT_URL (default http://localhost:8080)
  --key <key>    or VERDICT_KEY (an API key; read scope for check, results and tactics)

Run "verdict <command> --help" for a command's options and exit codes.`;

function version(): string {
  try {
    return (require('../../../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function main(argv: string[]): Promise<number> {
  const { command, rest } = splitCommand(argv);
  if (command === undefined) {
    if (rest.includes('--version')) {
      print(version());
      return EXIT.ok;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      print(HELP);
      return EXIT.ok;
    }
    throw new UsageError('a command is required (check, results, tactics, apply or keys); see "verdict --help"');
  }
  if (command === 'help') {
    const topic = rest.find((a) => !a.startsWith('-'));
    print(topic && COMMANDS[topic] ? COMMANDS[topic].help : HELP);
    return EXIT.ok;
  }
  const cmd = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!cmd) throw new UsageError(`unknown command "${command}"; the commands are ${Object.keys(COMMANDS).join(', ')}`);
  return cmd.run(rest);
}

function fail(err: unknown): number {
  if (err instanceof CliError) {
    process.stderr.write(`verdict: ${err.message}\n`);
    return err.exitCode;
  }
  // A bug: still one line, with a hint to rerun with VERDICT_DEBUG=1 for the stack.
  if (process.env.VERDICT_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`verdict: unexpected error: ${message.split('\n')[0]} (set VERDICT_DEBUG=1 for details)\n`);
  return EXIT.error;
}

/** Runs when started as a program: directly, or through bin/verdict.js (also as the npm bin link). */
const entry = require.main?.filename ?? '';
if (require.main === module || /[\\/]bin[\\/]verdict(\.js)?$/.test(entry)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.exitCode = fail(err);
    },
  );
}
