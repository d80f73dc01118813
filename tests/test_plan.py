"""The analysis plan (ketamine_ma.ledger.plan): every analysis it can plan runs through the analyse stage on the
BCG conformance data and has a report label; the workflow can import it without numpy or pandas."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ketamine_ma.ledger import plan
from ketamine_ma.stages import analysis, steps

ROOT = Path(__file__).resolve().parents[1]
SPEC = yaml.safe_load((ROOT / "config/reviews/bcg.yaml").read_text())
CONFIG = yaml.safe_load((ROOT / "config/config.yaml").read_text())
EVERY = {**CONFIG, "sensitivity": {**{k: True for k in CONFIG["sensitivity"]},
                                   "tau2_estimators": ["DL", "REML", "ML", "PM", "HS", "SJ", "HE"]}}
# BCG's random-effects RR analysis, pooled by Mantel-Haenszel so that "iv" applies, and its fixed-effect twin
# (which plans "random" and tau2_DL).
SPECS = [{**SPEC["analyses"]["rr_dl"], "method": "MH", "model": m} for m in ("random", "fixed")]
# Every name the plan can give, written out: a new analysis adds its name here and must pass the tests below.
NAMES = ["tau2_DL", "tau2_REML", "tau2_ML", "tau2_PM", "tau2_HS", "tau2_SJ", "tau2_HE", "knha", "fixed", "random",
         "iv", "low_rob", "conflict_alt", "candidates", "pm_alt", "exclude_crossover", "randomised_only",
         "leave_one_out", "cumulative"]


def planned():
    """(spec, name) for every name the plan gives for BCG's analysis with every switch on and a contribution."""
    out = {}
    for spec in SPECS:
        for name in plan.analyses(spec, EVERY, contributed=True):
            out.setdefault(name, spec)
    return out


@pytest.fixture(scope="module")
def tables():
    """The BCG study table as the clean stage builds it, with "randomised" from each trial's allocation (7 random,
    2 alternate, 4 systematic); each reading's table lacks the first trial, so a pool that used it shows k = 12."""
    studies, _ = steps.import_table(ROOT / SPEC["studies"], ROOT / SPEC["published_table"], SPEC)
    main = steps.conformance_tables(studies, SPEC)["rr_dl"]
    main["randomised"] = (studies.alloc == "random").map({True: "yes", False: "no"}).to_numpy()
    readings = [n for n in plan.readings(EVERY, contributed=True) if n != "main"]
    return {"main": main, **{n: main.iloc[1:].reset_index(drop=True) for n in readings}}


def test_the_plan_gives_every_name_once():
    assert sorted(planned()) == sorted(NAMES)
    for spec in SPECS:
        names = plan.analyses(spec, EVERY, contributed=True)
        assert len(names) == len(set(names))


def test_readings_of_conflicts_and_risk_of_bias_need_a_contribution():
    assert list(plan.readings(EVERY, contributed=True)) == ["main", "low_rob", "conflict_alt", "candidates", "pm_alt"]
    assert list(plan.readings(EVERY)) == ["main", "candidates", "pm_alt"]
    assert "low_rob" not in plan.analyses(SPECS[0], EVERY)


def test_every_name_has_its_own_label():
    labels = [plan.label(n) for n in ["primary", *NAMES]]
    assert all(label and label not in NAMES for label in labels)
    assert len(set(labels)) == len(labels)
    assert plan.label("tau2_PM") == "\u03c4\u00b2 estimator PM"
    assert plan.label("low_rob") == "Trials at low risk of bias (RoB 2)"


EXPECTED_K = {"low_rob": 12, "conflict_alt": 12, "candidates": 12, "pm_alt": 12, "randomised_only": 7}
EXPECTED_SETTINGS = {"fixed": {"tau2_estimator": "FE"}, "random": {"tau2_estimator": "DL"},
                     "knha": {"ci_method": "knha", "method": "IV"}, "iv": {"method": "IV"},
                     **{f"tau2_{e}": {"tau2_estimator": e, "method": "IV"}
                        for e in ("REML", "ML", "PM", "HS", "SJ", "HE")},
                     "tau2_DL": {"tau2_estimator": "DL", "method": "MH"}}


@pytest.mark.parametrize("name", NAMES)
def test_every_planned_name_runs_through_the_analyse_stage(name, tables):
    spec = planned()[name]
    settings = {k: CONFIG[k] for k in ("prediction_interval", "prepost_correlation")}
    studies, pooled = analysis.sensitivity(name, tables, "bcg", "rr_dl", spec, {}, settings)
    assert list(pooled.analysis.unique()) == [name]
    assert (pooled.review == "bcg").all() and (pooled.measure == "RR").all()
    trials = list(tables["main"].trial_id)
    if name == "leave_one_out":
        assert list(pooled.omitted) == trials and (pooled.k == 12).all()
    elif name == "cumulative":
        assert list(pooled.k) == list(range(1, 14))
        assert list(pooled.added) == list(tables["main"].sort_values("year", kind="stable").trial_id)
    else:
        assert len(pooled) == 1 and pooled.k.iloc[0] == EXPECTED_K.get(name, 13)
        assert pooled.estimate.notna().all() and len(studies) == EXPECTED_K.get(name, 13)
        for column, value in EXPECTED_SETTINGS.get(name, {}).items():
            assert pooled[column].iloc[0] == value, column


def test_the_workflow_imports_the_plan_and_names_without_numpy_or_pandas():
    code = ("import sys; from ketamine_ma.ledger import plan, vocabulary; "
            "from ketamine_ma.outputs import report_files; from ketamine_ma.ledger.contrib import route; "
            "from ketamine_ma.stages import code_inputs; "
            "print(sorted({'numpy', 'pandas', 'scipy'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT / "src")
    assert out.stdout.strip() == "[]"


def test_the_randomised_only_analysis_names_each_trial_it_leaves_out_and_why(tables):
    """BCG with one trial's randomisation "not reported": the 6 non-random trials (alternate or systematic
    allocation) and that one are left out, each named with its answer; 6 random trials are pooled."""
    spec = planned()["randomised_only"]
    main = tables["main"].copy()
    main.loc[0, "randomised"] = "not reported"
    settings = {k: CONFIG[k] for k in ("prediction_interval", "prepost_correlation")}
    _, pooled = analysis.sensitivity("randomised_only", {"main": main}, "bcg", "rr_dl", spec, {}, settings)
    assert pooled.k.iloc[0] == 6
    note = pooled.note.iloc[0]
    assert f"{main.trial_id[0]} (randomised: not reported)" in note, note
    assert note.count("(randomised: no)") == 6, note
