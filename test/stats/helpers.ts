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

/** |actual − expected| ≤ tol·max(1, |scale|) (absolute on the estimate's scale). */
export function expectAbs(actual: number | null | undefined, expected: number, tol = 1e-8, scale = 1, label = ''): void {
  if (typeof actual !== 'number' || !Number.isFinite(actual)) {
    throw new Error(`${label}: expected a finite number near ${expected}, got ${String(actual)}`);
  }
  const bound = tol * Math.max(1, Math.abs(scale));
  if (!(Math.abs(actual - expected) <= bound)) {
    throw new Error(`${label}: ${actual} vs ${expected}: |error| ${Math.abs(actual - expected)} > ${bound}`);
  }
}

/** Interval check at the CI accuracy bar: each bound within 1e-8·max(1, |scale|). */
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
