"""Subgroup analyses and meta-regression.

RevMan 5 / R meta (``tau.common = FALSE``) fit each subgroup with its own τ², then test for subgroup differences
with a fixed-effect Q across the subgroup estimates: Q_between = Σ w_g(μ̂_g − μ̄)², w_g = 1/SE_g², df = G − 1,
I² = (Q − df)/Q (Deeks & Higgins 2010; Borenstein et al. 2009 ch. 19). metafor's route, meta-regression with a
common τ², gives a different number (shared/reference/stats_anchors.md §0.6); it is offered as
``meta_regression``, fitted with PyMARE.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from pymare.estimators import DerSimonianLaird, VarianceBasedLikelihoodEstimator
from scipy import stats

from . import heterogeneity as het
from .pooling import inverse_variance


def subgroup_analysis(yi, vi, groups, tau2_estimator="DL", ci_method="wald", level=0.95, model="random"):
    """Pool each subgroup separately and test for subgroup differences (RevMan form).

    Returns ``(per_group, test)``: a DataFrame with one row per subgroup (its ``PoolResult`` fields) and a dict
    with ``q_between, df, p, i2``. Subgroups with one study are pooled as k = 1 (their SE is the study's).
    """
    yi, vi, groups = np.asarray(yi, float), np.asarray(vi, float), np.asarray(groups)
    rows = []
    for g in sorted(pd.unique(groups), key=str):
        m = groups == g
        res = inverse_variance(yi[m], vi[m], model, tau2_estimator, ci_method, level, tau2_ci=False)
        rows.append({"subgroup": g, **res.as_row()})
    per = pd.DataFrame(rows)
    if len(per) < 2:
        return per, {"q_between": np.nan, "df": 0, "p": np.nan, "i2": np.nan}
    q = het.cochran_q(per["estimate"].to_numpy(), per["se"].to_numpy() ** 2)
    df = len(per) - 1
    return per, {"q_between": q, "df": df, "p": float(stats.chi2.sf(q, df)), "i2": het.i2_h2(q, df)[0]}


def meta_regression(yi, vi, X, tau2_estimator="DL"):
    """Mixed-effects meta-regression with PyMARE (intercept added) and the omnibus test of the moderators.

    QM = b'[Cov(b)]⁻¹b over the non-intercept coefficients, χ² with p − 1 df (metafor ``rma(mods=)``'s QM with
    a Wald/z test). ``tau2_estimator`` is "DL" or "REML"/"ML" (PyMARE's likelihood estimator, whose τ² agrees
    with metafor to about 1e-5 relative).
    """
    yi, vi = np.asarray(yi, float), np.asarray(vi, float)
    X = np.column_stack([np.ones(len(yi)), np.asarray(X, float).reshape(len(yi), -1)])
    if tau2_estimator == "DL":
        est = DerSimonianLaird(small_sample_correction="wald")
    elif tau2_estimator in ("REML", "ML"):
        est = VarianceBasedLikelihoodEstimator(method=tau2_estimator, small_sample_correction="wald")
    else:
        raise ValueError(f"meta-regression supports tau2 estimators DL, REML, ML; got {tau2_estimator!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(y=yi[:, None], v=vi[:, None], X=X)
    b = est.params_["fe_params"][:, 0]
    t2 = float(np.asarray(est.params_["tau2"]).ravel()[0])
    w = 1 / (vi + t2)
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    mb = b[1:]
    qm = float(mb @ np.linalg.solve(cov[1:, 1:], mb))
    return {
        "coef": b,
        "se": np.sqrt(np.diag(cov)),
        "tau2": t2,
        "qm": qm,
        "qm_df": len(mb),
        "qm_p": float(stats.chi2.sf(qm, len(mb))),
    }
