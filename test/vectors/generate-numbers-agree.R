# Regenerates test/vectors/numbers-agree.json: reference values for test/http/numbers-agree.test.ts.
#   Rscript test/vectors/generate-numbers-agree.R > test/vectors/numbers-agree.json
# R 4.x with metafor (apt-get install r-cran-metafor). CI never runs this script.
#
# Wilson score interval (Wilson 1927, JASA 22:209), by hand (no prop.test, whose continuity
# correction differs), and Newcombe's hybrid score interval for p_T - p_C (Newcombe 1998,
# Stat. Med. 17:873, method 10):
#   lower = d - sqrt((pT - lT)^2 + (uC - pC)^2),  upper = d + sqrt((uT - pT)^2 + (pC - lC)^2).
# The critical value c is z_{1-a/2} (fixed) or the sequential confidence-sequence multiplier
# (src/stats/sequential.ts, Waudby-Smith et al. 2023), transcribed below.
# Relative lift: the log risk ratio of metafor::escalc(measure = "RR") with its defaults
# (add = 1/2 to every cell when one is 0), interval exp(yi +- c*sqrt(vi)) - 1.
# Pooled lift: metafor::rma(yi, vi, method = "FE") and method = "DL", back-transformed.
suppressMessages(library(metafor))
options(digits = 17)

wilson <- function(x, n, z) {
  centre <- (x + z^2 / 2) / (n + z^2)
  half <- z * sqrt(x * (n - x) / n + z^2 / 4) / (n + z^2)
  c(if (x == 0) 0 else max(0, centre - half), if (x == n) 1 else min(1, centre + half))
}
newcombe <- function(xt, nt, xc, nc, z) {
  pt <- xt / nt; pc <- xc / nc; d <- pt - pc
  wt <- wilson(xt, nt, z); wc <- wilson(xc, nc, z)
  c(max(-1, d - sqrt((pt - wt[1])^2 + (wc[2] - pc)^2)), min(1, d + sqrt((wt[2] - pt)^2 + (pc - wc[1])^2)))
}
# the critical value at which the interval touches 0 (signed like d)
newcombe_statistic <- function(xt, nt, xc, nc) {
  d <- xt / nt - xc / nc
  f <- function(c) { ci <- newcombe(xt, nt, xc, nc, c); if (d > 0) ci[1] else -ci[2] }
  r <- uniroot(f, c(1e-6, 50), tol = 1e-15)$root
  if (d > 0) r else -r
}
seq_crit <- function(n, alpha = 0.05, tuning = 10000) {
  l <- -2 * log(alpha); rho2 <- (l + log1p(l)) / tuning; nr2 <- n * rho2
  sqrt(2 * (1 + 1 / nr2) * (0.5 * log1p(nr2) - log(alpha)))
}
rr <- function(xt, nt, xc, nc) escalc(measure = "RR", ai = xt, n1i = nt, ci = xc, n2i = nc)
loglift <- function(xt, nt, xc, nc, z) {
  e <- rr(xt, nt, xc, nc)
  list(yi = e$yi[1], vi = e$vi[1], ci = exp(e$yi[1] + c(-1, 1) * z * sqrt(e$vi[1])) - 1)
}
num <- function(x) formatC(x, digits = 17, format = "g")
vec <- function(x) paste0("[", paste(num(x), collapse = ", "), "]")
item <- function(name, fields) paste0('  "', name, '": {', paste(sprintf('"%s": %s', names(fields), fields), collapse = ", "), "}")

z <- qnorm(0.975)
# A: treatment 0/3037 vs control 10/3000, sequential analysis, N = 6037, N* = 10000
cA <- seq_crit(6037)
A <- loglift(0, 3037, 10, 3000, cA)
# C: treatment 1/150 vs control 12/150, fixed (Fieller's lower bound is below -100 % here)
C <- loglift(1, 150, 12, 150, z)
# E: treatment 150/150 vs control 0/150, fixed: both arms constant and different
# pooled: A (0/3037 vs 10/3000) and B (120/1000 vs 100/1000)
es <- rr(c(0, 120), c(3037, 1000), c(10, 100), c(3000, 1000))
fe <- rma(yi, vi, data = es, method = "FE")
dl <- rma(yi, vi, data = es, method = "DL")
# the binary comparison of test/results/compute.test.ts: 1100/10000 vs 1000/10000
sB <- newcombe_statistic(1100, 10000, 1000, 10000)
cB <- seq_crit(20000)
# test/http/results.test.ts: 150/1000 vs 100/1000, fixed
s15 <- newcombe_statistic(150, 1000, 100, 1000)
out <- c(
  item("binary1k", list(
    call = '"newcombe(150, 1000, 100, 1000, qnorm(0.975)); p = 2 * pnorm(-statistic)"',
    ci95 = vec(newcombe(150, 1000, 100, 1000, z)), statistic = num(s15), pValue = num(2 * pnorm(-s15)))),
  item("binary10k", list(
    call = '"newcombe(1100, 10000, 1000, 10000, qnorm(0.975)) and at seq_crit(20000); p = 2 * pnorm(-statistic)"',
    ci95 = vec(newcombe(1100, 10000, 1000, 10000, z)), statistic = num(sB), pValue = num(2 * pnorm(-sB)),
    sequentialCritical = num(cB), ciSequential = vec(newcombe(1100, 10000, 1000, 10000, cB)))),
  item("zeroArm", list(
    call = '"newcombe(0, 3037, 10, 3000, seq_crit(6037)); escalc(measure = \\"RR\\", ai = 0, n1i = 3037, ci = 10, n2i = 3000)"',
    criticalValue = num(cA), absoluteCi = vec(newcombe(0, 3037, 10, 3000, cA)), statistic = num(newcombe_statistic(0, 3037, 10, 3000)),
    yi = num(A$yi), vi = num(A$vi), relativeCi = vec(A$ci))),
  item("nearZero", list(
    call = '"escalc(measure = \\"RR\\", ai = 1, n1i = 150, ci = 12, n2i = 150); exp(yi + c(-1, 1) * qnorm(0.975) * sqrt(vi)) - 1"',
    yi = num(C$yi), vi = num(C$vi), relativeCi = vec(C$ci), absoluteCi = vec(newcombe(1, 150, 12, 150, z)))),
  item("constantArms", list(
    call = '"newcombe(150, 150, 0, 150, qnorm(0.975))"',
    absoluteCi = vec(newcombe(150, 150, 0, 150, z)), statistic = num(newcombe_statistic(150, 150, 0, 150)))),
  item("pooledZeroCell", list(
    call = '"rma(yi, vi, data = escalc(measure = \\"RR\\", ai = c(0, 120), n1i = c(3037, 1000), ci = c(10, 100), n2i = c(3000, 1000)), method = \\"FE\\" / \\"DL\\")"',
    fixedLift = num(exp(fe$b[1]) - 1), fixedCi = vec(exp(c(fe$ci.lb, fe$ci.ub)) - 1),
    randomLift = num(exp(dl$b[1]) - 1), randomCi = vec(exp(c(dl$ci.lb, dl$ci.ub)) - 1), tau2 = num(dl$tau2), q = num(dl$QE)))
)
cat("{\n", '  "generator": "test/vectors/generate-numbers-agree.R, ', R.version.string, ', metafor ', as.character(packageVersion("metafor")), '",\n', paste(out, collapse = ",\n"), "\n}\n", sep = "")
