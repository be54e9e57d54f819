import type { components } from '../contract/schema';
import type { Metric } from '../model/experiment';
import { benjaminiHochberg, holm } from '../stats';

/**
 * Multiple-comparison adjustment, which sets pValueAdjusted, significant and better:
 *  - overall, Holm across every treatment arm of the metric: the arms are fixed by the
 *    design, so an arm still below the minimum data counts as p = 1 and cannot make the
 *    others' correction lighter;
 *  - per segment, Benjamini-Hochberg across the segment values x arms that have a p-value:
 *    the values are discovered in the data, so the family is the comparisons that can be made.
 * A comparison without a p-value keeps pValueAdjusted null and is not significant. Pure.
 */
type ComparisonResult = components['schemas']['ComparisonResult'];
type ResultBlock = components['schemas']['ResultBlock'];
type Adjust = (p: number[]) => number[];

interface Rule {
  alpha: number;
  direction: Metric['direction'];
}

/** Adjusted p-values of the comparisons that have a p-value; with `untestedAsOne` the others count in the family as p = 1. */
function adjustedPValues(comparisons: readonly ComparisonResult[], adjust: Adjust, untestedAsOne: boolean): Map<ComparisonResult, number> {
  const tested = comparisons.flatMap((c) => (c.pValue === null ? [] : [{ c, p: c.pValue }]));
  const untested = untestedAsOne ? comparisons.length - tested.length : 0;
  const adjusted = adjust([...tested.map((t) => t.p), ...new Array<number>(untested).fill(1)]);
  return new Map(tested.map((t, i) => [t.c, adjusted[i]]));
}

/** Significant when the adjusted p-value is below alpha; better when, significant, it moved the metric its good way. */
function judged(c: ComparisonResult, adjusted: Map<ComparisonResult, number>, rule: Rule): ComparisonResult {
  const pValueAdjusted = adjusted.get(c);
  if (pValueAdjusted === undefined) return c;
  const significant = pValueAdjusted < rule.alpha;
  const estimate = c.absolute.estimate;
  const better = significant && estimate !== null ? (rule.direction === 'decrease' ? estimate < 0 : estimate > 0) : null;
  return { ...c, pValueAdjusted, significant, better };
}

/** Holm across every treatment arm of the overall block. */
export function adjustArms(comparisons: readonly ComparisonResult[], rule: Rule): ComparisonResult[] {
  const adjusted = adjustedPValues(comparisons, holm, true);
  return comparisons.map((c) => judged(c, adjusted, rule));
}

/** Benjamini-Hochberg across the comparisons of every segment block of one metric. */
export function adjustSegments<B extends ResultBlock>(blocks: readonly B[], rule: Rule): B[] {
  const adjusted = adjustedPValues(
    blocks.flatMap((b) => b.comparisons),
    benjaminiHochberg,
    false,
  );
  return blocks.map((b) => ({ ...b, comparisons: b.comparisons.map((c) => judged(c, adjusted, rule)) }));
}
