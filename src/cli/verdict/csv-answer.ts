import { CliError } from './cli-errors';

/** What to send for a CSV answer, and the check that the server really answered CSV. */
export const CSV = { headers: { Accept: 'text/csv' }, parseAs: 'text' } as const;

export function csvBody(response: Response, data: unknown): string {
  const type = response.headers.get('content-type') ?? 'no Content-Type';
  if (!/^text\/csv\b/i.test(type) || typeof data !== 'string') {
    throw new CliError(`asked for CSV, the server answered ${type.split(';')[0]} (${new URL(response.url).pathname}): is it older than this command?`);
  }
  return data;
}
