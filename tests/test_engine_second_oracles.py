"""Second oracles of the engine (metafor is the first, tests/test_engine_metafor.py).

PyMARE for the closed forms: the DerSimonian–Laird τ² and the inverse-variance fixed effect on metafor's data
sets. PyMARE's ``DerSimonianLaird`` and ``WeightedLeastSquares`` solve the same estimators by
weighted least squares with matrices, so the two agree to rounding (1e-12 relative), not bit for bit.

scipy.stats for the distributions: the engine takes its quantiles and tails from scipy.special (issue 33: importing
scipy.stats cost a third of an analyse job), and they must be scipy.stats' numbers bit for bit."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pymare.estimators import DerSimonianLaird, WeightedLeastSquares
from scipy import stats

from ketamine_ma.engine import effects as ef
from ketamine_ma.engine import heterogeneity as het
from ketamine_ma.engine import pooling as po
from ketamine_ma.engine import sensitivity as sens

FIX = Path(__file__).parent / "reference" / "fixtures"


def dataset(name):
    """(yi, vi) of a metafor data set as the metafor tests compute them (escalc's measures)."""
    d = pd.read_csv(FIX / f"{name}.csv")
    if name == "dat_normand1999":
        return ef.md(d.m1i, d.sd1i, d.n1i, d.m2i, d.sd2i, d.n2i)
    if name in ("dat_debruin2009", "dat_pritz1997", "dat_miller1978"):
        return ef.proportion(d.xi, d.ni, "PLO")
    yi, vi, _ = ef.two_by_two(d.ai, d.n1i, d.ci, d.n2i, "OR" if name == "dat_egger2001" else "RR", rule="metafor")
    return yi, vi


def pymare(estimator, yi, vi):
    """PyMARE's (τ², μ̂) of an intercept-only model, Wald (its default since 0.0.11 is Knapp–Hartung)."""
    yi, vi = np.asarray(yi, float), np.asarray(vi, float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = estimator.fit(y=yi[:, None], v=vi[:, None], X=np.ones((yi.size, 1)))
    tau2 = 0.0 if isinstance(estimator, WeightedLeastSquares) else float(np.ravel(est.params_["tau2"])[0])
    return tau2, float(est.params_["fe_params"][0, 0])


DATASETS = ["dat_bcg", "dat_egger2001", "dat_hine1989", "dat_normand1999", "dat_debruin2009", "dat_pritz1997",
            "dat_miller1978"]


@pytest.mark.parametrize("name", DATASETS)
def test_dersimonian_laird_of_metafor_datasets_matches_pymare(name):
    yi, vi = dataset(name)
    tau2, mu = pymare(DerSimonianLaird(small_sample_correction="wald"), yi, vi)
    fit = po.inverse_variance(yi, vi, "random", "DL", tau2_ci=False)
    assert fit.tau2 == pytest.approx(tau2, rel=1e-12, abs=1e-15)
    assert fit.estimate == pytest.approx(mu, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name", DATASETS)
def test_fixed_effect_of_metafor_datasets_matches_pymare(name):
    yi, vi = dataset(name)
    _, mu = pymare(WeightedLeastSquares(tau2=0.0), yi, vi)
    fit = po.inverse_variance(yi, vi, "fixed", tau2_ci=False)
    assert fit.tau2 == 0.0
    assert fit.estimate == pytest.approx(mu, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name", DATASETS)
def test_p_values_and_intervals_of_metafor_datasets_are_scipy_stats_bit_for_bit(name):
    yi, vi = dataset(name)
    k = len(yi)
    for ci in ("wald", "knha"):
        fit = po.inverse_variance(yi, vi, "random", "REML", ci, pi_method="hts")
        dist, df = (stats.t, (k - 1,)) if ci == "knha" else (stats.norm, ())
        crit = dist.ppf(0.975, *df)
        assert fit.p == 2 * dist.sf(abs(fit.estimate / fit.se), *df)
        assert fit.ci_low == fit.estimate - crit * fit.se
        assert fit.q_p == stats.chi2.sf(fit.q, k - 1)
        assert fit.pi_high == fit.estimate + stats.t.ppf(0.975, k - 2) * np.sqrt(fit.se**2 + fit.tau2)
    eg = sens.egger(yi, vi)
    assert eg["p"] == 2 * stats.t.sf(abs(eg["t"]), k - 2)
    lo, hi = het.tau2_qprofile_ci(yi, vi)
    if lo > 0:  # a bound is 0 when Q(0) is already below its quantile
        assert het.generalised_q(lo, yi, vi) == pytest.approx(stats.chi2.ppf(0.975, k - 1), rel=1e-12)
    assert het.generalised_q(hi, yi, vi) == pytest.approx(stats.chi2.ppf(0.025, k - 1), rel=1e-12)
