/**
 * A/A simulations with a fixed-seed PRNG: the false-positive rate of the fixed analysis must be
 * close to alpha, and the sequential analysis must stay at or below alpha even when every
 * experiment is looked at 20 times. Counts are drawn as binomials (not per-unit Bernoullis) and
 * the tests call the exact code path compareBinary uses (proportionDifference → fixedHorizonTest /
 * sequentialTest), skipping the Bayesian part, to stay fast.
 */
import { fixedHorizonTest, proportionDifference, sequentialTest } from '../../src/stats';
import { mulberry32 } from './helpers';

const { log, ceil } = Math; // local aliases: global lookups are slow under jest's vm context

/** Exact Binomial(n, p) draw by counting geometric waiting times (cost O(np + 1)). */
function binomial(rand: () => number, n: number, p: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return n;
  const logQ = log(1 - p);
  let x = 0;
  let used = 0;
  for (;;) {
    used += ceil(log(1 - rand()) / logQ);
    if (used > n) return x;
    x++;
  }
}

const ALPHA = 0.05;
const EXPERIMENTS = 2000;
const RATE = 0.1;

function pValueFixed(xc: number, nc: number, xt: number, nt: number): number {
  const d = proportionDifference({ units: nc, conversions: xc }, { units: nt, conversions: xt });
  return fixedHorizonTest(d.estimate as number, d.se as number, null, ALPHA).pValue ?? 1;
}

function pValueSequential(xc: number, nc: number, xt: number, nt: number, planned: number): number {
  const d = proportionDifference({ units: nc, conversions: xc }, { units: nt, conversions: xt });
  return sequentialTest(d.estimate as number, d.se as number, nc + nt, ALPHA, planned).pValue ?? 1;
}

describe('A/A simulation (2,000 experiments, mulberry32 seed 20240611)', () => {
  test('fixed analysis: false-positive rate within 0.035..0.065 at alpha 0.05', () => {
    const rand = mulberry32(20240611);
    const n = 5000;
    let rejections = 0;
    for (let e = 0; e < EXPERIMENTS; e++) {
      const xc = binomial(rand, n, RATE);
      const xt = binomial(rand, n, RATE);
      if (pValueFixed(xc, n, xt, n) < ALPHA) rejections++;
    }
    const fpr = rejections / EXPERIMENTS;
    expect(fpr).toBeGreaterThanOrEqual(0.035);
    expect(fpr).toBeLessThanOrEqual(0.065);
  });

  test('sequential analysis peeked at 20 times: false-positive rate <= 0.05 (naive fixed peeking is far above)', () => {
    const rand = mulberry32(7);
    const looks = 20;
    const perLook = 500; // units per arm added between looks; 10,000 per arm at the end
    const planned = 2 * looks * perLook;
    let seqRejections = 0;
    let naiveRejections = 0;
    for (let e = 0; e < EXPERIMENTS; e++) {
      let xc = 0;
      let xt = 0;
      let n = 0;
      let seqHit = false;
      let naiveHit = false;
      for (let k = 0; k < looks; k++) {
        xc += binomial(rand, perLook, RATE);
        xt += binomial(rand, perLook, RATE);
        n += perLook;
        if (!seqHit && pValueSequential(xc, n, xt, n, planned) < ALPHA) seqHit = true;
        if (!naiveHit && pValueFixed(xc, n, xt, n) < ALPHA) naiveHit = true;
      }
      if (seqHit) seqRejections++;
      if (naiveHit) naiveRejections++;
    }
    expect(seqRejections / EXPERIMENTS).toBeLessThanOrEqual(0.05);
    expect(naiveRejections / EXPERIMENTS).toBeGreaterThan(0.1); // why sequential analysis exists
  });

  test('the binomial sampler has the right mean and variance', () => {
    const rand = mulberry32(1);
    const draws = Array.from({ length: 4000 }, () => binomial(rand, 1000, 0.1));
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws.length - 1);
    expect(Math.abs(mean - 100)).toBeLessThan(0.5); // SE of the mean ≈ 0.15
    expect(Math.abs(variance / 90 - 1)).toBeLessThan(0.08); // SE of the ratio ≈ 0.022
  });
});
