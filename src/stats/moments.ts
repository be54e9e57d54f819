/**
 * Sample moments from sufficient statistics (n, Σx, Σx², Σxy).
 *
 * The data only ever reach us as sums, so the "corrected sum of squares" has to be formed as
 * Σx² − (Σx)²/n. We compute it as Σx² − Σx·x̄ (one rounding fewer than squaring the sum) and
 * then treat anything at or below the rounding noise of the inputs, |SS| ≤ 64·ε·Σx², as exactly
 * 0 — this both clamps tiny negative results (which would give NaN standard errors) and makes
 * constant data such as ten values of 1.1 report variance 0 instead of ~1e-16 noise.
 * (Chan, Golub & LeVeque 1983, "Algorithms for computing the sample variance", discuss the
 * cancellation; with only the sums available this is the best that can be done.)
 */

const NOISE = 64 * Number.EPSILON;

/**
 * Unbiased sample variance s² = (Σx² − (Σx)²/n)/(n − 1), as numpy.var(x, ddof=1).
 * Returns null for n < 2 (undefined).
 */
export function sampleVariance(n: number, sum: number, sumSquares: number): number | null {
  if (n < 2) return null;
  const ss = sumSquares - sum * (sum / n);
  if (ss <= NOISE * sumSquares) return 0;
  return ss / (n - 1);
}

/**
 * Unbiased sample covariance (Σxy − Σx·Σy/n)/(n − 1), as numpy.cov(x, y)[0, 1].
 * Returns null for n < 2. Not clamped (a covariance may be negative).
 */
export function sampleCovariance(n: number, sumX: number, sumY: number, sumXY: number): number | null {
  if (n < 2) return null;
  return (sumXY - sumX * (sumY / n)) / (n - 1);
}
