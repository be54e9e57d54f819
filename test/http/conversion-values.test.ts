import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { MAX_CONVERSION_VALUE } from '../../src/store/aggregate-store';
import { migrate } from '../../src/store/migrate';
import { openApiPath } from '../../src/paths';
import { at, conversion, counts, eid, send } from '../helpers/events';
import { runExperiment } from '../helpers/experiments';
import { uniqueKey } from '../helpers/fixtures';
import { bearer, useWorld } from '../helpers/world';

/**
 * Conversion values are bounded (|value| <= 1e9, in the contract). A value beyond the bound
 * is rejected alone. Values stored before the bound existed (up to 1.8e308) made the sums of
 * squares overflow in SQL, and counts, results, decision and the tactic scorecard answered
 * 500 for good: the aggregates count such a value at the bound, reads cannot overflow
 * whatever the aggregates hold, and migration 007 (or reaggregate) repairs stored data.
 */
const world = useWorld();
let admin: Record<string, string>;
beforeAll(async () => {
  admin = bearer(world.adminKey);
});

const metrics = [
  { key: 'purchase', type: 'binary', role: 'primary' },
  { key: 'revenue', type: 'revenue', event: 'purchase' },
  { key: 'capped', type: 'revenue', event: 'purchase', cap: 500 },
  { key: 'orders', type: 'count', event: 'purchase' },
  { key: 'aov', type: 'ratio', numerator: 'revenue', denominator: 'orders' },
  // Numerator and denominator on different streams: the cross sums are a join.
  { key: 'refunds', type: 'revenue', event: 'refund' },
  { key: 'refund-share', type: 'ratio', numerator: 'refunds', denominator: 'revenue' },
] as const;

/** A running experiment of its own tactic: 200 units per arm, 20 converters each with one purchase of 10 and one refund of -2. */
async function experiment() {
  const tactic = uniqueKey('t');
  const key = await runExperiment(world, { tactic, segments: [], metrics: metrics as never }, {
    plan: { control: { units: 200, converters: 20, value: 10 }, personalized: { units: 200, converters: 20, value: 10 } },
  });
  const units = (await world.rt.db.query<{ unit_id: string; variant: string }>(
    `SELECT x.unit_id, x.variant FROM exposures x JOIN experiments e ON e.id = x.experiment_id
      WHERE e.key = $1 AND EXISTS (SELECT 1 FROM events ev WHERE ev.unit_id = x.unit_id AND ev.kind = 'conversion') ORDER BY x.unit_id`,
    [key],
  )).rows;
  await send(world, units.map((u) => conversion(u.unit_id, 'refund', at(0), -2)));
  return { key, tactic, control: units.filter((u) => u.variant === 'control').map((u) => u.unit_id) };
}

/**
 * A conversion stored as the service stored it before values were bounded: the raw event,
 * and added as it was to the unit's aggregates (the contract now refuses such a value, so it
 * is written directly, as old data would be there).
 */
async function storedBeforeTheFix(key: string, unitId: string, event: string, value: number) {
  await world.rt.db.query(
    `INSERT INTO events (event_id, unit_id, kind, name, value, occurred_at) VALUES ($1, $2, 'conversion', $3, $4, now())`,
    [eid('old'), unitId, event, value],
  );
  await world.rt.db.query(
    `UPDATE unit_metrics u SET count = u.count + 1, sum = u.sum + $3
       FROM experiments e, experiment_streams m
      WHERE e.key = $1 AND u.experiment_id = e.id AND u.unit_id = $2 AND m.id = u.stream AND m.event = $4`,
    [key, unitId, value, event],
  );
}

async function everyReadAnswers(key: string, tactic: string) {
  const read = bearer(await world.key('read'));
  const body = (await world.api.get(`/v1/experiments/${key}/counts`).set(read).expect(200)).body;
  await world.api.get(`/v1/experiments/${key}/results`).set(read).expect(200);
  await world.api.get(`/v1/experiments/${key}/results`).set(read).set('Accept', 'text/csv').expect(200);
  await world.api.get(`/v1/experiments/${key}/decision`).set(read).expect(200);
  await world.api.get(`/v1/tactics/${tactic}`).set(read).expect(200);
  return body as Awaited<ReturnType<typeof counts>>['body'];
}

/** Equal up to the rounding of summing doubles in another order. */
const close = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-12 * Math.abs(expected));

const control = (body: Awaited<ReturnType<typeof counts>>['body']) => body.overall.find((v) => v.variant === 'control')!.metrics;

test('the bound in openapi.yaml is the one the aggregates apply', () => {
  const spec = YAML.parse(readFileSync(openApiPath, 'utf8'));
  const value = spec.components.schemas.ConversionEvent.properties.value;
  expect([value.minimum, value.maximum]).toEqual([-MAX_CONVERSION_VALUE, MAX_CONVERSION_VALUE]);
});

test('a value beyond ±1e9 is rejected alone, naming /value; the bound itself is accepted', async () => {
  const { key, control: units } = await experiment();
  const u = units[0];
  const batch = [
    conversion(u, 'purchase', at(0), 1e9),
    conversion(u, 'purchase', at(0), 1e9 + 1),
    conversion(u, 'purchase', at(0), -1e9),
    conversion(u, 'purchase', at(0), -1.35e154),
    conversion(u, 'purchase', at(0), 1e308),
    conversion(u, 'purchase', at(0), 42.5),
  ];
  const res = await send(world, batch);
  expect(res.status).toBe(200);
  expect(res.body.accepted).toBe(3);
  expect(res.body.rejected.map((r: { index: number; field: string }) => [r.index, r.field])).toEqual([
    [1, '/value'],
    [3, '/value'],
    [4, '/value'],
  ]);
  expect(res.body.rejected[0].reason).toMatch(/1000000000/);
  const c = control((await counts(world, key)).body);
  expect(c.revenue.sum).toBe(20 * 10 + 1e9 - 1e9 + 42.5);
});

test('two huge values for one unit in one batch: the batch answers 200, the two are rejected, the rest is stored', async () => {
  const { key, control: units } = await experiment();
  const before = control((await counts(world, key)).body).orders.count;
  const res = await send(world, [
    conversion(units[0], 'purchase', at(0), 1e308),
    conversion(units[1], 'purchase', at(0), 5),
    conversion(units[0], 'purchase', at(0), 1e308),
  ]);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ accepted: 1, duplicates: 0 });
  expect(res.body.rejected.map((r: { index: number; field: string }) => [r.index, r.field])).toEqual([
    [0, '/value'],
    [2, '/value'],
  ]);
  expect(control((await counts(world, key)).body).orders.count).toBe(before + 1);
});

describe('values stored before the bound', () => {
  test('counts, results, decision and the tactic scorecard answer whatever the aggregates hold', async () => {
    const { key, tactic, control: units } = await experiment();
    await storedBeforeTheFix(key, units[0], 'purchase', 1e200);
    await storedBeforeTheFix(key, units[1], 'purchase', -1.5e154);
    await storedBeforeTheFix(key, units[2], 'refund', 1.7e308);
    const c = control(await everyReadAnswers(key, tactic));
    for (const m of Object.values(c)) for (const n of Object.values(m)) expect(Number.isFinite(n)).toBe(true);
  });

  test('migration 007 recomputes the aggregates with each stored value clamped at the bound; the raw events stay as recorded', async () => {
    const { key, tactic, control: units } = await experiment();
    const base = control((await counts(world, key)).body);
    await storedBeforeTheFix(key, units[0], 'purchase', 1e200);
    await storedBeforeTheFix(key, units[1], 'purchase', -1.5e154);
    await storedBeforeTheFix(key, units[2], 'purchase', 1e10);
    await storedBeforeTheFix(key, units[3], 'refund', 1.7e308);

    // The database as the service left it before 007, upgraded by the next start.
    await world.rt.db.query('DELETE FROM schema_migrations WHERE version = 7');
    expect((await migrate(world.rt.db)).applied).toEqual([expect.stringMatching(/^007_/)]);

    const c = control(await everyReadAnswers(key, tactic));
    expect(c.revenue.sum).toBe(base.revenue.sum + 1e9 - 1e9 + 1e9);
    expect(c.orders.count).toBe(base.orders.count + 3);
    // Each unit had a purchase of 10: 10 + 1e9 capped at 500, 10 - 1e9, 10 + 1e9 capped at 500.
    expect(c.capped.sum).toBe(base.capped.sum - 3 * 10 + 500 + (10 - 1e9) + 500);
    expect(c.refunds.sum).toBe(base.refunds.sum + 1e9);
    close(c.revenue.sumSquares, base.revenue.sumSquares - 3 * 100 + (10 + 1e9) ** 2 + (10 - 1e9) ** 2 + (10 + 1e9) ** 2);
    const raw = await world.rt.db.query<{ value: number }>(`SELECT value FROM events WHERE unit_id = $1 AND value > 1e9`, [units[0]]);
    expect(raw.rows).toEqual([{ value: 1e200 }]);
  });

  test('reaggregate repairs them the same way', async () => {
    const { key, tactic, control: units } = await experiment();
    const base = control((await counts(world, key)).body);
    await storedBeforeTheFix(key, units[0], 'purchase', 1e200);
    await storedBeforeTheFix(key, units[1], 'purchase', -1e300);
    await world.api.post(`/v1/experiments/${key}/reaggregate`).set(admin).expect(200);
    const c = control(await everyReadAnswers(key, tactic));
    expect(c.revenue.sum).toBe(base.revenue.sum + 1e9 - 1e9);
    close(c.revenue.sumSquares, base.revenue.sumSquares - 2 * 100 + (10 + 1e9) ** 2 + (10 - 1e9) ** 2);
  });
});

test('values within the bound but far apart in size (1e-308 or 1e-160 against 1e9): every read answers; what overflows is null with a reason', async () => {
  const tactic = uniqueKey('t');
  const read = bearer(await world.key('read'));
  for (const tiny of [1e-308, 1e-160]) {
    const key = await runExperiment(
      world,
      {
        tactic,
        segments: [],
        metrics: [
          { key: 'revenue', type: 'revenue', event: 'purchase', role: 'primary' },
          { key: 'orders', type: 'count', event: 'purchase' },
          { key: 'per-dollar', type: 'ratio', numerator: 'orders', denominator: 'revenue' },
        ],
      },
      { days: 10, plan: { control: { units: 200, converters: 100, value: tiny }, personalized: { units: 200, converters: 100, value: (i) => 1e9 - i } } },
    );
    const results = (await world.api.get(`/v1/experiments/${key}/results`).set(read).expect(200)).body;
    await world.api.get(`/v1/experiments/${key}/decision`).set(read).expect(200);
    for (const m of results.metrics) {
      for (const v of m.overall.variants) if (v.value === null || v.se === null) expect(v).toHaveProperty('reason');
      for (const c of m.overall.comparisons) {
        if (c.pValue === null || c.absolute.ci === null) expect(typeof c.reason).toBe('string');
        if (c.relative.estimate === null || c.relative.ci === null) expect(typeof c.relative.reason).toBe('string');
      }
    }
  }
  await world.api.get(`/v1/tactics/${tactic}`).set(read).expect(200);
});
