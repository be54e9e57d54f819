import { unstorable } from '../assignment';
import { pointerToken, type FieldError } from '../errors';

/**
 * Text that is stored (unit ids, event ids, attribute values recorded as segments, every
 * text of an experiment or a key) must be storable by PostgreSQL: no U+0000 (text and jsonb
 * refuse it) and no unpaired surrogate (it has no UTF-8 encoding). Such text is refused
 * where it enters, naming the field: accepted, it would make the database refuse the whole
 * statement (or batch) it is written in. The rule for one string is the unit id's
 * (`unstorable`, in assignment/unit.ts, where the SDK needs it too); this applies it to a
 * whole request body.
 */

/**
 * Every place in a request body (or one event) holding text the database could not store,
 * as JSON pointers: each string value and each object key, at any depth (a key is reported
 * at the pointer it names, with "name" in the message). Iterative, so no depth of nesting
 * can overflow the stack. Any JSON value goes: call it before or after the schema check.
 */
export function unstorableFields(value: unknown): FieldError[] {
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
  const out: FieldError[] = [];
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
