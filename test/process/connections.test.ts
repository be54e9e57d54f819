import net from 'node:net';
import { PROCESS_ADMIN_KEY, processStorage, spawnServer, type ServerProcess } from '../helpers/process';

/**
 * Connections that misbehave, against the compiled server in its own process (its log is
 * its stdout): a client that goes away in the middle of its body, and clients that declare
 * more than they send (a body, headers) or keep a connection open and idle. None of them may
 * be logged as a server error, and none may hold a connection longer than the configured
 * timeouts (short here; the assertions are only that each connection ends).
 */
let server: ServerProcess;
let storage: Awaited<ReturnType<typeof processStorage>>;
const port = () => Number(new URL(server.url).port);

beforeAll(async () => {
  storage = await processStorage({ migrated: true });
  server = await spawnServer({
    ...storage.env,
    LOG_LEVEL: 'debug',
    HEADERS_TIMEOUT_MS: '500',
    REQUEST_TIMEOUT_MS: '1000',
    KEEP_ALIVE_TIMEOUT_MS: '500',
  });
});
afterAll(async () => {
  await server?.stop();
  await storage?.cleanup();
});

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  [field: string]: unknown;
}
const logLines = (): LogLine[] =>
  server
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);

/** Opens a connection, writes `text`, and resolves with what came back once the server closed it. */
function exchange(text: string, { destroyAfterMs }: { destroyAfterMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port(), '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    socket.on('close', () => resolve(received));
    socket.write(text);
    if (destroyAfterMs !== undefined) setTimeout(() => socket.destroy(), destroyAfterMs);
  });
}

const head = (method: string, path: string, requestId: string, length: number) =>
  `${method} ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${PROCESS_ADMIN_KEY}\r\nContent-Type: application/json\r\n` +
  `Content-Length: ${length}\r\nX-Request-Id: ${requestId}\r\n\r\n`;

async function until<T>(what: () => T | undefined, label: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const found = what();
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never saw ${label}:\n${server.output().slice(-3000)}`);
}

test('a client that goes away mid-body is logged as an aborted request, at debug or info, never as an error', async () => {
  const routes: [string, string][] = [
    ['POST', '/v1/assign'],
    ['POST', '/v1/events'],
    ['POST', '/v1/experiments'],
  ];
  for (const [method, path] of routes) {
    const id = `aborted-${path.replace(/\W/g, '')}`;
    await exchange(head(method, path, id, 1000) + '{"unitId": "half', { destroyAfterMs: 100 });
    const line = await until(() => logLines().find((l) => l.reqId === id && /abort/i.test(l.msg)), `the aborted line of ${path}`);
    expect({ path, level: line.level }).toEqual({ path, level: expect.any(Number) });
    expect(line.level).toBeLessThanOrEqual(30); // pino: debug 20, info 30
  }
  // Give any late error line time to appear, then look for one.
  await new Promise((r) => setTimeout(r, 300));
  const errors = logLines().filter((l) => l.level >= 50);
  expect(errors).toEqual([]);
});

test('a request that declares a body and never sends it is answered 408 and closed after REQUEST_TIMEOUT_MS', async () => {
  for (const path of ['/v1/assign', '/v1/events', '/v1/experiments']) {
    const answer = await exchange(head('POST', path, `silent-${path.replace(/\W/g, '')}`, 100));
    expect({ path, status: answer.split('\r\n')[0] }).toEqual({ path, status: 'HTTP/1.1 408 Request Timeout' });
    expect(answer).toMatch(/"status":408/);
  }
  expect(logLines().filter((l) => l.level >= 50)).toEqual([]);
}, 30_000);

test('headers that never end are answered 408 and closed after HEADERS_TIMEOUT_MS', async () => {
  const answer = await exchange('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
  expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
}, 30_000);

test('an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS', async () => {
  const answer = await exchange('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
}, 30_000);
