"""Turning what papers print into what pooling needs (Cochrane Handbook v6.4 ch. 6 §6.5.2; ch. 23).

Each function is a plain formula on numbers; the clean stage records every call it makes per study (function,
inputs, output) in the conversion log, so any derived SD or mean can be traced to the ledger rows it came from.
"""

from __future__ import annotations

import numpy as np


def sd_from_se(se, n):
    """SD = SE·√n for a group mean (Handbook §6.5.2.2)."""
    return float(se) * np.sqrt(float(n))


def sd_from_ci(ci_low, ci_high, n, level=0.95, dist="t"):
    """SD of a group from the CI of its mean (Handbook §6.5.2.2): SD = √n·(upper − lower)/(2·crit).

    ``dist="t"`` uses t(n−1) (the Handbook's rule for small samples); ``"z"`` uses the normal quantile
    (3.92 = 2×1.96 for 95%), appropriate when n is large (say > 100 per group).
    """
    if ci_high < ci_low:
        raise ValueError(f"CI lower bound {ci_low} exceeds upper bound {ci_high}")
    # imported here: every job that reads the ledger imports this module, converting or not. stdtrit and ndtri are
    # the t and normal quantiles scipy.stats' t and norm compute, without importing scipy.stats (0.5 s of CPU).
    from scipy import special

    q = 1 - (1 - level) / 2
    crit = special.stdtrit(n - 1, q) if dist == "t" else special.ndtri(q)
    return float(np.sqrt(n) * (ci_high - ci_low) / (2 * crit))


def se_from_ci(ci_low, ci_high, ratio=False, level=0.95):
    """The SE of an effect estimate from its CI (Cochrane Handbook v6.4 §6.3.1, absolute measures:
    SE = (upper − lower)/3.92 for a 95% CI, i.e. 2·z with z the normal quantile; §6.3.2, ratio measures: the same on
    the natural logs of the bounds). The bounds as printed: their rounding carries into the SE."""
    if not ci_low <= ci_high or (ratio and ci_low <= 0):
        raise ValueError(f"no SE from the CI [{ci_low}, {ci_high}]" + (" of a ratio" if ratio else ""))
    from scipy import special

    lo, hi = (np.log(ci_low), np.log(ci_high)) if ratio else (ci_low, ci_high)
    return float((hi - lo) / (2 * special.ndtri(1 - (1 - level) / 2)))


SCALE_FACTORS = {"nrs_0_10": 1.0, "vas_0_10": 1.0, "vas_0_100": 0.1}


def to_nrs(value, scale):
    """Rescale a mean, SD, SE or CI bound to 0–10 (VAS 0–100 → ÷10; linear, so SDs scale the same way)."""
    if scale not in SCALE_FACTORS:
        raise ValueError(f"cannot rescale {scale!r} to 0-10; allowed: {', '.join(SCALE_FACTORS)}")
    return float(value) * SCALE_FACTORS[scale]


def combine_arms(n1, m1, sd1, n2, m2, sd2):
    """Combine two arms into one group (Handbook Table 6.5.a): returns ``(n, mean, sd)``."""
    n = n1 + n2
    mean = (n1 * m1 + n2 * m2) / n
    var = ((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2 + n1 * n2 / n * (m1**2 + m2**2 - 2 * m1 * m2)) / (n - 1)
    return n, float(mean), float(np.sqrt(var))
