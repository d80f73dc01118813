"""Study-level effect sizes and their sampling variances.

Every function takes arrays of arm-level data and returns ``(yi, vi)`` as float arrays, on the scale that is
pooled (log scale for ratios, transformed scale for proportions). Formulas follow metafor's ``escalc``
(Viechtbauer 2010, J Stat Softw 36(3); metafor documentation of ``escalc``) and RevMan 5 (Deeks & Higgins,
"Statistical algorithms in Review Manager 5", 2010), as each docstring says.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .measures import MEASURES, of_family
from .measures import measure as _measure


class ZeroRule(NamedTuple):
    """How a 2×2 table with a zero cell is corrected (``correct_zero_cells``).

    ``add`` is added to every cell of the tables ``to`` names: ``"only0"`` the tables with a zero cell,
    ``"if0all"`` all tables when any has one, ``"all"`` all tables, ``"none"`` none (metafor ``escalc``'s ``add``
    and ``to``). ``drop00``: tables with no events in either arm (or all events in both) are excluded from RR and
    OR (RevMan, R meta's ``allstudies = FALSE``, Stata metan) or kept (metafor ``escalc``'s ``drop00 = FALSE``).
    ``mh_exact``: the Mantel–Haenszel estimate is computed from the uncorrected counts (metafor ``rma.mh``) or from
    the corrected ones (RevMan 5, R meta's ``MH.exact = FALSE``, Stata metan)."""

    add: float = 0.5
    to: str = "only0"
    drop00: bool = True
    mh_exact: bool = False


ZERO_TO = ("only0", "if0all", "all", "none")
# The named rules: RevMan 5's (Deeks & Higgins 2010; Cochrane Handbook 5.1 §16.9.3) and metafor's defaults.
ZERO_RULES = {"revman": ZeroRule(), "metafor": ZeroRule(drop00=False, mh_exact=True),
              "none": ZeroRule(add=0.0, to="none", drop00=False, mh_exact=True)}


def zero_rule(rule):
    """A ``ZeroRule`` from itself, its fields as a dict, or its name in ``ZERO_RULES``; an unknown name or ``to`` is
    an error."""
    if isinstance(rule, str):
        if rule not in ZERO_RULES:
            raise ValueError(f"unknown zero-cell rule {rule!r}; allowed: {', '.join(ZERO_RULES)}")
        return ZERO_RULES[rule]
    rule = ZeroRule(**rule) if isinstance(rule, dict) else ZeroRule(*rule)
    if rule.to not in ZERO_TO:
        raise ValueError(f"unknown zero-cell 'to' {rule.to!r}; allowed: {', '.join(ZERO_TO)}")
    return rule


# Measure families (engine/measures.py): which arm data a measure is computed from (two arms' means or 2x2
# tables, one arm's events, one group's pre/post means).
CONTINUOUS_MEASURES = of_family("continuous")
BINARY_MEASURES = of_family("binary")
PROPORTION_MEASURES = of_family("proportion")


def family(measure):
    """The family of ``measure``: "continuous", "binary", "proportion" or "change" (single-group mean change)."""
    return _measure(measure).family


def is_ratio(measure):
    """Whether ``measure`` is a ratio (RR, OR): pooled on the log scale, its null value 1. A name outside the
    registry (a published figure's "proportion") is not."""
    return measure in MEASURES and MEASURES[measure].ratio


def scale(measure):
    """The scale ``measure`` is pooled on: "log", "logit", "double arcsine", "arcsine", "proportion" or
    "natural"."""
    return _measure(measure).scale


def _arr(*xs):
    return [np.asarray(x, dtype=float) for x in xs]


def md(m1, sd1, n1, m2, sd2, n2):
    """Raw mean difference ``m1 - m2`` with ``vi = sd1²/n1 + sd2²/n2``.

    metafor ``escalc(measure="MD")`` (vtype "LS"); RevMan 5 inverse-variance MD.
    """
    m1, sd1, n1, m2, sd2, n2 = _arr(m1, sd1, n1, m2, sd2, n2)
    return m1 - m2, sd1**2 / n1 + sd2**2 / n2


def hedges_j(df):
    """Exact small-sample correction ``J(m) = Γ(m/2) / (√(m/2) Γ((m−1)/2))`` (Hedges 1981)."""
    from scipy.special import gammaln  # here: the plotting jobs import this module and need no SciPy

    df = np.asarray(df, dtype=float)
    return np.exp(gammaln(df / 2) - 0.5 * np.log(df / 2) - gammaln((df - 1) / 2))


def smd(m1, sd1, n1, m2, sd2, n2, convention="metafor"):
    """Standardised mean difference as Hedges' g.

    ``convention="metafor"``: ``escalc(measure="SMD")``: pooled SD with n−1 weights, exact correction
    ``J(n1+n2−2)``, ``vi = 1/n1 + 1/n2 + g²/(2(n1+n2))`` (vtype "LS").
    ``convention="revman"``: RevMan 5: ``J ≈ 1 − 3/(4N − 9)`` and ``vi = N/(n1 n2) + g²/(2(N − 3.94))``
    (Deeks & Higgins 2010, §"Standardised mean difference").
    PyMARE's d/SMD variance expressions are not used: they are wrong (see shared/reference/stats_anchors.md §0.3).
    """
    m1, sd1, n1, m2, sd2, n2 = _arr(m1, sd1, n1, m2, sd2, n2)
    nt = n1 + n2
    sp = np.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / (nt - 2))
    d = (m1 - m2) / sp
    if convention == "metafor":
        g = hedges_j(nt - 2) * d
        return g, 1 / n1 + 1 / n2 + g**2 / (2 * nt)
    if convention == "revman":
        g = (1 - 3 / (4 * nt - 9)) * d
        return g, nt / (n1 * n2) + g**2 / (2 * (nt - 3.94))
    raise ValueError(f"unknown SMD convention {convention!r}; allowed: metafor, revman")


def correct_zero_cells(ai, n1i, ci, n2i, measure, rule="revman", add=None):
    """Apply a zero-cell rule (``ZeroRule`` or its name) to 2×2 tables; return corrected ``(ai, bi, ci, di)`` and a
    ``keep`` mask.

    - ``"revman"``: add 0.5 to all four cells of a study with any zero cell; double-zero studies (no events in
      either arm, or all events in both) are excluded for RR and OR and kept for RD (Cochrane Handbook 5.1
      §16.9.3; Deeks & Higgins 2010).
    - ``"metafor"``: ``escalc`` defaults ``add=1/2, to="only0", drop00=FALSE``: the same addition, no exclusion.
    - ``"none"``: no change (zero cells then give infinite log ratios, which the caller must handle).
    ``add`` overrides the rule's value.
    """
    rule = zero_rule(rule)
    ai, n1i, ci, n2i = _arr(ai, n1i, ci, n2i)
    bi, di = n1i - ai, n2i - ci
    keep = np.ones(ai.shape, dtype=bool)
    if rule.drop00 and is_ratio(measure):
        keep = ~(((ai == 0) & (ci == 0)) | ((bi == 0) & (di == 0)))
    if rule.to == "none":
        return ai, bi, ci, di, keep
    zero = (ai == 0) | (bi == 0) | (ci == 0) | (di == 0)
    which = {"only0": zero, "if0all": np.full(ai.shape, bool(zero[keep].any())),
             "all": np.ones(ai.shape, dtype=bool)}[rule.to]
    inc = np.where(which, rule.add if add is None else add, 0.0)
    return ai + inc, bi + inc, ci + inc, di + inc, keep


def two_by_two(ai, n1i, ci, n2i, measure, rule="revman"):
    """Log risk ratio, log odds ratio or risk difference from events/totals.

    Returns ``(yi, vi, keep)``; excluded studies (``keep`` False) carry NaN.
    - RR: ``yi = ln[(a/n1)/(c/n2)]``, ``vi = 1/a − 1/n1 + 1/c − 1/n2``.
    - OR: ``yi = ln(ad/bc)``, ``vi = 1/a + 1/b + 1/c + 1/d``.
    - RD: ``yi = a/n1 − c/n2``, ``vi = p1(1−p1)/n1 + p2(1−p2)/n2``.
    (metafor ``escalc`` measures RR/OR/RD; RevMan 5 study-level formulas.)
    """
    a, b, c, d, keep = correct_zero_cells(ai, n1i, ci, n2i, measure, rule)
    n1, n2 = a + b, c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "RR":
            yi = np.log((a / n1) / (c / n2))
            vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
        elif measure == "OR":
            yi = np.log((a * d) / (b * c))
            vi = 1 / a + 1 / b + 1 / c + 1 / d
        elif measure == "RD":
            p1, p2 = a / n1, c / n2
            yi = p1 - p2
            vi = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
        else:
            raise ValueError(f"unknown 2x2 measure {measure!r}; allowed: RR, OR, RD")
    yi = np.where(keep, yi, np.nan)
    vi = np.where(keep, vi, np.nan)
    return yi, vi, keep


def proportion(xi, ni, measure="PLO", add=0.5):
    """Single-arm proportion on a transformed scale (metafor ``escalc`` PR/PLO/PFT/PAS).

    - PR: ``p``, ``vi = p(1−p)/n``; PLO: ``ln(p/(1−p))``, ``vi = 1/(n p (1−p))``. For both, a study with 0 or
      n events gets ``add`` added to x and 2·add to n first (metafor ``add=1/2, to="only0"``).
    - PFT: Freeman–Tukey double arcsine as metafor defines it,
      ``½[asin√(x/(n+1)) + asin√((x+1)/(n+1))]``, ``vi = 1/(4n+2)`` (back-transform: ``ipft_hm``).
    - PAS: ``asin√p``, ``vi = 1/(4n)``.
    """
    xi, ni = _arr(xi, ni)
    if measure in ("PR", "PLO"):
        edge = (xi == 0) | (xi == ni)
        x = np.where(edge, xi + add, xi)
        n = np.where(edge, ni + 2 * add, ni)
        p = x / n
        if measure == "PR":
            return p, p * (1 - p) / n
        return np.log(p / (1 - p)), 1 / (n * p * (1 - p))
    if measure == "PFT":
        yi = 0.5 * (np.arcsin(np.sqrt(xi / (ni + 1))) + np.arcsin(np.sqrt((xi + 1) / (ni + 1))))
        return yi, 1 / (4 * ni + 2)
    if measure == "PAS":
        return np.arcsin(np.sqrt(xi / ni)), 1 / (4 * ni)
    raise ValueError(f"unknown proportion measure {measure!r}; allowed: {', '.join(PROPORTION_MEASURES)}")


def ipft_hm(x, ni):
    """Inverse Freeman–Tukey transformation with the harmonic mean of ``ni`` (Miller 1978).

    metafor ``transf.ipft.hm``: ``½{1 − sgn(cos 2x)·√(1 − [sin 2x + (sin 2x − 1/sin 2x)/n̄]²)}``, clipped to
    [0, 1] outside the transform's range for n̄.
    """
    x = np.asarray(x, dtype=float)
    nbar = 1 / np.mean(1 / np.asarray(ni, dtype=float))
    s = np.sin(2 * x)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = 0.5 * (1 - np.sign(np.cos(2 * x)) * np.sqrt(1 - (s + (s - 1 / s) / nbar) ** 2))
    lo = proportion(0, nbar, "PFT")[0]
    hi = proportion(nbar, nbar, "PFT")[0]
    z = np.where(x > hi, 1.0, z)
    return np.where(x < lo, 0.0, z)


def mean_change(m_pre, sd_pre, m_post, sd_post, ni, ri):
    """Single-group pre/post mean change ``m_post − m_pre`` (metafor ``escalc(measure="MC")``).

    ``vi = (sd_pre² + sd_post² − 2 r sd_pre sd_post)/n``; ``ri`` is the pre/post correlation, which papers rarely
    print, so it comes from config with its source.
    """
    m_pre, sd_pre, m_post, sd_post, ni, ri = _arr(m_pre, sd_pre, m_post, sd_post, ni, ri)
    return m_post - m_pre, (sd_pre**2 + sd_post**2 - 2 * ri * sd_pre * sd_post) / ni


def back_transform(x, measure, ni=None):
    """Map a pooled value from the analysis scale to the natural scale of ``measure``."""
    x = np.asarray(x, dtype=float)
    if is_ratio(measure):
        return np.exp(x)
    if measure == "PLO":
        return 1 / (1 + np.exp(-x))
    if measure == "PFT":
        return ipft_hm(x, ni)
    if measure == "PAS":
        return np.sin(np.clip(x, 0, np.pi / 2)) ** 2
    return x


def study_intervals(yi, vi, measure, ni=None, level=0.95):
    """Each study's estimate and Wald CI ``yᵢ ± z·√vᵢ`` on the natural scale of ``measure`` (``back_transform``;
    ``ni`` for the Freeman–Tukey back-transformation), as a forest plot prints them: ``(estimate, low, high)``."""
    from scipy.special import ndtri  # here: the figures jobs import this module, and SciPy's stats costs more

    yi, se = np.asarray(yi, dtype=float), np.sqrt(np.asarray(vi, dtype=float))
    z = ndtri(1 - (1 - level) / 2)  # = scipy.stats.norm.ppf, as the pooling's Wald CI
    return tuple(np.asarray(back_transform(v, measure, ni), dtype=float) for v in (yi, yi - z * se, yi + z * se))
