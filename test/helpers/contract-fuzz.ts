import fc from 'fast-check';
import { contract } from '../../src/contract';

/**
 * Requests generated from openapi.yaml and then spoiled, for the contract fuzz
 * (test/http/fuzz.property.test.ts). Every operation of the spec is a starting point: its
 * path parameters, query parameters and body are drawn from their schemas (so many requests
 * get past validation and reach the handlers), then mutated: wrong types, missing and extra
 * fields, huge strings and numbers, deep nesting, hostile text (path traversal, SQL, U+0000,
 * lone surrogates) in every string field, invalid UTF-8 bytes, broken JSON, wrong content
 * types and encodings, another method, hostile path segments and query strings.
 */
export interface FuzzRequest {
  method: string;
  /** The request target as sent: path (percent-encoded) and query. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** What was done to it, to read a failure. */
  story: string[];
}

type Schema = Record<string, any>;

/** Text meant to break something: traversal, SQL, control characters, unstorable text, odd Unicode. */
export const NASTY: string[] = [
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  "'; DROP TABLE experiments; --",
  "' OR '1'='1",
  '1; SELECT pg_sleep(10)',
  "$$; DELETE FROM events; $$",
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\u202eevil',
  '\ufeff',
  '😀'.repeat(20),
  '<script>alert(1)</script>',
  '{{7*7}}${7*7}',
  '__proto__',
  'constructor',
  ' ',
  '',
  '\r\nX-Injected: 1',
  'null',
  'NaN',
  '-0',
  '1e400',
];

const HUGE_NUMBERS = ['1e400', '-1e400', '1e308', '-1.7976931348623157e308', '9007199254740993', '-0', '5e-324', '123456789012345678901234567890'];

/** Stands for a raw JSON number a double cannot hold, written into the text as is. */
const rawNumber = (literal: string) => `@@raw:${literal}@@`;
/** Stands for `levels` nested arrays or objects, written into the text as is (no recursion on this side). */
const rawDeep = (levels: number, asArray: boolean) => `@@deep:${levels}:${asArray ? 'a' : 'o'}@@`;
const deepText = (levels: number, asArray: boolean) => (asArray ? '['.repeat(levels) + '1' + ']'.repeat(levels) : '{"a":'.repeat(levels) + '1' + '}'.repeat(levels));
const toJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/"@@raw:([^@]+)@@"/g, '$1')
    .replace(/"@@deep:(\d+):([ao])@@"/g, (_m, n: string, kind: string) => deepText(Number(n), kind === 'a'));

function resolve(schema: Schema): Schema {
  let s = schema;
  while (s && s.$ref) s = s.$ref.split('/').slice(1).reduce((o: any, k: string) => o[k], contract().document);
  return s;
}

/** A value that (mostly) satisfies the schema; cross-field rules are left to chance. */
export function valueOf(schemaIn: Schema, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(schemaIn);
  if (!schema || depth > 6) return fc.constant(null);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.allOf) {
    return fc.tuple(...schema.allOf.map((s: Schema) => valueOf(s, depth + 1))).map((parts) => Object.assign({}, ...parts.filter((p) => p && typeof p === 'object')));
  }
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives) return fc.oneof(...alternatives.map((s: Schema) => valueOf(s, depth + 1)));
  const types: string[] = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : schema.properties ? ['object'] : ['string'];
  return fc.oneof(...types.map((t) => ofType(t, schema, depth)));
}

function ofType(type: string, schema: Schema, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer': {
      const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -1000);
      return fc.integer({ min: Math.ceil(min), max: Math.floor(schema.maximum ?? Math.max(min + 1000, 1000)) });
    }
    case 'number': {
      const min = schema.minimum ?? schema.exclusiveMinimum ?? -1000;
      const max = schema.maximum ?? schema.exclusiveMaximum ?? Math.max(min + 1000, 1000);
      return fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).filter((x) => x !== schema.exclusiveMinimum && x !== schema.exclusiveMaximum);
    }
    case 'string': {
      if (schema.format === 'date-time') return fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length <= (schema.maxLength ?? 200));
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 24, 24) });
    }
    case 'array':
      return fc.array(valueOf(schema.items ?? {}, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 4, 4)) });
    case 'object': {
      const props: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, s] of Object.entries<Schema>(schema.properties ?? {})) props[name] = valueOf(s, depth + 1);
      const known = fc.record(props, { requiredKeys: (schema.required ?? []).filter((r: string) => r in props) });
      const extra = schema.additionalProperties && typeof schema.additionalProperties === 'object' ? schema.additionalProperties : null;
      if (!extra) return known;
      const key = schema.propertyNames?.pattern ? fc.stringMatching(new RegExp(schema.propertyNames.pattern)).filter((k) => k.length <= 64) : fc.string({ minLength: 1, maxLength: 12 });
      return fc.tuple(known, fc.dictionary(key, valueOf(extra, depth + 1), { maxKeys: 3 })).map(([a, b]) => ({ ...b, ...a }));
    }
    default:
      return fc.constant(null);
  }
}

/** Every node of a JSON value, with a setter: where mutations land. */
function nodes(root: { v: unknown }): { get: () => unknown; set: (x: unknown) => void; remove?: () => void; isString: boolean }[] {
  const out: ReturnType<typeof nodes> = [];
  const visit = (get: () => unknown, set: (x: unknown) => void, remove?: () => void) => {
    const v = get();
    out.push({ get, set, remove, isString: typeof v === 'string' });
    if (Array.isArray(v)) v.forEach((_, i) => visit(() => v[i], (x) => (v[i] = x), () => v.splice(i, 1)));
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) visit(() => o[k], (x) => (o[k] = x), () => delete o[k]);
    }
  };
  visit(() => root.v, (x) => (root.v = x));
  return out;
}

const WRONG_TYPES: unknown[] = [0, -1, 1.5, true, false, null, '', 'text', [], [1, 'a'], {}, { a: 1 }];

type Mutation = (root: { v: unknown }, pick: (n: number) => number, story: string[]) => void;

const MUTATIONS: Mutation[] = [
  (root, pick, story) => {
    const all = nodes(root);
    const n = all[pick(all.length)];
    const w = WRONG_TYPES[pick(WRONG_TYPES.length)];
    n.set(structuredClone(w));
    story.push(`wrong type ${JSON.stringify(w)}`);
  },
  (root, pick, story) => {
    const all = nodes(root).filter((n) => n.remove);
    if (!all.length) return;
    all[pick(all.length)].remove!();
    story.push('field removed');
  },
  (root, pick, story) => {
    const objects = nodes(root).filter((n) => n.get() && typeof n.get() === 'object' && !Array.isArray(n.get()));
    if (!objects.length) return;
    const name = ['extra', '__proto__', 'constructor', 'prototype', '', 'x'.repeat(300), '\u0000', '$where'][pick(8)];
    (objects[pick(objects.length)].get() as Record<string, unknown>)[name] = { polluted: true };
    story.push(`extra field ${JSON.stringify(name)}`);
  },
  (root, pick, story) => {
    const all = nodes(root);
    const size = [1_000, 70_000, 300_000][pick(3)];
    all[pick(all.length)].set('A'.repeat(size));
    story.push(`huge string ${size}`);
  },
  (root, pick, story) => {
    const all = nodes(root);
    const literal = HUGE_NUMBERS[pick(HUGE_NUMBERS.length)];
    all[pick(all.length)].set(rawNumber(literal));
    story.push(`huge number ${literal}`);
  },
  (root, pick, story) => {
    const all = nodes(root);
    const levels = [65, 500, 20_000][pick(3)];
    all[pick(all.length)].set(rawDeep(levels, pick(2) === 0));
    story.push(`nested ${levels} deep`);
  },
  (root, pick, story) => {
    const text = NASTY[pick(NASTY.length)];
    for (const n of nodes(root)) if (n.isString) n.set(text);
    story.push(`every string ${JSON.stringify(text)}`);
  },
];

/** A JSON body's text, maybe broken on the way. */
function brokenJson(text: string, pick: (n: number) => number, story: string[]): Buffer {
  const breaks: [string, (t: string) => Buffer][] = [
    ['truncated', (t) => Buffer.from(t.slice(0, pick(Math.max(1, t.length))))],
    ['trailing comma', (t) => Buffer.from(t.replace(/}$/, ',}'))],
    ['single quotes', (t) => Buffer.from(t.replace(/"/g, "'"))],
    ['NaN', () => Buffer.from('{"value": NaN}')],
    ['BOM', (t) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(t)])],
    ['two documents', (t) => Buffer.from(t + t)],
    ['not an object', () => Buffer.from(['null', '"text"', '[]', '1', 'true', '[[[]]]'][pick(6)])],
    ['empty', () => Buffer.alloc(0)],
    ['invalid UTF-8 in a string', (t) => invalidUtf8(t, pick)],
    ['invalid UTF-8 in a string', (t) => invalidUtf8(t, pick)],
    ['comment', (t) => Buffer.from('/* c */' + t)],
  ];
  const [name, apply] = breaks[pick(breaks.length)];
  story.push(`broken JSON: ${name}`);
  return apply(text);
}

const BAD_UTF8 = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xf4, 0x90, 0x80, 0x80]];

function invalidUtf8(text: string, pick: (n: number) => number): Buffer {
  const at = text.indexOf('"', pick(Math.max(1, text.length)));
  const i = at < 0 ? text.indexOf('"') : at;
  const bytes = Buffer.from(BAD_UTF8[pick(BAD_UTF8.length)]);
  if (i < 0) return Buffer.concat([Buffer.from('{"a":"'), bytes, Buffer.from('"}')]);
  return Buffer.concat([Buffer.from(text.slice(0, i + 1)), bytes, Buffer.from(text.slice(i + 1))]);
}

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json; charset=utf-32',
  'application/json; charset="utf-8"',
  'application/vnd.api+json',
  'application/xml',
  ';;;',
  'application/json, text/plain',
  '',
];
const ENCODINGS = ['gzip', 'deflate', 'br', 'compress', 'x-unknown', 'identity', 'gzip, gzip'];
const ACCEPTS = ['text/csv', '*/*', 'application/xml', 'text/html', 'application/json;q=0', '???', 'text/csv;q=1, application/json;q=0.1'];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];

/** A path segment: a value of the pool (real resources), one drawn from the schema, or a hostile one. */
const HOSTILE_SEGMENTS = ['..', '.', '%2e%2e', '..%2f..%2f', '%2F', '%00', '%zz', '%', '%c0%af', '%ed%a0%80', '%ff', 'a'.repeat(5000), '%E2%80%AE', '%27%20OR%201%3D1', 'swagger-ui.css', '..%5c'];

export interface FuzzContext {
  /** Real values for path parameters (experiments, units, tactics, key ids the world holds). */
  pool: Record<string, string[]>;
  /** Authorization header values to draw from; the first is used most. */
  credentials: string[];
}

const encodeSegment = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    // Lone surrogates: percent-encode their (invalid) WTF-8 bytes.
    return Buffer.from(s.replace(/[\ud800-\udfff]/g, '\u{fffd}')).toString('hex').replace(/../g, '%$&').replace(/%ef%bf%bd/g, '%ed%a0%80');
  }
};

/** One request, from a draw of fast-check's random numbers (deterministic under a seed). */
export function fuzzRequests(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const ops = contract().operations;
  const doc = contract().document;
  const perOp = ops.map((op) => {
    const item = doc.paths[op.path];
    const spec = item[op.method.toLowerCase()];
    const params: Schema[] = [...(item.parameters ?? []), ...(spec.parameters ?? [])].map(resolve);
    const bodySchema = spec.requestBody?.content?.['application/json']?.schema;
    return fc.record({
      seedInts: fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
      pathValues: fc.tuple(...params.filter((p) => p.in === 'path').map((p) => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...(ctx.pool[p.name] ?? ['x'])) }, { weight: 2, arbitrary: valueOf(p.schema).map(String) }, { weight: 2, arbitrary: fc.constantFrom(...NASTY) }))),
      queryValues: fc.tuple(...params.filter((p) => p.in === 'query').map((p) => fc.option(fc.oneof(valueOf(p.schema).map(String), fc.constantFrom(...NASTY)), { nil: undefined }))),
      body: bodySchema ? valueOf(bodySchema) : fc.constant(undefined),
    }).map(({ seedInts, pathValues, queryValues, body }) => {
      let cursor = 0;
      const pick = (n: number) => (n <= 1 ? 0 : seedInts[cursor++ % seedInts.length] % n);
      const chance = (percent: number) => pick(100) < percent;
      const story: string[] = [op.operationId];

      // The path: each parameter encoded, sometimes a hostile segment as written.
      const pathParams = params.filter((p) => p.in === 'path');
      let path = op.path;
      pathParams.forEach((p, i) => {
        let segment = encodeSegment(pathValues[i]);
        if (chance(10)) {
          segment = HOSTILE_SEGMENTS[pick(HOSTILE_SEGMENTS.length)];
          story.push(`path ${p.name}=${segment.slice(0, 40)}`);
        }
        path = path.replace(`{${p.name}}`, segment);
      });
      if (chance(3)) {
        path = [path + '/', path + '/..', path + '//', path.replace(/^\/v1/, '/v1/../v1'), path + '/%2e%2e/keys', path.toUpperCase()][pick(6)];
        story.push(`path ${path.slice(0, 60)}`);
      }

      // The query: the documented parameters, maybe hostile, maybe repeated, maybe unknown ones.
      const query: string[] = [];
      params.filter((p) => p.in === 'query').forEach((p, i) => {
        if (queryValues[i] !== undefined) query.push(`${p.name}=${encodeSegment(queryValues[i]!)}`);
        if (chance(5)) query.push(`${p.name}=${encodeSegment(NASTY[pick(NASTY.length)])}`);
      });
      if (chance(5)) query.push(['unknown=1', 'a[b]=c', '__proto__[x]=1', '=', '&&&', 'limit=%zz', 'x=' + 'y'.repeat(3000)][pick(7)]);
      const target = path + (query.length ? '?' + query.join('&') : '');

      let method = op.method;
      if (chance(5)) {
        method = METHODS[pick(METHODS.length)];
        story.push(`method ${method}`);
      }

      const headers: Record<string, string> = {};
      const credential = chance(85) ? ctx.credentials[0] : ctx.credentials[pick(ctx.credentials.length)];
      if (credential) headers.Authorization = credential;
      if (chance(5)) headers.Accept = ACCEPTS[pick(ACCEPTS.length)];
      if (params.some((p) => p.in === 'header' && p.name === 'If-Match') && chance(30)) headers['If-Match'] = ['"1"', '"2"', '*', 'W/"1"', '"x"', '', '"' + '9'.repeat(60) + '"'][pick(7)];
      if (chance(3)) headers['X-Request-Id'] = ['../../x', "'; DROP", 'a'.repeat(200), 'ok-id'][pick(4)];

      // The body: the drawn value, mutated, then maybe broken as text.
      let payload = body;
      const wantsBody = bodySchema !== undefined ? !chance(3) : chance(5);
      if (wantsBody) {
        const root = { v: structuredClone(payload ?? {}) };
        const count = chance(30) ? 0 : 1 + pick(3);
        for (let i = 0; i < count; i++) MUTATIONS[pick(MUTATIONS.length)](root, pick, story);
        payload = root.v;
        let bytes: Buffer = Buffer.from(toJson(payload));
        if (chance(12)) bytes = brokenJson(bytes.toString('utf8'), pick, story);
        headers['Content-Type'] = 'application/json';
        if (chance(8)) {
          const type = CONTENT_TYPES[pick(CONTENT_TYPES.length)];
          if (type) headers['Content-Type'] = type;
          else delete headers['Content-Type'];
          story.push(`content type ${JSON.stringify(type)}`);
        }
        if (chance(3)) {
          headers['Content-Encoding'] = ENCODINGS[pick(ENCODINGS.length)];
          story.push(`content encoding ${headers['Content-Encoding']}`);
        }
        return { method, path: target, headers, body: bytes, story };
      }
      return { method, path: target, headers, story };
    });
  });
  return fc.oneof(...perOp);
}
