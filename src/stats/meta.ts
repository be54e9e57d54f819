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
 */
import { chiSquareSf, normalQuantile, normalTwoSidedP } from './distributions';
import type { Interval } from './types';
import { assertAlpha, assertFinite } from './validate';

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

function validate(effects: EffectSize[], alpha: number): void {
  assertAlpha(alpha);
  if (effects.length < 1) throw new RangeError('meta-analysis needs at least one effect');
  effects.forEach((e, i) => {
    assertFinite(e.yi, `effects[${i}].yi`);
    assertFinite(e.vi, `effects[${i}].vi`);
    if (!(e.vi > 0)) throw new RangeError(`effects[${i}].vi must be > 0`);
  });
}

/** Cochran's Q of the inverse-variance (fixed-effect) fit, and DerSimonian–Laird's C. */
function heterogeneity(effects: EffectSize[]): { q: number; df: number; c: number } {
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
  const { q, df } = heterogeneity(effects);
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
  validate(effects, alpha);
  return pool(effects, 0, 'FE', alpha);
}

/** DerSimonian–Laird random-effects pooled estimate: metafor rma(yi, vi, method = "DL"). */
export function metaRandomDL(effects: EffectSize[], alpha = 0.05): MetaResult {
  validate(effects, alpha);
  const { q, df, c } = heterogeneity(effects);
  const tau2 = c > 0 ? Math.max(0, (q - df) / c) : 0;
  return pool(effects, tau2, 'DL', alpha);
}
