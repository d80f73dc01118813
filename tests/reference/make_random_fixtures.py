"""Write the randomly generated oracle fixtures (fixed seeds) that generate_metafor.R reads.

Run from the repository root: ``python tests/reference/make_random_fixtures.py``. The fixtures are committed;
rerunning rewrites identical files (numpy's PCG64 stream is stable for a given seed).
"""

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).parent / "fixtures"


def continuous(seed, k):
    rng = np.random.default_rng(seed)
    n1 = rng.integers(8, 60, k)
    n2 = rng.integers(8, 60, k)
    delta = rng.normal(-1.5, 1.0, k)
    return pd.DataFrame(
        {
            "m1i": np.round(rng.normal(4, 1, k) + delta, 2),
            "sd1i": np.round(rng.uniform(0.8, 3, k), 2),
            "n1i": n1,
            "m2i": np.round(rng.normal(4, 1, k), 2),
            "sd2i": np.round(rng.uniform(0.8, 3, k), 2),
            "n2i": n2,
        }
    )


def binary(seed, k, zero_study=True):
    rng = np.random.default_rng(seed)
    n1 = rng.integers(10, 80, k)
    n2 = rng.integers(10, 80, k)
    ai = rng.binomial(n1, rng.uniform(0.1, 0.6, k))
    ci = rng.binomial(n2, rng.uniform(0.05, 0.4, k))
    if zero_study:
        ci[0] = 0
    return pd.DataFrame({"ai": ai, "n1i": n1, "ci": ci, "n2i": n2})


def proportions(seed, k):
    rng = np.random.default_rng(seed)
    ni = rng.integers(5, 50, k)
    xi = rng.binomial(ni, rng.uniform(0.3, 0.9, k))
    xi[0] = ni[0]
    return pd.DataFrame({"xi": xi, "ni": ni})


def main():
    OUT.mkdir(exist_ok=True)
    for seed, k in [(101, 5), (102, 12), (103, 3)]:
        continuous(seed, k).to_csv(OUT / f"rand_cont_{seed}.csv", index=False)
    for seed, k in [(201, 6), (202, 15)]:
        binary(seed, k).to_csv(OUT / f"rand_bin_{seed}.csv", index=False)
    for seed, k in [(301, 8), (302, 20)]:
        proportions(seed, k).to_csv(OUT / f"rand_prop_{seed}.csv", index=False)
    # Edge cases: two studies; identical studies (tau2 = 0, Q = 0); huge and tiny variances together.
    pd.DataFrame({"yi": [0.2, 0.9], "vi": [0.04, 0.09]}).to_csv(OUT / "edge_k2.csv", index=False)
    pd.DataFrame({"yi": [0.5, 0.5, 0.5, 0.5], "vi": [0.1, 0.1, 0.1, 0.1]}).to_csv(
        OUT / "edge_identical.csv", index=False
    )
    pd.DataFrame({"yi": [0.1, 2.0, -0.4, 0.8, 0.3], "vi": [1e-6, 1e4, 0.02, 5.0, 1e-3]}).to_csv(
        OUT / "edge_extreme_v.csv", index=False
    )


if __name__ == "__main__":
    main()
