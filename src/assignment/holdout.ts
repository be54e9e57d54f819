/**
 * Global holdout: a unit is held out when bucket(salt, unitId) < share (salt defaults to
 * "verdict-holdout"). Held-out units see the control of every experiment that respects the
 * holdout, so the holdout measures "all experiments shipped" against "none".
 */
import { bucketWith, prefixOf } from './hash';
import type { PathError, HoldoutConfig } from './engine-types';

export const DEFAULT_HOLDOUT_SALT = 'verdict-holdout';

// The last answer: a unit is judged against several experiments in a row (each one that
// respects the holdout asks), and one hash answers them all.
let lastUnit: string | undefined;
let lastSalt: string | undefined;
let lastBucket = 0;

export function isHeldOut(holdout: HoldoutConfig | null | undefined, unitId: string): boolean {
  if (!holdout || !(holdout.share > 0)) return false;
  const salt = holdout.salt ?? DEFAULT_HOLDOUT_SALT;
  if (unitId !== lastUnit || salt !== lastSalt) {
    lastBucket = bucketWith(prefixOf(salt), unitId);
    lastUnit = unitId;
    lastSalt = salt;
  }
  return lastBucket < holdout.share;
}

export function validateHoldout(holdout: unknown, path = 'holdout'): PathError[] {
  if (holdout === null || holdout === undefined) return [];
  if (typeof holdout !== 'object' || Array.isArray(holdout)) return [{ path, message: 'must be an object' }];
  const { share, salt } = holdout as Record<string, unknown>;
  const errors: PathError[] = [];
  if (typeof share !== 'number' || !Number.isFinite(share) || share < 0 || share > 1) {
    errors.push({ path: `${path}.share`, message: 'must be a number in [0, 1]' });
  }
  if (salt !== undefined && (typeof salt !== 'string' || salt.length === 0 || salt.length > 128 || salt.includes('/'))) {
    errors.push({ path: `${path}.salt`, message: 'must be a non-empty string of at most 128 characters without "/"' });
  }
  return errors;
}
