import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { bearer, useWorld } from '../helpers/world';

const world = useWorld();

test('GET /healthz answers ok', async () => {
  const res = await world.api.get('/healthz').expect(200);
  expect(res.body).toEqual({ status: 'ok' });
});

test('GET /readyz reports the database and the cache', async () => {
  const res = await world.api.get('/readyz').expect(200);
  expect(res.body.status).toBe('ready');
  expect(res.body.checks.database).toMatchObject({ ok: true, backend: process.env.DATABASE_URL ? 'postgres' : 'pglite' });
  expect(res.body.checks.cache).toMatchObject({ ok: true, backend: process.env.REDIS_URL ? 'redis' : 'memory' });
});

test('GET /metrics counts requests by route template and status, with latency histograms', async () => {
  await world.api.get('/v1/experiments/some-missing-one').set(bearer(world.adminKey)).expect(404);
  await world.api.get('/v1/experiments').set(bearer(world.adminKey)).expect(200);
  const res = await world.api.get('/metrics').expect(200);
  expect(res.text).toMatch(/http_requests_total\{method="GET",route="\/v1\/experiments\/\{key\}",status="404"\} 1/);
  expect(res.text).toMatch(/http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/v1\/experiments",status="200"\}/);
  expect(res.text).toMatch(/process_cpu_user_seconds_total/);
});

test('GET /openapi.yaml serves the contract', async () => {
  const res = await world.api.get('/openapi.yaml').expect(200);
  expect(res.headers['content-type']).toMatch(/^application\/yaml/);
  expect(YAML.parse(res.text)).toEqual(YAML.parse(readFileSync('openapi.yaml', 'utf8')));
});

test('GET /docs renders the contract with locally served Swagger UI', async () => {
  const res = await world.api.get('/docs').expect(200);
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expect(res.text).toContain("url: '/openapi.yaml'");
  const script = await world.api.get('/docs/swagger-ui-bundle.js').expect(200);
  expect(script.headers['content-type']).toMatch(/^text\/javascript/);
  expect(script.text.length).toBeGreaterThan(100_000);
  await world.api.get('/docs/swagger-ui.css').expect(200);
  await world.api.get('/docs/../package.json').expect(404);
  await world.api.get('/docs/index.html').expect(400);
});
