#!/usr/bin/env Rscript
# Reference values from R's metafor for the software conventions a review names (docs/conventions.md) and the
# small-study tests: I² from Q and from τ² under every τ² estimator, the zero-cell corrections (escalc's add, to and
# drop00), the Mantel-Haenszel common effect with its Q (rma.mh), Mantel-Haenszel within subgroups and the test
# between them, and Egger's, Peters' and Harbord's tests.
#
# Usage (from the repository root):  Rscript tests/reference/generate_conventions.R [OUT_CSV]
# Data: dat.bcg (no zero cells), dat.egger2001 (one zero cell) and dat.yusuf1985 tables 6 and 9 (zero cells and
# studies with no events in either arm), written to tests/reference/conventions/ as the tests read them.
# Writes OUT_CSV (default tests/reference/conventions_reference.csv): fixture, analysis, quantity, i, value, with a
# first comment line naming metafor's and R's versions.
suppressPackageStartupMessages({library(metafor); library(metadat)})
args <- commandArgs(trailingOnly = TRUE)
dir <- "tests/reference/conventions"
out <- if (length(args) >= 1) args[1] else "tests/reference/conventions_reference.csv"
dir.create(dir, showWarnings = FALSE)
ctrl <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000, stepadj = 0.5)

data(dat.bcg); data(dat.egger2001); data(dat.yusuf1985)
y <- dat.yusuf1985[dat.yusuf1985$table %in% c("6", "9") & !is.na(dat.yusuf1985$ai), ]
fixtures <- list(
  bcg = with(dat.bcg, data.frame(study = paste(author, year), ai = tpos, n1i = tpos + tneg, ci = cpos,
                                 n2i = cpos + cneg, group = alloc)),
  egger2001 = with(dat.egger2001, data.frame(study = study, ai, n1i, ci, n2i,
                                             group = ifelse(year < 1990, "before 1990", "1990 on"))),
  yusuf1985 = with(y, data.frame(study = trial, ai, n1i, ci, n2i, group = paste("table", table))))
for (fx in names(fixtures)) write.csv(fixtures[[fx]], file.path(dir, paste0(fx, ".csv")), row.names = FALSE)

rows <- list()
emit <- function(fixture, analysis, quantity, value) {
  rows[[length(rows) + 1]] <<- data.frame(fixture = fixture, analysis = analysis, quantity = quantity,
                                         i = seq_along(value) - 1L, value = as.numeric(value))
}
i2_q <- function(res) max(0, 100 * (res$QE - (res$k - res$p)) / res$QE)

for (fx in names(fixtures)) {
  d <- fixtures[[fx]]
  for (meas in c("RR", "OR")) {
    # zero-cell corrections: escalc's add, to and drop00
    for (to in c("only0", "all", "if0all", "none")) for (add in c(0.5, 0.25)) for (drop in c(FALSE, TRUE)) {
      if (to == "none" && add != 0.5) next
      es <- escalc(measure = meas, ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, add = add, to = to,
                   drop00 = drop)
      an <- paste("escalc", meas, to, add, if (drop) "drop00" else "keep00", sep = "_")
      emit(fx, an, "yi", es$yi); emit(fx, an, "vi", es$vi)
    }
    # I² from τ² (metafor's) and from Q, every τ² estimator, on escalc's default correction
    es <- escalc(measure = meas, ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d)
    for (m in c("DL", "REML", "ML", "PM", "HS", "SJ", "HE")) {
      res <- rma(yi, vi, data = es, method = m, control = ctrl)
      an <- paste("I2", meas, m, sep = "_")
      emit(fx, an, "tau2", res$tau2); emit(fx, an, "q", res$QE)
      emit(fx, an, "i2_tau2", res$I2); emit(fx, an, "i2_q", i2_q(res))
    }
    # Mantel-Haenszel common effect with its Q (rma.mh: exact MH counts, Q on the corrected study estimates)
    mh <- rma.mh(measure = meas, ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d)
    an <- paste("MH", meas, sep = "_")
    emit(fx, an, "estimate", mh$b[1]); emit(fx, an, "se", mh$se); emit(fx, an, "q", mh$QE)
    emit(fx, an, "q_p", mh$QEp); emit(fx, an, "i2", mh$I2); emit(fx, an, "k_q", sum(!is.na(mh$yi)))
    # Mantel-Haenszel within subgroups, and the test between them: a fixed-effect Q across the subgroup pools
    # (RevMan 5's and R meta's test for subgroup differences)
    groups <- sort(unique(d$group))
    est <- se <- numeric(0)
    for (g in groups) {
      s <- d[d$group == g, ]
      r <- rma.mh(measure = meas, ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = s)
      est <- c(est, r$b[1]); se <- c(se, r$se)
    }
    between <- rma(est, sei = se, method = "EE")
    an <- paste("MHSUB", meas, sep = "_")
    emit(fx, an, "estimate", est); emit(fx, an, "se", se)
    emit(fx, an, "q_between", between$QE); emit(fx, an, "q_between_p", between$QEp)
    # the common-effect test for subgroup differences (R meta's "common effect model" test): each subgroup pooled
    # by inverse variance under a common effect, Q across the subgroup pools
    est <- se <- numeric(0)
    for (g in groups) {
      r <- rma(yi, vi, data = es, subset = (d$group == g) & !is.na(es$yi), method = "EE")
      est <- c(est, r$b[1]); se <- c(se, r$se)
    }
    between <- rma(est, sei = se, method = "EE")
    an <- paste("FESUB", meas, sep = "_")
    emit(fx, an, "estimate", est); emit(fx, an, "se", se)
    emit(fx, an, "q_between", between$QE); emit(fx, an, "q_between_p", between$QEp)
    # small-study tests on escalc's default correction (studies with no events in either arm give NA and are
    # left out, as the engine's tables leave them out)
    ok <- !is.na(es$yi)
    e <- es[ok, ]
    eg <- regtest(e$yi, e$vi, model = "lm")
    emit(fx, paste("EGGER", meas, sep = "_"), "t", eg$zval); emit(fx, paste("EGGER", meas, sep = "_"), "df", eg$dfs)
    emit(fx, paste("EGGER", meas, sep = "_"), "p", eg$pval)
    pe <- regtest(e$yi, e$vi, ni = (d$n1i + d$n2i)[ok], model = "lm", predictor = "ninv")
    emit(fx, paste("PETERS", meas, sep = "_"), "t", pe$zval); emit(fx, paste("PETERS", meas, sep = "_"), "df", pe$dfs)
    emit(fx, paste("PETERS", meas, sep = "_"), "p", pe$pval)
  }
  # Harbord's test (Harbord, Egger & Sterne 2006): the efficient score Z of the log odds ratio and its null
  # variance V per table, Z/sqrt(V) regressed on sqrt(V) by least squares, the intercept tested with t(k - 2)
  a <- as.numeric(d$ai); c0 <- as.numeric(d$ci); n1 <- as.numeric(d$n1i); n2 <- as.numeric(d$n2i)  # no integer overflow
  N <- n1 + n2; m1 <- a + c0
  V <- n1 * n2 * m1 * (N - m1) / (N^2 * (N - 1)); Z <- a - m1 * n1 / N
  use <- V > 0
  fit <- summary(lm(I(Z[use] / sqrt(V[use])) ~ sqrt(V[use])))
  emit(fx, "HARBORD", "t", fit$coefficients[1, "t value"]); emit(fx, "HARBORD", "df", fit$df[2])
  emit(fx, "HARBORD", "p", fit$coefficients[1, "Pr(>|t|)"]); emit(fx, "HARBORD", "bias", fit$coefficients[1, 1])
}

res <- do.call(rbind, rows)
con <- file(out, "w")
writeLines(sprintf("# metafor %s, R %s; generated by tests/reference/generate_conventions.R",
                   packageVersion("metafor"), getRversion()), con)
write.csv(res, con, row.names = FALSE)
close(con)
cat("wrote", nrow(res), "values to", out, "\n")
