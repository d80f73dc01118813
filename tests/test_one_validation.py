"""One validation for every ledger row and one RevMan reader (issue 22).

A row is held to the same rules whether it comes from data/raw/, a worksheet or a review's RevMan file, and a
RevMan file dropped in as a contribution is read by the reader the conformance reviews use, so both read the same
numbers from the same file (tests/data/Fleiss1993.rm5, RevMan's own file from R package meta).
"""

import shutil
import xml.etree.ElementTree as ET

import bcg_ledger
import pandas as pd
import pytest
import yaml
from test_contrib import bcg, contribute, set_cell  # noqa: F401 (bcg: the filled BCG worksheet fixture)
from test_pipeline import ROOT

from ketamine_ma.ledger.tables import load_ledger
from ketamine_ma.ledger.vocabulary import LedgerError
from ketamine_ma.stages import completion, steps

RM5 = ROOT / "tests/data/Fleiss1993.rm5"
ANALYSIS = "CMP-001.01"
SRC = "https://github.com/guido-s/meta/blob/master/inst/extdata/Fleiss1993.rm5"


def trial_of(name, year):
    return "".join(c for c in name.split()[0].lower() if c.isalpha()) + str(year)


def contribute_rm5(work, rm5):
    """Fleiss 1993 as a ledger review with trials and membership only, and ``rm5`` dropped in as its RevMan file."""
    root = ET.parse(rm5).getroot()
    studies = {s.get("ID"): (s.get("NAME"), int(s.get("YEAR"))) for s in root.iter("STUDY")}
    shutil.copytree(ROOT / "data/raw", work / "data/raw")
    trials = pd.read_csv(work / "data/raw/trials.csv", dtype=str, keep_default_na=False)
    new = pd.DataFrame([{"trial_id": trial_of(name, year), "first_author": name, "year": str(year),
                         "no_id_reason": "the RevMan file names studies only", "design": "parallel",
                         "condition": "myocardial infarction", "pain_type": "unclear", "crps": "no", "route": "oral",
                         "regimen": "aspirin", "source": SRC, "locator": f"<STUDY ID={sid}>",
                         "quote": f'NAME="{name}" YEAR="{year}"'} for sid, (name, year) in studies.items()])
    pd.concat([trials, new]).fillna("").to_csv(work / "data/raw/trials.csv", index=False)
    mem = pd.read_csv(work / "data/raw/membership.csv", dtype=str, keep_default_na=False)
    new = pd.DataFrame([{"review": "fleiss1993", "trial_id": trial_of(name, year), "status": "confirmed",
                         "source": SRC, "locator": ANALYSIS, "quote": f'STUDY_ID="{sid}"', "reason": "in the analysis"}
                        for sid, (name, year) in studies.items()])
    pd.concat([mem, new]).fillna("").to_csv(work / "data/raw/membership.csv", index=False)
    spec = yaml.safe_load((ROOT / "config/reviews/fleiss1993.yaml").read_text())
    spec.update(source="ledger", citation=spec["citation"] + " " + SRC)
    (work / "fleiss1993.rm5").write_bytes(rm5.read_bytes())
    return completion.contribute(load_ledger(work / "data/raw"), [work / "fleiss1993.rm5"], ["fleiss1993"],
                                 {"fleiss1993": spec})


def in_subgroups(rm5, out):
    """``rm5`` with the analysis' studies split into two subgroups, as RevMan stores a subgrouped analysis."""
    tree = ET.parse(rm5)
    outcome = next(o for o in tree.iter("DICH_OUTCOME") if o.get("ID") == ANALYSIS)
    data = outcome.findall("DICH_DATA")
    outcome.set("SUBGROUPS", "YES")
    for no, part in ((1, data[:3]), (2, data[3:])):
        sub = ET.SubElement(outcome, "DICH_SUBGROUP", {"ID": f"{ANALYSIS}.0{no}", "NO": str(no)})
        ET.SubElement(sub, "NAME").text = f"subgroup {no}"
        for d in part:
            outcome.remove(d)
            sub.append(d)
    tree.write(out, encoding="UTF-8", xml_declaration=True)
    return out


@pytest.mark.parametrize("layout", ["as stored", "in subgroups"])
def test_a_revman_contribution_reads_the_numbers_the_conformance_reader_reads(tmp_path, layout):
    rm5 = RM5 if layout == "as stored" else in_subgroups(RM5, tmp_path / "subgrouped.rm5")
    spec = yaml.safe_load((ROOT / "config/reviews/fleiss1993.yaml").read_text())
    norm, _ = steps.import_rm5(rm5, spec)
    conformance = {}
    for r in norm[norm.analysis_id == ANALYSIS].itertuples():
        tid = trial_of(*r.study_id.rsplit(" ", 1))
        for arm, stat, col in (("experimental", "events", "ai"), ("experimental", "n", "n1"),
                               ("control", "events", "ci"), ("control", "n", "n2")):
            conformance[(tid, arm, stat)] = getattr(r, col)
    assert len(conformance) == 4 * 7  # the seven aspirin trials, read from the XML by the conformance import

    merged, log = contribute_rm5(tmp_path / "work", rm5)
    x = merged["extraction"][merged["extraction"].contributor.fillna("").str.startswith("RevMan file")]
    assert (x.source_kind == "review").all()  # a review's own data, not the trials' papers
    contributed = {(r.trial_id, r.arm, r.statistic): r.value for r in x.itertuples()}
    assert contributed == conformance
    assert len(log) == len(x)


def raw_with_bcg(work):
    shutil.copytree(ROOT / "data/raw", work / "data/raw")
    shutil.copytree(ROOT / "config", work / "config")
    return bcg_ledger.reduce(work).set_index("trial_id").loc["aronson1948"]


def test_the_same_bad_row_gets_the_same_message_from_data_raw_a_worksheet_and_a_revman_file(bcg, tmp_path):  # noqa: F811
    """Aronson 1948's vaccinated events given as -4 (printed so in its quote): data/raw refuses it, so must a
    worksheet and a RevMan file, naming where each gave it. Before issue 22 a RevMan file's numbers skipped the
    row rules (a negative count was merged) and data/raw's message did not say the value."""
    rule = "events must be >= 0, got -4"

    t = raw_with_bcg(tmp_path / "raw")
    path = tmp_path / "raw/data/raw/extraction.csv"
    x = pd.read_csv(path, dtype=str, keep_default_na=False)
    bad = {"extract_id": "aronson1948-bad", "trial_id": "aronson1948", "outcome": "tuberculosis", "arm": "experimental",
           "statistic": "events", "value": "-4", "scale": "count", "source": t.source, "locator": t.locator,
           "quote": f"{t.quote} (-4)", "source_kind": "review", "status": "verified"}
    pd.concat([x, pd.DataFrame([bad])]).fillna("").to_csv(path, index=False)
    with pytest.raises(LedgerError) as raw:
        load_ledger(path.parent)
    assert str(raw.value) == f"{path}, row {len(x) + 2}, column 'value': {rule}"

    folder = tmp_path / "sheet"
    with pytest.raises(LedgerError) as sheet:
        contribute(bcg, folder, set_cell(1, value="-4", quote=f"{t.quote} (-4)"))
    assert str(sheet.value) == f"{folder / 'numbers.csv'}, sheet 'numbers', row 3, column 'value': {rule}"

    text = RM5.read_text(encoding="latin-1")
    first = 'EVENTS_1="49" EVENTS_2="67"'  # the first study of the analysis, STD-MRC_x002d_1
    assert text.count(first) == 1
    (tmp_path / "bad.rm5").write_text(text.replace(first, 'EVENTS_1="-4" EVENTS_2="67"'), encoding="latin-1")
    work = tmp_path / "rm5"
    with pytest.raises(LedgerError) as rm5:
        contribute_rm5(work, tmp_path / "bad.rm5")
    where = f"{work / 'fleiss1993.rm5'}, <DICH_DATA STUDY_ID=STD-MRC_x002d_1> in {ANALYSIS}, attribute EVENTS_1"
    assert str(rm5.value) == f"{where} (value): {rule}"


def test_a_revman_study_with_no_participants_is_refused_as_data_raw_refuses_it(tmp_path):
    """A control arm of 0 events in 0 participants: n must be >= 1 in data/raw; from a RevMan file it was merged
    (events <= n held, and the row rules were not applied)."""
    text = RM5.read_text(encoding="latin-1")
    events, total = 'EVENTS_1="49" EVENTS_2="67"', 'TOTAL_1="615" TOTAL_2="624"'
    assert text.count(events) == text.count(total) == 1
    text = text.replace(events, 'EVENTS_1="49" EVENTS_2="0"').replace(total, 'TOTAL_1="615" TOTAL_2="0"')
    (tmp_path / "bad.rm5").write_text(text, encoding="latin-1")
    with pytest.raises(LedgerError, match=r"STUDY_ID=STD-MRC_x002d_1> in CMP-001.01, attribute TOTAL_2 \(value\): "
                                          r"n must be >= 1, got 0$"):
        contribute_rm5(tmp_path / "work", tmp_path / "bad.rm5")


def test_a_worksheet_that_excludes_a_candidate_trial_is_accepted(bcg, tmp_path):  # noqa: F811
    """'excluded' is a membership sheet's own drop-down value; the membership schema (confirmed, candidate) is the
    rule of ledger rows, and an exclusion is none: it takes the trial out of the review. Before, it was refused."""
    ledger, spec, sheets = bcg
    m = ledger["membership"]
    m = m.assign(status=["candidate" if t == "aronson1948" else s for t, s in zip(m.trial_id, m.status, strict=True)])
    t = bcg_ledger.studies().set_index("trial_id").loc["aronson1948"]

    def edit(s):
        rows = s["membership"].trial_id == "aronson1948"
        s["membership"].loc[rows, ["status", "source", "locator", "quote"]] = ["excluded", t.source, t.locator,
                                                                              t.quote]

    merged, log = contribute(({**ledger, "membership": m}, spec, sheets), tmp_path / "out", edit)
    members = merged["membership"][merged["membership"].review == "bcg"]
    assert "aronson1948" not in set(members.trial_id) and len(members) == 12
    assert log.became.str.contains("membership bcg aronson1948 excluded").sum() == 1
