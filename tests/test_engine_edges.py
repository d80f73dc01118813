"""Edge cases the engine must handle with a clear outcome (values checked against metafor in
test_engine_metafor.py for the fixtures edge_k1, edge_k2, edge_identical, edge_extreme_v, edge_double_zero)."""

import numpy as np
import pytest

from ketamine_ma import effects as ef
from ketamine_ma import pooling as po


def test_k1_says_so():
    r = po.random_effects([0.4], [0.09], "REML", "knha")
    assert r.k == 1 and r.tau2 == 0 and "k = 1" in r.note
    assert r.ci_method == "knha" and r.ci_high - r.ci_low == pytest.approx(2 * 1.959963984540054 * 0.3)


def test_k2_note():
    assert "k = 2" in po.random_effects([0.2, 0.9], [0.04, 0.09]).note


def test_double_zero_excluded_by_revman_kept_by_metafor():
    ai, n1, ci, n2 = [0, 3], [15, 20], [0, 1], [15, 20]
    y_rev, _, keep_rev = ef.two_by_two(ai, n1, ci, n2, "RR", "revman")
    y_mf, v_mf, keep_mf = ef.two_by_two(ai, n1, ci, n2, "RR", "metafor")
    assert list(keep_rev) == [False, True] and np.isnan(y_rev[0])
    assert list(keep_mf) == [True, True] and y_mf[0] == 0
    # RD keeps double-zero studies under both rules.
    assert ef.two_by_two(ai, n1, ci, n2, "RD", "revman")[2].all()


def test_all_zero_events_in_one_arm_pools():
    r = po.mh_meta([3, 5, 2], [20, 25, 30], [0, 0, 0], [20, 24, 28], "RR", zero_rule="revman")
    assert np.isfinite(r.estimate) and np.isfinite(r.se) and r.estimate > 0


def test_all_double_zero_is_an_error():
    with pytest.raises(ValueError, match="double-zero"):
        po.mh_meta([0, 0], [10, 10], [0, 0], [10, 10], "OR")


@pytest.mark.parametrize("bad", [([0.1, np.nan], [1, 1]), ([0.1, 0.2], [1, 0]), ([], [])])
def test_invalid_input_rejected(bad):
    with pytest.raises(ValueError):
        po.random_effects(*bad)


def test_unknown_names_rejected():
    with pytest.raises(ValueError, match="allowed"):
        po.tau2([0.1, 0.2], [0.1, 0.1], "XX")
    with pytest.raises(ValueError, match="allowed"):
        ef.two_by_two([1], [10], [1], [10], "RR", rule="cochrane")
