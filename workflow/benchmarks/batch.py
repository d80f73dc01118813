"""Many random-effects fits at once, for the benchmark's engine row only: how fast the engine's estimators could
pool many datasets when the per-fit overhead of ``pooling.inverse_variance`` is taken away. The pipeline pools one
analysis at a time and never calls this (tests/test_benchmarks.py checks it against the one-by-one fits and
metafor)."""

from __future__ import annotations

import warnings

import numpy as np

from ketamine_ma.engine.tau2_estimators import fisher_scoring


def random_effects(Y, V, tau2_estimator="DL"):
    """Random-effects fits of many datasets at once: ``Y`` and ``V`` are (n_sets, k) arrays of complete data.

    DL uses PyMARE's estimator on parallel datasets; ML and REML are ``fisher_scoring`` over the sets, the same
    scorer as one fit. Returns a dict of arrays ``tau2, estimate, se`` (Wald).
    """
    Y, V = np.atleast_2d(np.asarray(Y, float)), np.atleast_2d(np.asarray(V, float))
    if tau2_estimator == "DL":
        from pymare.estimators import DerSimonianLaird

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = DerSimonianLaird(small_sample_correction="wald").fit(y=Y.T, v=V.T, X=np.ones((Y.shape[1], 1)))
        t2 = np.asarray(est.params_["tau2"], float).ravel()
    elif tau2_estimator in ("REML", "ML"):
        t2 = fisher_scoring(Y, V, reml=tau2_estimator == "REML")
    else:
        raise ValueError(f"batch fits support DL, REML and ML; got {tau2_estimator!r}")
    w = 1 / (V + t2[:, None])
    return {"tau2": t2, "estimate": np.sum(w * Y, axis=1) / w.sum(axis=1), "se": np.sqrt(1 / w.sum(axis=1))}
