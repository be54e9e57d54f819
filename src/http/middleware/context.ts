import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../logger';
import type { HttpMetrics } from '../metrics';

/**
 * Per-request context: a request id (the client's X-Request-Id when it is sane, else a
 * new one) echoed in the response, a child logger, and, when the response is finished,
 * one access-log line and the Prometheus observation.
 */
export interface RequestContext {
  id: string;
  log: Logger;
  /** The spec's path template once the route is known ("unmatched" until then). */
  route: string;
}

const SANE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export function beginRequest(req: IncomingMessage, res: ServerResponse, logger: Logger, metrics: HttpMetrics): RequestContext {
  const started = process.hrtime.bigint();
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  const ctx: RequestContext = { id, log: logger.child({ reqId: id }), route: 'unmatched' };
  res.once('finish', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.observe(req.method ?? 'GET', ctx.route, res.statusCode, seconds);
    if (ctx.log.isLevelEnabled('info')) {
      ctx.log.info({ method: req.method, route: ctx.route, url: req.url, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 }, 'request');
    }
  });
  return ctx;
}
