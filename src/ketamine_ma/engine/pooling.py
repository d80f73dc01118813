"""Inverse-variance pooling: a fixed effect, or random effects with a τ² of ``tau2_estimators``; the pooled result
both this and ``mantel_haenszel`` return.

Conventions follow metafor's ``rma.uni`` / ``rma.mh`` (Viechtbauer 2010) unless a function says it follows
RevMan 5 (Deeks & Higgins, "Statistical algorithms in Review Manager 5", 2010). Every estimator is written in this
project (here, in ``tau2_estimators`` and ``mantel_haenszel``) and tested against metafor: the DerSimonian–Laird
τ² and the fixed-effect fit in closed form (PyMARE's ``DerSimonianLaird`` and ``WeightedLeastSquares`` are their
second oracle in the tests; importing PyMARE, SymPy among it, cost an analyse job more than all its fits), and
PyMARE has no PM, HS, SJ or HE estimator while its ML/REML optimiser agrees with metafor only to about 3e-5 (PyMARE
validation/metafor README), short of this project's 1e-6. PyMARE fits the meta-regressions
(``subgroups.meta_regression``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import NamedTuple

import numpy as np
from scipy import special

from . import heterogeneity as het
from .measures import CI_METHODS, MODELS
from .tau2_estimators import checked, tau2

PI_METHODS = ("metafor", "hts")
FIXED_LABEL = "FE"  # how a pooled table names a fixed-effect fit's τ² estimator (metafor's method="FE")


def check_model(model):
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; allowed: {', '.join(MODELS)}")


def estimator_label(model, tau2_estimator):
    """The τ² estimator as the pooled tables print it: ``tau2_estimator`` under random effects, "FE" under a
    fixed effect (no τ² is estimated)."""
    check_model(model)
    return tau2_estimator if model == "random" else FIXED_LABEL


class Inference(NamedTuple):
    """Estimate, SE, CI, test and prediction interval of a pool, with its raw inverse-variance weights 1/(vᵢ+τ²)
    (``weighted_inference``; None for the Mantel–Haenszel fixed effect, which weighs by its own)."""

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


def pool_result(method, model, tau2_estimator, ci_method, k, inference, tau2, tau2_ci, heterogeneity, weights, note):
    """A ``PoolResult`` from its parts (the percent ``weights`` given apart: Mantel–Haenszel weighs by its own)."""
    scalars = {name: value for name, value in inference._asdict().items() if name != "weights"}
    return PoolResult(method=method, model=model, tau2_estimator=tau2_estimator, ci_method=ci_method, k=k,
                      tau2=tau2, tau2_ci_low=tau2_ci[0], tau2_ci_high=tau2_ci[1], **scalars,
                      **heterogeneity._asdict(), weights=weights, note=note)


# --- inverse-variance pooling -----------------------------------------------------------------------------


def weighted_inference(yi, vi, t2, ci_method, level, pi_method) -> Inference:
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


def pool_note(k, se):
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
    check_model(model)
    if i2_from not in I2_FROM:
        raise ValueError(f"unknown i2_from {i2_from!r}; allowed: {', '.join(I2_FROM)}")
    yi, vi = checked(yi, vi)
    k = yi.size
    fixed = model == "fixed"
    t2 = 0.0 if fixed else tau2(yi, vi, tau2_estimator)
    inf = weighted_inference(yi, vi, t2, ci_method, level, pi_method)
    if k == 1:
        hg, t2ci = SINGLE_STUDY, NO_TAU2_CI
    else:
        q = het.cochran_q(yi, vi)
        i2, h2 = het.i2_h2(q, k - 1) if (fixed or i2_from == "q") else het.i2_h2(q, k - 1, t2, vi)
        hg = Heterogeneity(q, k - 1, float(special.chdtrc(k - 1, q)), i2, h2)
        t2ci = het.tau2_qprofile_ci(yi, vi, level) if (tau2_ci and not fixed) else NO_TAU2_CI
        if fixed:
            inf = inf._replace(pi_low=float("nan"), pi_high=float("nan"))
    return pool_result("IV", model, None if fixed else tau2_estimator, ci_method, k, inf, t2, t2ci, hg,
                       100 * inf.weights / inf.weights.sum(), pool_note(k, inf.se))
