"""Fleiss (1993), aspirin after myocardial infarction, 7 trials, as RevMan 5 stored it (data/raw/conformance/
Fleiss1993.rm5, <DICH_OUTCOME ID="CMP-001.01"> "Mantel-Haenszel odds ratio, fixed effect"): under the review's
`revman5` preset the analyse stage reproduces every figure RevMan printed for it, heterogeneity included -
EFFECT_SIZE="0.8968655609130709" CI_START="0.8405144008917793" CI_END="0.9569947088336491" Z="3.287633061337987"
P_Z="0.0010103343130005407" CHI2="9.946055983220074" DF="6" P_CHI2="0.1269422521561745" I2="39.67458045558399"
(RevMan's I² from Q) TOTAL_1="14186" TOTAL_2="13817" STUDIES="7"."""

import pandas as pd
import yaml
from conftest import ROOT

from ketamine_ma.outputs.reproduction import reproduce
from ketamine_ma.stages import analysis
from ketamine_ma.stages.specs import conventions
from ketamine_ma.stages.steps import conformance_tables, import_rm5

SPEC = yaml.safe_load((ROOT / "config/reviews/fleiss1993.yaml").read_text())
RM5 = ROOT / SPEC["rm5"]
CONFIG = {"prediction_interval": "metafor", "prepost_correlation": 0.5}


def run(conv):
    studies, published = import_rm5(RM5, SPEC)
    spec_a = SPEC["analyses"]["mortality"]
    table = conformance_tables(studies, SPEC)["mortality"]
    row = analysis.pool(table, analysis.settings_for(spec_a, {}, CONFIG, conventions=conv))[1]
    pooled = pd.DataFrame([{**row, "review": "fleiss1993", "outcome": "mortality", "analysis": "primary"}])
    empty = pd.DataFrame(columns=["review", "analysis", "trial_id", "arm", "statistic", "reason"])
    published = published.astype(str).replace({"nan": None, "": None})
    return row, reproduce(published, {"fleiss1993": SPEC}, pooled, empty, empty,
                          conventions={"fleiss1993": conv}).iloc[0]


def test_every_figure_revman_printed_is_reproduced_under_the_revman5_preset():
    conv = conventions(SPEC)
    assert conv["preset"] == "revman5" and conv["i2"] == "q"
    row, rep = run(conv)
    assert rep.kind == "pooled" and rep.status == "reproduced", rep.reason
    assert rep.reason == "estimate, CI, p, z, Q, df, P(Q), I² and k agree within the published rounding"
    assert abs(row["i2"] - 39.67458045558399) < 1e-9 and abs(row["q"] - 9.946055983220074) < 1e-9


def test_the_same_file_under_metafors_mh_conventions_still_agrees_without_zero_cells():
    """No trial has a zero cell, so metafor's exact Mantel-Haenszel counts give RevMan's numbers too (metafor
    3.8.1 rma.mh: OR 0.896866, QE 9.946056, I² 39.6746; shared/reference/stats_anchors.md §4.2)."""
    _, rep = run(conventions({"conventions": {"preset": "metafor"}}))
    assert rep.status == "reproduced", rep.reason
