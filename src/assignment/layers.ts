/**
 * Layers (mutual exclusion). An experiment in layer L owns the slice [start, end) of L's own
 * hash space, layerBucket = bucket("layer:" + L, unitId); a unit is eligible only when
 * start <= layerBucket < end. Slices of one layer must not overlap (half-open intervals:
 * [0, 0.5) and [0.5, 1) do not overlap), so every unit is eligible for at most one of them.
 */
import { bucket } from './hash';
import type { PathError, LayerSlice } from './engine-types';

export const LAYER_SALT_PREFIX = 'layer:';

/** Layer keys are slugs; they become part of a salt, so they never contain "/". */
export const LAYER_KEY_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The salt of a layer's hash space. */
export function layerSalt(layerKey: string): string {
  return LAYER_SALT_PREFIX + layerKey;
}

/** The unit's position in the layer's hash space, in [0, 1). */
export function layerBucket(layerKey: string, unitId: string): number {
  return bucket(layerSalt(layerKey), unitId);
}

/** True when two slices of the same layer share any point. Slices of different layers never overlap. */
export function slicesOverlap(a: LayerSlice, b: LayerSlice): boolean {
  return a.key === b.key && a.start < b.end && b.start < a.end;
}

/**
 * The first experiment in `others` (other than the candidate itself, matched by key) whose slice
 * overlaps the candidate's, or null. Pass only experiments that still hold their slice
 * (the caller decides whether completed or archived experiments release it).
 */
export function findOverlap<T extends { key: string; layer?: LayerSlice | null }>(
  candidate: { key: string; layer?: LayerSlice | null },
  others: readonly T[],
): T | null {
  const slice = candidate.layer;
  if (!slice) return null;
  for (const other of others) {
    if (other.key !== candidate.key && other.layer && slicesOverlap(slice, other.layer)) return other;
  }
  return null;
}

export function validateLayerSlice(layer: unknown, path = 'layer'): PathError[] {
  if (layer === null || layer === undefined) return [];
  if (typeof layer !== 'object' || Array.isArray(layer)) return [{ path, message: 'must be an object' }];
  const { key, start, end } = layer as Record<string, unknown>;
  const errors: PathError[] = [];
  if (typeof key !== 'string' || !LAYER_KEY_PATTERN.test(key)) {
    errors.push({ path: `${path}.key`, message: 'must be a slug: [a-z0-9][a-z0-9_-]*, at most 64 characters' });
  }
  const startOk = typeof start === 'number' && Number.isFinite(start) && start >= 0 && start < 1;
  const endOk = typeof end === 'number' && Number.isFinite(end) && end > 0 && end <= 1;
  if (!startOk) errors.push({ path: `${path}.start`, message: 'must be a number in [0, 1)' });
  if (!endOk) errors.push({ path: `${path}.end`, message: 'must be a number in (0, 1]' });
  if (startOk && endOk && (start as number) >= (end as number)) {
    errors.push({ path: `${path}.end`, message: 'must be greater than start' });
  }
  return errors;
}
