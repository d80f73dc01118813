"""The analysis plan: every sensitivity analysis a run can add to an analysis' primary pool, and the diagnostics
(small-study tests, influence) it can run beside it, in one registry: every switch of the config's
``sensitivity`` section is an entry here (tests/test_vocabularies.py).

Each entry has its config switch (``sensitivity.<switch>`` in config/config.yaml), the analyses it plans for one
analysis of one review, how each changes the primary pool (the clean stage's reading of the ledger, the pooling
settings, the study table's rows, or one pool per subset of trials; a diagnostic changes none) and its label.
``workflow/rules/common.smk`` asks it which study tables and results to build, ``stages.analysis`` runs it and the
report prints its labels, so adding an analysis is one entry here (and a refit function in ``stages.analysis`` for
a new kind of refit).

Plain Python only: Snakemake imports this module at every start (numpy or pandas would cost seconds).
In the ledger layer so that the report (``outputs``) and the analyse stage (``stages``) can both import it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PRIMARY = "Primary analysis (the review's own methods)"


@dataclass(frozen=True)
class Sensitivity:
    """One switch of the config's ``sensitivity`` section and the analyses it adds.

    ``kind`` says what ``change`` is: ``settings``: name -> the pooling settings it overrides; ``reading``: the
    main reading -> the clean stage's reading of the ledger for this analysis' study table; ``filter``:
    ``(column, keep)``, the study table's rows where ``keep(table[column])``; ``refit``: the column naming the
    trial each of its pools omits or adds (``stages.analysis.REFITS`` pools them); ``diagnostic``: no pool but a
    table of its own beside the primary pool (``change`` is None).
    """

    switch: str
    kind: str
    labels: dict[str, str]
    change: Any
    plans: Callable[[Any, dict, dict], list[str]] | None = None  # (switch value, analysis, config) -> names
    contributed: bool = False  # only for a review with contributions

    def names(self, value, analysis, config) -> list[str]:
        if not value:
            return []
        return self.plans(value, analysis, config) if self.plans else list(self.labels)

    def label(self, name) -> str | None:
        if name in self.labels:
            return self.labels[name]
        prefix = next((k[:-1] for k in self.labels if k.endswith("*")), None)
        return self.labels[prefix + "*"].format(name[len(prefix):]) if prefix and name.startswith(prefix) else None


def _other(value, a, b):
    return b if value == a else a


PLAN = (
    Sensitivity("tau2_estimators", "settings", {"tau2_*": "\u03c4\u00b2 estimator {}"},
                lambda name: {"model": "random", "tau2_estimator": name.removeprefix("tau2_")},
                lambda ests, a, c: [f"tau2_{e}" for e in ests if a["model"] == "fixed" or e != a["tau2_estimator"]]),
    Sensitivity("knapp_hartung", "settings", {"knha": "Hartung-Knapp-Sidik-Jonkman CI"},
                lambda name: {"model": "random", "ci_method": "knha"},
                lambda on, a, c: ["knha"] if a["ci_method"] != "knha" else []),
    Sensitivity("fixed_effect", "settings", {"fixed": "Fixed-effect model", "random": "Random-effects model"},
                lambda name: {"model": name},
                lambda on, a, c: ["fixed" if a["model"] == "random" else "random"]),
    Sensitivity("inverse_variance", "settings", {"iv": "Inverse variance instead of Mantel-Haenszel"},
                lambda name: {"method": "IV"},
                lambda on, a, c: ["iv"] if a["method"] == "MH" else []),
    Sensitivity("low_risk_of_bias", "reading", {"low_rob": "Trials at low risk of bias (RoB 2)"},
                lambda main: {**main, "risk_of_bias": "low"}, contributed=True),
    Sensitivity("conflict_alternative", "reading",
                {"conflict_alt": "Conflicts read the other way (ledger \u2194 contribution)"},
                lambda main: {**main, "conflict": _other(main["conflict"], "ledger", "contribution")},
                contributed=True),
    Sensitivity("candidates", "reading", {"candidates": "Confirmed and candidate trials"},
                lambda main: {**main, "membership": "confirmed+candidate"},
                lambda on, a, c: ["candidates"] if c["membership"] == "confirmed" else []),
    Sensitivity("pm_alternative", "reading", {"pm_alt": "Unlabelled \u00b1 read the other way (SD \u2194 SE)"},
                lambda main: {**main, "pm_reading": _other(main["pm_reading"], "se", "sd")}),
    Sensitivity("exclude_crossover", "filter", {"exclude_crossover": "Parallel-group trials only"},
                ("design", lambda s: s != "crossover")),
    Sensitivity("randomised_only", "filter", {"randomised_only": "Randomised trials only"},
                ("randomised", lambda s: s == "yes")),
    Sensitivity("leave_one_out", "refit", {"leave_one_out": "Leave one trial out"}, "omitted"),
    Sensitivity("cumulative", "refit", {"cumulative": "Cumulative, by publication year"}, "added"),
    Sensitivity("small_study", "diagnostic", {"small_study": "Small-study effects (Egger's test, trim-and-fill)"},
                None),
    Sensitivity("influence", "diagnostic", {"influence": "Case-deletion diagnostics (influence)"}, None),
)
REFITS = tuple(n for e in PLAN if e.kind == "refit" for n in e.labels)
DIAGNOSTICS = tuple(n for e in PLAN if e.kind == "diagnostic" for n in e.labels)


def main_reading(config) -> dict:
    """The clean stage's reading of the ledger for the primary analyses (config's reading rules)."""
    return {**{k: config[k] for k in ("membership", "pm_reading", "multi_arm")}, "conflict": config["conflict_rule"]}


def readings(config, contributed=False) -> dict[str, dict]:
    """Study-table variants the clean stage builds, ``{"main": reading, name: reading, ...}``: the main reading
    plus the sensitivity readings (those of conflicts and risk of bias only for a review with contributions)."""
    main = main_reading(config)
    out = {"main": main}
    for e in PLAN:
        if e.kind == "reading" and (contributed or not e.contributed):
            out.update({n: e.change(main) for n in e.names(config["sensitivity"].get(e.switch), None, config)})
    return out


def analyses(analysis, config, contributed=False) -> list[str]:
    """Names of the sensitivity analyses of one analysis (a review spec's ``analyses.<key>``), in plan order."""
    a = {**analysis, **config["overrides"]}
    return [n for e in PLAN if e.kind != "diagnostic" and (contributed or not e.contributed)
            for n in e.names(config["sensitivity"].get(e.switch), a, config)]


def diagnostics(config) -> list[str]:
    """The diagnostics config runs for every analysis, each a table beside the primary pool (``DIAGNOSTICS``)."""
    return [n for e in PLAN if e.kind == "diagnostic" for n in e.names(config["sensitivity"].get(e.switch), None,
                                                                          config)]


def entry(name) -> Sensitivity:
    for e in PLAN:
        if e.label(name) is not None:
            return e
    raise KeyError(f"{name!r} is not an analysis of the plan (ketamine_ma.ledger.plan)")


def label(name) -> str:
    """How the report names an analysis."""
    return PRIMARY if name == "primary" else entry(name).label(name)


def settings(name) -> dict:
    """The pooling settings an analysis changes (none for the primary, a reading, a filter or a refit)."""
    if name == "primary":
        return {}
    e = entry(name)
    return e.change(name) if e.kind == "settings" else {}
