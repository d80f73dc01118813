"""Merging validated contributions into a review's processed ledger (never into ``data/raw/``).

A contributed number that disagrees with a ledger row keeps both readings, tagged ``reading`` ledger / contribution,
and adds a ``conflicts`` row; the clean stage uses one reading for the primary analysis (config ``conflict_rule``)
and the other for the ``conflict_alt`` sensitivity analysis.
"""

from __future__ import annotations

import pandas as pd

from ..rows import same_label, time_key
from ..vocabulary import GROUPING_QUOTE
from .validate import EXTRA_COLUMNS


def merge(ledger, contrib):
    """The processed ledger with the contributions merged in; new ``conflicts`` rows for disagreements.

    A contributed number equal to a ledger row at the same trial, outcome, time, arm and statistic corroborates
    it (kept once, the ledger's row); a different one keeps both rows, tagged ``reading`` ledger / contribution
    with a shared ``conflict_id``.
    """
    out = {k: v.copy() for k, v in ledger.items()}
    for name in ("trials", "membership", "extraction"):
        for c in EXTRA_COLUMNS:
            if c not in out[name]:
                out[name][c] = None
    x, c = out["extraction"], contrib["extraction"].copy()
    _apply_day_counts(contrib.get("day_counts"), x, c)
    conflicts, keep = [], []
    tkey = [time_key(t, d) for t, d in zip(x.timepoint, x.time_days, strict=True)]
    for _, r in c.iterrows():
        same = x[(x.trial_id == r.trial_id) & (x.outcome == r.outcome) & (x.arm == r.arm)
                 & (x.statistic == r.statistic)
                 & (pd.Series(tkey, index=x.index) == time_key(r.timepoint, r.time_days))]
        if same.empty:
            keep.append(r)
            continue
        old = same.iloc[0]
        if abs(float(old.value) - r.value) <= 1e-9 * max(1.0, abs(r.value)):
            continue  # the full text corroborates the ledger row
        cid = f"contrib-{r.extract_id}"
        x.loc[same.index, ["reading", "conflict_id"]] = ["ledger", cid]
        keep.append(r.to_dict() | {"reading": "contribution", "conflict_id": cid})
        conflicts.append({"conflict_id": cid, "trial_id": r.trial_id,
                          "field": f"{r.outcome} {r.arm} {r.statistic} at "
                                   f"{r.timepoint or time_key(None, r.time_days)}",
                          "value_a": f"{float(old.value):g}", "source_a": old.source, "quote_a": old.quote,
                          "value_b": f"{r.value:g}", "source_b": r.source, "quote_b": r.quote,
                          "note": f"ledger row {old.extract_id} against the full text read by {r.contributor} on "
                                  f"{r.contributed_on}; config conflict_rule picks the primary reading, the other "
                                  "runs as the conflict_alt sensitivity analysis"})
    add = pd.DataFrame([dict(k) for k in keep]) if keep else c.iloc[0:0]
    out["extraction"] = pd.concat([x, add], ignore_index=True) if len(add) else x
    mem, cm = out["membership"], contrib["membership"]
    for _, r in cm.iterrows():
        hit = (mem.review == r.review) & (mem.trial_id == r.trial_id)
        mem = mem[~hit]
        if r.status != "excluded":
            mem = pd.concat([mem, pd.DataFrame([r.to_dict()])], ignore_index=True)
    mem = mem.copy()
    for g in contrib.get("groupings", pd.DataFrame()).itertuples():
        # a review's own grouping of its trial: a column of its membership row, with the review's quote
        hit = (mem.review == g.review) & (mem.trial_id == g.trial_id)
        mem.loc[hit, g.grouping] = g.value
        mem.loc[hit, GROUPING_QUOTE.format(g.grouping)] = g.quote
    out["membership"] = mem.sort_values(["review", "trial_id"], kind="stable").reset_index(drop=True)
    if len(contrib["trials"]):
        out["trials"] = pd.concat([out["trials"], contrib["trials"]], ignore_index=True)
    if len(contrib["published"]):  # a review's printed figures from its worksheet, beside data/raw's
        out["published"] = pd.concat([out["published"], contrib["published"]], ignore_index=True)
    if conflicts:
        out["conflicts"] = pd.concat([out["conflicts"], pd.DataFrame(conflicts)], ignore_index=True)
    out["not_reported"] = contrib["not_reported"]
    out["risk_of_bias"] = contrib["risk_of_bias"]
    return out


def _apply_day_counts(day_counts, *frames):
    """A reader's day count goes to every row (ledger and contributed) of its trial and outcome at its time point
    that has none; the row's notes say where it was read."""
    if day_counts is None or day_counts.empty:
        return
    for d in day_counts.itertuples():
        note = (f"time_days {d.time_days:g} from the full text ({d.locator}: {d.quote!r}), read by {d.contributor} "
                f"on {d.contributed_on}")
        for f in frames:
            if f.empty:
                continue
            hit = same_label(f, d.trial_id, d.outcome, d.timepoint) & f.time_days.isna()
            f.loc[hit, "time_days"] = d.time_days
            f.loc[hit, "notes"] = [f"{n}; {note}" if isinstance(n, str) and n else note for n in f.loc[hit, "notes"]]

