#!/usr/bin/env Rscript
# Reference values from R's metafor for the engine's tests (PyMARE's validation/metafor pattern).
#
# Usage (from the repository root):  Rscript tests/reference/generate_metafor.R [OUT_CSV]
# 1. exports classic datasets from R package metadat into tests/reference/fixtures/ (dat_*.csv);
# 2. reads every fixture CSV there (plus the seeded random ones written by make_random_fixtures.py);
# 3. writes OUT_CSV (default tests/reference/metafor_reference.csv): fixture, analysis, quantity, i, value.
# Convergence controls are tightened (threshold/tol 1e-12) so the references are metafor's estimates to
# machine precision, not to metafor's default stopping rule.
suppressPackageStartupMessages({library(metafor); library(metadat)})
args <- commandArgs(trailingOnly = TRUE)
fixdir <- "tests/reference/fixtures"
out <- if (length(args) >= 1) args[1] else "tests/reference/metafor_reference.csv"
ctrl <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000, stepadj = 0.5)

w <- function(name, df) write.csv(df, file.path(fixdir, paste0(name, ".csv")), row.names = FALSE)
data(dat.bcg); data(dat.normand1999); data(dat.hine1989); data(dat.pritz1997); data(dat.debruin2009)
data(dat.egger2001)
w("dat_bcg", with(dat.bcg, data.frame(study = paste(author, year), ai = tpos, n1i = tpos + tneg,
                                     ci = cpos, n2i = cpos + cneg, year = year, ablat = ablat, alloc = alloc)))
w("dat_normand1999", with(dat.normand1999, data.frame(study = source, m1i, sd1i, n1i, m2i, sd2i, n2i)))
w("dat_hine1989", with(dat.hine1989, data.frame(study = study, ai, n1i, ci, n2i)))
w("dat_egger2001", with(dat.egger2001, data.frame(study = study, ai, n1i, ci, n2i)))
w("dat_pritz1997", with(dat.pritz1997, data.frame(study = study, xi, ni)))
w("dat_debruin2009", with(dat.debruin2009, data.frame(study = paste(author, year), xi, ni)))
w("dat_miller1978", data.frame(xi = c(3, 6, 10, 1), ni = c(11, 17, 21, 6)))
# Mean differences of dat.gibson2002's complete rows: REML's restricted likelihood has a local maximum at 0 (the score
# is negative there) below the global one at 9.68, which Fisher scoring from the Hedges start reaches only slowly.
data(dat.gibson2002)
g <- escalc("MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat.gibson2002)
g <- g[!is.na(g$yi), ]
w("dat_gibson2002_md", data.frame(study = paste(g$author, g$year), yi = as.numeric(g$yi), vi = as.numeric(g$vi)))

rows <- list()
emit <- function(fixture, analysis, quantity, value) {
  rows[[length(rows) + 1]] <<- data.frame(fixture = fixture, analysis = analysis, quantity = quantity,
                                         i = seq_along(value) - 1L, value = as.numeric(value))
}
emit_fit <- function(fx, an, res, pred = TRUE, ci_tau2 = TRUE) {
  emit(fx, an, "estimate", res$b[1]); emit(fx, an, "se", res$se[1])
  emit(fx, an, "ci_low", res$ci.lb[1]); emit(fx, an, "ci_high", res$ci.ub[1])
  emit(fx, an, "stat", res$zval[1]); emit(fx, an, "p", res$pval[1])
  emit(fx, an, "tau2", res$tau2); emit(fx, an, "q", res$QE); emit(fx, an, "q_p", res$QEp)
  emit(fx, an, "i2", res$I2); emit(fx, an, "h2", res$H2)
  if (pred) { p <- predict(res); emit(fx, an, "pi_low", p$pi.lb); emit(fx, an, "pi_high", p$pi.ub) }
  if (ci_tau2 && res$k > 1) {
    ci <- confint(res, control = list(tol = 1e-12, tau2.max = 1e4))$random
    emit(fx, an, "tau2_ci_low", ci["tau^2", "ci.lb"]); emit(fx, an, "tau2_ci_high", ci["tau^2", "ci.ub"])
  }
}
methods <- c("DL", "REML", "ML", "PM", "HS", "SJ", "HE")
pool_all <- function(fx, prefix, yi, vi) {
  for (m in methods) for (tst in c("z", "knha")) {
    res <- rma(yi, vi, method = m, test = tst, control = ctrl)
    emit_fit(fx, paste(prefix, m, tst, sep = "_"), res, ci_tau2 = (tst == "z"))
  }
  for (tst in c("z", "knha")) {
    res <- rma(yi, vi, method = "EE", test = tst)
    emit_fit(fx, paste(prefix, "FE", tst, sep = "_"), res, pred = FALSE, ci_tau2 = FALSE)
  }
}

for (f in sort(list.files(fixdir, pattern = "\\.csv$", full.names = TRUE))) {
  fx <- sub("\\.csv$", "", basename(f)); d <- read.csv(f)
  if (all(c("m1i", "sd1i") %in% names(d))) {
    for (meas in c("MD", "SMD")) {
      es <- escalc(meas, m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = d)
      emit(fx, paste0("escalc_", meas), "yi", es$yi); emit(fx, paste0("escalc_", meas), "vi", es$vi)
      pool_all(fx, meas, es$yi, es$vi)
    }
  } else if (all(c("ai", "n1i", "ci", "n2i") %in% names(d))) {
    bi <- d$n1i - d$ai; di <- d$n2i - d$ci
    for (meas in c("RR", "OR", "RD")) {
      es <- escalc(meas, ai = d$ai, bi = bi, ci = d$ci, di = di)
      emit(fx, paste0("escalc_", meas), "yi", es$yi); emit(fx, paste0("escalc_", meas), "vi", es$vi)
      pool_all(fx, meas, es$yi, es$vi)
      mh <- rma.mh(ai = d$ai, bi = bi, ci = d$ci, di = di, measure = meas)
      an <- paste0("MH_", meas)
      emit(fx, an, "estimate", mh$b[1]); emit(fx, an, "se", mh$se[1])
      emit(fx, an, "ci_low", mh$ci.lb[1]); emit(fx, an, "ci_high", mh$ci.ub[1])
      emit(fx, an, "stat", mh$zval[1]); emit(fx, an, "p", mh$pval[1])
      emit(fx, an, "q", mh$QE); emit(fx, an, "q_p", mh$QEp); emit(fx, an, "i2", mh$I2)
      # RevMan 5 "M-H, Random": DL tau2 from the MH-centred Q (rma.mh's QE), then IV random effects.
      if (meas != "RD") {
        # RevMan excludes double-zero studies ("not estimable") from the whole analysis, MH step included.
        ok <- !((d$ai == 0 & d$ci == 0) | (bi == 0 & di == 0))
        mc <- rma.mh(ai = d$ai[ok], bi = bi[ok], ci = d$ci[ok], di = di[ok], measure = meas, add = c(1/2, 1/2),
                     to = c("only0", "only0"))
        ec <- escalc(meas, ai = d$ai[ok], bi = bi[ok], ci = d$ci[ok], di = di[ok])
        wi <- 1 / ec$vi; k <- sum(!is.na(ec$yi))
        t2 <- max(0, (mc$QE - (k - 1)) / (sum(wi, na.rm = TRUE) - sum(wi^2, na.rm = TRUE) / sum(wi, na.rm = TRUE)))
        rr <- rma(ec$yi, ec$vi, tau2 = t2, method = "DL")
        an <- paste0("MHRANDOM_", meas)
        emit(fx, an, "estimate", rr$b[1]); emit(fx, an, "se", rr$se[1])
        emit(fx, an, "ci_low", rr$ci.lb[1]); emit(fx, an, "ci_high", rr$ci.ub[1])
        emit(fx, an, "tau2", t2); emit(fx, an, "q", mc$QE); emit(fx, an, "i2", mc$I2)
        an <- paste0("MHCC_", meas)
        emit(fx, an, "estimate", mc$b[1]); emit(fx, an, "se", mc$se[1])
      }
    }
  } else if (all(c("xi", "ni") %in% names(d))) {
    for (meas in c("PR", "PLO", "PFT", "PAS")) {
      es <- escalc(meas, xi = d$xi, ni = d$ni)
      emit(fx, paste0("escalc_", meas), "yi", es$yi); emit(fx, paste0("escalc_", meas), "vi", es$vi)
      ok <- es$vi > 0
      for (m in c("DL", "REML")) {
        res <- rma(es$yi[ok], es$vi[ok], method = m, control = ctrl)
        an <- paste(meas, m, "z", sep = "_")
        emit_fit(fx, an, res)
        bt <- switch(meas, PR = function(x) x, PLO = transf.ilogit,
                     PFT = function(x) transf.ipft.hm(x, targs = list(ni = d$ni[ok])), PAS = transf.iarcsin)
        emit(fx, an, "back_estimate", bt(res$b[1]))
        emit(fx, an, "back_ci_low", bt(res$ci.lb[1])); emit(fx, an, "back_ci_high", bt(res$ci.ub[1]))
      }
    }
  } else if (all(c("yi", "vi") %in% names(d))) {
    pool_all(fx, "GEN", d$yi, d$vi)
  }
}

# Tests for subgroup differences on dat.bcg log RR by allocation, both ways. RevMan's (and R meta's
# tau.common = FALSE): one random-effects fit per subgroup with its own tau2, then the fixed-effect Q across the
# subgroup estimates. metafor's documented route: one meta-regression on factor(alloc) with a common tau2, QM.
es <- escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
for (m in c("DL", "REML")) {
  an <- paste0("SUBGROUP_alloc_", m)
  fits <- lapply(split(es, es$alloc), function(s) rma(yi, vi, data = s, method = m, control = ctrl))
  b <- sapply(fits, function(f) f$b[1]); s <- sapply(fits, function(f) f$se)
  emit("dat_bcg", an, "estimate", b); emit("dat_bcg", an, "se", s)
  emit("dat_bcg", an, "tau2", sapply(fits, function(f) f$tau2))
  qb <- rma(b, sei = s, method = "FE")
  emit("dat_bcg", an, "q_between", qb$QE); emit("dat_bcg", an, "q_between_df", qb$k - qb$p)
  emit("dat_bcg", an, "q_between_p", qb$QEp); emit("dat_bcg", an, "q_between_i2", qb$I2)
  mr <- rma(yi, vi, mods = ~ factor(alloc), data = es, method = m, control = ctrl)
  emit("dat_bcg", an, "qm", mr$QM); emit("dat_bcg", an, "qm_df", mr$QMdf[1])
  emit("dat_bcg", an, "qm_p", mr$QMp); emit("dat_bcg", an, "qm_tau2", mr$tau2)
}
for (m in c("DL", "REML")) {
  mr <- rma(yi, vi, mods = ~ ablat, data = es, method = m, control = ctrl)
  an <- paste0("METAREG_ablat_", m)
  emit("dat_bcg", an, "coef", mr$b[, 1]); emit("dat_bcg", an, "se", mr$se)
  emit("dat_bcg", an, "qm", mr$QM); emit("dat_bcg", an, "qm_p", mr$QMp); emit("dat_bcg", an, "tau2", mr$tau2)
}
# Leave-one-out, cumulative (by year) and the classical Egger test on dat.bcg log RR.
for (m in c("DL", "REML")) {
  res <- rma(yi, vi, data = es, method = m, control = ctrl)
  l1 <- leave1out(res)
  an <- paste0("LOO_", m)
  emit("dat_bcg", an, "estimate", l1$estimate); emit("dat_bcg", an, "se", l1$se)
  emit("dat_bcg", an, "tau2", l1$tau2); emit("dat_bcg", an, "q", l1$Q)
  cu <- cumul(res, order = es$year)
  an <- paste0("CUMUL_year_", m)
  emit("dat_bcg", an, "estimate", cu$estimate); emit("dat_bcg", an, "se", cu$se)
}
eg <- regtest(rma(yi, vi, data = es, method = "DL"), model = "lm")
emit("dat_bcg", "EGGER_lm", "t", eg$zval); emit("dat_bcg", "EGGER_lm", "p", eg$pval)
emit("dat_bcg", "EGGER_lm", "limit", eg$est)
inf <- influence(rma(yi, vi, data = es, method = "REML", control = ctrl))$inf
for (q in c("rstudent", "dffits", "cook.d", "cov.r", "tau2.del", "QE.del", "hat", "weight"))
  emit("dat_bcg", "INFLUENCE_REML", q, inf[[q]])
emit("dat_bcg", "INFLUENCE_REML", "dfbetas", influence(rma(yi, vi, data = es, method = "REML",
                                                           control = ctrl))$dfbs$intrcpt)
for (m in c("DL", "REML", "EE")) {
  tf <- trimfill(rma(yi, vi, data = es, method = m, control = ctrl))
  an <- paste0("TRIMFILL_", m)
  emit("dat_bcg", an, "k0", tf$k0); emit("dat_bcg", an, "estimate", tf$b[1]); emit("dat_bcg", an, "se", tf$se)
  emit("dat_bcg", an, "tau2", tf$tau2)
}
# Pre/post mean change (measure "MC") with a stated correlation.
mc <- escalc("MC", m1i = c(6.1, 7.4, 5.9), m2i = c(3.2, 4.0, 4.4), sd1i = c(1.5, 2.0, 1.1),
             sd2i = c(2.2, 2.5, 1.9), ni = c(12, 30, 18), ri = c(0.5, 0.5, 0.5))
emit("inline_mc", "escalc_MC", "yi", mc$yi); emit("inline_mc", "escalc_MC", "vi", mc$vi)

res <- do.call(rbind, rows)
hdr <- c(sprintf("# generated by tests/reference/generate_metafor.R with metafor %s, metadat %s, %s",
                 packageVersion("metafor"), packageVersion("metadat"), R.version.string),
         "# regenerate: Rscript tests/reference/generate_metafor.R")
writeLines(hdr, out)
suppressWarnings(write.table(format(res, digits = 17), out, sep = ",", row.names = FALSE, append = TRUE,
                             quote = FALSE, col.names = TRUE))
