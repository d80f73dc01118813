"""Heterogeneity statistics: Cochran's Q, I², H², and the Q-profile confidence interval for τ².

Q = Σ wᵢ(yᵢ − μ̂_FE)² with wᵢ = 1/vᵢ (Cochran 1954). I² and H² as metafor reports them (Higgins & Thompson 2002):
for a fixed-effect model I² = (Q − df)/Q and H² = Q/df; for a random-effects model from τ̂² and the "typical"
within-study variance s² = (k−1)Σw / [(Σw)² − Σw²], I² = τ̂²/(τ̂² + s²), H² = (τ̂² + s²)/s². Both forms coincide
for the DerSimonian–Laird estimator, which is what RevMan 5 reports.
"""

from __future__ import annotations

import numpy as np
from scipy import special


def cochran_q(yi, vi, mu=None):
    """Cochran's Q with inverse-variance weights, centred on ``mu`` (default: the IV fixed-effect estimate).

    RevMan centres Q on the Mantel–Haenszel estimate for M-H analyses ("Q.Cochrane"); pass ``mu`` for that.
    """
    yi, vi = np.asarray(yi, float), np.asarray(vi, float)
    w = 1 / vi
    if mu is None:
        mu = np.sum(w * yi) / np.sum(w)
    return float(np.sum(w * (yi - mu) ** 2))


def typical_variance(vi):
    """Typical within-study variance s² = (k−1)Σw / [(Σw)² − Σw²] (Higgins & Thompson 2002)."""
    w = 1 / np.asarray(vi, float)
    k = len(w)
    return float((k - 1) * w.sum() / (w.sum() ** 2 - np.sum(w**2)))


def i2_h2(q, df, tau2=None, vi=None):
    """Return ``(i2, h2)``; I² in percent. ``tau2=None`` gives the Q-based (fixed-effect / RevMan) form."""
    if df < 1:
        return float("nan"), float("nan")
    if tau2 is None:
        if np.isnan(q):  # Q about a pool that is not estimable: metafor gives NA for I² as well
            return float("nan"), float("nan")
        return max(0.0, 100 * (q - df) / q) if q > 0 else 0.0, q / df
    s2 = typical_variance(vi)
    return 100 * tau2 / (tau2 + s2), (tau2 + s2) / s2


def brentq(f, a, b, **kwargs):
    """``scipy.optimize.brentq``, imported on first use: its import (~0.3 s of CPU, scipy.linalg among it) is paid
    only by a job that solves for a τ² or its CI, not by one whose analyses pool nothing."""
    from scipy.optimize import brentq as solve

    return solve(f, a, b, **kwargs)


def generalised_q(tau2, yi, vi):
    """Q(τ²) = Σ (yᵢ − μ̂(τ²))²/(vᵢ + τ²), the statistic inverted by the Q-profile method."""
    w = 1 / (vi + tau2)
    mu = np.sum(w * yi) / np.sum(w)
    return float(np.sum(w * (yi - mu) ** 2))


def tau2_qprofile_ci(yi, vi, level=0.95, upper=None):
    """Q-profile confidence interval for τ² (Viechtbauer 2007, Stat Med 26:37; metafor ``confint.rma.uni``).

    Solves Q(τ²) = χ²_{k−1} quantiles; a bound is 0 when Q(0) is already below its quantile.
    """
    yi, vi = np.asarray(yi, float), np.asarray(vi, float)
    k = len(yi)
    if k < 2:
        return float("nan"), float("nan")
    alpha = 1 - level
    # χ² quantiles as scipy.stats' chi2.ppf computes them (2·gammaincinv(df/2, p)), without importing scipy.stats
    q_lo_target = 2 * special.gammaincinv((k - 1) / 2, 1 - alpha / 2)
    q_hi_target = 2 * special.gammaincinv((k - 1) / 2, alpha / 2)
    hi = upper if upper is not None else max(100.0, 100 * np.var(yi) + 10 * vi.max())

    def bound(target):
        f = lambda t: generalised_q(t, yi, vi) - target  # noqa: E731
        if f(0.0) < 0:
            return 0.0
        top = hi
        while f(top) > 0:
            top *= 10
        return float(brentq(f, 0.0, top, xtol=1e-14, rtol=1e-13, maxiter=1000))

    return bound(q_lo_target), bound(q_hi_target)
