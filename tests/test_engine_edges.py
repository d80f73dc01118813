"""Edge cases the engine must handle with a clear outcome (values checked against metafor in
test_engine_metafor.py for the fixtures edge_k1, edge_k2, edge_identical, edge_extreme_v, edge_double_zero)."""

import dataclasses

import numpy as np
import pytest

from ketamine_ma.engine import effects as ef
from ketamine_ma.engine import mantel_haenszel as mh
from ketamine_ma.engine import pooling as po
from ketamine_ma.engine import tau2_estimators as t2e


def test_k1_says_so():
    r = po.inverse_variance([0.4], [0.09], "random", "REML", "knha")
    assert r.k == 1 and r.tau2 == 0 and "k = 1" in r.note
    assert r.ci_method == "knha" and r.ci_high - r.ci_low == pytest.approx(2 * 1.959963984540054 * 0.3)


def test_k2_note():
    assert "k = 2" in po.inverse_variance([0.2, 0.9], [0.04, 0.09]).note


def test_double_zero_excluded_by_revman_kept_by_metafor():
    ai, n1, ci, n2 = [0, 3], [15, 20], [0, 1], [15, 20]
    y_rev, _, keep_rev = ef.two_by_two(ai, n1, ci, n2, "RR", "revman")
    y_mf, v_mf, keep_mf = ef.two_by_two(ai, n1, ci, n2, "RR", "metafor")
    assert list(keep_rev) == [False, True] and np.isnan(y_rev[0])
    assert list(keep_mf) == [True, True] and y_mf[0] == 0
    # RD keeps double-zero studies under both rules.
    assert ef.two_by_two(ai, n1, ci, n2, "RD", "revman")[2].all()


def test_all_zero_events_in_one_arm_pools():
    r = mh.mh_meta([3, 5, 2], [20, 25, 30], [0, 0, 0], [20, 24, 28], "RR", zero_rule="revman")
    assert np.isfinite(r.estimate) and np.isfinite(r.se) and r.estimate > 0


def test_all_double_zero_is_an_error():
    with pytest.raises(ValueError, match="double-zero"):
        mh.mh_meta([0, 0], [10, 10], [0, 0], [10, 10], "OR")


@pytest.mark.parametrize("bad", [([0.1, np.nan], [1, 1]), ([0.1, 0.2], [1, 0]), ([], [])])
def test_invalid_input_rejected(bad):
    with pytest.raises(ValueError):
        po.inverse_variance(*bad)


def test_unknown_names_rejected():
    with pytest.raises(ValueError, match="allowed"):
        t2e.tau2([0.1, 0.2], [0.1, 0.1], "XX")
    with pytest.raises(ValueError, match="allowed"):
        ef.two_by_two([1], [10], [1], [10], "RR", rule="cochrane")


def test_a_pooled_result_is_built_once():
    r = po.inverse_variance([0.2, 0.9, 0.4], [0.04, 0.09, 0.05], "random", "REML")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.estimate = 0.0
    with pytest.raises(ValueError, match="read-only"):
        r.weights[0] = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        mh.mh_meta([3, 5], [20, 25], [1, 2], [20, 24], "RR", "random").tau2 = 0.0


def test_the_model_is_an_argument_and_fe_only_a_label():
    yi, vi = [0.2, 0.9, 0.4], [0.04, 0.09, 0.05]
    fixed = po.inverse_variance(yi, vi, "fixed", "REML")
    assert (fixed.model, fixed.tau2_estimator, fixed.tau2) == ("fixed", None, 0.0)
    assert fixed.as_row()["tau2_estimator"] == "FE" and "model" not in fixed.as_row()
    assert po.inverse_variance(yi, vi, "random", "PM").as_row()["tau2_estimator"] == "PM"
    pooled = mh.mh_meta([3, 5], [20, 25], [1, 2], [20, 24], "RR", "random")
    assert (pooled.model, pooled.as_row()["tau2_estimator"]) == ("random", "DL")
    for bad in ("FE", "EE", True):
        with pytest.raises(ValueError, match="allowed: fixed, random"):
            po.inverse_variance(yi, vi, bad)
        with pytest.raises(ValueError, match="allowed: fixed, random"):
            mh.mh_meta([3, 5], [20, 25], [1, 2], [20, 24], "RR", bad)


@pytest.mark.parametrize("reml", [True, False])
def test_one_fit_is_the_one_row_case_of_the_scorer(reml):
    """One Fisher scorer: a single ML/REML fit and the same data as a row of a batch give the same bits."""
    rng = np.random.default_rng(3)
    V = rng.uniform(0.01, 0.5, (40, 7))
    Y = rng.normal(0.2, np.sqrt(V + 0.1))
    batch = t2e.fisher_scoring(Y, V, reml)
    single = [t2e.tau2(y, v, "REML" if reml else "ML") for y, v in zip(Y, V, strict=True)]
    assert list(batch) == single


@pytest.mark.parametrize("measure,fam", [("MD", "continuous"), ("SMD", "continuous"), ("RR", "binary"),
                                         ("OR", "binary"), ("RD", "binary"), ("PR", "proportion"),
                                         ("PLO", "proportion"), ("PFT", "proportion"), ("PAS", "proportion"),
                                         ("MC", "change")])
def test_measure_families(measure, fam):
    assert ef.family(measure) == fam
    assert ef.is_ratio(measure) == (measure in ("RR", "OR"))
    assert ef.scale(measure) == {"RR": "log", "OR": "log", "PLO": "logit", "PFT": "double arcsine",
                                 "PAS": "arcsine", "PR": "proportion"}.get(measure, "natural")


def test_an_unknown_measure_has_no_family():
    with pytest.raises(ValueError, match="unknown measure 'HR'; allowed: MD, SMD, RR, OR, RD, PR, PLO, PFT, PAS, MC"):
        ef.family("HR")
