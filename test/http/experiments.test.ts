import { bearer, useWorld } from '../helpers/world';
import { experimentBody, uniqueKey } from '../helpers/fixtures';

const world = useWorld();
let admin: Record<string, string>;
beforeAll(async () => {
  admin = bearer(world.adminKey);
});

async function create(overrides = {}) {
  const body = experimentBody(overrides);
  const res = await world.api.post('/v1/experiments').set(admin).send(body).expect(201);
  return res;
}

describe('creating experiments', () => {
  test('fills defaults, answers 201 with Location and ETag, and the experiment can be read back', async () => {
    const res = await create({ key: 'hero-banner-reco' });
    expect(res.headers.location).toBe('/v1/experiments/hero-banner-reco');
    expect(res.headers.etag).toBe('"1"');
    expect(res.body).toMatchObject({
      key: 'hero-banner-reco',
      status: 'draft',
      tactic: 'personalized-recommendations',
      coverage: 1,
      alpha: 0.05,
      salt: 'hero-banner-reco',
      targeting: null,
      version: 1,
      startedAt: null,
    });
    expect(res.body.variants[1]).toEqual({ key: 'personalized', name: 'Recently viewed', weight: 1, control: false });
    expect(res.body.metrics[0]).toEqual({ key: 'purchase', name: 'purchase', type: 'binary', event: 'purchase', direction: 'increase', role: 'primary' });
    const got = await world.api.get('/v1/experiments/hero-banner-reco').set(admin).expect(200);
    expect(got.body).toEqual(res.body);
    expect(got.headers.etag).toBe('"1"');
  });

  test('a duplicate key is a 409', async () => {
    const body = experimentBody();
    await world.api.post('/v1/experiments').set(admin).send(body).expect(201);
    const res = await world.api.post('/v1/experiments').set(admin).send(body).expect(409);
    expect(res.body.detail).toContain(body.key);
  });

  test.each([
    ['no control', { variants: [{ key: 'a', name: 'A', weight: 1 }, { key: 'b', name: 'B', weight: 1 }] }, '/variants'],
    ['two controls', { variants: [{ key: 'a', name: 'A', weight: 1, control: true }, { key: 'b', name: 'B', weight: 1, control: true }] }, '/variants'],
    ['duplicate variant keys', { variants: [{ key: 'a', name: 'A', weight: 1, control: true }, { key: 'a', name: 'B', weight: 1 }] }, '/variants/1/key'],
    ['no primary metric', { metrics: [{ key: 'm', type: 'binary' }] }, '/metrics'],
    ['zero weight', { variants: [{ key: 'a', name: 'A', weight: 0, control: true }, { key: 'b', name: 'B', weight: 1 }] }, '/variants/0/weight'],
    ['coverage above 1', { coverage: 1.5 }, '/coverage'],
    ['bad metric type', { metrics: [{ key: 'm', type: 'median', role: 'primary' }] }, '/metrics/0/type'],
    ['key not a slug', { key: 'Hero Banner' }, '/key'],
    ['unknown field', { colour: 'blue' }, '/colour'],
    ['bad targeting operator', { targeting: { all: [{ attribute: 'device', op: 'like', value: 'mob' }] } }, '/targeting/all/0/op'],
  ])('%s -> 400 naming the field', async (_name, overrides, field) => {
    const res = await world.api.post('/v1/experiments').set(admin).send(experimentBody(overrides as object)).expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  test('a missing required field is named', async () => {
    const { name: _name, ...body } = experimentBody();
    const res = await world.api.post('/v1/experiments').set(admin).send(body).expect(400);
    expect(res.body.errors).toContainEqual({ field: '/name', message: 'is required' });
  });
});

describe('listing', () => {
  test('filters by status and tactic, newest first, with pagination', async () => {
    const tactic = uniqueKey('tactic');
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) keys.push((await create({ tactic })).body.key);
    await world.api.post(`/v1/experiments/${keys[1]}/start`).set(admin).expect(200);
    await world.api.post(`/v1/experiments/${keys[3]}/start`).set(admin).expect(200);

    const all = await world.api.get(`/v1/experiments?tactic=${tactic}`).set(admin).expect(200);
    expect(all.body.items.map((e: { key: string }) => e.key)).toEqual([...keys].reverse());

    const running = await world.api.get(`/v1/experiments?tactic=${tactic}&status=running`).set(admin).expect(200);
    expect(running.body.items.map((e: { key: string }) => e.key)).toEqual([keys[3], keys[1]]);

    const both = await world.api.get(`/v1/experiments?tactic=${tactic}&status=running&status=draft`).set(admin).expect(200);
    expect(both.body.items).toHaveLength(5);

    const page1 = await world.api.get(`/v1/experiments?tactic=${tactic}&limit=2`).set(admin).expect(200);
    expect(page1.body.items.map((e: { key: string }) => e.key)).toEqual([keys[4], keys[3]]);
    const page2 = await world.api.get(`/v1/experiments?tactic=${tactic}&limit=2&cursor=${page1.body.nextCursor}`).set(admin).expect(200);
    expect(page2.body.items.map((e: { key: string }) => e.key)).toEqual([keys[2], keys[1]]);
    const page3 = await world.api.get(`/v1/experiments?tactic=${tactic}&limit=2&cursor=${page2.body.nextCursor}`).set(admin).expect(200);
    expect(page3.body.items.map((e: { key: string }) => e.key)).toEqual([keys[0]]);
    expect(page3.body.nextCursor).toBeNull();
  });

  test('bad filters are 400 with the parameter named', async () => {
    const res = await world.api.get('/v1/experiments?status=finished&limit=0').set(admin).expect(400);
    const fields = res.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['query.status.0', 'query.limit']));
    const cursor = await world.api.get('/v1/experiments?cursor=bogus').set(admin).expect(400);
    expect(cursor.body.errors[0].field).toBe('query.cursor');
  });
});

describe('lifecycle', () => {
  test('draft -> running -> paused -> running -> completed -> archived, each stamped and audited', async () => {
    const { key } = (await create()).body;
    const started = await world.api.post(`/v1/experiments/${key}/start`).set(admin).expect(200);
    expect(started.body.status).toBe('running');
    expect(started.body.startedAt).not.toBeNull();
    expect((await world.api.post(`/v1/experiments/${key}/pause`).set(admin).expect(200)).body.status).toBe('paused');
    expect((await world.api.post(`/v1/experiments/${key}/resume`).set(admin).expect(200)).body.status).toBe('running');
    const completed = await world.api.post(`/v1/experiments/${key}/complete`).set(admin).expect(200);
    expect(completed.body.completedAt).not.toBeNull();
    const archived = await world.api.post(`/v1/experiments/${key}/archive`).set(admin).expect(200);
    expect(archived.body).toMatchObject({ status: 'archived', version: 6 });
    expect(archived.body.startedAt).toBe(started.body.startedAt);

    const history = await world.api.get(`/v1/experiments/${key}/history`).set(admin).expect(200);
    expect(history.body.items.map((e: { action: string }) => e.action)).toEqual(['create', 'start', 'pause', 'resume', 'complete', 'archive']);
    expect(history.body.items[1]).toMatchObject({ actor: 'env:VERDICT_ADMIN_KEY', details: { from: 'draft', to: 'running' } });
  });

  test.each([
    ['pause', 'draft'],
    ['resume', 'draft'],
    ['complete', 'draft'],
  ])('%s from %s is a 409 with the reason', async (action, status) => {
    const { key } = (await create()).body;
    const res = await world.api.post(`/v1/experiments/${key}/${action}`).set(admin).expect(409);
    expect(res.body.detail).toContain(`cannot ${action} an experiment that is ${status}`);
    expect(res.body.status).toBe(409);
  });

  test('a running experiment cannot be archived or started again; a paused one can be completed', async () => {
    const { key } = (await create()).body;
    await world.api.post(`/v1/experiments/${key}/start`).set(admin).expect(200);
    expect((await world.api.post(`/v1/experiments/${key}/archive`).set(admin).expect(409)).body.detail).toMatch(/only a draft or completed/);
    await world.api.post(`/v1/experiments/${key}/start`).set(admin).expect(409);
    await world.api.post(`/v1/experiments/${key}/pause`).set(admin).expect(200);
    await world.api.post(`/v1/experiments/${key}/complete`).set(admin).expect(200);
    await world.api.post(`/v1/experiments/${key}/resume`).set(admin).expect(409);
  });

  test('a draft can be archived; an archived experiment takes no more changes', async () => {
    const { key } = (await create()).body;
    await world.api.post(`/v1/experiments/${key}/archive`).set(admin).expect(200);
    await world.api.post(`/v1/experiments/${key}/start`).set(admin).expect(409);
    await world.api.patch(`/v1/experiments/${key}`).set(admin).send({ name: 'x' }).expect(409);
  });

  test('unknown experiment is a 404', async () => {
    await world.api.post('/v1/experiments/no-such-thing/start').set(admin).expect(404);
    await world.api.get('/v1/experiments/no-such-thing').set(admin).expect(404);
    await world.api.get('/v1/experiments/no-such-thing/history').set(admin).expect(404);
    await world.api.patch('/v1/experiments/no-such-thing').set(admin).send({ name: 'x' }).expect(404);
  });
});

describe('updates', () => {
  test('a draft can change anything; the update is audited with old and new values', async () => {
    const { key } = (await create()).body;
    const res = await world.api
      .patch(`/v1/experiments/${key}`)
      .set(admin)
      .send({ name: 'Renamed', variants: [{ key: 'control', name: 'C', weight: 2, control: true }, { key: 'reco', name: 'R', weight: 1 }] })
      .expect(200);
    expect(res.body).toMatchObject({ name: 'Renamed', version: 2 });
    expect(res.headers.etag).toBe('"2"');
    const history = await world.api.get(`/v1/experiments/${key}/history`).set(admin).expect(200);
    const update = history.body.items[1];
    expect(update.action).toBe('update');
    expect(update.details.changes.name).toEqual({ from: 'Personalized hero banner', to: 'Renamed' });
    expect(Object.keys(update.details.changes).sort()).toEqual(['name', 'variants']);
  });

  test('once started, variants, weights and salt are locked (409) but the rest can change', async () => {
    const { key } = (await create()).body;
    await world.api.post(`/v1/experiments/${key}/start`).set(admin).expect(200);
    const weights = await world.api
      .patch(`/v1/experiments/${key}`)
      .set(admin)
      .send({ variants: [{ key: 'control', name: 'Generic banner', weight: 3, control: true }, { key: 'personalized', name: 'Recently viewed', weight: 1 }] })
      .expect(409);
    expect(weights.body.detail).toMatch(/reshuffle/);
    expect(weights.body.fields).toEqual(['variants']);
    const salt = await world.api.patch(`/v1/experiments/${key}`).set(admin).send({ salt: 'phase-2' }).expect(409);
    expect(salt.body.fields).toEqual(['salt']);
    const added = await world.api
      .patch(`/v1/experiments/${key}`)
      .set(admin)
      .send({ variants: [{ key: 'control', name: 'Generic banner', weight: 1, control: true }, { key: 'personalized', name: 'Recently viewed', weight: 1 }, { key: 'third', name: 'Third', weight: 1 }] })
      .expect(409);
    expect(added.body.fields).toEqual(['variants']);
    // Renaming a variant, ramping coverage, editing the hypothesis: fine.
    const ok = await world.api
      .patch(`/v1/experiments/${key}`)
      .set(admin)
      .send({
        hypothesis: 'Refined',
        coverage: 0.5,
        variants: [{ key: 'control', name: 'Generic', weight: 1, control: true }, { key: 'personalized', name: 'Viewed items', weight: 1 }],
      })
      .expect(200);
    expect(ok.body).toMatchObject({ hypothesis: 'Refined', coverage: 0.5, status: 'running' });
  });

  test('If-Match: the current ETag applies, a stale one is 412 and changes nothing', async () => {
    const { key } = (await create()).body;
    const first = await world.api.patch(`/v1/experiments/${key}`).set(admin).set('If-Match', '"1"').send({ name: 'One' }).expect(200);
    expect(first.headers.etag).toBe('"2"');
    const stale = await world.api.patch(`/v1/experiments/${key}`).set(admin).set('If-Match', '"1"').send({ name: 'Two' }).expect(412);
    expect(stale.headers.etag).toBe('"2"');
    expect(stale.body.detail).toMatch(/version 2/);
    await world.api.post(`/v1/experiments/${key}/start`).set(admin).set('If-Match', '"1"').expect(412);
    expect((await world.api.get(`/v1/experiments/${key}`).set(admin).expect(200)).body).toMatchObject({ name: 'One', status: 'draft', version: 2 });
    await world.api.patch(`/v1/experiments/${key}`).set(admin).set('If-Match', '*').send({ name: 'Three' }).expect(200);
    await world.api.post(`/v1/experiments/${key}/start`).set(admin).set('If-Match', '"3"').expect(200);
  });

  test('If-Match lists: one current ETag among them applies; weak or unknown tags never match (strong comparison)', async () => {
    const { key } = (await create()).body;
    await world.api.patch(`/v1/experiments/${key}`).set(admin).set('If-Match', '"7", "1"').send({ name: 'One' }).expect(200);
    for (const stale of ['W/"2"', '"02"', '"two"', '"1", "3"']) {
      const res = await world.api.patch(`/v1/experiments/${key}`).set(admin).set('If-Match', stale).send({ name: 'Two' }).expect(412);
      expect(res.headers.etag).toBe('"2"');
    }
    await world.api.post(`/v1/experiments/${key}/start`).set(admin).set('If-Match', '"1", *').expect(200);
  });

  test('two concurrent updates with the same If-Match: exactly one wins', async () => {
    const { key } = (await create()).body;
    const results = await Promise.all(
      ['A', 'B', 'C'].map((name) => world.api.patch(`/v1/experiments/${key}`).set(admin).set('If-Match', '"1"').send({ name })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 412, 412]);
  });

  test('an update that breaks a rule is a 400 and changes nothing', async () => {
    const { key } = (await create()).body;
    const res = await world.api.patch(`/v1/experiments/${key}`).set(admin).send({ metrics: [{ key: 'a', type: 'binary' }] }).expect(400);
    expect(res.body.errors[0].field).toBe('/metrics');
    expect((await world.api.get(`/v1/experiments/${key}`).set(admin).expect(200)).body.version).toBe(1);
  });

  test('an empty update is a 400', async () => {
    const { key } = (await create()).body;
    await world.api.patch(`/v1/experiments/${key}`).set(admin).send({}).expect(400);
  });
});
