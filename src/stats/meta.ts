/**
 * Meta-analysis of the same change measured in several experiments, on the log of the ratio of
 * means (log(1 + lift)), as metafor::rma does for given effect sizes yi and sampling
 * variances vi (Viechtbauer 2010, "Conducting meta-analyses in R with the metafor package",
 * J. Stat. Softw. 36(3)).
 *
 *  - effect of one experiment (delta method): yi = ln(m_T/m_C),
 *    vi = se_T²/m_T² + se_C²/m_C²  (Hedges, Gurevitch & Curtis 1999, "The meta-analysis of
 *    response ratios in experimental ecology", Ecology 80:1150–1156, eq. 1);
 *  - fixed effect (inverse variance): w_i = 1/vi, μ̂ = Σw·y/Σw, SE = 1/√Σw
 *    (metafor: rma(yi, vi, method = "FE"));
 *  - Cochran's Q = Σ w_i (y_i − μ̂_FE)², df = k − 1, p_Q = P(χ²_df > Q);
 *    I² = max(0, (Q − df)/Q) (Higgins & Thompson 2002, Stat. Med. 21:1539);
 *  - DerSimonian & Laird (1986, Control. Clin. Trials 7:177): τ² = max(0, (Q − df)/C),
 *    C = Σw − Σw²/Σw; random-effects weights 1/(vi + τ²) (rma(yi, vi, method = "DL")).
 * Intervals and p-values use the normal distribution (metafor's default test = "z").
 *
 * Effect sizes for binary metrics: `logRiskRatio` is metafor::escalc(measure = "RR") with its
 * defaults (add = 1/2, to = "only0", drop00 = FALSE): an experiment with a zero cell (an arm
 * with no conversions, or with every unit converting) is kept, with ½ added to each of its four
 * cells, instead of being dropped for ln 0 (Sweeting, Sutton & Lambert 2004, "What to add to
 * nothing?", Stat. Med. 23:1351; the Cochrane Handbook's default, §10.4.4.2).
 *
 * Heterogeneity over the values of one segment attribute is the same computation with one
 * effect per value: `heterogeneity` (Q, its χ² p-value, I², τ²_DL) and `metaRandomDL`.
 */
import { chiSquareSf, normalQuantile, normalTwoSidedP } from './distributions';
import type { BinaryArm, Interval } from './types';
import { assertAlpha, assertBinaryArm, assertFinite } from './validate';

export interface EffectSize {
  /** Effect on the log scale, ln(m_T/m_C). */
  yi: number;
  /** Its sampling variance. */
  vi: number;
}

export interface MetaResult {
  method: 'FE' | 'DL';
  k: number;
  /** Pooled log ratio. */
  estimate: number;
  se: number;
  ci: Interval;
  z: number;
  pValue: number;
  /** Pooled relative lift exp(estimate) − 1 and its interval. */
  lift: { estimate: number; ci: Interval };
  /** Cochran's Q, its df = k − 1 and p-value (null when k = 1). */
  q: number;
  df: number;
  qPValue: number | null;
  /** Between-experiment variance (0 for FE). */
  tau2: number;
  /** I² = max(0, (Q − df)/Q) as a fraction in [0, 1] (metafor prints 100·I²). */
  i2: number;
  /** Normalised weights (sum 1), in input order. */
  weights: number[];
}

/**
 * Delta-method log ratio of means: yi = ln(m_T/m_C), vi = se_T²/m_T² + se_C²/m_C².
 * Null (with reason) when a mean is 0 or the means have opposite signs.
 */
export function logRatioEffect(
  control: { mean: number; se: number },
  treatment: { mean: number; se: number },
): EffectSize | { yi: null; vi: null; reason: string } {
  for (const [name, v] of [['control.mean', control.mean], ['control.se', control.se], ['treatment.mean', treatment.mean], ['treatment.se', treatment.se]] as const) {
    assertFinite(v, name);
  }
  if (control.mean === 0 || treatment.mean === 0 || Math.sign(control.mean) !== Math.sign(treatment.mean)) {
    return { yi: null, vi: null, reason: 'log ratio needs two non-zero means of the same sign' };
  }
  const yi = Math.log(treatment.mean / control.mean);
  const vi = (treatment.se / treatment.mean) ** 2 + (control.se / control.mean) ** 2;
  if (!Number.isFinite(yi) || !Number.isFinite(vi)) return { yi: null, vi: null, reason: 'the means are too far apart in size: the log ratio or its variance overflows double precision' };
  return { yi, vi };
}

/** A binary comparison's log risk ratio as metafor::escalc computes it. */
export interface LogRiskRatio extends EffectSize {
  /** True when ½ was added to every cell because one cell was 0 (escalc's to = "only0"). */
  corrected: boolean;
}

/**
 * Log risk ratio of treatment vs control, metafor::escalc(measure = "RR", ai = x_T,
 * n1i = n_T, ci = x_C, n2i = n_C) with its defaults add = 1/2, to = "only0":
 *
 *   if any of x_T, n_T − x_T, x_C, n_C − x_C is 0, add ½ to all four (so n grows by 1);
 *   yi = ln(x_T/n_T) − ln(x_C/n_C),   vi = 1/x_T − 1/n_T + 1/x_C − 1/n_C.
 *
 * Without a zero cell this equals `logRatioEffect` on the binomial standard errors (Katz et al.
 * 1978, Biometrics 34:469). Both arms at 0 % (or both at 100 %) are kept, as escalc's default
 * drop00 = FALSE does: yi ≈ ln((n_C + 1)/(n_T + 1)), with a large vi that gives it little weight.
 * An arm with no units has no rate at all: null with a reason (escalc would invent ½/1).
 */
export function logRiskRatio(control: BinaryArm, treatment: BinaryArm, add = 0.5): LogRiskRatio | { yi: null; vi: null; corrected: false; reason: string } {
  assertBinaryArm(control, 'control');
  assertBinaryArm(treatment, 'treatment');
  assertFinite(add, 'add');
  if (!(add > 0)) throw new RangeError(`add must be > 0, got ${add}`);
  if (control.units === 0 || treatment.units === 0) {
    return { yi: null, vi: null, corrected: false, reason: 'an arm has no units: no risk ratio' };
  }
  let ai = treatment.conversions;
  let bi = treatment.units - treatment.conversions;
  let ci = control.conversions;
  let di = control.units - control.conversions;
  const corrected = ai === 0 || bi === 0 || ci === 0 || di === 0;
  if (corrected) {
    ai += add;
    bi += add;
    ci += add;
    di += add;
  }
  const n1 = ai + bi;
  const n2 = ci + di;
  // 1/a − 1/n = b/(a·n): no cancellation when a is close to n.
  return { yi: Math.log(ai / n1) - Math.log(ci / n2), vi: bi / (ai * n1) + di / (ci * n2), corrected };
}

/** Cochran's Q test of homogeneity and the between-effect variance, for k effects. */
export interface Heterogeneity {
  k: number;
  /** Cochran's Q = Σ w_i (y_i − μ̂_FE)², w_i = 1/v_i. */
  q: number;
  /** k − 1. */
  df: number;
  /** P(χ²_df > Q); null when k = 1 (nothing to compare), with `reason`. */
  pValue: number | null;
  /** I² = max(0, (Q − df)/Q), a fraction in [0, 1]: the share of the spread beyond chance. */
  i2: number;
  /** DerSimonian–Laird τ² = max(0, (Q − df)/C), C = Σw − Σw²/Σw: the variance of the true effects. */
  tau2: number;
  reason?: string;
}

/**
 * Do these effects differ by more than their sampling error says? Cochran's Q with its χ²
 * p-value (k − 1 df), I² and τ² (DL): metafor rma(yi, vi, method = "DL") fields QE, QEp, I2/100,
 * tau2. Used over the values of one segment attribute (one effect per value, e.g. ln of the
 * ratio treatment/control in new and in returning customers). Q's χ² reference is a
 * fixed-horizon test: under repeated looks it is not always-valid.
 */
export function heterogeneity(effects: EffectSize[]): Heterogeneity {
  assertEffects(effects);
  const { q, df, c } = cochran(effects);
  const tau2 = c > 0 ? Math.max(0, (q - df) / c) : 0;
  const i2 = q > 0 ? Math.max(0, (q - df) / q) : 0;
  if (df === 0) return { k: 1, q, df, pValue: null, i2, tau2, reason: 'one effect: nothing to compare it with' };
  return { k: effects.length, q, df, pValue: chiSquareSf(q, df), i2, tau2 };
}

/** Throws a RangeError unless there is at least one effect, each with finite yi and vi > 0. */
export function assertEffects(effects: EffectSize[]): void {
  if (effects.length < 1) throw new RangeError('meta-analysis needs at least one effect');
  effects.forEach((e, i) => {
    assertFinite(e.yi, `effects[${i}].yi`);
    assertFinite(e.vi, `effects[${i}].vi`);
    if (!(e.vi > 0)) throw new RangeError(`effects[${i}].vi must be > 0`);
  });
}

/** Cochran's Q of the inverse-variance (fixed-effect) fit, and DerSimonian–Laird's C. */
function cochran(effects: EffectSize[]): { q: number; df: number; c: number } {
  const w = effects.map((e) => 1 / e.vi);
  const sw = w.reduce((a, b) => a + b, 0);
  const mu = effects.reduce((a, e, i) => a + w[i] * e.yi, 0) / sw;
  const q = effects.reduce((a, e, i) => a + w[i] * (e.yi - mu) ** 2, 0);
  const sw2 = w.reduce((a, b) => a + b * b, 0);
  return { q, df: effects.length - 1, c: sw - sw2 / sw };
}

function pool(effects: EffectSize[], tau2: number, method: 'FE' | 'DL', alpha: number): MetaResult {
  const w = effects.map((e) => 1 / (e.vi + tau2));
  const sw = w.reduce((a, b) => a + b, 0);
  const estimate = effects.reduce((a, e, i) => a + w[i] * e.yi, 0) / sw;
  const se = Math.sqrt(1 / sw);
  const crit = -normalQuantile(alpha / 2);
  const ci: Interval = [estimate - crit * se, estimate + crit * se];
  const z = estimate / se;
  const { q, df } = cochran(effects);
  return {
    method,
    k: effects.length,
    estimate,
    se,
    ci,
    z,
    pValue: normalTwoSidedP(z),
    lift: { estimate: Math.expm1(estimate), ci: [Math.expm1(ci[0]), Math.expm1(ci[1])] },
    q,
    df,
    qPValue: df > 0 ? chiSquareSf(q, df) : null,
    tau2,
    i2: q > 0 ? Math.max(0, (q - df) / q) : 0,
    weights: w.map((x) => x / sw),
  };
}

/** Fixed-effect (inverse-variance) pooled estimate: metafor rma(yi, vi, method = "FE"). */
export function metaFixed(effects: EffectSize[], alpha = 0.05): MetaResult {
  assertAlpha(alpha);
  assertEffects(effects);
  return pool(effects, 0, 'FE', alpha);
}

/** DerSimonian–Laird random-effects pooled estimate: metafor rma(yi, vi, method = "DL"). */
export function metaRandomDL(effects: EffectSize[], alpha = 0.05): MetaResult {
  assertAlpha(alpha);
  assertEffects(effects);
  return pool(effects, heterogeneity(effects).tau2, 'DL', alpha);
}
