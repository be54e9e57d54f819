import { readFileSync } from 'node:fs';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { pointerToken, type FieldError } from '../errors';
import { openApiPath } from '../paths';

/**
 * openapi.yaml is the contract. This module reads it once and turns it into what the
 * server needs: route matching (404 / 405), the scope each operation requires, and
 * validators for path, query, header and body (and, for tests, for responses).
 */

export type Scope = 'assign' | 'read' | 'admin';

type Validator = (value: unknown) => FieldError[];

export interface Operation {
  operationId: string;
  method: string;
  /** The path as written in the spec, e.g. /v1/experiments/{key}. */
  path: string;
  /** Minimum scope (`admin` passes everywhere); null for public operations. */
  scope: Scope | null;
  /** What it does, in a user's words ("creating an experiment"), from x-action; for messages. */
  action: string;
  hasBody: boolean;
  bodyRequired: boolean;
  validateParams: (input: { path: Record<string, string>; query: Record<string, unknown>; headers: Record<string, unknown> }) => {
    errors: FieldError[];
    query: Record<string, unknown>;
  };
  validateBody: Validator;
}

export interface RouteMatch {
  operation: Operation;
  params: Record<string, string>;
}

export interface Contract {
  document: Record<string, unknown>;
  text: string;
  operations: Operation[];
  /** The operation for method + path; `allowed` lists the methods when only the path matched. */
  match(method: string, path: string): RouteMatch | { allowed: string[] } | null;
  /** A validator for one of components.schemas (e.g. each event of a batch, validated alone). */
  schema(name: string): (value: unknown) => FieldError[];
  /**
   * For tests: validate a response against the spec; returns what is wrong, [] when it conforms.
   * A 500 never conforms; undocumented errors conform only if generic (see GENERIC_*) and a
   * Problem whose status is the response's.
   */
  validateResponse(operation: Operation | null, status: number, contentType: string | undefined, body: unknown): string[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/**
 * For the response checker: errors an operation may answer without documenting them (an
 * unmatched route, content negotiation, the database away), those only operations with a
 * body may answer, and the only ones a path or method the spec does not describe may get.
 * 500 is in none of them: in a test it is always a failure.
 */
const GENERIC_ANY_OPERATION = [404, 405, 406, 503];
const GENERIC_WITH_BODY = [413, 415];
const GENERIC_ANY_PATH = [404, 405, 503];

interface SpecParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: unknown;
  $ref?: string;
}

function newAjv(coerce: boolean) {
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    strictTypes: false,
    strictRequired: false,
    coerceTypes: coerce ? 'array' : false,
    useDefaults: coerce,
  });
  addFormats(ajv);
  ajv.addKeyword('example');
  ajv.addKeyword('components');
  return ajv;
}

function pointer(path: string): string {
  return path === '' ? '/' : path;
}

/**
 * Ajv reports every branch of a oneOf; a person wants the deepest, most specific fault.
 * Keep an error only when no other error points deeper into the same value, and collapse
 * the branches of a oneOf that matched nothing into one line.
 */
export function toFieldErrors(errors: ErrorObject[] | null | undefined, prefix = ''): FieldError[] {
  if (!errors) return [];
  const located = errors.map((e) => {
    let path = e.instancePath;
    if (e.keyword === 'required') path += `/${(e.params as { missingProperty: string }).missingProperty}`;
    if (e.keyword === 'additionalProperties') path += `/${(e.params as { additionalProperty: string }).additionalProperty}`;
    if (e.keyword === 'unevaluatedProperties') path += `/${(e.params as { unevaluatedProperty: string }).unevaluatedProperty}`;
    return { e, path };
  });
  const paths = located.map((l) => l.path);
  const deepest = located.filter(({ path }) => !paths.some((other) => other.startsWith(path + '/')));
  const byPath = new Map<string, ErrorObject[]>();
  for (const { e, path } of deepest) byPath.set(path, [...(byPath.get(path) ?? []), e]);
  const out: FieldError[] = [];
  for (const [path, errs] of byPath) {
    const field = prefix ? `${prefix}${path.replace(/^\//, '').replace(/\//g, '.')}` : pointer(path);
    const oneOf = errs.find((e) => e.keyword === 'oneOf');
    if (oneOf) {
      out.push({ field, message: 'does not match any of the allowed forms' });
      continue;
    }
    const seen = new Set<string>();
    for (const e of errs) {
      const message = describe(e);
      if (!seen.has(message)) out.push({ field, message });
      seen.add(message);
    }
  }
  return out;
}

function describe(e: ErrorObject): string {
  switch (e.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
    case 'unevaluatedProperties':
      return 'is not a known field';
    case 'enum':
      return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'pattern':
      return `must match ${(e.params as { pattern: string }).pattern}`;
    default:
      return e.message ?? 'is invalid';
  }
}

/**
 * How deeply a request body may nest (objects and arrays; the body itself is level 1).
 * Nothing legitimate comes close (targeting rules stop at 8), and ajv validates recursive
 * schemas recursively: a small body nested a few thousand levels would overflow its stack.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * An object or array nested deeper than `max`, as a field error naming it; null when none
 * is. Iterative, so it cannot itself overflow the stack however deep the value goes.
 */
export function jsonDepthError(value: unknown, max = MAX_JSON_DEPTH): FieldError | null {
  interface Node {
    value: unknown;
    depth: number;
    parent: Node | null;
    key: string;
  }
  const stack: Node[] = [{ value, depth: 1, parent: null, key: '' }];
  while (stack.length) {
    const node = stack.pop()!;
    if (typeof node.value !== 'object' || node.value === null) continue;
    if (node.depth > max) {
      const segments: string[] = [];
      for (let n: Node | null = node; n && n.parent; n = n.parent) segments.push(pointerToken(n.key));
      return { field: pointer(segments.length ? '/' + segments.reverse().join('/') : ''), message: `nests deeper than ${max} levels` };
    }
    const push = (key: string, child: unknown) => {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: node.depth + 1, parent: node, key });
    };
    if (Array.isArray(node.value)) node.value.forEach((child, i) => push(String(i), child));
    else for (const [key, child] of Object.entries(node.value)) push(key, child);
  }
  return null;
}

/** A decimal number as JSON writes one: no `Infinity`, `NaN`, hex, binary or surrounding spaces. */
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

function isNumeric(schema: unknown, document: Record<string, any>): boolean {
  let s = schema as { type?: unknown; $ref?: string } | undefined;
  if (s?.$ref) s = document.components?.schemas?.[s.$ref.split('/').pop()!];
  return s?.type === 'number' || s?.type === 'integer';
}

/**
 * Parameters arrive as text, and ajv's coercion reads numbers as JavaScript does: "Infinity",
 * "1e400" (which overflows to Infinity), "0x10" and " 7 " all become numbers, and ajv then
 * skips `minimum` and `maximum` for a value that is not finite. So a numeric parameter must
 * be written as a decimal number, and a finite one; its bounds are then checked as the spec
 * says.
 */
function numericErrors(values: Record<string, unknown>, names: string[], prefix: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const name of names) {
    const raw = values[name];
    if (raw === undefined) continue;
    for (const text of Array.isArray(raw) ? raw : [raw]) {
      if (typeof text !== 'string') continue;
      if (!DECIMAL.test(text)) errors.push({ field: prefix + name, message: 'must be a decimal number' });
      else if (!Number.isFinite(Number(text))) errors.push({ field: prefix + name, message: 'is not a finite number' });
      else continue;
      break;
    }
  }
  return errors;
}

export function loadContract(path = openApiPath): Contract {
  const text = readFileSync(path, 'utf8');
  const document = YAML.parse(text) as Record<string, any>;
  const strictAjv = newAjv(false);
  const coercingAjv = newAjv(true);
  for (const ajv of [strictAjv, coercingAjv]) ajv.addSchema({ components: document.components }, 'spec');

  const rebase = (schema: unknown): unknown => JSON.parse(JSON.stringify(schema ?? {}).replace(/"\$ref":"#\//g, '"$ref":"spec#/'));
  const resolveParam = (p: SpecParameter): SpecParameter =>
    p.$ref ? (document.components.parameters[p.$ref.split('/').pop()!] as SpecParameter) : p;

  const operations: Operation[] = [];
  const routes: { regex: RegExp; names: string[]; byMethod: Map<string, Operation> }[] = [];

  for (const [path, item] of Object.entries<any>(document.paths ?? {})) {
    const names: string[] = [];
    const regex = new RegExp(
      '^' + path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, name: string) => (names.push(name), '([^/]+)')) + '/?$',
    );
    const byMethod = new Map<string, Operation>();
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map(resolveParam);
      const section = (where: 'path' | 'query' | 'header') => {
        const ps = params.filter((p) => p.in === where);
        const name = (p: SpecParameter) => (where === 'header' ? p.name.toLowerCase() : p.name);
        const schema = {
          type: 'object',
          properties: Object.fromEntries(ps.map((p) => [name(p), rebase(p.schema)])),
          required: ps.filter((p) => p.required).map(name),
        };
        const validate = coercingAjv.compile(schema);
        const numeric = ps.filter((p) => isNumeric(p.schema, document)).map(name);
        const prefix = `${where}.`;
        // Validates (and coerces, in place) one section's values; field errors named `<where>.<name>`.
        return (values: Record<string, unknown>): FieldError[] => {
          const strict = numericErrors(values, numeric, prefix);
          const errors = validate(values) ? [] : toFieldErrors(validate.errors, prefix);
          return [...strict, ...errors.filter((e) => !strict.some((s) => e.field === s.field || e.field.startsWith(s.field + '.')))];
        };
      };
      const pathV = section('path');
      const queryV = section('query');
      const headerV = section('header');
      const body = op.requestBody?.content?.['application/json'];
      const bodyV: ValidateFunction | null = body ? strictAjv.compile(rebase(body.schema) as object) : null;
      const security = op.security ?? document.security;
      const operation: Operation = {
        operationId: op.operationId,
        method: method.toUpperCase(),
        path,
        scope: security && security.length > 0 ? ((op['x-scope'] as Scope) ?? 'admin') : null,
        action: (op['x-action'] as string | undefined) ?? `${method.toUpperCase()} ${path}`,
        hasBody: Boolean(body),
        bodyRequired: Boolean(op.requestBody?.required),
        validateParams: ({ path: pathParams, query, headers }) => {
          const q = { ...query };
          const errors = [...pathV({ ...pathParams }), ...queryV(q), ...headerV({ ...headers })];
          return { errors, query: q };
        },
        validateBody: (value) => {
          if (bodyV === null) return [];
          const tooDeep = jsonDepthError(value);
          if (tooDeep) return [tooDeep];
          return bodyV(value) ? [] : toFieldErrors(bodyV.errors);
        },
      };
      operations.push(operation);
      byMethod.set(operation.method, operation);
    }
    routes.push({ regex, names, byMethod });
  }

  const responseValidators = new Map<string, ValidateFunction>();
  const responseSchema = (operation: Operation | null, status: number, mediaType: string): ValidateFunction | string => {
    const cacheKey = `${operation?.operationId}:${status}:${mediaType}`;
    const cached = responseValidators.get(cacheKey);
    if (cached) return cached;
    let schema: unknown;
    // A 500 is a bug, whatever the spec says: no test may pass with one.
    if (status === 500) return `a 500 is a bug in the service, never an acceptable answer`;
    if (!operation) {
      // A path the spec does not describe (or a method it does not allow there).
      if (!GENERIC_ANY_PATH.includes(status)) return `a ${status} answer to a path or method the spec does not describe (only ${GENERIC_ANY_PATH.join(', ')})`;
      schema = { $ref: 'spec#/components/schemas/Problem' };
      if (mediaType !== 'application/problem+json') return `an error must be application/problem+json, got ${mediaType}`;
    } else {
      const responses = document.paths[operation.path][operation.method.toLowerCase()].responses;
      let response = responses[String(status)] ?? responses.default;
      const generic = [...GENERIC_ANY_OPERATION, ...(operation.hasBody ? GENERIC_WITH_BODY : [])];
      if (!response && generic.includes(status)) {
        // Generic errors any such operation may answer; they must still be Problem documents.
        response = { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
      }
      if (!response) return `status ${status} is not documented for ${operation.operationId}`;
      if (response.$ref) response = document.components.responses[response.$ref.split('/').pop()];
      if (!response.content) return mediaType ? `${operation.operationId} ${status} documents no body, got ${mediaType}` : (() => true) as unknown as ValidateFunction;
      const media = response.content[mediaType];
      if (!media) return `${operation.operationId} ${status}: content type ${mediaType} is not documented (${Object.keys(response.content).join(', ')})`;
      schema = rebase(media.schema);
    }
    const v = strictAjv.compile(schema as object);
    responseValidators.set(cacheKey, v);
    return v;
  };

  const schemaValidators = new Map<string, ValidateFunction>();
  return {
    document,
    text,
    operations,
    schema(name) {
      let v = schemaValidators.get(name);
      if (!v) {
        if (!document.components?.schemas?.[name]) throw new Error(`openapi.yaml has no schema ${name}`);
        v = strictAjv.compile({ $ref: `spec#/components/schemas/${name}` });
        schemaValidators.set(name, v);
      }
      const validate = v;
      return (value) => {
        const tooDeep = jsonDepthError(value);
        if (tooDeep) return [tooDeep];
        return validate(value) ? [] : toFieldErrors(validate.errors);
      };
    },
    match(method, path) {
      for (const route of routes) {
        const m = route.regex.exec(path);
        if (!m) continue;
        const op = route.byMethod.get(method === 'HEAD' && !route.byMethod.has('HEAD') ? 'GET' : method);
        if (!op) return { allowed: [...route.byMethod.keys()] };
        const params: Record<string, string> = {};
        route.names.forEach((name, i) => {
          try {
            params[name] = decodeURIComponent(m[i + 1]);
          } catch {
            params[name] = m[i + 1];
          }
        });
        return { operation: op, params };
      }
      return null;
    },
    validateResponse(operation, status, contentType, body) {
      const mediaType = (contentType ?? '').split(';')[0].trim();
      const v = responseSchema(operation, status, mediaType);
      if (typeof v === 'string') return [v];
      if (mediaType === 'application/json' || mediaType === 'application/problem+json') {
        if (!v(body)) return toFieldErrors(v.errors).map((e) => `${e.field} ${e.message}`);
        const problemStatus = (body as { status?: unknown } | null)?.status;
        if (mediaType === 'application/problem+json' && problemStatus !== status) return [`the problem's status ${String(problemStatus)} is not the response's ${status}`];
        return [];
      }
      return v(body) ? [] : ['body does not match its schema'];
    },
  };
}
