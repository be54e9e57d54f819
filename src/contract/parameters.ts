import type { FieldError } from '../errors';
import { toFieldErrors } from './field-errors';
import type { OpenApiDocument, Spec } from './spec';

/**
 * An operation's parameters (path, query, headers) arrive as text: each section is validated
 * against the spec's parameter schemas, converted to their types in place, and its faults
 * named `<section>.<name>` (`query.limit`, `path.key`).
 */
export type Section = 'path' | 'query' | 'header';

export interface SpecParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: unknown;
  $ref?: string;
}

/** A decimal number as JSON writes one: no `Infinity`, `NaN`, hex, binary or surrounding spaces. */
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

function isNumeric(schema: unknown, document: OpenApiDocument): boolean {
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

/** The parameter itself, where the operation names a shared one (`$ref: '#/components/parameters/...'`). */
export function resolveParameter(document: OpenApiDocument, p: SpecParameter): SpecParameter {
  return p.$ref ? (document.components.parameters[p.$ref.split('/').pop()!] as SpecParameter) : p;
}

/**
 * The validator of one section of an operation's parameters: it validates (and coerces, in
 * place) that section's values, and returns its faults. Header names are matched in lower case.
 */
export function sectionValidator(spec: Spec, params: readonly SpecParameter[], where: Section): (values: Record<string, unknown>) => FieldError[] {
  const ps = params.filter((p) => p.in === where);
  const name = (p: SpecParameter) => (where === 'header' ? p.name.toLowerCase() : p.name);
  const validate = spec.compile(
    {
      type: 'object',
      properties: Object.fromEntries(ps.map((p) => [name(p), p.schema ?? {}])),
      required: ps.filter((p) => p.required).map(name),
    },
    { coerce: true },
  );
  const numeric = ps.filter((p) => isNumeric(p.schema, spec.document)).map(name);
  const prefix = `${where}.`;
  return (values) => {
    const strict = numericErrors(values, numeric, prefix);
    const errors = validate(values) ? [] : toFieldErrors(validate.errors, prefix);
    return [...strict, ...errors.filter((e) => !strict.some((s) => e.field === s.field || e.field.startsWith(s.field + '.')))];
  };
}
