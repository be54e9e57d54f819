/**
 * Binary metrics: an interval for the difference of two proportions that keeps its coverage at
 * rates 0 and 1, where the Wald interval (proportions.ts) collapses to zero width.
 *
 * Newcombe's hybrid score interval (Newcombe 1998, "Interval estimation for the difference
 * between independent proportions: comparison of eleven methods", Stat. Med. 17:873–890,
 * method 10), built from each arm's Wilson score interval (Wilson 1927, JASA 22:209–212):
 *
 *   Wilson at critical value z:  (x + z²/2 ± z·√(x(n − x)/n + z²/4)) / (n + z²)  → [l, u]
 *   d = p̂_T − p̂_C
 *   lower = d − √((p̂_T − l_T)² + (u_C − p̂_C)²)
 *   upper = d + √((u_T − p̂_T)² + (p̂_C − l_C)²)
 *
 * Newcombe's Table II worked examples (95 %): 56/70 − 48/80 → 0.0524 to 0.3339; 9/10 − 3/10 →
 * 0.1705 to 0.8090 (test/stats/newcombe.test.ts). Pinned at full precision against statsmodels
 * confint_proportions_2indep(method = "newcomb") in test/stats/vectors/intervals.json. Fagerland,
 * Lydersen & Laake (2015, Stat. Methods Med. Res. 24:224–254) recommend it for the difference.
 *
 * Any critical value works, so the same interval serves the sequential analysis (pass the
 * confidence-sequence multiplier instead of z_{1−α/2}).
 *
 * A test that agrees with the interval: `newcombeStatistic` is the critical value at which the
 * interval just touches 0 (signed like d). The interval at critical value c excludes 0 exactly
 * when |statistic| > c, so the p-value is normalTwoSidedP(statistic) (fixed) or
 * sequentialPValue(statistic, N, α, N*) (sequential) and "significant" never disagrees with
 * the interval. It is defined at rates 0 and 1 (0/10 vs 10/10 included), where the Wald z is not.
 */
import type { BinaryArm, Interval } from './types';
import { assertBinaryArm, assertFinite } from './validate';

/** Wilson score interval of one arm's rate at critical value z (exact 0 and 1 at the edges). */
export function wilsonInterval(arm: BinaryArm, z: number): Interval | null {
  assertBinaryArm(arm, 'arm');
  assertCritical(z);
  const { units: n, conversions: x } = arm;
  if (n === 0) return null;
  const z2 = z * z;
  const centre = (x + z2 / 2) / (n + z2);
  const half = (z * Math.sqrt((x * (n - x)) / n + z2 / 4)) / (n + z2);
  return [x === 0 ? 0 : Math.max(0, centre - half), x === n ? 1 : Math.min(1, centre + half)];
}

function assertCritical(z: number): void {
  assertFinite(z, 'criticalValue');
  if (!(z > 0)) throw new RangeError(`criticalValue must be > 0, got ${z}`);
}

/** The two half-widths of Newcombe's interval at critical value z: d − below, d + above. */
function halfWidths(control: BinaryArm, treatment: BinaryArm, z: number): { below: number; above: number } {
  const pT = treatment.conversions / treatment.units;
  const pC = control.conversions / control.units;
  const [lT, uT] = wilsonInterval(treatment, z)!;
  const [lC, uC] = wilsonInterval(control, z)!;
  return { below: Math.hypot(pT - lT, uC - pC), above: Math.hypot(uT - pT, pC - lC) };
}

export interface NewcombeDifference {
  /** p̂_T − p̂_C; null when an arm has no units. */
  estimate: number | null;
  /** Newcombe's hybrid score interval at the given critical value, within [−1, 1]. */
  ci: Interval | null;
  reason?: string;
}

/** Newcombe's hybrid score interval (method 10) for p_T − p_C at critical value `z`. */
export function newcombeDifference(control: BinaryArm, treatment: BinaryArm, z: number): NewcombeDifference {
  assertBinaryArm(control, 'control');
  assertBinaryArm(treatment, 'treatment');
  assertCritical(z);
  if (control.units === 0 || treatment.units === 0) return { estimate: null, ci: null, reason: 'an arm has no units' };
  const estimate = treatment.conversions / treatment.units - control.conversions / control.units;
  const { below, above } = halfWidths(control, treatment, z);
  return { estimate, ci: [Math.max(-1, estimate - below), Math.min(1, estimate + above)] };
}

/**
 * The signed critical value at which Newcombe's interval has 0 as its bound: the interval at c
 * excludes 0 iff |statistic| > c. 0 when the rates are equal; null when an arm has no units.
 * The bound moves monotonically with c (Wilson intervals are nested), so bisection finds it
 * to full double precision; it is finite for every d ≠ 0.
 */
export function newcombeStatistic(control: BinaryArm, treatment: BinaryArm): number | null {
  assertBinaryArm(control, 'control');
  assertBinaryArm(treatment, 'treatment');
  if (control.units === 0 || treatment.units === 0) return null;
  const d = treatment.conversions / treatment.units - control.conversions / control.units;
  if (d === 0) return 0;
  // Distance from d to 0 that the bound must cover at critical value c.
  const reach = (c: number) => {
    const h = halfWidths(control, treatment, c);
    return d > 0 ? h.below : h.above;
  };
  const target = Math.abs(d);
  let lo = 0;
  let hi = 1;
  while (reach(hi) < target) {
    lo = hi;
    hi *= 2;
    if (hi > 1e8) return null; // unreachable: the bound reaches 0 at a finite c for every d ≠ 0
  }
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (reach(mid) < target) lo = mid;
    else hi = mid;
  }
  const c = (lo + hi) / 2;
  return d > 0 ? c : -c;
}
