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


# --- figures of each kind against ours of that kind (ours: metafor's numbers on dat.bcg) ------------------------

CONV = read_reference(ROOT / "tests/reference/conventions_reference.csv")


def conv(analysis, quantity):
    g = CONV[(CONV.fixture == "bcg") & (CONV.analysis == analysis) & (CONV.quantity == quantity)]
    return g.sort_values("i").value.to_numpy()


def figure(result_id, kind, **parts):
    """A figure of dat.bcg's rr_dl analysis as a review would print it (values: metafor's, rounded as printed)."""
    row = {c: None for c in PUBLISHED.columns} | {
        "review": "bcg", "result_id": result_id, "kind": kind, "outcome": "rr_dl", "analysis": "primary",
        "measure": "RR", "scale": "natural", "source": "https://example.org", "locator": "test",
        "quote": "test", "source_kind": "primary"}
    return row | parts


def run_kinds(figs, pooled_rows=None, small=None, sub=None, spec=SPEC):
    spec = yaml.safe_load(yaml.safe_dump(spec))
    spec["analyses"]["rr_dl"]["published"] += [f["result_id"] for f in figs]
    pub = pd.concat([PUBLISHED, pd.DataFrame(figs)], ignore_index=True)
    empty = pd.DataFrame(columns=["review", "analysis", "trial_id", "arm", "statistic", "reason"])
    pooled_all = pooled() if pooled_rows is None else pd.concat([pooled(), pooled_rows], ignore_index=True)
    dl = pooled_all.outcome == "rr_dl"
    for q in ("tau2", "q", "pi_low", "pi_high", "tau2_ci_low", "tau2_ci_high"):
        value = ref("RR_DL_z", q)[0]
        pooled_all.loc[dl & (pooled_all.analysis == "primary"), q] = np.exp(value) if q.startswith("pi") else value
    pooled_all.loc[dl & (pooled_all.analysis == "primary"), ["q_df", "q_p", "tau2_estimator"]] = [
        12, ref("RR_DL_z", "q_p")[0], "DL"]
    rep = reproduce(pub, {"bcg": spec}, pooled_all, empty, empty, sub if sub is not None else subgroups(), small,
                    conventions={"bcg": {"i2": "tau2"}})
    return rep.set_index("result_id")


def test_heterogeneity_and_prediction_interval_figures_are_compared_with_ours_of_that_kind():
    """metafor's DL fit of dat.bcg prints tau^2 0.3088, I^2 92.12%, Q(df = 12) = 152.2330 and the prediction
    interval of predict(); each is compared with our figure of the same kind, never with the pool."""
    het = figure("het", "heterogeneity", tau2=f"{ref('RR_DL_z', 'tau2')[0]:.4f}", q=f"{ref('RR_DL_z', 'q')[0]:.4f}",
                 q_df="12", q_p="<.0001", i2=f"{ref('RR_DL_z', 'i2')[0]:.2f}", k="13")
    pi = figure("pi", "prediction_interval", estimate="0.4896", ci_low=f"{np.exp(ref('RR_DL_z', 'pi_low')[0]):.4f}",
                ci_high=f"{np.exp(ref('RR_DL_z', 'pi_high')[0]):.4f}")
    rep = run_kinds([het, pi])
    assert rep.loc["het"].status == "reproduced", rep.loc["het"].reason
    assert rep.loc["het"].reason == "τ², Q, df, P(Q), I² and k agree within the published rounding"
    assert rep.loc["pi"].status == "reproduced" and rep.loc["pi"].reason.startswith("estimate and PI agree")
    wrong = run_kinds([het | {"q": "150.1234"}]).loc["het"]
    assert wrong.status == "partial" and "Q differs (ours 152.2, published 150.1234)" in wrong.reason
    assert "missing" not in wrong.reason and "not identified" not in wrong.reason  # 13 of 13 pooled


def test_a_partial_names_missing_trials_only_when_some_are_missing():
    rep = run_kinds([figure("more", "pooled", estimate="0.4896", k="14")]).loc["more"]
    assert rep.status == "partial"
    assert rep.reason.endswith("k differs (ours 13 of 14 published); 1 trial(s) the review pooled are not "
                               "identified in the ledger")


def test_trim_and_fill_is_compared_with_our_trim_and_fill_not_the_pool():
    """metafor's trimfill() of the DL fit (tests/reference/metafor_reference.csv, TRIMFILL_DL): its k0 studies added
    and adjusted estimate, printed as a review would; the pool's own estimate differs, and is not what it meets."""
    est, se, k0 = (ref("TRIMFILL_DL", q)[0] for q in ("estimate", "se", "k0"))
    lo, hi = est - 1.959963984540054 * se, est + 1.959963984540054 * se
    small = pd.DataFrame([{"review": "bcg", "outcome": "rr_dl", "k": 13, "trimfill_k0": k0, "trimfill_side": "left",
                           "trimfill_estimate": est, "trimfill_ci_low": lo, "trimfill_ci_high": hi}])
    tf = figure("tf", "trim_and_fill", estimate=f"{np.exp(est):.2f}", ci_low=f"{np.exp(lo):.2f}",
                ci_high=f"{np.exp(hi):.2f}", k_added=f"{k0:.0f}")
    assert f"{np.exp(est):.2f}" != "0.49"  # not the pool's 0.4896
    row = run_kinds([tf], small=small).loc["tf"]
    assert row.status == "reproduced", row.reason
    assert "k added, estimate and CI agree" in row.reason


def test_small_study_tests_each_meet_ours_and_one_we_do_not_compute_says_so():
    """Harbord's test of dat.bcg (Harbord et al. 2006's regression computed in R: conventions_reference.csv) as
    a review would print it; a test of a kind this analysis does not compute is not_computed, never partial."""
    t, df, p = (conv("HARBORD", q)[0] for q in ("t", "df", "p"))
    small = pd.DataFrame([{"review": "bcg", "outcome": "rr_dl", "k": 13, "egger_t": conv("EGGER_RR", "t")[0],
                           "egger_df": 11, "egger_p": conv("EGGER_RR", "p")[0], "harbord_t": t, "harbord_df": df,
                           "harbord_p": p}])
    harbord = figure("harbord", "small_study_test", test="harbord", stat=f"{t:.2f}", stat_df=f"{df:.0f}",
                     p=f"{p:.4f}", k="13")
    peters = figure("peters", "small_study_test", test="peters", stat="1.23", p="0.25")
    rep = run_kinds([harbord, peters], small=small)
    assert rep.loc["harbord"].status == "reproduced", rep.loc["harbord"].reason
    assert rep.loc["harbord"].reason.startswith(f"our Harbord test: t = {t:.2f}, df = 11")
    assert rep.loc["peters"].status == "not_computed" and "Peters" in rep.loc["peters"].reason
    off = run_kinds([harbord]).loc["harbord"]  # the small-study tests switched off
    assert off.status == "not_computed" and "small_study_test (harbord)" in off.reason


def test_a_subgroup_pool_and_a_leave_one_out_row_meet_ours():
    """metafor's DL pool of the 'random' allocation subgroup (SUBGROUP_alloc_DL) and its leave-one-out fit without
    the first trial (LOO_DL, Aronson 1948)."""
    est, se = ref("SUBGROUP_alloc_DL", "estimate"), ref("SUBGROUP_alloc_DL", "se")
    sub = subgroups().assign(estimate=est, ci_low=est - 1.959963984540054 * se,
                             ci_high=est + 1.959963984540054 * se, p=np.nan, i2=np.nan)
    pool = figure("sub_random", "subgroup_pool", analysis="subgroup:alloc", subgroup="random",
                  estimate=f"{np.exp(est[1]):.4f}", k="7")
    loo_est = ref("LOO_DL", "estimate")
    loo = pd.DataFrame({"review": "bcg", "outcome": "rr_dl", "analysis": "leave_one_out", "k": 12,
                        "estimate": np.exp(loo_est), "ci_low": np.nan, "ci_high": np.nan, "p": np.nan,
                        "i2": np.nan, "omitted": [f"t{i}" for i in range(13)]})
    one = figure("loo_1", "leave_one_out", subgroup="t0", estimate=f"{np.exp(loo_est[0]):.4f}", k="12")
    rep = run_kinds([pool, one], pooled_rows=loo, sub=sub)
    assert rep.loc["sub_random"].status == "reproduced", rep.loc["sub_random"].reason
    assert rep.loc["loo_1"].status == "reproduced", rep.loc["loo_1"].reason
    other = run_kinds([pool | {"subgroup": "latitude"}], sub=sub).loc["sub_random"]
    assert other.status == "not_reproducible" and "alternate, random, systematic" in other.reason


def test_a_common_effect_test_for_subgroup_differences_meets_ours_of_that_kind():
    """R meta prints the test for subgroup differences under the common effect model beside the random-effects one;
    a figure marked test 'fixed' meets our common-effect test (FESUB_RR: metafor's EE pools and their Q)."""
    q, p = conv("FESUB_RR", "q_between")[0], conv("FESUB_RR", "q_between_p")[0]
    sub = subgroups().assign(q_fixed=q, q_fixed_df=2, q_fixed_p=p)
    fig = figure("fixed_test", "subgroup_test", analysis="subgroup:alloc", test="fixed", stat=f"{q:.2f}",
                 stat_df="2", p=f"{p:.4f}")
    row = run_kinds([fig], sub=sub).loc["fixed_test"]
    assert row.status == "reproduced", row.reason
    assert "each subgroup pooled under a common effect" in row.reason.split("beside it")[0]


def test_the_forest_plots_published_diamond_is_the_pool_not_another_kind_of_figure():
    """A trim-and-fill figure listed first in the spec is still not drawn as the review's pooled figure (metafor's
    dat.bcg RR DL pool: 0.4896 [0.3449, 0.6950], bcg_published.csv)."""
    from ketamine_ma.outputs.forest_rows import published_figure

    tf = figure("tf", "trim_and_fill", estimate="0.52", ci_low="0.36", ci_high="0.73", k_added="1")
    pub = pd.concat([pd.DataFrame([tf]), PUBLISHED], ignore_index=True)
    drawn = published_figure(pub, "bcg", ["tf", "rr_dl"])
    assert drawn["result_id"] == "rr_dl" and drawn["estimate"] == pytest.approx(0.4896)
