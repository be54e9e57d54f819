import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { pointerToken } from '../../src/errors';
import { openApiPath } from '../../src/paths';
import { uniqueKey } from '../helpers/fixtures';
import { bearer, useWorld } from '../helpers/world';

/**
 * U+0000 and unpaired UTF-16 surrogates have no place in PostgreSQL text (or jsonb). In any
 * text of an experiment or a key they once reached the database and answered 500. Every
 * write path now refuses them up front: 400, naming the field, nothing stored (no row of
 * experiments, keys or the audit log, and the updated experiment keeps its version).
 *
 * The fields are not listed by hand: every place a string can go in ExperimentCreate,
 * ExperimentUpdate and ApiKeyCreate (values, map keys, array items, oneOf branches) is read
 * from openapi.yaml, so a field added to the contract is tested without touching this file.
 * Each such place is filled into a valid base body; a place no base body can hold (a new
 * object or array) fails the test until a base body has it.
 */
const spec = YAML.parse(readFileSync(openApiPath, 'utf8'));

/** A path through a body: a property name, `*` (an array item), `{name}` (a key of a map) or `{}` (a value of a map). */
type Slot = string[];

function resolve(ref: string): unknown {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((node: Record<string, unknown>, token) => node[token.replace(/~1/g, '/').replace(/~0/g, '~')] as Record<string, unknown>, spec);
}

/** Every place a string can go under this schema; a $ref already on the path (recursion: Targeting) is not entered again. */
function stringSlots(schema: Record<string, any>, path: Slot = [], refs: string[] = []): Slot[] {
  if (schema.$ref) return refs.includes(schema.$ref) ? [] : stringSlots(resolve(schema.$ref) as Record<string, any>, path, [...refs, schema.$ref]);
  const out: Slot[] = [];
  for (const sub of [...(schema.allOf ?? []), ...(schema.oneOf ?? []), ...(schema.anyOf ?? [])]) out.push(...stringSlots(sub, path, refs));
  const types = [schema.type].flat();
  if (types.includes('string') || (schema.enum ?? []).some((v: unknown) => typeof v === 'string') || typeof schema.const === 'string') out.push(path);
  for (const [name, sub] of Object.entries(schema.properties ?? {})) out.push(...stringSlots(sub as Record<string, any>, [...path, name], refs));
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    out.push([...path, '{name}']);
    out.push(...stringSlots(schema.additionalProperties, [...path, '{}'], refs));
  }
  if (schema.items) out.push(...stringSlots(schema.items, [...path, '*'], refs));
  const seen = new Set<string>();
  return out.filter((s) => !seen.has(s.join('/')) && seen.add(s.join('/')));
}

type Json = Record<string, any>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The base body with `hostile` at the slot, and the JSON pointer naming that field; null when the base has no room for it. */
function fill(base: Json, slot: Slot, hostile: string): { body: Json; field: string } | null {
  const body = structuredClone(base);
  const tokens: string[] = [];
  let node: unknown = body;
  for (const [i, seg] of slot.entries()) {
    const last = i === slot.length - 1;
    if (seg === '*') {
      if (!Array.isArray(node) || node.length === 0) return null;
      tokens.push('0');
      if (last) node[0] = hostile;
      else node = node[0];
    } else if (seg === '{name}' || seg === '{}') {
      if (!isObject(node) || Object.keys(node).length === 0) return null;
      const first = Object.keys(node)[0];
      if (seg === '{name}') {
        tokens.push(hostile);
        node[hostile] = node[first];
      } else {
        tokens.push(first);
        if (last) node[first] = hostile;
        else node = node[first];
      }
    } else {
      if (!isObject(node)) return null;
      tokens.push(seg);
      if (last) node[seg] = hostile;
      else if (typeof node[seg] !== 'object' || node[seg] === null) return null;
      else node = node[seg];
    }
  }
  return { body, field: '/' + tokens.map(pointerToken).join('/') };
}

const HOSTILE: [string, string][] = [
  ['U+0000', 'qa\u0000x'],
  ['a lone high surrogate', 'qa\ud83d'],
  ['a lone low surrogate', '\ude00qa'],
];

const fields = {
  name: 'Hero banner',
  hypothesis: 'Returning visitors buy more.',
  tactic: 'personalized-recommendations',
  metrics: [
    { key: 'purchase', name: 'Purchase', type: 'binary', event: 'purchase', direction: 'increase', role: 'primary' },
    { key: 'revenue', name: 'Revenue', type: 'revenue', event: 'purchase' },
    { key: 'aov', name: 'Order value', type: 'ratio', numerator: 'revenue', denominator: 'purchase' },
  ],
  segments: ['device'],
  coverage: 1,
  targeting: { attribute: 'device', op: 'in', value: ['mobile', 'tablet'] },
  alpha: 0.05,
  respectsHoldout: true,
  analysis: 'sequential',
  plannedSampleSize: 1000,
  minDetectableEffect: 0.05,
};
const variants = [
  { key: 'control', name: 'Generic', weight: 1, control: true },
  { key: 'personalized', name: 'Recently viewed', weight: 1 },
];
const factors = [{ key: 'headline', name: 'Headline', levels: [{ key: 'generic', name: 'Generic', weight: 1 }, { key: 'personal', name: 'Personal' }] }];
const overrides = (variant: string) => ({ 'qa-anna': variant });
const layer = (key: string) => ({ key, start: 0, end: 0.5 });

/** Valid bodies that between them hold every container of the schema (variants and factors exclude each other). */
const bases = {
  create: () => [
    { ...fields, key: uniqueKey('u'), salt: uniqueKey('s'), variants, overrides: overrides('personalized'), layer: layer(uniqueKey('l')) },
    { ...fields, key: uniqueKey('u'), salt: uniqueKey('s'), factors, overrides: overrides('personal'), layer: layer(uniqueKey('l')) },
  ],
  update: () => [
    { ...fields, salt: uniqueKey('s'), variants, overrides: overrides('personalized'), layer: layer(uniqueKey('l')) },
    { ...fields, salt: uniqueKey('s'), factors, overrides: overrides('personal'), layer: layer(uniqueKey('l')) },
  ],
  key: () => [{ name: 'ci', scope: 'read' }],
};
const schemas = { create: 'ExperimentCreate', update: 'ExperimentUpdate', key: 'ApiKeyCreate' } as const;

function cases(op: keyof typeof bases) {
  const slots = stringSlots({ $ref: `#/components/schemas/${schemas[op]}` });
  return slots.flatMap((slot) => HOSTILE.map(([what, text]) => ({ op, slot: '/' + slot.join('/'), what, text, at: slot })));
}

const world = useWorld();
let admin: Record<string, string>;
let target: string;
beforeAll(async () => {
  admin = bearer(world.adminKey);
  target = uniqueKey('target');
  await world.api.post('/v1/experiments').set(admin).send({ ...bases.create()[0], key: target }).expect(201);
});

async function send(op: keyof typeof bases, body: Json) {
  if (op === 'create') return world.api.post('/v1/experiments').set(admin).send(body);
  if (op === 'update') return world.api.patch(`/v1/experiments/${target}`).set(admin).send(body);
  return world.api.post('/v1/keys').set(admin).send(body);
}

/** What a write would leave behind: rows of experiments, keys and the audit log, and the target's version. */
async function stored() {
  const { rows } = await world.rt.db.query(
    `SELECT (SELECT count(*)::int FROM experiments) AS experiments, (SELECT count(*)::int FROM api_keys) AS keys,
            (SELECT count(*)::int FROM audit_log) AS audit, (SELECT version FROM experiments WHERE key = $1) AS version`,
    [target],
  );
  return rows[0];
}

test.each(Object.keys(bases) as (keyof typeof bases)[])('%s: the base bodies are valid, and between them hold every string field of the schema', async (op) => {
  for (const body of bases[op]()) {
    const res = await send(op, body);
    expect({ status: res.status < 300 ? 'ok' : res.status, errors: res.body.errors }).toEqual({ status: 'ok', errors: undefined });
  }
  const slots = stringSlots({ $ref: `#/components/schemas/${schemas[op]}` });
  expect(slots.length).toBeGreaterThan(op === 'key' ? 1 : 20);
  const uncovered = slots.filter((slot) => bases[op]().every((base) => fill(base, slot, 'x') === null)).map((s) => '/' + s.join('/'));
  expect(uncovered).toEqual([]);
});

describe.each(['create', 'update', 'key'] as const)('%s', (op) => {
  let before: unknown;
  beforeAll(async () => {
    before = await stored();
  });

  test.each(cases(op))('$slot with $what: 400 naming the field', async ({ at, text }) => {
    const filled = bases[op]()
      .map((base) => fill(base, at, text))
      .find((f) => f !== null)!;
    const res = await send(op, filled.body);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(filled.field);
  });

  test('nothing of any of them was stored', async () => {
    expect(await stored()).toEqual(before);
  });
});

test('a unit id with U+0000 in the path of an erasure is refused the same way', async () => {
  const res = await world.api.delete('/v1/units/qa%00x').set(admin).expect(400);
  expect(res.body.errors).toEqual([{ field: 'path.unitId', message: 'must not contain U+0000 (NUL)' }]);
});
