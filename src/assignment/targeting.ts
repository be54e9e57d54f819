/**
 * Targeting: does a unit's attribute map match a targeting tree?
 *
 * A node is `{ all: [nodes] }` (every child matches; empty -> true), `{ any: [nodes] }`
 * (some child matches; empty -> false) or a condition `{ attribute, op, value }`:
 *   eq / neq       value is a string, number or boolean; compared with === (no coercion,
 *                  so "5" does not equal 5).
 *   in / not_in    value is a non-empty array of such scalars; membership with ===.
 *   gt gte lt lte  value is a finite number; match only when the attribute is a number.
 *   exists         value is true or false: is the attribute present?
 * A missing attribute (absent, or not a string / number / boolean) matches only
 * neq, not_in and exists:false. No targeting (null / undefined) matches everyone.
 * `validateTargeting` bounds the tree: depth <= 8 (a lone condition has depth 1),
 * at most 100 conditions, no unknown keys. `matches` assumes a validated tree.
 */
import type { Attributes, PathError, Targeting, TargetingCondition, TargetingOp } from './engine-types';

export const MAX_TARGETING_DEPTH = 8;
export const MAX_TARGETING_CONDITIONS = 100;
export const MAX_ATTRIBUTE_NAME_LENGTH = 128;

const OPS: readonly TargetingOp[] = ['eq', 'neq', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'exists'];

type Scalar = string | number | boolean;

function isScalar(v: unknown): v is Scalar {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/** The attribute's value, or undefined when it is missing (inherited keys and non-scalars count as missing). */
function attributeValue(attributes: Attributes | undefined, name: string): Scalar | undefined {
  if (attributes === undefined || !Object.hasOwn(attributes, name)) return undefined;
  const v: unknown = attributes[name];
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
}

function conditionMatches(c: TargetingCondition, attributes: Attributes | undefined): boolean {
  const v = attributeValue(attributes, c.attribute);
  switch (c.op) {
    case 'exists':
      return (v !== undefined) === c.value;
    case 'eq':
      return v !== undefined && v === c.value;
    case 'neq':
      return v === undefined || v !== c.value;
    case 'in':
      return v !== undefined && (c.value as Scalar[]).includes(v);
    case 'not_in':
      return v === undefined || !(c.value as Scalar[]).includes(v);
    case 'gt':
      return typeof v === 'number' && v > (c.value as number);
    case 'gte':
      return typeof v === 'number' && v >= (c.value as number);
    case 'lt':
      return typeof v === 'number' && v < (c.value as number);
    case 'lte':
      return typeof v === 'number' && v <= (c.value as number);
    default:
      return false;
  }
}

/** True when the attributes satisfy the (validated) targeting tree; no targeting matches all. */
export function matches(targeting: Targeting | null | undefined, attributes: Attributes | undefined): boolean {
  if (targeting === null || targeting === undefined) return true;
  if ('all' in targeting) {
    for (const child of targeting.all) if (!matches(child, attributes)) return false;
    return true;
  }
  if ('any' in targeting) {
    for (const child of targeting.any) if (matches(child, attributes)) return true;
    return false;
  }
  return conditionMatches(targeting, attributes);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validateValue(op: TargetingOp, value: unknown, path: string): PathError[] {
  switch (op) {
    case 'eq':
    case 'neq':
      return isScalar(value) ? [] : [{ path, message: `must be a string, finite number or boolean for "${op}"` }];
    case 'in':
    case 'not_in': {
      if (!Array.isArray(value) || value.length === 0) {
        return [{ path, message: `must be a non-empty array for "${op}"` }];
      }
      const errors: PathError[] = [];
      value.forEach((item, i) => {
        if (!isScalar(item)) errors.push({ path: `${path}[${i}]`, message: 'must be a string, finite number or boolean' });
      });
      return errors;
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return typeof value === 'number' && Number.isFinite(value)
        ? []
        : [{ path, message: `must be a finite number for "${op}"` }];
    case 'exists':
      return typeof value === 'boolean' ? [] : [{ path, message: 'must be true or false for "exists"' }];
  }
}

/** Field-path errors for a targeting tree (empty when valid); `null`/`undefined` is valid. */
export function validateTargeting(node: unknown, path = 'targeting'): PathError[] {
  if (node === null || node === undefined) return [];
  const errors: PathError[] = [];
  let conditions = 0;

  const walk = (n: unknown, p: string, depth: number): void => {
    if (depth > MAX_TARGETING_DEPTH) {
      errors.push({ path: p, message: `nesting deeper than ${MAX_TARGETING_DEPTH} levels` });
      return;
    }
    if (!isPlainObject(n)) {
      errors.push({ path: p, message: 'must be an object: {all}, {any} or {attribute, op, value}' });
      return;
    }
    const keys = Object.keys(n);
    for (const group of ['all', 'any'] as const) {
      if (!(group in n)) continue;
      if (keys.length !== 1) {
        errors.push({ path: p, message: `a "${group}" node must have no other keys` });
        return;
      }
      const children = n[group];
      if (!Array.isArray(children)) {
        errors.push({ path: `${p}.${group}`, message: 'must be an array' });
        return;
      }
      children.forEach((child, i) => walk(child, `${p}.${group}[${i}]`, depth + 1));
      return;
    }
    conditions += 1;
    if (conditions === MAX_TARGETING_CONDITIONS + 1) {
      errors.push({ path: p, message: `more than ${MAX_TARGETING_CONDITIONS} conditions` });
    }
    for (const k of keys) {
      if (k !== 'attribute' && k !== 'op' && k !== 'value') errors.push({ path: `${p}.${k}`, message: 'unknown key' });
    }
    const { attribute, op, value } = n;
    if (typeof attribute !== 'string' || attribute.length === 0 || attribute.length > MAX_ATTRIBUTE_NAME_LENGTH) {
      errors.push({ path: `${p}.attribute`, message: `must be a string of 1 to ${MAX_ATTRIBUTE_NAME_LENGTH} characters` });
    }
    if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op)) {
      errors.push({ path: `${p}.op`, message: `must be one of ${OPS.join(', ')}` });
      return;
    }
    if (!('value' in n)) {
      errors.push({ path: `${p}.value`, message: 'is required' });
      return;
    }
    errors.push(...validateValue(op as TargetingOp, value, `${p}.value`));
  };

  walk(node, path, 1);
  return errors;
}
