/**
 * compile(experiment): validate once, then precompute everything `assign` needs, so the hot path
 * only hashes and compares. Variant i owns [c_i, c_i + coverage * n_i) where n_i = w_i / sum(w)
 * and c_i = n_0 + ... + n_{i-1}, summed left to right in double precision (hash.ts, rule 2).
 * Every possible result is built here as a frozen object, so `assign` allocates no result.
 * The compiled form copies what it keeps: later edits to the input have no effect.
 */
import { prefixOf, type HashPrefix } from './hash';
import { layerSalt } from './layers';
import type { AssignableExperiment, Assignment, PathError, Reason, Targeting } from './engine-types';
import { validateExperiment } from './validate-experiment';

/** Reasons for which a unit is served the control. */
export type ControlReason = Exclude<Reason, 'bucketed' | 'forced'>;

export interface CompiledExperiment {
  readonly key: string;
  readonly running: boolean;
  readonly salt: string;
  readonly respectsHoldout: boolean;
  readonly targeting: Targeting | null;
  /** Salt of the layer's hash space and the slice [layerStart, layerEnd), or null when not layered. */
  readonly layerSalt: string | null;
  readonly layerStart: number;
  readonly layerEnd: number;
  /** The hashing state after salt + "/" and after the layer's salt + "/" (hash.ts): each bucket then reads only the unit id. */
  readonly saltPrefix: HashPrefix;
  readonly layerPrefix: HashPrefix | null;
  /** Variant i owns [starts[i], ends[i]) of the experiment's bucket space. */
  readonly variantKeys: readonly string[];
  readonly starts: readonly number[];
  readonly ends: readonly number[];
  readonly variantIndex: ReadonlyMap<string, number>;
  /** Precomputed results. */
  readonly bucketed: readonly Assignment[];
  readonly controlFor: Readonly<Record<ControlReason, Assignment>>;
  readonly forced: ReadonlyMap<string, Assignment>;
}

export class InvalidExperimentError extends Error {
  constructor(readonly errors: PathError[]) {
    super(`invalid experiment: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
    this.name = 'InvalidExperimentError';
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function result(
  experiment: string,
  variant: string,
  reason: Reason,
  factors: Record<string, string> | undefined,
): Assignment {
  const a: { -readonly [K in keyof Assignment]: Assignment[K] } = {
    experiment,
    variant,
    inExperiment: reason === 'bucketed',
    reason,
  };
  if (reason === 'holdout') a.holdout = true;
  if (factors) a.factors = Object.freeze({ ...factors });
  return Object.freeze(a);
}

/** Validate and precompile; throws InvalidExperimentError (with field paths) when invalid. */
export function compile(experiment: AssignableExperiment): CompiledExperiment {
  const errors = validateExperiment(experiment);
  if (errors.length > 0) throw new InvalidExperimentError(errors);
  const { key, variants, coverage } = experiment;

  let total = 0;
  for (const v of variants) total += v.weight;
  const starts: number[] = [];
  const ends: number[] = [];
  let cumulative = 0;
  for (const v of variants) {
    const share = v.weight / total;
    starts.push(cumulative);
    ends.push(cumulative + coverage * share);
    cumulative += share;
  }

  const controlVariant = variants.find((v) => v.key === experiment.control)!;
  const control = (reason: ControlReason): Assignment => result(key, controlVariant.key, reason, controlVariant.factors);
  const forced = new Map<string, Assignment>();
  for (const [unitId, variantKey] of Object.entries(experiment.overrides ?? {})) {
    const v = variants.find((x) => x.key === variantKey)!;
    forced.set(unitId, result(key, v.key, 'forced', v.factors));
  }

  const layer = experiment.layer ? layerSalt(experiment.layer.key) : null;
  return Object.freeze({
    key,
    running: experiment.status === 'running',
    salt: experiment.salt,
    respectsHoldout: experiment.respectsHoldout,
    targeting: experiment.targeting ? deepFreeze(JSON.parse(JSON.stringify(experiment.targeting)) as Targeting) : null,
    layerSalt: layer,
    layerStart: experiment.layer ? experiment.layer.start : 0,
    layerEnd: experiment.layer ? experiment.layer.end : 1,
    saltPrefix: prefixOf(experiment.salt),
    layerPrefix: layer === null ? null : prefixOf(layer),
    variantKeys: Object.freeze(variants.map((v) => v.key)),
    starts: Object.freeze(starts),
    ends: Object.freeze(ends),
    variantIndex: new Map(variants.map((v, i) => [v.key, i])),
    bucketed: Object.freeze(variants.map((v) => result(key, v.key, 'bucketed', v.factors))),
    controlFor: Object.freeze({
      not_running: control('not_running'),
      opted_out: control('opted_out'),
      not_targeted: control('not_targeted'),
      holdout: control('holdout'),
      layer: control('layer'),
      coverage: control('coverage'),
    }),
    forced,
  });
}
