#!/usr/bin/env python3
"""Regenerates test/stats/vectors/scipy.json: reference values computed with SciPy (and mpmath
where a higher-precision check is useful).

    python3 test/stats/vectors/generate.py      # SciPy 1.17.1, mpmath 1.3.0, numpy 2.x

Every pinned number is stored next to the exact call that produced it ("call" fields).
CI never runs this script: the jest tests only read the JSON.
"""
import json
import math
import os

import mpmath as mp
import numpy as np
import scipy
from scipy import integrate, stats

mp.mp.dps = 50
HERE = os.path.dirname(os.path.abspath(__file__))


def f(x):
    return float(x)


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


# ---------------------------------------------------------------- distributions
def t_two_sided_mp(t, df):
    """mpmath cross-check: P(|T_df| > |t|) = I_{df/(df+t^2)}(df/2, 1/2)."""
    t, df = mp.mpf(t), mp.mpf(df)
    return mp.betainc(df / 2, mp.mpf(1) / 2, 0, df / (df + t * t), regularized=True)


dist = {"normalSf": [], "normalCdf": [], "normalTwoSidedP": [], "normalQuantile": [], "tTwoSidedP": [],
        "tQuantile": [], "chiSquareSf": [], "betaCdf": []}
for z in [-37.5, -20, -10, -5, -1.96, -0.5, 0, 0.5, 1.96, 5, 10, 20, 30, 37.5]:
    dist["normalSf"].append({"x": z, "value": f(stats.norm.sf(z)), "call": f"scipy.stats.norm.sf({z})"})
    dist["normalCdf"].append({"x": z, "value": f(stats.norm.cdf(z)), "call": f"scipy.stats.norm.cdf({z})"})
for z in [0, 1, 1.959963984540054, 3.1, 8, 20, 37, 37.0471, 37.5]:
    dist["normalTwoSidedP"].append({"x": z, "value": f(2 * stats.norm.sf(z)), "call": f"2*scipy.stats.norm.sf({z})"})
for p in [1e-300, 1e-100, 1e-10, 0.001, 0.025, 0.3, 0.5, 0.8, 0.975, 1 - 1e-12]:
    dist["normalQuantile"].append({"p": p, "value": f(stats.norm.ppf(p)), "call": f"scipy.stats.norm.ppf({p!r})"})
for df in [1, 2, 10, 12.7, 17.776, 1e5, 1e7, 1e9]:
    for t in [0.5, 1.96, 3.1, 5, 10, 37]:
        v = f(2 * stats.t.sf(t, df))
        if v < 1e-300:
            continue
        m = f(t_two_sided_mp(t, df))
        assert rel(v, m) < 1e-11, (t, df, v, m)
        dist["tTwoSidedP"].append({"t": t, "df": df, "value": v,
                                   "call": f"2*scipy.stats.t.sf({t}, {df!r})  # mpmath betainc agrees to {rel(v, m):.1e}"})
# Values where the t tail is down near 1e-300 for small and huge df.
for t, df in [(1e150, 2), (2.2e100, 3), (37.05, 1e9), (37.0, 1e6)]:
    v = f(2 * stats.t.sf(t, df))
    m = f(t_two_sided_mp(t, df))
    dist["tTwoSidedP"].append({"t": t, "df": df, "value": m,
                               "call": f"mpmath: betainc(df/2, 1/2, 0, df/(df+t^2), regularized=True) (2*scipy.stats.t.sf = {v!r})"})
for df in [1, 2, 3, 10, 17.776, 100, 1e5, 1e7, 1e9]:
    for p in [0.975, 0.995, 1e-10]:
        dist["tQuantile"].append({"p": p, "df": df, "value": f(stats.t.ppf(p, df)),
                                  "call": f"scipy.stats.t.ppf({p!r}, {df!r})"})
for k, xs in [(1, [0.5, 3.841458820694124, 100, 500, 1000, 1300]), (3, [7.8, 100, 1000, 1350]),
              (10, [18.3, 200, 1400]), (2, [5.99, 1300])]:
    for x in xs:
        dist["chiSquareSf"].append({"x": x, "k": k, "value": f(stats.chi2.sf(x, k)),
                                    "call": f"scipy.stats.chi2.sf({x!r}, {k})"})
for x, a, b in [(0.3, 2, 5), (0.1, 1e4, 9e4), (0.5, 3, 3)]:
    dist["betaCdf"].append({"x": x, "a": a, "b": b, "value": f(stats.beta.cdf(x, a, b)),
                            "call": f"scipy.stats.beta.cdf({x}, {a!r}, {b!r})"})

# ---------------------------------------------------------------- sequential (mpmath, formula)
def seq_crit(n, alpha, tuning):
    n, alpha, tuning = mp.mpf(n), mp.mpf(alpha), mp.mpf(tuning)
    rho2 = (-2 * mp.log(alpha) + mp.log(1 - 2 * mp.log(alpha))) / tuning
    return mp.sqrt(n) * mp.sqrt(2 * (n * rho2 + 1) / (n * n * rho2) * mp.log(mp.sqrt(n * rho2 + 1) / alpha))


def seq_p(z, n, alpha, tuning):
    z, n, alpha, tuning = mp.mpf(z), mp.mpf(n), mp.mpf(alpha), mp.mpf(tuning)
    rho2 = (-2 * mp.log(alpha) + mp.log(1 - 2 * mp.log(alpha))) / tuning
    return min(mp.mpf(1), mp.sqrt(n * rho2 + 1) * mp.exp(-rho2 * n * z * z / (2 * (n * rho2 + 1))))


sequential = {"critical": [], "pValue": []}
for n, alpha, tuning in [(2, 0.05, 10000), (100, 0.05, 10000), (6461, 0.05, 1000), (10000, 0.05, 10000),
                         (1e6, 0.05, 10000), (2e8, 0.05, 10000), (20000, 0.01, 20000), (5000, 0.1, 5000)]:
    sequential["critical"].append({"n": n, "alpha": alpha, "tuning": tuning, "value": f(seq_crit(n, alpha, tuning)),
                                   "call": "mpmath (dps=50): sqrt(N)*sqrt(2(N rho^2+1)/(N^2 rho^2)*ln(sqrt(N rho^2+1)/alpha)), "
                                           "rho^2=(-2ln(alpha)+ln(1-2ln(alpha)))/tuning"})
for z, n, alpha, tuning in [(0.5, 1000, 0.05, 10000), (3, 10000, 0.05, 10000), (5, 2e8, 0.05, 10000),
                            (37.5, 1e6, 0.05, 10000), (120, 2e4, 0.05, 10000), (2.5, 50, 0.05, 10000)]:
    sequential["pValue"].append({"z": z, "n": n, "alpha": alpha, "tuning": tuning, "value": f(seq_p(z, n, alpha, tuning)),
                                 "call": "mpmath (dps=50): min(1, sqrt(N rho^2+1)*exp(-rho^2 N z^2/(2(N rho^2+1))))"})

# ---------------------------------------------------------------- binary: unpooled Wald (mpmath, formula)
def binary_case(xc, nc, xt, nt, alpha=0.05, tuning=10000):
    pc, pt = mp.mpf(xc) / nc, mp.mpf(xt) / nt
    d = pt - pc
    se = mp.sqrt(pt * (1 - pt) / nt + pc * (1 - pc) / nc)
    crit = mp.mpf(f(stats.norm.isf(alpha / 2)))
    out = {"control": {"units": nc, "conversions": xc}, "treatment": {"units": nt, "conversions": xt}, "alpha": alpha,
           "estimate": f(d), "se": f(se)}
    if se > 0:
        z = d / se
        out.update({"z": f(z), "pValue": f(mp.erfc(abs(z) / mp.sqrt(2))), "ci": [f(d - crit * se), f(d + crit * se)],
                    "criticalValue": f(crit)})
        sc = seq_crit(nc + nt, alpha, tuning)
        out["sequential"] = {"tuning": tuning, "criticalValue": f(sc), "ci": [f(d - sc * se), f(d + sc * se)],
                             "pValue": f(seq_p(z, nc + nt, alpha, tuning))}
    out["call"] = (f"mpmath: p=x/n; se=sqrt(pT(1-pT)/nT+pC(1-pC)/nC); z=(pT-pC)/se; p=erfc(|z|/sqrt2) "
                   f"[= 2*scipy.stats.norm.sf(|z|)]; ci=d -+ scipy.stats.norm.isf({alpha}/2)*se")
    return out


binary = [binary_case(*c) for c in [
    (48, 80, 56, 70), (1000, 10000, 1100, 10000), (1000, 10000, 1100, 10000, 0.01), (0, 100, 5, 100),
    (100, 100, 95, 100), (1, 2, 2, 2), (10_000_000, 100_000_000, 10_010_000, 100_000_000),
    (100_000, 1_000_000, 116_250, 1_000_000), (3, 50, 2, 40)]]

# ---------------------------------------------------------------- ratio: delta method vs per-unit numpy
rng = np.random.default_rng(20240611)
ratio = []
for label, n_c, n_t in [("sessions-revenue", 40, 45), ("small", 5, 6)]:
    arms = {}
    for name, n, lift in [("control", n_c, 1.0), ("treatment", n_t, 1.15)]:
        den = rng.poisson(3, n) + 1.0  # sessions per user
        num = np.round(den * rng.gamma(2.0, 5.0 * lift, n), 2)  # revenue per user
        mu_n, mu_d = num.mean(), den.mean()
        s_nn, s_dd = num.var(ddof=1), den.var(ddof=1)
        s_nd = np.cov(num, den, ddof=1)[0, 1]
        var_r = (s_nn / mu_d**2 - 2 * mu_n * s_nd / mu_d**3 + mu_n**2 * s_dd / mu_d**4) / n
        arms[name] = {"num": num.tolist(), "den": den.tolist(), "ratio": f(num.sum() / den.sum()), "se": f(math.sqrt(var_r))}
    d = arms["treatment"]["ratio"] - arms["control"]["ratio"]
    se = math.hypot(arms["treatment"]["se"], arms["control"]["se"])
    z = d / se
    ratio.append({"label": label, "control": arms["control"], "treatment": arms["treatment"], "estimate": d, "se": se,
                  "z": z, "pValue": f(2 * stats.norm.sf(abs(z))),
                  "ci": [d - f(stats.norm.isf(0.025)) * se, d + f(stats.norm.isf(0.025)) * se],
                  "call": "numpy per-unit: Var(R)=(s2_num/mu_den^2 - 2 mu_num cov/mu_den^3 + mu_num^2 s2_den/mu_den^4)/n "
                          "with np.var(ddof=1), np.cov(ddof=1); p=2*scipy.stats.norm.sf(|z|); ci with scipy.stats.norm.isf(0.025)"})

# ---------------------------------------------------------------- ratio at the extremes (sufficient statistics)
def ratio_arm_mp(a):
    """R = numSum/denSum and the textbook delta-method Var(R) from unbiased (co)variances (mpmath)."""
    n = mp.mpf(a["units"])
    mn, md = mp.mpf(a["numSum"]) / n, mp.mpf(a["denSum"]) / n
    s_nn = (mp.mpf(a["numSumSquares"]) - n * mn * mn) / (n - 1)
    s_dd = (mp.mpf(a["denSumSquares"]) - n * md * md) / (n - 1)
    s_nd = (mp.mpf(a["crossSum"]) - n * mn * md) / (n - 1)
    return mn / md, (s_nn / md**2 - 2 * mn * s_nd / md**3 + mn**2 * s_dd / md**4) / n


def ratio_extreme_case(label, control, treatment, alpha=0.05, tuning=10000):
    rc, vc = ratio_arm_mp(control)
    rt, vt = ratio_arm_mp(treatment)
    d = rt - rc
    se = mp.sqrt(vc + vt)
    z = d / se
    p_sp = f(2 * stats.norm.sf(abs(f(z))))  # SciPy at the (correctly rounded) z
    p_mp = mp.erfc(abs(z) / mp.sqrt(2))
    assert rel(p_sp, f(p_mp)) < 1e-12, (label, p_sp, p_mp)
    crit = mp.mpf(f(stats.norm.isf(alpha / 2)))
    sc = seq_crit(control["units"] + treatment["units"], alpha, tuning)
    return {"label": label, "control": control, "treatment": treatment, "alpha": alpha,
            "controlRatio": f(rc), "controlSe": f(mp.sqrt(vc)), "treatmentRatio": f(rt), "treatmentSe": f(mp.sqrt(vt)),
            "estimate": f(d), "se": f(se), "z": f(z), "pValue": p_sp, "ci": [f(d - crit * se), f(d + crit * se)],
            "sequential": {"tuning": tuning, "criticalValue": f(sc), "ci": [f(d - sc * se), f(d + sc * se)],
                           "pValue": f(seq_p(z, control["units"] + treatment["units"], alpha, tuning))},
            "call": ("mpmath (dps=50) from the sums: mu=sum/n, s=unbiased (co)variances, "
                     "Var(R)=(s_nn/mu_d^2 - 2 mu_n s_nd/mu_d^3 + mu_n^2 s_dd/mu_d^4)/n, z=(R_T-R_C)/sqrt(Var_T+Var_C); "
                     f"pValue = 2*scipy.stats.norm.sf(abs(z)) (mpmath erfc agrees to {rel(p_sp, f(p_mp)):.1e}); "
                     f"ci = d -+ scipy.stats.norm.isf({alpha}/2)*se; sequential as in 'binary'")}


def ratio_sums(units, num_sum, num_ss, den_sum, den_ss, cross):
    return {"units": units, "numSum": num_sum, "numSumSquares": num_ss, "denSum": den_sum, "denSumSquares": den_ss,
            "crossSum": cross}


# Revenue per session with users as units: ~3 sessions/user (var 2), ~7.5 revenue/user (var ~40), cov ~4.
big_c = ratio_sums(100_000_000, 7.5e8, 9.625e9, 3e8, 1.1e9, 2.65e9)
ratio_extreme = [
    ratio_extreme_case("n=1e8 per arm, z~3.7", big_c, ratio_sums(100_000_000, 7.503e8, 9.63e9, 3e8, 1.1e9, 2.651e9)),
    ratio_extreme_case("n=1e8 per arm, p~2e-300", big_c, ratio_sums(100_000_000, 7.52987e8, 9.63e9, 3e8, 1.1e9, 2.651e9)),
    ratio_extreme_case("n=1e8 vs 5e6, alpha 0.01", big_c, ratio_sums(5_000_000, 3.7512e7, 4.8e8, 1.5e7, 5.5e7, 1.3255e8), alpha=0.01),
    # n = 2 per arm: control num (3, 5) den (1, 2); treatment num (4, 9) den (2, 3)
    ratio_extreme_case("n=2 per arm", ratio_sums(2, 8.0, 34.0, 3.0, 5.0, 13.0), ratio_sums(2, 13.0, 97.0, 5.0, 13.0, 35.0)),
]

# ---------------------------------------------------------------- Welch at the extremes (mpmath-exact inputs)
def welch_case(nc, sc, ssc, nt, st, sst, alpha=0.05):
    nc, sc, ssc, nt, st, sst = map(mp.mpf, (nc, sc, ssc, nt, st, sst))
    vc = (ssc - sc * sc / nc) / (nc - 1) / nc
    vt = (sst - st * st / nt) / (nt - 1) / nt
    d = st / nt - sc / nc
    se = mp.sqrt(vc + vt)
    t = d / se
    df = (vc + vt) ** 2 / (vt ** 2 / (nt - 1) + vc ** 2 / (nc - 1))
    crit = mp.mpf(f(stats.t.isf(alpha / 2, f(df))))
    p_mp = t_two_sided_mp(t, df)
    p_sp = f(2 * stats.t.sf(abs(f(t)), f(df)))
    return {"control": {"units": int(nc), "sum": f(sc), "sumSquares": f(ssc)},
            "treatment": {"units": int(nt), "sum": f(st), "sumSquares": f(sst)},
            "estimate": f(d), "se": f(se), "t": f(t), "df": f(df), "pValue": f(p_mp), "ci": [f(d - crit * se), f(d + crit * se)],
            "call": f"mpmath Welch formulas; p = 2*scipy.stats.t.sf(|t|, df) = {p_sp!r} (mpmath betainc used, agrees to {rel(p_sp, f(p_mp)):.1e}); "
                    f"crit = scipy.stats.t.isf({alpha}/2, df)"}


welch_extreme = [
    # n = 1e8 per arm, revenue-like mean 2.5 vs 2.5004, sd ~ 3
    welch_case(100_000_000, 250_000_000.0, 1_525_000_000.0, 100_000_000, 250_040_000.0, 1_525_600_000.0),
    # p-value near 1e-300 with df ~ 1e6
    welch_case(500_000, 5_000_000.0, 50_500_000.0, 500_000, 5_037_100.0, 51_246_000.0),
    # tiny n, big t
    welch_case(2, 2.0, 2.0002, 3, 30.0, 300.0003),
]

# ---------------------------------------------------------------- Fieller (mpmath roots of the quadratic)
def fieller_mp(mc, vc, mt, vt, c):
    mc, vc, mt, vt, c = map(mp.mpf, (mc, vc, mt, vt, c))
    a = mc * mc - c * c * vc
    b = -2 * mt * mc
    cc = mt * mt - c * c * vt
    roots = sorted(mp.polyroots([a, b, cc], extraprec=200))
    return [f(roots[0] - 1), f(roots[1] - 1)]


fieller = []
for mc, vc, mt, vt, c in [(10, 0.25, 11, 0.3, 1.959963984540054), (0.1, 1e-6, 0.1012, 1.1e-6, 1.959963984540054),
                          (2, 0.5, 3, 0.4, 2.5758293035489004), (-5, 0.2, -4.5, 0.3, 1.959963984540054),
                          (0.1, 9e-10, 0.1000003, 9e-10, 3.03)]:
    fieller.append({"meanC": mc, "varC": vc, "meanT": mt, "varT": vt, "crit": c, "ci": fieller_mp(mc, vc, mt, vt, c),
                    "estimate": f(mp.mpf(mt) / mc - 1),
                    "call": "mpmath.polyroots([mC^2-c^2 vC, -2 mT mC, mT^2-c^2 vT]) - 1 (dps=50)"})

# ---------------------------------------------------------------- Bayesian binary
def evan_miller_mp(a_b, b_b, a_a, b_a):
    """P(p_B > p_A), exact sum in mpmath."""
    total = mp.mpf(0)
    for i in range(int(a_b)):
        total += mp.exp(mp.log(mp.beta(a_a + i, b_a + b_b)) - mp.log(b_b + i) - mp.log(mp.beta(1 + i, b_b))
                        - mp.log(mp.beta(a_a, b_a)))
    return total


def quad_prob(at, bt, ac, bc):
    """P(T > C) = int f_T(x) F_C(x) dx  or its complement, whichever is smaller (scipy quad)."""
    mt = at / (at + bt)
    mc = ac / (ac + bc)
    lo, hi, pts = window(at, bt, ac, bc)
    if mt <= mc:
        g = lambda x: stats.beta.pdf(x, at, bt) * stats.beta.cdf(x, ac, bc)
    else:
        g = lambda x: stats.beta.pdf(x, at, bt) * stats.beta.sf(x, ac, bc)
    v, _ = integrate.quad(g, lo, hi, points=pts, epsabs=0, epsrel=1e-13, limit=1000)
    norm, _ = integrate.quad(lambda x: stats.beta.pdf(x, at, bt), lo, hi, points=pts, epsabs=0, epsrel=1e-13, limit=1000)
    assert abs(norm - 1) < 1e-11, norm
    return v if mt <= mc else 1 - v


def window(at, bt, ac, bc):
    """Integration range covering +-40 sd of BOTH posteriors, with breakpoints at both means."""
    mt, mc = at / (at + bt), ac / (ac + bc)
    st = math.sqrt(at * bt / ((at + bt) ** 2 * (at + bt + 1)))
    sc = math.sqrt(ac * bc / ((ac + bc) ** 2 * (ac + bc + 1)))
    lo = max(0.0, min(mt - 40 * st, mc - 40 * sc))
    hi = min(1.0, max(mt + 40 * st, mc + 40 * sc))
    pts = sorted({m + k * s_ for m, s_ in ((mt, st), (mc, sc)) for k in range(-8, 9) if lo < m + k * s_ < hi})
    return lo, hi, pts[:100]


def quad_loss(at, bt, ac, bc):
    """E[max(0, C - T)] = int f_T(t) (mu_C*S_{C+1}(t) - t*S_C(t)) dt  (scipy quad, or mpmath for small parameters)."""
    muc = ac / (ac + bc)
    if max(at + bt, ac + bc) <= 400:
        A, B, C, D = map(mp.mpf, (at, bt, ac, bc))
        inner = lambda t: mp.betainc(C + 1, D, t, 1, regularized=True) * C / (C + D) - t * mp.betainc(C, D, t, 1, regularized=True)
        g = lambda t: t ** (A - 1) * (1 - t) ** (B - 1) / mp.beta(A, B) * inner(t)
        with mp.workdps(250):  # inner() cancels catastrophically in the far tail: carry 250 digits
            return f(mp.quad(g, mp.linspace(0, 1, 41)))
    lo, hi, pts = window(at, bt, ac, bc)
    g = lambda t: stats.beta.pdf(t, at, bt) * (muc * stats.beta.sf(t, ac + 1, bc) - t * stats.beta.sf(t, ac, bc))
    v, _ = integrate.quad(g, lo, hi, points=pts, epsabs=1e-17, epsrel=1e-12, limit=1000)
    return v


bayes = []
for xc, nc, xt, nt in [(3, 10, 5, 10), (0, 2, 2, 2), (100, 1000, 120, 1000), (5000, 10000, 5100, 10000),
                       (9000, 19000, 9100, 19000), (10000, 30000, 10100, 30000), (200, 5000, 2300, 50000),
                       (1_000_000, 10_000_000, 1_001_000, 10_000_000), (10_000_000, 100_000_000, 10_003_000, 100_000_000),
                       (3, 100_000_000, 9, 100_000_000), (0, 100_000_000, 0, 100_000_000),
                       (50_000_000, 100_000_000, 50_000_000, 100_000_000), (30000, 100_000_000, 30300, 100_000_000),
                       (40000, 200000, 41500, 200000), (0, 100, 100, 100)]:
    at, bt, ac, bc = 1 + xt, 1 + nt - xt, 1 + xc, 1 + nc - xc
    chance = quad_prob(at, bt, ac, bc)
    call = "scipy.integrate.quad(beta.pdf(x,aT,bT)*beta.cdf(x,aC,bC)) over +-40 sd (complement via beta.sf when mean_T > mean_C)"
    if min(at, ac) <= 12000:
        # Exact sum in mpmath over the arm with fewer terms.
        exact = evan_miller_mp(at, bt, ac, bc) if at <= ac else 1 - evan_miller_mp(ac, bc, at, bt)
        assert abs(f(exact) - chance) < 1e-10, (xc, nc, xt, nt, f(exact), chance)
        chance = f(exact)
        call = "mpmath (dps=50) Evan Miller sum; scipy.integrate.quad agrees to 1e-10"
    loss_t = quad_loss(at, bt, ac, bc)
    loss_c = quad_loss(ac, bc, at, bt)  # E[max(0, T - C)]: same integral with arms swapped
    bayes.append({"control": {"units": nc, "conversions": xc}, "treatment": {"units": nt, "conversions": xt},
                  "chance": chance, "lossTreatment": loss_t, "lossControl": loss_c, "call": call,
                  "lossCall": ("mpmath.quad (250 digits)" if max(at + bt, ac + bc) <= 400 else "scipy.integrate.quad") + " of beta.pdf(t,aT,bT)*(muC*beta.sf(t,aC+1,bC)-t*beta.sf(t,aC,bC)) over +-40 sd of both arms (lossControl: arms swapped)"})

normal_bayes = []
for d, s in [(0.3, 0.2), (-1.5, 0.4), (0, 1), (12, 1), (-40, 1)]:
    normal_bayes.append({"diff": d, "se": s, "chance": f(stats.norm.cdf(d / s)),
                         "lossTreatment": f(integrate.quad(lambda x: max(0.0, -x) * stats.norm.pdf(x, d, s), d - 40 * s, d + 40 * s,
                                                           points=[0.0] if d - 40 * s < 0 < d + 40 * s else None,
                                                           epsabs=1e-300, epsrel=1e-13, limit=500)[0]),
                         "call": "scipy.stats.norm.cdf(d/se); loss: scipy.integrate.quad(max(0,-x)*norm.pdf(x,d,se))"})

# ---------------------------------------------------------------- SRM
srm = []
for obs, w in [([5000, 5000], [1, 1]), ([5100, 4900], [1, 1]), ([50500, 49500, 50000], [1, 1, 1]),
               ([1000, 2000, 3050], [0.2, 0.3, 0.5]), ([20, 30, 50], [2, 3, 5]), ([50_010_000, 49_990_000], [50, 50]),
               ([5_018_000, 4_982_000], [1, 1]), ([1, 3], [1, 1])]:
    exp = np.array(w, dtype=float) / sum(w) * sum(obs)
    r = stats.chisquare(obs, exp)
    srm.append({"observed": obs, "weights": w, "chiSquare": f(r.statistic), "pValue": f(r.pvalue),
                "call": f"scipy.stats.chisquare({obs}, f_exp=np.array({w})/sum(w)*sum(obs))"})

# ---------------------------------------------------------------- power (our formula, scipy quantiles)
power = []
for kind, base, var, mde, alpha, pw in [("binary", 0.1, None, 0.05, 0.05, 0.8), ("binary", 0.02, None, 0.1, 0.05, 0.8),
                                        ("binary", 0.5, None, 0.01, 0.01, 0.9), ("means", 10, 100, 0.05, 0.05, 0.8),
                                        ("means", 3.2, 40.5, 0.02, 0.1, 0.95)]:
    z = stats.norm.isf(alpha / 2) + stats.norm.ppf(pw)
    if kind == "binary":
        p2 = base * (1 + mde)
        n = z * z * (base * (1 - base) + p2 * (1 - p2)) / (base * mde) ** 2
    else:
        n = z * z * 2 * var / (base * mde) ** 2
    power.append({"kind": kind, "baseline": base, "unitVariance": var, "mde": mde, "alpha": alpha, "power": pw,
                  "exact": f(n), "unitsPerArm": int(math.ceil(n)),
                  "call": "(scipy.stats.norm.isf(alpha/2)+scipy.stats.norm.ppf(power))**2*(s1^2+s2^2)/delta^2"})

out = {"generator": f"test/stats/vectors/generate.py with scipy {scipy.__version__}, numpy {np.__version__}, mpmath {mp.__version__}",
       "distributions": dist, "sequential": sequential, "welchExtreme": welch_extreme, "binary": binary, "ratio": ratio, "ratioExtreme": ratio_extreme, "fieller": fieller,
       "bayes": bayes, "normalBayes": normal_bayes, "srm": srm, "power": power}
with open(os.path.join(HERE, "scipy.json"), "w") as fh:
    json.dump(out, fh, indent=1)
print("wrote", os.path.join(HERE, "scipy.json"))
