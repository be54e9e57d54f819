/**
 * Multiple-testing corrections, returning adjusted p-values in the input order, as R's
 * p.adjust(p, "holm") and p.adjust(p, "BH").
 *
 *  - Holm (1979), "A simple sequentially rejective multiple test procedure", Scand. J. Stat.
 *    6:65–70 — family-wise error rate. With p_(1) ≤ … ≤ p_(m):
 *      adj_(i) = min(1, max_{j ≤ i} (m − j + 1)·p_(j))      (step-down, monotone)
 *  - Benjamini & Hochberg (1995), "Controlling the false discovery rate", JRSS B 57:289–300 —
 *    false discovery rate:
 *      adj_(i) = min(1, min_{j ≥ i} m·p_(j)/j)              (step-up, monotone)
 */
import { assertProbability } from './validate';

function sortedOrder(p: number[]): number[] {
  p.forEach((v, i) => assertProbability(v, `p[${i}]`));
  return p.map((_, i) => i).sort((a, b) => p[a] - p[b] || a - b);
}

/** Holm step-down adjusted p-values (p.adjust(p, "holm")). */
export function holm(p: number[]): number[] {
  const m = p.length;
  const order = sortedOrder(p);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach((idx, i) => {
    running = Math.max(running, Math.min(1, (m - i) * p[idx]));
    out[idx] = running;
  });
  return out;
}

/** Benjamini–Hochberg step-up adjusted p-values (p.adjust(p, "BH")). */
export function benjaminiHochberg(p: number[]): number[] {
  const m = p.length;
  const order = sortedOrder(p);
  const out = new Array<number>(m);
  let running = 1;
  for (let i = m - 1; i >= 0; i--) {
    const idx = order[i];
    running = Math.min(running, (m / (i + 1)) * p[idx]); // same operation order as R
    out[idx] = running;
  }
  return out;
}
