"""Conversions against the Cochrane Handbook's worked examples and against known population values."""

import numpy as np
import pytest
from scipy import stats

from ketamine_ma.engine import conversions as cv


def test_crossover_handbook_example():
    # Handbook 5.1 §16.4.6.4: E mean 7.0 SD 2.38, C mean 6.5 SD 2.21, n = 10; r = 0.68 gives SE 0.583.
    md, se = cv.crossover_paired(7.0, 2.38, 6.5, 2.21, 10, 0.68)
    assert md == pytest.approx(0.5)
    assert round(se, 3) == 0.583


def test_se_from_p_handbook_example():
    # Handbook 5.1 §7.7.3.3: MD 3.8, P = 0.008, n = 25 and 22: t = 2.78, SE = 1.37.
    assert round(stats.t.isf(0.008 / 2, 45), 2) == 2.78
    assert round(cv.se_md_from_p(3.8, 0.008, 25, 22), 2) == 1.37


def test_se_from_t_and_sd_within_handbook_example():
    # Handbook 5.1 §7.7.3.3: MD 3.8 with t = 2.78 gives SE 1.37; SD_within = SE / sqrt(1/25 + 1/22).
    se = cv.se_md_from_t(3.8, 2.78)
    assert round(se, 2) == 1.37
    assert cv.sd_within_from_se_md(se, 25, 22) * np.sqrt(1 / 25 + 1 / 22) == pytest.approx(se)


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


@pytest.mark.parametrize("method", ["wan", "luo"])
def test_median_iqr_recovers_normal_parameters(method):
    # Exact quartiles of N(50, 10²) with a large n: the estimators must return the population values.
    mu, sigma, n = 50.0, 10.0, 10**6
    q1, q3 = stats.norm.ppf([0.25, 0.75], mu, sigma)
    mean, sd = cv.mean_sd_from_median_iqr(q1, mu, q3, n, method)
    assert mean == pytest.approx(mu, rel=1e-9)
    assert sd == pytest.approx(sigma, rel=1e-5)


def test_median_range_expected_extremes():
    # Wan 2014 C1 uses the expected extremes of n normal draws: ξ(n) = Φ⁻¹((n − 0.375)/(n + 0.25)).
    mu, sigma, n = 0.0, 1.0, 50
    xi = stats.norm.ppf((n - 0.375) / (n + 0.25))
    mean, sd = cv.mean_sd_from_median_range(-xi, 0.0, xi, n)
    assert (mean, sd) == (pytest.approx(mu), pytest.approx(sigma))
    with pytest.raises(ValueError):
        cv.mean_sd_from_median_range(5, 1, 9, 10)


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
            for i, (arm, st, v) in enumerate([("ketamine", "events", 4), ("ketamine", "n", 20),
                                              ("ketamine_2", "events", 7), ("ketamine_2", "n", 20),
                                              ("control", "events", 2), ("control", "n", 20)])
        ]
    )
    combined = assemble(rows, rows, "RR", "sd", "combine")
    assert combined.cells[("ketamine", "events")] == 11 and combined.cells[("ketamine", "n")] == 40
    first = assemble(rows, rows, "RR", "sd", "first")
    assert first.cells[("ketamine", "events")] == 4 and first.cells[("ketamine", "n")] == 20
    assert not first.missing("RR") and any("not used" in line for line in first.log)
