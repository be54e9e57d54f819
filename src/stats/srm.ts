/**
 * Sample ratio mismatch (SRM): Pearson's chi-square goodness-of-fit test of the observed units
 * per variant against the configured traffic weights (Fabijan et al. 2019, "Diagnosing Sample
 * Ratio Mismatch in Online Controlled Experiments", KDD; Kohavi, Tang & Xu 2020, ch. 21).
 *
 *   E_i = N·w_i/Σw,   χ² = Σ (O_i − E_i)²/E_i,   df = k − 1,   p = P(χ²_df > χ²)
 *
 * Matches scipy.stats.chisquare(observed, expected). Weights need not sum to 1 (they are
 * normalised). A variant with weight 0 is left out of the test (and of df) when it received no
 * units; if it did receive units the allocation is certainly broken: pValue 0, mismatch true,
 * chiSquare null with a reason. Zero units in total: nothing to test, pValue 1.
 */
import { chiSquareSf } from './distributions';
import { assertFinite } from './validate';

export interface SrmResult {
  chiSquare: number | null;
  df: number;
  pValue: number;
  /** pValue < threshold. */
  mismatch: boolean;
  reason?: string;
}

/** Chi-square SRM check; `threshold` defaults to 0.001 (the usual SRM alarm level). */
export function sampleRatioMismatch(observed: number[], weights: number[], threshold = 0.001): SrmResult {
  if (observed.length !== weights.length) throw new RangeError('observed and weights must have the same length');
  if (observed.length < 2) throw new RangeError('SRM needs at least 2 variants');
  assertFinite(threshold, 'threshold');
  let totalWeight = 0;
  let total = 0;
  observed.forEach((o, i) => {
    assertFinite(o, `observed[${i}]`);
    assertFinite(weights[i], `weights[${i}]`);
    if (o < 0) throw new RangeError(`observed[${i}] must be >= 0`);
    if (weights[i] < 0) throw new RangeError(`weights[${i}] must be >= 0`);
    totalWeight += weights[i];
    total += o;
  });
  if (!(totalWeight > 0)) throw new RangeError('weights must not all be 0');
  const active = observed.map((_, i) => i).filter((i) => weights[i] > 0);
  const df = Math.max(0, active.length - 1);
  if (observed.some((o, i) => weights[i] === 0 && o > 0)) {
    return { chiSquare: null, df, pValue: 0, mismatch: true, reason: 'a variant with weight 0 received units' };
  }
  if (total === 0) return { chiSquare: 0, df, pValue: 1, mismatch: false, reason: 'no units observed' };
  let chiSquare = 0;
  for (const i of active) {
    const expected = (total * weights[i]) / totalWeight;
    const d = observed[i] - expected;
    chiSquare += (d * d) / expected;
  }
  const pValue = df === 0 ? 1 : chiSquareSf(chiSquare, df);
  return { chiSquare, df, pValue, mismatch: pValue < threshold };
}
