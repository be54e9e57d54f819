import http from 'node:http';
import { backend, bearer, useWorld } from '../helpers/world';
import { experimentBody } from '../helpers/fixtures';

/** Variant payloads through /v1/assign, and the SDK's snapshot: GET /v1/config (ETag, shapes) and its SSE stream. */
const world = useWorld({ holdoutShare: 0.1 });
let admin: Record<string, string>;
let assignKey: string;
beforeAll(async () => {
  admin = bearer(world.adminKey);
  assignKey = await world.key('assign');
});

const banner = { headline: 'Welcome back', products: ['sku-1', 'sku-2'] };

async function create(overrides: Record<string, unknown> = {}, start = true) {
  const body = experimentBody(overrides);
  await world.api.post('/v1/experiments').set(admin).send(body).expect(201);
  if (start) await world.api.post(`/v1/experiments/${body.key}/start`).set(admin).expect(200);
  return body.key;
}

const withPayloads = {
  variants: [
    { key: 'control', name: 'Generic', weight: 1, control: true, payload: { headline: 'Hello' } },
    { key: 'personalized', name: 'Recently viewed', weight: 1, payload: banner },
  ],
};

describe('variant payloads', () => {
  test('are stored, returned by /v1/assign with the served variant, and locked after the start', async () => {
    const key = await create(withPayloads);
    const got = await world.api.get(`/v1/experiments/${key}`).set(admin).expect(200);
    expect(got.body.variants[1].payload).toEqual(banner);
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await world.api.post('/v1/assign').set(bearer(assignKey)).send({ unitId: `p-${i}`, experiments: [key], track: false }).expect(200);
      const a = res.body.assignments[0];
      seen.add(a.variant);
      expect(a.payload).toEqual(a.variant === 'personalized' ? banner : { headline: 'Hello' });
    }
    expect(seen.size).toBe(2);
    const patch = { variants: withPayloads.variants.map((v, i) => (i === 1 ? { ...v, payload: { headline: 'changed' } } : v)) };
    const refused = await world.api.patch(`/v1/experiments/${key}`).set(admin).send(patch).expect(409);
    expect(refused.body.detail).toMatch(/variants/);
  });

  test('a factorial cell carries the payloads of its levels, by factor', async () => {
    const key = await create({
      variants: undefined,
      factors: [
        { key: 'hero', levels: [{ key: 'plain' }, { key: 'viewed', payload: { slot: 'recent' } }] },
        { key: 'badge', levels: [{ key: 'none' }, { key: 'sale', payload: 'SALE' }] },
      ],
    });
    const got = await world.api.get(`/v1/experiments/${key}`).set(admin).expect(200);
    const byKey = Object.fromEntries(got.body.variants.map((v: { key: string; payload?: unknown }) => [v.key, v.payload]));
    expect(byKey['plain.none']).toBeUndefined();
    expect(byKey['viewed.sale']).toEqual({ hero: { slot: 'recent' }, badge: 'SALE' });
    expect(byKey['plain.sale']).toEqual({ badge: 'SALE' });
  });

  test('a payload over 8 KiB of JSON is refused, naming the field', async () => {
    const big = { text: 'x'.repeat(9000) };
    const body = experimentBody({ variants: [{ key: 'control', name: 'C', weight: 1, control: true }, { key: 'b', name: 'B', weight: 1, payload: big }] });
    const res = await world.api.post('/v1/experiments').set(admin).send(body).expect(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('/variants/1/payload');
  });
});

describe('GET /v1/config', () => {
  test('holds running experiments whole, others as their control; ETag and 304; needs an assign key', async () => {
    const running = await create({ ...withPayloads, overrides: { 'qa-anna': 'personalized' }, targeting: { attribute: 'device', op: 'eq', value: 'mobile' } });
    const draft = await create({}, false);
    const res = await world.api.get('/v1/config').set(bearer(assignKey)).expect(200);
    expect(res.body.shape).toBe('server');
    expect(res.body.holdout).toEqual({ share: 0.1, salt: 'verdict-holdout' });
    const r = res.body.experiments.find((e: { key: string }) => e.key === running);
    expect(r).toMatchObject({ status: 'running', salt: running, control: 'control', coverage: 1, overrides: { 'qa-anna': 'personalized' }, targeting: { attribute: 'device', op: 'eq', value: 'mobile' } });
    expect(r.variants[1]).toEqual({ key: 'personalized', weight: 1, payload: banner });
    expect(r).not.toHaveProperty('hypothesis');
    const d = res.body.experiments.find((e: { key: string }) => e.key === draft);
    expect(d).toMatchObject({ status: 'draft', variants: [{ key: 'control', weight: 1 }], control: 'control' });

    const etag = res.headers.etag;
    await world.api.get('/v1/config').set(bearer(assignKey)).set('If-None-Match', etag).expect(304);
    await world.api.get('/v1/config').set(bearer(await world.key('read'))).expect(403);

    await world.api.post(`/v1/experiments/${running}/pause`).set(admin).expect(200);
    const after = await world.api.get('/v1/config').set(bearer(assignKey)).set('If-None-Match', etag).expect(200);
    expect(after.body.version).toBeGreaterThan(res.body.version);
    expect(after.body.experiments.find((e: { key: string }) => e.key === running)).toMatchObject({ status: 'paused', variants: [{ key: 'control', payload: { headline: 'Hello' } }] });
  });

  test('the browser shape has no forced unit ids and no drafts', async () => {
    const running = await create({ overrides: { 'qa-bob': 'personalized' } });
    const draft = await create({}, false);
    const res = await world.api.get('/v1/config?shape=browser').set(bearer(assignKey)).expect(200);
    expect(res.body.shape).toBe('browser');
    expect(res.text).not.toContain('qa-bob');
    expect(res.body.experiments.find((e: { key: string }) => e.key === running)).not.toHaveProperty('overrides');
    expect(res.body.experiments.some((e: { key: string }) => e.key === draft)).toBe(false);
    expect(res.body.experiments.every((e: { status: string }) => e.status !== 'draft')).toBe(true);
  });
});

/** Reads SSE `config` events from the stream; resolves each version as it arrives. */
function follow(path: string, key: string, base = world.url) {
  const events: { id: string; data: { version: number; experiments: { key: string; status: string }[] } }[] = [];
  const waiters: (() => void)[] = [];
  const req = http.get(`${base}${path}`, { headers: { Authorization: `Bearer ${key}`, Accept: 'text/event-stream' } });
  const ready = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
  });
  let buffer = '';
  void ready.then((res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields: Record<string, string> = {};
        for (const line of block.split('\n')) {
          const i = line.indexOf(':');
          if (i > 0) fields[line.slice(0, i)] = (fields[line.slice(0, i)] ?? '') + line.slice(i + 1).replace(/^ /, '');
        }
        if (fields.event === 'config') {
          events.push({ id: fields.id, data: JSON.parse(fields.data) });
          waiters.splice(0).forEach((w) => w());
        }
      }
    });
  });
  const next = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => (events.length >= n ? resolve() : waiters.push(check));
      check();
    });
  return { ready, events, next, close: () => req.destroy() };
}

describe('GET /v1/config/stream', () => {
  test('sends the snapshot at once, then each change made through the API, on another instance too with servers (its delay is measured in bench/)', async () => {
    const key = await create();
    // A second instance shares the database and Redis only on the servers backend.
    const other = backend === 'postgres' ? await world.another() : null;
    const here = follow('/v1/config/stream', assignKey);
    const there = follow('/v1/config/stream?shape=browser', assignKey, other?.url ?? world.url);
    try {
      const res = await here.ready;
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      await Promise.all([here.next(1), there.next(1)]);
      expect(here.events[0].data.experiments.find((e) => e.key === key)?.status).toBe('running');

      await world.api.post(`/v1/experiments/${key}/pause`).set(admin).expect(200);
      await Promise.all([here.next(2), there.next(2)]);
      for (const s of [here, there]) {
        const last = s.events[s.events.length - 1];
        expect(last.data.experiments.find((e) => e.key === key)?.status).toBe('paused');
        expect(Number(last.id)).toBe(last.data.version);
      }
    } finally {
      here.close();
      there.close();
      await other?.close();
    }
  });

  test('HEAD answers the stream\'s headers at once and ends (found by the contract fuzz: it used to hang)', async () => {
    const head = (headers: Record<string, string>) => fetch(`${world.url}/v1/config/stream`, { method: 'HEAD', headers, signal: AbortSignal.timeout(10_000) });
    const res = await head(bearer(assignKey));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect((await head({})).status).toBe(401);
  });
});
