"""Turning what papers print into what pooling needs (Cochrane Handbook v6.4 ch. 6 §6.5.2; ch. 23).

Each function is a plain formula on numbers; the clean stage records every call it makes per study (function,
inputs, output) in the conversion log, so any derived SD or mean can be traced to the ledger rows it came from.
"""

from __future__ import annotations

import numpy as np


def _stats():
    """scipy.stats, imported on first use: it costs about 0.5 s, which every job that reads the ledger
    (this module comes with it) would otherwise pay whether or not it converts anything."""
    from scipy import stats

    return stats


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
    q = 1 - (1 - level) / 2
    stats = _stats()
    crit = stats.t.ppf(q, n - 1) if dist == "t" else stats.norm.ppf(q)
    return float(np.sqrt(n) * (ci_high - ci_low) / (2 * crit))


def se_md_from_p(md, p, n1, n2):
    """SE of a mean difference from its two-sided p value via t(n1+n2−2) (Handbook §6.5.2.3)."""
    t = _stats().t.isf(p / 2, n1 + n2 - 2)
    return float(abs(md) / t)


def se_md_from_t(md, t):
    """SE of a mean difference from its t statistic: SE = MD/t (Handbook §6.5.2.3)."""
    return float(abs(md / t))


def sd_within_from_se_md(se_md, n1, n2):
    """Common within-group SD from the SE of a mean difference: SD = SE/√(1/n1 + 1/n2) (Handbook §6.5.2.3)."""
    return float(se_md / np.sqrt(1 / n1 + 1 / n2))


def mean_sd_from_median_iqr(q1, median, q3, n, method="wan"):
    """Mean and SD from median and quartiles.

    Mean: Wan et al. (2014, BMC Med Res Methodol 14:135, scenario C3) ``(q1 + m + q3)/3``, or Luo et al. (2018,
    Stat Methods Med Res 27:1785) ``w(q1+q3)/2 + (1−w)m`` with ``w = 0.7 + 0.39/n`` (``method="luo"``).
    SD: Wan et al. (2014) ``(q3 − q1)/(2Φ⁻¹((0.75n − 0.125)/(n + 0.25)))`` (both methods).
    """
    if not q1 <= median <= q3:
        raise ValueError(f"quartiles out of order: q1={q1}, median={median}, q3={q3}")
    sd = (q3 - q1) / (2 * _stats().norm.ppf((0.75 * n - 0.125) / (n + 0.25)))
    if method == "wan":
        mean = (q1 + median + q3) / 3
    elif method == "luo":
        w = 0.7 + 0.39 / n
        mean = w * (q1 + q3) / 2 + (1 - w) * median
    else:
        raise ValueError(f"unknown method {method!r}; allowed: wan, luo")
    return float(mean), float(sd)


def mean_sd_from_median_range(minimum, median, maximum, n, method="wan"):
    """Mean and SD from median and range.

    Mean: Hozo et al. (2005) as used by Wan et al. (2014) ``(a + 2m + b)/4``, or Luo et al. (2018)
    ``w(a+b)/2 + (1−w)m`` with ``w = 4/(4 + n^0.75)`` (``method="luo"``).
    SD: Wan et al. (2014, scenario C1) ``(b − a)/(2Φ⁻¹((n − 0.375)/(n + 0.25)))``.
    """
    if not minimum <= median <= maximum:
        raise ValueError(f"range out of order: min={minimum}, median={median}, max={maximum}")
    sd = (maximum - minimum) / (2 * _stats().norm.ppf((n - 0.375) / (n + 0.25)))
    if method == "wan":
        mean = (minimum + 2 * median + maximum) / 4
    elif method == "luo":
        w = 4 / (4 + n**0.75)
        mean = w * (minimum + maximum) / 2 + (1 - w) * median
    else:
        raise ValueError(f"unknown method {method!r}; allowed: wan, luo")
    return float(mean), float(sd)


SCALE_FACTORS = {"nrs_0_10": 1.0, "vas_0_10": 1.0, "vas_0_100": 0.1}


def to_nrs(value, scale):
    """Rescale a mean, SD, SE or CI bound to 0–10 (VAS 0–100 → ÷10; linear, so SDs scale the same way)."""
    if scale not in SCALE_FACTORS:
        raise ValueError(f"cannot rescale {scale!r} to 0-10; allowed: {', '.join(SCALE_FACTORS)}")
    return float(value) * SCALE_FACTORS[scale]


def crossover_paired(m_e, sd_e, m_c, sd_c, n, r):
    """Paired analysis of a crossover trial (Handbook ch. 23 §23.2.7; v5.1 §16.4.6.4 worked example).

    MD = m_e − m_c; SD_diff = √(sd_e² + sd_c² − 2r·sd_e·sd_c); SE = SD_diff/√n, with a stated within-patient
    correlation r. Returns ``(md, se)`` for generic inverse-variance pooling.
    """
    sd_diff = np.sqrt(sd_e**2 + sd_c**2 - 2 * r * sd_e * sd_c)
    return float(m_e - m_c), float(sd_diff / np.sqrt(n))


def combine_arms(n1, m1, sd1, n2, m2, sd2):
    """Combine two arms into one group (Handbook Table 6.5.a): returns ``(n, mean, sd)``."""
    n = n1 + n2
    mean = (n1 * m1 + n2 * m2) / n
    var = ((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2 + n1 * n2 / n * (m1**2 + m2**2 - 2 * m1 * m2)) / (n - 1)
    return n, float(mean), float(np.sqrt(var))
