import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { toVerdictError } from '../../src/http/problem';
import { bearer, useWorld } from '../helpers/world';
import { experimentBody } from '../helpers/fixtures';

/** Every error is RFC 9457 problem+json with a clear status; never a stack trace, never a 500 for bad input. */
const world = useWorld();
let admin: Record<string, string>;
beforeAll(async () => {
  admin = bearer(world.adminKey);
});

function expectProblem(res: request.Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, title: expect.any(String), type: expect.any(String) });
  expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+/);
}

test('malformed JSON is a 400 naming the body', async () => {
  const res = await world.api.post('/v1/experiments').set(admin).set('Content-Type', 'application/json').send('{"key": "a",');
  expectProblem(res, 400);
  expect(res.body.errors).toEqual([{ field: '/', message: 'is not valid JSON' }]);
});

test('a JSON body that is not an object is a 400', async () => {
  const res = await world.api.post('/v1/experiments').set(admin).set('Content-Type', 'application/json').send('"just a string"');
  expectProblem(res, 400);
});

test('a missing body is a 400', async () => {
  const res = await world.api.post('/v1/experiments').set(admin);
  expectProblem(res, 400);
  expect(res.body.detail).toMatch(/body is required/);
});

test('an unknown route is a 404', async () => {
  expectProblem(await world.api.get('/v1/nothing-here').set(admin), 404);
  expectProblem(await world.api.get('/nothing-here').set(admin), 404);
  // `/` is the marketer's way in: it redirects to the dashboard.
  const root = await world.api.get('/');
  expect([root.status, root.headers.location]).toEqual([302, '/dashboard']);
});

test('a wrong method is a 405 with Allow', async () => {
  const res = await world.api.delete('/v1/experiments').set(admin);
  expectProblem(res, 405);
  expect(res.headers.allow).toBe('GET, POST');
  const put = await world.api.put('/v1/experiments/some-key').set(admin).send({});
  expectProblem(put, 405);
  expect(put.headers.allow).toBe('GET, PATCH');
});

test('a body over the limit is a 413', async () => {
  const huge = experimentBody({ hypothesis: 'x'.repeat(300 * 1024) });
  expectProblem(await world.api.post('/v1/experiments').set(admin).send(huge), 413);
});

test('a body that is not JSON is a 415', async () => {
  const res = await world.api.post('/v1/experiments').set(admin).set('Content-Type', 'text/plain').send('key=a');
  expectProblem(res, 415);
  const form = await world.api.post('/v1/experiments').set(admin).type('form').send({ key: 'a' });
  expectProblem(form, 415);
});

test('an unsupported charset is a 415', async () => {
  const res = await world.api.post('/v1/experiments').set(admin).set('Content-Type', 'application/json; charset=latin-9').send('{}');
  expectProblem(res, 415);
});

test('a path parameter that is not a slug is a 400 naming it', async () => {
  const res = await world.api.get('/v1/experiments/Not%20A%20Slug').set(admin);
  expectProblem(res, 400);
  expect(res.body.errors[0].field).toBe('path.key');
});

test('a path parameter that is not valid percent-encoding is a 400 naming it', async () => {
  // %E0 opens a three-byte UTF-8 sequence that never comes: no text to erase, look up or store.
  for (const [url, field] of [
    ['/v1/units/%E0', 'path.unitId'],
    ['/v1/units/a%E0%A4b', 'path.unitId'],
  ] as const) {
    const res = await world.api.delete(url).set(admin);
    expectProblem(res, 400);
    expect(res.body.errors).toEqual([{ field, message: expect.stringMatching(/percent-encoding/) }]);
  }
});

test('the request id is echoed, and generated when absent', async () => {
  const res = await world.api.get('/v1/nothing').set(admin).set('X-Request-Id', 'abc-123');
  expect(res.headers['x-request-id']).toBe('abc-123');
  expect(res.body.requestId).toBe('abc-123');
  const generated = await world.api.get('/v1/nothing').set(admin);
  expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
});

function nestedTargeting(levels: number): unknown {
  let nested: unknown = { attribute: 'a', op: 'eq', value: 1 };
  for (let i = 0; i < levels; i++) nested = { all: [nested] };
  return nested;
}

test('deeply nested or odd JSON never causes a 500', async () => {
  const valid = JSON.stringify(experimentBody());
  const bodies = [
    JSON.stringify(experimentBody({ targeting: nestedTargeting(200) as never })),
    JSON.stringify(experimentBody({ targeting: nestedTargeting(2000) as never })),
    JSON.stringify({ ...experimentBody(), variants: 'two' }),
    JSON.stringify({ ...experimentBody(), variants: [null, null] }),
    valid.replace('"metrics":[{', '"metrics":[{"__proto__":{"polluted":true},'),
    valid.replace('{"key"', '{"__proto__":{"admin":true},"key"'),
    valid.replace('"segments"', '"constructor":{"prototype":{"x":1}},"segments"'),
    '[]',
    '42',
    'null',
    '{"key": "\u0000"}',
  ];
  for (const body of bodies) {
    const res = await world.api.post('/v1/experiments').set(admin).set('Content-Type', 'application/json').send(body);
    expect({ body: bodies.indexOf(body), rejected: res.status >= 400 }).toEqual({ body: bodies.indexOf(body), rejected: true });
    expect(res.status).toBeLessThan(500);
  }
  expect(({} as Record<string, unknown>).admin).toBeUndefined();
});

test('JSON nested deeper than 64 levels is a 400 naming where, before schema validation, on every JSON route', async () => {
  // 2000 levels is ~20 KB, well under the body limit; ajv alone would overflow the stack.
  const body = JSON.stringify(experimentBody({ targeting: nestedTargeting(2000) as never }));
  expect(body.length).toBeLessThan(64 * 1024);
  const res = await world.api.post('/v1/experiments').set(admin).set('Content-Type', 'application/json').send(body);
  expectProblem(res, 400);
  // The body is depth 1, /targeting 2, /targeting/all 3, ...: the container at depth 65.
  expect(res.body.errors).toEqual([{ field: '/targeting' + '/all/0'.repeat(31) + '/all', message: 'nests deeper than 64 levels' }]);

  // The lean /v1/assign route applies the same limit.
  let deep: unknown = 'x';
  for (let i = 0; i < 2000; i++) deep = [deep];
  const assign = await world.api
    .post('/v1/assign')
    .set(bearer(await world.key('assign')))
    .set('Content-Type', 'application/json')
    .send(JSON.stringify({ unitId: 'u-1', attributes: { device: deep } }));
  expectProblem(assign, 400);
  expect(assign.body.errors).toEqual([{ field: '/attributes/device' + '/0'.repeat(62), message: 'nests deeper than 64 levels' }]);

  // So does /v1/events.
  const events = await world.api
    .post('/v1/events')
    .set(bearer(await world.key('assign')))
    .set('Content-Type', 'application/json')
    .send(JSON.stringify({ events: [deep] }));
  expectProblem(events, 400);
  expect(events.body.errors[0]).toEqual({ field: '/events/0' + '/0'.repeat(62), message: 'nests deeper than 64 levels' });

  // 64 levels are fine as far as nesting goes (the schema then decides).
  let ok: unknown = 'x';
  for (let i = 0; i < 61; i++) ok = [ok];
  const shallow = await world.api
    .post('/v1/assign')
    .set(bearer(await world.key('assign')))
    .send({ unitId: 'u-1', attributes: { device: ok } });
  expectProblem(shallow, 400);
  expect(shallow.body.errors).toEqual([{ field: '/attributes/device', message: expect.not.stringMatching(/nests deeper/) }]);
});

test('a cursor beyond the range of ids is a 400 naming it, not a database error', async () => {
  for (const raw of ['id:999999999999', 'id:2147483648', 'id:99999999999999999999']) {
    const cursor = Buffer.from(raw).toString('base64');
    const res = await world.api.get(`/v1/experiments?cursor=${encodeURIComponent(cursor)}`).set(admin);
    expectProblem(res, 400);
    expect(res.body.errors).toEqual([{ field: 'query.cursor', message: 'is not a valid cursor' }]);
  }
  const largest = Buffer.from('id:2147483647').toString('base64url');
  const res = await world.api.get(`/v1/experiments?cursor=${largest}`).set(admin);
  expect(res.status).toBe(200);
});

test('a body whose Content-Encoding does not match its bytes is a 400, not a 500', async () => {
  for (const encoding of ['gzip', 'deflate', 'br']) {
    const res = await world.api
      .post('/v1/experiments')
      .set(admin)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', encoding)
      .send(JSON.stringify(experimentBody()));
    expectProblem(res, 400);
    expect(res.body.errors).toEqual([{ field: '/', message: expect.stringMatching(/could not be decoded/) }]);
  }
  // Real gzip is read; one that inflates beyond the limit is a 413. (fetch: supertest would
  // serialize a Buffer sent as application/json into JSON.)
  const gzipped = (url: string, key: string, body: unknown) =>
    fetch(world.url + url, {
      method: 'POST',
      headers: { ...bearer(key), 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: gzipSync(JSON.stringify(body)),
    });
  expect((await gzipped('/v1/experiments', world.adminKey, experimentBody())).status).toBe(201);
  const bomb = await gzipped('/v1/experiments', world.adminKey, experimentBody({ hypothesis: 'x'.repeat(300 * 1024) }));
  expect(bomb.status).toBe(413);
  expect(bomb.headers.get('content-type')).toBe('application/problem+json');
  // The lean /v1/assign route reads no encoded bodies: a 415, not "not valid JSON".
  const assign = await gzipped('/v1/assign', await world.key('assign'), { unitId: 'u-1' });
  expect(assign.status).toBe(415);
  expect(await assign.json()).toMatchObject({ status: 415, detail: expect.stringMatching(/uncompressed/) });
});

test('a body-parser or router error with a 4xx status keeps it', () => {
  const err = (status: number, extra: Record<string, unknown> = {}) => Object.assign(new Error('nope'), { status, expose: true, ...extra });
  expect(toVerdictError(err(400))?.kind).toBe('invalid');
  expect(toVerdictError(err(403, { type: 'entity.verify.failed' }))?.kind).toBe('forbidden');
  expect(toVerdictError(err(413))?.kind).toBe('too_large');
  expect(toVerdictError(err(415))?.kind).toBe('unsupported_media_type');
  expect(toVerdictError(Object.assign(new Error('x'), { statusCode: 404 }))?.kind).toBe('not_found');
  // Server-side statuses and errors without one stay unknown (a logged 500).
  expect(toVerdictError(err(500))).toBeNull();
  expect(toVerdictError(new Error('bug'))).toBeNull();
});

/** Sends raw bytes and reads the whole answer (the server closes the connection). */
function raw(payload: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const { port } = world.server;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    socket.write(payload);
  });
}

test('an oversized request header is a 431 problem, a malformed request a 400 problem, and the connection is closed', async () => {
  const big = await raw(`GET /v1/experiments HTTP/1.1\r\nHost: localhost\r\nX-Filler: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
  expect(big.status).toBe(431);
  expect(big.headers['content-type']).toBe('application/problem+json');
  expect(big.headers.connection).toBe('close');
  expect(Number(big.headers['content-length'])).toBe(Buffer.byteLength(big.body));
  expect(JSON.parse(big.body)).toEqual({ type: 'about:blank', title: 'Request Header Fields Too Large', status: 431, detail: expect.stringMatching(/header/) });

  const malformed = await raw('NOT A REQUEST\r\n\r\n');
  expect(malformed.status).toBe(400);
  expect(malformed.headers['content-type']).toBe('application/problem+json');
  expect(malformed.headers.connection).toBe('close');
  expect(JSON.parse(malformed.body)).toMatchObject({ type: 'about:blank', title: 'Bad Request', status: 400 });

  // The server still answers afterwards.
  expect((await world.api.get('/healthz')).status).toBe(200);
});
