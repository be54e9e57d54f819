import { assign, compile, type CompiledExperiment, type HoldoutConfig } from '../assignment';
import type { components } from '../contract/schema';
import { VerdictError, type FieldError } from '../errors';
import { segmentValues, storedAttributes } from '../model/attributes';
import type { LiveExperiment, Registry } from '../serving/registry';
import { toAssignable } from '../serving/registry';
import { unstorableFields, type Spec } from '../contract';
import { eventKey, insertConversions, insertExposureEvents, lockAggregates, type ConversionRow } from '../store/aggregate-store';
import type { Db, Queryable } from '../store/db';
import { erasedAt } from '../store/erasure-store';
import { recordedExposures, writeExposures } from '../store/exposure-store';
import { systemClock, type Clock } from '../clock';
import type { ExposureRecorder, QueuedExposure } from '../serving/exposure-recorder';

/**
 * POST /v1/events: validate each event on its own, then store every valid one in one
 * transaction: the raw events once per eventId, conversions attributed to the experiments
 * the unit was exposed to, exposures recorded (their variant computed here, never taken
 * from the client) with the unit's aggregates brought up to date. The answer is given only
 * after the commit; if the database fails, nothing of the batch is stored.
 */
type ConversionEvent = components['schemas']['ConversionEvent'];
type ExposureEvent = components['schemas']['ExposureEvent'];
export type IngestResult = components['schemas']['EventBatchResult'];

export const MAX_EVENTS = 1000;
const MAX_AGE_MS = 7 * 24 * 3600 * 1000;
const MAX_AHEAD_MS = 5 * 60 * 1000;

export interface Ingestor {
  ingest(events: unknown[], now?: Date): Promise<IngestResult>;
}

interface Rejection {
  index: number;
  eventId?: string;
  reason: string;
  field?: string;
}

/**
 * When the event happened. The contract's date-time check passes text that is no moment a
 * Date can hold: a leap second (23:59:60, RFC 3339 allows it; JavaScript has none) gives an
 * invalid Date, and an invalid Date throws where it is written. Refused here, per event.
 */
function eventTime(e: { timestamp?: string }, now: Date): { at: Date } | { reason: string } {
  if (e.timestamp === undefined) return { at: now };
  const at = new Date(e.timestamp);
  if (Number.isNaN(at.getTime())) return { reason: 'timestamp is not a moment this service can record: a leap second (23:59:60) has none; send 23:59:59 or the next second' };
  if (now.getTime() - at.getTime() > MAX_AGE_MS) return { reason: 'timestamp is more than 7 days old' };
  if (at.getTime() - now.getTime() > MAX_AHEAD_MS) return { reason: 'timestamp is more than 5 minutes in the future' };
  return { at };
}

export function createIngestor(
  db: Db,
  registry: Registry,
  recorder: ExposureRecorder,
  contract: Pick<Spec, 'schema'>,
  holdout: HoldoutConfig,
  clock: Clock = systemClock,
): Ingestor {
  const validate = { conversion: contract.schema('ConversionEvent'), exposure: contract.schema('ExposureEvent') };
  // Exposure events are judged as /v1/assign would judge them while the experiment runs.
  const asRunning = new WeakMap<LiveExperiment, CompiledExperiment>();
  const runningCompiled = (e: LiveExperiment) => {
    let c = asRunning.get(e);
    if (!c) asRunning.set(e, (c = compile({ ...toAssignable(e.row), status: 'running' })));
    return c;
  };

  /** Recorded first exposures of these (experiment, unit) pairs: an exposed unit keeps its variant (or its place in the holdout). */
  async function recorded(q: Queryable, pairs: { experimentId: number; unitId: string }[]) {
    const rows = await recordedExposures(q, pairs);
    return new Map(rows.map((r) => [`${r.experimentId}:${r.unitId}`, r]));
  }

  return {
    async ingest(events, now = clock.now()) {
      if (events.length > MAX_EVENTS) {
        throw new VerdictError('too_large', `a batch holds at most ${MAX_EVENTS} events; this one has ${events.length}: split it`);
      }
      const rejected: Rejection[] = [];
      // Events that passed validation, in batch order. Which of them are stored, rejected or
      // duplicates of an earlier one is decided in one pass inside the transaction (exposures
      // are judged against the recorded assignments there): only an event that is stored (or
      // was stored before) makes a later one with its eventId a duplicate.
      type Candidate =
        | { index: number; kind: 'conversion'; row: ConversionRow }
        | { index: number; kind: 'exposure'; event: ExposureEvent; at: Date; experiment?: LiveExperiment; problem: string | null };
      const candidates: Candidate[] = [];
      /** What every candidate has, whichever its kind. */
      const common = (c: Candidate) => (c.kind === 'conversion' ? c.row : { eventId: c.event.eventId, unitId: c.event.unitId, at: c.at });

      events.forEach((raw, index) => {
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
          rejected.push({ index, reason: 'an event must be an object: a conversion or an exposure', field: '/' });
          return;
        }
        const type = (raw as { type?: unknown }).type;
        const eventId = typeof (raw as { eventId?: unknown }).eventId === 'string' ? (raw as { eventId: string }).eventId : undefined;
        if (type !== 'conversion' && type !== 'exposure') {
          rejected.push({ index, eventId, reason: 'type must be "conversion" or "exposure"', field: '/type' });
          return;
        }
        const errors: FieldError[] = validate[type](raw);
        // Text the database could not store (U+0000, an unpaired surrogate), in a value or a name, would fail the whole batch.
        if (errors.length === 0) errors.push(...unstorableFields(raw));
        if (errors.length) {
          rejected.push({ index, eventId, reason: errors.map((e) => `${e.field} ${e.message}`).join('; '), field: errors[0].field });
          return;
        }
        const e = raw as ConversionEvent | ExposureEvent;
        const time = eventTime(e, now);
        if ('reason' in time) {
          rejected.push({ index, eventId, reason: time.reason, field: '/timestamp' });
          return;
        }
        if (e.type === 'conversion') {
          candidates.push({ index, kind: 'conversion', row: { eventId: e.eventId, unitId: e.unitId, event: e.event, value: e.value ?? null, at: time.at } });
          return;
        }
        const experiment = registry.get(e.experiment);
        const row = experiment?.row;
        const problem = !row
          ? `no experiment "${e.experiment}"`
          : row.status === 'draft' || !row.startedAt
            ? `experiment "${e.experiment}" has not started`
            : time.at < new Date(row.startedAt)
              ? `the exposure is before experiment "${e.experiment}" started (${row.startedAt})`
              : row.completedAt && time.at >= new Date(row.completedAt)
                ? `the exposure is after experiment "${e.experiment}" completed (${row.completedAt})`
                : null;
        candidates.push({ index, kind: 'exposure', event: e, at: time.at, experiment, problem });
      });

      const stored = await db.transaction(async (tx) => {
        const judgeable = candidates.flatMap((c) => (c.kind === 'exposure' && !c.problem ? [{ ...c, experiment: c.experiment! }] : []));
        // Exposure writes need the aggregates to themselves; conversions only share them.
        await lockAggregates(tx, judgeable.length > 0 ? 'exclusive' : 'shared');
        const sticky = await recorded(tx, judgeable.map((x) => ({ experimentId: x.experiment.row.id, unitId: x.event.unitId })));
        // Data from before a unit's erasure, arriving late (a retry, another instance), is not stored again.
        const erased = await erasedAt(tx, candidates.map((c) => common(c).unitId));
        const refused: Rejection[] = [];
        const conversions: ConversionRow[] = [];
        const exposureEvents: { index: number; event: ExposureEvent; at: Date }[] = [];
        const exposureRows = new Map<string, QueuedExposure & { eventId: string; index: number }>();
        const seen = new Set<string>();
        let repeated = 0;
        for (const c of candidates) {
          const { eventId, unitId, at } = common(c);
          const erasure = erased.get(unitId);
          if (erasure && erasure >= at) {
            refused.push({ index: c.index, eventId, reason: `unit "${unitId}" was erased at ${erasure.toISOString()}; events from before its erasure are not stored`, field: '/unitId' });
            continue;
          }
          // An event is its id within its unit (event_ids' key): a retry repeats both.
          const id = eventKey(unitId, eventId);
          if (seen.has(id)) {
            repeated++;
            continue;
          }
          if (c.kind === 'conversion') {
            seen.add(id);
            conversions.push(c.row);
            continue;
          }
          const { event, index } = c;
          if (c.problem) {
            refused.push({ index, eventId, reason: c.problem, field: '/experiment' });
            continue;
          }
          const experiment = c.experiment!;
          const key = `${experiment.row.id}:${event.unitId}`;
          const record = sticky.get(key);
          const a = assign({ unitId: event.unitId, attributes: event.attributes }, runningCompiled(experiment), {
            holdout,
            sticky: record && !record.holdout ? record.variant : undefined,
            recordedHoldout: record?.holdout,
          });
          if (a.reason !== 'bucketed' && a.reason !== 'holdout') {
            refused.push({ index, eventId, reason: `unit "${event.unitId}" is not in experiment "${event.experiment}" (${a.reason})`, field: '/unitId' });
            continue;
          }
          if (event.variant !== undefined && event.variant !== a.variant) {
            refused.push({ index, eventId, reason: `variant "${event.variant}" disagrees with the assignment ("${a.variant}")`, field: '/variant' });
            continue;
          }
          seen.add(id);
          exposureEvents.push({ index, event, at: c.at });
          const segments = segmentValues(event.attributes, experiment.row.segments);
          const attributes = storedAttributes(event.attributes, experiment.row.segments);
          const row = { experimentId: experiment.row.id, uid: experiment.row.uid, unitId: event.unitId, variant: a.variant, holdout: a.reason === 'holdout', at: c.at, segments, attributes, eventId, index };
          const earlier = exposureRows.get(key);
          if (!earlier || row.at < earlier.at) exposureRows.set(key, row);
        }
        let newExposureIds = new Set<string>();
        if (exposureEvents.length) {
          newExposureIds = await insertExposureEvents(
            tx,
            exposureEvents.map((x) => ({ eventId: x.event.eventId, unitId: x.event.unitId, experiment: x.event.experiment, at: x.at })),
          );
          // A retried exposure is not recorded again; the earliest new one per unit is.
          await writeExposures(tx, [...exposureRows.values()].filter((r) => newExposureIds.has(eventKey(r.unitId, r.eventId))));
        }
        const newConversionIds = await insertConversions(tx, conversions);
        return {
          rows: [...exposureRows.values()].filter((r) => newExposureIds.has(eventKey(r.unitId, r.eventId))),
          refused,
          // Stored now; the rest of the judged events were stored before (retries).
          accepted: newExposureIds.size + newConversionIds.size,
          duplicates: repeated + exposureEvents.length - newExposureIds.size + conversions.length - newConversionIds.size,
        };
      });

      await recorder.markExposed(stored.rows);
      rejected.push(...stored.refused);
      rejected.sort((a, b) => a.index - b.index);
      return { accepted: stored.accepted, duplicates: stored.duplicates, rejected };
    },
  };
}
