"""The reviews side by side: their own pooled figures, how many trials each pooled, and how many trials
they share (overlap matrix and the corrected covered area, Pieper et al. 2014, J Clin Epidemiol 67:368:
CCA = (N − r)/(r·c − r), N inclusions counted over c reviews and r distinct trials)."""

from __future__ import annotations

import itertools
import math

import pandas as pd

from ..engine.measures import MEASURES
from ..ledger.vocabulary import counted_statuses

# The published figures shown side by side: a two-group effect (the registry's measures that compare arms) or a
# pooled proportion, as data/raw/published.csv names it.
EFFECT_MEASURES = (*(n for n, m in MEASURES.items() if not m.single_group), "proportion")
UMBRELLA_COLUMNS = ["review", "result_id", "outcome", "timepoint", "measure", "estimate", "ci_low", "ci_high", "scale",
                    "p", "k_pooled", "k_review", "trials_in_ledger", "shared_trials", "source_kind"]


def umbrella_table(published, membership, reviews):
    """One row per published effect estimate with CI, with the review's k and its trial overlap."""
    pub = published[published.review.isin(reviews) & published.measure.isin(EFFECT_MEASURES)]
    pub = pub.dropna(subset=["estimate", "ci_low", "ci_high"])
    pub = pub.drop_duplicates(subset=["review", "outcome", "measure", "estimate", "ci_low", "ci_high"])
    scope = published[published.measure.isna() & published.k.notna()].groupby("review").k.max()
    rows = []
    for r in pub.itertuples():
        if r.scale == "log":  # a ratio printed on its log scale (the metafor paper's BCG pool): shown as a ratio
            r = r._replace(**{c: math.exp(float(getattr(r, c))) for c in ("estimate", "ci_low", "ci_high")},
                           scale="natural (printed on the log scale)")
        mine = set(membership[membership.review == r.review].trial_id)
        shared = {o: len(mine & set(membership[membership.review == o].trial_id)) for o in reviews if o != r.review}
        rows.append({"review": r.review, "result_id": r.result_id, "outcome": r.outcome, "timepoint": r.timepoint,
                     "measure": r.measure, "estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high,
                     "scale": r.scale, "p": r.p, "k_pooled": r.k, "k_review": scope.get(r.review),
                     "trials_in_ledger": len(mine),
                     "shared_trials": "; ".join(f"{o}: {n}" for o, n in shared.items()),
                     "source_kind": r.source_kind})
    return pd.DataFrame(rows, columns=UMBRELLA_COLUMNS)


def overlap(membership, reviews, policy="confirmed+candidate"):
    """Review × review counts of shared trials, and the CCA, over the trials each review counts under the
    membership ``policy``."""
    m = membership[membership.review.isin(reviews) & membership.status.isin(counted_statuses(policy))]
    sets = {r: set(m[m.review == r].trial_id) for r in reviews}
    mat = pd.DataFrame(0, index=list(reviews), columns=list(reviews), dtype=int)
    for a, b in itertools.product(reviews, repeat=2):
        mat.loc[a, b] = len(sets[a] & sets[b])
    n_incl = sum(len(s) for s in sets.values())
    r = len(set().union(*sets.values()))
    c = len(reviews)
    cca = (n_incl - r) / (r * c - r) if r and c > 1 else float("nan")
    return mat, cca
