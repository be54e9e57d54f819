/** Shared helpers for the statistics tests. */

/** |actual − expected| ≤ tol·|expected| (relative; both must be finite). */
export function expectRel(actual: number | null | undefined, expected: number, tol = 1e-6, label = ''): void {
  if (typeof actual !== 'number' || !Number.isFinite(actual)) {
    throw new Error(`${label}: expected a finite number near ${expected}, got ${String(actual)}`);
  }
  const err = Math.abs(actual - expected);
  if (!(err <= tol * Math.abs(expected))) {
    throw new Error(`${label}: ${actual} vs ${expected}: relative error ${err / Math.abs(expected)} > ${tol}`);
  }
}

/**
 * The scale that CI bounds are checked on: the estimate's magnitude, or its standard error when
 * the estimate is smaller than one SE (an estimate near 0 has no magnitude of its own, and the
 * bounds are then about ±crit·SE). Both inputs must come from the REFERENCE, never from the
 * result under test. "CI bounds to 1e-8 of the estimate's scale" means
 * |bound − reference bound| ≤ 1e-8 · ciScale(reference estimate, reference SE).
 * E.g. a binary difference of 1e-4 at n = 1e8 per arm (SE ≈ 4e-5) is checked to ~1e-12 absolute.
 */
export function ciScale(estimate: number, se: number): number {
  const scale = Math.max(Math.abs(estimate), Math.abs(se));
  if (!(scale > 0 && Number.isFinite(scale))) throw new Error(`ciScale: no usable scale from estimate ${estimate}, se ${se}`);
  return scale;
}

/**
 * |actual − expected| ≤ tol·|scale|: absolute error measured on the given scale (relative to the
 * scale, NOT to max(1, scale): a scale of 1e-4 means an absolute bound of tol·1e-4). Pass the
 * magnitude the test means: 1 for a probability, ciScale(estimate, se) for an effect or a CI
 * bound. The scale must be positive and finite (a zero scale would demand exact equality; say so
 * with toBe instead).
 */
export function expectAbs(actual: number | null | undefined, expected: number, tol = 1e-8, scale = 1, label = ''): void {
  if (typeof actual !== 'number' || !Number.isFinite(actual)) {
    throw new Error(`${label}: expected a finite number near ${expected}, got ${String(actual)}`);
  }
  if (!(Math.abs(scale) > 0 && Number.isFinite(scale))) throw new Error(`${label}: scale must be positive and finite, got ${scale}`);
  const bound = tol * Math.abs(scale);
  if (!(Math.abs(actual - expected) <= bound)) {
    throw new Error(
      `${label}: ${actual} vs ${expected}: |error| ${Math.abs(actual - expected)} > ${bound} (= ${tol}·${Math.abs(scale)}; ` +
        `${Math.abs(actual - expected) / Math.abs(scale)} of the scale)`,
    );
  }
}

/**
 * Interval check at the CI accuracy bar: each bound within tol·|scale| of the reference
 * (default tol 1e-8), with scale normally ciScale(reference estimate, reference SE).
 */
export function expectInterval(actual: [number, number] | null | undefined, expected: number[], scale: number, label = '', tol = 1e-8): void {
  if (!actual) throw new Error(`${label}: expected an interval, got ${String(actual)}`);
  expectAbs(actual[0], expected[0], tol, scale, `${label} lower`);
  expectAbs(actual[1], expected[1], tol, scale, `${label} upper`);
}

const { imul } = Math; // local alias: global lookups are slow under jest's vm context

/** mulberry32: tiny, fast, seedable 32-bit PRNG (Tommy Ettinger, public domain). Returns [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deep check that no number anywhere in a result is NaN or ±Infinity. */
export function expectNoNonFinite(value: unknown, path = 'result'): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${path} is ${value}`);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => expectNoNonFinite(v, `${path}[${i}]`));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) expectNoNonFinite(v, `${path}.${k}`);
  }
}

/**
 * Exact coverage of an interval procedure for two binomial arms of n units at true rates pT and
 * pC: Σ P(x_T)·P(x_C)·[the interval from (x_T, x_C) covers the truth], enumerating every outcome
 * with probability above 1e-15 (no simulation noise). `covers` gets control and treatment arms.
 */
export function exactBinomialCoverage(
  n: number,
  pT: number,
  pC: number,
  covers: (control: { units: number; conversions: number }, treatment: { units: number; conversions: number }) => boolean,
): number {
  const pmf = (p: number): number[] => {
    const out: number[] = [];
    let lp = n * Math.log1p(-p);
    for (let x = 0; x <= n; x++) {
      out.push(Math.exp(lp));
      lp += Math.log((n - x) / (x + 1)) + Math.log(p) - Math.log1p(-p);
    }
    return out;
  };
  const fT = pmf(pT);
  const fC = pmf(pC);
  let covered = 0;
  for (let xt = 0; xt <= n; xt++) {
    for (let xc = 0; xc <= n; xc++) {
      const w = fT[xt] * fC[xc];
      if (w < 1e-15) continue;
      if (covers({ units: n, conversions: xc }, { units: n, conversions: xt })) covered += w;
    }
  }
  return covered;
}
