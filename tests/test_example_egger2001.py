"""dat.egger2001 (Egger, Smith & Altman 2001, magnesium after myocardial infarction, 16 trials; metadat): one trial
with a zero cell (Bertschat 1989, 0/22 vs 1/21) beside the 58,000-patient ISIS-4, the example Egger et al. use for
funnel asymmetry. Every value compared is metafor 3.8's (tests/reference/generate_conventions.R →
tests/reference/conventions_reference.csv); Harbord's test is Harbord, Egger & Sterne (2006)'s regression computed
in R beside it. Subgroups: trials before 1990 and from 1990 on."""

import pytest
from conventions_checks import (
    ESTIMATORS,
    TO,
    i2_both_ways,
    mh_common_effect,
    mh_subgroups,
    small_study_tests,
    zero_cells,
)

FIXTURE = "egger2001"


@pytest.mark.parametrize("measure", ["RR", "OR"])
@pytest.mark.parametrize("to", TO)
@pytest.mark.parametrize("add", [0.5, 0.25])
def test_zero_cell_corrections_match_metafor_escalc(measure, to, add):
    if to == "none" and add != 0.5:
        pytest.skip("nothing is added under to = 'none'")
    zero_cells(FIXTURE, measure, to, add, drop00=False)


@pytest.mark.parametrize("measure", ["RR", "OR"])
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_i2_from_q_and_from_tau2_match_metafor(measure, estimator):
    i2_both_ways(FIXTURE, measure, estimator)


@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_mantel_haenszel_common_effect_and_its_q_match_rma_mh(measure):
    mh_common_effect(FIXTURE, measure)


@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_mantel_haenszel_within_subgroups_and_the_test_between_them_match_rma_mh(measure):
    per, _ = mh_subgroups(FIXTURE, measure)
    assert list(per.k) == [8, 8]  # 1990 on: Singh 1990 to ISIS-4 1995; before 1990: Morton 1984 to Bertschat 1989


@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_egger_peters_and_harbord_match_metafor(measure):
    small_study_tests(FIXTURE, measure)
