"""Conservation of ledger rows: every row of ``extraction.csv`` ends either in a pooled study table or in the
row-level exclusion log with its reason. ``row_fates`` assigns the fate; ``check`` fails if any row is missing
or counted twice."""

from __future__ import annotations

import pandas as pd

from .vocabulary import LedgerError

NOT_POOLED_STATISTICS = ("p_value", "t_value", "percent", "median", "q1", "q3", "min", "max")


def row_fates(extraction, membership, specs, policy, used_ids, trial_exclusions):
    """One row per ledger row that was not pooled: ``extract_id, trial_id, outcome, reason``."""
    analysed = {}
    for review, spec in specs.items():
        for key, a in spec["analyses"].items():
            for o in a["outcomes"]:
                analysed.setdefault(o, []).append((review, key))
    statuses = ("confirmed",) if policy == "confirmed" else ("confirmed", "candidate")
    members = membership[membership.status.isin(statuses)]
    rows = []
    for r in extraction.itertuples():
        if r.extract_id in used_ids:
            continue
        where = analysed.get(r.outcome, [])
        in_reviews = {rv for rv, _ in where}
        member_of = set(members[members.trial_id == r.trial_id].review) & in_reviews
        if not where:
            reason = f"outcome '{r.outcome}' is not analysed by any selected review"
        elif not member_of:
            reason = (f"trial not counted as included ({policy}) by any review analysing '{r.outcome}' "
                      f"({', '.join(sorted(in_reviews))})")
        elif r.statistic in NOT_POOLED_STATISTICS:
            reason = f"statistic '{r.statistic}' is kept as evidence but not used by the pooled analyses"
        else:
            why = trial_exclusions[(trial_exclusions.trial_id == r.trial_id)
                                   & trial_exclusions.review.isin(member_of)]
            reason = "; ".join(f"{x.review}/{x.analysis}: {x.reason}" for x in why.itertuples()) or (
                "another time point or arm of this trial was selected by the analysis' time-point rule")
        rows.append({"extract_id": r.extract_id, "trial_id": r.trial_id, "outcome": r.outcome, "reason": reason})
    return pd.DataFrame(rows, columns=["extract_id", "trial_id", "outcome", "reason"])


def check(extraction, used_ids, excluded):
    """Raise ``LedgerError`` unless every ledger row is pooled or excluded, exactly once."""
    ids = set(extraction.extract_id)
    excl = list(excluded.extract_id)
    both = set(excl) & set(used_ids)
    lost = ids - set(used_ids) - set(excl)
    dup = {x for x in excl if excl.count(x) > 1}
    if lost or both or dup:
        raise LedgerError(f"conservation check failed: {len(lost)} ledger row(s) unaccounted for "
                          f"({', '.join(sorted(lost)[:5])}), {len(both)} both pooled and excluded, "
                          f"{len(dup)} excluded twice")
