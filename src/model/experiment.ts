import { expandFactorial, validateLayerSlice, validateTargeting, type PathError } from '../assignment';
import type { components } from '../contract/schema';
import { pointerFromPath, pointerToken, type FieldError } from '../errors';

/**
 * The experiment model: what a client sends, what is stored, and the rules a definition
 * must satisfy beyond its JSON schema (exactly one control, exactly one primary metric,
 * unique keys, a valid factorial design, overrides naming real variants). Pure: no I/O.
 */
type Schemas = components['schemas'];
export type Experiment = Schemas['Experiment'];
export type ExperimentCreate = Schemas['ExperimentCreate'];
export type ExperimentUpdate = Schemas['ExperimentUpdate'];
export type ExperimentStatus = Schemas['ExperimentStatus'];
export type Variant = Experiment['variants'][number];
export type Metric = Experiment['metrics'][number];
export type Factor = Schemas['Factor'];

/** Everything a client sets except the key and the tactic (which have columns of their own). */
export type Definition = Pick<
  Experiment,
  | 'name'
  | 'hypothesis'
  | 'variants'
  | 'factors'
  | 'metrics'
  | 'segments'
  | 'coverage'
  | 'targeting'
  | 'alpha'
  | 'salt'
  | 'layer'
  | 'respectsHoldout'
  | 'overrides'
  | 'analysis'
  | 'plannedSampleSize'
  | 'minDetectableEffect'
>;

export const DEFINITION_FIELDS: readonly (keyof Definition)[] = [
  'name',
  'hypothesis',
  'variants',
  'factors',
  'metrics',
  'segments',
  'coverage',
  'targeting',
  'alpha',
  'salt',
  'layer',
  'respectsHoldout',
  'overrides',
  'analysis',
  'plannedSampleSize',
  'minDetectableEffect',
];

/**
 * An experiment as the service holds it: the API's Experiment and the ids it keeps to itself
 * (the HTTP layer leaves them out of every answer).
 */
export interface ExperimentRow extends Experiment {
  /** Internal numeric id (foreign key of exposures and aggregates). */
  id: number;
  /** Internal random id, never reused (not even by a restored database): names its exposure marks. */
  uid: string;
  /** When an update first lowered coverage or changed targeting after the start (null: never). */
  narrowedAt: string | null;
}

/** The definition of a stored experiment (what `applyUpdate` changes). */
export function definitionOf(e: Experiment): Definition {
  return Object.fromEntries(DEFINITION_FIELDS.map((f) => [f, e[f]])) as Definition;
}

export const DEFAULT_ALPHA = 0.05;
export const DEFAULT_MDE = 0.05;

const withPointers = (errors: PathError[]): FieldError[] => errors.map((e) => ({ field: pointerFromPath(e.path), message: e.message }));

function normalizeVariants(variants: NonNullable<ExperimentCreate['variants']>): Variant[] {
  return variants.map((v) => ({ key: v.key, name: v.name, weight: v.weight, control: v.control ?? false, ...(v.payload !== undefined ? { payload: v.payload } : {}) }));
}

/** A JSON payload's bound, as JSON text (UTF-16 code units): what a page renders, not a database. */
export const MAX_PAYLOAD_LENGTH = 8192;

/** A factorial cell's payload: each factor's level payload by factor key (none when no level has one). */
function cellPayload(factors: Factor[], levels: Record<string, string>): Variant['payload'] | undefined {
  const out: Record<string, unknown> = {};
  let any = false;
  for (const f of factors) {
    const level = f.levels.find((l) => l.key === levels[f.key]);
    if (level?.payload !== undefined) {
      out[f.key] = level.payload;
      any = true;
    }
  }
  return any ? (out as Variant['payload']) : undefined;
}

/** The variants of a factorial design: every cell, the first levels' cell is the control. */
function factorialVariants(factors: Factor[]): Variant[] | FieldError[] {
  const result = expandFactorial(factors);
  if (!result.ok) return withPointers(result.errors);
  return result.design.variants.map((v) => {
    const payload = cellPayload(factors, v.factors);
    return { key: v.key, name: v.name, weight: v.weight, control: v.key === result.design.control, factors: v.factors, ...(payload !== undefined ? { payload } : {}) };
  });
}

function normalizeMetrics(metrics: NonNullable<ExperimentUpdate['metrics']>): Metric[] {
  return metrics.map((m) => {
    const out: Metric = {
      key: m.key,
      name: m.name ?? m.key,
      type: m.type,
      direction: m.direction ?? 'increase',
      role: m.role ?? 'secondary',
    };
    if (m.type === 'ratio') {
      if (m.numerator !== undefined) out.numerator = m.numerator;
      if (m.denominator !== undefined) out.denominator = m.denominator;
    } else {
      out.event = m.event ?? m.key;
    }
    if (m.windowHours !== undefined) out.windowHours = m.windowHours;
    if (m.cap !== undefined) out.cap = m.cap;
    return out;
  });
}

/** What a metric counts: one event within one window. Metrics with the same stream share aggregates. */
export interface Stream {
  stream: string;
  event: string;
  windowHours: number | null;
}

export const streamKey = (event: string, windowHours: number | null) => `${event}@${windowHours ?? ''}`;

/** The stream a counting metric reads: its event within its window (shared by metrics alike). */
export function streamOf(m: Metric): Stream {
  const event = m.event ?? m.key;
  const windowHours = m.windowHours ?? null;
  return { stream: streamKey(event, windowHours), event, windowHours };
}

/** The distinct streams of a definition's counting metrics (ratio metrics count nothing themselves). */
export function streamsOf(def: Definition): Stream[] {
  const byKey = new Map<string, Stream>();
  for (const m of def.metrics) if (m.type !== 'ratio') byKey.set(streamOf(m).stream, streamOf(m));
  return [...byKey.values()];
}

/** Variants from `variants` or from `factors`: exactly one of them must be given. */
function variantsFrom(input: { variants?: ExperimentCreate['variants']; factors?: ExperimentCreate['factors'] }): { variants: Variant[]; factors: Factor[] | null } | FieldError[] {
  if (input.variants && input.factors) return [{ field: '/factors', message: 'send either variants or factors, not both' }];
  if (input.factors) {
    const variants = factorialVariants(input.factors);
    if (variants.length > 0 && 'field' in variants[0]) return variants as FieldError[];
    return { variants: variants as Variant[], factors: input.factors };
  }
  if (input.variants) return { variants: normalizeVariants(input.variants), factors: null };
  return [{ field: '/variants', message: 'is required (or factors, for a multivariate experiment)' }];
}

export type Built = { ok: true; definition: Definition } | { ok: false; errors: FieldError[] };

/** A new experiment's definition, defaults filled in. */
export function definitionFromCreate(input: ExperimentCreate): Built {
  // name, tactic and metrics are required by the contract; the schema validated them.
  const arms = variantsFrom(input);
  if (Array.isArray(arms)) return { ok: false, errors: arms };
  return {
    ok: true,
    definition: {
      name: input.name!,
      hypothesis: input.hypothesis ?? '',
      ...arms,
      metrics: normalizeMetrics(input.metrics!),
      segments: input.segments ?? [],
      coverage: input.coverage ?? 1,
      targeting: input.targeting ?? null,
      alpha: input.alpha ?? DEFAULT_ALPHA,
      salt: input.salt ?? input.key,
      layer: input.layer ?? null,
      respectsHoldout: input.respectsHoldout ?? true,
      overrides: input.overrides ?? {},
      analysis: input.analysis ?? 'sequential',
      plannedSampleSize: input.plannedSampleSize ?? null,
      minDetectableEffect: input.minDetectableEffect ?? DEFAULT_MDE,
    },
  };
}

/** The definition after a partial update: present fields replace, absent ones stay. */
export function applyUpdate(current: Definition, patch: ExperimentUpdate): Built {
  let arms: { variants: Variant[]; factors: Factor[] | null } = { variants: current.variants, factors: current.factors };
  if (patch.variants || patch.factors) {
    const next = variantsFrom(patch);
    if (Array.isArray(next)) return { ok: false, errors: next };
    arms = next;
  }
  return {
    ok: true,
    definition: {
      name: patch.name ?? current.name,
      hypothesis: patch.hypothesis ?? current.hypothesis,
      ...arms,
      metrics: patch.metrics ? normalizeMetrics(patch.metrics) : current.metrics,
      segments: patch.segments ?? current.segments,
      coverage: patch.coverage ?? current.coverage,
      targeting: patch.targeting === undefined ? current.targeting : patch.targeting,
      alpha: patch.alpha ?? current.alpha,
      salt: patch.salt ?? current.salt,
      layer: patch.layer === undefined ? current.layer : patch.layer,
      respectsHoldout: patch.respectsHoldout ?? current.respectsHoldout,
      overrides: patch.overrides ?? current.overrides,
      analysis: patch.analysis ?? current.analysis,
      plannedSampleSize: patch.plannedSampleSize ?? current.plannedSampleSize,
      minDetectableEffect: patch.minDetectableEffect ?? current.minDetectableEffect,
    },
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
  errors.push(...validateMetricShapes(def.metrics));
  errors.push(...withPointers(validateTargeting(def.targeting)));
  if (def.layer) errors.push(...withPointers(validateLayerSlice(def.layer)));
  def.variants.forEach((v, i) => {
    if (v.payload !== undefined && !v.factors && JSON.stringify(v.payload).length > MAX_PAYLOAD_LENGTH) {
      errors.push({ field: `/variants/${i}/payload`, message: `must be at most ${MAX_PAYLOAD_LENGTH} characters as JSON` });
    }
  });
  def.factors?.forEach((f, i) =>
    f.levels.forEach((l, j) => {
      if (l.payload !== undefined && JSON.stringify(l.payload).length > MAX_PAYLOAD_LENGTH) {
        errors.push({ field: `/factors/${i}/levels/${j}/payload`, message: `must be at most ${MAX_PAYLOAD_LENGTH} characters as JSON` });
      }
    }),
  );
  const variantKeys = new Set(def.variants.map((v) => v.key));
  for (const [unitId, variant] of Object.entries(def.overrides)) {
    if (!variantKeys.has(variant)) {
      errors.push({ field: `/overrides/${pointerToken(unitId)}`, message: `"${variant}" is not a variant of this experiment` });
    }
  }
  return errors;
}

/** Ratio metrics name two counting metrics of the experiment; only counting metrics have an event and a cap. */
function validateMetricShapes(metrics: Metric[]): FieldError[] {
  const errors: FieldError[] = [];
  const counting = new Map(metrics.filter((m) => m.type !== 'ratio').map((m) => [m.key, m]));
  metrics.forEach((m, i) => {
    if (m.type === 'ratio') {
      for (const part of ['numerator', 'denominator'] as const) {
        const ref = m[part];
        if (!ref) errors.push({ field: `/metrics/${i}/${part}`, message: 'is required for a ratio metric' });
        else if (!counting.has(ref)) errors.push({ field: `/metrics/${i}/${part}`, message: `"${ref}" is not a binary, count or revenue metric of this experiment` });
      }
      if (m.windowHours !== undefined) errors.push({ field: `/metrics/${i}/windowHours`, message: 'a ratio metric takes the windows of its numerator and denominator' });
      if (m.cap !== undefined) errors.push({ field: `/metrics/${i}/cap`, message: 'cap the numerator or denominator metric instead' });
    } else {
      if (m.numerator !== undefined || m.denominator !== undefined) {
        errors.push({ field: `/metrics/${i}/${m.numerator !== undefined ? 'numerator' : 'denominator'}`, message: 'only ratio metrics have a numerator and a denominator' });
      }
      if (m.type === 'binary' && m.cap !== undefined) errors.push({ field: `/metrics/${i}/cap`, message: 'a binary metric is 0 or 1 per unit; a cap applies to count and revenue metrics' });
    }
  });
  return errors;
}

/** What assignment depends on: changing any of it after the start would reshuffle units. */
const BUCKETING_FIELDS = {
  salt: (d: Definition) => d.salt,
  variants: (d: Definition) => d.variants.map((v) => [v.key, v.weight, v.control, v.payload ?? null]),
  factors: (d: Definition) => d.factors,
  layer: (d: Definition) => d.layer,
  respectsHoldout: (d: Definition) => d.respectsHoldout,
};

/**
 * What the statistics of the results depend on: changing any of it once exposures can be
 * recorded would let a peek at the data choose the test (a sequential experiment switched to
 * fixed, a looser alpha, a larger N* after a near miss), which undoes "safe to check on every
 * build". Locked from the start, as the bucketing fields are.
 */
export const ANALYSIS_FIELDS = {
  analysis: (d: Definition) => d.analysis,
  alpha: (d: Definition) => d.alpha,
  plannedSampleSize: (d: Definition) => d.plannedSampleSize ?? null,
};

/**
 * The fields an update may not change once the experiment has started (empty when allowed):
 * the bucketing fields and the analysis fields. The experiment starts, and records its first
 * exposure, only after `start`, so a draft can still change all of them.
 */
export function lockedChanges(status: ExperimentStatus, before: Definition, after: Definition): string[] {
  if (status === 'draft') return [];
  return Object.entries({ ...BUCKETING_FIELDS, ...ANALYSIS_FIELDS })
    .filter(([, shape]) => JSON.stringify(shape(before)) !== JSON.stringify(shape(after)))
    .map(([field]) => field);
}

/**
 * Whether an update of a started experiment can move units that were already exposed:
 * lowering coverage, or any change of targeting (a new rule may exclude someone who matched).
 * Hashing then no longer keeps every exposed unit in place; only their recorded variant does.
 * Raising coverage only adds units, and the other fields that move units are locked.
 */
export function narrows(status: ExperimentStatus, before: Definition, after: Definition): boolean {
  if (status !== 'running' && status !== 'paused') return false;
  return after.coverage < before.coverage || JSON.stringify(before.targeting ?? null) !== JSON.stringify(after.targeting ?? null);
}

/** Field-by-field differences, for the audit log. */
export function diff(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field])) out[field] = { from: before[field] ?? null, to: after[field] ?? null };
  }
  return out;
}
