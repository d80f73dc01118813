"""Figure captions: what was pooled, how, and from which ledger rows."""

from __future__ import annotations

import pandas as pd


def _fmt(x):
    return "NA" if pd.isna(x) else f"{x:.3g}"


def analysis_caption(review, outcome, spec, studies: pd.DataFrame, pooled: pd.Series) -> dict:
    """Captions of the forest, funnel and sensitivity figures of one analysis."""
    rows = sorted({x for ids in studies.get("extract_ids", pd.Series(dtype=str)).dropna() for x in ids.split(";")})
    how = (f"{pooled.measure}, {pooled.method}, tau2 estimator {pooled.tau2_estimator}, {pooled.ci_method} CI; "
           f"time point: {spec.get('timepoint', {}).get('label', 'any reported')}")
    what = (f"{review} / {outcome}: {spec['label']}. k = {int(pooled.k)}, N = {int(pooled.n_participants)}; "
            f"pooled {_fmt(pooled.estimate)} [{_fmt(pooled.ci_low)}, {_fmt(pooled.ci_high)}].")
    src = f"Ledger rows: {', '.join(rows)}." if rows else "No ledger rows could be pooled."
    return {
        "forest": (f"Forest plot. {what} Method: {how}. {src} Every other trial the review included or may have "
                   "included (* candidate) is listed as not available with its missing cells; the hollow red diamond, "
                   "where the review printed one, is its published pooled figure."),
        "funnel": f"Contour-enhanced funnel plot of the same studies ({how}). {src}",
        "sensitivity": f"Leave-one-out and cumulative (by year) pools of the same analysis ({how}).",
        "subgroups": (f"Subgroups ({', '.join(spec.get('subgroups', [])) or 'none specified'}), each pooled with its "
                      f"own tau2 ({how}); test for subgroup differences as RevMan 5 computes it."),
    }
