"""Sensitivity analyses on one study table: leave-one-out, cumulative, small-study effects.

Leave-one-out and cumulative pooling refit the same model k times (metafor ``leave1out``, ``cumul``;
Viechtbauer & Cheung 2010). Egger's test is the classical weighted regression of yᵢ on SEᵢ with weights
1/vᵢ, testing the slope with t(k−2) (Egger et al. 1997; metafor ``regtest(model="lm")``).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .pooling import random_effects

MIN_K_SMALL_STUDY = 10  # Cochrane Handbook v6.4 §13.3.5.4: tests for funnel asymmetry need at least 10 studies


def leave_one_out(yi, vi, tau2_estimator="DL", ci_method="wald"):
    """List of ``PoolResult`` fits, the i-th without study i (needs k ≥ 2)."""
    yi, vi = np.asarray(yi, float), np.asarray(vi, float)
    keep = ~np.eye(len(yi), dtype=bool)
    return [random_effects(yi[m], vi[m], tau2_estimator, ci_method, tau2_ci=False) for m in keep]


def cumulative(yi, vi, order, tau2_estimator="DL", ci_method="wald"):
    """Cumulative meta-analysis: fit j uses the first j studies in ``order`` (e.g. publication year); ties keep
    the input order (a stable sort, as metafor's ``cumul`` with ``order=``)."""
    yi, vi = np.asarray(yi, float), np.asarray(vi, float)
    idx = np.argsort(np.asarray(order), kind="stable")
    return idx, [random_effects(yi[idx[: j + 1]], vi[idx[: j + 1]], tau2_estimator, ci_method, tau2_ci=False)
                 for j in range(len(idx))]


def egger(yi, vi):
    """Classical Egger regression test: returns dict ``t, df, p, limit`` or a note when k < 10 (the limit is the
    intercept, the estimate as SE → 0)."""
    yi, vi = np.asarray(yi, float), np.asarray(vi, float)
    k = len(yi)
    if k < 3:
        return {"t": np.nan, "df": k - 2, "p": np.nan, "limit": np.nan, "note": f"k = {k}: no test possible"}
    X = np.column_stack([np.ones(k), np.sqrt(vi)])
    w = 1 / vi
    xtwx = X.T @ (w[:, None] * X)
    b = np.linalg.solve(xtwx, X.T @ (w * yi))
    resid = yi - X @ b
    sigma2 = np.sum(w * resid**2) / (k - 2)
    se = np.sqrt(np.diag(np.linalg.inv(xtwx)) * sigma2)
    t = b[1] / se[1]
    note = "" if k >= MIN_K_SMALL_STUDY else f"k = {k} < {MIN_K_SMALL_STUDY}: too few studies to interpret"
    return {"t": float(t), "df": k - 2, "p": float(2 * stats.t.sf(abs(t), k - 2)), "limit": float(b[0]),
            "note": note}
