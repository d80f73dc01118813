"""The benchmark's batch fitter (workflow/benchmarks/batch.py), which times what the engine's estimators cost
without the per-fit overhead: it must fit what the engine and metafor fit, or its timing row compares nothing."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import COMMITTED, read_reference

from ketamine_ma.engine import effects as ef
from ketamine_ma.engine import pooling as po

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "benchmarks"))
from batch import random_effects  # noqa: E402


@pytest.mark.parametrize("method", ["DL", "REML", "ML"])
def test_batch_fits_match_metafor(method):
    """The vectorised batch fitter on every continuous fixture at once, against metafor's values."""
    ref = read_reference(COMMITTED)
    sets = []
    for fx in ("rand_cont_101", "rand_cont_102", "dat_normand1999"):
        d = pd.read_csv(f"tests/reference/fixtures/{fx}.csv")
        yi, vi = ef.md(d.m1i, d.sd1i, d.n1i, d.m2i, d.sd2i, d.n2i)
        sets.append((fx, yi[:5], vi[:5]))  # equal k so the sets stack into one batch
    res = random_effects(np.array([s[1] for s in sets]), np.array([s[2] for s in sets]), method)
    for j, (_fx, yi, vi) in enumerate(sets):
        single = po.inverse_variance(yi, vi, "random", method)
        assert res["estimate"][j] == pytest.approx(single.estimate, rel=1e-9)
        assert res["tau2"][j] == pytest.approx(single.tau2, rel=1e-8, abs=1e-12)
    # and a full-length fixture straight against metafor
    d = pd.read_csv("tests/reference/fixtures/dat_normand1999.csv")
    yi, vi = ef.md(d.m1i, d.sd1i, d.n1i, d.m2i, d.sd2i, d.n2i)
    one = random_effects(yi[None, :], vi[None, :], method)
    g = ref[(ref.fixture == "dat_normand1999") & (ref.analysis == f"MD_{method}_z")].set_index("quantity").value
    assert one["estimate"][0] == pytest.approx(g["estimate"], rel=1e-6)
    assert one["se"][0] == pytest.approx(g["se"], rel=1e-6)
    assert one["tau2"][0] == pytest.approx(g["tau2"], rel=1e-6)
