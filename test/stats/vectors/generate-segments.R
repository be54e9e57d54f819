# Regenerates test/stats/vectors/r-segments.json: reference values from metafor for the
# per-segment statistics (heterogeneity, empirical-Bayes shrinkage, zero-cell log risk ratios,
# log-scale lift intervals).
#   apt-get install -y r-base-core r-cran-metafor
#   Rscript test/stats/vectors/generate-segments.R
# Produced with R 4.2.2 and metafor 3.8.1 (Debian bookworm). Every item carries the exact call.
# CI never runs this: the tests only read the pinned JSON.
suppressPackageStartupMessages(library(metafor))

num <- function(x) {
  if (length(x) == 1) return(sprintf("%.17g", x))
  paste0("[", paste(sprintf("%.17g", x), collapse = ", "), "]")
}
str <- function(s) paste0("\"", gsub("\"", "\\\\\"", s), "\"")
obj <- function(...) {
  kv <- list(...)
  paste0("{", paste(sprintf("%s: %s", str(names(kv)), unlist(kv)), collapse = ", "), "}")
}
arr <- function(items) paste0("[\n  ", paste(items, collapse = ",\n  "), "\n]")

# ---- heterogeneity (rma DL: QE, QEp, I2, tau2, estimate) and BLUPs (blup: pred, se, pi.lb, pi.ub)
fitObj <- function(fit) {
  b <- blup(fit)
  obj(
    k = num(fit$k), q = num(fit$QE), df = num(fit$k - 1), qPValue = num(fit$QEp), i2 = num(fit$I2 / 100), tau2 = num(fit$tau2),
    estimate = num(as.numeric(fit$b)), se = num(fit$se), ciLower = num(fit$ci.lb), ciUpper = num(fit$ci.ub),
    blup = obj(pred = num(b$pred), se = num(b$se), piLower = num(b$pi.lb), piUpper = num(b$pi.ub))
  )
}
# `counts` (when given): treatment x/n = ai/n1i, control x/n = ci/n2i, to rebuild yi, vi with logRiskRatio.
hetItem <- function(name, call, dat, level = 95, counts = NULL, means = NULL) {
  fit <- rma(yi, vi, data = dat, method = "DL", level = level)
  extra <- list()
  if (!is.null(counts)) extra$counts <- counts
  if (!is.null(means)) extra$means <- means
  do.call(obj, c(list(name = str(name), call = str(call), alpha = num(1 - level / 100),
                      yi = num(as.numeric(dat$yi)), vi = num(as.numeric(dat$vi))), extra,
                 list(DL = fitObj(fit))))
}
countsObj <- function(ai, n1i, ci, n2i) obj(treatmentConversions = num(ai), treatmentUnits = num(n1i), controlConversions = num(ci), controlUnits = num(n2i))

bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
li <- escalc(measure = "RR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.li2007)
nor <- escalc(measure = "ROM", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat.normand1999)
small <- data.frame(yi = c(0.031, 0.012, 0.045, 0.020), vi = c(0.0004, 0.0002, 0.0009, 0.0003))
two <- data.frame(yi = log(c(2.6, 0.96)), vi = c(0.04, 0.0004))
lucky <- data.frame(yi = log(c(1.8, 1.2, 1.15)), vi = c(0.25, 0.0004, 0.0006))
hetItems <- c(
  hetItem("bcg", "dat <- escalc(measure='RR', ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg); fit <- rma(yi, vi, data=dat, method='DL'); blup(fit)", bcg,
          counts = countsObj(dat.bcg$tpos, dat.bcg$tpos + dat.bcg$tneg, dat.bcg$cpos, dat.bcg$cpos + dat.bcg$cneg)),
  hetItem("bcg99", "same as bcg with rma(..., level=99); blup(fit)", bcg, level = 99),
  hetItem("li2007", "dat <- escalc(measure='RR', ai=ai, n1i=n1i, ci=ci, n2i=n2i, data=dat.li2007); fit <- rma(yi, vi, data=dat, method='DL'); blup(fit)  # two trials with a zero cell", li,
          counts = countsObj(dat.li2007$ai, dat.li2007$n1i, dat.li2007$ci, dat.li2007$n2i)),
  hetItem("normand1999", "dat <- escalc(measure='ROM', m1i=m1i, sd1i=sd1i, n1i=n1i, m2i=m2i, sd2i=sd2i, n2i=n2i, data=dat.normand1999); fit <- rma(yi, vi, data=dat, method='DL'); blup(fit)", nor,
          means = obj(treatmentMean = num(dat.normand1999$m1i), treatmentSd = num(dat.normand1999$sd1i), treatmentUnits = num(dat.normand1999$n1i),
                      controlMean = num(dat.normand1999$m2i), controlSd = num(dat.normand1999$sd2i), controlUnits = num(dat.normand1999$n2i))),
  hetItem("tau2zero", "fit <- rma(yi = c(0.031, 0.012, 0.045, 0.020), vi = c(0.0004, 0.0002, 0.0009, 0.0003), method='DL'); blup(fit)  # Q < df: tau2 = 0, complete pooling", small),
  hetItem("twoValues", "fit <- rma(yi = log(c(2.6, 0.96)), vi = c(0.04, 0.0004), method='DL'); blup(fit)  # opposite effects: +160 % (small) and -4 % (large)", two),
  hetItem("luckySmall", "fit <- rma(yi = log(c(1.8, 1.2, 1.15)), vi = c(0.25, 0.0004, 0.0006), method='DL'); blup(fit)  # a tiny lucky +80 % segment and two large steady ones", lucky)
)

# ---- zero cells: escalc(measure = "RR") defaults add = 1/2, to = "only0", drop00 = FALSE,
# and the log-scale lift interval exp(yi -+ c*sqrt(vi)) - 1 from summary.escalc (ci.lb, ci.ub).
# Sequential critical value (src/stats/sequential.ts, transcribed) at N = n_T + n_C, alpha = 0.05, N* = 10000;
# applied directly (summary.escalc's level in percent cannot carry alpha ~ 1e-25).
seqCrit <- function(n, alpha = 0.05, tuning = 10000) {
  l <- -2 * log(alpha); rho2 <- (l + log1p(l)) / tuning; nr2 <- n * rho2
  sqrt(2 * (1 + 1 / nr2) * (0.5 * log1p(nr2) - log(alpha)))
}
rrItem <- function(xT, nT, xC, nC, note = "") {
  e <- escalc(measure = "RR", ai = xT, n1i = nT, ci = xC, n2i = nC)
  fixed <- summary(e, level = 95)
  c <- seqCrit(nT + nC)
  obj(call = str(sprintf("e <- escalc(measure='RR', ai=%d, n1i=%d, ci=%d, n2i=%d); exp(c(summary(e, level=95)$ci.lb, $ci.ub)) - 1; crit <- seqCrit(%d); expm1(e$yi + c(-1, 1) * crit * sqrt(e$vi))%s", xT, nT, xC, nC, nT + nC, note)),
      treatment = obj(units = num(nT), conversions = num(xT)), control = obj(units = num(nC), conversions = num(xC)),
      yi = num(as.numeric(e$yi)), vi = num(as.numeric(e$vi)),
      liftFixed = num(exp(c(fixed$ci.lb, fixed$ci.ub)) - 1),
      sequentialCritical = num(c), liftSequential = num(expm1(as.numeric(e$yi) + c(-1, 1) * c * sqrt(as.numeric(e$vi)))))
}
rrItems <- c(
  rrItem(0, 3037, 15, 3000, "  # the 0/3,037 arm of issue 16"),
  rrItem(15, 3037, 0, 3000, "  # zero control"),
  rrItem(0, 500, 0, 400, "  # both zero: kept (drop00 = FALSE)"),
  rrItem(40, 40, 30, 35, "  # every treatment unit converted"),
  rrItem(120, 1000, 100, 1000, "  # no zero cell: Katz log interval"),
  rrItem(1, 20, 9, 25, ""),
  rrItem(3000, 100000, 2900, 100000, "")
)

# ---- log ratio of means (escalc ROM) for the mean-metric log-scale lift
romItem <- function(m1, s1, n1, m2, s2, n2) {
  e <- escalc(measure = "ROM", m1i = m1, sd1i = s1, n1i = n1, m2i = m2, sd2i = s2, n2i = n2)
  f <- summary(e, level = 95)
  obj(call = str(sprintf("e <- escalc(measure='ROM', m1i=%s, sd1i=%s, n1i=%d, m2i=%s, sd2i=%s, n2i=%d); summary(e, level=95)", m1, s1, n1, m2, s2, n2)),
      treatment = obj(mean = num(m1), sd = num(s1), units = num(n1)), control = obj(mean = num(m2), sd = num(s2), units = num(n2)),
      yi = num(as.numeric(e$yi)), vi = num(as.numeric(e$vi)), liftFixed = num(exp(c(f$ci.lb, f$ci.ub)) - 1))
}
romItems <- c(romItem(12.5, 40, 2000, 10, 35, 2000), romItem(0.8, 3.1, 150, 1.9, 4.4, 140), romItem(55, 47, 155, 75, 64, 156))

out <- paste0(
  "{\n\"generator\": ", str(paste("test/stats/vectors/generate-segments.R with", R.version.string, "and metafor", packageVersion("metafor"))),
  ",\n\"heterogeneity\": ", arr(hetItems),
  ",\n\"riskRatio\": ", arr(rrItems),
  ",\n\"ratioOfMeans\": ", arr(romItems),
  "\n}\n"
)
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("--file=", "", args[grep("--file=", args)])))
writeLines(out, file.path(here, "r-segments.json"))
cat("wrote", file.path(here, "r-segments.json"), "\n")
