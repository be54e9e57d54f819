/**
 * The errors the service answers with on purpose. The core throws them by kind; the HTTP
 * layer turns each kind into its status code and an RFC 9457 problem document.
 * Anything else thrown is a bug and becomes a 500 without details.
 */
export interface FieldError {
  /** A JSON pointer into the body (`/variants/1/weight`), or `query.x`, `path.x`, `header.x`. */
  field: string;
  message: string;
}

export type ErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'not_acceptable'
  | 'conflict'
  | 'precondition_failed'
  | 'too_large'
  | 'unsupported_media_type'
  | 'too_many_requests'
  | 'unavailable';

export interface ErrorOptions {
  /** A short slug naming the kind of problem (becomes the problem `type`). */
  type?: string;
  title?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Extra members of the problem document. */
  extensions?: Record<string, unknown>;
}

export class VerdictError extends Error {
  readonly kind: ErrorKind;
  readonly options: ErrorOptions;
  constructor(kind: ErrorKind, detail: string, options: ErrorOptions = {}) {
    super(detail);
    this.name = 'VerdictError';
    this.kind = kind;
    this.options = options;
  }
}

/**
 * A change made against a version that is no longer current (optimistic concurrency): 412,
 * and the HTTP layer sends the current version as the ETag.
 */
export class StaleVersionError extends VerdictError {
  constructor(
    detail: string,
    readonly currentVersion: number,
  ) {
    super('precondition_failed', detail, { type: 'stale-version', title: 'Stale version' });
    this.name = 'StaleVersionError';
  }
}

/**
 * A dependency is away: thrown (wrapped) by the store when the database, or the cache
 * (Redis), cannot be reached. Nothing was changed; the HTTP layer answers 503 with
 * Retry-After (never a 500).
 */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`database unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'DatabaseUnavailableError';
    this.cause = cause;
  }
}

export class CacheUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`cache unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'CacheUnavailableError';
    this.cause = cause;
  }
}

export const invalid = (detail: string, errors?: FieldError[]) =>
  new VerdictError('invalid', detail, { type: 'invalid-request', title: 'Invalid request', errors });
export const notFound = (detail: string) => new VerdictError('not_found', detail);
export const conflict = (detail: string, type = 'conflict', extensions?: Record<string, unknown>) =>
  new VerdictError('conflict', detail, { type, extensions });

/** `targeting.all[0].op` (the pure modules' dotted paths) as a JSON pointer: `/targeting/all/0/op`. */
/** One segment of a JSON pointer (RFC 6901): "~" becomes "~0", "/" becomes "~1". */
export const pointerToken = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');

export function pointerFromPath(path: string): string {
  return '/' + path.replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean).join('/');
}
