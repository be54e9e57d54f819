import { runExperiment } from '../helpers/experiments';
import { Registry } from 'prom-client';
import { createExposureRecorder } from '../../src/serving/exposure-recorder';
import { createLogger } from '../../src/logger';
import { DatabaseUnavailableError } from '../../src/errors';
import type { Db } from '../../src/store/db';
import { bearer, useWorld } from '../helpers/world';
import { at, conversion, eid, exposure, send } from '../helpers/events';

/**
 * Text PostgreSQL cannot store (U+0000, or an unpaired UTF-16 surrogate, which has no UTF-8
 * encoding) is refused where it enters, naming the field; and a row of the exposure queue
 * that the database refuses anyway is dropped on its own instead of blocking the queue.
 */
const world = useWorld({ exposureFlushMs: 60_000 });
let admin: Record<string, string>;
let assignKey: Record<string, string>;
let key: string;
beforeAll(async () => {
  admin = bearer(world.adminKey);
  assignKey = bearer(await world.key('assign'));
  key = await runExperiment(world, { segments: ['device'] });
});

async function exposedUnits(): Promise<string[]> {
  const { rows } = await world.rt.db.query<{ unit_id: string }>(
    'SELECT unit_id FROM exposures x JOIN experiments e ON e.id = x.experiment_id WHERE e.key = $1 ORDER BY unit_id',
    [key],
  );
  return rows.map((r) => r.unit_id);
}

const fields = (res: { body: { errors?: { field: string }[] } }) => (res.body.errors ?? []).map((e) => e.field);

describe('POST /v1/assign', () => {
  test.each([
    ['U+0000 in the unit id', { unitId: 'bad\u0000id' }, '/unitId'],
    ['U+0000 alone', { unitId: '\u0000' }, '/unitId'],
    ['a lone low surrogate in the unit id', { unitId: '\udc00x' }, '/unitId'],
    ['U+0000 in an attribute (a segment)', { unitId: 'ok-1', attributes: { device: 'mob\u0000ile' } }, '/attributes/device'],
    ['a lone surrogate in an attribute', { unitId: 'ok-1', attributes: { channel: 'x\ud800' } }, '/attributes/channel'],
    ['an attribute name with / and ~ is escaped in the pointer', { unitId: 'ok-1', attributes: { 'a/b~c': '\u0000' } }, '/attributes/a~1b~0c'],
    ['U+0000 in an attribute name', { unitId: 'ok-1', attributes: { 'dev\u0000ice': 'mobile' } }, '/attributes/dev\u0000ice'],
    ['a lone surrogate in an experiment asked for', { unitId: 'ok-1', experiments: ['x\udfff'] }, '/experiments/0'],
  ])('%s -> 400 naming the field', async (_name, body, field) => {
    const res = await world.api.post('/v1/assign').set(assignKey).send({ experiments: [key], ...body }).expect(400);
    expect(fields(res)).toEqual([field]);
  });

  test('nothing of a refused request is queued: the next flush writes the other units', async () => {
    await world.api.post('/v1/assign').set(assignKey).send({ unitId: 'nul\u0000unit', experiments: [key] });
    await world.api.post('/v1/assign').set(assignKey).send({ unitId: 'good-1', experiments: [key], attributes: { device: 'x\u0000' } });
    await world.api.post('/v1/assign').set(assignKey).send({ unitId: 'good-2', experiments: [key], attributes: { device: 'mobile' } }).expect(200);
    await world.api.post('/v1/assign').set(assignKey).send({ unitId: 'émoji-😀', experiments: [key] }).expect(200);
    await world.rt.exposures.flush();
    expect(world.rt.exposures.pending()).toBe(0);
    expect(await exposedUnits()).toEqual(expect.arrayContaining(['good-2', 'émoji-😀']));
    expect(await exposedUnits()).not.toContain('good-1');
  });
});

describe('POST /v1/events', () => {
  test('each event with unstorable text is rejected naming its field; the others are stored', async () => {
    const soon = at(1000);
    const batch = [
      conversion('ev-nul\u0000', 'purchase', soon),
      conversion('ev-ok', 'purchase', soon, undefined, `bad\u0000${eid()}`),
      exposure('ev-\ud800', key, soon),
      exposure('ev-ok', key, soon, { attributes: { device: 'desk\u0000top' } }),
      exposure('ev-ok', key, soon, { attributes: { device: '\udfff' } }),
      conversion('ev-ok', 'purchase', soon),
      exposure('ev-ok', key, soon, { attributes: { device: 'desktop' } }),
    ];
    const res = await send(world, batch);
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(2);
    expect(res.body.rejected.map((r: { index: number; field: string }) => [r.index, r.field])).toEqual([
      [0, '/unitId'],
      [1, '/eventId'],
      [2, '/unitId'],
      [3, '/attributes/device'],
      [4, '/attributes/device'],
    ]);
    expect(res.body.rejected[0].reason).toMatch(/U\+0000/);
    expect(res.body.rejected[2].reason).toMatch(/surrogate/);
    expect(await exposedUnits()).toContain('ev-ok');
  });
});

test('DELETE /v1/units/{unitId} with U+0000 is a 400 naming the unit id, not a database error', async () => {
  const res = await world.api.delete('/v1/units/bad%00id').set(admin).expect(400);
  expect(JSON.stringify(res.body.errors)).toMatch(/unitId/);
  await world.api.delete(`/v1/units/${encodeURIComponent('ok-😀')}`).set(admin).expect(200);
});

describe('the exposure queue', () => {
  test('a row the database refuses (data error) is dropped alone, logged and counted; the rest is written', async () => {
    const good = Array.from({ length: 40 }, (_, i) => `queued-${i}`);
    for (const unitId of good.slice(0, 20)) await world.api.post('/v1/assign').set(assignKey).send({ unitId, experiments: [key] }).expect(200);
    // Past validation somehow (an older instance, a future code path): the database cannot store it.
    const { id: experimentId, uid } = world.rt.registry.get(key)!.row;
    world.rt.exposures.record({ experimentId, uid, unitId: 'poison\u0000unit', variant: 'control', holdout: false, at: new Date(), segments: {} });
    world.rt.exposures.record({ experimentId, uid, unitId: 'poison-2', variant: 'control', holdout: false, at: new Date(), segments: { device: 'x\ud800' } });
    for (const unitId of good.slice(20)) await world.api.post('/v1/assign').set(assignKey).send({ unitId, experiments: [key] }).expect(200);

    await world.rt.exposures.flush();
    expect(world.rt.exposures.pending()).toBe(0);
    const written = await exposedUnits();
    expect(written).toEqual(expect.arrayContaining(good));
    expect(written.filter((u) => u.startsWith('poison'))).toEqual([]);

    const metrics = await world.api.get('/metrics').set(admin).expect(200);
    expect(metrics.text).toMatch(/^verdict_exposures_dropped_total\{reason="invalid"\} 2$/m);

    // The queue keeps flowing afterwards; a dropped unit is not marked exposed (it is re-recorded if assigned again).
    await world.api.post('/v1/assign').set(assignKey).send({ unitId: 'after-1', experiments: [key] }).expect(200);
    await world.rt.exposures.flush();
    expect(await exposedUnits()).toContain('after-1');
    expect(await world.rt.exposures.known('poison-2', [world.rt.registry.get(key)!.marks])).toEqual([null]);
  });

  test('a connection failure is not a data error: the whole queue is kept and written once the database answers', async () => {
    const real = world.rt.db;
    const failures = [Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' }), new DatabaseUnavailableError(new Error('ECONNREFUSED'))];
    const flaky: Db = {
      backend: real.backend,
      query: (sql, params) => real.query(sql, params),
      exec: (sql) => real.exec(sql),
      transaction: (fn) => (failures.length ? Promise.reject(failures.shift()) : real.transaction(fn)),
      close: async () => undefined,
    };
    const registry = new Registry();
    const recorder = createExposureRecorder(flaky, world.rt.cache, createLogger('silent'), 60_000, registry);
    const { id: experimentId, uid } = world.rt.registry.get(key)!.row;
    const units = ['flaky-1', 'flaky-2', 'flaky-3'];
    for (const unitId of units) recorder.record({ experimentId, uid, unitId, variant: 'control', holdout: false, at: new Date(), segments: {} });
    try {
      await expect(recorder.flush()).rejects.toThrow(/Connection terminated/);
      await expect(recorder.flush()).rejects.toThrow(DatabaseUnavailableError);
      expect(recorder.pending()).toBe(3);
      expect((await exposedUnits()).filter((u) => u.startsWith('flaky'))).toEqual([]);
      await recorder.flush();
      expect(recorder.pending()).toBe(0);
      expect(await exposedUnits()).toEqual(expect.arrayContaining(units));
      expect(await registry.metrics()).toMatch(/^verdict_exposures_dropped_total\{reason="invalid"\} 0$/m);
    } finally {
      await recorder.close();
    }
  });
});
