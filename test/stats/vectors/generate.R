# Regenerates test/stats/vectors/r.json: reference values from R (stats + metafor).
#   apt-get install -y r-base-core r-cran-metafor
#   Rscript test/stats/vectors/generate.R
# Produced with R 4.2.2 and metafor 3.8.1. Every number carries the exact call that produced it.
# "distributions" (pnorm, qnorm, pt, qt, pchisq) is checked by test/stats/distributions.test.ts.
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

# ---- Welch t tests: R's x is our TREATMENT, y our CONTROL (estimate = mean(x) - mean(y)).
arm <- function(v) obj(units = num(length(v)), sum = num(sum(v)), sumSquares = num(sum(v^2)))
welch <- function(name, call, x, y, conf = 0.95) {
  r <- t.test(x, y, conf.level = conf)
  obj(
    name = str(name), call = str(call), alpha = num(1 - conf),
    treatment = arm(x), control = arm(y),
    statistic = num(unname(r$statistic)), df = num(unname(r$parameter)),
    pValue = num(r$p.value), ci = num(as.numeric(r$conf.int)),
    estimate = num(unname(r$estimate[1] - r$estimate[2]))
  )
}
s1 <- sleep$extra[sleep$group == 1]; s2 <- sleep$extra[sleep$group == 2]
m1 <- mtcars$mpg[mtcars$am == 0]; m0 <- mtcars$mpg[mtcars$am == 1]
tgOJ <- ToothGrowth$len[ToothGrowth$supp == "OJ"]; tgVC <- ToothGrowth$len[ToothGrowth$supp == "VC"]
set.seed(20240611)
big1 <- rnorm(200, 10, 2); big2 <- rnorm(35, 16, 7)
welchItems <- c(
  welch("sleep", "t.test(extra ~ group, data = sleep)", s1, s2),
  welch("sleep99", "t.test(extra ~ group, data = sleep, conf.level = 0.99)", s1, s2, 0.99),
  welch("mtcars", "t.test(mpg ~ am, data = mtcars)", m1, m0),
  welch("toothgrowth", "t.test(len ~ supp, data = ToothGrowth)", tgOJ, tgVC),
  welch("unequal", "set.seed(20240611); x <- rnorm(200, 10, 2); y <- rnorm(35, 16, 7); t.test(x, y)", big1, big2),
  welch("n2", "t.test(c(1, 3), c(2, 2.5))", c(1, 3), c(2, 2.5)),
  welch("oneConstant", "t.test(c(1, 2, 4, 7), c(3, 3, 3))", c(1, 2, 4, 7), c(3, 3, 3))
)

# ---- p.adjust
p <- c(0.01, 0.04, 0.03, 0.005, 0.5, 0.04, 1, 2e-11, 0.049, 0.2)
p2 <- c(0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216, 0.222, 0.251, 0.269, 0.275, 0.34, 0.341, 0.384, 0.569, 0.594, 0.696, 0.762, 0.94, 0.942, 0.975, 0.986)
padj <- function(call, v) obj(call = str(call), p = num(v), holm = num(p.adjust(v, "holm")), bh = num(p.adjust(v, "BH")))
padjItems <- c(
  padj("p.adjust(c(0.01, 0.04, 0.03, 0.005, 0.5, 0.04, 1, 2e-11, 0.049, 0.2), 'holm' / 'BH')", p),
  padj("p.adjust(<25 p-values of Benjamini & Hochberg 1995, Table 1 style>, 'holm' / 'BH')", p2)
)

# ---- metafor
rmaObj <- function(fit) obj(
  estimate = num(as.numeric(fit$b)), se = num(fit$se), ciLower = num(fit$ci.lb), ciUpper = num(fit$ci.ub),
  z = num(fit$zval), pValue = num(fit$pval), q = num(fit$QE), qPValue = num(fit$QEp),
  tau2 = num(fit$tau2), i2 = num(fit$I2 / 100)
)
dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
yi2 <- c(0.031, 0.012, 0.045, 0.020); vi2 <- c(0.0004, 0.0002, 0.0009, 0.0003)
metaItems <- c(
  obj(call = str("dat <- escalc(measure='RR', ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg); rma(yi, vi, data=dat, method='FE' / 'DL')"),
      yi = num(as.numeric(dat$yi)), vi = num(as.numeric(dat$vi)),
      FE = rmaObj(rma(yi, vi, data = dat, method = "FE")), DL = rmaObj(rma(yi, vi, data = dat, method = "DL"))),
  obj(call = str("rma(yi = c(0.031, 0.012, 0.045, 0.020), vi = c(0.0004, 0.0002, 0.0009, 0.0003), method = 'FE' / 'DL')"),
      yi = num(yi2), vi = num(vi2),
      FE = rmaObj(rma(yi2, vi2, method = "FE")), DL = rmaObj(rma(yi2, vi2, method = "DL")))
)

# ---- power (R's formulas differ slightly from ours; see src/stats/power.ts)
powerItems <- c(
  obj(call = str("power.prop.test(p1 = 0.1, p2 = 0.105, sig.level = 0.05, power = 0.8)$n"),
      baselineRate = num(0.1), mde = num(0.05), n = num(power.prop.test(p1 = 0.1, p2 = 0.105, power = 0.8)$n)),
  obj(call = str("power.prop.test(p1 = 0.02, p2 = 0.022, sig.level = 0.05, power = 0.8)$n"),
      baselineRate = num(0.02), mde = num(0.1), n = num(power.prop.test(p1 = 0.02, p2 = 0.022, power = 0.8)$n)),
  obj(call = str("power.t.test(delta = 0.5, sd = 10, sig.level = 0.05, power = 0.8)$n"),
      mean = num(10), unitVariance = num(100), mde = num(0.05),
      n = num(power.t.test(delta = 0.5, sd = 10, power = 0.8)$n))
)

# ---- distributions (stats::pnorm, qnorm, pt, qt, pchisq), checked against src/stats/distributions.ts.
# Every entry carries the literal R call; inputs are printed with the fewest digits that round-trip.
lit <- function(x) {
  if (is.infinite(x)) return(if (x > 0) "Inf" else "-Inf")
  for (d in 1:17) { s <- format(x, digits = d, scientific = NA); if (as.numeric(s) == x) return(s) }
  sprintf("%.17g", x)
}
# Keep only values R can represent as normal doubles (the tests check relative error;
# subnormals below 2.2e-308 carry fewer than 53 bits).
keep <- function(v) is.finite(v) && (v == 0 || abs(v) >= .Machine$double.xmin)
distItem <- function(call, value, ...) obj(..., value = num(value), call = str(call))

pnormItems <- c()
for (x in c(-38, -37.5, -30, -20, -10, -8.3, -5, -1.96, -1, -0.5, 0, 0.5, 1, 1.959963984540054, 3, 5, 8.3, 10, 20, 30, 37, 37.5)) {
  for (lower in c(TRUE, FALSE)) {
    v <- pnorm(x, lower.tail = lower)
    if (!keep(v) || v == 0) next
    pnormItems <- c(pnormItems, distItem(sprintf("pnorm(%s, lower.tail = %s)", lit(x), lower), v, x = num(x), lowerTail = tolower(lower)))
  }
}
# Two-sided normal p-value as the tests compute it: 2 * pnorm(-|z|).
twoSidedNormItems <- c()
for (z in c(0, 0.5, 1.959963984540054, 3.1, 5, 8, 20, 30, 37, 37.0471)) {
  twoSidedNormItems <- c(twoSidedNormItems, distItem(sprintf("2 * pnorm(-abs(%s))", lit(z)), 2 * pnorm(-abs(z)), z = num(z)))
}
# log.p = TRUE where the tail itself leaves double range (the functions must then return 0, not NaN).
logItems <- c()
for (x in c(5, 10, 20, 37.5, 38.5, 40, 100, 1000)) {
  logItems <- c(logItems, distItem(sprintf("pnorm(%s, lower.tail = FALSE, log.p = TRUE)", lit(x)),
                                   pnorm(x, lower.tail = FALSE, log.p = TRUE), x = num(x)))
}
qnormItems <- c()
for (p in c(1e-300, 1e-100, 1e-10, 0.001, 0.025, 0.3, 0.8, 0.975, 1 - 1e-12)) {
  qnormItems <- c(qnormItems, distItem(sprintf("qnorm(%s)", lit(p)), qnorm(p), p = num(p)))
}

ptItems <- c()
dfs <- c(1, 2, 3, 4.5, 10, 17.776473516178498, 30, 100, 1000, 1e4, 1e5, 3e5, 1e6, 3e6, 1e7, 1e8, 1e9)
for (df in dfs) {
  for (t in c(0.1, 0.5, 1, 1.96, 2.5, 3, 5, 10, 37)) {
    for (lower in c(TRUE, FALSE)) {
      v <- pt(t, df, lower.tail = lower)
      if (!keep(v) || v == 0) next
      ptItems <- c(ptItems, distItem(sprintf("pt(%s, %s, lower.tail = %s)", lit(t), lit(df), lower), v,
                                     t = num(t), df = num(df), lowerTail = tolower(lower)))
    }
  }
}
# Upper tails near 1e-300 for small and huge df (t rounded from qt(1e-300, df, lower.tail = FALSE)).
for (pair in list(c(1, 3e299), c(2, 7e149), c(3, 1e100), c(10, 2.5e30), c(30, 5e10), c(1000, 54), c(1e6, 37.05), c(1e9, 37.04))) {
  v <- pt(pair[2], pair[1], lower.tail = FALSE)
  ptItems <- c(ptItems, distItem(sprintf("pt(%s, %s, lower.tail = FALSE)", lit(pair[2]), lit(pair[1])), v,
                                 t = num(pair[2]), df = num(pair[1]), lowerTail = "false"))
}
# Two-sided t p-value as R's t.test computes it: 2 * pt(-abs(t), df).
ptTwoItems <- c()
for (pair in list(c(1, 12.7), c(2, 4.3), c(17.776473516178498, 1.8608134674868531), c(55.30943268264059, 1.915268268695268),
                  c(1e5, 3.1), c(1e7, 2.5), c(1e9, 5), c(1e6, 37), c(3, 2.2e100))) {
  ptTwoItems <- c(ptTwoItems, distItem(sprintf("2 * pt(-abs(%s), %s)", lit(pair[2]), lit(pair[1])), 2 * pt(-abs(pair[2]), pair[1]),
                                       t = num(pair[2]), df = num(pair[1])))
}
# qt: R 4.2.2's qt() is off by up to 7.6e-9 relative in the extreme lower tail for small df
# (qt(1e-300, 3), qt(1e-300, 4.5); mpmath at 60 digits agrees with the refined value below to
# 4e-14), above the 1e-9 bar. Where that happens the entry also carries "refined": qt's answer
# polished by Newton steps on R's own pt(q, df, log.p = TRUE) (accurate to ~1e-13 there), and the
# tests compare with "refined". Everywhere else the refinement moves qt by < 1e-12 and is omitted.
qtRefined <- function(p, df) {
  q <- qt(p, df)
  for (i in 1:3) { lq <- pt(q, df, log.p = TRUE); q <- q - (lq - log(p)) * exp(lq - dt(q, df, log = TRUE)) }
  q
}
qtItems <- c()
for (df in c(1, 2, 3, 4.5, 10, 17.776473516178498, 100, 1e4, 1e5, 1e6, 1e7, 1e9)) {
  for (p in c(1e-300, 1e-100, 1e-10, 1e-4, 0.025, 0.3, 0.8, 0.95, 0.975, 0.995)) {
    v <- qt(p, df)
    if (!is.finite(v)) next
    call <- sprintf("qt(%s, %s)", lit(p), lit(df))
    r <- qtRefined(p, df)
    if (abs(r / v - 1) > 1e-12) {
      qtItems <- c(qtItems, obj(p = num(p), df = num(df), value = num(v), call = str(call), refined = num(r),
        refinedCall = str(sprintf("q <- qt(%s, %s); for (i in 1:3) { lq <- pt(q, %s, log.p = TRUE); q <- q - (lq - log(%s)) * exp(lq - dt(q, %s, log = TRUE)) }",
                                  lit(p), lit(df), lit(df), lit(p), lit(df)))))
    } else {
      qtItems <- c(qtItems, distItem(call, v, p = num(p), df = num(df)))
    }
  }
}
pchisqItems <- c()
for (pair in list(c(1, 0.5), c(1, 3.8414588206941236), c(1, 100), c(1, 500), c(1, 1000), c(1, 1370),
                  c(2, 5.99), c(2, 1380), c(3, 7.8), c(3, 1000), c(3, 1350), c(10, 18.3), c(10, 200), c(10, 1400),
                  c(99, 123), c(100, 124.3), c(100, 1500), c(300, 400), c(500, 2500), c(1000, 1100), c(1000, 3000),
                  c(1000, 3500), c(2000, 2000), c(2000, 2200), c(2000, 4000), c(5000, 5000), c(5000, 5500),
                  c(1e4, 1e4), c(1e4, 1.1e4), c(1e4, 1.6e4), c(1e5, 1.05e5), c(1e5, 1.12e5), c(1e6, 1.001e6),
                  c(1e6, 1.05e6), c(1e8, 1.0001e8), c(1e8, 1.005e8))) {
  v <- pchisq(pair[2], pair[1], lower.tail = FALSE)
  if (!keep(v) || v == 0) next
  pchisqItems <- c(pchisqItems, distItem(sprintf("pchisq(%s, %s, lower.tail = FALSE)", lit(pair[2]), lit(pair[1])), v,
                                         x = num(pair[2]), df = num(pair[1])))
}
distObj <- paste0("{\n \"pnorm\": ", arr(pnormItems), ",\n \"twoSidedNormal\": ", arr(twoSidedNormItems),
                  ",\n \"pnormLog\": ", arr(logItems), ",\n \"qnorm\": ", arr(qnormItems),
                  ",\n \"pt\": ", arr(ptItems), ",\n \"twoSidedT\": ", arr(ptTwoItems), ",\n \"qt\": ", arr(qtItems),
                  ",\n \"pchisq\": ", arr(pchisqItems), "\n}")

out <- paste0(
  "{\n\"generator\": ", str(paste("test/stats/vectors/generate.R with", R.version.string, "and metafor", packageVersion("metafor"))),
  ",\n\"welch\": ", arr(welchItems),
  ",\n\"padjust\": ", arr(padjItems),
  ",\n\"metafor\": ", arr(metaItems),
  ",\n\"power\": ", arr(powerItems),
  ",\n\"distributions\": ", distObj,
  "\n}\n"
)
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("--file=", "", args[grep("--file=", args)])))
writeLines(out, file.path(here, "r.json"))
cat("wrote", file.path(here, "r.json"), "\n")
