import { bearer, useWorld } from '../helpers/world';
import { experimentBody, uniqueKey } from '../helpers/fixtures';
import { markKey } from '../../src/serving/exposure-recorder';

/** POST /v1/assign through HTTP: reasons, targeting, layers, holdout, factorial, overrides, consent, tracking. */
const world = useWorld({ holdoutShare: 0.2 });
let admin: Record<string, string>;
let assignKey: Record<string, string>;
beforeAll(async () => {
  admin = bearer(world.adminKey);
  assignKey = bearer(await world.key('assign'));
});

async function running(overrides: Record<string, unknown> = {}) {
  const body = experimentBody(overrides);
  await world.api.post('/v1/experiments').set(admin).send(body).expect(201);
  await world.api.post(`/v1/experiments/${body.key}/start`).set(admin).expect(200);
  return body.key;
}

async function assign(body: Record<string, unknown>) {
  const res = await world.api.post('/v1/assign').set(assignKey).send(body).expect(200);
  return res.body as { unitId: string; assignments: { experiment: string; variant: string | null; inExperiment: boolean; reason: string; factors?: Record<string, string> }[] };
}

async function exposures(key: string) {
  await world.rt.exposures.flush();
  const { rows } = await world.rt.db.query<{ unit_id: string; variant: string; holdout: boolean; segments: Record<string, unknown>; first_exposed_at: Date }>(
    'SELECT unit_id, variant, holdout, segments, first_exposed_at FROM exposures x JOIN experiments e ON e.id = x.experiment_id WHERE e.key = $1 ORDER BY unit_id',
    [key],
  );
  return rows;
}

const units = (n: number, prefix = 'u') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

test('assigns every running experiment by default, and only the ones asked for when given', async () => {
  const a = await running({ respectsHoldout: false });
  const b = await running({ respectsHoldout: false });
  const all = await assign({ unitId: 'visitor-1' });
  const keys = all.assignments.map((x) => x.experiment);
  expect(keys).toEqual(expect.arrayContaining([a, b]));
  const one = await assign({ unitId: 'visitor-1', experiments: [b] });
  expect(one.assignments).toHaveLength(1);
  expect(one.assignments[0]).toMatchObject({ experiment: b, inExperiment: true, reason: 'bucketed' });
  expect(['control', 'personalized']).toContain(one.assignments[0].variant);
  expect(one.unitId).toBe('visitor-1');
});

test('not running: a draft, paused, completed or archived experiment serves its control; an unknown key serves null, reason unknown', async () => {
  const draft = experimentBody();
  await world.api.post('/v1/experiments').set(admin).send(draft).expect(201);
  const paused = await running({ respectsHoldout: false });
  const archived = await running({ respectsHoldout: false });
  await world.api.post(`/v1/experiments/${archived}/complete`).set(admin).expect(200);
  await world.api.post(`/v1/experiments/${archived}/archive`).set(admin).expect(200);
  const archivedDraft = experimentBody({ factors: [{ key: 'headline', levels: [{ key: 'generic' }, { key: 'named' }] }, { key: 'image', levels: [{ key: 'stock' }, { key: 'product' }] }] });
  delete (archivedDraft as Record<string, unknown>).variants;
  await world.api.post('/v1/experiments').set(admin).send(archivedDraft).expect(201);
  await world.api.post(`/v1/experiments/${archivedDraft.key}/archive`).set(admin).expect(200);
  const before = (await assign({ unitId: 'p-1', experiments: [paused] })).assignments[0];
  await world.api.post(`/v1/experiments/${paused}/pause`).set(admin).expect(200);
  const res = await assign({ unitId: 'p-1', experiments: [draft.key, paused, archived, archivedDraft.key, 'no-such-experiment'] });
  expect(res.assignments).toEqual([
    { experiment: draft.key, variant: 'control', inExperiment: false, reason: 'not_running' },
    { experiment: paused, variant: 'control', inExperiment: false, reason: 'not_running' },
    { experiment: archived, variant: 'control', inExperiment: false, reason: 'not_running' },
    { experiment: archivedDraft.key, variant: 'generic.stock', inExperiment: false, reason: 'not_running', factors: { headline: 'generic', image: 'stock' } },
    { experiment: 'no-such-experiment', variant: null, inExperiment: false, reason: 'unknown' },
  ]);
  // Archived experiments are held across a reload too (as another instance would load them).
  await world.rt.registry.reload();
  expect((await assign({ unitId: 'p-2', experiments: [archived] })).assignments).toEqual([
    { experiment: archived, variant: 'control', inExperiment: false, reason: 'not_running' },
  ]);
  await world.api.post(`/v1/experiments/${paused}/resume`).set(admin).expect(200);
  expect((await assign({ unitId: 'p-1', experiments: [paused] })).assignments[0]).toEqual(before);
});

test('the first exposure is recorded once, with the time and the segment attributes of that moment', async () => {
  const key = await running({ segments: ['device', 'channel'], respectsHoldout: false });
  const t0 = Date.now();
  await assign({ unitId: 'seg-1', experiments: [key], attributes: { device: 'mobile', channel: 'email', other: 'x' } });
  await world.rt.exposures.flush();
  await assign({ unitId: 'seg-1', experiments: [key], attributes: { device: 'desktop', channel: 'ads' } });
  const rows = await exposures(key);
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ unit_id: 'seg-1', holdout: false, segments: { device: 'mobile', channel: 'email' } });
  expect(rows[0].first_exposed_at.getTime()).toBeGreaterThanOrEqual(t0 - 1000);
});

test('track: false assigns without recording anything', async () => {
  const key = await running({ respectsHoldout: false });
  const res = await assign({ unitId: 'peek-1', experiments: [key], track: false });
  expect(res.assignments[0].inExperiment).toBe(true);
  expect(await exposures(key)).toEqual([]);
});

test('consent: false gets every control and nothing about the unit is stored', async () => {
  const key = await running({ respectsHoldout: false, overrides: { 'optout-1': 'personalized' } });
  for (const unitId of ['optout-1', 'optout-2', 'optout-3']) {
    const res = await assign({ unitId, experiments: [key], consent: false, attributes: { device: 'mobile' } });
    expect(res.assignments).toEqual([{ experiment: key, variant: 'control', inExperiment: false, reason: 'opted_out' }]);
  }
  expect(await exposures(key)).toEqual([]);
  const { uid } = world.rt.registry.get(key)!.row;
  expect(await world.rt.cache.mget(['optout-1', 'optout-2', 'optout-3'].map((u) => markKey(uid, u)))).toEqual([null, null, null]);
});

test('targeting: units that do not match get the control and are not exposed', async () => {
  const key = await running({
    respectsHoldout: false,
    targeting: { all: [{ attribute: 'lifecycle', op: 'eq', value: 'returning' }, { any: [{ attribute: 'visits', op: 'gte', value: 3 }, { attribute: 'vip', op: 'exists', value: true }] }] },
  });
  const cases: [Record<string, unknown>, boolean][] = [
    [{ lifecycle: 'returning', visits: 5 }, true],
    [{ lifecycle: 'returning', visits: 1, vip: false }, true],
    [{ lifecycle: 'returning', visits: 1 }, false],
    [{ lifecycle: 'new', visits: 9 }, false],
    [{ lifecycle: 'returning', visits: '9' }, false],
    [{}, false],
  ];
  for (const [i, [attributes, targeted]] of cases.entries()) {
    const a = (await assign({ unitId: `t-${i}`, experiments: [key], attributes })).assignments[0];
    expect({ attributes, reason: a.reason }).toEqual({ attributes, reason: targeted ? 'bucketed' : 'not_targeted' });
    if (!targeted) expect(a.variant).toBe('control');
  }
  expect((await exposures(key)).map((r) => r.unit_id)).toEqual(['t-0', 't-1']);
});

test('layers: experiments sharing a layer never share a unit; an overlapping slice is refused', async () => {
  const layer = uniqueKey('hero');
  const a = await running({ respectsHoldout: false, layer: { key: layer, start: 0, end: 0.5 } });
  const b = await running({ respectsHoldout: false, layer: { key: layer, start: 0.5, end: 1 } });
  const overlap = await world.api.post('/v1/experiments').set(admin).send(experimentBody({ layer: { key: layer, start: 0.4, end: 0.6 } })).expect(409);
  expect(overlap.body.detail).toMatch(/overlaps experiment/);
  let both = 0;
  const counts = { a: 0, b: 0 };
  for (const unitId of units(400, 'layer')) {
    const [x, y] = (await assign({ unitId, experiments: [a, b], track: false })).assignments;
    if (x.inExperiment && y.inExperiment) both++;
    if (x.inExperiment) counts.a++;
    if (y.inExperiment) counts.b++;
    expect([x.reason, y.reason].sort()).toEqual(['bucketed', 'layer']);
  }
  expect(both).toBe(0);
  expect(counts.a + counts.b).toBe(400);
  expect(counts.a).toBeGreaterThan(150);
  expect(counts.b).toBeGreaterThan(150);
  // Completing one frees its slice for a new experiment.
  await world.api.post(`/v1/experiments/${a}/complete`).set(admin).expect(200);
  await world.api.post('/v1/experiments').set(admin).send(experimentBody({ layer: { key: layer, start: 0, end: 0.5 } })).expect(201);
});

test('holdout: a share of units gets the control everywhere and is recorded as holdout; an experiment may opt out', async () => {
  const respecting = await running();
  const ignoring = await running({ respectsHoldout: false });
  const ids = units(1000, 'hold');
  let held = 0;
  for (const unitId of ids) {
    const [x, y] = (await assign({ unitId, experiments: [respecting, ignoring] })).assignments;
    if (x.reason === 'holdout') {
      held++;
      expect(x).toEqual({ experiment: respecting, variant: 'control', inExperiment: false, reason: 'holdout' });
    } else expect(x.reason).toBe('bucketed');
    expect(y.reason).toBe('bucketed');
  }
  // 20 % configured: binomial(1000, 0.2) stays within 200 +- 4.5 sd (sd = 12.6) for any seed.
  expect(held).toBeGreaterThan(143);
  expect(held).toBeLessThan(257);
  const rows = await exposures(respecting);
  expect(rows.filter((r) => r.holdout)).toHaveLength(held);
  expect(rows.filter((r) => r.holdout).every((r) => r.variant === 'control')).toBe(true);
  expect((await exposures(ignoring)).filter((r) => r.holdout)).toHaveLength(0);
});

test('a recorded holdout exposure is sticky: after coverage is lowered the unit stays in the holdout, exposed units in their variant', async () => {
  const key = await running();
  const ids = units(600, 'hold-sticky');
  const first = new Map<string, { variant: string | null; reason: string }>();
  for (const unitId of ids) first.set(unitId, (await assign({ unitId, experiments: [key] })).assignments[0]);
  await world.rt.exposures.flush();
  await world.api.patch(`/v1/experiments/${key}`).set(admin).send({ coverage: 0.1 }).expect(200);
  const moved: string[] = [];
  let heldOut = 0;
  for (const unitId of ids) {
    const before = first.get(unitId)!;
    const now = (await assign({ unitId, experiments: [key] })).assignments[0];
    if (before.reason === 'holdout') heldOut++;
    if (now.variant !== before.variant || now.reason !== before.reason) moved.push(`${unitId}: ${before.variant} (${before.reason}) -> ${now.variant} (${now.reason})`);
  }
  expect(heldOut).toBeGreaterThan(50);
  expect(moved).toEqual([]);
});

test('multivariate: the full factorial, control is every first level, assignments report factors', async () => {
  const body = experimentBody({
    variants: undefined,
    respectsHoldout: false,
    factors: [
      { key: 'headline', levels: [{ key: 'generic' }, { key: 'personalized' }] },
      { key: 'image', levels: [{ key: 'stock' }, { key: 'product' }] },
      { key: 'offer', levels: [{ key: 'none' }, { key: '10pct-off', name: '10% off' }, { key: 'free-shipping' }] },
    ],
  });
  delete (body as Record<string, unknown>).variants;
  const created = await world.api.post('/v1/experiments').set(admin).send(body).expect(201);
  expect(created.body.variants).toHaveLength(12);
  expect(created.body.variants.filter((v: { control: boolean }) => v.control).map((v: { key: string }) => v.key)).toEqual(['generic.stock.none']);
  expect(created.body.variants[11]).toMatchObject({ key: 'personalized.product.free-shipping', factors: { headline: 'personalized', image: 'product', offer: 'free-shipping' } });
  await world.api.post(`/v1/experiments/${body.key}/start`).set(admin).expect(200);
  const seen = new Set<string>();
  for (const unitId of units(300, 'mv')) {
    const a = (await assign({ unitId, experiments: [body.key], track: false })).assignments[0];
    expect(a.variant).toBe(`${a.factors!.headline}.${a.factors!.image}.${a.factors!.offer}`);
    seen.add(a.variant!);
  }
  expect(seen.size).toBe(12);
  const both = await world.api.post('/v1/experiments').set(admin).send({ ...experimentBody(), factors: body.factors }).expect(400);
  expect(both.body.errors[0].field).toBe('/factors');
});

test('overrides force a variant for QA units, which are never recorded', async () => {
  const key = await running({ respectsHoldout: false, overrides: { 'qa-anna': 'personalized', 'qa-ben': 'control' } });
  const anna = (await assign({ unitId: 'qa-anna', experiments: [key] })).assignments[0];
  expect(anna).toEqual({ experiment: key, variant: 'personalized', inExperiment: false, reason: 'forced' });
  expect((await assign({ unitId: 'qa-ben', experiments: [key] })).assignments[0].variant).toBe('control');
  expect(await exposures(key)).toEqual([]);
  const bad = await world.api.patch(`/v1/experiments/${key}`).set(admin).send({ overrides: { 'qa-anna': 'nope' } }).expect(400);
  expect(bad.body.errors[0].field).toBe('/overrides/qa-anna');
});

test('a change reaches assignment at once: coverage 0 -> nobody, 1 -> everybody', async () => {
  const key = await running({ respectsHoldout: false, coverage: 0 });
  expect((await assign({ unitId: 'c-1', experiments: [key] })).assignments[0].reason).toBe('coverage');
  await world.api.patch(`/v1/experiments/${key}`).set(admin).send({ coverage: 1 }).expect(200);
  expect((await assign({ unitId: 'c-1', experiments: [key] })).assignments[0].reason).toBe('bucketed');
});

test('salts: unique among experiments, never the holdout salt; layer, factors and holdout lock once started', async () => {
  const key = await running();
  const dup = await world.api.post('/v1/experiments').set(admin).send(experimentBody({ salt: key })).expect(409);
  expect(dup.body.detail).toMatch(/already used by experiment/);
  const holdoutSalt = await world.api.post('/v1/experiments').set(admin).send(experimentBody({ salt: 'verdict-holdout' })).expect(400);
  expect(holdoutSalt.body.errors[0].field).toBe('/salt');
  const locked = await world.api.patch(`/v1/experiments/${key}`).set(admin).send({ respectsHoldout: false, layer: { key: 'x', start: 0, end: 1 } }).expect(409);
  expect(locked.body.fields.sort()).toEqual(['layer', 'respectsHoldout']);
});

test('the path is matched as express matches it: a trailing slash and a query string are still /v1/assign', async () => {
  const key = await running({ respectsHoldout: false });
  const expected = (await assign({ unitId: 'path-1', experiments: [key], track: false })).assignments;
  for (const path of ['/v1/assign/', '/v1/assign?debug=1', '/v1/assign/?debug=1', '/v1/assign?']) {
    const res = await world.api.post(path).set(assignKey).send({ unitId: 'path-1', experiments: [key], track: false });
    expect([path, res.status, res.body.assignments]).toEqual([path, 200, expected]);
  }
  // A bad body on the slashed path is judged like any other: a 400, not the express fallback.
  expect((await world.api.post('/v1/assign/').set(assignKey).send({ unitId: '' })).status).toBe(400);
  for (const path of ['/v1/assign//', '/v1/assignx', '/v1/assign/x']) {
    expect([path, (await world.api.post(path).set(assignKey).send({ unitId: 'path-1' })).status]).toEqual([path, 404]);
  }
});

describe('bad requests', () => {
  test.each([
    ['no unitId', {}, '/unitId'],
    ['empty unitId', { unitId: '' }, '/unitId'],
    ['unitId over 256', { unitId: 'x'.repeat(257) }, '/unitId'],
    ['lone surrogate', { unitId: 'bad\ud800id' }, '/unitId'],
    ['nested attribute', { unitId: 'u', attributes: { device: { type: 'mobile' } } }, '/attributes/device'],
    ['experiments not slugs', { unitId: 'u', experiments: ['Not A Key'] }, '/experiments/0'],
    ['unknown field', { unitId: 'u', variant: 'personalized' }, '/variant'],
    ['track not boolean', { unitId: 'u', track: 'yes' }, '/track'],
  ])('%s -> 400', async (_name, body, field) => {
    const res = await world.api.post('/v1/assign').set(assignKey).send(body).expect(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  test('malformed JSON 400, wrong media type 415, too large 413, no key 401, read key 403', async () => {
    expect((await world.api.post('/v1/assign').set(assignKey).set('Content-Type', 'application/json').send('{"unitId":')).status).toBe(400);
    expect((await world.api.post('/v1/assign').set(assignKey).set('Content-Type', 'text/plain').send('unitId=u')).status).toBe(415);
    expect((await world.api.post('/v1/assign').set(assignKey).send({ unitId: 'u', attributes: { blob: 'x'.repeat(70_000) } })).status).toBe(413);
    expect((await world.api.post('/v1/assign').send({ unitId: 'u' })).status).toBe(401);
    expect((await world.api.post('/v1/assign').set(bearer(await world.key('read'))).send({ unitId: 'u' })).status).toBe(403);
    expect((await world.api.get('/v1/assign').set(assignKey)).status).toBe(405);
  });
});
