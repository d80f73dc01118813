"""results/summary/pooled.csv is checked before it is written: one row per review, analysis, primary or
sensitivity analysis and omitted or added trial (issue 10: every leave-one-out block used to appear twice)."""

import pandas as pd
import pandera.errors
import pytest

from ketamine_ma.stages.summary import summary

# results/summary/pooled.csv's columns, in order: the output contract (README "What comes out"), written out here
# so that a change to the module's list fails this test instead of redefining what it checks.
POOLED_CSV_COLUMNS = ["review", "outcome", "timepoint", "analysis", "measure", "method", "tau2_estimator",
                      "ci_method", "k", "n_participants", "estimate", "ci_low", "ci_high", "se", "p", "tau2", "i2",
                      "q", "q_df", "q_p", "pi_low", "pi_high", "tau2_ci_low", "tau2_ci_high", "h2", "stat", "scale",
                      "trials", "note", "omitted", "added"]


def rows(analysis, trials, column=None):
    out = pd.DataFrame({"review": "bcg", "outcome": "rr_dl", "analysis": analysis, "k": 12}, index=range(len(trials)))
    if column:
        out[column] = trials
    return out


def test_one_row_per_key_passes_and_keeps_every_column():
    frames = [rows("primary", [None]), rows("leave_one_out", ["aronson1948", "ferguson1949"], "omitted"),
              rows("cumulative", ["aronson1948", "ferguson1949"], "added"), rows("tau2_REML", [None])]
    out = summary(frames)
    assert len(out) == 6
    assert list(out.columns) == POOLED_CSV_COLUMNS


def test_no_leave_one_out_rows_still_gives_the_key_columns():
    assert list(summary([rows("primary", [None])]).columns)[-2:] == ["omitted", "added"]


@pytest.mark.parametrize("frames", [
    [rows("primary", [None]), rows("primary", [None])],
    [rows("leave_one_out", ["aronson1948", "ferguson1949"], "omitted")] * 2,  # the block read twice
    [rows("cumulative", ["aronson1948", "aronson1948"], "added")],
])
def test_duplicated_key_is_rejected(frames):
    with pytest.raises(pandera.errors.SchemaError, match="not unique"):
        summary(frames)


def test_same_trial_omitted_in_two_analyses_is_not_a_duplicate():
    a = rows("leave_one_out", ["aronson1948"], "omitted")
    assert len(summary([a, a.assign(outcome="or_dl"), a.assign(review="fleiss1993")])) == 3
