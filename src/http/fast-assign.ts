import type { IncomingMessage, ServerResponse } from 'node:http';
import { validateUnitId } from '../assignment';
import { unstorableFields } from '../contract';
import { VerdictError, invalid, pointerFromPath } from '../errors';
import type { AssignRequest, AssignResponse } from '../serving/assigner';
import type { Runtime } from '../runtime';
import { endedEarly, logEndedEarly } from './aborted';
import { authorize, authorizeCached } from './middleware/auth';
import { beginRequest } from './middleware/context';
import { internalError, sendError, sendProblem, toVerdictError } from './problem';

/**
 * POST /v1/assign without express: the storefront calls it on every page view, and
 * express's per-request machinery alone would cost more than the assignment itself.
 * This route is deliberately lean but not different: the same request context (id, log,
 * metrics), the same authorization, the same contract validation (the spec's compiled
 * schema), the same problem+json errors as every express route.
 */
export const ASSIGN_PATH = '/v1/assign';

/**
 * Whether a request target is POST /v1/assign's path as express would route it: the path is
 * what precedes any query string (or fragment), and the contract's route patterns allow one
 * trailing slash (`/v1/assign/`). Anything else is left to express.
 */
export function isAssignUrl(url: string): boolean {
  if (!url.startsWith(ASSIGN_PATH)) return false;
  const rest = url.slice(ASSIGN_PATH.length);
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

const BODY_LIMIT = 64 * 1024;
const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) {
      reject(new VerdictError('too_large', `the body is larger than this endpoint accepts (${limit} bytes)`));
      req.resume();
      return;
    }
    let text = '';
    let size = 0;
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      size += Buffer.byteLength(chunk);
      if (size > limit) {
        reject(new VerdictError('too_large', `the body is larger than this endpoint accepts (${limit} bytes)`));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      text += chunk;
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

export function createFastAssign(rt: Runtime) {
  const match = rt.contract.match('POST', ASSIGN_PATH);
  if (!match || !('operation' in match)) throw new Error('openapi.yaml does not describe POST /v1/assign');
  const operation = match.operation;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (authorizeCached(req, operation, rt.authenticator) === undefined) await authorize(req, operation, rt.authenticator);
    const type = req.headers['content-type'];
    if (!type || !JSON_TYPE.test(type)) {
      throw new VerdictError('unsupported_media_type', `send the body as application/json (got ${type ? `"${type}"` : 'no Content-Type'})`);
    }
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      // Read as it came, a compressed body would only be reported as "not valid JSON".
      throw new VerdictError('unsupported_media_type', `send the body uncompressed (got Content-Encoding "${encoding}")`);
    }
    const text = await readBody(req, BODY_LIMIT);
    if (text.length === 0) throw invalid('a JSON body is required', [{ field: '/', message: 'is required' }]);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw invalid(`the body is not valid JSON: ${(err as Error).message}`, [{ field: '/', message: 'is not valid JSON' }]);
    }
    const errors = operation.validateBody(body);
    // Beyond the schema: the unit id rule (UTF-16 length), and text the database could not store
    // (U+0000, an unpaired surrogate) anywhere in the body, as every write path refuses it
    // (see http/app.ts): here, never by the exposure batch the unit id or a segment would be written in.
    if (errors.length === 0) {
      for (const e of validateUnitId((body as AssignRequest).unitId)) errors.push({ field: pointerFromPath(e.path), message: e.message });
      for (const e of unstorableFields(body)) if (!errors.some((x) => x.field === e.field)) errors.push(e);
    }
    if (errors.length) throw invalid(`the request does not match the API contract (${errors.length} problem${errors.length > 1 ? 's' : ''})`, errors);
    const answer = responseJson(await rt.assigner.assign(body as AssignRequest));
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(answer));
    res.end(answer);
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    const ctx = beginRequest(req, res, rt.logger, rt.metrics);
    ctx.route = operation.path;
    ctx.quiet = true;
    handle(req, res).catch((err) => {
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
  };
}
