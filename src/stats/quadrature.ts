/**
 * Gauss–Legendre quadrature (Golub & Welsch 1969; Press et al., Numerical Recipes 3rd ed.,
 * §4.6 `gauleg`): nodes t_k and weights w_k on [−1, 1] such that Σ w_k f(t_k) is exact for
 * polynomials of degree ≤ 2m − 1, plus the "integration matrix" S with
 * Σ_l S[k][l]·f(t_l) = ∫_{−1}^{t_k} p(t) dt for the degree-(m−1) interpolant p of f at the
 * nodes (spectral integration, Greengard 1991, SIAM J. Numer. Anal. 28:1071). Used by bayes.ts
 * to integrate a density and its running CDF with m evaluations per panel.
 */

export interface GaussLegendre {
  nodes: number[];
  weights: number[];
  /** S[k][l]: weight of f(t_l) in ∫_{−1}^{t_k} f. */
  cumulative: number[][];
}

/** Nodes and weights of the m-point rule by Newton iteration on the Legendre polynomial P_m. */
export function gaussLegendre(m: number): GaussLegendre {
  if (!Number.isInteger(m) || m < 2) throw new RangeError('gaussLegendre: m must be an integer >= 2');
  const nodes = new Array<number>(m);
  const weights = new Array<number>(m);
  for (let i = 0; i < Math.ceil(m / 2); i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (m + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p1 = 1;
      let p2 = 0;
      for (let j = 1; j <= m; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
      }
      dp = (m * (z * p1 - p2)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    nodes[i] = -z;
    nodes[m - 1 - i] = z;
    weights[i] = weights[m - 1 - i] = 2 / ((1 - z * z) * dp * dp);
  }
  // Barycentric weights of the Lagrange basis at the nodes.
  const bary = nodes.map((tj, j) => 1 / nodes.reduce((acc, tk, k) => (k === j ? acc : acc * (tj - tk)), 1));
  const lagrange = (l: number, t: number): number => {
    let num = bary[l];
    for (let k = 0; k < m; k++) if (k !== l) num *= t - nodes[k];
    return num;
  };
  const cumulative = nodes.map((tk) => {
    const half = (tk + 1) / 2; // map the rule onto [−1, t_k]
    return nodes.map((_, l) => {
      let s = 0;
      for (let q = 0; q < m; q++) s += weights[q] * lagrange(l, -1 + half * (nodes[q] + 1));
      return s * half;
    });
  });
  return { nodes, weights, cumulative };
}
