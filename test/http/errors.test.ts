import request from 'supertest';
import { bearer, startWorld, type World } from '../helpers/world';
import { experimentBody } from '../helpers/fixtures';

/** Every error is RFC 9457 problem+json with a clear status; never a stack trace, never a 500 for bad input. */
let world: World;
let admin: Record<string, string>;
beforeAll(async () => {
  world = await startWorld();
  admin = bearer(world.adminKey);
});
afterAll(() => world.close());

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
  expectProblem(await world.api.get('/').set(admin), 404);
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

test('the request id is echoed, and generated when absent', async () => {
  const res = await world.api.get('/v1/nothing').set(admin).set('X-Request-Id', 'abc-123');
  expect(res.headers['x-request-id']).toBe('abc-123');
  expect(res.body.requestId).toBe('abc-123');
  const generated = await world.api.get('/v1/nothing').set(admin);
  expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
});

test('deeply nested or odd JSON never causes a 500', async () => {
  let nested: unknown = { attribute: 'a', op: 'eq', value: 1 };
  for (let i = 0; i < 200; i++) nested = { all: [nested] };
  const valid = JSON.stringify(experimentBody());
  const bodies = [
    JSON.stringify(experimentBody({ targeting: nested as never })),
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
