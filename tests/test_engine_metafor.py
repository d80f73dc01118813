"""Every estimate, CI bound, SE, τ², I², Q and p of the engine against R's metafor.

Reference values: tests/reference/metafor_reference.csv, written by tests/reference/generate_metafor.R
(metafor 3.8-1 from Debian). The live_r test (`make test`) regenerates them in R now and checks that the committed
file still matches metafor.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import COMMITTED, read_reference, regenerate

from ketamine_ma.engine import effects as ef
from ketamine_ma.engine import mantel_haenszel as mh
from ketamine_ma.engine import pooling as po
from ketamine_ma.engine import sensitivity as sens
from ketamine_ma.engine import subgroups as sg
from ketamine_ma.stages import analysis as stage

FIX = Path(__file__).parent / "reference" / "fixtures"
RTOL = 1e-6
ATOL = 1e-9


def close(ours, ref, rtol=RTOL, atol=ATOL):
    ours = np.atleast_1d(np.asarray(ours, float))
    ref = np.atleast_1d(np.asarray(ref, float))
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=atol)


def fixture(name):
    return pd.read_csv(FIX / f"{name}.csv")


def escalc(d, measure):
    if measure in ("MD", "SMD"):
        args = (d.m1i, d.sd1i, d.n1i, d.m2i, d.sd2i, d.n2i)
        return ef.md(*args) if measure == "MD" else ef.smd(*args)
    if measure in ("RR", "OR", "RD"):
        yi, vi, _ = ef.two_by_two(d.ai, d.n1i, d.ci, d.n2i, measure, rule="metafor")
        return yi, vi
    if measure in ef.PROPORTION_MEASURES:
        return ef.proportion(d.xi, d.ni, measure)
    raise KeyError(measure)


def groups(reference):
    return [(f, a, g) for (f, a), g in reference.groupby(["fixture", "analysis"], sort=True)]


def values(g):
    return {q: gg.sort_values("i")["value"].to_numpy() for q, gg in g.groupby("quantity")}


def pipeline_sensitivity(d, head, method):
    """Leave-one-out or cumulative pools of dat.bcg's log risk ratios by the code the analyse job runs: the stage's
    functions on a study table (trial, year, 2x2 counts), pooled as a review pooling RR by inverse variance."""
    table = pd.DataFrame({"trial_id": d.study, "year": d.year, "ai": d.ai, "n1": d.n1i, "ci": d.ci, "n2": d.n2i})
    settings = {"measure": "RR", "method": "IV", "model": "random", "tau2_estimator": method, "ci_method": "wald",
                "zero_rule": "revman", "pi_method": "metafor"}
    rows = pd.DataFrame(stage.leave_one_out(table, settings) if head == "LOO" else
                        stage.cumulative(table, settings))
    key, expected = ("omitted", d.study) if head == "LOO" else ("added", d.sort_values("year", kind="stable").study)
    assert list(rows[key]) == list(expected)
    return {"estimate": np.log(rows.estimate), "se": rows.se, "tau2": rows.tau2, "q": rows.q}


def ours_for(fx, analysis):
    """Our quantities for one reference (fixture, analysis) group."""
    if fx == "inline_mc":
        yi, vi = ef.mean_change([6.1, 7.4, 5.9], [1.5, 2.0, 1.1], [3.2, 4.0, 4.4], [2.2, 2.5, 1.9], [12, 30, 18], 0.5)
        # metafor's MC is m1 − m2 (pre minus post here); ours is post − pre.
        return {"yi": -yi, "vi": vi}
    d = fixture(fx) if fx != "inline_mc" else None
    head, *rest = analysis.split("_")
    if head == "escalc":
        yi, vi = escalc(d, rest[0])
        return {"yi": yi, "vi": vi}
    if head in ("MH", "MHRANDOM", "MHCC"):
        meas = rest[0]
        rule = "metafor" if head == "MH" else "revman"
        r = mh.mh_meta(d.ai, d.n1i, d.ci, d.n2i, meas, "random" if head == "MHRANDOM" else "fixed", zero_rule=rule)
        return r.as_row()
    if head == "SUBGROUP":
        yi, vi, _ = ef.two_by_two(d.ai, d.n1i, d.ci, d.n2i, "RR", rule="metafor")
        per, test = sg.subgroup_analysis(yi, vi, d[rest[0]].to_numpy(), rest[1])
        return {"estimate": per.estimate, "se": per.se, "tau2": per.tau2, "q_between": test["q_between"],
                "q_between_df": test["df"], "q_between_p": test["p"], "q_between_i2": test["i2"],
                "qm": test["qm"], "qm_df": test["qm_df"], "qm_p": test["qm_p"], "qm_tau2": test["qm_tau2"]}
    if head in ("LOO", "CUMUL", "EGGER", "INFLUENCE", "TRIMFILL"):
        yi, vi, _ = ef.two_by_two(d.ai, d.n1i, d.ci, d.n2i, "RR", rule="metafor")
        if head == "EGGER":
            return sens.egger(yi, vi)
        if head == "INFLUENCE":
            rows = pd.DataFrame(sens.influence(yi, vi, "random", "REML"))
            return {"rstudent": rows.rstudent, "dffits": rows.dffits, "cook.d": rows.cook_d, "cov.r": rows.cov_r,
                    "tau2.del": rows.tau2_del, "QE.del": rows.q_del, "hat": rows.hat, "weight": rows.weight,
                    "dfbetas": rows.dfbetas}
        if head == "TRIMFILL":
            tf = sens.trim_and_fill(yi, vi, "fixed" if rest[0] == "EE" else "random", rest[0])
            return {"k0": tf["k0"], "estimate": tf["fit"].estimate, "se": tf["fit"].se, "tau2": tf["fit"].tau2}
        return pipeline_sensitivity(d, head, rest[-1])
    if head == "METAREG":
        yi, vi, _ = ef.two_by_two(d.ai, d.n1i, d.ci, d.n2i, "RR", rule="metafor")
        return sg.meta_regression(yi, vi, d.ablat.to_numpy(), rest[1])
    meas, method, test = head, rest[0], rest[1]
    yi, vi = (d.yi.to_numpy(), d.vi.to_numpy()) if meas == "GEN" else escalc(d, meas)
    ok = vi > 0
    yi, vi = np.asarray(yi)[ok], np.asarray(vi)[ok]
    model = "fixed" if method == "FE" else "random"
    r = po.inverse_variance(yi, vi, model, method, "knha" if test == "knha" else "wald").as_row()
    if meas in ef.PROPORTION_MEASURES:
        ni = d.ni.to_numpy()[ok]
        for key in ("estimate", "ci_low", "ci_high"):
            r["back_" + key] = ef.back_transform(r[key], meas, ni)
    return r


REFERENCE = read_reference(COMMITTED)

# Tolerances looser than 1e-6, each with its reason:
LOOSER = {
    # PyMARE's ML/REML optimiser stops at xtol 1e-6 (PyMARE validation/metafor README: ~3e-5 relative).
    "METAREG_ablat_REML": 1e-4,
    # metafor's trimfill() refits the filled data with its default REML threshold (1e-5), not the tightened one.
    "TRIMFILL_REML": 1e-5,
}


@pytest.mark.parametrize("fx,analysis,g", groups(REFERENCE), ids=lambda x: x if isinstance(x, str) else "")
def test_against_metafor(fx, analysis, g):
    ours = ours_for(fx, analysis)
    ref = values(g)
    assert ref, "reference group is empty"
    for q, v in ref.items():
        ov = ours[q]
        if q == "h2" and np.isnan(v).all():
            continue
        close(ov, v, rtol=LOOSER.get(analysis, RTOL), atol=1e-8 if q in ("tau2", "tau2_ci_low") else ATOL)


@pytest.mark.live_r
def test_committed_reference_matches_live_metafor(tmp_path):
    """metafor run now gives the committed reference to 1e-12, so test_against_metafor, which holds the engine to
    the committed values, holds it to metafor's live values too."""
    live = regenerate("generate_metafor.R", tmp_path / "metafor_reference.csv")
    committed = REFERENCE
    assert len(live) == len(committed)
    merged = committed.merge(live, on=["fixture", "analysis", "quantity", "i"], suffixes=("_c", "_l"))
    assert len(merged) == len(committed)
    np.testing.assert_allclose(merged.value_c, merged.value_l, rtol=1e-12, atol=1e-14, equal_nan=True)


@pytest.mark.live_r
def test_committed_conventions_reference_and_data_match_live_metafor(tmp_path):
    """generate_conventions.R run now writes the committed data sets of tests/reference/conventions/ and gives the
    committed conventions_reference.csv to 1e-12, so the test_example_*.py checks hold the engine to metafor live."""
    (tmp_path / "tests/reference").mkdir(parents=True)  # the script writes its data sets under the folder it runs in
    live = regenerate("generate_conventions.R", tmp_path / "conventions_reference.csv", cwd=tmp_path)
    committed = read_reference(COMMITTED.parent / "conventions_reference.csv")
    assert len(live) == len(committed)
    merged = committed.merge(live, on=["fixture", "analysis", "quantity", "i"], suffixes=("_c", "_l"))
    assert len(merged) == len(committed)
    np.testing.assert_allclose(merged.value_c, merged.value_l, rtol=1e-12, atol=1e-14, equal_nan=True)
    written = sorted((tmp_path / "tests/reference/conventions").glob("*.csv"))
    assert [f.name for f in written] == sorted(f.name for f in (COMMITTED.parent / "conventions").glob("*.csv"))
    for f in written:
        pd.testing.assert_frame_equal(pd.read_csv(f), pd.read_csv(COMMITTED.parent / "conventions" / f.name))
