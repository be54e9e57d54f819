import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import { unstorable } from '../assignment';
import { unstorableFields } from '../contract';
import { VerdictError, invalid, type FieldError } from '../errors';
import type { Runtime } from '../runtime';
import { endedEarly, logEndedEarly } from './aborted';
import { bodyRequired, declaresBody, readJsonBody, requireJsonContentType } from './body';
import type { Handlers } from './handlers';
import type { HttpMetrics } from './metrics';
import { authorize } from './middleware/auth';
import { beginRequest, type RequestContext } from './middleware/context';
import { limitRate } from './middleware/rate-limit';
import { internalError, sendError, sendProblem, toVerdictError } from './problem';
import { configHandlers } from './routes/config';
import { dashboardHandlers } from './routes/dashboard';
import { demoHandlers } from './routes/demo';
import { eventHandlers } from './routes/events';
import { experimentHandlers } from './routes/experiments';
import { keyHandlers } from './routes/keys';
import { opsHandlers } from './routes/ops';
import { resultHandlers } from './routes/results';
import { tacticHandlers } from './routes/tactics';

/**
 * The express application: a gateway, then the operation's handler. Every request is
 * matched against openapi.yaml (unknown path -> 404, known path with another method -> 405),
 * authorized by the operation's scope, its body read and everything validated against the
 * spec's schemas; then the handler bound to its operationId (routes/) answers. Handlers
 * therefore see only well-formed input. Every error leaves as application/problem+json.
 */
export const DEFAULT_BODY_LIMIT = 256 * 1024;
/** Larger bodies per operation. */
export const BODY_LIMITS: Record<string, number> = { ingestEvents: 1024 * 1024 };
/** Bodies whose items are judged one by one by their handler, so one bad item never fails the rest. */
const JUDGED_PER_ITEM = new Set(['ingestEvents']);

/**
 * Text the database cannot store (U+0000, an unpaired UTF-16 surrogate, which has no UTF-8
 * encoding), in a path parameter or anywhere in the body, values and names alike: it would
 * fail the statement it is written in, a 500. Every write path comes through here (and the
 * lean /v1/assign route applies the same check), so it is refused once, naming the field.
 */
function unstorableInput(operationId: string, params: Record<string, string>, body: unknown): FieldError[] {
  const errors: FieldError[] = [];
  for (const [name, value] of Object.entries(params)) {
    const message = unstorable(value);
    if (message) errors.push({ field: `path.${name}`, message });
  }
  if (body !== undefined && !JUDGED_PER_ITEM.has(operationId)) errors.push(...unstorableFields(body));
  return errors;
}

/** Every operation served through express, by operationId (POST /v1/assign has its own lean route). */
function handlersOf(rt: Runtime): Handlers {
  return { ...opsHandlers(rt), ...experimentHandlers(rt), ...resultHandlers(rt), ...eventHandlers(rt), ...keyHandlers(rt), ...tacticHandlers(rt), ...configHandlers(rt), ...demoHandlers(rt), ...dashboardHandlers() };
}

export function createApp(rt: Runtime, metrics: HttpMetrics) {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  const handlers = handlersOf(rt);

  // Gateway: context, route match, auth, body, validation; then the operation's handler.
  app.use(async (req: Request, res: Response) => {
    const ctx = beginRequest(req, res, rt.logger, metrics);
    res.locals.ctx = ctx;
    const match = rt.contract.match(req.method, req.path);
    if (!match) throw new VerdictError('not_found', `no route for ${req.method} ${req.path}; see /docs`);
    if ('allowed' in match) {
      throw new VerdictError('method_not_allowed', `${req.method} is not allowed on ${req.path}; allowed: ${match.allowed.join(', ')}`, {
        headers: { Allow: match.allowed.join(', ') },
      });
    }
    const { operation, params, undecodable } = match;
    ctx.route = operation.path;
    res.locals.operation = operation;
    res.locals.params = params;
    res.locals.principal = await authorize(req, operation, rt.authenticator);
    await limitRate(rt.rateLimit, res.locals.principal);

    if (operation.hasBody) {
      if (declaresBody(req)) {
        requireJsonContentType(req);
        req.body = await readJsonBody(req, res, { limit: BODY_LIMITS[operation.operationId] ?? DEFAULT_BODY_LIMIT, compressed: true });
      } else if (operation.bodyRequired) {
        throw bodyRequired();
      }
    }

    const { errors, query } = operation.validateParams({ path: params, query: req.query as Record<string, unknown>, headers: req.headers });
    for (const name of undecodable) {
      const field = `path.${name}`;
      for (let i = errors.length - 1; i >= 0; i--) if (errors[i].field === field) errors.splice(i, 1);
      errors.push({ field, message: 'is not valid percent-encoding (UTF-8 bytes, RFC 3986)' });
    }
    res.locals.query = query;
    if (operation.hasBody && req.body !== undefined) errors.push(...operation.validateBody(req.body));
    for (const e of unstorableInput(operation.operationId, params, operation.hasBody ? req.body : undefined)) {
      if (!errors.some((x) => x.field === e.field)) errors.push(e);
    }
    if (errors.length) throw invalid(`the request does not match the API contract (${errors.length} problem${errors.length > 1 ? 's' : ''})`, errors);

    const handler = handlers[operation.operationId];
    if (handler) return void (await handler(req, res));
    // A documented operation no handler answers: a bug, never the client's fault.
    ctx.log.error({ operation: operation.operationId }, 'operation has no handler');
    sendProblem(res, { ...internalError(ctx.id), title: 'Not Implemented', status: 501, detail: 'this operation is documented but not implemented' });
  });

  const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
    const ctx: RequestContext | undefined = res.locals.ctx;
    if (ctx && endedEarly(err, req)) {
      logEndedEarly(req, ctx);
      res.destroy();
      return;
    }
    if (res.headersSent) {
      ctx?.log.error({ err }, 'error after the response started');
      res.destroy();
      return;
    }
    try {
      const known = toVerdictError(err);
      if (known) {
        if (known.kind === 'unavailable') ctx?.log.warn({ err: err instanceof Error ? err.message : err }, 'dependency unavailable');
        sendError(res, known, ctx?.id);
        return;
      }
      ctx?.log.error({ err }, 'unhandled error');
      sendProblem(res, internalError(ctx?.id));
    } catch (failure) {
      // Never let express answer with its HTML error page (and a stack trace).
      ctx?.log.error({ err: failure }, 'could not write the error response');
      if (!res.headersSent) sendProblem(res, internalError(ctx?.id));
      else res.destroy();
    }
  };
  app.use(errorHandler);
  return app;
}
