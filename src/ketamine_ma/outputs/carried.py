"""The rows contributed in earlier rounds, back in the next worksheet (``carry``): filled as they were given and
marked by their contributor and date, accepted proposals accepted again (``accept_again``), so that a worksheet
saved over the old one loses nothing.
"""

from __future__ import annotations

import pandas as pd

from ..ledger.contrib.read import FAILS, LAYOUT, STAMP, cell_key


def carry(sheets, log):
    """The worksheet with the rows contributed so far (``log``: rows of the contribution log, text) back in
    their sheets, filled as they were given and marked by their contributor and date: a worksheet saved over the
    old one keeps them. Each cell once (the log lists a reading given in two files twice)."""
    log = log[log.sheet.isin(("membership", "numbers", "trials", "risk_of_bias"))]
    log = log.assign(_key=[cell_key(r["sheet"], r) for _, r in log.iterrows()]).drop_duplicates("_key")
    out, log = accept_again(dict(sheets), log)
    for name, rows in log.groupby("sheet", sort=False):
        rows = rows.reindex(columns=LAYOUT[name])
        if name == "numbers":
            rows["why"] = [f"already in the ledger: contributed by {w} on {d}; keep this row"
                           for w, d in zip(rows.contributor, rows.contributed_on, strict=True)]
        df = out[name]
        if name == "membership":
            known = dict(zip(df.trial_id, df.index, strict=True))
            df = df.copy()
            for _, r in rows[rows.trial_id.isin(known)].iterrows():
                cols = ["status", "source", "locator", "quote", *STAMP]  # what the reader gave
                df.loc[known[r.trial_id], cols] = r[cols].tolist()
            rows = rows[~rows.trial_id.isin(known)]
        elif name == "numbers":
            keys = {cell_key(name, r) for _, r in rows.iterrows()}
            df = df[[cell_key(name, r) not in keys for _, r in df.iterrows()]]
        elif name == "trials":
            df, rows = rows, df  # added trials above the blank rows
        out[name] = pd.concat([df, rows], ignore_index=True).astype(object).fillna("").astype(str)
    return out


def accept_again(sheets, log):
    """The sheets with the proposals the ``log`` says a reader accepted (source_kind review) accepted again, as
    they were given (value, outcome, scale, who and when): the figure in its one cell (with its outcome and the
    scale of its means) when every row of it that does not fail its self-check was accepted, else row by row; and
    the log rows left for the other sheets. A number read from a figure the PDFs no longer show stays in the log
    (it comes back in the numbers sheet)."""
    props, figs = sheets["proposals"].copy(), sheets["figures"].copy()
    kind = log["source_kind"] if "source_kind" in log else pd.Series("", index=log.index)
    key = ["review", "source", "locator", "trial_id", "arm", "statistic"]
    mine = log[kind == "review"]
    if not len(props) or not len(mine):
        return sheets, log
    at = {tuple(r[key]): i for i, r in props.iterrows()}
    hit = [at.get(tuple(r[key])) for _, r in mine.iterrows()]
    cols = ["outcome", "measure", "scale", "value", *STAMP]
    for i, (_, r) in zip(hit, mine.iterrows(), strict=True):
        if i is not None:
            props.loc[i, [*cols, "accept"]] = [*r[cols].tolist(), "yes"]
    for j, f in figs.iterrows():
        rows = props[(props.source == f.source) & (props.figure == f.figure)]
        whole = rows[rows.self_check != FAILS]
        if len(whole) and (whole.accept == "yes").all():  # accepted in the figure's one cell, as a reader would
            scales = set(whole.scale[~whole.statistic.isin(("events", "n"))])  # its means' scale, chosen there
            outcomes = set(whole.outcome)
            figs.loc[j, ["accept", "scale", "outcome"]] = ["yes", scales.pop() if len(scales) == 1 else "",
                                                           outcomes.pop() if len(outcomes) == 1 else f.outcome]
            props.loc[whole.index, "accept"] = ""
    left = log.drop(index=[i for i, h in zip(mine.index, hit, strict=True) if h is not None])
    return {**sheets, "proposals": props, "figures": figs}, left
