import { createClient, exposureEventId, parseEvents } from '../../src/sdk';
import { bearer, useWorld } from '../helpers/world';
import { experimentBody } from '../helpers/fixtures';

/** The SDK client against the real server: exposures, consent, changes through the stream, outages. */
const world = useWorld();
let admin: Record<string, string>;
let assignKey: string;
let key: string;
beforeAll(async () => {
  admin = bearer(world.adminKey);
  assignKey = await world.key('assign');
  const body = experimentBody({ respectsHoldout: false });
  await world.api.post('/v1/experiments').set(admin).send(body).expect(201);
  await world.api.post(`/v1/experiments/${body.key}/start`).set(admin).expect(200);
  key = body.key;
});

async function exposures(experiment: string) {
  await world.rt.exposures.flush();
  const { rows } = await world.rt.db.query<{ unit_id: string; variant: string }>(
    'SELECT unit_id, variant FROM exposures x JOIN experiments e ON e.id = x.experiment_id WHERE e.key = $1 ORDER BY unit_id',
    [experiment],
  );
  return rows;
}

test('exposures are sent in batches once per unit and experiment, also from a second client (a reload), and never without consent', async () => {
  const sent: unknown[] = [];
  const recording: typeof fetch = async (input, init) => {
    if (String(input).endsWith('/v1/events')) sent.push(JSON.parse(String(init?.body)));
    return fetch(input, init);
  };
  const first = createClient({ url: world.url, key: assignKey, stream: false, fetch: recording, flushIntervalMs: 20 });
  await first.ready();
  const units = ['c-1', 'c-2', 'c-3'];
  const answers = units.map((u) => first.assign(u, { device: 'mobile' }, { experiments: [key] }).assignments[0]);
  first.assign('c-1', { device: 'mobile' }, { experiments: [key] }); // a repeat is not sent again
  await first.flush();
  await first.close();
  expect(sent).toHaveLength(1);
  const events = (sent[0] as { events: { eventId: string; unitId: string; variant: string }[] }).events;
  expect(events.map((e) => e.unitId)).toEqual(units);
  expect(events[0].eventId).toBe(exposureEventId(key, 'c-1'));

  // A reloaded page (a new client) sends the same exposures again: the server stores them once.
  const reloaded = createClient({ url: world.url, key: assignKey, stream: false, fetch: recording });
  await reloaded.ready();
  units.forEach((u) => reloaded.assign(u, { device: 'mobile' }, { experiments: [key] }));
  await reloaded.close();
  expect(sent).toHaveLength(2);
  const stored = await exposures(key);
  expect(stored.map((r) => [r.unit_id, r.variant])).toEqual(units.map((u, i) => [u, answers[i].variant]));

  const optedOut = createClient({ url: world.url, key: assignKey, stream: false, fetch: recording, consent: false });
  await optedOut.ready();
  expect(optedOut.assign('c-9', undefined, { experiments: [key] }).assignments[0].reason).toBe('opted_out');
  await optedOut.close();
  expect(sent).toHaveLength(2);
});

test('without a snapshot every experiment named answers not_ready; the client recovers when the service is back', async () => {
  let up = false;
  const flaky: typeof fetch = async (input, init) => {
    if (!up) throw new TypeError('fetch failed');
    return fetch(input, init);
  };
  const errors: unknown[] = [];
  const client = createClient({ url: world.url, key: assignKey, fetch: flaky, onError: (e) => errors.push(e) });
  await client.ready();
  expect(client.version).toBeUndefined();
  expect(client.assign('n-1', undefined, { experiments: [key] }).assignments).toEqual([{ experiment: key, variant: null, inExperiment: false, reason: 'not_ready' }]);
  expect(client.assign('n-1').assignments).toEqual([]);
  expect(errors.length).toBeGreaterThan(0);
  up = true;
  await new Promise<void>((resolve) => client.onChange(resolve)); // the stream reconnects with backoff
  expect(client.assign('n-1', undefined, { experiments: [key], track: false }).assignments[0].reason).toBe('bucketed');
  await client.close();
});

test('a change made through the API reaches a connected client through the stream; a stopped service leaves it serving its last snapshot', async () => {
  const body = experimentBody({ respectsHoldout: false });
  await world.api.post('/v1/experiments').set(admin).send(body).expect(201);
  await world.api.post(`/v1/experiments/${body.key}/start`).set(admin).expect(200);
  let down = false;
  const errors: unknown[] = [];
  const cut = new AbortController(); // "stops the service": open connections break, new ones fail
  const controllable: typeof fetch = async (input, init) => {
    if (down) throw new TypeError('fetch failed');
    return fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, cut.signal]) : cut.signal });
  };
  const client = createClient({ url: world.url, key: assignKey, fetch: controllable, onError: (e) => errors.push(e) });
  await client.ready();
  expect(client.assign('s-1', undefined, { experiments: [body.key], track: false }).assignments[0].reason).toBe('bucketed');
  // A newer version (the stream's first event may repeat the version already loaded).
  const before = client.version!;
  const changed = new Promise<void>((resolve) => client.onChange(() => client.version! > before && resolve()));
  await world.api.post(`/v1/experiments/${body.key}/pause`).set(admin).expect(200);
  await changed;
  expect(client.assign('s-1', undefined, { experiments: [body.key], track: false }).assignments[0].reason).toBe('not_running');
  const version = client.version;

  // The service goes away: the open stream breaks, reconnects fail, the snapshot keeps serving.
  down = true;
  cut.abort();
  await new Promise((r) => setTimeout(r, 300));
  expect(errors.length).toBeGreaterThan(0);
  expect(client.version).toBe(version);
  expect(client.assign('s-1', undefined, { experiments: [body.key], track: false }).assignments[0]).toMatchObject({ variant: 'control', reason: 'not_running' });
  await client.close();
});

test('the SSE parser joins data lines, keeps ids and leaves an incomplete event for the next chunk', () => {
  const { events, rest } = parseEvents(': keep-alive\n\nevent: config\nid: 7\ndata: {"a":\ndata: 1}\n\nevent: config\ndata: par');
  expect(events).toEqual([{ event: 'config', id: '7', data: '{"a":\n1}' }]);
  expect(rest).toBe('event: config\ndata: par');
});
