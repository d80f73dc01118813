"""Pooling: inverse-variance fixed effect, random effects with several τ² estimators, Mantel–Haenszel, and
RevMan 5's "M-H, Random".

Conventions follow metafor's ``rma.uni`` / ``rma.mh`` (Viechtbauer 2010) unless a function says it follows
RevMan 5 (Deeks & Higgins, "Statistical algorithms in Review Manager 5", 2010). Every estimator is written here
and tested against metafor: the DerSimonian–Laird τ² and the fixed-effect fit in closed form (PyMARE's
``DerSimonianLaird`` and ``WeightedLeastSquares`` are their second oracle in the tests; importing PyMARE, SymPy
among it, cost an analyse job more than all its fits), and PyMARE has no PM, HS, SJ or HE estimator while its
ML/REML optimiser agrees with metafor only to about 3e-5 (PyMARE validation/metafor README), short of this
project's 1e-6. PyMARE fits the meta-regressions (``subgroups.meta_regression``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import NamedTuple

import numpy as np
from scipy import special

from . import heterogeneity as het
from .measures import CI_METHODS, MODELS, TAU2_ESTIMATORS

PI_METHODS = ("metafor", "hts")
FIXED_LABEL = "FE"  # how a pooled table names a fixed-effect fit's τ² estimator (metafor's method="FE")


def _check_model(model):
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; allowed: {', '.join(MODELS)}")


def estimator_label(model, tau2_estimator):
    """The τ² estimator as the pooled tables print it: ``tau2_estimator`` under random effects, "FE" under a
    fixed effect (no τ² is estimated)."""
    _check_model(model)
    return tau2_estimator if model == "random" else FIXED_LABEL


class Inference(NamedTuple):
    """Estimate, SE, CI, test and prediction interval of a pool, with its raw inverse-variance weights 1/(vᵢ+τ²)
    (``_inference``; None for the Mantel–Haenszel fixed effect, which weighs by its own)."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    stat: float
    p: float
    pi_low: float
    pi_high: float
    weights: np.ndarray | None


class Heterogeneity(NamedTuple):
    """Cochran's Q with its df and p, I² (%) and H² of one pool."""

    q: float
    q_df: int
    q_p: float
    i2: float
    h2: float


@dataclass(frozen=True, eq=False)
class PoolResult:
    """One pooled analysis on the analysis scale (log scale for ratios), built once from its inference and
    heterogeneity; ``weights`` (percent, per study) is read-only. ``tau2_estimator`` is None under a fixed
    effect."""

    method: str
    model: str
    tau2_estimator: str | None
    ci_method: str
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    stat: float
    p: float
    tau2: float
    tau2_ci_low: float
    tau2_ci_high: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_p: float
    pi_low: float
    pi_high: float
    weights: np.ndarray = field(repr=False)
    note: str = ""

    def __post_init__(self):
        weights = np.array(self.weights, dtype=float)
        weights.flags.writeable = False
        object.__setattr__(self, "weights", weights)

    def as_row(self) -> dict:
        """The scalar fields as a pooled table prints them (``estimator_label``; the model is in that label, the
        per-study weights go to the study table)."""
        row = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("model", "weights")}
        row["tau2_estimator"] = estimator_label(self.model, self.tau2_estimator)
        return row


def _result(method, model, tau2_estimator, ci_method, k, inference, tau2, tau2_ci, heterogeneity, weights, note):
    """A ``PoolResult`` from its parts (the percent ``weights`` given apart: Mantel–Haenszel weighs by its own)."""
    scalars = {name: value for name, value in inference._asdict().items() if name != "weights"}
    return PoolResult(method=method, model=model, tau2_estimator=tau2_estimator, ci_method=ci_method, k=k,
                      tau2=tau2, tau2_ci_low=tau2_ci[0], tau2_ci_high=tau2_ci[1], **scalars,
                      **heterogeneity._asdict(), weights=weights, note=note)


def _check(yi, vi):
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


# --- τ² estimators -----------------------------------------------------------------------------------------


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
    yi, vi = _check(yi, vi)
    if yi.size == 1:
        return 0.0
    return _TAU2[estimator](yi, vi)


# --- inverse-variance pooling -----------------------------------------------------------------------------


def _inference(yi, vi, t2, ci_method, level, pi_method) -> Inference:
    """Estimate, SE, CI, test and prediction interval for weights 1/(vᵢ+τ²) (metafor ``rma.uni``/``predict``)."""
    if ci_method not in CI_METHODS:
        raise ValueError(f"unknown ci_method {ci_method!r}; allowed: {', '.join(CI_METHODS)}")
    if pi_method not in PI_METHODS:
        raise ValueError(f"unknown pi_method {pi_method!r}; allowed: {', '.join(PI_METHODS)}")
    k = yi.size
    w = 1 / (vi + t2)
    sw = w.sum()
    mu = float(np.sum(w * yi) / sw)
    se = float(np.sqrt(1 / sw))
    alpha = 1 - level
    knha = ci_method == "knha" and k > 1
    if knha:
        # Knapp & Hartung (2003) / Hartung–Knapp–Sidik–Jonkman: scale by Σw(y−μ)²/(k−1), t(k−1) reference.
        se *= float(np.sqrt(np.sum(w * (yi - mu) ** 2) / (k - 1)))
    # The t and normal quantiles and tails from scipy.special: the very functions scipy.stats' t and norm call
    # (stdtrit, stdtr, ndtri, ndtr), without importing scipy.stats (a third of an analyse job's CPU).
    crit = float(special.stdtrit(k - 1, 1 - alpha / 2) if knha else special.ndtri(1 - alpha / 2))
    # A zero Knapp–Hartung SE (all estimates identical) gives an infinite statistic and p = 0, as in metafor;
    # the result's note says so.
    stat = mu / se if se > 0 else (float(np.copysign(np.inf, mu)) if mu != 0 else float("nan"))
    p = float(2 * (special.stdtr(k - 1, -abs(stat)) if knha else special.ndtr(-abs(stat))))
    # Prediction interval: metafor predict.rma uses the test's reference distribution; Higgins, Thompson &
    # Spiegelhalter (2009) ("hts") use t(k−2).
    if pi_method == "hts":
        pcrit = float(special.stdtrit(k - 2, 1 - alpha / 2)) if k > 2 else float("nan")
    else:
        pcrit = crit
    pse = np.sqrt(se**2 + t2)
    return Inference(mu, se, mu - crit * se, mu + crit * se, stat, p, mu - pcrit * pse, mu + pcrit * pse, w)


def _note(k, se):
    """What a reader must know about a pool of k studies with this SE."""
    if k == 1:
        return "k = 1: single study; no heterogeneity can be estimated"
    if se == 0:
        return "Knapp-Hartung scale factor is 0 (all estimates identical): degenerate CI and p"
    return "k = 2: tau2 and I2 are very imprecise" if k == 2 else ""


NO_TAU2_CI = (float("nan"), float("nan"))
# As metafor reports a single study: Q = 0 (p = 1), I² = 0, H² = 1.
SINGLE_STUDY = Heterogeneity(q=0.0, q_df=0, q_p=1.0, i2=0.0, h2=1.0)


I2_FROM = ("tau2", "q")  # I² from τ² (metafor) or from Q (RevMan 5, R meta, Stata metan): heterogeneity.i2_h2


def inverse_variance(yi, vi, model="random", tau2_estimator="DL", ci_method="wald", level=0.95, pi_method="metafor",
                     tau2_ci=True, i2_from="tau2"):
    """Inverse-variance meta-analysis under a fixed effect (``model="fixed"``, metafor ``method="EE"``) or random
    effects with the τ² of ``tau2_estimator`` (one of ``TAU2_ESTIMATORS``).

    μ̂ = Σwᵢyᵢ/Σwᵢ with wᵢ = 1/(vᵢ + τ̂²), SE = 1/√Σwᵢ (Wald) or the Knapp–Hartung SE. Heterogeneity Q is the
    fixed-effect Q. For k = 1 there is no heterogeneity to estimate: τ² = 0, Q = 0, I² = 0, the prediction
    interval is the CI, and ``note`` says so. A fixed effect has no prediction interval for k > 1. I² and H² of a
    random-effects fit come from τ̂² (metafor) or, with ``i2_from="q"``, from Q (RevMan 5, R meta; Higgins &
    Thompson 2002): the two agree for DerSimonian–Laird only.
    """
    _check_model(model)
    if i2_from not in I2_FROM:
        raise ValueError(f"unknown i2_from {i2_from!r}; allowed: {', '.join(I2_FROM)}")
    yi, vi = _check(yi, vi)
    k = yi.size
    fixed = model == "fixed"
    t2 = 0.0 if fixed else tau2(yi, vi, tau2_estimator)
    inf = _inference(yi, vi, t2, ci_method, level, pi_method)
    if k == 1:
        hg, t2ci = SINGLE_STUDY, NO_TAU2_CI
    else:
        q = het.cochran_q(yi, vi)
        i2, h2 = het.i2_h2(q, k - 1) if (fixed or i2_from == "q") else het.i2_h2(q, k - 1, t2, vi)
        hg = Heterogeneity(q, k - 1, float(special.chdtrc(k - 1, q)), i2, h2)
        t2ci = het.tau2_qprofile_ci(yi, vi, level) if (tau2_ci and not fixed) else NO_TAU2_CI
        if fixed:
            inf = inf._replace(pi_low=float("nan"), pi_high=float("nan"))
    return _result("IV", model, None if fixed else tau2_estimator, ci_method, k, inf, t2, t2ci, hg,
                   100 * inf.weights / inf.weights.sum(), _note(k, inf.se))


# --- Mantel–Haenszel --------------------------------------------------------------------------------------


def mantel_haenszel(ai, bi, ci, di, measure, rd_variance="greenland-robins"):
    """Mantel–Haenszel pooled estimate and its variance; returns ``(y_mh, v_mh)`` on the log scale for RR/OR.

    - OR: ``Σ(aᵢdᵢ/Nᵢ)/Σ(bᵢcᵢ/Nᵢ)`` with the Robins–Breslow–Greenland (1986) variance.
    - RR: ``Σ(aᵢn2ᵢ/Nᵢ)/Σ(cᵢn1ᵢ/Nᵢ)`` with the Greenland–Robins (1985) variance
      ``Σ[(n1ᵢn2ᵢ(aᵢ+cᵢ) − aᵢcᵢNᵢ)/Nᵢ²] / [Σ(aᵢn2ᵢ/Nᵢ)·Σ(cᵢn1ᵢ/Nᵢ)]``.
    - RD: ``Σ(aᵢn2ᵢ − cᵢn1ᵢ)/Nᵢ / Σ(n1ᵢn2ᵢ/Nᵢ)`` with the Greenland–Robins (1985) variance
      ``Σ[(aᵢbᵢn2ᵢ³ + cᵢdᵢn1ᵢ³)/(n1ᵢn2ᵢNᵢ²)]/[Σn1ᵢn2ᵢ/Nᵢ]²`` (RevMan 5, Deeks & Higgins 2010) or, with
      ``rd_variance="sato"``, the Sato, Greenland & Robins (1989) variance that metafor ``rma.mh`` uses.

    A ratio whose numerator or denominator sum is 0 (no table with both cells of it, e.g. no bᵢcᵢ > 0 for the OR)
    is not estimable: ``(nan, nan)``, as metafor's ``rma.mh`` gives NA rather than 0 or infinity.
    """
    a, b, c, d = (np.asarray(x, float) for x in (ai, bi, ci, di))
    n1, n2 = a + b, c + d
    n = n1 + n2
    if measure == "OR":
        r, s = a * d / n, b * c / n
        pp, qq = (a + d) / n, (b + c) / n
        big_r, big_s = r.sum(), s.sum()
        if big_r == 0 or big_s == 0:
            return float("nan"), float("nan")
        var = (
            np.sum(pp * r) / (2 * big_r**2)
            + np.sum(pp * s + qq * r) / (2 * big_r * big_s)
            + np.sum(qq * s) / (2 * big_s**2)
        )
        return float(np.log(big_r / big_s)), float(var)
    if measure == "RR":
        r, s = a * n2 / n, c * n1 / n
        if r.sum() == 0 or s.sum() == 0:
            return float("nan"), float("nan")
        var = np.sum((n1 * n2 * (a + c) - a * c * n) / n**2) / (r.sum() * s.sum())
        return float(np.log(r.sum() / s.sum())), float(var)
    if measure == "RD":
        wt = n1 * n2 / n
        rd = np.sum((a * n2 - c * n1) / n) / wt.sum()
        if rd_variance == "sato":
            pp = np.sum((n1**2 * c - n2**2 * a + n1 * n2 * (n2 - n1) / 2) / n**2)
            qq = np.sum((a * (n2 - c) + c * (n1 - a)) / (2 * n))
            return float(rd), float((rd * pp + qq) / wt.sum() ** 2)
        num = np.sum((a * b * n2**3 + c * d * n1**3) / (n1 * n2 * n**2))
        return float(rd), float(num / wt.sum() ** 2)
    raise ValueError(f"unknown MH measure {measure!r}; allowed: RR, OR, RD")


def mh_meta(ai, n1i, ci, n2i, measure="RR", model="fixed", zero_rule="revman", level=0.95, exact_mh=None):
    """RevMan 5 dichotomous meta-analysis with Mantel–Haenszel weighting ("M-H, Fixed" or "M-H, Random":
    ``model`` "fixed" or "random").

    Fixed: the MH estimate with its Greenland–Robins/RBG variance. Heterogeneity: Q centred on the MH estimate
    with inverse-variance weights of the (zero-corrected) study estimates; I² = (Q − df)/Q. Random (RevMan 5 and
    R meta's ``Q.Cochrane``): τ² = max(0, (Q − df)/(Σw − Σw²/Σw)) from that Q, then inverse-variance pooling with
    weights 1/(vᵢ + τ²) and a Wald CI. ``exact_mh`` (default: the rule's ``mh_exact``, True for "metafor" as in
    metafor's ``rma.mh``) pools uncorrected counts in the MH step; RevMan uses the corrected counts. The RD variance
    follows the same convention (metafor: Sato et al. 1989; RevMan: Greenland–Robins 1985).
    """
    from .effects import correct_zero_cells, two_by_two
    from .effects import zero_rule as as_rule

    _check_model(model)
    rule = as_rule(zero_rule)
    yi, vi, keep = two_by_two(ai, n1i, ci, n2i, measure, rule)
    if exact_mh is None:
        exact_mh = rule.mh_exact
    if exact_mh:
        raw = [np.asarray(x, float) for x in (ai, n1i, ci, n2i)]
        a, b, c, d = raw[0], raw[1] - raw[0], raw[2], raw[3] - raw[2]
    else:
        a, b, c, d, _ = correct_zero_cells(ai, n1i, ci, n2i, measure, rule)
    a, b, c, d = (x[keep] for x in (a, b, c, d))
    rd_var = "sato" if rule.mh_exact else "greenland-robins"
    if not keep.any():
        raise ValueError("no estimable studies (all double-zero)")
    y_mh, v_mh = mantel_haenszel(a, b, c, d, measure, rd_variance=rd_var)
    # metafor's rma.mh (drop00=TRUE) leaves double-zero studies out of Q but keeps their tables in the MH step.
    if rule.mh_exact and not rule.drop00:
        n1, n2 = np.asarray(n1i, float)[keep], np.asarray(n2i, float)[keep]
        a0, c0 = np.asarray(ai, float)[keep], np.asarray(ci, float)[keep]
        in_q = ~(((a0 == 0) & (c0 == 0)) | ((a0 == n1) & (c0 == n2)))
    else:
        in_q = np.ones(int(keep.sum()), dtype=bool)
    yi, vi = yi[keep][in_q], vi[keep][in_q]
    k = int(in_q.sum())
    q = het.cochran_q(yi, vi, mu=y_mh) if k > 1 else float("nan")
    i2 = het.i2_h2(q, k - 1)[0] if k > 1 else float("nan")
    q_p = float(special.chdtrc(k - 1, q)) if k > 1 else float("nan")
    hg = Heterogeneity(q, k - 1, q_p, i2, q / (k - 1) if k > 1 else float("nan"))
    if model == "fixed":
        z = float(special.ndtri(1 - (1 - level) / 2))
        se = np.sqrt(v_mh)
        inf = Inference(y_mh, float(se), y_mh - z * se, y_mh + z * se, y_mh / se,
                        float(2 * special.ndtr(-abs(y_mh / se))), float("nan"), float("nan"), None)
        w_mh = _mh_weights(a, b, c, d, measure)
        # no table weighs in when the ratio's denominator sum is 0
        weights = 100 * w_mh / w_mh.sum() if w_mh.sum() > 0 else np.full(w_mh.shape, np.nan)
        note = "k = 1: single study; no heterogeneity can be estimated" if k == 1 else ""
        if np.isnan(y_mh):
            note = f"Mantel-Haenszel {measure} not estimable: a sum of its ratio is 0 (metafor rma.mh: NA)"
        return _result("MH", model, None, "wald", k, inf, 0.0, NO_TAU2_CI, hg, weights, note)
    yi, vi = _check(yi, vi)
    w = 1 / vi
    t2 = max(0.0, (q - (k - 1)) / (w.sum() - np.sum(w**2) / w.sum())) if k > 1 else 0.0
    inf = _inference(yi, vi, t2, "wald", level, "metafor")
    if k == 1:
        inf = inf._replace(pi_low=float("nan"), pi_high=float("nan"))
    weights = np.zeros(in_q.size)
    weights[in_q] = 100 * inf.weights / inf.weights.sum()
    t2ci = het.tau2_qprofile_ci(yi, vi, level) if k > 1 else NO_TAU2_CI
    return _result("MH", model, "DL", "wald", k, inf, t2, t2ci, hg, weights, _note(k, inf.se))


def _mh_weights(a, b, c, d, measure):
    """RevMan's MH study weights: bᵢcᵢ/Nᵢ (OR), cᵢn1ᵢ/Nᵢ (RR), n1ᵢn2ᵢ/Nᵢ (RD)."""
    n1, n2 = a + b, c + d
    n = n1 + n2
    return {"OR": b * c / n, "RR": c * n1 / n, "RD": n1 * n2 / n}[measure]
