"""Conservation of ledger rows: every row of ``extraction.csv`` ends either in a pooled study table or in the
row-level exclusion log with its reason. ``row_fates`` assigns the fate. The checks do not trust it: ``check``
fails if a row is missing or counted twice, or if an exclusion is backed by no fact of the analysis plan, the
membership or the clean stage's own trial exclusions; ``check_citations`` fails if a study table cites a ledger
row its review's clean stage did not read, of another trial, or pools a trial its review does not count."""

from __future__ import annotations

import pandas as pd

from .vocabulary import LedgerError, counted_statuses

NOT_POOLED_STATISTICS = ("p_value", "t_value", "percent", "median", "q1", "q3", "min", "max")


def _analysed(specs):
    """Outcome → the (review, analysis) pairs of the selected specs that analyse it."""
    analysed = {}
    for review, spec in specs.items():
        for key, a in spec["analyses"].items():
            for o in a["outcomes"]:
                analysed.setdefault(o, []).append((review, key))
    return analysed


def _counted(membership, policy):
    """The membership rows a review counts under the membership policy."""
    return membership[membership.status.isin(counted_statuses(policy))]


def row_fates(extraction, membership, specs, policy, used_ids, trial_exclusions):
    """One row per ledger row that was not pooled: ``extract_id, trial_id, outcome, reason``."""
    analysed = _analysed(specs)
    members = _counted(membership, policy)
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
        elif isinstance(getattr(r, "reading", None), str) and r.reading:
            reason = (f"the {r.reading}'s reading of conflict {r.conflict_id}: the primary analysis uses the reading "
                      "config conflict_rule names, the other runs as the conflict_alt sensitivity analysis")
        elif r.statistic in NOT_POOLED_STATISTICS:
            reason = f"statistic '{r.statistic}' is kept as evidence but not used by the pooled analyses"
        else:
            why = trial_exclusions[(trial_exclusions.trial_id == r.trial_id)
                                   & trial_exclusions.review.isin(member_of)]
            reason = "; ".join(f"{x.review}/{x.analysis}: {x.reason}" for x in why.itertuples()) or (
                "another time point or arm of this trial was selected by the analysis' time-point rule")
        rows.append({"extract_id": r.extract_id, "trial_id": r.trial_id, "outcome": r.outcome, "reason": reason})
    return pd.DataFrame(rows, columns=["extract_id", "trial_id", "outcome", "reason"])


def _unbacked(extraction, excluded_ids, used_ids, membership, specs, policy, trial_exclusions):
    """The excluded ledger rows that no fact explains. A row may be left out of the pools because its outcome is
    analysed by no selected review, its trial is counted (under ``policy``) by no review that analyses the outcome,
    or its statistic is not one the analyses pool; otherwise an analysis of its outcome must have pooled its trial
    from other rows (the time-point or arm rule chose those) or excluded the trial (``trial_exclusions``, the clean
    stage's reasons). Any other excluded row was lost on the way."""
    analysed = _analysed(specs)
    counted = set(zip(*[_counted(membership, policy)[c] for c in ("review", "trial_id")], strict=True))
    excluded_from = set(zip(*[trial_exclusions[c] for c in ("review", "analysis", "trial_id")], strict=True))
    used = extraction[extraction.extract_id.isin(used_ids)]
    pooled = set(zip(used.trial_id, used.outcome, strict=True))

    def explained(review, key, trial):
        outcomes = specs[review]["analyses"][key]["outcomes"]
        return (review, key, trial) in excluded_from or any((trial, o) in pooled for o in outcomes)

    lost = []
    for r in extraction[extraction.extract_id.isin(excluded_ids)].itertuples():
        analyses = [(rv, a) for rv, a in analysed.get(r.outcome, []) if (rv, r.trial_id) in counted]
        if analyses and r.statistic not in NOT_POOLED_STATISTICS \
                and not any(explained(rv, a, r.trial_id) for rv, a in analyses):
            lost.append(r.extract_id)
    return lost


def check(extraction, used_ids, excluded, membership, specs, policy, trial_exclusions):
    """Raise ``LedgerError`` unless every ledger row is pooled or excluded, exactly once, and every exclusion is
    backed by the analysis plan (``specs``), the membership under ``policy`` or the clean stage's
    ``trial_exclusions`` (``_unbacked``)."""
    ids = set(extraction.extract_id)
    excl = list(excluded.extract_id)
    both = set(excl) & set(used_ids)
    lost = ids - set(used_ids) - set(excl)
    dup = {x for x in excl if excl.count(x) > 1}
    unbacked = _unbacked(extraction, set(excl), set(used_ids), membership, specs, policy, trial_exclusions)
    if lost or both or dup or unbacked:
        raise LedgerError(f"conservation check failed: {len(lost)} ledger row(s) unaccounted for "
                          f"({', '.join(sorted(lost)[:5])}), {len(both)} both pooled and excluded, "
                          f"{len(dup)} excluded twice, {len(unbacked)} excluded with no membership, plan or "
                          f"clean-stage fact to explain it ({', '.join(sorted(unbacked)[:5])})")


def check_citations(cited, policy):
    """Raise ``LedgerError`` unless every study table cites only what its review's clean stage read.

    ``cited`` maps each review to ``(ledger, tables)``: the processed ledger its clean stage read (``extraction``
    and ``membership`` tables) and its study tables (``{name: table}``, with ``trial_id`` and ``extract_ids``). Every
    cited ``extract_id`` must be a row of that ledger's extraction table, of the study row's trial, and the trial
    must be one the review counts under ``policy``."""
    problems = []
    for review, (ledger, tables) in cited.items():
        trial_of = dict(zip(ledger["extraction"].extract_id, ledger["extraction"].trial_id, strict=True))
        members = _counted(ledger["membership"], policy)
        counted = set(members[members.review == review].trial_id)
        for name, t in tables.items():
            for trial, ids in zip(t.trial_id, t.extract_ids.fillna(""), strict=True):
                where = f"{review}/{name}, trial {trial}"
                if trial not in counted:
                    problems.append(f"{where}: pooled, but not counted as included ({policy})")
                for i in filter(None, ids.split(";")):
                    if i not in trial_of:
                        problems.append(f"{where}: cites {i}, not a row of the ledger its clean stage read")
                    elif trial_of[i] != trial:
                        problems.append(f"{where}: cites {i}, a row of trial {trial_of[i]}")
    if problems:
        raise LedgerError(f"conservation check failed: {len(problems)} study-table citation(s) the ledger does not "
                          f"back: " + "; ".join(problems[:5]))
