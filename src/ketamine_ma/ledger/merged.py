"""The merged ledger: the validated raw ledger with every contribution in it, the one ledger a reader sees.

Each ledger review's processed ledger (``data/processed/<review>/ledger/``) holds the raw ledger with the
contributions routed to that review (those naming it or one of its trials), so that a contribution reruns only the
reviews it touches. The outputs that span reviews (coverage, the exclusion log and its conservation check, the
report's ledger, conflicts and study-row pages, the umbrella view, the flow diagrams) read their union instead of
the raw ledger, so no output contradicts another after a contribution.
"""

from __future__ import annotations

import pandas as pd

from .vocabulary import MERGED_VIEW

KEYS = {"trials": "trial_id", "extraction": "extract_id", "conflicts": "conflict_id"}
# What a contribution changes on a raw extraction row: one reading of a conflict, or a day count a reader gave.
CHANGED = ("reading", "conflict_id", "time_days", "notes")


def union(raw, views):
    """The union of the reviews' processed ledgers ``views`` (``{review: {table: DataFrame}}``) over ``raw``.

    Every table as text (empty cell = ""), so that raw rows keep their numbers as printed. Membership rows of a
    review come from that review's own ledger (a worksheet confirms or excludes a trial for the review it names,
    which always receives it), and so do the figures of its worksheet's published sheet; contributed trials,
    extraction rows and conflicts are added by id. A raw extraction row that some review's ledger changed takes
    that ledger's ``CHANGED`` columns; every ledger that received the contribution changed it the same way.
    """
    if not views:
        return {t: raw[t] for t in MERGED_VIEW}
    out = {}
    mem = raw["membership"][~raw["membership"].review.isin(list(views))]
    out["membership"] = pd.concat([mem, *(v["membership"][v["membership"].review == r] for r, v in views.items())],
                                  ignore_index=True).sort_values(["review", "trial_id"], kind="stable")
    # the raw figures in their order, then each review's from its worksheet's published sheet (in its own ledger)
    given = []
    for r, v in views.items():
        p = v["published"]
        given.append(p[(p.review == r) & (p.get("contributor", "") != "")])
    out["published"] = pd.concat([raw["published"], *given], ignore_index=True)
    for table, key in KEYS.items():
        seen = pd.concat([v[table] for v in views.values()], ignore_index=True).drop_duplicates(key)
        out[table] = pd.concat([raw[table], seen[~seen[key].isin(raw[table][key])]], ignore_index=True)
    x = out["extraction"].copy()
    x[[c for c in CHANGED if c not in x]] = ""
    copies = pd.concat([v["extraction"] for v in views.values()], ignore_index=True)
    copies = copies[copies.extract_id.isin(raw["extraction"].extract_id)]
    raw_days = copies.extract_id.map(raw["extraction"].set_index("extract_id").time_days)
    changed = copies[(copies.reading != "") | ((raw_days == "") & (copies.time_days != ""))]
    changed = changed.drop_duplicates("extract_id").set_index("extract_id")
    hit = x.extract_id.isin(changed.index)
    for c in CHANGED:
        x.loc[hit, c] = x.loc[hit, "extract_id"].map(changed[c]).to_numpy()
    out["extraction"] = x
    return {t: out[t].fillna("").reset_index(drop=True) for t in MERGED_VIEW}
