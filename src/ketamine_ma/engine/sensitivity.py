"""Sensitivity analyses on one study table: leave-one-out, cumulative, small-study effects.

Leave-one-out and cumulative pooling refit the same model k times (metafor ``leave1out``, ``cumul``;
Viechtbauer & Cheung 2010). They take the fit as a function of the studies' row numbers, so the analyse job
(pooling its study table by inverse variance or Mantel–Haenszel) and the metafor oracle run the same code.
Egger's test is the classical weighted regression of yᵢ on SEᵢ with weights 1/vᵢ, testing the slope with t(k−2)
(Egger et al. 1997; metafor ``regtest(model="lm")``). For binary outcomes the Cochrane Handbook (v6.4 §13.3.5.3)
recommends tests that avoid the correlation between a log odds ratio and its SE: Peters' regression on 1/n
(Peters et al. 2006) and Harbord's score-based test (Harbord, Egger & Sterne 2006), both here beside Egger's.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .pooling import inverse_variance

MIN_K_SMALL_STUDY = 10  # Cochrane Handbook v6.4 §13.3.5.4: tests for funnel asymmetry need at least 10 studies


def leave_one_out(fit, k):
    """Leave-one-out: ``[fit(rows without study i) for i in 0..k−1]``; ``fit`` pools the studies at the given row
    numbers (an integer array, in table order)."""
    rows = np.arange(k)
    return [fit(rows[rows != i]) for i in rows]


def cumulative(fit, order):
    """Cumulative meta-analysis: ``(idx, fits)``, fit j pooling the first j + 1 studies in ``order`` (e.g.
    publication year; ``idx`` the row numbers in that order); ties keep the table order (a stable sort, as
    metafor's ``cumul`` with ``order=``)."""
    idx = np.argsort(np.asarray(order), kind="stable")
    return idx, [fit(idx[: j + 1]) for j in range(len(idx))]


def iv_fit(yi, vi, model="random", tau2_estimator="DL", ci_method="wald"):
    """The inverse-variance fit of the studies at some row numbers (for ``leave_one_out`` and ``cumulative``)."""
    yi, vi = np.asarray(yi, float), np.asarray(vi, float)
    return lambda rows: inverse_variance(yi[rows], vi[rows], model, tau2_estimator, ci_method, tau2_ci=False)


def _slope_test(y, x, w, coefficient):
    """Weighted least squares of y on [1, x] with weights w and the residual variance estimated (an ``lm`` fit):
    ``(t, df, p, intercept, slope)`` of the t test of ``coefficient`` (0 intercept, 1 slope) with t(k−2)."""
    k = len(y)
    X = np.column_stack([np.ones(k), x])
    xtwx = X.T @ (w[:, None] * X)
    b = np.linalg.solve(xtwx, X.T @ (w * y))
    resid = y - X @ b
    sigma2 = np.sum(w * resid**2) / (k - 2)
    se = np.sqrt(np.diag(np.linalg.inv(xtwx)) * sigma2)
    t = b[coefficient] / se[coefficient]
    return float(t), k - 2, float(2 * special.stdtr(k - 2, -abs(t))), float(b[0]), float(b[1])


def _too_few(k):
    return "" if k >= MIN_K_SMALL_STUDY else f"k = {k} < {MIN_K_SMALL_STUDY}: too few studies to interpret"


def egger(yi, vi):
    """Classical Egger regression test: returns dict ``t, df, p, limit, slope`` and a note when k < 10 (``limit``
    is the intercept, the estimate as SE → 0; ``slope`` the coefficient of SE)."""
    yi, vi = np.asarray(yi, float), np.asarray(vi, float)
    k = len(yi)
    if k < 3:
        return {"t": np.nan, "df": k - 2, "p": np.nan, "limit": np.nan, "slope": np.nan,
                "note": f"k = {k}: no test possible"}
    t, df, p, limit, slope = _slope_test(yi, np.sqrt(vi), 1 / vi, 1)
    return {"t": t, "df": df, "p": p, "limit": limit, "slope": slope, "note": _too_few(k)}


def peters(yi, vi, ni):
    """Peters' regression test for funnel asymmetry (Peters, Sutton, Jones, Abrams & Rushton 2006, JAMA 295:676):
    the study estimates regressed on the inverse of the total sample size ``ni``, testing the slope with t(k−2),
    as metafor's ``regtest(x, model = "lm", predictor = "ninv")`` computes it (weights 1/vᵢ; Peters et al. weighted
    the log odds ratio by the inverse of its approximate variance, 1/(1/events + 1/non-events), which the log
    odds ratio's own variance replaces here as in metafor). Returns ``t, df, p, limit, slope, note``."""
    yi, vi, ni = (np.asarray(x, float) for x in (yi, vi, ni))
    k = len(yi)
    if k < 3:
        return {"t": np.nan, "df": k - 2, "p": np.nan, "limit": np.nan, "slope": np.nan,
                "note": f"k = {k}: no test possible"}
    t, df, p, limit, slope = _slope_test(yi, 1 / ni, 1 / vi, 1)
    return {"t": t, "df": df, "p": p, "limit": limit, "slope": slope, "note": _too_few(k)}


def harbord(ai, n1i, ci, n2i):
    """Harbord's modified test for small-study effects in meta-analyses of 2×2 tables (Harbord, Egger & Sterne
    2006, Stat Med 25:3443; Cochrane Handbook v6.4 §13.3.5.3; Stata ``metabias, harbord``; R meta
    ``metabias(method.bias = "Harbord")``).

    From each table's efficient score of the log odds ratio and its variance under the null (uncorrected counts,
    hypergeometric): Zᵢ = aᵢ − (aᵢ + cᵢ)n1ᵢ/Nᵢ and Vᵢ = n1ᵢn2ᵢ(aᵢ + cᵢ)(bᵢ + dᵢ)/(Nᵢ²(Nᵢ − 1)), Zᵢ/√Vᵢ is regressed
    on √Vᵢ by unweighted least squares and the intercept is tested with t(k−2). Tables with Vᵢ = 0 (no events, or
    only events, in both arms) carry no information and are left out (k counts the others). Returns ``t, df, p,
    bias`` (the intercept), ``slope`` and ``note``."""
    a, n1, c, n2 = (np.asarray(x, float) for x in (ai, n1i, ci, n2i))
    n = n1 + n2
    m1 = a + c
    v = n1 * n2 * m1 * (n - m1) / (n**2 * (n - 1))
    use = v > 0
    z, v = (a - m1 * n1 / n)[use], v[use]
    k = int(use.sum())
    if k < 3:
        return {"t": np.nan, "df": k - 2, "p": np.nan, "bias": np.nan, "slope": np.nan,
                "note": f"k = {k}: no test possible"}
    t, df, p, bias, slope = _slope_test(z / np.sqrt(v), np.sqrt(v), np.ones(k), 0)
    return {"t": t, "df": df, "p": p, "bias": bias, "slope": slope, "note": _too_few(k)}


INFLUENCE_COLUMNS = ["rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "q_del", "hat", "weight", "dfbetas"]


def small_study(yi, vi, model="random", tau2_estimator="DL", tables=None):
    """Egger's test and trim-and-fill in one row, with Peters' and Harbord's tests when ``tables`` gives the 2×2
    tables ``(ai, n1i, ci, n2i)`` the estimates come from (binary outcomes); below 10 studies the tests are reported
    as not interpretable (Cochrane Handbook v6.4 §13.3.5.4) and trim-and-fill is not run."""
    k = len(yi)
    row = {"k": k, **{f"egger_{key}": v for key, v in egger(yi, vi).items()}}
    if tables is not None:
        ai, n1i, ci, n2i = (np.asarray(x, float) for x in tables)
        row.update({f"peters_{key}": v for key, v in peters(yi, vi, n1i + n2i).items()})
        row.update({f"harbord_{key}": v for key, v in harbord(ai, n1i, ci, n2i).items()})
    if k >= MIN_K_SMALL_STUDY:
        tf = trim_and_fill(yi, vi, model, tau2_estimator)
        row.update({"trimfill_k0": tf["k0"], "trimfill_side": tf["side"], "trimfill_estimate": tf["fit"].estimate,
                    "trimfill_ci_low": tf["fit"].ci_low, "trimfill_ci_high": tf["fit"].ci_high})
    else:
        row["trimfill_note"] = f"not run: k = {k} < {MIN_K_SMALL_STUDY}"
    return row


def influence(yi, vi, model="random", tau2_estimator="REML"):
    """Case-deletion diagnostics for a random-effects model (Viechtbauer & Cheung 2010; metafor
    ``influence.rma.uni``): per study the externally studentised residual, DFFITS, Cook's distance, the
    covariance ratio, τ² and Q without the study, the hat value and the weight (%)."""
    yi, vi = np.asarray(yi, float), np.asarray(vi, float)
    if len(yi) < 3:
        return []
    full = inverse_variance(yi, vi, model, tau2_estimator, tau2_ci=False)
    w = 1 / (vi + full.tau2)
    hat = w / w.sum()
    out = []
    for i, fit in enumerate(leave_one_out(iv_fit(yi, vi, model, tau2_estimator), len(yi))):
        resid = yi[i] - fit.estimate
        dfbeta = full.estimate - fit.estimate
        out.append({
            "rstudent": resid / np.sqrt(vi[i] + fit.tau2 + fit.se**2),
            "dffits": dfbeta / np.sqrt(hat[i] * (fit.tau2 + vi[i])),
            "cook_d": dfbeta**2 / full.se**2,
            "cov_r": fit.se**2 / full.se**2,
            "tau2_del": fit.tau2,
            "q_del": fit.q,
            "hat": hat[i],
            "weight": 100 * hat[i],
            "dfbetas": dfbeta / np.sqrt(1 / np.sum(1 / (vi + fit.tau2))),
        })
    return out


def trim_and_fill(yi, vi, model="random", tau2_estimator="DL", side=None, max_iter=100):
    """Duval & Tweedie (2000) trim-and-fill with the L0 estimator, as metafor's ``trimfill.rma.uni``: the side
    of the missing studies follows the sign of the slope of yᵢ on √vᵢ unless given; returns the number filled,
    the side, the filled (yi, vi) and the refitted pool."""
    yi, vi = np.asarray(yi, float), np.asarray(vi, float)
    k = len(yi)
    if side is None:
        X = np.column_stack([np.ones(k), np.sqrt(vi)])
        t2 = 0.0 if model == "fixed" else _mr_tau2(yi, vi, X, tau2_estimator)
        wt = 1 / (vi + t2)
        slope = np.linalg.solve(X.T @ (wt[:, None] * X), X.T @ (wt * yi))[1]
        side = "right" if slope < 0 else "left"
    # The studies trimmed are the extreme ones opposite the missing side: flip so they are the largest.
    sign = -1.0 if side == "right" else 1.0
    order = np.argsort(sign * yi, kind="stable")
    y, v = sign * yi[order], vi[order]
    k0, prev, it = 0, -1, 0
    while k0 != prev:
        prev = k0
        mu = inverse_variance(y[: k - k0], v[: k - k0], model, tau2_estimator, tau2_ci=False).estimate
        c = y - mu
        ranks = _average_ranks(np.abs(c)) * np.sign(c)
        sr = ranks[ranks > 0].sum()
        k0 = int(max(0, np.round((4 * sr - k * (k + 1)) / (2 * k - 1))))
        it += 1
        if it > max_iter:
            raise RuntimeError("trim-and-fill did not converge")
    y_fill = 2 * mu - y[k - k0:]
    v_fill = v[k - k0:]
    yy = np.concatenate([yi, sign * y_fill])
    vv = np.concatenate([vi, v_fill])
    return {"k0": k0, "side": side, "yi_fill": sign * y_fill, "vi_fill": v_fill,
            "fit": inverse_variance(yy, vv, model, tau2_estimator, tau2_ci=False)}


def _average_ranks(a):
    """Ranks 1..n, ties given their mean rank (scipy.stats.rankdata's default), without importing scipy.stats."""
    order = np.argsort(a, kind="stable")
    s = a[order]
    first = np.r_[True, s[1:] != s[:-1]]  # where each run of equal values starts
    group = np.cumsum(first)[np.argsort(order, kind="stable")]
    starts = np.r_[np.flatnonzero(first), len(a)]
    return 0.5 * (starts[group - 1] + starts[group] + 1)


def _mr_tau2(yi, vi, X, estimator):
    """τ² of a meta-regression on X (used only for the side of trim-and-fill)."""
    from .subgroups import meta_regression

    if estimator in ("DL", "REML", "ML"):
        return meta_regression(yi, vi, X[:, 1:], estimator)["tau2"]
    return meta_regression(yi, vi, X[:, 1:], "DL")["tau2"]
