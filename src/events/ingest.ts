import { assign, compile, type CompiledExperiment, type HoldoutConfig } from '../assignment';
import type { components } from '../api/schema';
import { VerdictError, type FieldError } from '../errors';
import type { LiveExperiment, Registry } from '../experiments/registry';
import { toAssignable } from '../experiments/registry';
import type { Contract } from '../http/openapi';
import { insertConversions, lockAggregates, type ConversionRow } from '../store/aggregates';
import type { Db, Queryable } from '../store/db';
import { writeExposures, type ExposureRow } from '../store/exposures';
import type { ExposureRecorder } from './exposures';

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

function eventTime(e: { timestamp?: string }, now: Date): { at: Date } | { reason: string } {
  if (e.timestamp === undefined) return { at: now };
  const at = new Date(e.timestamp);
  if (now.getTime() - at.getTime() > MAX_AGE_MS) return { reason: 'timestamp is more than 7 days old' };
  if (at.getTime() - now.getTime() > MAX_AHEAD_MS) return { reason: 'timestamp is more than 5 minutes in the future' };
  return { at };
}

export function createIngestor(db: Db, registry: Registry, recorder: ExposureRecorder, contract: Contract, holdout: HoldoutConfig): Ingestor {
  const validate = { conversion: contract.schema('ConversionEvent'), exposure: contract.schema('ExposureEvent') };
  // Exposure events are judged as /v1/assign would judge them while the experiment runs.
  const asRunning = new WeakMap<LiveExperiment, CompiledExperiment>();
  const runningCompiled = (e: LiveExperiment) => {
    let c = asRunning.get(e);
    if (!c) asRunning.set(e, (c = compile({ ...toAssignable(e.row), status: 'running' })));
    return c;
  };

  /** Recorded variants of these (experiment, unit) pairs: an exposed unit keeps its variant. */
  async function recorded(q: Queryable, pairs: { experimentId: number; unitId: string }[]) {
    if (pairs.length === 0) return new Map<string, string>();
    const { rows } = await q.query<{ experiment_id: number; unit_id: string; variant: string; holdout: boolean }>(
      `SELECT x.experiment_id, x.unit_id, x.variant, x.holdout FROM exposures x
         JOIN unnest($1::int[], $2::text[]) AS p(experiment_id, unit_id) ON x.experiment_id = p.experiment_id AND x.unit_id = p.unit_id`,
      [pairs.map((p) => p.experimentId), pairs.map((p) => p.unitId)],
    );
    return new Map(rows.filter((r) => !r.holdout).map((r) => [`${r.experiment_id}:${r.unit_id}`, r.variant]));
  }

  return {
    async ingest(events, now = new Date()) {
      if (events.length > MAX_EVENTS) {
        throw new VerdictError('too_large', `a batch holds at most ${MAX_EVENTS} events; this one has ${events.length}: split it`);
      }
      const rejected: Rejection[] = [];
      const conversions: (ConversionRow & { index: number })[] = [];
      const exposures: { index: number; event: ExposureEvent; experiment: LiveExperiment; at: Date }[] = [];
      const seen = new Set<string>();
      let duplicates = 0;

      events.forEach((raw, index) => {
        const type = (raw as { type?: unknown } | null)?.type;
        const eventId = typeof (raw as { eventId?: unknown } | null)?.eventId === 'string' ? (raw as { eventId: string }).eventId : undefined;
        if (type !== 'conversion' && type !== 'exposure') {
          rejected.push({ index, eventId, reason: 'type must be "conversion" or "exposure"', field: '/type' });
          return;
        }
        const errors: FieldError[] = validate[type](raw);
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
        if (seen.has(e.eventId)) {
          duplicates++;
          return;
        }
        seen.add(e.eventId);
        if (e.type === 'conversion') {
          conversions.push({ index, eventId: e.eventId, unitId: e.unitId, event: e.event, value: e.value ?? null, at: time.at });
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
        if (problem) rejected.push({ index, eventId, reason: problem, field: '/experiment' });
        else exposures.push({ index, event: e, experiment: experiment!, at: time.at });
      });

      const stored = await db.transaction(async (tx) => {
        // Exposure writes need the aggregates to themselves; conversions only share them.
        await lockAggregates(tx, exposures.length > 0 ? 'exclusive' : 'shared');
        const sticky = await recorded(tx, exposures.map((x) => ({ experimentId: x.experiment.row.id, unitId: x.event.unitId })));
        const exposureRows = new Map<string, ExposureRow & { eventId: string; index: number }>();
        for (const x of exposures) {
          const { event, experiment } = x;
          const key = `${experiment.row.id}:${event.unitId}`;
          const a = assign({ unitId: event.unitId, attributes: event.attributes }, runningCompiled(experiment), { holdout, sticky: sticky.get(key) });
          if (a.reason !== 'bucketed' && a.reason !== 'holdout') {
            rejected.push({ index: x.index, eventId: event.eventId, reason: `unit "${event.unitId}" is not in experiment "${event.experiment}" (${a.reason})`, field: '/unitId' });
            continue;
          }
          if (event.variant !== undefined && event.variant !== a.variant) {
            rejected.push({ index: x.index, eventId: event.eventId, reason: `variant "${event.variant}" disagrees with the assignment ("${a.variant}")`, field: '/variant' });
            continue;
          }
          const segments: ExposureRow['segments'] = {};
          for (const s of experiment.row.segments) if (event.attributes && Object.hasOwn(event.attributes, s)) segments[s] = event.attributes[s];
          const row = { experimentId: experiment.row.id, unitId: event.unitId, variant: a.variant, holdout: a.reason === 'holdout', at: x.at, segments, eventId: event.eventId, index: x.index };
          const earlier = exposureRows.get(key);
          if (!earlier || row.at < earlier.at) exposureRows.set(key, row);
        }
        const exposureEvents = exposures.filter((x) => !rejected.some((r) => r.index === x.index));
        let newExposureIds = new Set<string>();
        if (exposureEvents.length) {
          const { rows } = await tx.query<{ event_id: string }>(
            `INSERT INTO events (event_id, unit_id, kind, name, occurred_at)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
             ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
            [
              exposureEvents.map((x) => x.event.eventId),
              exposureEvents.map((x) => x.event.unitId),
              exposureEvents.map(() => 'exposure'),
              exposureEvents.map((x) => x.event.experiment),
              exposureEvents.map((x) => x.at.toISOString()),
            ],
          );
          newExposureIds = new Set(rows.map((r) => r.event_id));
          // A retried exposure is not recorded again; the earliest new one per unit is.
          await writeExposures(tx, [...exposureRows.values()].filter((r) => newExposureIds.has(r.eventId)));
        }
        const newConversionIds = await insertConversions(tx, conversions);
        return { exposures: newExposureIds, conversions: newConversionIds, rows: [...exposureRows.values()].filter((r) => newExposureIds.has(r.eventId)), exposureEvents: exposureEvents.length };
      });

      await recorder.markExposed(stored.rows);
      const accepted = stored.exposures.size + stored.conversions.size;
      duplicates += stored.exposureEvents - stored.exposures.size + conversions.length - stored.conversions.size;
      rejected.sort((a, b) => a.index - b.index);
      return { accepted, duplicates, rejected };
    },
  };
}
