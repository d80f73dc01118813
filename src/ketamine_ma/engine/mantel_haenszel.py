"""Mantel–Haenszel pooling of 2×2 tables: the MH estimate with its variance (``mantel_haenszel``) and RevMan 5's
"M-H, Fixed" and "M-H, Random" (``mh_meta``), as RevMan 5 (Deeks & Higgins, "Statistical algorithms in Review
Manager 5", 2010) and metafor's ``rma.mh`` (Viechtbauer 2010) compute them."""

from __future__ import annotations

import numpy as np
from scipy import special

from . import heterogeneity as het
from .pooling import NO_TAU2_CI, Heterogeneity, Inference, check_model, pool_note, pool_result, weighted_inference
from .tau2_estimators import checked


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

    check_model(model)
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
        return pool_result("MH", model, None, "wald", k, inf, 0.0, NO_TAU2_CI, hg, weights, note)
    yi, vi = checked(yi, vi)
    w = 1 / vi
    t2 = max(0.0, (q - (k - 1)) / (w.sum() - np.sum(w**2) / w.sum())) if k > 1 else 0.0
    inf = weighted_inference(yi, vi, t2, "wald", level, "metafor")
    if k == 1:
        inf = inf._replace(pi_low=float("nan"), pi_high=float("nan"))
    weights = np.zeros(in_q.size)
    weights[in_q] = 100 * inf.weights / inf.weights.sum()
    t2ci = het.tau2_qprofile_ci(yi, vi, level) if k > 1 else NO_TAU2_CI
    return pool_result("MH", model, "DL", "wald", k, inf, t2, t2ci, hg, weights, pool_note(k, inf.se))


def _mh_weights(a, b, c, d, measure):
    """RevMan's MH study weights: bᵢcᵢ/Nᵢ (OR), cᵢn1ᵢ/Nᵢ (RR), n1ᵢn2ᵢ/Nᵢ (RD)."""
    n1, n2 = a + b, c + d
    n = n1 + n2
    return {"OR": b * c / n, "RR": c * n1 / n, "RD": n1 * n2 / n}[measure]
