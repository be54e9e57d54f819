import type { Stream } from '../model/experiment';
import type { Queryable } from './db';
import { unitHash } from './erasure-store';

/**
 * Per-unit aggregates, kept up to date on ingestion, in SQL.
 *
 * Attribution rule: a conversion at time t counts for experiment E when the unit's first
 * exposure to E is at or before t, t is within the metric's window from that exposure, and t
 * is before E completed. Two paths maintain it, and they must never miss each other:
 *   - conversions add themselves to the aggregates of the exposures already recorded;
 *   - a new (or earlier) first exposure recomputes that unit's aggregates from the raw events.
 * If both ran at once for one unit, each could miss the other's uncommitted row. So every
 * writer takes a transaction-level advisory lock first: conversion batches share it,
 * exposure writes, rebuilds, erasures and completions take it exclusively. A conversion
 * batch therefore sees every exposure committed before it, and an exposure write sees every
 * conversion.
 */
const AGGREGATES_LOCK = 7_421_002;

/**
 * The bound on a conversion's value, |value| <= 1e9 (openapi.yaml, ConversionEvent.value):
 * no real order comes near it, and sums of values this size cannot overflow a double.
 */
export const MAX_CONVERSION_VALUE = 1e9;

/**
 * An event's value as the aggregates count it: clamped at the bound. Ingestion refuses a
 * value beyond it, but events stored before the bound existed may hold anything up to
 * ±1.8e308, whose squares (or sums) overflow; the raw event is kept as recorded.
 */
const CLAMPED_VALUE = `LEAST(GREATEST(ev.value, -${MAX_CONVERSION_VALUE}::float8), ${MAX_CONVERSION_VALUE}::float8)`;

export async function lockAggregates(q: Queryable, mode: 'shared' | 'exclusive'): Promise<void> {
  await q.query(mode === 'shared' ? 'SELECT pg_advisory_xact_lock_shared($1)' : 'SELECT pg_advisory_xact_lock($1)', [AGGREGATES_LOCK]);
}

/** The attribution condition between exposure x, stream m, experiment e and event ev. */
const ATTRIBUTED = `ev.occurred_at >= x.first_exposed_at
    AND (m.window_hours IS NULL OR ev.occurred_at <= x.first_exposed_at + make_interval(secs => m.window_hours * 3600))
    AND (e.completed_at IS NULL OR ev.occurred_at < e.completed_at)`;

export interface ConversionRow {
  eventId: string;
  unitId: string;
  event: string;
  value: number | null;
  at: Date;
}

/**
 * How an event is told apart from every other: its id within its unit (event_ids' key). A
 * retry repeats both. Text with U+0000 is refused before it gets here, so the separator is free.
 */
export const eventKey = (unitId: string, eventId: string): string => `${unitId}\u0000${eventId}`;

/**
 * The first step of storing events, shared by both inserts: their ids claimed in event_ids
 * (ON CONFLICT DO NOTHING RETURNING), one row per (unit_id, event_id). Only an event whose id
 * is claimed here is inserted into the partitioned events, in the same statement; a retry, or
 * an event a concurrent transaction is storing, finds its id taken (the other transaction's
 * commit is waited for) and is not stored again.
 */
const CLAIM_IDS = `ids AS (
       INSERT INTO event_ids (unit_id, event_id) SELECT unit_id, event_id FROM input
       ON CONFLICT (unit_id, event_id) DO NOTHING
       RETURNING unit_id, event_id
     )`;

/**
 * Stores conversion events (once per unit and eventId) and adds the new ones to the aggregates
 * of every experiment the unit was already exposed to (one row per stream: metrics on the same
 * event and window share it). Returns the events actually stored (eventKey).
 * Call inside a transaction holding the shared aggregates lock.
 */
export async function insertConversions(q: Queryable, rows: readonly ConversionRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const { rows: stored } = await q.query<{ unit_id: string; event_id: string }>(
    `WITH input AS (
       SELECT DISTINCT ON (unit_id, event_id) *
         FROM json_to_recordset($1::json) AS t(event_id text, unit_id text, name text, value float8, occurred_at timestamptz)
     ), ${CLAIM_IDS}, ev AS (
       INSERT INTO events (event_id, unit_id, kind, name, value, occurred_at)
       SELECT i.event_id, i.unit_id, 'conversion', i.name, i.value, i.occurred_at
         FROM input i JOIN ids ON ids.unit_id = i.unit_id AND ids.event_id = i.event_id
       RETURNING event_id, unit_id, name, value, occurred_at
     ), attributed AS (
       INSERT INTO unit_metrics (experiment_id, unit_id, stream, cell, count, sum)
       SELECT x.experiment_id, x.unit_id, m.id, x.cell, count(*), coalesce(sum(${CLAMPED_VALUE}), 0)
         FROM ev
         JOIN exposures x ON x.unit_id = ev.unit_id
         JOIN experiment_streams m ON m.experiment_id = x.experiment_id AND m.event = ev.name
         JOIN experiments e ON e.id = x.experiment_id
        WHERE ${ATTRIBUTED}
        GROUP BY x.experiment_id, x.unit_id, m.id, x.cell
       ON CONFLICT (experiment_id, unit_id, stream) DO UPDATE
          SET count = unit_metrics.count + excluded.count, sum = unit_metrics.sum + excluded.sum
     )
     SELECT unit_id, event_id FROM ev`,
    // One JSON parameter: serialising it is native and much cheaper than five array literals.
    [JSON.stringify(rows.map((r) => ({ event_id: r.eventId, unit_id: r.unitId, name: r.event, value: r.value, occurred_at: r.at.toISOString() })))],
  );
  return new Set(stored.map((r) => eventKey(r.unit_id, r.event_id)));
}

/**
 * Stores exposure events (once per unit and eventId): the raw record only, the exposures
 * themselves are written by the caller for the events stored. Returns those (eventKey).
 */
export async function insertExposureEvents(q: Queryable, rows: readonly { eventId: string; unitId: string; experiment: string; at: Date }[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const { rows: stored } = await q.query<{ unit_id: string; event_id: string }>(
    `WITH input AS (
       SELECT DISTINCT ON (unit_id, event_id) *
         FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS t(event_id, unit_id, name, occurred_at)
     ), ${CLAIM_IDS}
     INSERT INTO events (event_id, unit_id, kind, name, occurred_at)
     SELECT i.event_id, i.unit_id, 'exposure', i.name, i.occurred_at
       FROM input i JOIN ids ON ids.unit_id = i.unit_id AND ids.event_id = i.event_id
     RETURNING unit_id, event_id`,
    [rows.map((r) => r.eventId), rows.map((r) => r.unitId), rows.map((r) => r.experiment), rows.map((r) => r.at.toISOString())],
  );
  return new Set(stored.map((r) => eventKey(r.unit_id, r.event_id)));
}

/**
 * Recomputes the aggregates of these (experiment, unit) pairs from the raw events: after a
 * unit's first exposure was recorded or moved earlier (conversions may have arrived first).
 * Call inside a transaction holding the exclusive aggregates lock.
 */
export async function recomputeUnits(q: Queryable, pairs: readonly { experimentId: number; unitId: string }[]): Promise<void> {
  if (pairs.length === 0) return;
  const params = [pairs.map((p) => p.experimentId), pairs.map((p) => p.unitId)];
  await q.query(
    `DELETE FROM unit_metrics u USING unnest($1::int[], $2::text[]) AS p(experiment_id, unit_id)
      WHERE u.experiment_id = p.experiment_id AND u.unit_id = p.unit_id`,
    params,
  );
  // Only conversions at or after the earliest of these exposures can count (ATTRIBUTED), so
  // they are read as a range of the conversions' time index: without statistics (the embedded
  // database never analyzes) the planner reads conversions through that index anyway, and
  // without the range it read every conversion ever stored for each batch of new exposures
  // (a cost growing with the events stored). The upper bound keeps the estimate narrow, as in
  // recomputeCompleted.
  await q.query(
    `WITH p AS (SELECT * FROM unnest($1::int[], $2::text[]) AS p(experiment_id, unit_id))
     INSERT INTO unit_metrics (experiment_id, unit_id, stream, cell, count, sum)
     SELECT x.experiment_id, x.unit_id, m.id, x.cell, count(*), coalesce(sum(${CLAMPED_VALUE}), 0)
       FROM p
       JOIN exposures x ON x.experiment_id = p.experiment_id AND x.unit_id = p.unit_id
       JOIN experiment_streams m ON m.experiment_id = x.experiment_id
       JOIN experiments e ON e.id = x.experiment_id
       JOIN events ev ON ev.unit_id = x.unit_id AND ev.name = m.event AND ev.kind = 'conversion'
      WHERE ${ATTRIBUTED}
        AND ev.occurred_at >= (SELECT min(y.first_exposed_at) FROM p JOIN exposures y ON y.experiment_id = p.experiment_id AND y.unit_id = p.unit_id)
        AND ev.occurred_at < 'infinity'
      GROUP BY x.experiment_id, x.unit_id, m.id, x.cell`,
    params,
  );
}

/**
 * On completion: the units of this experiment whose aggregates may hold a conversion at or
 * after `completedAt`, recomputed from the raw events. Conversions are attributed when they
 * are ingested, so one stamped after the completion moment (timestamps may be up to 5 minutes
 * ahead) or ingested while the completion was being committed may already be counted. Only
 * those units are touched: conversions at or after `completedAt` are found through the index
 * on events' time (they are the last few minutes of events), never by scanning the
 * experiment's units. Returns the number of units recomputed.
 * Call inside the completing transaction, after completed_at is set, holding the exclusive
 * aggregates lock: every ingestion that could still have read the experiment as running has
 * then committed, and every later one sees completed_at.
 */
export async function recomputeCompleted(q: Queryable, experimentId: number, completedAt: Date): Promise<number> {
  // The upper bound makes it a range, which the planner estimates as narrow even without
  // statistics (the embedded database never analyzes): it keeps to the index.
  const { rows } = await q.query<{ unit_id: string }>(
    `SELECT DISTINCT ev.unit_id
       FROM events ev
       JOIN experiment_streams m ON m.experiment_id = $1 AND m.event = ev.name
       JOIN exposures x ON x.experiment_id = $1 AND x.unit_id = ev.unit_id
      WHERE ev.kind = 'conversion' AND ev.occurred_at >= $2 AND ev.occurred_at < 'infinity'`,
    // A millisecond early: the database keeps microseconds, a Date only milliseconds.
    [experimentId, new Date(completedAt.getTime() - 1).toISOString()],
  );
  await recomputeUnits(
    q,
    rows.map((r) => ({ experimentId, unitId: r.unit_id })),
  );
  return rows.length;
}

/**
 * Rebuilds an experiment's aggregates (all streams, or only these) from the raw events.
 * Call inside a transaction holding the exclusive aggregates lock. Returns the rows written.
 */
export async function rebuildExperiment(q: Queryable, experimentId: number, streams?: readonly number[]): Promise<number> {
  const only = streams ? ' AND stream = ANY($2::int[])' : '';
  const params: unknown[] = streams ? [experimentId, streams] : [experimentId];
  await q.query(`DELETE FROM unit_metrics WHERE experiment_id = $1${only}`, params);
  const { rowCount } = await q.query(
    `INSERT INTO unit_metrics (experiment_id, unit_id, stream, cell, count, sum)
     SELECT x.experiment_id, x.unit_id, m.id, x.cell, count(*), coalesce(sum(${CLAMPED_VALUE}), 0)
       FROM exposures x
       JOIN experiment_streams m ON m.experiment_id = x.experiment_id${streams ? ' AND m.id = ANY($2::int[])' : ''}
       JOIN experiments e ON e.id = x.experiment_id
       JOIN events ev ON ev.unit_id = x.unit_id AND ev.name = m.event AND ev.kind = 'conversion'
      WHERE x.experiment_id = $1 AND ${ATTRIBUTED}
      GROUP BY x.experiment_id, x.unit_id, m.id, x.cell`,
    params,
  );
  return rowCount;
}

/**
 * Makes experiment_streams match the definition's metrics, keeping the ids of the streams
 * that stay; returns the ids of the streams added (their aggregates must be built from the
 * raw events). Aggregates of removed streams are deleted.
 */
export async function syncStreams(q: Queryable, experimentId: number, streams: readonly Stream[]): Promise<{ added: number[]; removed: number[] }> {
  const { rows: removedRows } = await q.query<{ id: number }>(
    'DELETE FROM experiment_streams WHERE experiment_id = $1 AND NOT (stream = ANY($2::text[])) RETURNING id',
    [experimentId, streams.map((s) => s.stream)],
  );
  const removed = removedRows.map((r) => r.id);
  if (removed.length) await q.query('DELETE FROM unit_metrics WHERE experiment_id = $1 AND stream = ANY($2::int[])', [experimentId, removed]);
  const { rows: addedRows } = await q.query<{ id: number }>(
    `INSERT INTO experiment_streams (experiment_id, stream, event, window_hours)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::float8[])
     ON CONFLICT (experiment_id, stream) DO NOTHING RETURNING id`,
    [experimentId, streams.map((s) => s.stream), streams.map((s) => s.event), streams.map((s) => s.windowHours)],
  );
  return { added: addedRows.map((r) => r.id), removed };
}

/** Tombstones outlive any exposure still queued somewhere (a queue waits out a database outage, not weeks). */
const ERASURE_TOMBSTONE_DAYS = 30;

/**
 * Everything stored about a unit, gone, and a tombstone (its hash and the moment) so that an
 * exposure assigned before now but still queued on another instance cannot bring it back.
 * Call holding the exclusive aggregates lock.
 */
export async function eraseUnit(q: Queryable, unitId: string): Promise<{ exposures: number; events: number; aggregates: number; experimentIds: number[] }> {
  await q.query(`DELETE FROM erasures WHERE erased_at < now() - make_interval(days => $1)`, [ERASURE_TOMBSTONE_DAYS]);
  await q.query(
    `INSERT INTO erasures (unit_hash, erased_at) VALUES ($1, clock_timestamp())
     ON CONFLICT (unit_hash) DO UPDATE SET erased_at = excluded.erased_at`,
    [unitHash(unitId)],
  );
  const exposures = await q.query<{ experiment_id: number }>('DELETE FROM exposures WHERE unit_id = $1 RETURNING experiment_id', [unitId]);
  const experimentIds = exposures.rows.map((r) => r.experiment_id);
  // Aggregates exist only for exposed units: their experiments name them (primary key lookups).
  const aggregates = await q.query('DELETE FROM unit_metrics WHERE experiment_id = ANY($1::int[]) AND unit_id = $2', [experimentIds, unitId]);
  const events = await q.query('DELETE FROM events WHERE unit_id = $1', [unitId]);
  // Its ids too: an event of the unit sent again is refused by the tombstone, not as a duplicate.
  await q.query('DELETE FROM event_ids WHERE unit_id = $1', [unitId]);
  return { exposures: exposures.rowCount, events: events.rowCount, aggregates: aggregates.rowCount, experimentIds };
}
