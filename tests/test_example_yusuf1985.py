"""dat.yusuf1985 (Yusuf et al. 1985, beta blockers after myocardial infarction; metadat), tables 6 and 9: 2×2 tables
with zero cells and with no events in either arm, the case where the software's conventions differ. Every value
compared is metafor 3.8's, printed by tests/reference/generate_conventions.R into
tests/reference/conventions_reference.csv (e.g. escalc(measure = "OR", add = 1/2, to = "only0") of Waagstein, 0/39
vs 0/15, and rma.mh's QE and I²)."""

import pytest
from conventions_checks import (
    ESTIMATORS,
    TO,
    common_effect_subgroup_test,
    i2_both_ways,
    mh_common_effect,
    mh_subgroups,
    small_study_tests,
    zero_cells,
)

FIXTURE = "yusuf1985"


@pytest.mark.parametrize("measure", ["RR", "OR"])
@pytest.mark.parametrize("to", TO)
@pytest.mark.parametrize("add", [0.5, 0.25])
@pytest.mark.parametrize("drop00", [False, True])
def test_zero_cell_corrections_match_metafor_escalc(measure, to, add, drop00):
    if to == "none" and add != 0.5:
        pytest.skip("nothing is added under to = 'none'")
    zero_cells(FIXTURE, measure, to, add, drop00)


@pytest.mark.parametrize("measure", ["RR", "OR"])
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_i2_from_q_and_from_tau2_match_metafor(measure, estimator):
    i2_both_ways(FIXTURE, measure, estimator)


@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_mantel_haenszel_common_effect_and_its_q_match_rma_mh(measure):
    mh_common_effect(FIXTURE, measure)


@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_mantel_haenszel_within_subgroups_and_the_test_between_them_match_rma_mh(measure):
    per, test = mh_subgroups(FIXTURE, measure)
    assert list(per.subgroup) == ["table 6", "table 9"] and test["df"] == 1


@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_egger_peters_and_harbord_match_metafor(measure):
    small_study_tests(FIXTURE, measure)


@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_the_common_effect_test_for_subgroup_differences_matches_metafor(measure):
    common_effect_subgroup_test(FIXTURE, measure)
