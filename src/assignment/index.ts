/**
 * Pure assignment engine: which variant a unit sees. No I/O; the algorithm is specified in hash.ts.
 * Typical use: `const c = compile(experiment)` when experiments load, then
 * `assign(unit, c, { holdout, sticky })` per request (or `assignAll` for several experiments).
 */
export * from './engine-types';
export { hashInput, hash32, bucket } from './hash';
export { compile, InvalidExperimentError } from './compile';
export type { CompiledExperiment, ControlReason } from './compile';
export { assign, assignAll } from './assign';
export type { AssignAllOptions } from './assign';
export { validateExperiment, STATUSES, MAX_SALT_LENGTH, MAX_VARIANT_KEY_LENGTH } from './validate-experiment';
export { validateUnit, validateUnitId, validateAttributes, unstorable, MAX_UNIT_ID_LENGTH } from './unit';
export {
  matches,
  validateTargeting,
  MAX_TARGETING_DEPTH,
  MAX_TARGETING_CONDITIONS,
  MAX_ATTRIBUTE_NAME_LENGTH,
} from './targeting';
export {
  slicesOverlap,
  findOverlap,
  layerSalt,
  layerBucket,
  validateLayerSlice,
  LAYER_SALT_PREFIX,
  LAYER_KEY_PATTERN,
} from './layers';
export { isHeldOut, validateHoldout, DEFAULT_HOLDOUT_SALT } from './holdout';
export { expandFactorial, validateFactors, MAX_FACTORIAL_CELLS, SLUG_PATTERN } from './factorial-design';
export type { Factor, FactorLevel, FactorialVariant, FactorialDesign, FactorialResult } from './factorial-design';
