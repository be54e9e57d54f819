import { CacheUnavailableError, VerdictError, notFound } from '../errors';
import { eraseUnit, lockAggregates, rebuildExperiment } from '../store/aggregate-store';
import { appendAudit } from '../store/audit-store';
import { unitHash } from '../store/erasure-store';
import { CHANNELS, type Cache } from '../store/cache';
import type { Db } from '../store/db';
import { findExperiment } from '../store/experiment-store';
import type { ExposureRecorder } from '../serving/exposure-recorder';
import { markKey } from '../serving/exposure-recorder';

/**
 * What is stored about units, rebuilt and removed: re-aggregation from the raw events, and
 * erasure of a unit everywhere (right to erasure).
 */
export interface UnitData {
  reaggregate(actor: string, key: string): Promise<{ experiment: string; rows: number }>;
  erase(actor: string, unitId: string): Promise<{ unitId: string; exposures: number; events: number; aggregates: number }>;
  close(): Promise<void>;
}

/** The audit log keeps a hash of an erased unit id, never the id itself. */

/** `experimentUids`: the experiments whose marks may exist (every one the registry holds). */
export async function createUnitData(db: Db, cache: Cache, recorder: ExposureRecorder, experimentUids: () => string[]): Promise<UnitData> {
  async function experiment(key: string) {
    const e = await findExperiment(db, key);
    if (!e) throw notFound(`no experiment with key "${key}"`);
    return e;
  }
  // Erasures on other instances: drop what this one holds of the unit (queued exposures, marks).
  const unsubscribe = await cache.subscribe(CHANNELS.unitsErased, (unitId) => recorder.forget(experimentUids(), unitId));

  return {
    async reaggregate(actor, key) {
      const e = await experiment(key);
      const rows = await db.transaction(async (tx) => {
        await lockAggregates(tx, 'exclusive');
        const n = await rebuildExperiment(tx, e.id);
        await appendAudit(tx, { actor, action: 'reaggregate', experimentKey: key, details: { rows: n } });
        return n;
      });
      return { experiment: key, rows };
    },
    async erase(actor, unitId) {
      // First forget what is queued here, so a pending exposure cannot bring the unit back.
      recorder.forget(experimentUids(), unitId);
      const erased = await db.transaction(async (tx) => {
        await lockAggregates(tx, 'exclusive');
        const result = await eraseUnit(tx, unitId);
        await appendAudit(tx, {
          actor,
          action: 'unit.erase',
          experimentKey: null,
          details: { unitHash: unitHash(unitId), exposures: result.exposures, events: result.events, aggregates: result.aggregates },
        });
        return result;
      });
      try {
        for (const uid of experimentUids()) await cache.del(markKey(uid, unitId));
        await cache.publish(CHANNELS.unitsErased, unitId);
      } catch (err) {
        if (!(err instanceof CacheUnavailableError)) throw err;
        // Its marks would keep a later visit from being recorded: the erasure is not done until they are gone.
        throw new VerdictError('unavailable', 'the unit was erased from the database, but Redis is unavailable to clear its exposure marks; retry the erasure shortly', {
          type: 'cache-unavailable',
          headers: { 'Retry-After': '2' },
        });
      }
      return { unitId, exposures: erased.exposures, events: erased.events, aggregates: erased.aggregates };
    },
    close: unsubscribe,
  };
}
