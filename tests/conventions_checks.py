"""The engine under each software convention against metafor 3.8 on one data set of
tests/reference/conventions/ (tests/reference/generate_conventions.R wrote both the data and
tests/reference/conventions_reference.csv): the zero-cell corrections, I² from Q and from τ² under every τ²
estimator, the Mantel-Haenszel common effect with its Q, Mantel-Haenszel within subgroups and the test between
them, and Egger's, Peters' and Harbord's tests. The test_example_<data set>.py files run these on their data set."""

import numpy as np
import pandas as pd
from conftest import REF_DIR, read_reference

from ketamine_ma.engine import effects as ef
from ketamine_ma.engine import mantel_haenszel as mh
from ketamine_ma.engine import pooling as po
from ketamine_ma.engine import sensitivity as sens
from ketamine_ma.stages import analysis
from ketamine_ma.stages.specs import conventions

REF = read_reference(REF_DIR / "conventions_reference.csv")
ESTIMATORS = ("DL", "REML", "ML", "PM", "HS", "SJ", "HE")
TO = ("only0", "all", "if0all", "none")


def data(fixture):
    return pd.read_csv(REF_DIR / "conventions" / f"{fixture}.csv")


def ref(fixture, analysis_, quantity):
    g = REF[(REF.fixture == fixture) & (REF.analysis == analysis_) & (REF.quantity == quantity)]
    assert len(g), f"no metafor reference {fixture} {analysis_} {quantity}"
    return g.sort_values("i").value.to_numpy()


def zero_cells(fixture, measure, to, add, drop00):
    """escalc(measure, add, to, drop00): the corrected estimates and variances; a dropped study is NA in both."""
    d = data(fixture)
    rule = ef.ZeroRule(add=add, to=to, drop00=drop00)
    with np.errstate(divide="ignore", invalid="ignore"):
        yi, vi, _ = ef.two_by_two(d.ai, d.n1i, d.ci, d.n2i, measure, rule)
    an = f"escalc_{measure}_{to}_{add:g}_{'drop00' if drop00 else 'keep00'}"
    want_y, want_v = ref(fixture, an, "yi"), ref(fixture, an, "vi")
    # metafor gives NA where a log ratio of a zero cell is infinite (to = "none")
    finite = np.isfinite(want_y)
    np.testing.assert_allclose(yi[finite], want_y[finite], rtol=1e-12)
    np.testing.assert_allclose(vi[finite], want_v[finite], rtol=1e-12)
    assert not np.isfinite(yi[~finite]).any() or to == "none"


def i2_both_ways(fixture, measure, estimator):
    """metafor's I² (from τ²) and (Q − df)/Q, from one fit under escalc's default correction."""
    d = data(fixture)
    yi, vi, keep = ef.two_by_two(d.ai, d.n1i, d.ci, d.n2i, measure, "metafor")
    an = f"I2_{measure}_{estimator}"
    for basis, quantity in (("tau2", "i2_tau2"), ("q", "i2_q")):
        r = po.inverse_variance(yi[keep], vi[keep], "random", estimator, tau2_ci=False, i2_from=basis)
        np.testing.assert_allclose(r.tau2, ref(fixture, an, "tau2")[0], rtol=1e-6, atol=1e-10)
        np.testing.assert_allclose(r.q, ref(fixture, an, "q")[0], rtol=1e-10)
        np.testing.assert_allclose(r.i2, ref(fixture, an, quantity)[0], rtol=1e-6, atol=1e-8)


def mh_common_effect(fixture, measure):
    """rma.mh: the exact MH estimate and its SE, Q on the corrected study estimates and I² (the metafor preset)."""
    d = data(fixture)
    r = mh.mh_meta(d.ai, d.n1i, d.ci, d.n2i, measure, "fixed", zero_rule=_rule("metafor"))
    an = f"MH_{measure}"
    np.testing.assert_allclose([r.estimate, r.se], [ref(fixture, an, "estimate")[0], ref(fixture, an, "se")[0]],
                               rtol=1e-10)
    np.testing.assert_allclose([r.q, r.q_p, r.i2], [ref(fixture, an, q)[0] for q in ("q", "q_p", "i2")], rtol=1e-9)
    assert r.q_df == ref(fixture, an, "k_q")[0] - 1


def _rule(preset):
    return analysis.settings_of(conventions({"conventions": {"preset": preset}}))["zero_rule"]


def mh_subgroups(fixture, measure):
    """The analyse stage's subgroups of a Mantel-Haenszel analysis under the metafor preset: each subgroup's
    rma.mh and the fixed-effect Q across them."""
    d = data(fixture).rename(columns={"n1i": "n1", "n2i": "n2", "study": "trial_id"})
    settings = {"measure": measure, "method": "MH", "model": "fixed", "tau2_estimator": "DL", "ci_method": "wald",
                **analysis.settings_of(conventions({"conventions": {"preset": "metafor"}}))}
    studies = analysis.effect_sizes(d, measure, settings["zero_rule"])
    per, test = analysis.subgroups(studies, settings, "group")
    an = f"MHSUB_{measure}"
    np.testing.assert_allclose(per.estimate, ref(fixture, an, "estimate"), rtol=1e-10)
    np.testing.assert_allclose(per.se, ref(fixture, an, "se"), rtol=1e-10)
    np.testing.assert_allclose([test["q_between"], test["p"]],
                               [ref(fixture, an, "q_between")[0], ref(fixture, an, "q_between_p")[0]], rtol=1e-9)
    return per, test


def small_study_tests(fixture, measure):
    """Egger (regtest, model = "lm"), Peters (predictor = "ninv") and Harbord (Harbord et al. 2006's regression)."""
    d = data(fixture)
    yi, vi, keep = ef.two_by_two(d.ai, d.n1i, d.ci, d.n2i, measure, "metafor")
    ok = keep & np.isfinite(yi)
    n = (d.n1i + d.n2i).to_numpy()
    for name, got in (("EGGER", sens.egger(yi[ok], vi[ok])), ("PETERS", sens.peters(yi[ok], vi[ok], n[ok]))):
        an = f"{name}_{measure}"
        np.testing.assert_allclose([got["t"], got["p"]], [ref(fixture, an, "t")[0], ref(fixture, an, "p")[0]],
                                   rtol=1e-9)
        assert got["df"] == ref(fixture, an, "df")[0]
    h = sens.harbord(d.ai, d.n1i, d.ci, d.n2i)
    np.testing.assert_allclose([h["t"], h["p"], h["bias"]],
                               [ref(fixture, "HARBORD", q)[0] for q in ("t", "p", "bias")], rtol=1e-9)
    assert h["df"] == ref(fixture, "HARBORD", "df")[0]


def common_effect_subgroup_test(fixture, measure):
    """The analyse stage's common-effect test for subgroup differences of a random-effects analysis (R meta's
    "common effect model" test): each subgroup's inverse-variance common-effect pool and Q across them."""
    d = data(fixture).rename(columns={"n1i": "n1", "n2i": "n2", "study": "trial_id"})
    settings = {"measure": measure, "method": "IV", "model": "random", "tau2_estimator": "DL", "ci_method": "wald",
                **analysis.settings_of(conventions({"conventions": {"preset": "metafor"}}))}
    studies = analysis.effect_sizes(d, measure, settings["zero_rule"])
    _, test = analysis.subgroups(studies, settings, "group")
    an = f"FESUB_{measure}"
    np.testing.assert_allclose([test["q_fixed"], test["q_fixed_p"]],
                               [ref(fixture, an, "q_between")[0], ref(fixture, an, "q_between_p")[0]], rtol=1e-9)
