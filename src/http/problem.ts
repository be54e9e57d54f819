import type { ServerResponse } from 'node:http';
import { CacheUnavailableError, DatabaseUnavailableError, StaleVersionError, VerdictError, invalid, type ErrorKind, type FieldError } from '../errors';
import { etagOf } from './conditional';

/**
 * RFC 9457 problem details. Every error the API answers is one of these, written by
 * `sendProblem`, on express routes and on the lean hot path alike.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  not_acceptable: 406,
  conflict: 409,
  precondition_failed: 412,
  too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  unavailable: 503,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * Problem types are URNs (RFC 9457 allows type URIs that do not resolve); each is listed
 * in docs/api.md under "Errors". Plain HTTP conditions use `about:blank`.
 */
export const PROBLEM_BASE = 'urn:verdict:problem:';

export function statusOf(kind: ErrorKind): number {
  return STATUS[kind];
}

export function toProblem(err: VerdictError, requestId?: string): { problem: Problem; headers: Record<string, string> } {
  const status = STATUS[err.kind];
  const o = err.options;
  return {
    problem: {
      // Extensions first: they may never overwrite the standard members.
      ...(o.extensions ?? {}),
      type: o.type ? PROBLEM_BASE + o.type : 'about:blank',
      title: o.title ?? TITLES[status] ?? 'Error',
      status,
      detail: err.message,
      ...(o.errors ? { errors: o.errors } : {}),
      ...(requestId ? { requestId } : {}),
    },
    // A stale version: the current one, as the ETag a retry sends back in If-Match.
    headers: err instanceof StaleVersionError ? { ...o.headers, ETag: etagOf(err.currentVersion) } : (o.headers ?? {}),
  };
}

export function internalError(requestId?: string): Problem {
  return {
    type: 'about:blank',
    title: TITLES[500],
    status: 500,
    detail: 'Something went wrong on our side; the error is logged with this request id.',
    ...(requestId ? { requestId } : {}),
  };
}

export function sendProblem(res: ServerResponse, problem: Problem, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(problem);
  res.statusCode = problem.status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/problem+json');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

export function sendError(res: ServerResponse, err: VerdictError, requestId?: string): void {
  const { problem, headers } = toProblem(err, requestId);
  sendProblem(res, problem, headers);
}

/** Errors with a meaning for the client: ours, the JSON parser's, the database or Redis being away. */
export function toVerdictError(err: unknown): VerdictError | null {
  if (err instanceof VerdictError) return err;
  if (err instanceof DatabaseUnavailableError) {
    return new VerdictError('unavailable', 'the database is unavailable; nothing was changed, retry shortly', {
      type: 'database-unavailable',
      headers: { 'Retry-After': '2' },
    });
  }
  if (err instanceof CacheUnavailableError) {
    return new VerdictError('unavailable', 'the cache (Redis) is unavailable; retry shortly', {
      type: 'cache-unavailable',
      headers: { 'Retry-After': '2' },
    });
  }
  const type = (err as { type?: unknown } | null)?.type;
  switch (type) {
    case 'entity.parse.failed':
      return invalid(`the body is not valid JSON: ${(err as Error).message}`, [{ field: '/', message: 'is not valid JSON' }]);
    case 'entity.too.large':
      return new VerdictError('too_large', `the body is larger than this endpoint accepts (${(err as { limit?: number }).limit} bytes)`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new VerdictError('unsupported_media_type', (err as Error).message);
    case 'request.aborted':
    case 'request.size.invalid':
      return invalid((err as Error).message);
    default:
      return fromHttpError(err);
  }
}

const KIND_OF_STATUS = new Map<number, ErrorKind>(Object.entries(STATUS).map(([kind, status]) => [status, kind as ErrorKind]));

/**
 * Other errors that carry a client status (http-errors style, as body-parser, raw-body and
 * the router throw them: `status` or `statusCode` 400-499): the client's fault, so they keep
 * their status. A body whose Content-Encoding does not match its bytes (a zlib error
 * body-parser marks 400) is the common case. 5xx and errors without a status stay unknown.
 */
function fromHttpError(err: unknown): VerdictError | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { status?: unknown; statusCode?: unknown; message?: unknown; code?: unknown };
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 499) return null;
  // zlib (gzip, deflate), brotli and zstd name their failures by these codes (body-parser
  // keeps the code but replaces the message with "Bad Request").
  if (status === 400 && typeof e.code === 'string' && /^(Z_|ERR__ERROR_|ERR_BROTLI|ZSTD_)/i.test(e.code)) {
    return invalid('the body could not be decoded as its Content-Encoding says', [{ field: '/', message: 'could not be decoded with its Content-Encoding' }]);
  }
  const message = typeof e.message === 'string' && e.message ? e.message : (TITLES[status] ?? 'the request is invalid');
  const kind = KIND_OF_STATUS.get(status) ?? 'invalid';
  return kind === 'invalid' ? invalid(message) : new VerdictError(kind, message);
}

/**
 * A complete HTTP/1.1 answer for a connection the HTTP parser gave up on (an oversized
 * header, a malformed request): no request exists to answer through, so it is written to the
 * socket as is, and the connection is closed after it.
 */
export function rawProblemResponse(status: number, detail: string): string {
  const title = TITLES[status] ?? 'Error';
  const body = JSON.stringify({ type: 'about:blank', title, status, detail } satisfies Problem);
  return (
    `HTTP/1.1 ${status} ${title}\r\n` +
    'Content-Type: application/problem+json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n' +
    '\r\n' +
    body
  );
}
