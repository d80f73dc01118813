"""A trial's own between-arm estimate (ledger arm ``difference``, its ``measure`` stated) as the clean stage pools it
where the trial gives no usable arm data: ``yi`` and ``vi`` on the pooling scale, the SE from the CI as printed;
and why such an estimate is not pooled, in words."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine import conversions as cv
from ..engine.measures import measure as registry
from .cells import COUNT, PAIN_SCALES, Assembly

ESTIMATE_STATS = ("mean", "se", "ci_low", "ci_high")  # a between-arm estimate (arm difference): value, SE, CI


def measured(rows):
    """The rows' stated effect measures (``measure``: only between-arm estimates name one), "" where none."""
    return rows["measure"].fillna("") if "measure" in rows else pd.Series("", index=rows.index)


def estimate(rows, measure):
    """The trial's own estimate of ``measure`` at one time point (its ``difference`` rows naming that measure), as
    an ``Assembly`` with cells ``("difference", "yi")`` and ``("difference", "vi")`` on the pooling scale (the log
    of a ratio), or None where it gives no estimate with a CI or SE; a mean difference on no 0-10 or 0-100 pain
    scale comes back without cells, why in ``unusable`` (a VAS 0-100 one is rescaled, as arm means are). The SE
    comes from the 95% CI as printed where the ledger has it (Cochrane Handbook v6.4 §6.3.1-6.3.2: SE = (upper -
    lower) / (2 x 1.959964), on the logs of a ratio's bounds), else from the SE given."""
    d = rows[(rows["arm"] == "difference") & (measured(rows) == measure)]
    stat = {s: g.iloc[0] for s, g in d.groupby("statistic") if s in ESTIMATE_STATS}
    ci = "ci_low" in stat and "ci_high" in stat
    if "mean" not in stat or not (ci or "se" in stat):
        return None
    a, ratio, value = Assembly(), registry(measure).ratio, float(stat["mean"]["value"])
    used = ("mean", "ci_low", "ci_high") if ci else ("mean", "se")
    scale = stat["mean"]["scale"]
    if measure == "MD" and scale not in (*PAIN_SCALES, COUNT):  # as arm means are: on 0-10 or as counted
        a.unusable[("difference", "mean")] = (f"a mean difference on scale '{scale}', not a 0-10 or 0-100 pain scale "
                                              "or a count")
        return a
    yi = float(np.log(value)) if ratio else value
    a.log.append(f"yi = {'ln ' if ratio else ''}{value:g}{f' = {yi:.6g}' if ratio else ''}: the trial's own "
                 f"{measure}, no arm data [{stat['mean']['extract_id']}]")
    if ci:
        lo, hi = float(stat["ci_low"]["value"]), float(stat["ci_high"]["value"])
        se = cv.se_from_ci(lo, hi, ratio)
        bounds = f"ln {hi:g} - ln {lo:g}" if ratio else f"{hi:g} - {lo:g}"
        a.log.append(f"SE = ({bounds}) / (2 x 1.959964) = {se:.6g} from the 95% CI as printed (Cochrane Handbook "
                     f"v6.4 s6.3.1-6.3.2) [{stat['ci_low']['extract_id']};{stat['ci_high']['extract_id']}]")
    else:
        se = float(stat["se"]["value"])
        a.log.append(f"SE = {se:g} as given [{stat['se']['extract_id']}]")
    if measure == "MD" and scale == "vas_0_100":
        yi, se = cv.to_nrs(yi, scale), cv.to_nrs(se, scale)
        a.log.append(f"rescaled VAS 0-100 to 0-10 (/10): yi = {yi:.6g}, SE = {se:.6g}")
    a.cells = {("difference", "yi"): yi, ("difference", "vi"): se ** 2}
    a.rows = [stat[s]["extract_id"] for s in used]
    return a


def why_not(rows, measure, mh):
    """Why a trial's between-arm estimates (arm difference) are not pooled, or None where it has none: they name
    no effect measure or another than the analysis', or the analysis pools 2x2 tables by Mantel-Haenszel."""
    d = rows[(rows["arm"] == "difference") & rows["statistic"].isin(ESTIMATE_STATS)]
    if d.empty:
        return None
    named = set(measured(d)) - {""}
    if measure in named and mh:
        return (f"its own {measure} and CI are not pooled: Mantel-Haenszel pools 2x2 tables, not estimates (RevMan "
                "does not mix them either)")
    if measure in named:
        own = estimate(d, measure)
        why = own.unusable.get(("difference", "mean")) if own else None
        return f"its own {measure} is {why}" if why else f"its own {measure} lacks its CI or SE"
    if named:
        return f"its between-arm estimate is a {' or '.join(sorted(named))}, not this analysis' {measure}"
    return "its between-arm estimate (arm difference) names no effect measure (column measure), so it is not pooled"
