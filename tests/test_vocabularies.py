"""One registry per vocabulary: every enum of config/schemas/*.yaml and every switch of config/config.yaml is the
registry's (engine/measures.py for measures, τ² estimators, CI methods, models and methods; ledger/plan.py for the
sensitivity switches; ledger/vocabulary.py for a review's trial attributes), compared as the schemas structure
them, so a spelling added to a schema or a registry alone fails here."""

from pathlib import Path

import pytest
import yaml

from ketamine_ma.engine import effects, measures, subgroups, tau2_estimators
from ketamine_ma.ledger import plan, vocabulary

ROOT = Path(__file__).resolve().parents[1]
CONFIG_SCHEMA = yaml.safe_load((ROOT / "config/schemas/config.schema.yaml").read_text())
REVIEW_SCHEMA = yaml.safe_load((ROOT / "config/schemas/review.schema.yaml").read_text())
OVERRIDES = CONFIG_SCHEMA["properties"]["overrides"]["properties"]
SWITCHES = CONFIG_SCHEMA["properties"]["sensitivity"]["properties"]
ANALYSIS = REVIEW_SCHEMA["properties"]["analyses"]["additionalProperties"]["properties"]


def enum(node):
    values = node["enum"]
    assert len(values) == len(set(values)), values
    return set(values)


@pytest.mark.parametrize("where,node,registry", [
    ("config overrides.tau2_estimator", OVERRIDES["tau2_estimator"], measures.TAU2_ESTIMATORS),
    ("config overrides.ci_method", OVERRIDES["ci_method"], measures.CI_METHODS),
    ("config overrides.model", OVERRIDES["model"], measures.MODELS),
    ("config overrides.method", OVERRIDES["method"], measures.METHODS),
    ("config sensitivity.tau2_estimators", SWITCHES["tau2_estimators"]["items"], measures.TAU2_ESTIMATORS),
    ("review measure", ANALYSIS["measure"], measures.MEASURES),
    ("review method", ANALYSIS["method"], measures.METHODS),
    ("review model", ANALYSIS["model"], measures.MODELS),
    ("review tau2_estimator", ANALYSIS["tau2_estimator"], measures.TAU2_ESTIMATORS),
    ("review ci_method", ANALYSIS["ci_method"], measures.CI_METHODS),
    ("review subgroup_test.tau2_estimator", ANALYSIS["subgroup_test"]["properties"]["tau2_estimator"],
     measures.COMMON_TAU2_ESTIMATORS),
    ("review trial_attributes", REVIEW_SCHEMA["properties"]["trial_attributes"]["items"],
     vocabulary.TRIAL_ATTRIBUTES),
], ids=lambda x: x if isinstance(x, str) else "")
def test_each_schema_enum_is_its_registry(where, node, registry):
    assert enum(node) == set(registry), where


def test_every_sensitivity_switch_is_in_the_plan():
    switches = {e.switch for e in plan.PLAN}
    assert set(SWITCHES) == switches
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    assert set(config["sensitivity"]) == switches
    for switch, node in SWITCHES.items():
        assert node["type"] == ("array" if switch == "tau2_estimators" else "boolean"), switch


def test_the_plan_names_small_study_tests_and_influence_as_diagnostics_not_pools():
    on = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    assert plan.DIAGNOSTICS == ("small_study", "influence")
    assert plan.diagnostics(on) == ["small_study", "influence"]
    off = {**on, "sensitivity": {**on["sensitivity"], "influence": False}}
    assert plan.diagnostics(off) == ["small_study"]
    analysis = yaml.safe_load((ROOT / "config/reviews/bcg.yaml").read_text())["analyses"]["rr_dl"]
    assert not set(plan.analyses(analysis, on)) & set(plan.DIAGNOSTICS)


def test_the_engine_and_the_ledger_read_the_measure_registry():
    assert tau2_estimators.TAU2_ESTIMATORS is measures.TAU2_ESTIMATORS
    assert subgroups.COMMON_TAU2_ESTIMATORS[1:] == measures.COMMON_TAU2_ESTIMATORS
    assert vocabulary.MEASURE_DATA == {n: m.data for n, m in measures.MEASURES.items()}
    assert vocabulary.MH_MEASURES == ("RR", "OR", "RD")  # RevMan's Mantel-Haenszel measures (Deeks & Higgins 2010)
    assert [m for m in measures.MEASURES if effects.is_ratio(m)] == ["RR", "OR"]
    assert [effects.scale(m) for m in ("RR", "PLO", "PFT", "PAS", "PR", "MD")] == [
        "log", "logit", "double arcsine", "arcsine", "proportion", "natural"]
    with pytest.raises(ValueError, match="unknown measure 'XX'; allowed: MD, SMD, RR"):
        effects.family("XX")


def test_the_arm_roles_name_no_treatment_and_only_the_former_names_say_ketamine():
    """The ledger's arm roles are review-neutral; the one place the package still spells the former role names is
    vocabulary.FORMER_ARMS (worksheets from earlier rounds), every other module asks the vocabulary."""
    import ast

    assert vocabulary.ARMS[:2] == (vocabulary.EXPERIMENTAL, vocabulary.CONTROL) == ("experimental", "control")
    assert set(vocabulary.FORMER_ARMS.values()) <= set(vocabulary.ARMS)
    assert not set(vocabulary.FORMER_ARMS) & set(vocabulary.ARMS)
    said = []
    for f in sorted((ROOT / "src/ketamine_ma").rglob("*.py")):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Constant) and node.value in ("ketamine", "ketamine_2", "n_ketamine"):
                said.append((f.relative_to(ROOT).as_posix(), node.value))
    assert said == [("src/ketamine_ma/ledger/vocabulary.py", "ketamine"),
                    ("src/ketamine_ma/ledger/vocabulary.py", "ketamine_2")]
