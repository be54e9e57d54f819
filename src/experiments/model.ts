import type { components } from '../api/schema';
import { validateTargeting } from '../assignment';
import { pointerFromPath, type FieldError } from '../errors';

/**
 * The experiment model: what a client sends, what is stored, and the rules a definition
 * must satisfy beyond its JSON schema (exactly one control, exactly one primary metric,
 * unique keys). Pure: no I/O.
 */
type Schemas = components['schemas'];
export type Experiment = Schemas['Experiment'];
export type ExperimentCreate = Schemas['ExperimentCreate'];
export type ExperimentUpdate = Schemas['ExperimentUpdate'];
export type ExperimentStatus = Schemas['ExperimentStatus'];
export type Variant = Experiment['variants'][number];
export type Metric = Experiment['metrics'][number];

/** Everything a client sets except the key and the tactic (which have columns of their own). */
export type Definition = Pick<Experiment, 'name' | 'hypothesis' | 'variants' | 'metrics' | 'segments' | 'coverage' | 'targeting' | 'alpha' | 'salt'>;

export const DEFAULT_ALPHA = 0.05;

function normalizeVariants(variants: ExperimentCreate['variants']): Variant[] {
  return (variants ?? []).map((v) => ({ key: v.key, name: v.name, weight: v.weight, control: v.control ?? false }));
}

function normalizeMetrics(metrics: ExperimentCreate['metrics']): Metric[] {
  return (metrics ?? []).map((m) => ({
    key: m.key,
    name: m.name ?? m.key,
    type: m.type,
    direction: m.direction ?? 'increase',
    role: m.role ?? 'secondary',
  }));
}

/** A new experiment's definition, defaults filled in. */
export function definitionFromCreate(input: ExperimentCreate): Definition {
  return {
    name: input.name!,
    hypothesis: input.hypothesis ?? '',
    variants: normalizeVariants(input.variants),
    metrics: normalizeMetrics(input.metrics),
    segments: input.segments ?? [],
    coverage: input.coverage ?? 1,
    targeting: input.targeting ?? null,
    alpha: input.alpha ?? DEFAULT_ALPHA,
    salt: input.salt ?? input.key,
  };
}

/** The definition after a partial update: present fields replace, absent ones stay. */
export function applyUpdate(current: Definition, patch: ExperimentUpdate): Definition {
  return {
    name: patch.name ?? current.name,
    hypothesis: patch.hypothesis ?? current.hypothesis,
    variants: patch.variants ? normalizeVariants(patch.variants) : current.variants,
    metrics: patch.metrics ? normalizeMetrics(patch.metrics) : current.metrics,
    segments: patch.segments ?? current.segments,
    coverage: patch.coverage ?? current.coverage,
    targeting: patch.targeting === undefined ? current.targeting : patch.targeting,
    alpha: patch.alpha ?? current.alpha,
    salt: patch.salt ?? current.salt,
  };
}

function duplicates(keys: string[]): Set<string> {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const k of keys) (seen.has(k) ? dup : seen).add(k);
  return dup;
}

/** Rules a definition must satisfy; each fault names its field as a JSON pointer. */
export function validateDefinition(def: Definition): FieldError[] {
  const errors: FieldError[] = [];
  const controls = def.variants.filter((v) => v.control);
  if (controls.length !== 1) {
    errors.push({ field: '/variants', message: `exactly one variant must have "control": true (found ${controls.length})` });
  }
  const dupVariants = duplicates(def.variants.map((v) => v.key));
  def.variants.forEach((v, i) => {
    if (dupVariants.has(v.key)) errors.push({ field: `/variants/${i}/key`, message: `variant key "${v.key}" is used twice` });
  });
  const primaries = def.metrics.filter((m) => m.role === 'primary');
  if (primaries.length !== 1) {
    errors.push({ field: '/metrics', message: `exactly one metric must have "role": "primary" (found ${primaries.length})` });
  }
  const dupMetrics = duplicates(def.metrics.map((m) => m.key));
  def.metrics.forEach((m, i) => {
    if (dupMetrics.has(m.key)) errors.push({ field: `/metrics/${i}/key`, message: `metric key "${m.key}" is used twice` });
  });
  for (const e of validateTargeting(def.targeting)) errors.push({ field: pointerFromPath(e.path), message: e.message });
  return errors;
}

/** What assignment depends on: changing any of it after the start would reshuffle units. */
function bucketingShape(def: Definition): string {
  return JSON.stringify({ salt: def.salt, variants: def.variants.map((v) => [v.key, v.weight, v.control]) });
}

/** The fields an update may not change once the experiment has started (empty when allowed). */
export function lockedChanges(status: ExperimentStatus, before: Definition, after: Definition): string[] {
  if (status === 'draft') return [];
  if (bucketingShape(before) === bucketingShape(after)) return [];
  const changed: string[] = [];
  if (before.salt !== after.salt) changed.push('salt');
  if (JSON.stringify(before.variants.map((v) => [v.key, v.weight, v.control])) !== JSON.stringify(after.variants.map((v) => [v.key, v.weight, v.control]))) {
    changed.push('variants');
  }
  return changed;
}

/** Field-by-field differences, for the audit log. */
export function diff(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field])) out[field] = { from: before[field] ?? null, to: after[field] ?? null };
  }
  return out;
}
