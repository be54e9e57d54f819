/**
 * Experiment validation: the rules an `AssignableExperiment` must satisfy before `compile`.
 * Salt: 1..128 characters, no "/" (the first "/" of the hash input must end the salt) and not
 * starting with "layer:" (reserved for layer hash spaces). Variants: at least 2, unique non-empty
 * keys, finite weights >= 0 with a positive sum. Control: one of the variant keys. Coverage: 0..1.
 * Targeting and layer: see targeting.ts and layers.ts. Overrides: valid unit ids -> variant keys.
 */
import { LAYER_SALT_PREFIX, validateLayerSlice } from './layers';
import { validateTargeting } from './targeting';
import type { ExperimentStatus, PathError } from './engine-types';
import { validateUnitId } from './unit';

export const STATUSES: readonly ExperimentStatus[] = ['draft', 'running', 'paused', 'completed', 'archived'];
export const MAX_SALT_LENGTH = 128;
export const MAX_VARIANT_KEY_LENGTH = 128;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validateVariants(variants: unknown, errors: PathError[]): Set<string> {
  const keys = new Set<string>();
  if (!Array.isArray(variants)) {
    errors.push({ path: 'variants', message: 'must be an array of at least 2 variants' });
    return keys;
  }
  if (variants.length < 2) errors.push({ path: 'variants', message: 'must be an array of at least 2 variants' });
  let total = 0;
  variants.forEach((v: unknown, i) => {
    const p = `variants[${i}]`;
    if (!isObject(v)) {
      errors.push({ path: p, message: 'must be an object' });
      return;
    }
    if (typeof v.key !== 'string' || v.key.length === 0 || v.key.length > MAX_VARIANT_KEY_LENGTH) {
      errors.push({ path: `${p}.key`, message: `must be a string of 1 to ${MAX_VARIANT_KEY_LENGTH} characters` });
    } else if (keys.has(v.key)) {
      errors.push({ path: `${p}.key`, message: `duplicate variant key "${v.key}"` });
    } else {
      keys.add(v.key);
    }
    if (typeof v.weight !== 'number' || !Number.isFinite(v.weight) || v.weight < 0) {
      errors.push({ path: `${p}.weight`, message: 'must be a finite number >= 0' });
    } else {
      total += v.weight;
    }
    if (v.factors !== undefined) {
      const ok = isObject(v.factors) && Object.values(v.factors).every((level) => typeof level === 'string');
      if (!ok) errors.push({ path: `${p}.factors`, message: 'must map factor keys to level keys (strings)' });
    }
  });
  if (!(total > 0) || !Number.isFinite(total)) {
    errors.push({ path: 'variants', message: 'weights must have a positive, finite sum' });
  }
  return keys;
}

/** Field-path errors for an experiment (empty when `compile` will accept it). */
export function validateExperiment(experiment: unknown): PathError[] {
  if (!isObject(experiment)) return [{ path: '(root)', message: 'must be an object' }];
  const e = experiment;
  const errors: PathError[] = [];
  if (typeof e.key !== 'string' || e.key.length === 0) errors.push({ path: 'key', message: 'must be a non-empty string' });
  if (typeof e.status !== 'string' || !(STATUSES as readonly string[]).includes(e.status)) {
    errors.push({ path: 'status', message: `must be one of ${STATUSES.join(', ')}` });
  }
  if (
    typeof e.salt !== 'string' ||
    e.salt.length === 0 ||
    e.salt.length > MAX_SALT_LENGTH ||
    e.salt.includes('/') ||
    e.salt.startsWith(LAYER_SALT_PREFIX)
  ) {
    errors.push({
      path: 'salt',
      message: `must be 1 to ${MAX_SALT_LENGTH} characters, without "/" and not starting with "${LAYER_SALT_PREFIX}"`,
    });
  }
  const keys = validateVariants(e.variants, errors);
  if (typeof e.control !== 'string' || !keys.has(e.control)) {
    errors.push({ path: 'control', message: 'must be the key of one of the variants' });
  }
  if (typeof e.coverage !== 'number' || !Number.isFinite(e.coverage) || e.coverage < 0 || e.coverage > 1) {
    errors.push({ path: 'coverage', message: 'must be a number in [0, 1]' });
  }
  errors.push(...validateTargeting(e.targeting, 'targeting'));
  errors.push(...validateLayerSlice(e.layer, 'layer'));
  if (typeof e.respectsHoldout !== 'boolean') errors.push({ path: 'respectsHoldout', message: 'must be a boolean' });
  if (e.overrides !== undefined && e.overrides !== null) {
    if (!isObject(e.overrides)) {
      errors.push({ path: 'overrides', message: 'must be an object mapping unit ids to variant keys' });
    } else {
      for (const [unitId, variant] of Object.entries(e.overrides)) {
        const p = `overrides[${JSON.stringify(unitId)}]`;
        errors.push(...validateUnitId(unitId, p));
        if (typeof variant !== 'string' || !keys.has(variant)) errors.push({ path: p, message: 'must be a variant key' });
      }
    }
  }
  return errors;
}
