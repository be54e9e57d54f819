/**
 * Empirical-Bayes (shrunken) estimates of several related effects, e.g. the lift in each value
 * of one segment attribute: the best linear unbiased predictions (BLUPs) of the random-effects
 * model, exactly as metafor::blup() computes them after rma(yi, vi, method = "DL")
 * (Viechtbauer 2010, J. Stat. Softw. 36(3); Raudenbush & Bryk 1985, "Empirical Bayes
 * meta-analysis", J. Educ. Stat. 10:75–98; Robinson 1991, "That BLUP is a good thing",
 * Stat. Sci. 6:15–51).
 *
 * With the DL fit μ̂ (SE s_μ) and τ²:
 *
 *   λ_i    = τ²/(τ² + v_i)                       the weight of the effect's own data
 *   pred_i = λ_i·y_i + (1 − λ_i)·μ̂               shrunk toward the overall effect
 *   se_i   = √( λ_i·v_i + (1 − λ_i)²·s_μ² )
 *   interval pred_i ± c·se_i                       (metafor: pi.lb, pi.ub with c = z_{1−α/2})
 *
 * Small (noisy) values move most, which corrects the winner's curse: a tiny segment with a
 * lucky +80 % ranks below a large one with a steady +20 %. When τ² = 0 (no heterogeneity
 * beyond chance) every λ_i = 0 and every estimate is μ̂ with μ̂'s SE: complete pooling.
 */
import { normalQuantile } from './distributions';
import { metaRandomDL, type EffectSize, type MetaResult } from './meta';
import type { Interval } from './types';
import { assertAlpha, assertFinite } from './validate';

export interface ShrunkEstimate {
  /** BLUP on the log scale (metafor `pred`). */
  estimate: number;
  /** Its standard error (metafor `se`). */
  se: number;
  /** estimate ± c·se (metafor `pi.lb`, `pi.ub` at c = z_{1−α/2}). */
  ci: Interval;
  /** λ_i = τ²/(τ² + v_i) ∈ [0, 1): 1 − λ_i is how far the raw effect moved toward μ̂. */
  ownWeight: number;
  /** The same on the lift scale: exp(·) − 1, within (−1, ∞). */
  lift: { estimate: number; ci: Interval };
}

export interface EmpiricalBayes {
  /** The DerSimonian–Laird fit the estimates shrink toward (its own intervals at 1 − alpha). */
  model: MetaResult;
  /** One per input effect, in input order. */
  estimates: ShrunkEstimate[];
  /** The multiplier c of every `ci` above. */
  criticalValue: number;
}

export interface ShrinkOptions {
  /** Level of the model's intervals and, unless `criticalValue` is given, of the estimates' (default 0.05). */
  alpha?: number;
  /**
   * Multiplier of the estimates' standard errors for their intervals, e.g. the sequential
   * critical value of the experiment; default z_{1−α/2} (metafor's).
   */
  criticalValue?: number;
}

/** BLUPs of the DL random-effects model (metafor::blup after rma(yi, vi, method = "DL")). */
export function empiricalBayesDL(effects: EffectSize[], opts: ShrinkOptions = {}): EmpiricalBayes {
  const alpha = opts.alpha ?? 0.05;
  assertAlpha(alpha);
  const criticalValue = opts.criticalValue ?? -normalQuantile(alpha / 2);
  assertFinite(criticalValue, 'criticalValue');
  if (!(criticalValue > 0)) throw new RangeError(`criticalValue must be > 0, got ${criticalValue}`);
  const model = metaRandomDL(effects, alpha);
  const varMu = model.se * model.se;
  const estimates = effects.map((e): ShrunkEstimate => {
    const own = model.tau2 / (model.tau2 + e.vi);
    const estimate = own * e.yi + (1 - own) * model.estimate;
    const se = Math.sqrt(own * e.vi + (1 - own) * (1 - own) * varMu);
    const ci: Interval = [estimate - criticalValue * se, estimate + criticalValue * se];
    return { estimate, se, ci, ownWeight: own, lift: { estimate: Math.expm1(estimate), ci: [Math.expm1(ci[0]), Math.expm1(ci[1])] } };
  });
  return { model, estimates, criticalValue };
}
