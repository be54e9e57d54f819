import type { FieldError } from '../../errors';
import { loadSpec } from '../../contract/spec';
import {
  DEFINITION_FIELDS,
  definitionFromCreate,
  lockedChanges,
  validateDefinition,
  type Definition,
  type Experiment,
  type ExperimentCreate,
  type ExperimentUpdate,
} from '../../model/experiment';

/**
 * `verdict apply` planning, pure: what to do with one experiment of the file given what
 * the server holds. Both sides go through definitionFromCreate (defaults filled in) and
 * are compared with object keys sorted, so a file that omits defaults, or a database that
 * reorders JSON keys, is not a change.
 */
export interface Change {
  field: string;
  from: unknown;
  to: unknown;
}

export type Step =
  | { kind: 'create'; key: string; body: ExperimentCreate }
  | { kind: 'update'; key: string; patch: ExperimentUpdate; changes: Change[] }
  | { kind: 'refuse'; key: string; reason: string }
  | { kind: 'invalid'; key: string; errors: FieldError[] }
  | { kind: 'unchanged'; key: string };

/** Sorted object keys all the way down, undefined members dropped: equal values compare equal. */
export function canonical<T>(value: T): T {
  if (Array.isArray(value)) return value.map(canonical) as T;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v)])) as T;
  }
  return value;
}

const same = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/** The server's experiment as the create body that would make it (for definitionFromCreate). */
export function asCreate(e: Experiment): ExperimentCreate {
  return {
    key: e.key,
    name: e.name,
    hypothesis: e.hypothesis,
    tactic: e.tactic,
    ...(e.factors ? { factors: e.factors } : { variants: e.variants.map((v) => ({ key: v.key, name: v.name, weight: v.weight, control: v.control })) }),
    metrics: e.metrics,
    segments: e.segments,
    coverage: e.coverage,
    targeting: e.targeting,
    alpha: e.alpha,
    salt: e.salt,
    layer: e.layer,
    respectsHoldout: e.respectsHoldout,
    overrides: e.overrides,
    analysis: e.analysis,
    plannedSampleSize: e.plannedSampleSize ?? undefined,
    minDetectableEffect: e.minDetectableEffect,
  };
}

let checkCreate: ((value: unknown) => FieldError[]) | undefined;

/**
 * The file's definition with defaults, or the rule it breaks: first the contract's schema for
 * POST /v1/experiments (so a misspelt field such as `covrage:` is an error, not a silent reset
 * to the default), then the same model rules the server applies.
 */
function build(input: ExperimentCreate, checkSchema = true): { definition: Definition } | { errors: FieldError[] } {
  if (checkSchema) {
    checkCreate ??= loadSpec().schema('ExperimentCreate');
    const errors = checkCreate(input);
    if (errors.length) return { errors };
  }
  try {
    const built = definitionFromCreate(input);
    if (!built.ok) return { errors: built.errors };
    const errors = validateDefinition(built.definition);
    return errors.length ? { errors } : { definition: canonical(built.definition) };
  } catch (err) {
    // A shape the JSON schema would refuse (e.g. variants that are not a list).
    return { errors: [{ field: '/', message: `is not an ExperimentCreate: ${(err as Error).message}` }] };
  }
}

export function plan(desired: ExperimentCreate, current: Experiment | null): Step[] {
  const key = desired.key;
  const wanted = build(desired);
  if ('errors' in wanted) return [{ kind: 'invalid', key, errors: wanted.errors }];
  if (!current) return [{ kind: 'create', key, body: desired }];

  const had = build(asCreate(current), false);
  if ('errors' in had) return [{ kind: 'refuse', key, reason: `the server's definition does not load here (${had.errors.map((e) => e.message).join('; ')})` }];
  const before = { ...had.definition, tactic: current.tactic };
  const after = { ...wanted.definition, tactic: desired.tactic ?? current.tactic };
  const changes: Change[] = [...DEFINITION_FIELDS, 'tactic' as const]
    .filter((f) => !same(before[f], after[f]))
    .map((f) => ({ field: f, from: before[f], to: after[f] }));
  if (changes.length === 0) return [{ kind: 'unchanged', key }];

  const status = current.status;
  if (status === 'completed' || status === 'archived') {
    return [{ kind: 'refuse', key, reason: `a ${status} experiment cannot change (${changes.map((c) => c.field).join(', ')})` }];
  }
  const locked = new Set(lockedChanges(status, had.definition, wanted.definition));
  // The API cannot set plannedSampleSize back to "none" (the field is not nullable).
  const unsettable = after.plannedSampleSize === null && before.plannedSampleSize !== null ? ['plannedSampleSize'] : [];
  const allowed = changes.filter((c) => !locked.has(c.field) && !unsettable.includes(c.field));

  const steps: Step[] = [];
  if (allowed.length) steps.push({ kind: 'update', key, patch: patchFor(allowed, wanted.definition, after.tactic), changes: allowed });
  if (locked.size) steps.push({ kind: 'refuse', key, reason: `${[...locked].join(' and ')} cannot change once started (${status})` });
  if (unsettable.length) steps.push({ kind: 'refuse', key, reason: 'plannedSampleSize cannot be unset through the API; give it a value in the file' });
  return steps;
}

/** The PATCH body: the changed fields' new values (variants, or factors for a factorial design). */
function patchFor(changes: Change[], def: Definition, tactic: string): ExperimentUpdate {
  const patch: Record<string, unknown> = {};
  for (const { field } of changes) {
    if (field === 'variants' || field === 'factors') {
      if (def.factors) patch.factors = def.factors;
      else patch.variants = def.variants.map((v) => ({ key: v.key, name: v.name, weight: v.weight, control: v.control }));
    } else if (field === 'tactic') patch.tactic = tactic;
    else patch[field] = def[field as keyof Definition];
  }
  return patch as ExperimentUpdate;
}

/** One change for people: `coverage 0.5 -> 1`, `variants control:1,personalized:1 -> control:1,personalized:3`. */
export function describe(change: Change): string {
  const { field, from, to } = change;
  if (field === 'variants') {
    const arms = (v: unknown) => (v as Definition['variants']).map((a) => `${a.key}:${a.weight}`).join(',');
    if (arms(from) !== arms(to)) return `variants ${arms(from)} -> ${arms(to)}`;
  }
  if (Array.isArray(from) && Array.isArray(to) && [...from, ...to].every((x) => x && typeof x === 'object' && 'key' in x)) {
    const keys = (v: { key: string }[]) => v.map((x) => x.key).join(',');
    if (keys(from) !== keys(to)) return `${field} ${keys(from)} -> ${keys(to)}`;
    const changed = to.filter((x, i) => !same(x, from[i])).map((x) => x.key);
    return `${field} ${changed.join(',')} changed`;
  }
  return `${field} ${show(from)} -> ${show(to)}`;
}

function show(v: unknown): string {
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.length ? v.join(',') : '[]';
  const s = JSON.stringify(v) ?? 'null';
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}
