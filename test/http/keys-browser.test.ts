import { hashSecret, newKeyId, newKeySecret } from '../../src/keys/key-secrets';
import { createClient } from '../../src/sdk';
import { insertKey } from '../../src/store/key-store';
import { experimentBody } from '../helpers/fixtures';
import { lookAtStream } from '../helpers/sse';
import { bearer, useWorld } from '../helpers/world';

/**
 * Browser keys (POST /v1/keys with "browser": true): an assign key for web pages. It assigns
 * and sends events like any assign key, and reads the configuration only in its browser-safe
 * shape (no forced unit ids, no drafts, no hypotheses), whatever it asks; shape=server is a
 * 403. Only an assign key can be one. The mark survives a rotation, a reload of the keys and
 * a lookup from the database.
 */
const world = useWorld();
let admin: Record<string, string>;
let running: string;
let draft: string;
const HYPOTHESIS = 'A secret plan the visitor must not read.';

beforeAll(async () => {
  admin = bearer(world.adminKey);
  const body = experimentBody({ hypothesis: HYPOTHESIS, overrides: { 'qa-carol': 'personalized' } });
  await world.api.post('/v1/experiments').set(admin).send(body).expect(201);
  await world.api.post(`/v1/experiments/${body.key}/start`).set(admin).expect(200);
  running = body.key;
  const d = experimentBody();
  await world.api.post('/v1/experiments').set(admin).send(d).expect(201);
  draft = d.key;
});

const createKey = (body: Record<string, unknown>) => world.api.post('/v1/keys').set(admin).send(body);

/** What a key reads of the configuration: GET /v1/config and the stream's first event, both parsed. */
async function configSeenBy(secret: string, query = '') {
  const res = await world.api.get(`/v1/config${query}`).set(bearer(secret));
  const stream = await lookAtStream(`${world.url}/v1/config/stream${query}`, bearer(secret));
  return { status: res.status, body: res.body, text: res.text, stream };
}

function expectBrowserSafe(text: string, body: { shape: string; experiments: { key: string; status: string; overrides?: unknown }[] }) {
  expect(body.shape).toBe('browser');
  expect(text).not.toContain('qa-carol');
  expect(text).not.toContain(HYPOTHESIS);
  expect(body.experiments.find((e) => e.key === running)).not.toHaveProperty('overrides');
  expect(body.experiments.some((e) => e.key === draft || e.status === 'draft')).toBe(false);
}

describe('creating a browser key', () => {
  test('POST /v1/keys with browser: true makes an assign key marked browser; keys are listed with their mark', async () => {
    const res = await createKey({ name: 'shop pages', scope: 'assign', browser: true }).expect(201);
    expect(res.body).toMatchObject({ name: 'shop pages', scope: 'assign', browser: true, revokedAt: null, expiresAt: null });
    expect(res.body.secret).toMatch(/^vk_/);
    const plain = await createKey({ name: 'shop server', scope: 'assign' }).expect(201);
    expect(plain.body.browser).toBe(false);
    const listed = (await world.api.get('/v1/keys').set(admin).expect(200)).body.items as { id: string; browser: boolean }[];
    expect(listed.find((k) => k.id === res.body.id)?.browser).toBe(true);
    expect(listed.find((k) => k.id === plain.body.id)?.browser).toBe(false);
    const { rows } = await world.rt.db.query<{ details: Record<string, unknown> }>("SELECT details FROM audit_log WHERE action = 'key.create' AND details->>'id' = $1", [res.body.id]);
    expect(rows[0].details).toMatchObject({ scope: 'assign', browser: true });
  });

  test('only an assign key can be a browser key; a mark that is not a boolean is refused; each a 400 naming /browser', async () => {
    for (const body of [
      { name: 'x', scope: 'read', browser: true },
      { name: 'x', scope: 'admin', browser: true },
      { name: 'x', scope: 'assign', browser: 'yes' },
      { name: 'x', scope: 'assign', browser: null },
    ]) {
      const res = await createKey(body).expect(400);
      expect([body, res.body.type, res.body.errors.map((e: { field: string }) => e.field)]).toEqual([body, 'urn:verdict:problem:invalid-request', ['/browser']]);
    }
    // browser: false is any key.
    await createKey({ name: 'x', scope: 'read', browser: false }).expect(201);
  });
});

describe('what a browser key may do', () => {
  let secret: string;
  beforeAll(async () => {
    secret = (await createKey({ name: 'pages', scope: 'assign', browser: true }).expect(201)).body.secret;
  });

  test('reads the browser shape without asking, and with shape=browser; the stream too', async () => {
    for (const query of ['', '?shape=browser']) {
      const seen = await configSeenBy(secret, query);
      expect([query, seen.status]).toEqual([query, 200]);
      expectBrowserSafe(seen.text, seen.body);
      expect(seen.stream.status).toBe(200);
      expect(seen.stream.first?.event).toBe('config');
      expectBrowserSafe(seen.stream.first!.data, JSON.parse(seen.stream.first!.data));
    }
  });

  test('never the server shape: shape=server is a 403 browser-key, on the snapshot and on the stream', async () => {
    const seen = await configSeenBy(secret, '?shape=server');
    expect(seen.status).toBe(403);
    expect(seen.body).toMatchObject({ type: 'urn:verdict:problem:browser-key', status: 403 });
    expect(seen.text).not.toContain('qa-carol');
    expect(seen.stream.status).toBe(403);
    expect(seen.stream.body).toMatchObject({ type: 'urn:verdict:problem:browser-key' });
  });

  test('an ETag of the browser shape gets 304', async () => {
    const first = await world.api.get('/v1/config').set(bearer(secret)).expect(200);
    await world.api.get('/v1/config').set(bearer(secret)).set('If-None-Match', first.headers.etag).expect(304);
  });

  test('assigns and sends events like an assign key; reads nothing else (403)', async () => {
    const a = await world.api.post('/v1/assign').set(bearer(secret)).send({ unitId: 'b-1', experiments: [running] }).expect(200);
    expect(a.body.assignments[0].reason).toBe('bucketed');
    const e = await world.api
      .post('/v1/events')
      .set(bearer(secret))
      .send({ events: [{ eventId: 'b-1-buy', type: 'conversion', unitId: 'b-1', event: 'purchase', timestamp: new Date().toISOString() }] })
      .expect(200);
    expect(e.body.rejected).toEqual([]);
    for (const url of ['/v1/experiments', `/v1/experiments/${running}`, `/v1/experiments/${running}/results`, '/v1/keys']) {
      const res = await world.api.get(url).set(bearer(secret)).expect(403);
      expect(res.body.type).toBe('urn:verdict:problem:insufficient-scope');
    }
  });

  test('the SDK with a browser key and no shape reads the browser snapshot; asking for the server shape leaves it not ready', async () => {
    const client = createClient({ url: world.url, key: secret, stream: false });
    await client.ready();
    expect(client.version).toBeDefined();
    // The browser shape has no forced unit ids: the QA unit is bucketed by hashing.
    expect(client.assign('qa-carol', undefined, { experiments: [running], track: false }).assignments[0].reason).toBe('bucketed');
    await client.close();
    const errors: unknown[] = [];
    const refused = createClient({ url: world.url, key: secret, stream: false, shape: 'server', onError: (err) => errors.push(err) });
    await refused.ready();
    expect(refused.assign('u-1', undefined, { experiments: [running] }).assignments[0].reason).toBe('not_ready');
    expect(String(errors[0])).toMatch(/403/);
    await refused.close();
  });
});

describe('other keys', () => {
  test('an assign key not marked browser reads the server shape by default, and the browser shape when it asks', async () => {
    const secret = await world.key('assign');
    const server = await configSeenBy(secret);
    expect(server.body.shape).toBe('server');
    expect(server.body.experiments.find((e: { key: string }) => e.key === running).overrides).toEqual({ 'qa-carol': 'personalized' });
    expect(JSON.parse(server.stream.first!.data).shape).toBe('server');
    const browser = await configSeenBy(secret, '?shape=browser');
    expectBrowserSafe(browser.text, browser.body);
    expect(JSON.parse(browser.stream.first!.data).shape).toBe('browser');
    // An admin key reads both too.
    expect((await configSeenBy(world.adminKey, '?shape=server')).body.shape).toBe('server');
  });
});

describe('the mark lasts', () => {
  test('a rotation keeps it: the new key is a browser key too', async () => {
    const old = (await createKey({ name: 'rotating pages', scope: 'assign', browser: true }).expect(201)).body;
    const { key, previous } = (await world.api.post(`/v1/keys/${old.id}/rotate`).set(admin).send({ overlapSeconds: 60 }).expect(201)).body;
    expect([key.browser, previous.browser]).toEqual([true, true]);
    for (const s of [old.secret, key.secret]) {
      expect((await world.api.get('/v1/config').set(bearer(s)).expect(200)).body.shape).toBe('browser');
      await world.api.get('/v1/config?shape=server').set(bearer(s)).expect(403);
    }
  });

  test('after a reload of the keys from the database, and for a key this instance never saw (looked up)', async () => {
    const made = (await createKey({ name: 'reloaded pages', scope: 'assign', browser: true }).expect(201)).body;
    await world.rt.authenticator.reload();
    await world.api.get('/v1/config?shape=server').set(bearer(made.secret)).expect(403);
    expect((await world.api.get('/v1/config').set(bearer(made.secret)).expect(200)).body.shape).toBe('browser');

    // Written straight to the table (as another instance would): unknown here until looked up.
    const secret = newKeySecret();
    await insertKey(world.rt.db, { id: newKeyId(), name: 'elsewhere', scope: 'assign', browser: true, secretHash: hashSecret(secret) });
    await world.api.get('/v1/config?shape=server').set(bearer(secret)).expect(403);
    expect((await world.api.get('/v1/config').set(bearer(secret)).expect(200)).body.shape).toBe('browser');
  });

  test('the database refuses a browser mark on a key that is not assign', async () => {
    await expect(insertKey(world.rt.db, { id: newKeyId(), name: 'bad', scope: 'read', browser: true, secretHash: hashSecret(newKeySecret()) })).rejects.toThrow(/api_keys_browser_assign/);
  });
});
