"""The clean stage is the one place that decides what each member of a review gives an analysis (issue 22).

The forest plots and worksheets list every confirmed or candidate member not pooled, with its reason and missing
cells; they read what the clean stage wrote (``steps.members``) instead of rerunning ``ledger.studies.build`` with
readings of their own. One function reads the membership policy, one the contribution/ledger conflicts.

On the BCG conformance review reduced to trials and membership (tests/bcg_ledger.py), with two trials made
candidates and their numbers typed from the BCG data table (data/raw/conformance/bcg_studies.csv).
"""

import ast
import re
from pathlib import Path

import bcg_ledger
import pandas as pd
import pytest
import yaml
from test_pipeline import ROOT

from ketamine_ma.ledger import conservation, studies, vocabulary
from ketamine_ma.outputs import forest_rows, umbrella
from ketamine_ma.outputs import worksheets as ws
from ketamine_ma.stages import io, steps

# the config a user may choose: "±" read as SE, a contributed number preferred to the ledger's
READING = {"membership": "confirmed", "pm_reading": "se", "multi_arm": "combine", "conflict": "contribution"}
REASON = "events and experimental n given at 'week 1' (day 7), control n at 'day 7' (day 7): time points differ"


def row(trial, label, arm, statistic, value, **extra):
    t = bcg_ledger.studies().set_index("trial_id").loc[trial]
    return {"extract_id": f"{trial}-{arm}-{statistic}-{label.replace(' ', '')}", "trial_id": trial,
            "outcome": "tuberculosis", "timepoint": label, "time_days": 7.0, "arm": arm, "statistic": statistic,
            "value": float(value), "scale": "count", "source": t.source, "locator": t.locator, "quote": t.quote,
            "status": "verified", "reading": None, "conflict_id": None, **extra}


@pytest.fixture(scope="module")
def bcg(tmp_path_factory):
    """The reduced BCG ledger after a contribution: Aronson 1948 and Ferguson 1949 are candidates (policy
    confirmed does not count them). Aronson's ledger rows at 'week 1' (day 7) read its control n as 128 (the
    non-events beside the 11 events); a reader's contribution gives 139 (11 + 128) at 'day 7', the same day, so
    the two readings conflict. Ferguson's four numbers are complete and agree."""
    work = tmp_path_factory.mktemp("members")
    ledger, spec = bcg_ledger.reduced_ledger(work)
    m = ledger["membership"].copy()
    m.loc[(m.review == "bcg") & m.trial_id.isin(["aronson1948", "ferguson1949"]), "status"] = "candidate"
    conflict = {"conflict_id": "contrib-aronson1948-control-n"}
    rows = [row("aronson1948", "week 1", "experimental", "events", 4),
            row("aronson1948", "week 1", "experimental", "n", 123),
            row("aronson1948", "week 1", "control", "events", 11),
            row("aronson1948", "week 1", "control", "n", 128, reading="ledger", **conflict),
            row("aronson1948", "day 7", "control", "n", 139, reading="contribution", **conflict),
            row("ferguson1949", "week 1", "experimental", "events", 6),
            row("ferguson1949", "week 1", "experimental", "n", 306),
            row("ferguson1949", "week 1", "control", "events", 29),
            row("ferguson1949", "week 1", "control", "n", 303)]
    x = pd.concat([ledger["extraction"], pd.DataFrame(rows)], ignore_index=True)
    return {**ledger, "membership": m, "extraction": x}, spec, work


def written(df, path):
    """A table as the job that reads it sees it: written by the clean stage, read back from CSV."""
    io.write_csv(df, path)
    return pd.read_csv(path)


def clean_stage(bcg):
    """What the clean job writes for the main reading: the counted members' missing cells and reasons, and every
    member's usable rows, reasons and missing cells."""
    ledger, spec, work = bcg
    out, excl, miss = steps.clean(ledger, "bcg", spec, {"main": READING})
    tables, m_excl, m_miss = steps.members(ledger, "bcg", spec, READING)
    d = work / "data/processed/bcg"
    return (out, written(excl, d / "exclusions.csv"), written(miss, d / "missing_cells.csv"),
            {k: written(t, d / f"members/{k}.csv") for k, t in tables.items()},
            written(m_excl, d / "member_exclusions.csv"), written(m_miss, d / "member_missing_cells.csv"))


def worksheet(bcg, stage):
    ledger, spec, _ = bcg
    _, excl, miss, _, m_excl, m_miss = stage
    sheets, counts = ws.build(ws.Known("bcg", spec, ledger, miss, READING["membership"], READING["pm_reading"],
                                       exclusions=excl, member_exclusions=m_excl, member_missing=m_miss))
    return sheets["numbers"], counts


def test_the_worksheet_asks_a_candidate_for_exactly_the_cells_the_clean_stage_lists(bcg):
    """Under the contribution's reading, Aronson's control n sits at another time point than its other numbers,
    so the clean stage lists that one cell as missing; the worksheet asks for it, with the clean stage's reason.
    (It used to rebuild the study table from the ledger with both readings, found Aronson complete and asked for
    nothing.)"""
    stage = clean_stage(bcg)
    m_excl, m_miss = stage[4], stage[5]
    numbers, counts = worksheet(bcg, stage)
    a = numbers[numbers.trial_id == "aronson1948"]
    # the worksheet names the arm as bcg.yaml does (arms: [Vaccinated, Control]); the clean stage, as the ledger does
    assert list(zip(a.analyses, a.timepoint, a.time_days, a.arm, a.statistic, strict=True)) == [
        ("rr_fixed; rr_dl; or_fixed; or_dl; rr_reml", "week 1", "7", "Control", "n")]
    assert a.why.iloc[0] == f"candidate trial (confirm it in the membership sheet); {REASON}"
    mine = m_miss[(m_miss.trial_id == "aronson1948")]
    assert set(zip(mine.analysis, mine.timepoint, mine.arm, mine.statistic, strict=True)) == {
        (k, "week 1", "control", "n") for k in bcg[1]["analyses"]}
    assert (~mine.counted).all() and set(m_excl[m_excl.trial_id == "aronson1948"].reason) == {REASON}
    # Ferguson has every number: nothing to ask; the counted members' cells are the clean stage's missing cells
    assert "ferguson1949" not in set(numbers.trial_id)
    counted = numbers[~numbers.trial_id.isin(["aronson1948"]) & (numbers.statistic != "sd")]
    assert len(counted) == 11 * 4 and counts["cells_needed"] == 11 * 4


def test_the_forest_plot_lists_the_members_not_pooled_as_the_clean_stage_found_them(bcg):
    out, _, _, tables, m_excl, m_miss = clean_stage(bcg)
    pooled = out[("main", "rr_fixed")].trial_id
    assert len(pooled) == 0  # the 11 confirmed trials have no numbers in this ledger
    g = forest_rows.gap_rows(tables["rr_fixed"], m_excl[m_excl.analysis == "rr_fixed"],
                             m_miss[m_miss.analysis == "rr_fixed"], pooled).set_index("trial_id")
    assert len(g) == 13
    assert (g.loc["aronson1948", ["study_id", "membership", "status", "reason", "missing"]].tolist()
            == ["Aronson 1948", "candidate", "not_available", REASON, "control n"])
    f = g.loc["ferguson1949"]
    assert (f.study_id, f.status, f.ai, f.n1, f.ci, f.n2) == ("Ferguson 1949", "not_pooled", 6, 306, 29, 303)
    assert g.loc["rosenthal1960", "missing"] == "experimental events;experimental n;control events;control n"


JOBS = ("workflow/scripts/figures.py", "workflow/scripts/worksheet.py", "src/ketamine_ma/outputs/forest_rows.py",
        "src/ketamine_ma/outputs/worksheets.py", "src/ketamine_ma/stages/worksheets.py")
ASSEMBLY = {"build", "member_rows", "decide", "assemble"}


def test_the_figures_and_worksheet_jobs_do_not_assemble_study_tables(bcg, monkeypatch):
    """Their code names none of ledger.studies' assembly functions, and with those made to fail the forest rows
    and the worksheet still come out as the tests above read them."""
    for path in JOBS:
        imports = [n for n in ast.walk(ast.parse((ROOT / path).read_text())) if isinstance(n, ast.ImportFrom)]
        names = {a.name for n in imports if (n.module or "").endswith("studies") for a in n.names}
        module = {a.asname or a.name for n in imports for a in n.names if a.name == "studies"}
        attrs = {n.attr for n in ast.walk(ast.parse((ROOT / path).read_text()))
                 if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in module}
        assert not (names | attrs) & ASSEMBLY, path
    stage = clean_stage(bcg)

    def refuse(*args, **kwargs):
        raise AssertionError("the study table was assembled again")

    for name in ASSEMBLY:
        monkeypatch.setattr(studies, name, refuse)
    numbers, _ = worksheet(bcg, stage)
    assert list(numbers[numbers.trial_id == "aronson1948"].statistic) == ["n"]
    out, _, _, tables, m_excl, m_miss = stage
    assert len(forest_rows.gap_rows(tables["or_fixed"], m_excl[m_excl.analysis == "or_fixed"],
                                    m_miss[m_miss.analysis == "or_fixed"], [])) == 13


def test_an_unknown_membership_policy_fails_with_the_known_ones():
    m = pd.DataFrame({"review": ["a"], "trial_id": ["t1"], "status": ["candidate"]})
    message = "membership policy 'all' is unknown; allowed: confirmed, confirmed+candidate"
    with pytest.raises(ValueError, match=re.escape(message)):
        vocabulary.counted_statuses("all")
    with pytest.raises(ValueError, match=re.escape(message)):
        studies.members(m, "a", "all")
    with pytest.raises(ValueError, match=re.escape(message)):
        umbrella.overlap(m, ["a"], "all")


def test_the_config_schema_offers_the_policies_the_vocabulary_reads():
    schema = yaml.safe_load((ROOT / "config/schemas/config.schema.yaml").read_text())
    assert schema["properties"]["membership"]["enum"] == ["confirmed", "confirmed+candidate"]
    assert list(vocabulary.MEMBERSHIP_POLICIES) == ["confirmed", "confirmed+candidate"]


def test_every_reading_of_the_membership_policy_is_the_one_function(monkeypatch):
    """A policy added to the vocabulary reaches the clean stage, the worksheet counts, the flow diagram, the
    conservation check and the overlap; and no module maps a policy to statuses itself."""
    monkeypatch.setitem(vocabulary.MEMBERSHIP_POLICIES, "candidate", ("candidate",))
    m = pd.DataFrame({"review": ["a", "a", "b"], "trial_id": ["t1", "t2", "t2"],
                      "status": ["confirmed", "candidate", "candidate"]})
    assert list(studies.members(m, "a", "candidate").trial_id) == ["t2"]
    assert umbrella.overlap(m, ["a", "b"], "candidate")[0].loc["a", "b"] == 1
    assert conservation._counted(m, "candidate").trial_id.tolist() == ["t2", "t2"]
    empty = pd.DataFrame(columns=["review", "result_id", "measure", "k", "outcome", "analysis", "trials"])
    assert steps.flow_counts("a", m, empty, empty, "candidate", [])["members"] == 1
    copies = re.compile(r"policy\s*[!=]=|\(\"confirmed\",\)")  # each copy compared the policy to a name
    for path in [*ROOT.glob("src/**/*.py"), *ROOT.glob("workflow/**/*.py"), *ROOT.glob("workflow/**/*.smk")]:
        if path.name != "vocabulary.py":
            assert not copies.search(path.read_text()), path


def test_one_function_reads_the_conflicts():
    x = pd.DataFrame({"extract_id": ["a", "b", "c", "d"], "reading": [None, "", "ledger", "contribution"]})
    assert list(studies.one_reading(x, "ledger").extract_id) == ["a", "b", "c"]
    assert list(studies.one_reading(x, "contribution").extract_id) == ["a", "b", "d"]
    assert studies.one_reading(x.drop(columns="reading"), "ledger") is not None
    for path in [*ROOT.glob("src/**/*.py"), *ROOT.glob("workflow/**/*.py")]:
        if path != Path(studies.__file__):
            assert not re.search(r"[\"']reading[\"']\s+(not\s+)?in\b", path.read_text()), path
