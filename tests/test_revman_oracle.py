"""The engine against RevMan 5's own stored results (Fleiss 1993 aspirin trials, tests/data/Fleiss1993.rm5,
from R package meta's inst/extdata): every stored overall and per-study number, to the digits RevMan stores."""

from pathlib import Path

import numpy as np
import pytest

from ketamine_ma.engine import effects as ef
from ketamine_ma.engine import mantel_haenszel as mh
from ketamine_ma.engine.rm5 import Rm5Error, read_rm5

RM5 = Path(__file__).parent / "data" / "Fleiss1993.rm5"


@pytest.fixture(scope="module")
def fleiss():
    analyses, studies = read_rm5(RM5)
    a = analyses.set_index("analysis_id").loc["CMP-001.01"]
    s = studies[studies.analysis_id == "CMP-001.01"]
    return a, s


def test_reader_finds_both_analyses():
    analyses, studies = read_rm5(RM5)
    assert list(analyses.analysis_id) == ["CMP-001.01", "CMP-001.02"]
    assert (studies.analysis_id == "CMP-001.01").sum() == 7
    assert set(studies.study[studies.analysis_id == "CMP-001.01"]) >= {"ISIS-2", "MRC-1", "AMIS"}


def test_mh_or_fixed_matches_revman(fleiss):
    a, s = fleiss
    assert (a.effect_measure, a.method, a.random) == ("OR", "MH", False)
    r = mh.mh_meta(s.events_1, s.total_1, s.events_2, s.total_2, "OR", "fixed", zero_rule="revman")
    np.testing.assert_allclose(np.exp([r.estimate, r.ci_low, r.ci_high]), [a.effect_size, a.ci_start, a.ci_end],
                               rtol=1e-12)
    np.testing.assert_allclose(abs(r.stat), a.z, rtol=1e-12)
    np.testing.assert_allclose(r.p, a.p_z, rtol=1e-9)
    np.testing.assert_allclose(r.q, a.chi2, rtol=1e-12)
    assert r.q_df == a.df
    np.testing.assert_allclose(r.i2, a.i2, rtol=1e-12)
    # RevMan's own chi-square routine differs from scipy's in the 8th significant digit.
    np.testing.assert_allclose(r.q_p, a.p_chi2, rtol=1e-6)
    assert a.tau2 == 0 and r.tau2 == 0


def test_per_study_values_match_revman(fleiss):
    _, s = fleiss
    r = mh.mh_meta(s.events_1, s.total_1, s.events_2, s.total_2, "OR", "fixed", zero_rule="revman")
    np.testing.assert_allclose(r.weights, s.weight, rtol=1e-12)
    yi, vi, _ = ef.two_by_two(s.events_1, s.total_1, s.events_2, s.total_2, "OR", rule="revman")
    np.testing.assert_allclose(np.exp(yi), s.effect_size, rtol=1e-12)
    np.testing.assert_allclose(vi, s["var"], rtol=1e-12)
    np.testing.assert_allclose(np.sqrt(vi), s.se, rtol=1e-12)
    np.testing.assert_allclose(np.exp(yi - 1.959963984540054 * np.sqrt(vi)), s.ci_start, rtol=1e-9)


def test_per_study_intervals_match_revman(fleiss):
    """The estimate and 95% CI a forest plot prints per study, from the engine, as RevMan stored them."""
    _, s = fleiss
    yi, vi, _ = ef.two_by_two(s.events_1, s.total_1, s.events_2, s.total_2, "OR", rule="revman")
    est, lo, hi = ef.study_intervals(yi, vi, "OR")
    np.testing.assert_allclose(est, s.effect_size, rtol=1e-12)
    np.testing.assert_allclose(lo, s.ci_start, rtol=1e-9)
    np.testing.assert_allclose(hi, s.ci_end, rtol=1e-9)


def test_malformed_rm5_names_the_file(tmp_path):
    bad = tmp_path / "bad.rm5"
    bad.write_text("<COCHRANE_REVIEW><ANALYSES_AND_DATA>")
    with pytest.raises(Rm5Error, match="bad.rm5"):
        read_rm5(bad)
    wrong = tmp_path / "wrong.rm5"
    wrong.write_text('<COCHRANE_REVIEW><COMPARISON><DICH_OUTCOME ID="X" CHI2="abc"/></COMPARISON></COCHRANE_REVIEW>')
    with pytest.raises(Rm5Error, match="CHI2"):
        read_rm5(wrong)
