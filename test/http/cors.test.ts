import { runExperiment } from '../helpers/experiments';
import { bearer, useWorld, type World } from '../helpers/world';

/**
 * CORS on /v1/assign (the lean route) and /v1/events (express): a page on an allowed origin
 * may call them from the browser; any other origin, and every other path, gets no
 * Access-Control-Allow-Origin, so the browser refuses. A browser enforces what these headers
 * say; the tests check the headers, as a browser reads them.
 */
const SHOP = 'https://shop.example';
const OTHER = 'https://evil.example';

const preflight = (world: World, path: string, origin: string) =>
  world.api
    .options(path)
    .set('Origin', origin)
    .set('Access-Control-Request-Method', 'POST')
    .set('Access-Control-Request-Headers', 'authorization,content-type')
    .expect(204);

describe('CORS_ORIGINS lists the storefront', () => {
  const world = useWorld({ corsOrigins: [SHOP, 'http://localhost:3000'], corsMaxAgeSeconds: 900 });
  let assignKey: Record<string, string>;
  let key: string;
  beforeAll(async () => {
    assignKey = bearer(await world.key('assign'));
    key = await runExperiment(world);
  });

  test.each(['/v1/assign', '/v1/events'])('the preflight of %s from an allowed origin is answered and cached', async (path) => {
    const res = await preflight(world, path, SHOP);
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
    expect(res.headers['access-control-allow-methods']).toBe('POST');
    expect(res.headers['access-control-allow-headers'].toLowerCase().split(',')).toEqual(expect.arrayContaining(['authorization', 'content-type']));
    expect(res.headers['access-control-max-age']).toBe('900');
    expect(res.headers.vary).toMatch(/Origin/);
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  test.each(['/v1/assign', '/v1/events'])('the preflight of %s from another origin gets no Access-Control-Allow-Origin', async (path) => {
    const res = await preflight(world, path, OTHER);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('an assignment from an allowed origin can be read by the page; from another origin it cannot', async () => {
    const body = { unitId: 'browser-1', experiments: [key] };
    const allowed = await world.api.post('/v1/assign').set(assignKey).set('Origin', SHOP).send(body).expect(200);
    expect(allowed.headers['access-control-allow-origin']).toBe(SHOP);
    expect(allowed.headers['access-control-expose-headers']).toMatch(/X-Request-Id/);
    expect(allowed.body.assignments[0]).toMatchObject({ experiment: key, reason: 'bucketed' });
    const other = await world.api.post('/v1/assign').set(assignKey).set('Origin', OTHER).send(body).expect(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    // An error is readable too, so the page's code can tell a bad key from a network failure.
    const denied = await world.api.post('/v1/assign').set(bearer('vk_wrong')).set('Origin', SHOP).send(body).expect(401);
    expect(denied.headers['access-control-allow-origin']).toBe(SHOP);
  });

  test('events from an allowed origin can be read by the page; from another origin they cannot', async () => {
    const batch = (id: string) => ({ events: [{ type: 'conversion', eventId: id, unitId: 'browser-1', event: 'purchase', value: 10 }] });
    const allowed = await world.api.post('/v1/events').set(assignKey).set('Origin', SHOP).send(batch('cors-1')).expect(200);
    expect(allowed.headers['access-control-allow-origin']).toBe(SHOP);
    expect(allowed.body).toMatchObject({ accepted: 1 });
    const other = await world.api.post('/v1/events').set(assignKey).set('Origin', OTHER).send(batch('cors-2')).expect(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('other paths stay same-origin, even from an allowed origin', async () => {
    const res = await world.api.get('/v1/experiments').set(bearer(world.adminKey)).set('Origin', SHOP).expect(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    await world.api.options('/v1/experiments').set('Origin', SHOP).set('Access-Control-Request-Method', 'GET').expect(405);
  });
});

describe('CORS_ORIGINS=*', () => {
  const world = useWorld({ corsOrigins: ['*'] });

  test('any origin may call the storefront paths', async () => {
    expect((await preflight(world, '/v1/assign', OTHER)).headers['access-control-allow-origin']).toBe('*');
    const res = await world.api.post('/v1/assign').set(bearer(await world.key('assign'))).set('Origin', OTHER).send({ unitId: 'u' }).expect(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });
});

describe('by default (CORS_ORIGINS unset)', () => {
  const world = useWorld();

  test('no origin may call from the browser: the preflight is answered without Access-Control-Allow-Origin', async () => {
    const res = await preflight(world, '/v1/assign', SHOP);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const post = await world.api.post('/v1/assign').set(bearer(await world.key('assign'))).set('Origin', SHOP).send({ unitId: 'u' }).expect(200);
    expect(post.headers['access-control-allow-origin']).toBeUndefined();
  });
});
