import type { World } from './world';
import { bearer } from './world';

/** Small helpers for event tests: timestamps relative to now, batches, counts lookups. */
export const at = (offsetMs: number, base = Date.now()) => new Date(base + offsetMs).toISOString();
export const MIN = 60_000;
export const HOUR = 3_600_000;

let seq = 0;
export const eid = (prefix = 'ev') => `${prefix}-${process.pid}-${++seq}`;

export function conversion(unitId: string, event: string, timestamp: string, value?: number, eventId = eid('c')) {
  return { type: 'conversion', eventId, unitId, event, timestamp, ...(value === undefined ? {} : { value }) };
}

export function exposure(unitId: string, experiment: string, timestamp: string, extra: Record<string, unknown> = {}, eventId = eid('x')) {
  return { type: 'exposure', eventId, unitId, experiment, timestamp, ...extra };
}

export async function send(world: World, events: unknown[], key?: string) {
  const res = await world.api.post('/v1/events').set(bearer(key ?? (await world.key('assign')))).send({ events });
  return res;
}

type VariantCounts = { variant: string; units: number; metrics: Record<string, { converters: number; count: number; sum: number; sumSquares: number; crossSum?: number }> };

export async function counts(world: World, key: string) {
  const res = await world.api.get(`/v1/experiments/${key}/counts`).set(bearer(world.adminKey)).expect(200);
  const body = res.body as { overall: VariantCounts[]; holdout: VariantCounts | null; segments: { attribute: string; value: string | null; variants: VariantCounts[] }[] };
  const total = (metric: string, field: 'converters' | 'count' | 'sum' | 'sumSquares' = 'converters') =>
    body.overall.reduce((a, v) => a + v.metrics[metric][field], 0);
  const units = () => body.overall.reduce((a, v) => a + v.units, 0);
  return { body, total, units };
}
