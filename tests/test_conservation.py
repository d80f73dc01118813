"""Every ledger row ends in an analysis or in the exclusion log, and the check fails when one does not: when a row
is lost, counted twice, excluded with no fact to explain it, or cited by a study table without being a row of the
ledger the clean stage read."""

import pandas as pd
import pytest

from ketamine_ma.ledger.conservation import check, check_citations, row_fates
from ketamine_ma.ledger.tables import LedgerError

X = pd.DataFrame({"extract_id": ["a", "b", "c", "d"], "trial_id": ["t1", "t1", "t2", "t3"],
                  "outcome": ["pain_intensity", "pain_intensity", "nausea", "pain_intensity"],
                  "statistic": ["mean", "p_value", "events", "mean"]})
MEM = pd.DataFrame({"review": ["r", "r"], "trial_id": ["t1", "t3"], "status": ["confirmed", "candidate"]})
SPECS = {"r": {"analyses": {"pain": {"outcomes": ["pain_intensity"]}}}}
EXCL = pd.DataFrame(columns=["review", "analysis", "trial_id", "membership", "reason"])
FACTS = (MEM, SPECS, "confirmed")


def test_every_row_gets_a_fate():
    fates = row_fates(X, MEM, SPECS, "confirmed", {"a"}, EXCL)
    reasons = dict(zip(fates.extract_id, fates.reason, strict=True))
    assert set(reasons) == {"b", "c", "d"}
    assert "kept as evidence" in reasons["b"]
    assert "not analysed" in reasons["c"]
    assert "not counted as included" in reasons["d"]
    check(X, {"a"}, fates, *FACTS, EXCL)


def test_lost_or_double_counted_rows_fail():
    fates = row_fates(X, MEM, SPECS, "confirmed", {"a"}, EXCL)
    with pytest.raises(LedgerError, match="unaccounted"):
        check(X, {"a"}, fates.iloc[1:], *FACTS, EXCL)
    with pytest.raises(LedgerError, match="both pooled and excluded"):
        check(X, {"a", "b"}, fates, *FACTS, EXCL)


def test_a_member_trial_left_out_with_no_fact_fails():
    """t1 is a confirmed member of the review analysing pain; its mean was neither pooled nor excluded by the clean
    stage. ``row_fates`` still gives the row a reason (the time-point rule's), so counting fates alone passes."""
    fates = row_fates(X, MEM, SPECS, "confirmed", set(), EXCL)
    assert "time-point rule" in fates.set_index("extract_id").reason["a"]
    with pytest.raises(LedgerError, match=r"1 excluded with no membership, plan or clean-stage fact .*\(a\)"):
        check(X, set(), fates, *FACTS, EXCL)


def test_a_trial_the_clean_stage_excluded_or_pooled_otherwise_explains_its_rows():
    dropped = pd.DataFrame([{"review": "r", "analysis": "pain", "trial_id": "t1", "membership": "confirmed",
                             "reason": "no rows in the time window"}])
    check(X, set(), row_fates(X, MEM, SPECS, "confirmed", set(), dropped), *FACTS, dropped)
    # another analysis' exclusion of the trial explains nothing about this outcome
    elsewhere = dropped.assign(analysis="nausea")
    with pytest.raises(LedgerError, match="no membership, plan or clean-stage fact"):
        check(X, set(), row_fates(X, MEM, SPECS, "confirmed", set(), elsewhere), *FACTS, elsewhere)
    # a second pain row of t1 pooled in its place: the time-point rule chose that one
    x = pd.concat([X, pd.DataFrame([{"extract_id": "e", "trial_id": "t1", "outcome": "pain_intensity",
                                     "statistic": "mean"}])], ignore_index=True)
    check(x, {"e"}, row_fates(x, MEM, SPECS, "confirmed", {"e"}, EXCL), *FACTS, EXCL)


def ledger(extraction=X, membership=MEM):
    return {"extraction": extraction, "membership": membership}


def test_study_tables_cite_rows_of_the_ledger_the_clean_stage_read():
    table = pd.DataFrame({"trial_id": ["t1"], "extract_ids": ["a;b"]})
    check_citations({"r": (ledger(), {"pain": table})}, "confirmed")


@pytest.mark.parametrize("trial,ids,message", [
    ("t1", "a;zz", "cites zz, not a row of the ledger its clean stage read"),
    ("t1", "a;c", "cites c, a row of trial t2"),
    ("t3", "d", r"trial t3: pooled, but not counted as included \(confirmed\)"),
])
def test_a_study_table_citing_what_the_ledger_does_not_back_fails(trial, ids, message):
    """Before, the coverage job intersected the cited ids with the ledger's, so an unknown id vanished."""
    table = pd.DataFrame({"trial_id": [trial], "extract_ids": [ids]})
    with pytest.raises(LedgerError, match=message):
        check_citations({"r": (ledger(), {"pain": table})}, "confirmed")


def test_a_candidate_counts_under_the_wider_policy():
    table = pd.DataFrame({"trial_id": ["t3"], "extract_ids": ["d"]})
    check_citations({"r": (ledger(), {"pain": table})}, "confirmed+candidate")
