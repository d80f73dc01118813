"""The audit against numbers whose consistency is known from their own source."""

import pytest

from ketamine_ma.outputs.audit import audit_row, p_from_ci


def test_p_from_ci_matches_revman_stored_p():
    # RevMan's own Fleiss 1993 OR, CI and P_Z (tests/data/Fleiss1993.rm5, CMP-001.01).
    p = p_from_ci(0.8968655609130709, 0.8405144008917793, 0.9569947088336491, "OR")
    assert p == pytest.approx(0.0010103343130005407, rel=1e-9)


def test_revman_figures_printed_to_two_decimals_are_consistent():
    r = audit_row("0.90", "0.84", "0.96", "0.001", "OR")
    assert r["p_check"] == "consistent" and r["ci_symmetry"] == "symmetric"


def test_p_inconsistent_with_ci_is_flagged():
    # A CI excluding 0 by many SEs cannot have p = 0.5.
    r = audit_row("-1.83", "-2.35", "-1.31", "0.5", "MD")
    assert r["p_check"] == "inconsistent"


def test_asymmetric_md_ci_is_flagged():
    assert audit_row("-1.00", "-3.00", "-0.50", "0.01", "MD")["ci_symmetry"] == "asymmetric"


def test_missing_ci_is_not_checkable():
    assert audit_row("", "", "", "<0.05", "p_only")["p_check"] == "not_checkable"


def test_null_estimate_with_p_one_is_consistent():
    # update16's sleep MD 0.00 [-0.12, 0.12], p = 1.00: an estimate of exactly the null gives p = 1.
    assert audit_row("0.00", "-0.12", "0.12", "1.00", "MD")["p_check"] == "consistent"


def test_subgroup_totals_add_up_or_not():
    import pandas as pd

    from ketamine_ma.outputs.audit import audit_totals

    pub = pd.DataFrame({"review": ["r"] * 4, "result_id": ["all", "a", "b", "c"], "measure": [None] * 4,
                        "analysis": ["primary", "subgroup:x", "subgroup:x", "subgroup:x"], "k": ["7", "2", "2", "3"],
                        "n": [None] * 4})
    assert audit_totals(pub).verdict.tolist() == ["consistent"]
    pub.loc[3, "k"] = "4"
    assert audit_totals(pub).verdict.tolist() == ["inconsistent"]


def test_percent_that_no_integer_count_gives_is_flagged():
    import pandas as pd

    from ketamine_ma.outputs.audit import audit_percentages

    # 76% of 30 is 22.8: no whole number of patients gives it (Sigtermans 2009 prints 76% of n = 30).
    x = pd.DataFrame({"extract_id": ["e", "n", "p"], "trial_id": "t", "outcome": "o", "timepoint": "w1",
                      "arm": "experimental", "statistic": ["events", "n", "percent"], "value": [23.0, 30.0, 76.0]})
    assert audit_percentages(x).verdict.tolist() == ["inconsistent"]
    x.loc[0, "value"] = 22.8
    assert audit_percentages(x).verdict.tolist() == ["consistent"]
