/**
 * Unit validation (the HTTP layer calls it before `assign`, which trusts its input).
 * Rule: a unit id is a string of 1 to 256 UTF-16 code units (JavaScript `length`) with no
 * unpaired surrogate and no U+0000; any other Unicode is fine and is hashed as given (no
 * normalisation). Attributes form a flat object of strings, finite numbers and booleans;
 * consent is a boolean.
 *
 * Text that is stored (unit ids, event ids, attribute values recorded as segments, every
 * text of an experiment or a key) must be storable by PostgreSQL: no U+0000 (text and jsonb
 * refuse it) and no unpaired surrogate (it has no UTF-8 encoding). Such text is refused
 * where it enters, naming the field: accepted, it would make the database refuse the whole
 * statement (or batch) it is written in.
 */
import { pointerToken } from '../errors';
import type { PathError } from './types';

export const MAX_UNIT_ID_LENGTH = 256;

// With the `u` flag a well-formed surrogate pair is one code point, so this matches only lone halves.
const UNSTORABLE = /[\u0000\uD800-\uDFFF]/u;

/** Why the database could not store this text (U+0000 or an unpaired surrogate), or undefined. */
export function unstorable(text: string): string | undefined {
  if (!UNSTORABLE.test(text)) return undefined;
  return text.includes('\u0000') ? 'must not contain U+0000 (NUL)' : 'must be well-formed Unicode (no unpaired surrogate)';
}

/**
 * Every place in a request body (or one event) holding text the database could not store,
 * as JSON pointers: each string value and each object key, at any depth (a key is reported
 * at the pointer it names, with "name" in the message). Iterative, so no depth of nesting
 * can overflow the stack. Any JSON value goes: call it before or after the schema check.
 */
export function unstorableFields(value: unknown): { field: string; message: string }[] {
  interface Node {
    value: unknown;
    key: string;
    parent: Node | null;
  }
  // Pointers are built only for a field at fault: /v1/assign walks every body.
  const pointer = (n: Node) => {
    const tokens: string[] = [];
    for (let x: Node = n; x.parent; x = x.parent) tokens.push(pointerToken(x.key));
    return tokens.length ? '/' + tokens.reverse().join('/') : '/';
  };
  const out: { field: string; message: string }[] = [];
  const stack: Node[] = [{ value, key: '', parent: null }];
  while (stack.length) {
    const node = stack.pop()!;
    const v = node.value;
    if (typeof v === 'string') {
      const message = unstorable(v);
      if (message) out.push({ field: pointer(node), message });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], key: String(i), parent: node });
    } else if (typeof v === 'object' && v !== null) {
      const keys = Object.keys(v);
      for (const key of keys) {
        const message = unstorable(key);
        if (message) out.push({ field: pointer({ value: undefined, key, parent: node }), message: `name ${message}` });
      }
      for (let i = keys.length - 1; i >= 0; i--) stack.push({ value: (v as Record<string, unknown>)[keys[i]], key: keys[i], parent: node });
    }
  }
  return out;
}

export function validateUnitId(unitId: unknown, path = 'unitId'): PathError[] {
  if (typeof unitId !== 'string') return [{ path, message: 'must be a string' }];
  if (unitId.length < 1 || unitId.length > MAX_UNIT_ID_LENGTH) {
    return [{ path, message: `must be 1 to ${MAX_UNIT_ID_LENGTH} UTF-16 code units long` }];
  }
  const message = unstorable(unitId);
  return message ? [{ path, message }] : [];
}

export function validateAttributes(attributes: unknown, path = 'attributes'): PathError[] {
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
    return [{ path, message: 'must be an object' }];
  }
  const errors: PathError[] = [];
  for (const [name, value] of Object.entries(attributes)) {
    const ok =
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value));
    if (!ok) errors.push({ path: `${path}.${name}`, message: 'must be a string, a finite number or a boolean' });
    else if (typeof value === 'string') {
      const message = unstorable(value);
      if (message) errors.push({ path: `${path}.${name}`, message });
    }
  }
  return errors;
}

/** Field-path errors for a request's unit: `{ unitId, attributes?, consent? }`. */
export function validateUnit(unit: unknown, path = ''): PathError[] {
  const at = (field: string): string => (path ? `${path}.${field}` : field);
  if (typeof unit !== 'object' || unit === null || Array.isArray(unit)) {
    return [{ path: path || '(root)', message: 'must be an object' }];
  }
  const u = unit as Record<string, unknown>;
  const errors = validateUnitId(u.unitId, at('unitId'));
  if (u.attributes !== undefined) errors.push(...validateAttributes(u.attributes, at('attributes')));
  if (u.consent !== undefined && typeof u.consent !== 'boolean') {
    errors.push({ path: at('consent'), message: 'must be a boolean' });
  }
  return errors;
}
