/**
 * Fixed-horizon two-sided test of H0: effect = 0 for an estimate with standard error `se`:
 * statistic = estimate/se, referred to N(0,1) (df = null) or to Student t with `df` degrees of
 * freedom, and the Wald-type interval estimate ± c·se with c = z_{1−α/2} or t_{1−α/2, df}
 * (e.g. Casella & Berger, Statistical Inference, 2nd ed., §9.2; R: t.test / qnorm).
 */
import { normalQuantile, normalTwoSidedP, studentTQuantile, studentTTwoSidedP } from './distributions';
import type { Interval, TestResult } from './types';

/** c = z_{1−α/2} (df = null) or t_{1−α/2, df}: qnorm(1 − α/2) / qt(1 − α/2, df) in R. */
export function fixedCriticalValue(alpha: number, df: number | null = null): number {
  // −Φ⁻¹(α/2) rather than Φ⁻¹(1 − α/2): exact for tiny α.
  if (df === null) return -normalQuantile(alpha / 2);
  return -studentTQuantile(alpha / 2, df);
}

/** Two-sided z test (df = null) or t test, with the matching 1 − α interval. */
export function fixedHorizonTest(estimate: number, se: number, df: number | null, alpha: number): TestResult {
  const criticalValue = fixedCriticalValue(alpha, df);
  if (se === 0) return zeroSeResult(estimate, criticalValue, df);
  const statistic = estimate / se;
  const pValue = df === null ? normalTwoSidedP(statistic) : studentTTwoSidedP(statistic, df);
  const half = criticalValue * se;
  const ci: Interval = [estimate - half, estimate + half];
  return { statistic, pValue, df, criticalValue, ci };
}

/**
 * Zero standard error (both arms constant). Equal estimates: nothing to test, p = 1 and the
 * interval is the point. Different estimates: the normal/t approximation is undefined (the
 * statistic would be infinite), so p, statistic and interval are null with a reason rather than
 * a fabricated p = 0. Shared by the fixed-horizon and sequential tests.
 */
export function zeroSeResult(estimate: number, criticalValue: number, df: number | null = null): TestResult {
  if (estimate === 0) return { statistic: 0, pValue: 1, df, criticalValue, ci: [0, 0] };
  return {
    statistic: null,
    pValue: null,
    df,
    criticalValue,
    ci: null,
    reason: 'zero standard error: both arms have no variance but different values, so the test is undefined',
  };
}
