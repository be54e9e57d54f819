import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../logger';
import type { HttpMetrics } from '../metrics';

/**
 * Per-request context: a request id (the client's X-Request-Id when it is sane, else a
 * new one) echoed in the response, a child logger (made on first use), and, when the
 * response is finished, one access-log line and the Prometheus observation. The access
 * line is at `info`, except for the storefront's hot path (`quiet`), logged at `debug`:
 * every page view would otherwise be a log line; /metrics counts them.
 */
export interface RequestContext {
  id: string;
  readonly log: Logger;
  /** The spec's path template once the route is known ("unmatched" until then). */
  route: string;
  /** Log the access line at debug instead of info. */
  quiet: boolean;
}

const SANE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export function beginRequest(req: IncomingMessage, res: ServerResponse, logger: Logger, metrics: HttpMetrics): RequestContext {
  const started = process.hrtime.bigint();
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  let child: Logger | undefined;
  const ctx: RequestContext = {
    id,
    get log() {
      return (child ??= logger.child({ reqId: id }));
    },
    route: 'unmatched',
    quiet: false,
  };
  res.once('finish', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.observe(req.method ?? 'GET', ctx.route, res.statusCode, seconds);
    const level = ctx.quiet && res.statusCode < 400 ? 'debug' : 'info';
    if (logger.isLevelEnabled(level)) {
      ctx.log[level]({ method: req.method, route: ctx.route, url: req.url, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 }, 'request');
    }
  });
  return ctx;
}
