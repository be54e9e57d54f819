/**
 * Relative lift treatment/control − 1 with Fieller's confidence interval.
 *
 * For independent, asymptotically normal estimates m_T, m_C with variances v_T, v_C, the set of
 * ratios r = μ_T/μ_C not rejected at critical value c is (Fieller 1954, "Some problems in
 * interval estimation", JRSS B 16:175–185; Franz 2007, "Ratios: a short guide to confidence
 * limits and proper use", arXiv:0710.2024):
 *
 *   { r : (m_T − r·m_C)² ≤ c²(v_T + r²·v_C) }.
 *
 * With A = m_C² − c²v_C > 0 (the control mean is distinguishable from 0) this is the bounded
 * interval  r = (m_T·m_C ± c·√D)/A,  D = m_T²v_C + m_C²v_T − c²v_T·v_C,  and the lift interval is
 * r − 1 = (m_C(m_T − m_C) + c²v_C ± c·√D)/A (written without the cancelling "− 1").
 * With A ≤ 0 the set is unbounded (the complement of an interval, or everything): no finite
 * interval exists and we return ci = null with a reason instead of inventing one.
 *
 * Key property (tested with fast-check): r = 1 lies outside the interval exactly when
 * (m_T − m_C)² > c²(v_T + v_C), i.e. exactly when the absolute test at the same c is significant.
 */
import type { Interval } from './types';

export interface RelativeLift {
  estimate: number | null;
  ci: Interval | null;
  reason?: string;
}

/** Point estimate of the lift, (m_T − m_C)/m_C; null (with reason) when m_C = 0 or it overflows. */
export function relativeLiftEstimate(meanC: number, meanT: number): { estimate: number | null; reason?: string } {
  if (meanC === 0) return { estimate: null, reason: 'control mean is 0: relative lift undefined' };
  const estimate = (meanT - meanC) / meanC;
  if (!Number.isFinite(estimate)) return { estimate: null, reason: 'control mean too close to 0: relative lift overflows' };
  return { estimate };
}

/**
 * Lift estimate and Fieller interval at critical value `c`, for independent arms whose means
 * have variances varC and varT (squared standard errors).
 */
export function fiellerLift(meanC: number, varC: number, meanT: number, varT: number, c: number): RelativeLift {
  const point = relativeLiftEstimate(meanC, meanT);
  if (point.estimate === null) return { estimate: null, ci: null, reason: point.reason };
  const c2 = c * c;
  const a = meanC * meanC - c2 * varC;
  if (!(a > 0)) {
    return {
      estimate: point.estimate,
      ci: null,
      reason:
        'control mean is not distinguishable from 0 at this confidence level (mean² <= crit²·variance): ' +
        'the relative interval is unbounded',
    };
  }
  // D = m_T²v_C + v_T·A ≥ 0 whenever A > 0.
  const d = meanT * meanT * varC + varT * a;
  const centre = meanC * (meanT - meanC) + c2 * varC;
  const half = c * Math.sqrt(d);
  const lo = (centre - half) / a;
  const hi = (centre + half) / a;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    return { estimate: point.estimate, ci: null, reason: 'relative interval overflows double precision' };
  }
  return { estimate: point.estimate, ci: [lo, hi] };
}
