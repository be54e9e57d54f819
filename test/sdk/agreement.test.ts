import { isDeepStrictEqual } from 'node:util';
import vectors from '../vectors/bucketing.json';
import { createClient, type ConfigSnapshot, type VerdictClient } from '../../src/sdk';
import { bearer, useWorld } from '../helpers/world';
import { experimentBody } from '../helpers/fixtures';
import { agreementExperiments, generatedUnits } from '../helpers/sdk-agreement';

/**
 * The SDK answers as POST /v1/assign does, field by field, for generated units against every
 * kind of experiment (plain, weighted, ramped, layered, holdout, multivariate, targeted,
 * forced, with payloads, paused, unknown): 10,000 units in every run (about 12 s, 32 requests
 * in flight); SDK_AGREEMENT_UNITS changes the count.
 */
const UNITS = Number(process.env.SDK_AGREEMENT_UNITS ?? 10_000);
const world = useWorld({ holdoutShare: 0.2 });
let client: VerdictClient;
let assignKey: string;
let keys: string[];

beforeAll(async () => {
  const admin = bearer(world.adminKey);
  assignKey = await world.key('assign');
  keys = [];
  for (const { body, start, pause } of agreementExperiments()) {
    await world.api.post('/v1/experiments').set(admin).send(body).expect(201);
    if (start) await world.api.post(`/v1/experiments/${body.key}/start`).set(admin).expect(200);
    if (pause) await world.api.post(`/v1/experiments/${body.key}/pause`).set(admin).expect(200);
    keys.push(body.key);
  }
  client = createClient({ url: world.url, key: assignKey, stream: false });
  await client.ready();
});
afterAll(() => client.close());

const byExperiment = <T extends { experiment: string }>(xs: T[]) => [...xs].sort((a, b) => (a.experiment < b.experiment ? -1 : 1));

test(`the SDK's answers equal /v1/assign's for ${UNITS} generated units and attribute sets`, async () => {
  const named = [...keys, 'no-such-experiment'];
  const mismatches: unknown[] = [];
  const reasons = new Set<string>();
  const units = [...generatedUnits(UNITS, 7)];
  // 32 requests in flight at a time, as a storefront's servers would send them.
  for (let start = 0; start < units.length; start += 32) {
    await Promise.all(
      units.slice(start, start + 32).map(async ({ unitId, attributes }) => {
        const all = await world.api.post('/v1/assign').set(bearer(assignKey)).send({ unitId, attributes, track: false }).expect(200);
        const sdkAll = client.assign(unitId, attributes, { track: false });
        const server = byExperiment(all.body.assignments as { experiment: string }[]);
        const sdk = byExperiment(sdkAll.assignments);
        server.forEach((a, i) => {
          if (!isDeepStrictEqual(a, JSON.parse(JSON.stringify(sdk[i])))) mismatches.push({ unitId, server: a, sdk: sdk[i] });
        });
        if (server.length !== sdk.length) mismatches.push({ unitId, count: [server.length, sdk.length] });
        all.body.assignments.forEach((a: { reason: string }) => reasons.add(a.reason));
      }),
    );
  }
  // Named experiments (paused, unknown) in the order asked, on a sample.
  for (const { unitId, attributes } of generatedUnits(40, 11)) {
    const res = await world.api.post('/v1/assign').set(bearer(assignKey)).send({ unitId, attributes, experiments: named, track: false }).expect(200);
    const sdk = client.assign(unitId, attributes, { experiments: named, track: false });
    const mine = JSON.parse(JSON.stringify(sdk)) as typeof res.body;
    res.body.assignments.forEach((a: unknown, i: number) => {
      if (!isDeepStrictEqual(a, mine.assignments[i])) mismatches.push({ unitId, server: a, sdk: mine.assignments[i] });
    });
    if (res.body.assignments.length !== mine.assignments.length) mismatches.push({ unitId, count: [res.body.assignments.length, mine.assignments.length] });
    res.body.assignments.forEach((a: { reason: string }) => reasons.add(a.reason));
  }
  expect(mismatches.slice(0, 3)).toEqual([]);
  // Every reason was exercised, so the comparison covered every rule.
  expect([...reasons].sort()).toEqual(['bucketed', 'coverage', 'forced', 'holdout', 'layer', 'not_running', 'not_targeted', 'unknown']);
});

test('with consent false both answer the control everywhere (opted_out)', async () => {
  const res = await world.api.post('/v1/assign').set(bearer(assignKey)).send({ unitId: 'opted', consent: false, track: false }).expect(200);
  const c = createClient({ url: world.url, key: assignKey, stream: false, consent: false });
  await c.ready();
  expect(byExperiment(c.assign('opted', undefined, { track: false }).assignments)).toEqual(byExperiment(res.body.assignments));
  await c.close();
});

interface Vector {
  salt: string;
  unitId: string;
  bucket: number;
}

test('the SDK reproduces test/vectors/bucketing.json (every vector whose salt an experiment or a layer can have)', async () => {
  // A one-variant experiment with coverage c takes exactly the units whose bucket is < c: with
  // c = bucket the unit is out, with c = bucket + 2^-33 (half a bucket step) it is in. Each
  // vector gets both experiments in one snapshot, served to a client through its fetch.
  const cases = (vectors as Vector[]).filter((v) => v.salt !== '');
  const experiment = (key: string, v: Vector, edge: number): ConfigSnapshot['experiments'][number] => {
    const layered = v.salt.startsWith('layer:');
    return {
      key,
      status: 'running',
      salt: layered ? 'vector' : v.salt,
      variants: [{ key: 'on', weight: 1 }, { key: 'off', weight: 0 }],
      control: 'off',
      coverage: layered ? 1 : edge,
      targeting: null,
      layer: layered ? { key: v.salt.slice('layer:'.length), start: 0, end: edge } : null,
      respectsHoldout: false,
    };
  };
  const snapshot: ConfigSnapshot = {
    version: 1,
    shape: 'server',
    holdout: null,
    experiments: cases.flatMap((v, i) => [experiment(`below-${i}`, v, v.bucket), experiment(`above-${i}`, v, v.bucket + 2 ** -33)]),
  };
  const served = createClient({ url: 'http://vectors.invalid', key: 'k', stream: false, fetch: async () => new Response(JSON.stringify(snapshot), { status: 200 }) });
  await served.ready();
  const wrong = cases.filter((v, i) => {
    const below = served.assignOne(`below-${i}`, v.unitId, undefined, { track: false });
    const above = served.assignOne(`above-${i}`, v.unitId, undefined, { track: false });
    return below.reason === 'bucketed' || above.reason !== 'bucketed' || above.variant !== 'on';
  });
  expect(cases.length).toBeGreaterThanOrEqual(450);
  expect(wrong).toEqual([]);
  await served.close();
});

test('stickiness: a unit exposed through the SDK keeps its variant after targeting narrows, as on the server', async () => {
  const admin = bearer(world.adminKey);
  const body = experimentBody({ respectsHoldout: false });
  await world.api.post('/v1/experiments').set(admin).send(body).expect(201);
  await world.api.post(`/v1/experiments/${body.key}/start`).set(admin).expect(200);
  const c = createClient({ url: world.url, key: assignKey, flushIntervalMs: 10 });
  await c.ready();
  const unitId = 'sticky-unit';
  const first = c.assign(unitId, { device: 'mobile' }, { experiments: [body.key] }).assignments[0];
  expect(first.reason).toBe('bucketed');
  await world.api.post('/v1/assign').set(bearer(assignKey)).send({ unitId, attributes: { device: 'mobile' }, experiments: [body.key] }).expect(200);
  const changed = new Promise<void>((resolve) => c.onChange(resolve));
  await world.api.patch(`/v1/experiments/${body.key}`).set(admin).send({ targeting: { attribute: 'device', op: 'eq', value: 'desktop' } }).expect(200);
  await changed;
  // The client that exposed it keeps its variant, as the server does.
  const server = await world.api.post('/v1/assign').set(bearer(assignKey)).send({ unitId, attributes: { device: 'mobile' }, experiments: [body.key], track: false }).expect(200);
  expect(server.body.assignments[0]).toEqual(first);
  expect(c.assign(unitId, { device: 'mobile' }, { experiments: [body.key], track: false }).assignments[0]).toEqual(first);
  // Another unit is judged by the new targeting, on both.
  expect(c.assign('never-seen', { device: 'mobile' }, { experiments: [body.key], track: false }).assignments[0].reason).toBe('not_targeted');
  await c.close();
});
