import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from '../../contract/schema';
import { CliError, UsageError } from './cli-errors';

/**
 * The typed HTTP client (openapi-fetch over the types generated from openapi.yaml) and
 * the one place where HTTP failures become one-line messages.
 */
export type Api = Client<paths>;
export type Schemas = components['schemas'];
type Problem = Schemas['Problem'];

export const DEFAULT_URL = 'http://localhost:8080';
const TIMEOUT_MS = 30_000;

export interface Connection {
  url: string;
  key: string;
}

/** --url / --key, else VERDICT_URL / VERDICT_KEY; the URL defaults to localhost:8080. */
export function connection(values: { url?: string; key?: string }, env: NodeJS.ProcessEnv = process.env): Connection {
  const url = (values.url ?? env.VERDICT_URL ?? '').trim() || DEFAULT_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`"${url}" is not a URL (expected e.g. ${DEFAULT_URL})`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`"${url}" is not an http(s) URL`);
  const key = (values.key ?? env.VERDICT_KEY ?? '').trim();
  if (!key) throw new UsageError('no API key: pass --key <key> or set VERDICT_KEY');
  if (!/^[\x21-\x7e]+$/.test(key)) throw new UsageError('the API key contains spaces or characters a key never has');
  return { url: url.replace(/\/+$/, ''), key };
}

export function api(conn: Connection): Api {
  return createClient<paths>({
    baseUrl: conn.url,
    headers: { Authorization: `Bearer ${conn.key}`, 'User-Agent': 'verdict-cli' },
    fetch: (request) => fetch(request, { signal: AbortSignal.timeout(TIMEOUT_MS) }),
  });
}

/** What a request is about, to word its errors: `experiment "x"` for a 404. */
export interface About {
  /** Names the resource in a 404 ("experiment \"x\"" -> `experiment "x" not found (404)`). */
  resource?: string;
}

type Outcome<T> = { data?: T; error?: unknown; response: Response };

/**
 * Awaits an openapi-fetch call: its data when the answer is a success, else a CliError
 * with one line (the problem's detail and status). Network failures say which URL failed.
 */
export async function send<T>(conn: Connection, call: Promise<Outcome<T>>, about: About = {}): Promise<{ data: T; response: Response }> {
  let outcome: Outcome<T>;
  try {
    outcome = await call;
  } catch (err) {
    throw networkError(conn, err);
  }
  if (outcome.response.ok) return { data: outcome.data as T, response: outcome.response };
  throw httpError(outcome.response, outcome.error, about);
}

export function networkError(conn: Connection, err: unknown): CliError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return new CliError(`no answer from ${conn.url} within ${TIMEOUT_MS / 1000} s`);
  if (err instanceof SyntaxError) return new CliError(`${conn.url} answered something that is not JSON: is it a Verdict service?`);
  const cause = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
  return new CliError(`cannot reach the Verdict service at ${conn.url} (${cause})`);
}

export const isProblem = (body: unknown): body is Problem => typeof body === 'object' && body !== null && typeof (body as Problem).status === 'number';

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The problem's detail and its field errors, on one line. */
export function problemText(problem: Problem): string {
  const detail = oneLine(problem.detail ?? problem.title);
  const fields = (problem.errors ?? []).map((e) => `${e.field}: ${oneLine(e.message)}`);
  return fields.length ? `${detail} (${fields.join('; ')})` : detail;
}

export function httpError(response: Response, body: unknown, about: About = {}): CliError {
  const status = response.status;
  const problem = isProblem(body) ? body : undefined;
  const where = `${new URL(response.url).pathname}`;
  if (!problem) return new CliError(`unexpected answer ${status} ${response.statusText} from ${where}: is the URL a Verdict service?`);
  const text = problemText(problem);
  switch (status) {
    case 401:
      return new CliError(`the API key was refused: ${text} (401)`);
    case 404:
      if (about.resource && !/^no route for/.test(problem.detail ?? '')) return new CliError(`${about.resource} not found (404)`);
      return new CliError(`the server does not know ${where}: ${text} (404)`);
    case 501:
      return new CliError(`the server does not implement ${where} yet (501)`);
    default: {
      const request = status >= 500 && typeof problem.requestId === 'string' ? `, request ${problem.requestId}` : '';
      return new CliError(`${text} (${status}${request})`);
    }
  }
}
