"""Audit of published pooled figures: is each p-value consistent with its estimate and 95% CI, and is the CI
symmetric on the scale it should be (log scale for ratios)?

The SE is recovered from the CI width, SE = (upper − lower)/(2 × 1.96) on the analysis scale, then z = estimate/SE
and p = 2Φ(−|z|) (Altman & Bland 2011, BMJ 343:d2090, "How to obtain the P value from a confidence interval").
Because the published numbers are rounded, the check propagates half a unit of the last printed digit of the
estimate and both bounds and accepts any p in the resulting range.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
from scipy import special  # norm.ppf and norm.sf are special.ndtri and ndtr(−x); scipy.stats costs 0.5 s

from ..engine import effects as ef
from .reproduction import decimals

Z975 = special.ndtri(0.975)


def _to_scale(x, measure):
    return np.log(x) if ef.is_ratio(measure) else x


def p_from_ci(estimate, lo, hi, measure):
    """Two-sided p implied by an estimate and its 95% CI (ratio measures on the log scale)."""
    e, a, b = (_to_scale(v, measure) for v in (estimate, lo, hi))
    se = (b - a) / (2 * Z975)
    return float(2 * special.ndtr(-abs(e / se)))


def parse_p(text):
    """``"<0.0001"`` → ("<", 0.0001); ``".029"`` → ("=", 0.029)."""
    m = re.match(r"^\s*([<>]=?)?\s*(\d*\.?\d+)\s*$", str(text))
    if not m:
        raise ValueError(f"cannot read p value {text!r}")
    return m.group(1) or "=", float(m.group(2))


def audit_row(estimate, lo, hi, p_text, measure):
    """Verdicts and the arithmetic for one published figure (strings as printed)."""
    out = {"p_check": "not_checkable", "ci_symmetry": "not_checkable", "arithmetic": ""}
    if any(v in (None, "") or (isinstance(v, float) and np.isnan(v)) for v in (estimate, lo, hi)):
        return out
    if measure not in ef.CONTINUOUS_MEASURES + ef.BINARY_MEASURES:
        out["arithmetic"] = f"measure {measure!r}: scale of the CI not known"
        return out
    ratio = ef.is_ratio(measure)
    vals = [float(estimate), float(lo), float(hi)]
    halves = [0.5 * 10 ** -decimals(v) for v in (estimate, lo, hi)]
    corners = [p_from_ci(*(v + s * h for v, s, h in zip(vals, signs, halves, strict=True)), measure)
               for signs in itertools.product((-1, 1), repeat=3)]
    p_mid = p_from_ci(*vals, measure)
    p_lo, p_hi = min(corners), max(corners)
    null = 1.0 if ratio else 0.0
    if vals[0] - halves[0] <= null <= vals[0] + halves[0]:
        p_hi = 1.0  # |z| is smallest inside the box, not at a corner, when the estimate may equal the null
    e, a, b = (_to_scale(v, measure) for v in vals)
    se = (b - a) / (2 * Z975)
    out["arithmetic"] = (f"SE = ({b:.4g} - {a:.4g})/(2 x 1.96) = {se:.4g}; z = {e / se:.3f};"
                         f" p = {p_mid:.3g} (rounding range {p_lo:.3g} to {p_hi:.3g})")
    if p_text not in (None, ""):
        op, pv = parse_p(p_text)
        half_p = 0.5 * 10 ** -decimals(str(p_text).lstrip("<>= "))
        if op.startswith("<"):
            ok = p_lo < pv
        elif op.startswith(">"):
            ok = p_hi > pv
        else:
            # 1e-6 relative slack: values stored to full precision (RevMan files) differ in the last bits.
            ok = p_lo * (1 - 1e-6) - half_p <= pv <= p_hi * (1 + 1e-6) + half_p
        out["p_check"] = "consistent" if ok else "inconsistent"
        out["arithmetic"] += f"; printed p {p_text}"
    tol = max(halves[1], halves[2]) * (2 / min(vals[1], vals[2]) if ratio else 2)
    asym = abs((e - a) - (b - e))
    out["ci_symmetry"] = "symmetric" if asym <= tol + 1e-12 else "asymmetric"
    out["arithmetic"] += f"; |(est-lo)-(hi-est)| = {asym:.3g} on the {'log' if ratio else 'natural'} scale"
    return out


def audit_totals(published):
    """Do subgroup counts add up to the review's total? For each review and ``subgroup:X`` family of scope rows
    (k, and N where printed), compare the sum with the review's overall k / N."""
    rows = []
    pub = published.copy()
    for col in ("k", "n"):
        pub[col] = pd.to_numeric(pub[col], errors="coerce")
    scope = pub[(pub.measure.isna() | (pub.measure == "")) & pub.k.notna()]
    for review, g in scope.groupby("review"):
        total = g[~g.analysis.str.startswith("subgroup:")]
        for fam, parts in g[g.analysis.str.startswith("subgroup:")].groupby("analysis"):
            for col in ("k", "n"):
                if parts[col].notna().all() and total[col].notna().any():
                    want, got = total[col].max(), parts[col].sum()
                    rows.append({"review": review, "check": f"{fam} {col} sum", "verdict":
                                 "consistent" if got == want else "inconsistent",
                                 "arithmetic": f"{' + '.join(f'{v:g}' for v in parts[col])} = {got:g}; review total "
                                               f"{want:g}", "rows": ";".join(parts.result_id)})
    return pd.DataFrame(rows, columns=["review", "check", "verdict", "arithmetic", "rows"])


def audit_percentages(extraction, tolerance_pp=0.5):
    """Do printed percentages match printed counts? For each percent row with events and n for the same trial,
    outcome, time point and arm: |100·events/n − percent| within ``tolerance_pp`` plus the printed rounding."""
    key = ["trial_id", "outcome", "timepoint", "arm"]
    x = extraction.copy()
    rows = []
    for k, g in x.groupby(key, dropna=False):
        st = {s: v for s, v in zip(g.statistic, g.value, strict=True)}
        ids = {s: i for s, i in zip(g.statistic, g.extract_id, strict=True)}
        if {"percent", "events", "n"} <= set(st) and st["n"] > 0:
            implied = 100 * st["events"] / st["n"]
            half = 0.5 * 10 ** -decimals(f"{st['percent']:g}")
            ok = abs(implied - st["percent"]) <= max(half, tolerance_pp)
            rows.append({"trial_id": k[0], "outcome": k[1], "timepoint": k[2], "arm": k[3],
                         "verdict": "consistent" if ok else "inconsistent",
                         "arithmetic": f"100 x {st['events']:g}/{st['n']:g} = {implied:.2f}% vs printed "
                                       f"{st['percent']:g}%", "rows": f"{ids['events']};{ids['n']};{ids['percent']}"})
    return pd.DataFrame(rows, columns=["trial_id", "outcome", "timepoint", "arm", "verdict", "arithmetic", "rows"])
