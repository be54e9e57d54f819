import { compile, type Assignment, type CompiledExperiment, type HoldoutConfig } from '../assignment';
import type { components } from '../contract/schema';

/**
 * A configuration snapshot (GET /v1/config) compiled once for the hot path: each experiment
 * through the server's own pure engine (src/assignment, imported, never copied), and each of
 * the engine's precomputed results turned once into the frozen answer /v1/assign gives for it
 * (with the variant's payload). `assign` then only hashes, compares and looks up.
 */
export type ConfigSnapshot = components['schemas']['ConfigSnapshot'];
export type ConfigExperiment = components['schemas']['ConfigExperiment'];
/** One assignment, field for field what /v1/assign answers (plus `not_ready`, see client.ts). */
export type SdkAssignment = Omit<components['schemas']['Assignment'], 'reason'> & {
  reason: components['schemas']['Assignment']['reason'] | 'not_ready';
};

export interface CompiledEntry {
  key: string;
  compiled: CompiledExperiment;
  running: boolean;
  /** The answer for each engine result. */
  answers: Map<Assignment, SdkAssignment>;
}

export interface CompiledSnapshot {
  version: number;
  holdout: HoldoutConfig | null;
  byKey: Map<string, CompiledEntry>;
  /** The running experiments, in the snapshot's order (/v1/assign's default set). */
  running: CompiledEntry[];
}

function answer(a: Assignment, payload: unknown): SdkAssignment {
  const out: SdkAssignment = { experiment: a.experiment, variant: a.variant, inExperiment: a.inExperiment, reason: a.reason };
  if (a.factors) out.factors = a.factors;
  if (payload !== undefined) out.payload = payload as SdkAssignment['payload'];
  return Object.freeze(out);
}

/**
 * The engine's variants. An experiment that is not running comes as its control alone (all the
 * engine can answer for it is that control, reason not_running); a weightless second variant,
 * never served, makes it a valid engine input.
 */
function variantsOf(e: ConfigExperiment) {
  const variants = e.variants.map((v) => ({ key: v.key, weight: v.weight, ...(v.factors ? { factors: v.factors } : {}) }));
  if (e.status !== 'running' && variants.length === 1) variants.push({ key: `${e.control}~not-running`, weight: 0 });
  return variants;
}

export function compileSnapshot(snapshot: ConfigSnapshot): CompiledSnapshot {
  const byKey = new Map<string, CompiledEntry>();
  const running: CompiledEntry[] = [];
  for (const e of snapshot.experiments) {
    let compiled: CompiledExperiment;
    try {
      compiled = compile({
        key: e.key,
        status: e.status,
        salt: e.salt,
        variants: variantsOf(e),
        control: e.control,
        coverage: e.coverage,
        targeting: e.targeting as Parameters<typeof compile>[0]['targeting'],
        layer: e.layer,
        respectsHoldout: e.respectsHoldout,
        overrides: e.overrides ?? {},
      });
    } catch {
      continue; // the server skips an experiment it cannot compile; so does the SDK
    }
    const payloads = new Map<string, unknown>();
    for (const v of e.variants) if (v.payload !== undefined) payloads.set(v.key, v.payload);
    const answers = new Map<Assignment, SdkAssignment>();
    const note = (a: Assignment) => answers.set(a, answer(a, payloads.get(a.variant)));
    compiled.bucketed.forEach(note);
    Object.values(compiled.controlFor).forEach(note);
    compiled.forced.forEach(note);
    const entry: CompiledEntry = { key: e.key, compiled, running: e.status === 'running', answers };
    byKey.set(e.key, entry);
    if (entry.running) running.push(entry);
  }
  return { version: snapshot.version, holdout: snapshot.holdout, byKey, running };
}
