import { assign, type Assignment, type HoldoutConfig } from '../assignment';
import type { components } from '../contract/schema';
import { segmentValues, storedAttributes } from '../model/attributes';
import type { ExposureRecorder } from './exposure-recorder';
import { systemClock, type Clock } from '../clock';
import { payloadOf, type LiveExperiment, type Registry } from './registry';

/**
 * The answer to POST /v1/assign: the live experiments from the in-memory registry, the pure
 * engine, and first-exposure recording. What is already known of the unit (its recorded
 * variant, or that it was recorded in the holdout) is looked up in one batch: in process,
 * else one Redis MGET (skipped while Redis is down), and only for experiments narrowed after
 * their start, the database's record (batched across requests, bounded in time; see
 * exposure-recorder.ts). Neither an outage of Redis nor of the database fails this path.
 * Each assignment in the answer is a shared, frozen object (one per engine result), so the
 * HTTP layer may keep its JSON text.
 */
export type AssignRequest = components['schemas']['AssignRequest'];
export type AssignResponse = components['schemas']['AssignResponse'];
type Out = components['schemas']['Assignment'];

export interface Assigner {
  assign(request: AssignRequest): Promise<AssignResponse>;
}

/** The answer for a key that names no experiment: show your default. */
const unknown = (key: string): Out => ({ experiment: key, variant: null, inExperiment: false, reason: 'unknown' });

/** The engine's result as the API shows it (without its internal holdout flag); made once per result. */
const presented = new WeakMap<Assignment, Out>();
function present(a: Assignment): Out {
  let out = presented.get(a);
  if (!out) {
    out = { experiment: a.experiment, variant: a.variant, inExperiment: a.inExperiment, reason: a.reason };
    if (a.factors) out.factors = a.factors;
    const payload = payloadOf(a);
    if (payload !== undefined) out.payload = payload as Out['payload'];
    Object.freeze(out);
    presented.set(a, out);
  }
  return out;
}

export function createAssigner(registry: Registry, recorder: ExposureRecorder, holdout: HoldoutConfig, clock: Clock = systemClock): Assigner {
  return {
    async assign(request) {
      const { unitId, attributes } = request;
      const track = request.track !== false;
      const consent = request.consent !== false;
      const targets: readonly (LiveExperiment | string)[] = request.experiments
        ? request.experiments.map((key) => registry.get(key) ?? key)
        : registry.running();

      // What we know of the unit per running experiment: its recorded variant (sticky) or holdout.
      const live = consent ? targets.filter((t): t is LiveExperiment => typeof t !== 'string' && t.row.status === 'running') : [];
      const known = live.length > 0 ? await recorder.known(unitId, live.map((e) => e.marks)) : [];
      const knownOf = new Map(live.map((e, i) => [e, known[i]]));

      const unit = { unitId, attributes, consent };
      const now = clock.now();
      const assignments = targets.map((target) => {
        if (typeof target === 'string') {
          const archived = registry.archived(target);
          return archived ? present(archived) : unknown(target);
        }
        const mark = knownOf.get(target) ?? null;
        const sticky = mark !== null && mark.startsWith('v:') ? mark.slice(2) : undefined;
        const a = assign(unit, target.compiled, { holdout, sticky, recordedHoldout: mark === 'h' });
        if (track && consent && mark === null && (a.reason === 'bucketed' || a.reason === 'holdout')) {
          recorder.record({
            experimentId: target.row.id,
            uid: target.row.uid,
            unitId,
            variant: a.variant,
            holdout: a.reason === 'holdout',
            at: now,
            segments: segmentValues(attributes, target.row.segments),
            attributes: storedAttributes(attributes, target.row.segments),
          });
        }
        return present(a);
      });
      return { unitId, assignments };
    },
  };
}
