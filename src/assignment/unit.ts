/**
 * Unit validation (the HTTP layer calls it before `assign`, which trusts its input).
 * Rule: a unit id is a string of 1 to 256 UTF-16 code units (JavaScript `length`) with no
 * unpaired surrogate and no U+0000; any other Unicode is fine and is hashed as given (no
 * normalisation). Attributes form a flat object of strings, finite numbers and booleans;
 * consent is a boolean.
 *
 * The same rule for one string, `unstorable`, is the storable-text rule of the whole service
 * (contract/storable-text.ts applies it to request bodies): PostgreSQL cannot store U+0000,
 * and an unpaired surrogate has no UTF-8 encoding (nor a hash input of its own).
 */
import type { PathError } from './engine-types';

export const MAX_UNIT_ID_LENGTH = 256;

// With the `u` flag a well-formed surrogate pair is one code point, so this matches only lone halves.
const UNSTORABLE = /[\u0000\uD800-\uDFFF]/u;

/** Why the database could not store this text (U+0000 or an unpaired surrogate), or undefined. */
export function unstorable(text: string): string | undefined {
  if (!UNSTORABLE.test(text)) return undefined;
  return text.includes('\u0000') ? 'must not contain U+0000 (NUL)' : 'must be well-formed Unicode (no unpaired surrogate)';
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
