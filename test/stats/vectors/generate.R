# Regenerates test/stats/vectors/r.json: reference values from R (stats + metafor).
#   apt-get install -y r-base-core r-cran-metafor
#   Rscript test/stats/vectors/generate.R
# Produced with R 4.2.2 and metafor 3.8.1. Every number carries the exact call that produced it.
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

out <- paste0(
  "{\n\"generator\": ", str(paste("test/stats/vectors/generate.R with", R.version.string, "and metafor", packageVersion("metafor"))),
  ",\n\"welch\": ", arr(welchItems),
  ",\n\"padjust\": ", arr(padjItems),
  ",\n\"metafor\": ", arr(metaItems),
  ",\n\"power\": ", arr(powerItems),
  "\n}\n"
)
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("--file=", "", args[grep("--file=", args)])))
writeLines(out, file.path(here, "r.json"))
cat("wrote", file.path(here, "r.json"), "\n")
