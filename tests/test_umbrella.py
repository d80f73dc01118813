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


def test_reviews_that_print_no_published_figure_yet_give_an_empty_table_and_a_plot_that_says_so(tmp_path):
    """A review new to the project has no published figure until a worksheet's published sheet gives one: its
    first full run draws the umbrella table and plot all the same."""
    from ketamine_ma.outputs import plots
    from ketamine_ma.outputs.umbrella import umbrella_table

    pub = pd.DataFrame(columns=["review", "result_id", "outcome", "timepoint", "measure", "estimate", "ci_low",
                                "ci_high", "scale", "p", "k", "n", "source_kind"])
    m = pd.DataFrame({"review": ["a"], "trial_id": ["t2000"], "status": ["confirmed"]})
    table = umbrella_table(pub, m, ["a"])
    assert table.empty and {"review", "measure", "estimate", "k_review"} <= set(table.columns)
    plots.umbrella_forest(table, [str(tmp_path / "umbrella.svg")], 100)
    assert "No published pooled figure" in (tmp_path / "umbrella.svg").read_text()
