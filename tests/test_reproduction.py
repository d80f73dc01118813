"""The reproduction check on its own: published figures against our numbers, part by part at the printed precision,
a figure printed in several places counted once, a published test for subgroup differences against our test.

Our side is metafor's numbers on dat.bcg (tests/reference/metafor_reference.csv), the published side the BCG
conformance table (data/raw/conformance/bcg_published.csv), so no expected value comes from our own code.
"""

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import COMMITTED, ROOT, read_reference

from ketamine_ma.outputs.reproduction import figures, p_agrees, reproduce

PUBLISHED = pd.read_csv(ROOT / "data/raw/conformance/bcg_published.csv", dtype=str, keep_default_na=False).replace(
    {"": None})
SPEC = yaml.safe_load((ROOT / "config/reviews/bcg.yaml").read_text())
REF = read_reference(COMMITTED)


def ref(analysis, quantity):
    g = REF[(REF.fixture == "dat_bcg") & (REF.analysis == analysis) & (REF.quantity == quantity)]
    return g.sort_values("i").value.to_numpy()


def pooled():
    """metafor's pools of dat.bcg as our pooled.csv rows (ratios on their natural scale)."""
    rows = []
    for key, an in (("rr_fixed", "RR_FE_z"), ("rr_dl", "RR_DL_z"), ("or_fixed", "OR_FE_z"), ("or_dl", "OR_DL_z"),
                    ("rr_reml", "RR_REML_z")):
        rows.append({"review": "bcg", "outcome": key, "analysis": "primary", "k": 13, "n_participants": np.nan,
                     **{q: np.exp(ref(an, q)[0]) for q in ("estimate", "ci_low", "ci_high")},
                     "p": ref(an, "p")[0], "i2": ref(an, "i2")[0], "stat": ref(an, "stat")[0]})
    return pd.DataFrame(rows)


def subgroups(common="REML"):
    """metafor's tests for subgroup differences by allocation in the shape of our subgroups.csv of rr_dl: RevMan's
    with the analysis' DL τ² per subgroup, and the common-τ² QM with the ``common`` estimator."""
    return pd.DataFrame({"review": "bcg", "analysis": "rr_dl", "by": "alloc",
                         "subgroup": ["alternate", "random", "systematic"], "k": [2, 7, 4], "tau2_estimator": "DL",
                         "q_between": ref("SUBGROUP_alloc_DL", "q_between")[0], "q_between_df": 2,
                         "q_between_p": ref("SUBGROUP_alloc_DL", "q_between_p")[0],
                         "qm": ref(f"SUBGROUP_alloc_{common}", "qm")[0], "qm_df": 2,
                         "qm_p": ref(f"SUBGROUP_alloc_{common}", "qm_p")[0]})


def run(published=PUBLISHED, spec=SPEC, sub=None):
    empty = pd.DataFrame(columns=["review", "analysis", "trial_id", "arm", "statistic", "reason"])
    return reproduce(published, {"bcg": spec}, pooled(), empty, empty, sub).set_index("result_id")


@pytest.mark.parametrize("ours,printed,agrees", [
    (0.00003, "<.0001", True), (0.00012, "<.0001", False), (0.2134, ".213", True), (0.2136, ".213", False),
    (0.41322803275720577, "0.4132", True), (0.0291, ".029", True), (0.06, ">0.05", True), (0.04, ">0.05", False),
])
def test_a_published_p_is_met_at_its_printed_precision(ours, printed, agrees):
    assert p_agrees(ours, printed) is agrees


def test_published_subgroup_test_is_compared_with_our_test_under_the_reviews_definition():
    """metafor's documentation tests allocation by meta-regression with a common τ² (REML): QM(df = 2) = 1.7675,
    p-val = 0.4132. Our test computed that way reproduces it; RevMan's separate-τ² test is reported beside it."""
    rep = run(sub=subgroups())
    row = rep.loc["rr_alloc_subgroup_test"]
    assert row.status == "reproduced", row.reason
    assert row.our_p == pytest.approx(0.4132, abs=5e-5) and row.our_k == 13
    assert "QM = 1.77, df = 2, p = 0.4132" in row.reason and "common τ² (REML)" in row.reason
    assert "Chi² = 1.54, df = 2, p = 0.4638" in row.reason  # RevMan's separate-τ² test (DL), beside it
    # the overall pool is not what a subgroup test is compared with
    assert "estimate" not in row.reason.split("beside it")[0]


def test_the_other_definition_of_the_subgroup_test_does_not_reproduce_it():
    spec = yaml.safe_load(yaml.safe_dump(SPEC))
    spec["analyses"]["rr_dl"].pop("subgroup_test")  # RevMan's test, each subgroup with its own DL τ²
    row = run(spec=spec, sub=subgroups("DL")).loc["rr_alloc_subgroup_test"]
    assert row.status == "partial"
    # the printed QM(df = 2) = 1.7675 and its p against RevMan's Chi² = 1.5368 (metafor, separate DL fits)
    assert "df and k agree" in row.reason
    assert "statistic differs (ours 1.537, published 1.7675); p differs (ours 0.4638, published 0.4132)" in row.reason
    assert "Chi² = 1.54, df = 2, p = 0.4638" in row.reason and "QM = 1.43, df = 2, p = 0.4880" in row.reason


def test_a_subgroup_comparison_with_nothing_printed_says_so_without_nan():
    pub = PUBLISHED.copy()
    pub.loc[pub.result_id == "rr_alloc_subgroup_test", ["stat", "stat_df", "p", "k"]] = None
    row = run(published=pub, sub=subgroups()).loc["rr_alloc_subgroup_test"]
    assert row.status == "not_reproducible" and "prints no statistic, p or k" in row.reason
    assert "nan" not in row.reason.lower() and "none" not in row.reason.lower()


def test_a_subgroup_the_spec_does_not_define_is_named():
    pub = PUBLISHED.copy()
    pub.loc[pub.result_id == "rr_alloc_subgroup_test", "analysis"] = "subgroup:latitude"
    row = run(published=pub, sub=subgroups()).loc["rr_alloc_subgroup_test"]
    assert row.status == "not_reproducible" and "no subgroup analysis by latitude (its subgroups: alloc)" in row.reason


def test_p_i2_and_k_are_compared_where_printed_and_the_reason_says_which_parts_agree():
    pub = PUBLISHED.copy()
    dl = pub.result_id == "rr_dl"
    pub.loc[dl, ["p", "i2"]] = ["<.0001", "92.1"]  # metafor prints p-val < .0001 and I^2 92.12%
    row = run(published=pub, sub=subgroups()).loc["rr_dl"]
    assert row.status == "reproduced" and row.reason.startswith("estimate, CI, p, I² and k agree"), row.reason
    pub.loc[dl, ["i2", "k"]] = ["0.0", "12"]
    row = run(published=pub, sub=subgroups()).loc["rr_dl"]
    assert row.status == "partial", row.reason
    assert "estimate, CI and p agree" in row.reason
    assert "I² differs (ours 92.1%, published 0.0%); k differs (ours 13 of 12 published)" in row.reason


def test_a_figure_printed_in_several_places_is_one_figure_with_its_sources_listed():
    copy = PUBLISHED[PUBLISHED.result_id == "rr_dl"].assign(read_at="https://example.org/a-news-report",
                                                            locator="second page", source_kind="secondary")
    pub = pd.concat([copy, PUBLISHED])  # the secondary copy first: the review's own text still leads
    one = figures(pub)
    assert len(one) == len(PUBLISHED) and (one.result_id == "rr_dl").sum() == 1
    row = one.set_index("result_id").loc["rr_dl"]
    assert row.n_sources == 2 and row.source_kind == "primary"
    assert row.sources.endswith("https://example.org/a-news-report (second page)")
    rep = run(published=pub, sub=subgroups())
    assert len(rep) == len(PUBLISHED) and (rep.status == "reproduced").all()
