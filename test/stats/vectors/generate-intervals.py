#!/usr/bin/python3
"""Regenerates test/stats/vectors/intervals.json: reference values for the binary difference
interval (Newcombe's hybrid score, method 10) and the direction-aware sample sizes.

    apt-get install -y python3-statsmodels      # Debian: statsmodels 0.13.5, SciPy 1.10.1
    /usr/bin/python3 test/stats/vectors/generate-intervals.py

Newcombe: statsmodels.stats.proportion.confint_proportions_2indep(count1, nobs1, count2, nobs2,
method="newcomb", compare="diff", alpha=a), group 1 = treatment. A critical value c (e.g. the
sequential one) is passed as alpha = 2*norm.sf(c). The "statistic" is the c at which the
interval's bound reaches 0, found with scipy.optimize.brentq on statsmodels' own bound.
Every item carries its call. CI never runs this script: the jest tests only read the JSON.
"""
import json
import math
import os

import numpy as np
import scipy
import statsmodels
from scipy import optimize, stats
from statsmodels.stats.proportion import confint_proportions_2indep

HERE = os.path.dirname(os.path.abspath(__file__))


def seq_crit(n, alpha=0.05, tuning=10000):
    """src/stats/sequential.ts sequentialCriticalValue, transcribed."""
    l = -2 * math.log(alpha)
    nr2 = n * (l + math.log1p(l)) / tuning
    return math.sqrt(2 * (1 + 1 / nr2) * (0.5 * math.log1p(nr2) - math.log(alpha)))


def newcomb(xt, nt, xc, nc, alpha):
    lo, hi = confint_proportions_2indep(xt, nt, xc, nc, method="newcomb", compare="diff", alpha=alpha)
    return [float(lo), float(hi)]


def statistic(xt, nt, xc, nc):
    d = xt / nt - xc / nc
    if d == 0:
        return 0.0
    # bound at critical value c; the root is where it crosses 0
    def bound(c):
        ci = newcomb(xt, nt, xc, nc, 2 * stats.norm.sf(c))
        return ci[0] if d > 0 else -ci[1]
    hi = 37.5  # the largest c whose alpha = 2*norm.sf(c) is still a normal double
    assert bound(hi) < 0, (xt, nt, xc, nc)
    c = optimize.brentq(bound, 1e-9, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
    return c if d > 0 else -c


CASES = [
    # Newcombe (1998) Table II, examples (a)-(h): x1/n1 vs x2/n2, p1 - p2
    (56, 70, 48, 80, "Newcombe 1998 Table II (a): 95% CI 0.0524 to 0.3339"),
    (9, 10, 3, 10, "Newcombe 1998 Table II (b): 95% CI 0.1705 to 0.8090"),
    (6, 7, 2, 7, "Newcombe 1998 Table II (c)"),
    (5, 56, 0, 29, "Newcombe 1998 Table II (d)"),
    (0, 10, 0, 20, "Newcombe 1998 Table II (e)"),
    (0, 10, 0, 10, "Newcombe 1998 Table II (f)"),
    (10, 10, 0, 20, "Newcombe 1998 Table II (g)"),
    (10, 10, 0, 10, "Newcombe 1998 Table II (h)"),
    # product cases
    (0, 3037, 15, 3000, "issue 16: a 0/3,037 arm"),
    (3037, 3037, 2990, 3000, "rate 1 against a high rate"),
    (0, 10, 10, 10, "0 % vs 100 %: the Wald SE is 0"),
    (1200, 10000, 1000, 10000, "large arms"),
    (5100000, 50000000, 5000000, 50000000, "n = 5e7 per arm"),
]

newcombe = []
for xt, nt, xc, nc, note in CASES:
    c_seq = seq_crit(nt + nc)
    stat = statistic(xt, nt, xc, nc)
    newcombe.append({
        "note": note,
        "call": f"confint_proportions_2indep({xt}, {nt}, {xc}, {nc}, method='newcomb', compare='diff', alpha=a)",
        "treatment": {"units": nt, "conversions": xt},
        "control": {"units": nc, "conversions": xc},
        "estimate": xt / nt - xc / nc,
        "ci95": newcomb(xt, nt, xc, nc, 0.05),
        "ci99": newcomb(xt, nt, xc, nc, 0.01),
        "sequentialCritical": c_seq,
        "ciSequential": newcomb(xt, nt, xc, nc, 2 * stats.norm.sf(c_seq)),
        "statistic": stat,
        "statisticCall": "brentq(c -> bound of confint_proportions_2indep(..., alpha=2*norm.sf(c)), root where it is 0)",
        "pValue": float(2 * stats.norm.sf(abs(stat))),
    })

# Sample size per arm n = ceil((z_{1-a/2} + z_power)^2 (v_C + v_T) / delta^2), the formula of
# src/stats/power.ts, with a SIGNED relative change (a metric that should fall is powered for a fall).
def n_binary(p, lift, alpha=0.05, power=0.8):
    p2 = p * (1 + lift)
    z = stats.norm.isf(alpha / 2) + stats.norm.ppf(power)
    n = z * z * (p * (1 - p) + p2 * (1 - p2)) / (p2 - p) ** 2
    return max(2, math.ceil(n * (1 - 1e-12)))


def n_means(mean, var, lift, alpha=0.05, power=0.8):
    z = stats.norm.isf(alpha / 2) + stats.norm.ppf(power)
    return max(2, math.ceil(z * z * 2 * var / (mean * lift) ** 2 * (1 - 1e-12)))


power = []
for p, lift in [(0.08, -0.05), (0.08, 0.05), (0.04, 0.52), (0.2, -0.1), (0.02, -1.0), (0.5, 0.3)]:
    power.append({"type": "binary", "rate": p, "lift": lift, "unitsPerArm": n_binary(p, lift),
                  "call": f"ceil((norm.isf(0.025) + norm.ppf(0.8))**2 * ({p}*(1-{p}) + p2*(1-p2)) / (p2-{p})**2), p2 = {p}*(1+{lift})"})
for mean, var, lift in [(12.0, 900.0, -0.05), (12.0, 900.0, 0.52)]:
    power.append({"type": "mean", "mean": mean, "unitVariance": var, "lift": lift, "unitsPerArm": n_means(mean, var, lift),
                  "call": f"ceil((norm.isf(0.025) + norm.ppf(0.8))**2 * 2*{var} / ({mean}*{lift})**2)"})

out = {
    "generator": f"test/stats/vectors/generate-intervals.py with statsmodels {statsmodels.__version__}, SciPy {scipy.__version__}, NumPy {np.__version__}",
    "newcombe": newcombe,
    "power": power,
}
with open(os.path.join(HERE, "intervals.json"), "w") as fh:
    json.dump(out, fh, indent=1)
    fh.write("\n")
print("wrote", os.path.join(HERE, "intervals.json"))
