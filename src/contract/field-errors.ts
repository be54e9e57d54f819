import type { ErrorObject } from 'ajv';
import { pointerToken, type FieldError } from '../errors';

/**
 * What a request got wrong, said per field: ajv's errors turned into the `errors` list of a
 * 400 (`{ field, message }`), and the nesting limit checked before any schema runs.
 */

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
