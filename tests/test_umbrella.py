"""Overlap and the corrected covered area against Pieper et al. (2014)'s definition on a hand-checkable case."""

import pandas as pd
import pytest

from ketamine_ma.outputs.umbrella import overlap


def test_cca_worked_example():
    # 3 reviews, 4 distinct trials, 6 inclusions: CCA = (6 - 4) / (4*3 - 4) = 0.25 (Pieper 2014 formula).
    m = pd.DataFrame({"review": ["a", "a", "b", "b", "c", "c"], "trial_id": ["t1", "t2", "t2", "t3", "t3", "t4"],
                      "status": ["confirmed"] * 6})
    mat, cca = overlap(m, ["a", "b", "c"])
    assert cca == pytest.approx(0.25)
    assert mat.loc["a", "b"] == 1 and mat.loc["a", "c"] == 0 and mat.loc["b", "b"] == 2


def test_no_overlap_is_zero():
    m = pd.DataFrame({"review": ["a", "b"], "trial_id": ["t1", "t2"], "status": ["confirmed"] * 2})
    assert overlap(m, ["a", "b"])[1] == 0
