"""Conversions against the Cochrane Handbook's worked examples and against known population values."""

import numpy as np
import pytest

from ketamine_ma.engine import conversions as cv


def test_sd_from_ci_large_sample_uses_3_92():
    # Handbook §6.5.2.2: for large n the 95% CI is 3.92 SEs wide.
    n, sd = 400, 5.0
    half = 1.959963984540054 * sd / np.sqrt(n)
    assert cv.sd_from_ci(10 - half, 10 + half, n, dist="z") == pytest.approx(sd, rel=1e-12)
    # With t(n−1) the small-sample SD is smaller than the z-based one for the same interval.
    assert cv.sd_from_ci(9, 11, 10, dist="t") < cv.sd_from_ci(9, 11, 10, dist="z")
    with pytest.raises(ValueError, match="exceeds"):
        cv.sd_from_ci(2, 1, 10)


def test_sd_from_se():
    assert cv.sd_from_se(0.51, 30) == pytest.approx(0.51 * np.sqrt(30))


def test_combine_arms_equals_pooled_sample():
    rng = np.random.default_rng(7)
    a, b = rng.normal(3, 1, 13), rng.normal(5, 2, 21)
    n, m, sd = cv.combine_arms(len(a), a.mean(), a.std(ddof=1), len(b), b.mean(), b.std(ddof=1))
    both = np.concatenate([a, b])
    assert (n, m, sd) == (34, pytest.approx(both.mean()), pytest.approx(both.std(ddof=1)))


def test_vas_to_nrs():
    assert cv.to_nrs(55, "vas_0_100") == pytest.approx(5.5)
    with pytest.raises(ValueError):
        cv.to_nrs(3, "percent_relief")


def test_multi_arm_binary_arms_are_summed():
    import pandas as pd

    from ketamine_ma.ledger.studies import assemble

    rows = pd.DataFrame(
        [
            {"extract_id": f"x{i}", "trial_id": "t2000", "outcome": "nausea", "arm": arm, "statistic": st,
             "value": v, "scale": "count"}
            for i, (arm, st, v) in enumerate([("experimental", "events", 4), ("experimental", "n", 20),
                                              ("experimental_2", "events", 7), ("experimental_2", "n", 20),
                                              ("control", "events", 2), ("control", "n", 20)])
        ]
    )
    combined = assemble(rows, rows, "RR", "sd", "combine")
    assert combined.cells[("experimental", "events")] == 11 and combined.cells[("experimental", "n")] == 40
    first = assemble(rows, rows, "RR", "sd", "first")
    assert first.cells[("experimental", "events")] == 4 and first.cells[("experimental", "n")] == 20
    assert not first.missing("RR") and any("not used" in line for line in first.log)
