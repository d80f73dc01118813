# Forest plots and a RevMan-style layout drawn by R (Debian r-cran-metafor 3.8) into PDFs for tests/test_forest_rows.py.
# Usage: Rscript tests/reference/forest_plots.R <folder>. Writes bcg_forest.pdf (dat.bcg, arm data as ilab columns,
# weights, header), bcg_subgroups.pdf (dat.bcg by allocation, addpoly per subgroup), gibson_forest.pdf (the
# continuous rows of dat.gibson2002: means, SDs and sizes; dat.normand1999 prints no author and year to match a
# trial by), revman_md.pdf (the same rows in RevMan's column order, a prediction-interval row), bcg_changed.pdf
# (bcg_forest with one count changed, its printed estimate left as metafor drew it), bcg_ci_only.pdf (dat.bcg's
# estimates and CIs alone) and pooled.csv (metafor's pooled results the tests compare with: estimate, CI, tau2, I2,
# Q with its df and p, and the prediction interval of predict()).
suppressMessages(library(metafor))
out <- commandArgs(TRUE)[1]
bcg <- dat.bcg
bcg$label <- paste(bcg$author, bcg$year)

bcg_plot <- function(file, d, shown = d) {
  dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = d, slab = label)
  res <- rma(yi, vi, data = dat)
  pdf(file.path(out, file), width = 10, height = 7)
  forest(res, xlim = c(-16, 6), atransf = exp, ilab = cbind(shown$tpos, shown$tneg, shown$cpos, shown$cneg),
         ilab.xpos = c(-9.5, -8, -6, -4.5), cex = .75, header = "Author(s) and Year", showweights = TRUE,
         addpred = TRUE)
  text(c(-9.5, -8, -6, -4.5), res$k + 2, c("TB+", "TB-", "TB+", "TB-"), cex = .75, font = 2)
  text(c(-8.75, -5.25), res$k + 3, c("Vaccinated", "Control"), cex = .75, font = 2)
  mtext("Figure 2. BCG vaccine and tuberculosis", side = 1, line = 3)
  invisible(dev.off())
  res
}
res <- bcg_plot("bcg_forest.pdf", bcg)
changed <- bcg
changed$cpos[3] <- 12  # Rosenthal et al 1960: 11 control cases printed as 12
bcg_plot("bcg_changed.pdf", bcg, changed)

# subgroups by allocation, each with its own pooled polygon (addpoly)
d <- bcg[order(bcg$alloc), ]
dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = d, slab = label)
groups <- split(seq_len(nrow(d)), d$alloc)
rows <- c(); y <- 3; heads <- c()
for (g in rev(names(groups))) {
  n <- length(groups[[g]]); rows <- c(rev(y:(y + n - 1)), rows); heads <- c(heads, y + n); y <- y + n + 3
}
rows <- unlist(lapply(names(groups), function(g) sort(rows[groups[[g]]], decreasing = TRUE)))
all <- rma(yi, vi, data = dat)
pdf(file.path(out, "bcg_subgroups.pdf"), width = 10, height = 9)
forest(all, xlim = c(-16, 6), atransf = exp, ilab = cbind(d$tpos, d$tneg, d$cpos, d$cneg),
       ilab.xpos = c(-9.5, -8, -6, -4.5), cex = .75, ylim = c(-1, y + 1), rows = rows, header = "Author(s) and Year")
text(c(-9.5, -8, -6, -4.5), y, c("TB+", "TB-", "TB+", "TB-"), cex = .75, font = 2)
text(c(-8.75, -5.25), y + 1, c("Vaccinated", "Control"), cex = .75, font = 2)
for (i in seq_along(groups)) {
  g <- names(groups)[i]
  sub <- rma(yi, vi, data = dat, subset = alloc == g)
  addpoly(sub, row = min(rows[groups[[g]]]) - 1, cex = .75, mlab = paste("Subtotal", g))
  text(-16, max(rows[groups[[g]]]) + 1, paste("Allocation:", g), pos = 4, cex = .75, font = 4)
}
invisible(dev.off())

# continuous: the rows of dat.gibson2002 with means, SDs and sizes
g <- dat.gibson2002[!is.na(dat.gibson2002$m1i), ]
g$label <- paste(g$author, g$year)
gd <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = g,
             slab = label)
# DerSimonian-Laird: on these data REML's likelihood has a local maximum at tau2 = 0 besides metafor's 9.68
gres <- rma(yi, vi, data = gd, method = "DL")
pdf(file.path(out, "gibson_forest.pdf"), width = 11, height = 6)
forest(gres, xlim = c(-120, 60), ilab = cbind(g$m1i, g$sd1i, g$n1i, g$m2i, g$sd2i, g$n2i),
       ilab.xpos = c(-80, -70, -61, -50, -40, -31), cex = .75, header = "Study", showweights = TRUE,
       xlab = "Mean Difference")
text(c(-80, -70, -61, -50, -40, -31), gres$k + 2, c("Mean", "SD", "N", "Mean", "SD", "N"), cex = .75, font = 2)
text(c(-70, -40), gres$k + 3, c("Education", "Usual care"), cex = .75, font = 2)
invisible(dev.off())

# RevMan's column order, drawn with text(): DerSimonian-Laird, a prediction interval row
dl <- rma(yi, vi, data = gd, method = "DL")
pred <- predict(dl)
w <- weights(dl)
f2 <- function(x) formatC(x, format = "f", digits = 2)
pdf(file.path(out, "revman_md.pdf"), width = 11, height = 6)
par(mar = c(0, 0, 0, 0))
plot.new(); plot.window(xlim = c(0, 110), ylim = c(0, nrow(g) + 9))
top <- nrow(g) + 7
text(5, top + 1.5, "Figure 3. Forest plot of comparison: 1 Education versus usual care", pos = 4, cex = .8)
text(c(33, 58), top, c("Experimental", "Control"), cex = .7, font = 2)
hx <- c(25, 33, 41, 50, 58, 66)
text(5, top - 1, "Study or Subgroup", pos = 4, cex = .7, font = 2)
text(c(hx, 75, 95), top - 1, c("Mean", "SD", "Total", "Mean", "SD", "Total", "Weight", "IV, Random, 95% CI"),
     cex = .7, font = 2)
text(95, top, "Mean Difference", cex = .7, font = 2)
for (i in seq_len(nrow(g))) {
  y <- top - 1 - i
  text(5, y, g$label[i], pos = 4, cex = .7)
  text(hx, y, c(g$m1i[i], g$sd1i[i], g$n1i[i], g$m2i[i], g$sd2i[i], g$n2i[i]), cex = .7)
  text(75, y, paste0(formatC(w[i], format = "f", digits = 1), "%"), cex = .7)
  text(95, y, sprintf("%s [%s, %s]", f2(gd$yi[i]), f2(gd$yi[i] - qnorm(.975) * sqrt(gd$vi[i])),
                      f2(gd$yi[i] + qnorm(.975) * sqrt(gd$vi[i]))), cex = .7)
}
y <- top - 2 - nrow(g)
text(5, y, "Total (95% CI)", pos = 4, cex = .7, font = 2)
text(c(41, 66, 75), y, c(sum(g$n1i), sum(g$n2i), "100.0%"), cex = .7, font = 2)
text(95, y, sprintf("%s [%s, %s]", f2(pred$pred), f2(pred$ci.lb), f2(pred$ci.ub)), cex = .7, font = 2)
text(5, y - 1, "Prediction interval", pos = 4, cex = .7)
text(95, y - 1, sprintf("[%s, %s]", f2(pred$pi.lb), f2(pred$pi.ub)), cex = .7)
text(5, y - 2, sprintf("Heterogeneity: Tau\u00b2 = %.2f; I\u00b2 = %.0f%%", dl$tau2, dl$I2), pos = 4, cex = .7)
invisible(dev.off())

# estimates and CIs only: forest() of the rma fit with no ilab columns, as a review prints a generic inverse-variance
# plot. The reference pool is metafor's of the yi and sei a reader derives from the printed (rounded) numbers:
# yi = log(printed estimate), sei = (log(upper) - log(lower)) / (2 * 1.959964) (Cochrane Handbook v6.4 s6.3.1-6.3.2)
pdf(file.path(out, "bcg_ci_only.pdf"), width = 8, height = 6)
forest(res, atransf = exp, cex = .75, header = "Author(s) and Year")
mtext("Figure 4. BCG vaccine and tuberculosis: risk ratios", side = 1, line = 3)
invisible(dev.off())
printed <- function(x) as.numeric(formatC(exp(x), format = "f", digits = 2))  # forest()'s default digits = 2
ci <- data.frame(est = printed(res$yi), lo = printed(res$yi - qnorm(.975) * sqrt(res$vi)),
                 hi = printed(res$yi + qnorm(.975) * sqrt(res$vi)))
cres <- rma(yi = log(ci$est), sei = (log(ci$hi) - log(ci$lo)) / (2 * qnorm(.975)))

# each fit's pool, its heterogeneity (I2 as metafor computes it, Q) and its prediction interval (predict())
fits <- list(bcg_forest = res, gibson_forest = gres, revman_md = dl, bcg_ci_only = cres)
write.csv(do.call(rbind, lapply(names(fits), function(f) {
  x <- fits[[f]]; p <- predict(x)
  data.frame(figure = f, estimate = x$b[1], ci_low = x$ci.lb, ci_high = x$ci.ub, tau2 = x$tau2, i2 = x$I2, q = x$QE,
             q_df = x$k - 1, q_p = x$QEp, pi_low = p$pi.lb, pi_high = p$pi.ub)
})), file.path(out, "pooled.csv"), row.names = FALSE)
