# Regenerates test/vectors/for-whom.json: the per-segment pipeline (results/for-whom.ts) on
# published data sets, each trial standing for one value of a segment attribute.
#   apt-get install -y r-base-core r-cran-metafor
#   Rscript test/vectors/generate-for-whom.R > test/vectors/for-whom.json
# Produced with R 4.2.2 and metafor 3.8.1 (Debian bookworm). CI never runs this.
# The values that meet Verdict's minimum data rule (>= 100 units per arm, >= 10 converters in
# the two arms) are fitted; the intervals are at level 1 - 0.05/k (Bonferroni over the k values),
# as Verdict reports them.
suppressPackageStartupMessages(library(metafor))
num <- function(x) if (length(x) == 1) sprintf("%.17g", x) else paste0("[", paste(sprintf("%.17g", x), collapse = ", "), "]")
item <- function(name, call, ai, n1i, ci, n2i, keep) {
  dat <- escalc(measure = "RR", ai = ai[keep], n1i = n1i[keep], ci = ci[keep], n2i = n2i[keep])
  k <- sum(keep)
  level <- 100 * (1 - 0.05 / k)
  fit <- rma(yi, vi, data = dat, method = "DL", level = level)
  b <- blup(fit)
  paste0("{\"name\": \"", name, "\", \"call\": \"", call, "\",\n",
    " \"treatmentConversions\": ", num(ai), ", \"treatmentUnits\": ", num(n1i), ", \"controlConversions\": ", num(ci), ", \"controlUnits\": ", num(n2i), ",\n",
    " \"kept\": ", num(which(keep) - 1), ", \"level\": ", num(level / 100), ",\n",
    " \"q\": ", num(fit$QE), ", \"qPValue\": ", num(fit$QEp), ", \"i2\": ", num(fit$I2 / 100), ", \"tau2\": ", num(fit$tau2), ",\n",
    " \"estimate\": ", num(as.numeric(fit$b)), ", \"ciLower\": ", num(fit$ci.lb), ", \"ciUpper\": ", num(fit$ci.ub), ",\n",
    " \"pred\": ", num(b$pred), ", \"se\": ", num(b$se), ", \"piLower\": ", num(b$pi.lb), ", \"piUpper\": ", num(b$pi.ub), "}")
}
bcg <- dat.bcg
h <- dat.hine1989
items <- c(
  item("bcg", "keep <- with(dat.bcg, tpos + cpos >= 10); dat <- escalc(measure='RR', ai=tpos, n1i=tpos+tneg, ci=cpos, n2i=cpos+cneg, data=dat.bcg, subset=keep); fit <- rma(yi, vi, data=dat, method='DL', level=100*(1-0.05/12)); blup(fit)  # trial 12 (5 + 3 cases) is below the minimum data rule",
       bcg$tpos, bcg$tpos + bcg$tneg, bcg$cpos, bcg$cpos + bcg$cneg, with(bcg, tpos + cpos >= 10 & tpos + tneg >= 100 & cpos + cneg >= 100)),
  item("hine1989", "keep <- with(dat.hine1989, n1i >= 100 & n2i >= 100 & ai + ci >= 10); dat <- escalc(measure='RR', ai=ai, n1i=n1i, ci=ci, n2i=n2i, data=dat.hine1989, subset=keep); fit <- rma(yi, vi, data=dat, method='DL', level=100*(1-0.05/4)); blup(fit)  # studies 3 to 6",
       h$ai, h$n1i, h$ci, h$n2i, with(h, n1i >= 100 & n2i >= 100 & ai + ci >= 10))
)
cat("{\"generator\": \"test/vectors/generate-for-whom.R (R ", paste(R.version$major, R.version$minor, sep = "."), ", metafor ", as.character(packageVersion("metafor")), ")\",\n \"items\": [\n", paste(items, collapse = ",\n"), "\n]}\n", sep = "")
