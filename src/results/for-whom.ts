import type { components } from '../contract/schema';
import type { Experiment, Metric } from '../model/experiment';
import {
  empiricalBayesDL,
  heterogeneity,
  holm,
  logRatioEffect,
  logRiskRatio,
  normalQuantile,
  sequentialCriticalValue,
  type EffectSize,
} from '../stats';
import { controlArm, pairTuning } from './comparisons';
import type { Counts, VariantCounts } from './counts';
import { kindOf } from './metric-kinds';
import { hasEnoughData } from './trust-checks';

/**
 * "For whom does it work?": per segment attribute and treatment arm, whether the lift differs
 * across the attribute's values, and each value's lift shrunk toward the overall effect.
 *
 *  - one effect per value on the log scale: y = ln(m_T/m_C) with its variance v (binary
 *    metrics: metafor::escalc's log risk ratio, ½ added to every cell when one is 0; others:
 *    the delta method on the arms' values and standard errors), for the values that meet the
 *    minimum data rule;
 *  - Cochran's Q with its χ² p-value, I², and the DerSimonian–Laird τ² over those effects
 *    (metafor rma(yi, vi, method = "DL")); Holm across the metric's attributes × arms decides
 *    which attributes' lifts significantly differ;
 *  - each value's empirical-Bayes estimate, the BLUP of that random-effects model
 *    (metafor::blup): a small, noisy value moves most toward the overall effect, so a tiny
 *    lucky segment does not outrank a large steady one;
 *  - intervals at c = z_{1−α/(2k)} (Bonferroni over the attribute's k values), or under the
 *    sequential analysis the sequential critical value at α/k for all the pair's units (the
 *    largest N, hence the widest). Q itself is a fixed-horizon test.
 * Pure.
 */
export type ForWhom = components['schemas']['ForWhom'];
export type SegmentLift = components['schemas']['SegmentLift'];
type SegmentCounts = Counts['segments'][number];

/** The effect of one value on the log scale, or why it has none. */
function logEffect(m: Metric, control: VariantCounts, treatment: VariantCounts): EffectSize | { reason: string } {
  if (!hasEnoughData(m.key, control, treatment)) return { reason: 'not enough data in this value (minimum data rule)' };
  if (m.type === 'binary') {
    const c = control.metrics[m.key];
    const t = treatment.metrics[m.key];
    const r = logRiskRatio({ units: control.units, conversions: c.converters }, { units: treatment.units, conversions: t.converters });
    return r.yi === null ? { reason: r.reason } : { yi: r.yi, vi: r.vi };
  }
  const kind = kindOf(m);
  const a = kind.arm(control, m.key);
  const b = kind.arm(treatment, m.key);
  if (a.value === null || a.se === null || b.value === null || b.se === null) return { reason: a.reason ?? b.reason ?? 'no value in an arm' };
  const r = logRatioEffect({ mean: a.value, se: a.se }, { mean: b.value, se: b.se });
  if (r.yi === null) return { reason: r.reason };
  if (!(r.vi > 0)) return { reason: 'zero variance in both arms: no log ratio to weigh' };
  return r;
}

const liftOf = (y: number, s: number, c: number) => ({ estimate: Math.expm1(y), ci: [Math.expm1(y - c * s), Math.expm1(y + c * s)] as [number, number] });

export const pctText = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)} %`;
export const qPText = (p: number) => (p < 0.0001 ? 'Q p < 0.0001' : `Q p = ${p < 0.01 ? p.toFixed(4) : p.toFixed(3)}`);
const valueText = (v: string | null) => v ?? '(not sent)';

/** One attribute × arm, before the correction across attributes (pValueAdjusted null, significant false). */
function attributeBlock(e: Experiment, m: Metric, attribute: string, variant: string, blocks: readonly SegmentCounts[], pairUnits: number): ForWhom {
  const control = e.variants.find((v) => v.control)!.key;
  const rows = blocks.map((b) => {
    const c = controlArm(e, b.variants);
    const t = b.variants.find((x) => x.variant === variant)!;
    return { value: b.value, units: c.units + t.units, enoughData: hasEnoughData(m.key, c, t), effect: logEffect(m, c, t) };
  });
  const used = rows.filter((r): r is typeof r & { effect: EffectSize } => 'yi' in r.effect);
  const k = used.length;
  const alpha = e.alpha / Math.max(k, 1);
  const crit = e.analysis === 'sequential' ? sequentialCriticalValue(Math.max(pairUnits, 1), alpha, pairTuning(e, control, variant)) : -normalQuantile(alpha / 2);
  const good = (x: number) => (m.direction === 'increase' ? x > 0 : x < 0);
  const base = { attribute, variant, control, k, df: Math.max(k - 1, 0), pValueAdjusted: null, correction: 'holm' as const, significant: false };

  if (k === 0) {
    const values = rows.map((r): SegmentLift => ({ value: r.value, units: r.units, enoughData: r.enoughData, lift: null, shrunk: null, ownWeight: null, significant: false, better: null, reason: (r.effect as { reason: string }).reason }));
    const reason = 'no value of this attribute has enough data yet';
    return { ...base, q: null, pValue: null, i2: null, tau2: null, pooled: null, criticalValue: null, values, summary: `Not known yet whether the lift differs by ${attribute}: ${reason}.`, reason };
  }
  const effects = used.map((r) => r.effect);
  const het = heterogeneity(effects);
  const eb = empiricalBayesDL(effects, { alpha: e.alpha, criticalValue: crit });
  const values = rows.map((r): SegmentLift => {
    const i = used.findIndex((u) => u === r);
    if (i < 0) return { value: r.value, units: r.units, enoughData: r.enoughData, lift: null, shrunk: null, ownWeight: null, significant: false, better: null, reason: (r.effect as { reason: string }).reason };
    const s = eb.estimates[i];
    const significant = s.ci[0] > 0 || s.ci[1] < 0;
    return {
      value: r.value,
      units: r.units,
      enoughData: r.enoughData,
      lift: liftOf(effects[i].yi, Math.sqrt(effects[i].vi), crit),
      shrunk: { estimate: s.lift.estimate, ci: s.lift.ci },
      ownWeight: s.ownWeight,
      significant,
      better: significant ? good(s.estimate) : null,
    };
  });
  const sign = m.direction === 'increase' ? -1 : 1;
  values.sort((a, b) => (a.shrunk === null ? 1 : 0) - (b.shrunk === null ? 1 : 0) || (a.shrunk && b.shrunk ? sign * (a.shrunk.estimate - b.shrunk.estimate) : 0));
  const pooledLift = liftOf(eb.model.estimate, eb.model.se, crit);
  return {
    ...base,
    q: het.pValue === null ? null : het.q,
    pValue: het.pValue,
    i2: het.i2,
    tau2: het.tau2,
    pooled: pooledLift,
    criticalValue: crit,
    values,
    summary: '',
    ...(het.reason ? { reason: `${het.reason} (one value of ${attribute} has enough data)` } : {}),
  };
}

/** "returning +38.0 % (shrunk +36.1 %), new −2.0 % (shrunk −1.9 %)" */
function valuesText(f: ForWhom): string {
  return f.values
    .filter((v) => v.lift && v.shrunk)
    .map((v) => `${valueText(v.value)} ${pctText(v.lift!.estimate)} (shrunk ${pctText(v.shrunk!.estimate)})`)
    .join(', ');
}

function summaryOf(f: ForWhom, arms: number): string {
  const who = arms > 1 ? ` for ${f.variant}` : '';
  if (f.pValue === null) return f.summary || `Not known yet whether the lift${who} differs by ${f.attribute}: ${f.reason ?? 'fewer than two values with enough data'}.`;
  const q = `${qPText(f.pValue)}, Holm-adjusted ${f.pValueAdjusted === null ? 'n/a' : f.pValueAdjusted < 0.0001 ? '< 0.0001' : f.pValueAdjusted.toFixed(4)}, I² ${Math.round((f.i2 ?? 0) * 100)} %`;
  return f.significant
    ? `The lift${who} differs by ${f.attribute}: ${valuesText(f)}; ${q}.`
    : `No detectable difference${who} by ${f.attribute} (${q}): ${valuesText(f)}; the shrunk lifts are the ones to read.`;
}

/** The forWhom blocks of one metric: every attribute × treatment arm, Holm across those with a Q. */
export function forWhomOf(e: Experiment, m: Metric, counts: Counts, attributes: readonly string[]): ForWhom[] {
  const control = controlArm(e, counts.overall);
  const arms = counts.overall.filter((a) => a !== control);
  const blocks = attributes.flatMap((attribute) =>
    arms.map((t) =>
      attributeBlock(
        e,
        m,
        attribute,
        t.variant,
        counts.segments.filter((s) => s.attribute === attribute),
        control.units + t.units,
      ),
    ),
  );
  const tested = blocks.filter((b) => b.pValue !== null);
  const adjusted = holm(tested.map((b) => b.pValue!));
  const judged = blocks.map((b) => {
    const i = tested.indexOf(b);
    if (i < 0) return b;
    return { ...b, pValueAdjusted: adjusted[i], significant: adjusted[i] < e.alpha };
  });
  return judged.map((b) => ({ ...b, summary: summaryOf(b, arms.length) }));
}
