/**
 * Sequential (always-valid) inference: the asymptotic confidence sequence of
 * Waudby-Smith, Arbour, Sinha, Kennedy & Ramdas (2023), "Time-uniform central limit theory and
 * asymptotic confidence sequences" (arXiv:2103.06476, eqs. 155 and 161 of
 * v7), in the parameterisation used by GrowthBook (gbstats `SequentialTwoSidedTTest`) and Eppo.
 *
 * With N = n_T + n_C units seen so far and a tuning sample size N* (the planned total sample
 * size; default 10,000), the interval estimate ± c·SE with the critical value c below holds
 * simultaneously for every N with probability ≥ 1 − α (asymptotically), so results may be
 * looked at any number of times.
 *
 * The sequential critical value is always larger than the fixed-horizon z_{1−α/2}, for every N
 * and α: c² = 2(1 + 1/(Nρ²))·(½ln(1 + Nρ²) − ln α) > −2 ln α ≥ z²_{1−α/2}, the last step being
 * the Gaussian tail bound P(|Z| ≥ z) ≤ exp(−z²/2). (Against a Welch *t* interval this can fail
 * when the Welch df is tiny but N is large, e.g. 2 noisy units vs 10⁶ quiet ones: t_{.975,1} = 12.7
 * exceeds c ≈ 3.6. Sequential analysis always uses the z statistic, as GrowthBook does.)
 */
import { zeroSeResult } from './fixed';
import type { Interval, TestResult } from './types';

/** Default tuning sample size N* when no planned sample size is given. */
export const DEFAULT_SEQUENTIAL_TUNING = 10_000;

/**
 * ρ = √((−2 ln α + ln(1 − 2 ln α)) / N*): chooses the mixture so that the confidence sequence
 * is narrowest at N = N* (Waudby-Smith et al. 2023, eq. 161; gbstats `sequential_rho`).
 */
export function sequentialRho(alpha: number, tuning: number = DEFAULT_SEQUENTIAL_TUNING): number {
  const l = -2 * Math.log(alpha);
  return Math.sqrt((l + Math.log1p(l)) / tuning);
}

/**
 * Critical value (multiplier of the standard error) of the two-sided asymptotic confidence
 * sequence after N units:
 *   c = √N · √( 2(Nρ² + 1)/(N²ρ²) · ln(√(Nρ² + 1)/α) )  =  √( 2(1 + 1/(Nρ²))·(½ln(1+Nρ²) − ln α) ).
 */
export function sequentialCriticalValue(n: number, alpha: number, tuning: number = DEFAULT_SEQUENTIAL_TUNING): number {
  if (!(n > 0)) throw new RangeError(`sequentialCriticalValue: n must be > 0, got ${n}`);
  const rho = sequentialRho(alpha, tuning);
  const nr2 = n * rho * rho;
  return Math.sqrt(2 * (1 + 1 / nr2) * (0.5 * Math.log1p(nr2) - Math.log(alpha)));
}

/**
 * Always-valid two-sided p-value for a z statistic after N units (Waudby-Smith et al. 2023,
 * eq. 155): p = min(1, √(Nρ² + 1) · exp(−ρ²N z² / (2(Nρ² + 1)))), evaluated in logs so that
 * tiny values do not underflow early. p ≤ α exactly when |z| ≥ sequentialCriticalValue(N, α).
 */
export function sequentialPValue(z: number, n: number, alpha: number, tuning: number = DEFAULT_SEQUENTIAL_TUNING): number {
  if (!(n > 0)) throw new RangeError(`sequentialPValue: n must be > 0, got ${n}`);
  const rho = sequentialRho(alpha, tuning);
  const nr2 = n * rho * rho;
  const logP = 0.5 * Math.log1p(nr2) - (nr2 * z * z) / (2 * (nr2 + 1));
  return logP >= 0 ? 1 : Math.exp(logP);
}

/**
 * Sequential test of H0: effect = 0 for an asymptotically normal estimate with standard error
 * `se` after `n` total units: z = estimate/se, always-valid p-value, and the confidence-sequence
 * interval estimate ± c·se. se = 0 is handled as in `fixedHorizonTest`.
 */
export function sequentialTest(
  estimate: number,
  se: number,
  n: number,
  alpha: number,
  tuning: number = DEFAULT_SEQUENTIAL_TUNING,
): TestResult {
  const criticalValue = sequentialCriticalValue(n, alpha, tuning);
  if (se === 0) return zeroSeResult(estimate, criticalValue);
  const z = estimate / se;
  const half = criticalValue * se;
  const ci: Interval = [estimate - half, estimate + half];
  return { statistic: z, pValue: sequentialPValue(z, n, alpha, tuning), df: null, criticalValue, ci };
}

/** The tuning sample size N* one pair of arms uses, and where it came from. */
export interface PairTuning {
  /** N* of this pair's confidence sequence: the planned total times the pair's share (≥ 2, rounded). */
  plannedSampleSize: number;
  /** The experiment's planned total that was split: the explicit plan or the default. */
  total: number;
  source: 'planned' | 'default';
  /** (w_control + w_treatment)/Σw: the share of the traffic the pair's two arms receive. */
  share: number;
}

/**
 * N* for one comparison of a multi-arm experiment, by one rule whether the planned total is
 * explicit or the default: N*_pair = max(2, round(N*_total · (w_C + w_T)/Σw)).
 *
 * A pair's confidence sequence runs over N = n_C + n_T, the units of ITS two arms, so its N*
 * must count the same units: with three equal arms and a plan of 9,000 units in all, each pair
 * expects 6,000 of them. (With two arms the share is 1 and N*_pair = N*_total.) Effects that
 * run over every arm (factorial main effects, N = all units) use the whole total instead.
 * `planned` null or undefined means the experiment set no plan: DEFAULT_SEQUENTIAL_TUNING.
 */
export function pairPlannedSampleSize(
  planned: number | null | undefined,
  weights: { control: number; treatment: number; total: number },
): PairTuning {
  const explicit = planned !== null && planned !== undefined;
  if (explicit && !(Number.isFinite(planned) && planned > 0)) throw new RangeError(`planned sample size must be > 0, got ${planned}`);
  const { control, treatment, total: sum } = weights;
  for (const [name, w] of [['weights.control', control], ['weights.treatment', treatment], ['weights.total', sum]] as const) {
    if (!(Number.isFinite(w) && w >= 0)) throw new RangeError(`${name} must be a finite number >= 0, got ${w}`);
  }
  if (!(sum > 0)) throw new RangeError('weights.total must be > 0');
  if (control + treatment > sum * (1 + 1e-12)) throw new RangeError('the pair\'s weights exceed the total weight');
  const total = explicit ? planned : DEFAULT_SEQUENTIAL_TUNING;
  const share = Math.min(1, (control + treatment) / sum);
  return { plannedSampleSize: Math.max(2, Math.round(total * share)), total, source: explicit ? 'planned' : 'default', share };
}
