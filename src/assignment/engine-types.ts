/**
 * Input and output types of the pure assignment engine.
 *
 * Inputs are plain JSON-shaped data (the lead maps stored experiments onto them);
 * `compile()` turns an `AssignableExperiment` into a `CompiledExperiment` once, and
 * `assign()` then decides one unit at a time without re-normalising anything.
 */

/** One request attribute: targeting compares these strictly (no coercion). */
export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue>;

export type TargetingOp = 'eq' | 'neq' | 'in' | 'not_in' | 'gt' | 'gte' | 'lt' | 'lte' | 'exists';

export interface TargetingCondition {
  attribute: string;
  op: TargetingOp;
  value: unknown;
}

/** JSON targeting tree (part of the API contract): `{all:[...]}`, `{any:[...]}` or a condition. */
export type Targeting = { all: Targeting[] } | { any: Targeting[] } | TargetingCondition;

export interface AssignableVariant {
  key: string;
  /** Relative weight, >= 0; weights are normalised to sum 1 by `compile()`. */
  weight: number;
  /** For multivariate cells: factor key -> level key (see `expandFactorial`). */
  factors?: Record<string, string>;
}

/** A slice [start, end) of a layer's own hash space; slices in one layer must not overlap. */
export interface LayerSlice {
  key: string;
  start: number;
  end: number;
}

export type ExperimentStatus = 'draft' | 'running' | 'paused' | 'completed' | 'archived';

export interface AssignableExperiment {
  key: string;
  status: ExperimentStatus;
  /** Hash salt: no "/" (the first "/" of the hash input ends the salt), not "layer:"-prefixed. */
  salt: string;
  /** Declared order matters: it fixes the bucket ranges. */
  variants: AssignableVariant[];
  /** Key of the variant served to everyone not in the experiment. */
  control: string;
  /** Share of (eligible) units in the experiment, 0..1. */
  coverage: number;
  targeting?: Targeting | null;
  layer?: LayerSlice | null;
  respectsHoldout: boolean;
  /** QA overrides: unitId -> variant key (served with reason "forced", never counted). */
  overrides?: Record<string, string>;
}

/** Global holdout: units with bucket(salt, unitId) < share are held out. */
export interface HoldoutConfig {
  share: number;
  /** Defaults to DEFAULT_HOLDOUT_SALT ("verdict-holdout"). */
  salt?: string;
}

export type Reason =
  | 'bucketed'
  | 'not_running'
  | 'not_targeted'
  | 'coverage'
  | 'layer'
  | 'holdout'
  | 'forced'
  | 'opted_out';

/**
 * The engine's answer for one unit and one experiment. Results are shared, frozen
 * objects (precomputed by `compile()`): copy before adding fields.
 */
export interface Assignment {
  readonly experiment: string;
  readonly variant: string;
  /** True only for units that count in the results (reason "bucketed"). */
  readonly inExperiment: boolean;
  readonly reason: Reason;
  /** Present (true) only with reason "holdout": record it as a holdout exposure. */
  readonly holdout?: true;
  /** The served variant's factor levels, for multivariate experiments. */
  readonly factors?: Readonly<Record<string, string>>;
}

export interface Unit {
  unitId: string;
  attributes?: Attributes;
  /** `false` means the unit opted out: control everywhere, nothing recorded. */
  consent?: boolean;
}

export interface AssignOptions {
  holdout?: HoldoutConfig | null;
  /** Variant key this unit was already exposed with (from the exposure store). */
  sticky?: string | null;
  /** The unit's first exposure was recorded in the global holdout (from the exposure store). */
  recordedHoldout?: boolean;
}

/** A validation problem at a field path such as "variants[2].weight". */
export interface PathError {
  path: string;
  message: string;
}
