"""What a forest plot lists besides the pooled studies: every trial the review included or may have included that
has no usable data (with the cells still missing), and the published pooled figure the analysis reproduces."""

from __future__ import annotations

import math

import pandas as pd

from ..ledger import studies as st

GAP_COLUMNS = ["trial_id", "study_id", "membership", "status", "reason", "missing"]


def gap_rows(members: pd.DataFrame, exclusions: pd.DataFrame, missing: pd.DataFrame, pooled_ids) -> pd.DataFrame:
    """One row per confirmed or candidate member of a review that an analysis' primary pool did not take.

    From what the clean stage wrote of every member under the main reading (``ledger.studies.member_rows``; the
    analysis' rows only): ``members``, the usable rows; ``exclusions`` and ``missing``, the reasons and missing
    cells of the members without usable data. ``status`` is ``not_available`` (no usable data; ``missing`` holds
    ``arm statistic`` cells joined by ``;`` and ``reason`` the clean stage's reason) or ``not_pooled`` (usable
    data, with its arm columns, but not counted under the membership policy).
    """
    pooled_ids = set(pooled_ids)
    rows = []
    for r in exclusions.itertuples():
        cells = missing[missing.trial_id == r.trial_id]
        rows.append({"trial_id": r.trial_id, "study_id": r.study_id, "membership": r.membership,
                     "status": "not_available", "reason": r.reason,
                     "missing": ";".join(f"{a} {s}" for a, s in zip(cells.arm, cells.statistic, strict=True))})
    for r in members[~members.trial_id.isin(pooled_ids)].drop(columns="counted").to_dict("records"):
        # the arm data come along, so the plot shows what the ledger holds for a trial it could not count
        rows.append({**r, "status": "not_pooled", "missing": "",
                     "reason": st.NOT_CONFIRMED})
    out = pd.DataFrame(rows).reindex(columns=list(dict.fromkeys([*GAP_COLUMNS, *(k for r in rows for k in r)])))
    out = out[~out.trial_id.isin(pooled_ids)]
    # two trials of one author and year (kiefer2008a, kiefer2008b) keep their letter, as RevMan's study ids do
    twin = out.study_id.duplicated(keep=False)
    out.loc[twin, "study_id"] = [f"{s}{t[-1]}" if t[-1].isalpha() else f"{s} ({t})"
                                 for s, t in zip(out.study_id[twin], out.trial_id[twin], strict=True)]
    order = out.membership.map({"confirmed": 0}).fillna(1)
    return out.assign(_o=order).sort_values(["_o", "study_id"]).drop(columns="_o").reset_index(drop=True)


def _printed(text, fmt=".2f"):
    """A published number for display: as printed ("<0.00001" too), or formatted when stored at full precision."""
    if pd.isna(text) or text == "":
        return ""
    t = str(text)
    try:
        return f"{float(t):{fmt}}" if "." in t and len(t.split(".")[1]) > 4 else t
    except ValueError:
        return t


def published_figure(published: pd.DataFrame, review: str, result_ids) -> dict | None:
    """The published pooled figure an analysis reproduces (the first of ``result_ids`` that is a primary pool,
    kind ``pooled``).

    ``published`` is the ledger's (or a conformance review's) published table read as strings. Returns the estimate
    and CI as numbers on the analysis scale (percentages as proportions) and as printed, or ``None`` when the spec
    names no published figure. ``estimate`` is NaN when the review printed no pooled estimate (e.g. a p value only).
    """
    p = published[(published.review == review) & published.result_id.isin(list(result_ids))]
    # a pool (not the analysis' heterogeneity, trim-and-fill or test figures); one figure, several sources
    p = p[(p.analysis.fillna("primary") == "primary") & (p.kind == "pooled")].drop_duplicates("result_id")
    if p.empty:
        return None
    p = p.set_index("result_id").loc[[r for r in result_ids if r in set(p.result_id)]]
    with_ci = p[p.estimate.notna() & (p.estimate != "")]
    rid = with_ci.index[0] if len(with_ci) else p.index[0]
    r = p.loc[rid]
    scale = 100.0 if r.scale == "percent" else 1.0

    def num(x):
        if pd.isna(x) or x == "":
            return float("nan")
        return math.exp(float(x)) if r.scale == "log" else float(x) / scale  # log: a ratio printed on its log

    unit = "%" if scale == 100 else ""
    est, lo, hi = (_printed(x) + unit if _printed(x) else "" for x in (r.estimate, r.ci_low, r.ci_high))
    return {"result_id": rid, "estimate": num(r.estimate), "ci_low": num(r.ci_low), "ci_high": num(r.ci_high),
            "text": est + (f" [{lo}, {hi}]" if lo and hi else ""),
            "k": "" if pd.isna(r.k) or r.k == "" else str(int(float(r.k))),
            "p": _p_text(_printed(r.p, ".2g"))}


def _p_text(p):
    """The printed p as text (p = 0.01, p < 0.000001), or "" when none was printed."""
    p = p.replace(" ", "")
    return "" if not p else f"p {p[0]} {p[1:]}" if p[0] in "<>" else f"p = {p}"
