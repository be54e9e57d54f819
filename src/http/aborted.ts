import type { IncomingMessage } from 'node:http';
import type { RequestContext } from './middleware/context';

/**
 * Requests that ended before their body arrived: the client went away (a closed tab, a
 * dropped mobile connection) or the server gave up waiting (REQUEST_TIMEOUT_MS,
 * answered 408 by `answerClientError`). Neither is a fault of the service: they are logged
 * as what they are, at the level of the request's access line (info; debug on the quiet
 * hot path), never as an error, and no answer is attempted on the dead connection.
 */
const timedOut = new WeakSet<object>();

/** The server answered this connection 408: its request did not arrive in time. */
export function markTimedOut(socket: object): void {
  timedOut.add(socket);
}

/**
 * Whether `err` is the request stream failing because the connection closed before the body
 * was complete (Node: ECONNRESET "aborted"; body-parser: type "request.aborted"). An error
 * after the body was read (a dependency's ECONNRESET) is not one.
 */
export function endedEarly(err: unknown, req: IncomingMessage): boolean {
  if (req.complete) return false;
  const e = err as { code?: unknown; type?: unknown } | null;
  return e?.type === 'request.aborted' || e?.code === 'ECONNRESET' || e?.code === 'ECONNABORTED';
}

export function logEndedEarly(req: IncomingMessage, ctx: RequestContext): void {
  const reason = timedOut.has(req.socket) ? 'timeout' : 'client';
  const level = ctx.quiet ? 'debug' : 'info';
  ctx.log[level](
    { method: req.method, route: ctx.route, url: req.url, reason },
    reason === 'timeout' ? 'request timed out before its body arrived' : 'request aborted by the client before its body arrived',
  );
}
