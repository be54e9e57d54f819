import { parseArgs } from 'node:util';
import { UsageError } from './cli-errors';

/**
 * Command-line parsing on node:util parseArgs. Every command takes the connection
 * options (--url, --key) and --help, anywhere on the line; its own options come on top.
 */
type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: false };
export type Options = Record<string, OptionSpec>;

export const GLOBAL_OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export const GLOBAL_HELP = `Connection (every command):
  --url <url>    the Verdict service (default $VERDICT_URL, else http://localhost:8080)
  --key <key>    an API key (default $VERDICT_KEY)
  -h, --help     this help`;

type Values<O extends Options> = { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string };

export interface Parsed<O extends Options> {
  values: Values<O & typeof GLOBAL_OPTIONS>;
  positionals: string[];
}

/** Parses one command's arguments; a mistake becomes a UsageError naming the command. */
export function parseCommand<O extends Options>(command: string, args: string[], options: O): Parsed<O> {
  try {
    const { values, positionals } = parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true });
    return { values: values as Values<O & typeof GLOBAL_OPTIONS>, positionals };
  } catch (err) {
    throw new UsageError(`${command}: ${describeParseError(err)}; see "verdict ${command} --help"`);
  }
}

function describeParseError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const option = /'(-[^' ]+)/.exec(e.message ?? '')?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? ''}`.trim();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return option ? `option ${option} needs a value` : 'an option has a wrong value';
    default:
      return (e.message ?? String(err)).split('\n')[0];
  }
}

/**
 * The command word: the first argument that is neither an option nor the value of a
 * connection option, so `verdict --url http://x check exp` works as well as `verdict check exp --url http://x`.
 */
export function splitCommand(argv: string[]): { command?: string; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') break;
    if (token === '--url' || token === '--key') {
      i++;
      continue;
    }
    if (token.startsWith('-')) continue;
    return { command: token, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { rest: argv };
}

/** Exactly the positionals a command takes: `names` required, `optional` may follow. */
export function positionals(command: string, given: string[], names: string[], optional: string[] = []): (string | undefined)[] {
  if (given.length < names.length) throw new UsageError(`${command}: missing <${names[given.length]}>; see "verdict ${command} --help"`);
  if (given.length > names.length + optional.length) throw new UsageError(`${command}: unexpected argument "${given[names.length + optional.length]}"; see "verdict ${command} --help"`);
  return [...names, ...optional].map((_, i) => given[i]);
}

export function choice<T extends string>(command: string, option: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${command}: --${option} must be one of ${allowed.join(', ')} (got "${value}")`);
}

export function number(command: string, option: string, value: string | undefined, range: { min: number; max: number }): number | undefined {
  if (value === undefined) return undefined;
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n) || n < range.min || n > range.max) {
    throw new UsageError(`${command}: --${option} must be a number from ${range.min} to ${range.max} (got "${value}")`);
  }
  return n;
}

/** Experiment keys and tactics are slugs; checking here gives a usage error instead of a 400. */
export function slug(command: string, what: string, value: string): string {
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(value)) {
    throw new UsageError(`${command}: "${value}" is not a valid ${what} (lower-case letters, digits, - and _)`);
  }
  return value;
}
