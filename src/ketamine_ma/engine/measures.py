"""The engine's vocabularies, one registry each: the effect measures, the τ² estimators, the CI methods, the models
and the pooling methods. Everything else asks here: the effect sizes and pooling, the spec checks, the plots, the
umbrella view, and the config and review schemas (tests/test_vocabularies.py checks their enums against these).

Plain Python only (no numpy): Snakemake imports it at every start through the spec checks.

Measures follow metafor's ``escalc`` names (Viechtbauer 2010, J Stat Softw 36(3)); RevMan 5 pools the 2x2
measures by Mantel–Haenszel (Deeks & Higgins, "Statistical algorithms in Review Manager 5", 2010).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    """One effect measure.

    ``family``: the arm data its effect size is computed from: "continuous" (two arms' means, SDs and n), "binary"
    (a 2x2 table), "proportion" (one arm's events and n) or "change" (one group's means before and after).
    ``data``: the kind of data a source records for it: "continuous", "dichotomous" or "proportion".
    ``scale``: the scale it is pooled on, as the pooled table names it. ``ratio``: pooled on the log scale, null
    value 1. ``axis``: how a forest plot's axis names it. ``mh``: Mantel–Haenszel can pool it (2x2 tables).
    ``single_group``: its effect size comes from one group (no control arm).
    """

    name: str
    family: str
    data: str
    scale: str
    axis: str
    ratio: bool = False
    mh: bool = False
    single_group: bool = False


MEASURES = {m.name: m for m in (
    Measure("MD", "continuous", "continuous", "natural", "Mean difference"),
    Measure("SMD", "continuous", "continuous", "natural", "Standardised mean difference"),
    Measure("RR", "binary", "dichotomous", "log", "Risk ratio", ratio=True, mh=True),
    Measure("OR", "binary", "dichotomous", "log", "Odds ratio", ratio=True, mh=True),
    Measure("RD", "binary", "dichotomous", "natural", "Risk difference", mh=True),
    Measure("PR", "proportion", "proportion", "proportion", "Proportion", single_group=True),
    Measure("PLO", "proportion", "proportion", "logit", "Proportion", single_group=True),
    Measure("PFT", "proportion", "proportion", "double arcsine", "Proportion", single_group=True),
    Measure("PAS", "proportion", "proportion", "arcsine", "Proportion", single_group=True),
    Measure("MC", "change", "continuous", "natural", "Mean change from baseline", single_group=True),
)}
FAMILIES = tuple(dict.fromkeys(m.family for m in MEASURES.values()))


def measure(name) -> Measure:
    """The registry entry of ``name``; an unknown measure is an error naming the allowed ones."""
    try:
        return MEASURES[name]
    except KeyError:
        raise ValueError(f"unknown measure {name!r}; allowed: {', '.join(MEASURES)}") from None


def of_family(family) -> tuple[str, ...]:
    """The measures of one family, in registry order."""
    return tuple(n for n, m in MEASURES.items() if m.family == family)


# τ² estimators (metafor ``rma.uni(method=...)``): DerSimonian–Laird, restricted and full maximum likelihood,
# Paule–Mandel, Hunter–Schmidt, Sidik–Jonkman, Hedges.
TAU2_ESTIMATORS = ("DL", "REML", "ML", "PM", "HS", "SJ", "HE")
# The estimators a meta-regression with one common τ² offers (the subgroup test of metafor's rma(mods = ...)).
COMMON_TAU2_ESTIMATORS = ("DL", "REML", "ML")
CI_METHODS = ("wald", "knha")  # Wald-type z, or Hartung–Knapp–Sidik–Jonkman t
MODELS = ("fixed", "random")
METHODS = ("IV", "MH")  # inverse variance, Mantel–Haenszel
