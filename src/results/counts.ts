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
  const counting: CountingMetric[] = e.metrics.flatMap((m) => (m.type === 'ratio' ? [] : [{ key: m.key, stream: streamOf(m).stream, type: m.type, cap: m.cap ?? null }]));
  const byKey = new Map(counting.map((m) => [m.key, m]));
  const part = (ratio: string, key: string | undefined): CountingMetric => {
    const found = key === undefined ? undefined : byKey.get(key);
    if (!found) throw new Error(`ratio metric "${ratio}" names no counting metric "${key}"`); // validateDefinition refuses it
    return found;
  };
  const ratios = e.metrics.flatMap((m) => (m.type === 'ratio' ? [{ key: m.key, numerator: part(m.key, m.numerator), denominator: part(m.key, m.denominator) }] : []));
  return { counting, ratios };
}

type Rows = { cells: CellRow[]; units: UnitsRow[]; streams: StreamRow[]; cross: CrossRow[] };
/** One breakdown: overall (attribute null) or one value of one segment attribute, with an arm per variant. */
type Group = { attribute: string | null; value: string | null; arms: Map<string, VariantCounts> };

const zero = (): MetricCounts => ({ converters: 0, count: 0, sum: 0, sumSquares: 0 });

/** The value of a segment attribute as the API shows it: text, or null when it was not sent. */
const shown = (v: unknown): string | null => (v === undefined || v === null ? null : String(v));

function emptyArm(variant: string, metrics: readonly string[]): VariantCounts {
  return { variant, units: 0, metrics: Object.fromEntries(metrics.map((key) => [key, zero()])) };
}

/** Adds one stream row's sums to an arm: every counting metric on that stream, and the ratios' cross sums. */
function addStream(a: VariantCounts, r: StreamRow, counting: readonly CountingMetric[]): void {
  for (const m of counting.filter((x) => x.stream === r.stream)) {
    const t = a.metrics[m.key];
    const v = r.values[m.key];
    t.converters += r.converters;
    t.count += m.type === 'count' ? v.sum : r.count;
    t.sum += v.sum;
    t.sumSquares += v.sumSquares;
  }
  for (const [ratio, x] of Object.entries(r.cross)) addCross(a, ratio, x);
}

function addCross(a: VariantCounts, ratio: string, crossSum: number): void {
  a.metrics[ratio].crossSum = (a.metrics[ratio].crossSum ?? 0) + crossSum;
}

/** A ratio's counts from its parts: the denominator's converters and count, both parts' sums, the cross sum. */
function ratioCounts(a: VariantCounts, ratio: RatioParts): MetricCounts {
  const num = a.metrics[ratio.numerator.key];
  const den = a.metrics[ratio.denominator.key];
  return {
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

export function buildCounts(e: Experiment, rows: Rows, computedAt: Date): Counts {
  const { counting, ratios } = metricPlan(e);
  const metricKeys = [...counting, ...ratios].map((m) => m.key);
  const groups = new Map<string, Group>();
  const group = (attribute: string | null, value: string | null): Group => {
    const k = JSON.stringify([attribute, value]);
    const g = groups.get(k) ?? { attribute, value, arms: new Map(e.variants.map((v) => [v.key, emptyArm(v.key, metricKeys)])) };
    groups.set(k, g);
    return g;
  };
  const overall = group(null, null);
  const holdout = emptyArm(HOLDOUT, metricKeys);
  let holdoutSeen = false;
  const cellsById = new Map(rows.cells.map((c) => [c.cell, c]));

  /** The arms a cell's row adds to: its variant overall and in each of its segment values; holdout cells to the holdout only. */
  function armsFor(r: { cell: number }): VariantCounts[] {
    const c = cellsById.get(r.cell);
    if (!c) return [];
    if (c.holdout) {
      holdoutSeen = true;
      return [holdout];
    }
    const groupsOfCell = [overall, ...e.segments.map((attribute) => group(attribute, shown(c.segments[attribute])))];
    return groupsOfCell.flatMap((g) => g.arms.get(c.variant) ?? []);
  }

  for (const r of rows.units) for (const a of armsFor(r)) a.units += r.units;
  for (const r of rows.streams) for (const a of armsFor(r)) addStream(a, r, counting);
  for (const r of rows.cross) for (const a of armsFor(r)) addCross(a, r.metric, r.crossSum);
  const arms = [...[...groups.values()].flatMap((g) => [...g.arms.values()]), holdout];
  for (const a of arms) for (const ratio of ratios) a.metrics[ratio.key] = ratioCounts(a, ratio);

  const variantsOf = (g: Group) => e.variants.flatMap((v) => g.arms.get(v.key) ?? []);
  const segments = [...groups.values()].flatMap((g) => (g.attribute === null ? [] : [{ attribute: g.attribute, value: g.value, variants: variantsOf(g) }]));
  const order = (a: { attribute: string; value: string | null }, b: typeof a) =>
    a.attribute === b.attribute ? String(a.value).localeCompare(String(b.value)) : e.segments.indexOf(a.attribute) - e.segments.indexOf(b.attribute);
  return {
    experiment: e.key,
    computedAt: computedAt.toISOString(),
    overall: variantsOf(overall),
    holdout: holdoutSeen ? holdout : null,
    segments: segments.sort(order),
  };
}
