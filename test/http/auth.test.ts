import { createHash } from 'node:crypto';
import { bearer, contractFetch, useWorld } from '../helpers/world';
import { experimentBody } from '../helpers/fixtures';
import { contract } from '../../src/contract';

const contractOperations = () => contract().operations;

const world = useWorld();
let admin: Record<string, string>;
beforeAll(async () => {
  admin = bearer(world.adminKey);
});

test('no key, a malformed header or an unknown key is a 401 with a Bearer challenge', async () => {
  for (const headers of [{}, { Authorization: 'Basic dXNlcjpwdw==' }, { Authorization: 'Bearer vk_not-a-real-key' }]) {
    const res = await world.api.get('/v1/experiments').set(headers);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
  }
});

test('public operations need no key', async () => {
  await world.api.get('/healthz').expect(200);
  await world.api.get('/openapi.yaml').expect(200);
});

test('scopes: read reads, assign cannot read experiments, only admin writes and manages keys', async () => {
  const read = bearer(await world.key('read'));
  const assign = bearer(await world.key('assign'));
  await world.api.get('/v1/experiments').set(read).expect(200);
  const denied = await world.api.get('/v1/experiments').set(assign).expect(403);
  expect(denied.body.detail).toBe('listing experiments needs a read or admin key; this key has scope assign');
  const create = await world.api.post('/v1/experiments').set(read).send(experimentBody()).expect(403);
  expect(create.body.detail).toBe('creating an experiment needs an admin key; this key has scope read');
  const assigning = await world.api.post('/v1/assign').set(read).send({ unitId: 'u-1' }).expect(403);
  expect(assigning.body.detail).toBe('assigning visitors needs an assign or admin key; this key has scope read');
  await world.api.get('/v1/keys').set(read).expect(403);
  await world.api.post('/v1/keys').set(read).send({ name: 'x', scope: 'admin' }).expect(403);
  await world.api.post('/v1/experiments').set(admin).send(experimentBody()).expect(201);
});

test('a created key is shown once, stored only as a hash, works for its scope, and stops working when revoked', async () => {
  const created = await world.api.post('/v1/keys').set(admin).send({ name: 'ci', scope: 'read' }).expect(201);
  const { id, secret } = created.body;
  expect(secret).toMatch(/^vk_[A-Za-z0-9_-]{43}$/);
  expect(created.body).toMatchObject({ name: 'ci', scope: 'read', revokedAt: null });

  const listed = await world.api.get('/v1/keys').set(admin).expect(200);
  const entry = listed.body.items.find((k: { id: string }) => k.id === id);
  expect(entry).toEqual({ id, name: 'ci', scope: 'read', browser: false, createdAt: created.body.createdAt, revokedAt: null, expiresAt: null });
  expect(JSON.stringify(listed.body)).not.toContain(secret);

  const { rows } = await world.rt.db.query<{ secret_hash: string }>('SELECT secret_hash FROM api_keys WHERE id = $1', [id]);
  expect(rows[0].secret_hash).toBe(createHash('sha256').update(secret).digest('hex'));
  const everything = await world.rt.db.query('SELECT * FROM api_keys');
  expect(JSON.stringify(everything.rows)).not.toContain(secret);

  await world.api.get('/v1/experiments').set(bearer(secret)).expect(200);
  await world.api.delete(`/v1/keys/${id}`).set(admin).expect(204);
  await world.api.get('/v1/experiments').set(bearer(secret)).expect(401);
  const after = await world.api.get('/v1/keys').set(admin).expect(200);
  expect(after.body.items.find((k: { id: string }) => k.id === id).revokedAt).not.toBeNull();
  await world.api.delete('/v1/keys/key_doesnotexist').set(admin).expect(404);
});

test('changes are audited with the id of the key that made them', async () => {
  const key = await world.api.post('/v1/keys').set(admin).send({ name: 'marketing admin', scope: 'admin' }).expect(201);
  const body = experimentBody();
  await world.api.post('/v1/experiments').set(bearer(key.body.secret)).send(body).expect(201);
  const history = await world.api.get(`/v1/experiments/${body.key}/history`).set(admin).expect(200);
  expect(history.body.items[0]).toMatchObject({ actor: key.body.id, action: 'create' });
});

test('bad key requests are 400s', async () => {
  const res = await world.api.post('/v1/keys').set(admin).send({ name: '', scope: 'superuser' }).expect(400);
  expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['/name', '/scope']);
});

const withRedis = process.env.DATABASE_URL && process.env.REDIS_URL ? test : test.skip;

withRedis('several instances: a key made on one works on the others at once; revoked on one, the others refuse it through Redis', async () => {
  const other = await world.another();
  const onOther = (secret: string) => contractFetch(`${other.url}/v1/experiments`, { headers: bearer(secret) }).then((r) => r.status);
  const created = await world.api.post('/v1/keys').set(admin).send({ name: 'shared', scope: 'read' }).expect(201);
  expect(await onOther(created.body.secret)).toBe(200);
  await world.api.delete(`/v1/keys/${created.body.id}`).set(admin).expect(204);
  // Pub/sub takes milliseconds; without it the other instance would wait for its reload (every 10 s).
  const until = Date.now() + 5000;
  while ((await onOther(created.body.secret)) !== 401) {
    if (Date.now() > until) throw new Error('the revocation never reached the other instance');
    await new Promise((r) => setTimeout(r, 20));
  }
});

test('a 403 says what was refused in the user\'s words, never an internal operation id', async () => {
  const keyOf = { assign: bearer(await world.key('assign')), read: bearer(await world.key('read')) };
  for (const op of contractOperations().filter((o) => o.scope)) {
    const url = op.path.replace(/\{[^}]+\}/g, 'some-thing');
    const method = op.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete';
    const refused = op.scope === 'read' ? keyOf.assign : keyOf.read;
    const res = await world.api[method](url).set(refused).expect(403);
    if (op.operationId !== op.scope) expect(res.body.detail).not.toContain(op.operationId);
    expect(res.body.detail).toMatch(/^[a-z][A-Za-z' ]+ needs (an admin|a read or admin|an assign or admin) key; this key has scope (read|assign)$/);
  }
});
