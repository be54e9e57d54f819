/**
 * Seeded randomness for the simulator: the same seed gives the same customers, the same
 * behaviour and so the same results. Pure functions of their inputs (no Math.random).
 */
export type Rng = () => number;

/** mulberry32: a small, fast 32-bit generator, plenty for simulated traffic. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed derived from a seed and a name (FNV-1a), so each stream is independent of the others' draws. */
export function derive(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function normal(r: Rng): number {
  let u = 0;
  while (u === 0) u = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

/** Knuth's method; fine for the small means of simulated behaviour. */
export function poisson(r: Rng, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = r();
  while (p > limit) {
    k++;
    p *= r();
  }
  return k;
}

/** One key of `shares`, drawn with probability proportional to its share. */
export function pick<K extends string>(r: Rng, shares: Readonly<Record<K, number>>): K {
  const entries = Object.entries(shares) as [K, number][];
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [k, w] of entries) {
    x -= w;
    if (x < 0) return k;
  }
  return entries[entries.length - 1][0];
}
