import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';
import type { Config } from '../config';
import type { Contract } from '../contract';

/**
 * CORS for the storefront's paths, those for which openapi.yaml documents a preflight (an
 * OPTIONS operation: /v1/assign, /v1/events, /v1/config and /v1/config/stream), so a page on
 * an allowed origin (CORS_ORIGINS) can call them with the browser key it embeds. Every other path stays
 * same-origin: the dashboard reads the API with keys that must never sit in a page.
 *
 * The `cors` package does the header work (origin matching, Vary, preflight answers); it is
 * plain node req/res middleware, so the lean assign route and the express routes share it,
 * run once in front of both. The preflight (OPTIONS) is always answered, 204, and cached by
 * the browser for CORS_MAX_AGE_SECONDS; only an allowed origin gets Access-Control-Allow-
 * Origin, without which the browser sends nothing. Requests without an Origin header (a
 * server calling the API) skip it entirely: the hot path pays nothing for CORS.
 */
/** The path of a request target as the contract routes it (no query, one optional trailing slash). */
function pathOf(url: string): string {
  let end = url.length;
  for (const stop of ['?', '#']) {
    const i = url.indexOf(stop);
    if (i >= 0 && i < end) end = i;
  }
  let path = url.slice(0, end);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

export type Next = () => void;

/** The CORS step for a request: calls `next` to go on, or answers the preflight itself. */
export function createCors(config: Pick<Config, 'corsOrigins' | 'corsMaxAgeSeconds'>, contract: Pick<Contract, 'operations'>) {
  // Each CORS path allows the methods the contract documents on it (POST /v1/assign, GET /v1/config).
  const preflighted = contract.operations.filter((o) => o.method === 'OPTIONS').map((o) => o.path);
  const byPath = new Map(
    preflighted.map((path) => {
      const methods = contract.operations.filter((o) => o.path === path && o.method !== 'OPTIONS').map((o) => o.method);
      return [
        path,
        cors({
          origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
          methods,
          allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', ...(methods.includes('GET') ? ['If-None-Match', 'Last-Event-ID'] : [])],
          exposedHeaders: ['X-Request-Id', 'Retry-After', ...(methods.includes('GET') ? ['ETag'] : [])],
          credentials: false,
          maxAge: config.corsMaxAgeSeconds,
          preflightContinue: false,
          optionsSuccessStatus: 204,
        }),
      ];
    }),
  );
  return {
    /** Whether this request goes through CORS (a preflight, or a browser's cross-origin call, on a CORS path). */
    applies(req: IncomingMessage): boolean {
      return (req.method === 'OPTIONS' || req.headers.origin !== undefined) && byPath.has(pathOf(req.url ?? '/'));
    },
    handle(req: IncomingMessage, res: ServerResponse, next: Next): void {
      byPath.get(pathOf(req.url ?? '/'))!(req, res, () => next());
    },
  };
}
