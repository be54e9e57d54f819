import type { IncomingMessage, ServerResponse } from 'node:http';
import { validateUnitId } from '../../assignment';
import { unstorableFields, type Operation } from '../../contract';
import { invalid, pointerFromPath } from '../../errors';
import type { Runtime } from '../../runtime';
import type { AssignRequest, AssignResponse } from '../../serving/assigner';
import { endedEarly, logEndedEarly } from '../aborted';
import { bodyRequired, readJsonBody, requireJsonContentType } from '../body';
import type { HttpMetrics } from '../metrics';
import { authorize, authorizeCached } from '../middleware/auth';
import { beginRequest } from '../middleware/context';
import { limitRate, limitRateNow } from '../middleware/rate-limit';
import { internalError, sendError, sendProblem, toVerdictError } from '../problem';

/**
 * POST /v1/assign without express: the storefront calls it on every page view, and
 * express's per-request machinery alone would cost more than the assignment itself.
 * This route is deliberately lean but not different: the same request context (id, log,
 * metrics), the same authorization, the same body reader (body.ts), the same contract
 * validation (the spec's compiled schema), the same problem+json errors as every other route.
 * Its path is the contract's: the server sends it the requests `isAssignRequest` recognizes.
 */
const BODY_LIMIT = 64 * 1024;

/**
 * Whether a request target is this operation's path as the contract routes it: the path is
 * what precedes any query string (or fragment), and the contract's route patterns allow one
 * trailing slash (`/v1/assign/`). Anything else is left to express.
 */
export function targetsPath(url: string, path: string): boolean {
  if (!url.startsWith(path)) return false;
  const rest = url.slice(path.length);
  const end = rest.startsWith('/') ? 1 : 0;
  return rest.length === end || rest[end] === '?' || rest[end] === '#';
}

/**
 * The response as JSON text. The assigner's results are shared frozen objects, so each one's
 * JSON is computed once and reused: the hot path then only concatenates strings.
 */
const fragments = new WeakMap<object, string>();
export function responseJson(response: AssignResponse): string {
  let out = '{"unitId":' + JSON.stringify(response.unitId) + ',"assignments":[';
  response.assignments.forEach((a, i) => {
    let json = fragments.get(a);
    if (json === undefined) {
      json = JSON.stringify(a);
      if (Object.isFrozen(a)) fragments.set(a, json);
    }
    out += (i > 0 ? ',' : '') + json;
  });
  return out + ']}';
}

export interface AssignRoute {
  /** Whether this request is POST /v1/assign (then `handle` it; otherwise express does). */
  isAssignRequest(req: IncomingMessage): boolean;
  handle(req: IncomingMessage, res: ServerResponse): void;
}

export function createAssignRoute(rt: Runtime, metrics: HttpMetrics): AssignRoute {
  const operation: Operation | undefined = rt.contract.operations.find((o) => o.operationId === 'assign');
  if (!operation) throw new Error('openapi.yaml does not describe the assign operation');

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A known key is answered from memory (undefined only when it must be looked up; `??` would
    // also re-run the check for an operation without a scope, whose answer is null).
    const cached = authorizeCached(req, operation!, rt.authenticator);
    const principal = cached !== undefined ? cached : await authorize(req, operation!, rt.authenticator);
    if (!limitRateNow(rt.rateLimit, principal)) await limitRate(rt.rateLimit, principal);
    requireJsonContentType(req);
    const body = await readJsonBody(req, res, { limit: BODY_LIMIT, compressed: false });
    if (body === undefined) throw bodyRequired();
    const errors = operation!.validateBody(body);
    // Beyond the schema: the unit id rule (UTF-16 length), and text the database could not store
    // (U+0000, an unpaired surrogate) anywhere in the body, as every write path refuses it
    // (see app.ts): here, never by the exposure batch the unit id or a segment would be written in.
    if (errors.length === 0) {
      for (const e of validateUnitId((body as AssignRequest).unitId)) errors.push({ field: pointerFromPath(e.path), message: e.message });
      for (const e of unstorableFields(body)) if (!errors.some((x) => x.field === e.field)) errors.push(e);
    }
    if (errors.length) throw invalid(`the request does not match the API contract (${errors.length} problem${errors.length > 1 ? 's' : ''})`, errors);
    const json = responseJson(await rt.assigner.assign(body as AssignRequest));
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(json));
    res.end(json);
  }

  return {
    isAssignRequest: (req) => req.method === operation.method && targetsPath(req.url ?? '/', operation.path),
    handle(req, res) {
      const ctx = beginRequest(req, res, rt.logger, metrics);
      ctx.route = operation.path;
      ctx.quiet = true;
      answer(req, res).catch((err) => {
        if (endedEarly(err, req)) {
          logEndedEarly(req, ctx);
          return void res.destroy();
        }
        if (res.headersSent) return void res.destroy();
        const known = toVerdictError(err);
        if (known) return sendError(res, known, ctx.id);
        ctx.log.error({ err }, 'unhandled error');
        sendProblem(res, internalError(ctx.id));
      });
    },
  };
}
