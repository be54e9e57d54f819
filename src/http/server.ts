import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { openRuntime, type Runtime, type RuntimeOptions } from '../runtime';
import { createApp } from './app';
import { createCors } from './cors';
import { securityHeaders } from './security-headers';
import { markTimedOut } from './aborted';
import { createHttpMetrics } from './metrics';
import { createAssignRoute } from './routes/assignments';
import { rawProblemResponse, sendProblem } from './problem';

/**
 * The HTTP server. It listens at once, so /healthz answers while storage is still
 * opening (PGlite's first start creates a database); until then /readyz and every other
 * route answer 503. Closing stops accepting connections, lets in-flight requests finish
 * (up to SHUTDOWN_TIMEOUT_MS), then closes the runtime (flushes buffers, closes pools).
 */
export interface RunningServer {
  server: http.Server;
  port: number;
  url: string;
  /** Resolves when storage is open and every route is served. */
  ready: Promise<Runtime>;
  close(): Promise<void>;
}

export interface ServerOptions extends RuntimeOptions {
  /** Called once the runtime is open, before the first request is served by it. */
  onReady?: (rt: Runtime) => Promise<void>;
}

export async function startServer(config: Config, logger: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  let handler: http.RequestListener | undefined;
  let startupError: unknown;

  const server = http.createServer(serverTimeouts(config), (req, res) => {
    if (handler) return handler(req, res);
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.setHeader('Content-Type', 'application/json');
      res.end('{"status":"ok"}');
      return;
    }
    const body = { status: startupError ? 'unavailable' : 'starting', checks: {} };
    if (path === '/readyz') {
      res.statusCode = 503;
      res.setHeader('Retry-After', '2');
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(body));
      return;
    }
    sendProblem(res, { type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'the service is starting; retry shortly' }, { 'Retry-After': '2' });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket, logger));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const ready = (async () => {
    try {
      const rt = await openRuntime(config, logger, options);
      await options.onReady?.(rt);
      const metrics = createHttpMetrics(rt.metrics);
      const app = createApp(rt, metrics);
      const assign = createAssignRoute(rt, metrics);
      const cors = createCors(config, rt.contract);
      const headers = securityHeaders();
      const route: http.RequestListener = (req, res) => (assign.isAssignRequest(req) ? assign.handle(req, res) : app(req, res));
      const served: http.RequestListener = (req, res) => (cors.applies(req) ? cors.handle(req, res, () => route(req, res)) : route(req, res));
      handler = (req, res) => headers(req, res, () => served(req, res));
      return rt;
    } catch (err) {
      startupError = err;
      throw err;
    }
  })();
  ready.catch(() => undefined);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
      await stopped;
      clearTimeout(timer);
      const rt = await ready.catch(() => undefined);
      await rt?.close();
    })());

  return { server, port, url: `http://127.0.0.1:${port}`, ready, close };
}

/**
 * Node's defaults would let a client hold a connection for 5 minutes by declaring a body
 * and never sending it (requestTimeout 300 s, checked every 30 s). A request's headers must
 * arrive within HEADERS_TIMEOUT_MS and the whole request within REQUEST_TIMEOUT_MS, else it
 * is answered 408 (answerClientError) and closed; the deadlines are checked every second, or
 * more often when they are shorter. An idle keep-alive connection is closed after
 * KEEP_ALIVE_TIMEOUT_MS (65 s by default: longer than the 60 s idle timeout of common load
 * balancers, so the server never closes a connection one of them is about to reuse).
 */
export function serverTimeouts(config: Pick<Config, 'headersTimeoutMs' | 'requestTimeoutMs' | 'keepAliveTimeoutMs'>): http.ServerOptions {
  return {
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, Math.max(50, Math.floor(config.headersTimeoutMs / 5))),
  };
}

/**
 * A connection the HTTP parser gave up on (a header over Node's limit, bytes that are not
 * HTTP, a request that took too long to arrive) never becomes a request, so no handler sees
 * it. Node would answer a bare status line; this answers the same status as a minimal
 * problem+json document, with Connection: close, when nothing of a response has been
 * written to the socket yet, and then closes it.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, logger: Logger): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  let status = 400;
  let detail = 'the request is not valid HTTP/1.1';
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      status = 431;
      detail = `the request line and headers are larger than this server accepts (${http.maxHeaderSize} bytes)`;
      break;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      status = 413;
      detail = 'the chunk extensions of the body are larger than this server accepts';
      break;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      status = 408;
      detail = 'the request did not arrive in time';
      markTimedOut(socket);
      break;
  }
  if (err.code === 'HPE_INVALID_EOF_STATE') logger.debug({ code: err.code, status }, 'the client closed the connection in the middle of a request');
  else logger.debug({ code: err.code, status }, status === 408 ? 'request timed out' : 'unparseable request');
  socket.end(rawProblemResponse(status, detail));
  // The peer normally closes after reading the answer; one that does not is cut off.
  const timer = setTimeout(() => socket.destroy(), 5_000);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
