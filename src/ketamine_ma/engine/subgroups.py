"""Subgroup analyses and meta-regression.

Two tests for subgroup differences, as the two tools compute them:

- RevMan 5 / R meta (``tau.common = FALSE``; Deeks & Higgins 2010, Statistical algorithms in Review Manager 5;
  Borenstein et al. 2009, *Introduction to Meta-Analysis*, ch. 19): fit each subgroup with its own τ², then a
  fixed-effect Q across the subgroup estimates, Q_between = Σ w_g(μ̂_g − μ̄)², w_g = 1/SE_g², df = G − 1,
  I² = (Q − df)/Q. In metafor: one ``rma(yi, vi, subset = ...)`` per subgroup, then
  ``rma(estimates, sei = ses, method = "FE")`` and its QE.
- metafor's route (the ``rma.uni`` documentation's examples, "subgrouping versus using a single model with a
  factor"): a mixed-effects meta-regression ``rma(yi, vi, mods = ~ factor(group))`` with one common τ², and the
  omnibus Wald test of the subgroup terms, QM with G − 1 df. The two differ whenever the subgroups' τ² differ
  (shared/reference/stats_anchors.md §0.6); ``subgroup_analysis`` returns both.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import special

from . import heterogeneity as het
from . import measures
from .pooling import FIXED_LABEL, inverse_variance

# The meta-regression's τ²: none (the fixed-effect fit) or one of the estimators the registry offers it.
COMMON_TAU2_ESTIMATORS = (FIXED_LABEL, *measures.COMMON_TAU2_ESTIMATORS)


def subgroup_analysis(yi, vi, groups, tau2_estimator="DL", ci_method="wald", level=0.95, model="random",
                      common_tau2_estimator=None, fit=None, fixed_fit=None):
    """Pool each subgroup separately and test for subgroup differences both ways.

    Returns ``(per_group, test)``: a DataFrame with one row per subgroup (its ``PoolResult`` fields) and a dict
    with the RevMan test ``q_between, df, p, i2`` (each subgroup with its own τ² by ``tau2_estimator``) and the
    common-τ² meta-regression test ``qm, qm_df, qm_p`` beside it (random effects with ``common_tau2_estimator``
    when given, else the pools' ``model`` and ``tau2_estimator``; NaN with ``qm_note`` for an estimator the
    meta-regression does not offer). Subgroups with
    one study are pooled as k = 1 (their SE is the study's).

    ``fit(rows)`` pools the studies at some row numbers (default: inverse variance under ``model``; the analyse
    stage passes Mantel–Haenszel for an M-H analysis, as RevMan pools each subgroup by the analysis' method).
    ``fixed_fit`` is its common-effect version: the test ``q_fixed, q_fixed_df, q_fixed_p`` across the subgroups'
    common-effect pools, which R meta prints as the "common effect model" test beside the random-effects one
    (the same test as ``q_between`` under a fixed effect).
    """
    yi, vi, groups = np.asarray(yi, float), np.asarray(vi, float), np.asarray(groups)
    if fit is None:
        fit = lambda rows: inverse_variance(yi[rows], vi[rows], model, tau2_estimator, ci_method, level,  # noqa: E731
                                            tau2_ci=False)
    if fixed_fit is None:
        fixed_fit = lambda rows: inverse_variance(yi[rows], vi[rows], "fixed", tau2_ci=False)  # noqa: E731
    rows, fixed = [], []
    for g in sorted(pd.unique(groups), key=str):
        m = np.flatnonzero(groups == g)
        rows.append({"subgroup": g, **fit(m).as_row()})
        f = fixed_fit(m)
        fixed.append((f.estimate, f.se))
    per = pd.DataFrame(rows)
    # a named estimator for the common-τ² test means a random-effects meta-regression, whatever the pools' model
    common = (common_tau2_test(yi, vi, groups, "random", common_tau2_estimator) if common_tau2_estimator
              else common_tau2_test(yi, vi, groups, model, tau2_estimator))
    if len(per) < 2:
        return per, {"q_between": np.nan, "df": 0, "p": np.nan, "i2": np.nan, "q_fixed": np.nan, "q_fixed_df": 0,
                     "q_fixed_p": np.nan, **common}
    q = het.cochran_q(per["estimate"].to_numpy(), per["se"].to_numpy() ** 2)
    est, se = np.array(fixed).T
    q_fixed = het.cochran_q(est, se**2)
    df = len(per) - 1
    return per, {"q_between": q, "df": df, "p": float(special.chdtrc(df, q)), "i2": het.i2_h2(q, df)[0],
                 "q_fixed": q_fixed, "q_fixed_df": df, "q_fixed_p": float(special.chdtrc(df, q_fixed)), **common}


def common_tau2_test(yi, vi, groups, model="random", tau2_estimator="DL"):
    """Test for subgroup differences with one common τ²: QM of ``rma(yi, vi, mods = ~ factor(groups))`` (τ² = 0
    for ``model="fixed"``).

    Returns ``qm, qm_df, qm_p, qm_tau2`` and ``qm_note`` (why the test is NaN: fewer than two subgroups, or an
    estimator other than DL, REML, ML)."""
    tau2_estimator = "FE" if model == "fixed" else tau2_estimator
    levels = sorted(pd.unique(np.asarray(groups)), key=str)
    nan = {"qm": np.nan, "qm_df": max(len(levels) - 1, 0), "qm_p": np.nan, "qm_tau2": np.nan}
    if len(levels) < 2:
        return {**nan, "qm_note": "fewer than two subgroups"}
    if tau2_estimator not in COMMON_TAU2_ESTIMATORS:
        return {**nan, "qm_note": f"no common-tau2 meta-regression with the {tau2_estimator} estimator "
                                  f"(offered: {', '.join(COMMON_TAU2_ESTIMATORS[1:])})"}
    X = np.column_stack([np.asarray(groups) == g for g in levels[1:]]).astype(float)
    mr = meta_regression(yi, vi, X, tau2_estimator)
    return {"qm": mr["qm"], "qm_df": mr["qm_df"], "qm_p": mr["qm_p"], "qm_tau2": mr["tau2"], "qm_note": ""}


def meta_regression(yi, vi, X, tau2_estimator="DL"):
    """Mixed-effects meta-regression with PyMARE (intercept added) and the omnibus test of the moderators.

    QM = b'[Cov(b)]⁻¹b over the non-intercept coefficients, χ² with p − 1 df (metafor ``rma(mods=)``'s QM with
    a Wald/z test). ``tau2_estimator`` is "FE" (τ² = 0), "DL" or "REML"/"ML" (PyMARE's likelihood estimator,
    whose τ² agrees with metafor to about 1e-5 relative).
    """
    from pymare.estimators import (  # imported where used: only the meta-regression needs PyMARE
        DerSimonianLaird,
        VarianceBasedLikelihoodEstimator,
        WeightedLeastSquares,
    )

    yi, vi = np.asarray(yi, float), np.asarray(vi, float)
    X = np.column_stack([np.ones(len(yi)), np.asarray(X, float).reshape(len(yi), -1)])
    if tau2_estimator == "FE":
        est = WeightedLeastSquares(tau2=0.0)
    elif tau2_estimator == "DL":
        est = DerSimonianLaird(small_sample_correction="wald")
    elif tau2_estimator in ("REML", "ML"):
        est = VarianceBasedLikelihoodEstimator(method=tau2_estimator, small_sample_correction="wald")
    else:
        raise ValueError(f"meta-regression supports tau2 estimators FE, DL, REML, ML; got {tau2_estimator!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(y=yi[:, None], v=vi[:, None], X=X)
    b = est.params_["fe_params"][:, 0]
    t2 = 0.0 if tau2_estimator == "FE" else float(np.asarray(est.params_["tau2"]).ravel()[0])
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
        "qm_p": float(special.chdtrc(len(mb), qm)),
    }
