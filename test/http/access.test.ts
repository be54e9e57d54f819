import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { bearer, contractFetch, useWorld } from '../helpers/world';
import { contract } from '../../src/contract';

/**
 * Access and abuse: every operation of openapi.yaml × every kind of credential gets exactly
 * the documented access; keys rotate with an overlap; requests are limited per key (429 with
 * Retry-After); every answer carries the security headers.
 */

/** The operations as openapi.yaml lists them, read from the file itself: a new endpoint cannot escape the matrix. */
const spec = parse(readFileSync(path.join(__dirname, '../../openapi.yaml'), 'utf8')) as {
  paths: Record<string, Record<string, { operationId?: string; 'x-scope'?: string; security?: unknown[]; responses?: Record<string, unknown> }>>;
};
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
const documented = Object.entries(spec.paths).flatMap(([p, item]) =>
  METHODS.filter((m) => item[m]).map((method) => ({ path: p, method, op: item[method] })),
);

/** A value for each path parameter that passes its pattern (so the answer is about access, then about a missing resource). */
const SAMPLE: Record<string, string> = { key: 'no-such-experiment', unitId: 'no-such-unit', tactic: 'no-such-tactic', id: 'key_nosuchkey', asset: 'swagger-ui.css' };
const urlOf = (p: string) => p.replace(/\{([^}]+)\}/g, (_m, name: string) => {
  if (!(name in SAMPLE)) throw new Error(`no sample value for the path parameter {${name}} of ${p}: add one to SAMPLE`);
  return SAMPLE[name];
});

type Credential = 'none' | 'unknown' | 'revoked' | 'expired' | 'assign' | 'read' | 'admin';
const CREDENTIALS: Credential[] = ['none', 'unknown', 'revoked', 'expired', 'assign', 'read', 'admin'];

/**
 * The documented rule (openapi.yaml's description): an operation without `x-scope` is public
 * (`security: []`); one with a scope needs a valid key of that scope, or an admin key; no key,
 * an unknown, revoked or expired (rotated, overlap over) key is 401.
 */
function expected(scope: string | undefined, credential: Credential): 'public' | 401 | 403 | 'allowed' {
  if (!scope) return 'public';
  if (credential === 'none' || credential === 'unknown' || credential === 'revoked' || credential === 'expired') return 401;
  return credential === 'admin' || credential === scope ? 'allowed' : 403;
}

/** An operation whose 200 is an event stream: it stays open, so only its status and headers (and a refusal's body) are read. */
const isStream = (op: { responses?: Record<string, unknown> }) =>
  JSON.stringify((op.responses ?? {})['200'] ?? {}).includes('text/event-stream');

async function openStream(url: string, h: Record<string, string>) {
  const abort = new AbortController();
  const res = await fetch(url, { headers: h, signal: abort.signal });
  const contentType = res.headers.get('content-type') ?? '';
  const body = contentType.startsWith('application/') ? await res.json() : {};
  abort.abort();
  return { status: res.status, headers: Object.fromEntries(res.headers), body };
}

describe('the access matrix', () => {
  const world = useWorld();
  const headers = new Map<Credential, Record<string, string>>();
  beforeAll(async () => {
    headers.set('none', {});
    headers.set('unknown', bearer('vk_' + randomBytes(32).toString('base64url')));
    const revoked = await world.rt.keys.create('test', 'revoked', 'admin');
    await world.rt.keys.revoke('test', revoked.id);
    headers.set('revoked', bearer(revoked.secret));
    const rotated = await world.rt.keys.create('test', 'rotated', 'admin');
    await world.rt.keys.rotate('test', rotated.id, 0);
    headers.set('expired', bearer(rotated.secret));
    for (const scope of ['assign', 'read', 'admin'] as const) headers.set(scope, bearer(await world.key(scope)));
  });

  test('the contract the service routes by is exactly openapi.yaml', () => {
    const served = contract().operations.map((o) => `${o.method} ${o.path}`).sort();
    expect(served).toEqual(documented.map((d) => `${d.method.toUpperCase()} ${d.path}`).sort());
    expect(documented.length).toBeGreaterThanOrEqual(28);
  });

  test('every scoped operation documents 401, 403 and 429; every other one is public (security: [])', () => {
    for (const { path: p, method, op } of documented) {
      const where = `${method.toUpperCase()} ${p}`;
      if (op['x-scope']) {
        expect([where, ['assign', 'read', 'admin'].includes(op['x-scope'])]).toEqual([where, true]);
        expect([where, Object.keys(op.responses ?? {}).filter((s) => ['401', '403', '429'].includes(s)).sort()]).toEqual([where, ['401', '403', '429']]);
      } else {
        expect([where, op.security]).toEqual([where, []]);
      }
    }
  });

  test('every operation × {no key, unknown, revoked, expired, each scope}: exactly the documented access', async () => {
    const table: string[] = [];
    const wrong: string[] = [];
    for (const { path: p, method, op } of documented) {
      for (const credential of CREDENTIALS) {
        const url = urlOf(p);
        let req = world.api[method as 'get'](url).set(headers.get(credential)!);
        if (method === 'options') req = req.set({ Origin: 'https://shop.example', 'Access-Control-Request-Method': 'POST' });
        const hasBody = ['post', 'patch', 'put'].includes(method);
        const res = isStream(op) ? await openStream(world.url + url, headers.get(credential)!) : hasBody ? await req.set('Content-Type', 'application/json').send('{}') : await req;
        const want = expected(op['x-scope'], credential);
        const got = res.status;
        table.push(`${method.toUpperCase()} ${p} ${credential}: ${got}`);
        const ok =
          want === 'public' || want === 'allowed'
            ? got !== 401 && got !== 403 && got !== 429
            : got === want &&
              res.headers['content-type']?.startsWith('application/problem+json') &&
              (want === 403 || /^Bearer realm=/.test(res.headers['www-authenticate'] ?? '')) &&
              res.body.type === (want === 401 ? (credential === 'none' ? 'urn:verdict:problem:missing-key' : 'urn:verdict:problem:invalid-key') : 'urn:verdict:problem:insufficient-scope');
        if (!ok) wrong.push(`${method.toUpperCase()} ${p} with ${credential}: expected ${want}, got ${got} ${JSON.stringify(res.body).slice(0, 200)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(table).toHaveLength(documented.length * CREDENTIALS.length);
  });
});

describe('key rotation', () => {
  const world = useWorld();
  let admin: Record<string, string>;
  beforeAll(() => {
    admin = bearer(world.adminKey);
  });

  const status = async (key: string) => (await world.api.get('/v1/experiments').set(bearer(key))).status;

  test('the new key has the old one\'s name and scope; both work during the overlap (24 h by default)', async () => {
    const old = await world.api.post('/v1/keys').set(admin).send({ name: 'storefront', scope: 'read' }).expect(201);
    const before = Date.now();
    const rotated = await world.api.post(`/v1/keys/${old.body.id}/rotate`).set(admin).expect(201);
    const { key, previous } = rotated.body;
    expect(key).toMatchObject({ name: 'storefront', scope: 'read', revokedAt: null, expiresAt: null });
    expect(key.id).not.toBe(old.body.id);
    expect(key.secret).toMatch(/^vk_[A-Za-z0-9_-]{43}$/);
    expect(previous).toMatchObject({ id: old.body.id, revokedAt: null });
    const overlap = Date.parse(previous.expiresAt) - before;
    expect(overlap).toBeGreaterThan(86_400_000 - 60_000);
    expect(overlap).toBeLessThan(86_400_000 + 60_000);
    expect(await status(old.body.secret)).toBe(200);
    expect(await status(key.secret)).toBe(200);
    const listed = await world.api.get('/v1/keys').set(admin).expect(200);
    expect(listed.body.items.find((k: { id: string }) => k.id === old.body.id).expiresAt).toBe(previous.expiresAt);
    expect(JSON.stringify(listed.body)).not.toContain(key.secret);
  });

  test('after the overlap the old key is refused (401) and the new one works', async () => {
    const old = await world.rt.keys.create('test', 'short overlap', 'read');
    const { key } = (await world.api.post(`/v1/keys/${old.id}/rotate`).set(admin).send({ overlapSeconds: 1 }).expect(201)).body;
    expect(await status(old.secret)).toBe(200);
    await new Promise((r) => setTimeout(r, 1_200));
    expect(await status(old.secret)).toBe(401);
    expect(await status(key.secret)).toBe(200);
    // Also after a reload from the database (another instance's view, or a restart).
    await world.rt.authenticator.reload();
    expect(await status(old.secret)).toBe(401);
    expect(await status(key.secret)).toBe(200);
  });

  test('overlapSeconds 0 ends the old key at once', async () => {
    const old = await world.rt.keys.create('test', 'no overlap', 'assign');
    const { key } = (await world.api.post(`/v1/keys/${old.id}/rotate`).set(admin).send({ overlapSeconds: 0 }).expect(201)).body;
    const assign = (k: string) => world.api.post('/v1/assign').set(bearer(k)).send({ unitId: 'u-rot' });
    expect((await assign(old.secret)).status).toBe(401);
    expect((await assign(key.secret)).status).toBe(200);
  });

  test('a rotated, revoked or unknown key cannot be rotated; a bad overlap is a 400 naming the field', async () => {
    const old = await world.rt.keys.create('test', 'twice', 'read');
    const first = await world.api.post(`/v1/keys/${old.id}/rotate`).set(admin).expect(201);
    const again = await world.api.post(`/v1/keys/${old.id}/rotate`).set(admin).expect(409);
    expect(again.body).toMatchObject({ type: 'urn:verdict:problem:key-rotated', replacedBy: first.body.key.id });
    await world.api.post(`/v1/keys/${first.body.key.id}/rotate`).set(admin).expect(201);

    const revoked = await world.rt.keys.create('test', 'revoked', 'read');
    await world.rt.keys.revoke('test', revoked.id);
    expect((await world.api.post(`/v1/keys/${revoked.id}/rotate`).set(admin).expect(409)).body.type).toBe('urn:verdict:problem:key-revoked');
    await world.api.post('/v1/keys/key_nosuchkey/rotate').set(admin).expect(404);
    for (const overlapSeconds of [-1, 2_592_001, 1.5, '60']) {
      const bad = await world.api.post(`/v1/keys/${first.body.key.id}/rotate`).set(admin).send({ overlapSeconds }).expect(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['/overlapSeconds']);
    }
  });

  test('revoking a key during its overlap ends it at once; the rotation is audited', async () => {
    const old = await world.rt.keys.create('test', 'revoke in overlap', 'read');
    await world.api.post(`/v1/keys/${old.id}/rotate`).set(admin).expect(201);
    await world.api.delete(`/v1/keys/${old.id}`).set(admin).expect(204);
    expect(await status(old.secret)).toBe(401);
    const { rows } = await world.rt.db.query<{ actor: string; details: { id: string } }>("SELECT actor, details FROM audit_log WHERE action = 'key.rotate'");
    expect(rows.some((r) => r.actor === 'env:VERDICT_ADMIN_KEY' && r.details.id === old.id)).toBe(true);
  });

  const withRedis = process.env.DATABASE_URL && process.env.REDIS_URL ? test : test.skip;
  withRedis('several instances: a rotation with no overlap is refused on the others at once (through Redis)', async () => {
    const other = await world.another();
    const onOther = (secret: string) => contractFetch(`${other.url}/v1/experiments`, { headers: bearer(secret) }).then((r) => r.status);
    const old = await world.rt.keys.create('test', 'shared', 'read');
    expect(await onOther(old.secret)).toBe(200);
    const { key } = (await world.api.post(`/v1/keys/${old.id}/rotate`).set(admin).send({ overlapSeconds: 0 }).expect(201)).body;
    expect(await onOther(key.secret)).toBe(200);
    const until = Date.now() + 5000;
    while ((await onOther(old.secret)) !== 401) {
      if (Date.now() > until) throw new Error('the rotation never reached the other instance');
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});

describe('rate limiting per key', () => {
  const world = useWorld({ rateLimitPoints: 5, rateLimitWindowSeconds: 60 });

  test('beyond the limit: 429 problem+json with Retry-After; other keys and public routes are not affected', async () => {
    const read = bearer(await world.key('read'));
    for (let i = 0; i < 5; i++) await world.api.get('/v1/experiments').set(read).expect(200);
    const refused = await world.api.get('/v1/experiments').set(read).expect(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ type: 'urn:verdict:problem:rate-limited', status: 429, title: 'Too Many Requests' });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    await world.api.get('/v1/experiments').set(bearer(world.adminKey)).expect(200);
    await world.api.get('/healthz').expect(200);
  });

  test('the lean /v1/assign route is limited the same way, and every instance draws on one allowance (Redis)', async () => {
    const key = (await world.rt.keys.create('test', 'limited storefront', 'assign')).secret;
    const assign = (url: string) => contractFetch(`${url}/v1/assign`, { method: 'POST', headers: { ...bearer(key), 'Content-Type': 'application/json' }, body: '{"unitId":"u-1"}' });
    const urls = [world.url];
    if (process.env.DATABASE_URL && process.env.REDIS_URL) urls.push((await world.another()).url);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await assign(urls[i % urls.length])).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const res = await assign(urls[urls.length - 1]);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});

describe('security headers', () => {
  const world = useWorld();

  test('every answer carries helmet\'s headers; the API allows no content, the docs page only its own', async () => {
    const admin = bearer(world.adminKey);
    const answers = [
      await world.api.post('/v1/assign').set(bearer(await world.key('assign'))).send({ unitId: 'u-1' }).expect(200),
      await world.api.get('/v1/experiments').set(admin).expect(200),
      await world.api.get('/v1/no-such-route').expect(404),
      await world.api.get('/v1/experiments').expect(401),
      await world.api.get('/healthz').expect(200),
    ];
    for (const res of answers) {
      expect(res.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
    const docs = await world.api.get('/docs').expect(200);
    const script = /<script>([\s\S]*?)<\/script>/.exec(docs.text)![1];
    const hash = createHash('sha256').update(script).digest('base64');
    expect(docs.headers['content-security-policy']).toContain(`script-src 'self' 'sha256-${hash}'`);
    expect(docs.headers['content-security-policy']).not.toContain('unsafe-eval');
  });
});
