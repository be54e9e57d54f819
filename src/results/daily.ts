import type { components } from '../contract/schema';
import type { Experiment } from '../model/experiment';
import type { CellRow, CrossRow, StreamRow, UnitsRow } from '../store/count-store';
import { computeResults } from './compute';
import { buildCounts } from './counts';

/**
 * The cumulative results over time (GET /v1/experiments/{key}/results/daily): for every UTC
 * day from the first exposure to the last, the results of one metric over the units first
 * exposed by the end of that day. The rows are the count store's, grouped also by day of first
 * exposure; the rows of days up to d are exactly the counts of that cohort, so each day is
 * computed by the same code as /results (its last day equals the overall block). Pure.
 */
export type DailyResults = components['schemas']['DailyResults'];

/** At most this many days, the most recent. */
export const MAX_DAYS = 366;
const DAY_MS = 86_400_000;

export interface DailyRows {
  cells: CellRow[];
  units: UnitsRow[];
  streams: StreamRow[];
  cross: CrossRow[];
}

export function dailyResults(e: Experiment, metric: string, rows: DailyRows, now: Date): DailyResults {
  const days = rows.units.map((r) => r.day ?? 0);
  const out: DailyResults = { experiment: e.key, metric, computedAt: now.toISOString(), analysis: e.analysis, alpha: e.alpha, days: [] };
  if (days.length === 0) return out;
  const last = Math.max(...days);
  const first = Math.max(Math.min(...days), last - MAX_DAYS + 1);
  // Overall only: the segment breakdowns are not drawn over time.
  const overallOnly: Experiment = { ...e, segments: [] };
  const upTo = <T extends { day?: number }>(list: T[], d: number) => list.filter((r) => (r.day ?? 0) <= d);
  for (let d = first; d <= last; d++) {
    const counts = buildCounts(overallOnly, { cells: rows.cells, units: upTo(rows.units, d), streams: upTo(rows.streams, d), cross: upTo(rows.cross, d) }, now);
    const m = computeResults(overallOnly, counts, { metric }).metrics[0];
    out.days.push({
      date: new Date(d * DAY_MS).toISOString().slice(0, 10),
      units: counts.overall.reduce((a, v) => a + v.units, 0),
      variants: m.overall.variants,
      comparisons: m.overall.comparisons,
    });
  }
  return out;
}
