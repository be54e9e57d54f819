/**
 * assign(unit, compiled, { holdout, sticky }): the decision for one unit and one experiment.
 * First rule that applies: not_running, opted_out, forced, sticky (a recorded variant is kept,
 * "bucketed"; a recorded holdout exposure stays in the holdout), not_targeted, layer, coverage,
 * holdout, bucketed (hash.ts, rule 6).
 * Pure and allocation-light: at most three hashes, results are the precompiled frozen objects.
 */
import type { CompiledExperiment } from './compile';
import { bucketWith } from './hash';
import { isHeldOut } from './holdout';
import { matches } from './targeting';
import type { AssignOptions, Assignment, HoldoutConfig, Unit } from './engine-types';

/** `heldOut` is undefined when not yet computed (assignAll computes it once per unit). */
function decide(
  unit: Unit,
  c: CompiledExperiment,
  holdout: HoldoutConfig | null | undefined,
  sticky: string | null | undefined,
  recordedHoldout: boolean | undefined,
  heldOut: boolean | undefined,
): Assignment {
  if (!c.running) return c.controlFor.not_running;
  if (unit.consent === false) return c.controlFor.opted_out;
  const unitId = unit.unitId;
  if (c.forced.size > 0) {
    const forced = c.forced.get(unitId);
    if (forced !== undefined) return forced;
  }
  if (sticky !== null && sticky !== undefined) {
    const i = c.variantIndex.get(sticky);
    if (i !== undefined) return c.bucketed[i];
  }
  // The holdout group is judged on who was recorded in it: such a unit never gets personalization.
  if (recordedHoldout === true && c.respectsHoldout) return c.controlFor.holdout;
  if (c.targeting !== null && !matches(c.targeting, unit.attributes)) return c.controlFor.not_targeted;
  if (c.layerPrefix !== null) {
    const lb = bucketWith(c.layerPrefix, unitId);
    if (lb < c.layerStart || lb >= c.layerEnd) return c.controlFor.layer;
  }
  const b = bucketWith(c.saltPrefix, unitId);
  const { starts, ends } = c;
  let i = 0;
  while (i < ends.length && b >= ends[i]) i++;
  if (i === ends.length || b < starts[i]) return c.controlFor.coverage;
  // Held out only among units that would have been in the experiment: the holdout group is
  // then a like-for-like comparison for the units that do get personalization.
  if (c.respectsHoldout && (heldOut ?? isHeldOut(holdout, unitId))) return c.controlFor.holdout;
  return c.bucketed[i];
}

/** The assignment of one unit to one compiled experiment. `unit` must pass validateUnit. */
export function assign(unit: Unit, experiment: CompiledExperiment, options: AssignOptions = {}): Assignment {
  return decide(unit, experiment, options.holdout, options.sticky, options.recordedHoldout, undefined);
}

export interface AssignAllOptions {
  holdout?: HoldoutConfig | null;
  /** Experiment key -> variant key the unit was already exposed with. */
  sticky?: Readonly<Record<string, string>> | ReadonlyMap<string, string> | null;
  /** Keys of the experiments whose first exposure of the unit was recorded in the holdout. */
  recordedHoldout?: ReadonlySet<string> | null;
}

function stickyFor(sticky: AssignAllOptions['sticky'], key: string): string | undefined {
  if (!sticky) return undefined;
  if (sticky instanceof Map) return sticky.get(key);
  const record = sticky as Readonly<Record<string, string>>;
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** assign() for several experiments, hashing the holdout bucket at most once. */
export function assignAll(
  unit: Unit,
  experiments: readonly CompiledExperiment[],
  options: AssignAllOptions = {},
): Assignment[] {
  const { holdout, sticky, recordedHoldout } = options;
  let heldOut: boolean | undefined;
  const out: Assignment[] = new Array<Assignment>(experiments.length);
  for (let i = 0; i < experiments.length; i++) {
    const c = experiments[i];
    if (heldOut === undefined && c.running && c.respectsHoldout) heldOut = isHeldOut(holdout, unit.unitId);
    out[i] = decide(unit, c, holdout, stickyFor(sticky, c.key), recordedHoldout?.has(c.key), heldOut);
  }
  return out;
}
