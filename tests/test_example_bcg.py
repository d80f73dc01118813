"""dat.bcg (Colditz et al. 1994, BCG vaccine against tuberculosis, 13 trials), the bcg conformance review under its
`metafor` preset, against the numbers metafor's documentation prints (shared/reference/stats_anchors.md §4.1):

- rma.uni: "Random-Effects Model (k = 13; tau^2 estimator: REML) tau^2 0.3132 ... I^2 92.22% ... Q(df = 12) =
  152.2330" (docs rma.uni.html; the metafor paper, Viechtbauer 2010, p. 14);
- rma.mh, measure = "RR": "Q(df = 12) = 152.5676 ... I^2 92.13%" (docs rma.mh.html);

and against metafor 3.8 (tests/reference/conventions_reference.csv, tests/reference/generate_conventions.R) for I²
from Q and from τ², the Mantel-Haenszel pools within the allocation subgroups and the test between them, and
Egger's, Peters' and Harbord's tests."""

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT
from conventions_checks import (
    ESTIMATORS,
    common_effect_subgroup_test,
    data,
    i2_both_ways,
    mh_subgroups,
    ref,
    small_study_tests,
)

from ketamine_ma.outputs.reproduction import reproduce
from ketamine_ma.stages import analysis
from ketamine_ma.stages.specs import conventions

SPEC = yaml.safe_load((ROOT / "config/reviews/bcg.yaml").read_text())
CONFIG = {"prediction_interval": "metafor", "prepost_correlation": 0.5}


def table():
    return data("bcg").rename(columns={"n1i": "n1", "n2i": "n2", "study": "trial_id"})


def pooled_under(spec_a, conv):
    return analysis.pool(table(), analysis.settings_for(spec_a, {}, CONFIG, conventions=conv))[1]


def test_the_reml_pool_prints_metafors_tau2_i2_and_q_under_the_metafor_preset():
    row = pooled_under(SPEC["analyses"]["rr_reml"], conventions(SPEC))
    assert conventions(SPEC)["i2"] == "tau2"
    assert f"{row['tau2']:.4f}" == "0.3132" and f"{row['i2']:.2f}" == "92.22" and f"{row['q']:.4f}" == "152.2330"


def test_the_mantel_haenszel_rr_prints_metafors_q_and_i2_under_the_metafor_preset():
    a = {**SPEC["analyses"]["rr_fixed"], "method": "MH"}
    row = pooled_under(a, conventions(SPEC))
    assert f"{row['q']:.4f}" == "152.5676" and f"{row['i2']:.2f}" == "92.13"


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_i2_from_q_and_from_tau2_match_metafor(estimator):
    i2_both_ways("bcg", "RR", estimator)


@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_mantel_haenszel_within_the_allocation_subgroups_match_rma_mh(measure):
    per, _ = mh_subgroups("bcg", measure)
    assert list(per.subgroup) == ["alternate", "random", "systematic"]


@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_egger_peters_and_harbord_match_metafor(measure):
    small_study_tests("bcg", measure)


def _figure(i2):
    pub = pd.read_csv(ROOT / "data/raw/conformance/bcg_published.csv", dtype=str, keep_default_na=False)
    pub = pub[pub.result_id == "rr_reml"].replace({"": None})
    return pub.assign(i2=i2)


def _reproduce(pub, conv):
    spec = {**SPEC, "analyses": {"rr_reml": SPEC["analyses"]["rr_reml"]}}
    row = pooled_under(spec["analyses"]["rr_reml"], conv)
    pooled = pd.DataFrame([{**row, "review": "bcg", "outcome": "rr_reml", "analysis": "primary"}])
    empty = pd.DataFrame(columns=["review", "analysis", "trial_id", "arm", "statistic", "reason"])
    return reproduce(pub, {"bcg": spec}, pooled, empty, empty, conventions={"bcg": conv}).iloc[0]


def test_an_i2_printed_from_q_is_explained_and_the_key_that_follows_it_named():
    """The same REML fit as R meta prints it (I² from Q: metafor's QE = 152.2330 on 12 df gives 92.12%): ours under
    the metafor preset is 92.22% from τ², and the reason says which key follows the review's software."""
    printed = f"{ref('bcg', 'I2_RR_REML', 'i2_q')[0]:.2f}"
    assert printed == "92.12"
    row = _reproduce(_figure(printed), conventions(SPEC))
    assert row.status == "partial"
    assert "I² differs (92.2% from τ² vs printed 92.12% from Q: the review's software computes I² from Q; set " \
           "`i2: q`)" in row.reason
    assert "missing" not in row.reason and "not identified" not in row.reason  # all 13 trials pooled
    fixed = _reproduce(_figure(printed), {**conventions(SPEC), "i2": "q"})
    assert fixed.status == "reproduced", fixed.reason


def test_metafors_printed_i2_is_not_reproduced_from_q_and_the_reason_says_so():
    row = _reproduce(_figure("92.22"), {**conventions(SPEC), "i2": "q"})
    assert row.status == "partial" and "`i2: tau2`" in row.reason
    assert np.isclose(row.our_i2, ref("bcg", "I2_RR_REML", "i2_q")[0], rtol=1e-6)


@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_the_common_effect_test_for_subgroup_differences_matches_metafor(measure):
    common_effect_subgroup_test("bcg", measure)
