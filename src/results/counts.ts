import type { components } from '../contract/schema';
import { streamOf, type Experiment } from '../model/experiment';
import type { CellRow, CountingMetric, CrossRow, RatioParts, StreamRow, UnitsRow } from '../store/count-store';

/**
 * Shapes the rows of store/counts into the API's Counts. The rows are per segment cell (one
 * combination of segment values); every breakdown is a sum over cells: the overall group
 * sums all of them, the group "device = mobile" the cells whose device is mobile. Sums,
 * counts and sums of squares add up exactly. Every variant appears in every group
 * (zero-filled); ratio metrics carry their parts' sums and the cross sum. Pure.
 */
export type Counts = components['schemas']['Counts'];
export type VariantCounts = components['schemas']['VariantCounts'];
export type MetricCounts = components['schemas']['MetricCounts'];

export const HOLDOUT = 'holdout';

/** What the SQL needs to know of the experiment's metrics. */
export function metricPlan(e: Experiment): { counting: CountingMetric[]; ratios: RatioParts[] } {
  const counting: CountingMetric[] = e.metrics
    .filter((m) => m.type !== 'ratio')
    .map((m) => ({ key: m.key, stream: streamOf(m).stream, type: m.type as CountingMetric['type'], cap: m.cap ?? null }));
  const byKey = new Map(counting.map((m) => [m.key, m]));
  const ratios = e.metrics
    .filter((m) => m.type === 'ratio')
    .map((m) => ({ key: m.key, numerator: byKey.get(m.numerator!)!, denominator: byKey.get(m.denominator!)! }));
  return { counting, ratios };
}

const zero = (): MetricCounts => ({ converters: 0, count: 0, sum: 0, sumSquares: 0 });

/** The value of a segment attribute as the API shows it: text, or null when it was not sent. */
const shown = (v: unknown): string | null => (v === undefined || v === null ? null : String(v));

export function buildCounts(
  e: Experiment,
  rows: { cells: CellRow[]; units: UnitsRow[]; streams: StreamRow[]; cross: CrossRow[] },
  computedAt: Date,
): Counts {
  const { counting, ratios } = metricPlan(e);
  const emptyArm = (variant: string): VariantCounts => ({
    variant,
    units: 0,
    metrics: Object.fromEntries([...counting, ...ratios].map((m) => [m.key, zero()])),
  });
  type Group = { attribute: string | null; value: string | null; arms: Map<string, VariantCounts> };
  const groups = new Map<string, Group>();
  const group = (attribute: string | null, value: string | null): Group => {
    const k = JSON.stringify([attribute, value]);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { attribute, value, arms: new Map(e.variants.map((v) => [v.key, emptyArm(v.key)])) }));
    return g;
  };
  const overall = group(null, null);
  const cellsById = new Map(rows.cells.map((c) => [c.cell, c]));

  /** The arms a cell's row adds to: its variant overall and in each of its segment values; holdout cells overall only. */
  function armsFor(r: { cell: number }): VariantCounts[] {
    const c = cellsById.get(r.cell);
    if (!c) return [];
    if (c.holdout) {
      let h = overall.arms.get(HOLDOUT);
      if (!h) overall.arms.set(HOLDOUT, (h = emptyArm(HOLDOUT)));
      return [h];
    }
    const arms = [overall.arms.get(c.variant)];
    for (const attribute of e.segments) arms.push(group(attribute, shown(c.segments[attribute])).arms.get(c.variant));
    return arms.filter((a): a is VariantCounts => a !== undefined);
  }

  for (const r of rows.units) for (const a of armsFor(r)) a.units += r.units;
  for (const r of rows.streams) {
    for (const a of armsFor(r)) {
      for (const m of counting) {
        if (m.stream !== r.stream) continue;
        const t = a.metrics[m.key];
        const v = r.values[m.key];
        t.converters += r.converters;
        t.count += m.type === 'count' ? v.sum : r.count;
        t.sum += v.sum;
        t.sumSquares += v.sumSquares;
      }
      for (const [ratio, x] of Object.entries(r.cross)) a.metrics[ratio].crossSum = (a.metrics[ratio].crossSum ?? 0) + x;
    }
  }
  for (const r of rows.cross) for (const a of armsFor(r)) a.metrics[r.metric].crossSum = (a.metrics[r.metric].crossSum ?? 0) + r.crossSum;

  for (const g of groups.values()) {
    for (const a of g.arms.values()) {
      for (const ratio of ratios) {
        const num = a.metrics[ratio.numerator.key];
        const den = a.metrics[ratio.denominator.key];
        a.metrics[ratio.key] = {
          converters: den.converters,
          count: den.count,
          sum: num.sum,
          sumSquares: num.sumSquares,
          numeratorSum: num.sum,
          numeratorSumSquares: num.sumSquares,
          denominatorSum: den.sum,
          denominatorSumSquares: den.sumSquares,
          crossSum: a.metrics[ratio.key].crossSum ?? 0,
        };
      }
    }
  }

  const variantsOf = (g: Group) => e.variants.map((v) => g.arms.get(v.key)!);
  const segments = [...groups.values()]
    .filter((g) => g.attribute !== null)
    .sort((a, b) =>
      a.attribute === b.attribute ? String(a.value).localeCompare(String(b.value)) : e.segments.indexOf(a.attribute!) - e.segments.indexOf(b.attribute!),
    )
    .map((g) => ({ attribute: g.attribute!, value: g.value, variants: variantsOf(g) }));
  return {
    experiment: e.key,
    computedAt: computedAt.toISOString(),
    overall: variantsOf(overall),
    holdout: overall.arms.get(HOLDOUT) ?? null,
    segments,
  };
}
