import { OpenFeature } from '@openfeature/server-sdk';
import { createClient, VerdictProvider, type VerdictClient } from '../../src/sdk';
import { bearer, useWorld } from '../helpers/world';
import { experimentBody } from '../helpers/fixtures';

/** The OpenFeature provider through OpenFeature's own client API (@openfeature/server-sdk). */
const world = useWorld();
let key: string;
let client: VerdictClient;
const sent: { events: { unitId: string; experiment: string; variant: string }[] }[] = [];
beforeAll(async () => {
  const admin = bearer(world.adminKey);
  const body = experimentBody({
    respectsHoldout: false,
    variants: [
      { key: 'control', name: 'Generic', weight: 1, control: true, payload: { hero: 'generic' } },
      { key: 'personalized', name: 'Recent', weight: 1, payload: { hero: 'recent' } },
    ],
  });
  await world.api.post('/v1/experiments').set(admin).send(body).expect(201);
  await world.api.post(`/v1/experiments/${body.key}/start`).set(admin).expect(200);
  key = body.key;
  const recording: typeof fetch = async (input, init) => {
    if (String(input).endsWith('/v1/events')) sent.push(JSON.parse(String(init?.body)));
    return fetch(input, init);
  };
  client = createClient({ url: world.url, key: await world.key('assign'), stream: false, fetch: recording, flushIntervalMs: 10 });
  await OpenFeature.setProviderAndWait(new VerdictProvider(client));
});
afterAll(() => OpenFeature.close());

test('the variant is the string value, the payload the object value, as /v1/assign answers; the exposure is recorded once through the hook', async () => {
  const of = OpenFeature.getClient();
  for (const unitId of ['of-1', 'of-2', 'of-3', 'of-4']) {
    const server = await world.api.post('/v1/assign').set(bearer(await world.key('assign'))).send({ unitId, experiments: [key], track: false }).expect(200);
    const expected = server.body.assignments[0];
    const details = await of.getStringDetails(key, 'fallback', { targetingKey: unitId, device: 'mobile' });
    expect(details).toMatchObject({ value: expected.variant, variant: expected.variant, reason: 'SPLIT' });
    expect(await of.getObjectValue(key, {}, { targetingKey: unitId })).toEqual(expected.payload);
    expect(await of.getBooleanValue(key, false, { targetingKey: unitId })).toBe(true);
  }
  await client.flush();
  const exposures = sent.flatMap((b) => b.events);
  expect(exposures.map((e) => e.unitId)).toEqual(['of-1', 'of-2', 'of-3', 'of-4']);
});

test('an unknown flag or a missing targetingKey gives the default with an error code', async () => {
  const of = OpenFeature.getClient();
  expect(await of.getStringDetails('no-such-experiment', 'fallback', { targetingKey: 'u' })).toMatchObject({ value: 'fallback', errorCode: 'FLAG_NOT_FOUND' });
  expect(await of.getStringDetails(key, 'fallback', {})).toMatchObject({ value: 'fallback', errorCode: 'TARGETING_KEY_MISSING' });
});
