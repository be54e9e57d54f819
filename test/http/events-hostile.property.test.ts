import fc from 'fast-check';
import { runExperiment } from '../helpers/experiments';
import { bearer, useWorld } from '../helpers/world';

/**
 * "Valid events are stored, each invalid one is listed": a batch of valid events with one
 * hostile field anywhere (a leap second, dates out of range, huge numbers, U+0000, unpaired
 * surrogates, deep or oversized attributes, wrong types, ...) answers 200, lists that event
 * alone in `rejected` with its index and field, and stores every other event (sent again,
 * they are all duplicates). Before, a leap second passed the date-time check and made `Date`
 * throw, and the whole batch answered 500 on every retry.
 */
const world = useWorld();
let assignKey: Record<string, string>;
let experiment: string;
beforeAll(async () => {
  assignKey = bearer(await world.key('assign'));
  experiment = await runExperiment(world, { segments: ['device'] });
});

type Event = Record<string, unknown>;

/** Stands for a number JSON can write but a double cannot hold; replaced in the raw body. */
const RAW = (literal: string) => `@@raw:${literal}@@`;
const toJson = (body: unknown) => JSON.stringify(body).replace(/"@@raw:([^@]+)@@"/g, '$1');

interface Hostile {
  name: string;
  /** Which kind of event it spoils. */
  kind: 'conversion' | 'exposure';
  spoil(e: Event): unknown;
  field: string;
}

const set = (name: string, kind: Hostile['kind'], field: string, value: unknown): Hostile => ({ name, kind, field, spoil: (e) => ({ ...e, [field.slice(1)]: value }) });
const both = (name: string, field: string, value: unknown): Hostile[] => [set(name, 'conversion', field, value), set(name, 'exposure', field, value)];
const attributes = (name: string, value: unknown, field = '/attributes'): Hostile => ({ name, kind: 'exposure', field, spoil: (e) => ({ ...e, attributes: value }) });

const HOSTILE: Hostile[] = [
  ...both('a leap second this year', '/timestamp', '2026-12-31T23:59:60Z'),
  ...both('a leap second that happened', '/timestamp', '2016-12-31T23:59:60Z'),
  ...both('a leap second with an offset', '/timestamp', '2026-12-31T22:59:60-01:00'),
  ...both('month and day 00', '/timestamp', '0000-00-00T00:00:00Z'),
  ...both('beyond the last date a Date holds', '/timestamp', '+275760-09-13T00:00:00.001Z'),
  ...both('year 9999', '/timestamp', '9999-12-31T23:59:59Z'),
  ...both('year 0000', '/timestamp', '0000-01-01T00:00:00Z'),
  ...both('30 February', '/timestamp', '2026-02-30T00:00:00Z'),
  ...both('hour 24', '/timestamp', '2026-01-01T24:00:00Z'),
  ...both('no time zone', '/timestamp', '2026-01-01T00:00:00'),
  ...both('a timestamp as a number', '/timestamp', 1767225600000),
  ...both('an empty timestamp', '/timestamp', ''),
  set('a value beyond 1e9', 'conversion', '/value', 1e10),
  set('a value of -1e308', 'conversion', '/value', -1e308),
  set('a value a double cannot hold', 'conversion', '/value', RAW('1e400')),
  set('a value of minus that', 'conversion', '/value', RAW('-1e400')),
  set('a value as text', 'conversion', '/value', '12.5'),
  set('a value as a boolean', 'conversion', '/value', true),
  ...both('U+0000 in the unit id', '/unitId', 'u\u0000'),
  ...both('a lone high surrogate in the unit id', '/unitId', 'u\ud800'),
  ...both('a lone low surrogate in the unit id', '/unitId', '\udc00u'),
  ...both('an empty unit id', '/unitId', ''),
  ...both('a unit id of 257 characters', '/unitId', 'u'.repeat(257)),
  ...both('a unit id as a number', '/unitId', 42),
  ...both('a null unit id', '/unitId', null),
  ...both('U+0000 in the event id', '/eventId', 'e\u0000'),
  ...both('a lone surrogate in the event id', '/eventId', 'e\udbff'),
  ...both('an event id of 129 characters', '/eventId', 'e'.repeat(129)),
  ...both('an event id as an object', '/eventId', {}),
  set('U+0000 in the event name', 'conversion', '/event', 'pur\u0000chase'),
  set('a lone surrogate in the event name', 'conversion', '/event', 'purchase\ud800'),
  set('an event name with a space', 'conversion', '/event', 'pur chase'),
  set('an unknown experiment', 'exposure', '/experiment', 'no-such-experiment'),
  set('U+0000 in the experiment', 'exposure', '/experiment', 'exp\u0000'),
  set('a variant that disagrees', 'exposure', '/variant', 'no-such-variant'),
  set('U+0000 in the variant', 'exposure', '/variant', 'control\u0000'),
  attributes('a nested attribute', { device: { deep: { er: 1 } } }, '/attributes/device'),
  attributes('attributes as an array', ['mobile']),
  attributes('51 attributes', Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`a${i}`, i]))),
  attributes('U+0000 in an attribute value', { device: 'mob\u0000ile' }, '/attributes/device'),
  attributes('a lone surrogate in an attribute value', { channel: '\udfff' }, '/attributes/channel'),
  attributes('U+0000 in an attribute name', { 'dev\u0000ice': 'mobile' }, '/attributes/dev\u0000ice'),
  attributes('a lone surrogate in an attribute name', { '\ud83d': 'x' }, '/attributes/\ud83d'),
  attributes('an attribute a double cannot hold', { device: RAW('1e400') }, '/attributes/device'),
  attributes('an attribute of 257 characters', { device: 'm'.repeat(257) }, '/attributes/device'),
  ...both('an unknown type', '/type', 'purchase'),
  { name: 'no type', kind: 'conversion', field: '/type', spoil: ({ type: _, ...e }) => e },
  ...both('an unknown field', '/extra', 1),
  ...[null, 42, 'an event', []].map((value): Hostile => ({ name: `the event is ${JSON.stringify(value)}`, kind: 'conversion', field: '/', spoil: () => value })),
];

let seq = 0;
function validEvent(kind: 'conversion' | 'exposure', run: number, i: number): Event {
  const unitId = `hostile-${run}-${i}`;
  const eventId = `hostile-${process.pid}-${++seq}`;
  const timestamp = new Date().toISOString();
  return kind === 'conversion'
    ? { type: 'conversion', eventId, unitId, event: 'purchase', value: 10 + i, timestamp }
    : { type: 'exposure', eventId, unitId, experiment, attributes: { device: i % 2 ? 'mobile' : 'desktop' }, timestamp };
}

async function post(events: unknown[]) {
  return world.api.post('/v1/events').set(assignKey).set('Content-Type', 'application/json').send(toJson({ events }));
}

test('one hostile field anywhere in a batch: 200, that event alone rejected (index and field), every other event stored', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom('conversion' as const, 'exposure' as const), { minLength: 1, maxLength: 6 }),
      fc.nat(),
      fc.constantFrom(...HOSTILE),
      async (kinds, at, hostile) => {
        run++;
        const index = at % (kinds.length + 1);
        const events: unknown[] = kinds.map((kind, i) => validEvent(kind, run, i));
        events.splice(index, 0, hostile.spoil(validEvent(hostile.kind, run, kinds.length)));

        const res = await post(events);
        expect(res.status).toBe(200);
        expect({ hostile: hostile.name, rejected: res.body.rejected.map((r: { index: number; field: string }) => [r.index, r.field]) }).toEqual({ hostile: hostile.name, rejected: [[index, hostile.field]] });
        expect(res.body).toMatchObject({ accepted: kinds.length, duplicates: 0 });

        const again = await post(events);
        expect(again.body).toMatchObject({ accepted: 0, duplicates: kinds.length });
      },
    ),
    { numRuns: 30, seed: 20261231, examples: HOSTILE.map((h) => [['conversion', 'exposure'], 1, h]) },
  );
});
