"""τ² estimators of the random-effects model: DerSimonian–Laird, Hedges, Hunter–Schmidt, Sidik–Jonkman,
Paule–Mandel, and ML/REML by Fisher scoring, each as metafor's ``rma.uni`` computes it (Viechtbauer 2005, 2010);
``tau2`` picks one by name. Tested against metafor (tests/test_engine_metafor.py)."""

from __future__ import annotations

import numpy as np

from . import heterogeneity as het
from .measures import TAU2_ESTIMATORS


def checked(yi, vi):
    """``yi`` and ``vi`` as flat float arrays, or a ValueError naming what is wrong with them."""
    yi, vi = np.asarray(yi, float).ravel(), np.asarray(vi, float).ravel()
    if yi.shape != vi.shape:
        raise ValueError("yi and vi differ in length")
    if yi.size == 0:
        raise ValueError("no studies to pool (k = 0)")
    if not (np.all(np.isfinite(yi)) and np.all(np.isfinite(vi))):
        raise ValueError("yi and vi must be finite")
    if np.any(vi <= 0):
        raise ValueError("every vi must be > 0")
    return yi, vi


def _dl(Y, V):
    """DerSimonian & Laird (1986) moment estimator of every row of ``Y``, ``V`` (studies along the last axis):
    ``max(0, (Q − (k−1)) / (Σw − Σw²/Σw))`` with wᵢ = 1/vᵢ and Q Cochran's (metafor ``method="DL"``)."""
    w = 1 / V
    sw = w.sum(axis=-1)
    q = np.sum(w * (Y - (np.sum(w * Y, axis=-1) / sw)[..., None]) ** 2, axis=-1)
    return np.maximum(0.0, (q - (Y.shape[-1] - 1)) / (sw - np.sum(w**2, axis=-1) / sw))


def tau2_dl(yi, vi):
    """DerSimonian & Laird (1986) moment estimator, truncated at 0 (``_dl``)."""
    return float(_dl(yi, vi))


def tau2_he(yi, vi):
    """Hedges (1983) / Hedges–Olkin unweighted moment estimator: ``[Σ(y−ȳ)² − Σv(k−1)/k]/(k−1)``, truncated
    at 0 (metafor ``method="HE"``)."""
    k = yi.size
    rss = np.sum((yi - yi.mean()) ** 2)
    return float(max(0.0, (rss - vi.sum() * (k - 1) / k) / (k - 1)))


def tau2_hs(yi, vi):
    """Hunter–Schmidt estimator ``(Q − k)/Σw``, truncated at 0 (metafor ``method="HS"``)."""
    w = 1 / vi
    return float(max(0.0, (het.cochran_q(yi, vi) - yi.size) / w.sum()))


def tau2_sj(yi, vi):
    """Sidik–Jonkman (2005) estimator: ``τ₀² Σwᵢ(yᵢ−μ̂)²/(k−1)`` with ``τ₀² = Σ(y−ȳ)²/k`` and
    ``wᵢ = 1/(vᵢ+τ₀²)`` (metafor ``method="SJ"``)."""
    k = yi.size
    t0 = np.sum((yi - yi.mean()) ** 2) / k
    w = 1 / (vi + t0)
    mu = np.sum(w * yi) / w.sum()
    return float(t0 * np.sum(w * (yi - mu) ** 2) / (k - 1))


def tau2_pm(yi, vi):
    """Paule–Mandel (1982) estimator: the root of Q(τ²) = k − 1, or 0 when Q(0) < k − 1 (metafor "PM")."""
    k = yi.size
    f = lambda t: het.generalised_q(t, yi, vi) - (k - 1)  # noqa: E731
    if f(0.0) <= 0:
        return 0.0
    top = max(1.0, 10 * np.var(yi))
    while f(top) > 0:
        top *= 10
    return float(het.brentq(f, 0.0, top, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=1000))


def _score(tau2, yi, vi, reml):
    """Derivative (up to a positive factor) of the (restricted) log-likelihood in τ²."""
    w = 1 / (vi + tau2)
    sw = w.sum()
    r = yi - np.sum(w * yi) / sw
    if reml:
        return float(np.sum((w * r) ** 2) - (sw - np.sum(w**2) / sw))
    return float(np.sum(w**2 * r**2) - sw)


# metafor rma.uni's control values for its check of τ² = 0 after Fisher scoring (``ll0check``; metafor 3.8.1):
# ``tol`` = eps^¼ on the log-likelihood, ``threshold`` = 1e-5 on τ².
LL0_TOL, LL0_THRESHOLD = np.finfo(float).eps ** 0.25, 1e-5


def _loglik(tau2, yi, vi, reml):
    """Log-likelihood (``reml``: restricted) of the intercept-only random-effects model at τ², without the constant
    in 2π (Viechtbauer 2005, J Educ Behav Stat 30:261, eqs. 5 and 7); arrays of studies along the last axis."""
    w = 1 / (vi + tau2)
    sw = w.sum(axis=-1)
    mu = np.sum(w * yi, axis=-1) / sw
    ll = -0.5 * (np.sum(np.log(vi + tau2), axis=-1) + np.sum(w * (yi - mu[..., None]) ** 2, axis=-1))
    return ll - 0.5 * np.log(sw) if reml else ll


def _zero_if_likelier(tau2, yi, vi, reml):
    """τ² = 0 where the likelihood is higher there than at the τ² Fisher scoring converged to, as metafor's
    ``ll0check`` does: the (restricted) likelihood can have a local maximum above 0 (scoring from the HE start then
    stops there, and only at some scales of the data); ``tau2`` one value per row of ``yi``."""
    gap = _loglik(0.0, yi, vi, reml) - _loglik(np.asarray(tau2)[..., None], yi, vi, reml)
    return np.where((tau2 > LL0_THRESHOLD) & (gap > LL0_TOL), 0.0, tau2)


def fisher_scoring(Y, V, reml=True, tol=1e-12, max_iter=100):
    """ML / REML τ² of every row of ``Y``, ``V`` (arrays of shape (n_sets, k), complete data), as metafor
    ``rma.uni`` finds it: Fisher scoring from the Hedges estimate with step halving at the 0 boundary, then the
    check of τ² = 0 (``_zero_if_likelier``) on every row. One fit is the one-row case.

    A row where Fisher scoring has not converged after ``max_iter`` steps (it can oscillate, or creep towards its
    root) gets the root of the score nearest its last step by bracketing instead (``_bracket_score``)."""
    Y, V = np.atleast_2d(np.asarray(Y, float)), np.atleast_2d(np.asarray(V, float))
    k = Y.shape[1]
    rss = np.sum((Y - Y.mean(axis=1, keepdims=True)) ** 2, axis=1)
    t2 = np.maximum(0.0, (rss - V.sum(axis=1) * (k - 1) / k) / (k - 1))  # tau2_he of each row
    active = np.ones(len(Y), dtype=bool)
    for _ in range(max_iter):
        w = 1 / (V + t2[:, None])
        sw, sw2 = w.sum(axis=1), np.sum(w**2, axis=1)
        r = Y - (np.sum(w * Y, axis=1) / sw)[:, None]
        if reml:
            # P = W − w wᵀ/Σw; y'PPy and tr(P), tr(PP) written out for an intercept-only model.
            tr_p = sw - sw2 / sw
            tr_pp = sw2 - 2 * np.sum(w**3, axis=1) / sw + (sw2 / sw) ** 2
            step = (np.sum((w * r) ** 2, axis=1) - tr_p) / tr_pp
        else:
            step = (np.sum(w**2 * r**2, axis=1) - sw) / sw2
        adj = np.where(active, step, 0.0)
        while np.any(t2 + adj < 0):
            adj = np.where(t2 + adj < 0, adj / 2, adj)
        t2 = t2 + adj
        active &= np.abs(adj) >= tol
        if not active.any():
            break
    for i in np.flatnonzero(active):
        t2[i] = _bracket_score(Y[i], V[i], reml, t2[i])
    return _zero_if_likelier(t2, Y, V, reml)


def _bracket_score(yi, vi, reml, start):
    """The maximum of the (restricted) likelihood nearest ``start``: the τ² ≥ 0 where the score falls through 0,
    by Brent's method on a bracket grown from ``start`` (upwards while the score is positive, downwards while it is
    negative); 0 when the score stays negative down to 0. The likelihood can have a local maximum at 0 below the
    one Fisher scoring was heading to (dat.gibson2002's mean differences under REML), so the search starts where
    scoring stopped, not at 0."""
    lo, hi = start, start
    if _score(start, yi, vi, reml) > 0:
        hi = max(2 * start, 1.0)
        while _score(hi, yi, vi, reml) > 0:
            lo, hi = hi, 10 * hi
    else:
        while _score(lo, yi, vi, reml) <= 0:
            if lo < 1e-10:
                return 0.0
            hi, lo = lo, lo / 2
    return float(het.brentq(_score, lo, hi, args=(yi, vi, reml), xtol=1e-15, rtol=4 * np.finfo(float).eps,
                                 maxiter=1000))


def tau2_reml(yi, vi):
    """Restricted maximum likelihood τ² (Viechtbauer 2005)."""
    return float(fisher_scoring(yi[None, :], vi[None, :], reml=True)[0])


def tau2_ml(yi, vi):
    """Maximum likelihood τ² (Viechtbauer 2005)."""
    return float(fisher_scoring(yi[None, :], vi[None, :], reml=False)[0])


_TAU2 = {
    "DL": tau2_dl,
    "REML": tau2_reml,
    "ML": tau2_ml,
    "PM": tau2_pm,
    "HS": tau2_hs,
    "SJ": tau2_sj,
    "HE": tau2_he,
}


def tau2(yi, vi, estimator="DL"):
    """τ² by the named estimator (one of ``TAU2_ESTIMATORS``)."""
    if estimator not in _TAU2:
        raise ValueError(f"unknown tau2 estimator {estimator!r}; allowed: {', '.join(TAU2_ESTIMATORS)}")
    yi, vi = checked(yi, vi)
    if yi.size == 1:
        return 0.0
    return _TAU2[estimator](yi, vi)
