"""Bad contributions are rejected with file, sheet, row and column, before anything is written (issue 12).

Each case edits one cell of a worksheet filled from the BCG data table (tests/bcg_ledger.py) and saved as CSV
twins; the extract stage's reader must name that cell. tests/test_worksheets.py runs one such case through
Snakemake (console message, exit code, nothing written).
"""

import io
import shutil

import bcg_ledger
import pandas as pd
import pytest
import yaml
from test_pipeline import ROOT

from ketamine_ma.ledger.contrib import memory, read, route
from ketamine_ma.ledger.tables import load_ledger
from ketamine_ma.ledger.vocabulary import LedgerError
from ketamine_ma.outputs import workbook
from ketamine_ma.outputs import worksheets as ws
from ketamine_ma.stages import completion, steps

MAIN = {"main": {"membership": "confirmed", "pm_reading": "sd", "multi_arm": "combine", "conflict": "contribution"}}


@pytest.fixture(scope="module")
def bcg(tmp_path_factory):
    """The reduced BCG review: validated raw ledger, spec, and its worksheet filled from the data table."""
    work = tmp_path_factory.mktemp("contrib")
    ledger, spec = bcg_ledger.reduced_ledger(work)
    _, _, missing = steps.clean(ledger, "bcg", spec, MAIN)
    sheets, counts = ws.build(ws.Known("bcg", spec, ledger, missing, "confirmed"))
    assert counts["cells_needed"] == 52 and len(sheets["numbers"]) == 52
    sheets["numbers"] = bcg_ledger.fill(sheets["numbers"])
    sheets["readme"].loc[sheets["readme"].field == "contributor", "value"] = "Test Reader"
    sheets["readme"].loc[sheets["readme"].field == "date", "value"] = "2026-12-02"
    return ledger, spec, sheets


def contribute(bcg, folder, edit=None, reviews=("bcg",)):
    ledger, spec, sheets = bcg
    sheets = {k: v.copy() for k, v in sheets.items()}
    if edit:
        edit(sheets)
    folder.mkdir()
    for name, df in sheets.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    return completion.contribute(ledger, [folder], list(reviews), {"bcg": spec})


def test_the_filled_worksheet_is_accepted(bcg, tmp_path):
    merged, log = contribute(bcg, tmp_path / "ok")
    x = merged["extraction"]
    assert (x.source_kind == "full_text").sum() == 52 and len(log) == 52


def set_cell(row, **cells):
    def edit(sheets):
        for col, value in cells.items():
            sheets["numbers"].loc[row, col] = value
    return edit


def duplicate(row):
    def edit(sheets):
        sheets["numbers"] = pd.concat([sheets["numbers"], sheets["numbers"].iloc[[row]]], ignore_index=True)
    return edit


# Rows of the filled numbers sheet: 0 Aronson vaccinated n (123 = 4 + 119), 1 Aronson vaccinated events (4); the
# quote is the data row "1,Aronson,1948,4,119,11,128,44,random,-0.9387,0.5976". Spreadsheet row = index + 2.
CASES = {
    "unknown trial id": (set_cell(1, trial_id="nosuch2001"), 3, "trial_id", "not in the ledger"),
    "value not in its quote": (set_cell(1, value="5"), 3, "quote", "does not appear in the quote"),
    "events > n": (set_cell(1, value="128"), 3, "value", "events 128 exceed n 123"),
    "negative SD": (set_cell(0, statistic="sd", value="-0.9387", derivation=""), 2, "value", "sd must be > 0"),
    "statistic outside the enum": (set_cell(0, statistic="variance"), 2, "statistic", "is not allowed"),
    "the same cell twice": (duplicate(1), 54, "value", "already given at"),
    "an outcome the schema rejects": (set_cell(1, outcome="Tuberculosis"), 3, "outcome", "must match the pattern"),
    "a half-filled row": (set_cell(1, quote=""), 3, "quote", "partly filled"),
    "a derivation that does not add up": (set_cell(0, value="124"), 2, "derivation", "not the value 124"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_cell_is_named_by_file_sheet_row_and_column(bcg, tmp_path, case):
    edit, row, column, why = CASES[case]
    folder = tmp_path / "bad"
    with pytest.raises(LedgerError) as err:
        contribute(bcg, folder, edit)
    msg = str(err.value)
    assert msg.startswith(f"{folder / 'numbers.csv'}, sheet 'numbers', row {row}, column '{column}': "), msg
    assert why in msg, msg


def test_a_contributed_row_meets_the_canonical_source_rule(bcg, tmp_path):
    """The row check of every ledger row (ledger.rows.check_sources): had trials.csv a DOI for Aronson 1948, a
    worksheet row citing the page it was read on (the data table's URL) would be named at its source cell, as a raw
    row is; citing that DOI it is accepted, with source_kind full_text."""
    ledger, spec, sheets = bcg
    trials = ledger["trials"].copy()
    trials.loc[trials.trial_id == "aronson1948", ["doi", "no_id_reason"]] = ["10.1000/aronson.1948", None]
    known = ({**ledger, "trials": trials}, spec, sheets)
    with pytest.raises(LedgerError) as err:
        contribute(known, tmp_path / "mirror")
    msg = str(err.value)
    assert msg.startswith(f"{tmp_path / 'mirror' / 'numbers.csv'}, sheet 'numbers', row 2, column 'source': "), msg
    assert "no canonical record" in msg and "https://doi.org/10.1000/aronson.1948" in msg
    aronson = sheets["numbers"].index[sheets["numbers"].trial_id == "aronson1948"]
    merged, _ = contribute(known, tmp_path / "record", set_cell(aronson, source="https://doi.org/10.1000/aronson.1948"))
    x = merged["extraction"]
    assert (x[x.trial_id == "aronson1948"].source_kind == "full_text").all()


def test_a_cell_for_a_review_not_selected_is_rejected(bcg, tmp_path):
    with pytest.raises(LedgerError) as err:
        contribute(bcg, tmp_path / "other", reviews=("zhao2018",))
    msg = str(err.value)
    assert "sheet 'numbers', row 2, column 'review'" in msg and "'bcg' is not selected" in msg, msg


def test_a_missing_contributor_is_named_in_the_readme(bcg, tmp_path):
    def edit(sheets):
        sheets["readme"].loc[sheets["readme"].field == "contributor", "value"] = ""

    with pytest.raises(LedgerError) as err:
        contribute(bcg, tmp_path / "anon", edit)
    assert "readme.csv, sheet 'readme', row 4, column 'value': the contributor is empty" in str(err.value)


def test_an_empty_row_is_skipped_and_a_not_reported_cell_recorded(bcg, tmp_path):
    def edit(sheets):
        n = sheets["numbers"]
        n.loc[0, ["value", "derivation", "locator", "quote"]] = ""  # emptied: skipped
        n.loc[1, ["value", "derivation", "quote"]] = ""
        n.loc[1, ["not_reported", "locator"]] = ["yes", "data row trial 1 (searched)"]

    merged, log = contribute(bcg, tmp_path / "partial", edit)
    assert len(log) == 51 and (merged["extraction"].source_kind == "full_text").sum() == 50
    nr = merged["not_reported"]
    assert list(zip(nr.trial_id, nr.arm, nr.statistic, strict=True)) == [("aronson1948", "experimental", "events")]


def test_a_reviews_revman_file_fills_its_mapped_analysis(tmp_path):
    """Fleiss 1993 reduced to trials and membership; its RevMan file dropped in as data/contrib/fleiss1993.rm5
    fills analysis CMP-001.01 (spec key rm5_analysis). Expected cells are read from the XML with ElementTree."""
    import xml.etree.ElementTree as ET

    rm5 = ROOT / "data/raw/conformance/Fleiss1993.rm5"
    root = ET.parse(rm5).getroot()
    studies = {s.get("ID"): (s.get("NAME"), int(s.get("YEAR"))) for s in root.iter("STUDY")}
    data = [d for o in root.iter("DICH_OUTCOME") if o.get("ID") == "CMP-001.01" for d in o.iter("DICH_DATA")]
    work = tmp_path
    shutil.copytree(ROOT / "data/raw", work / "data/raw")
    tid = {sid: "".join(c for c in name.split()[0].lower() if c.isalpha()) + str(year)
           for sid, (name, year) in studies.items()}
    src = "https://github.com/guido-s/meta/blob/master/inst/extdata/Fleiss1993.rm5"
    trials = pd.read_csv(work / "data/raw/trials.csv", dtype=str, keep_default_na=False)
    new = pd.DataFrame([{"trial_id": tid[sid], "first_author": name, "year": str(year), "no_id_reason": "the "
                         "RevMan file names studies only", "design": "parallel", "condition": "myocardial infarction",
                         "pain_type": "unclear", "crps": "no", "route": "oral", "regimen": "aspirin", "source": src,
                         "locator": f"<STUDY ID={sid}>", "quote": f'NAME="{name}" YEAR="{year}"'}
                        for sid, (name, year) in studies.items()])
    pd.concat([trials, new]).fillna("").to_csv(work / "data/raw/trials.csv", index=False)
    mem = pd.read_csv(work / "data/raw/membership.csv", dtype=str, keep_default_na=False)
    new = pd.DataFrame([{"review": "fleiss1993", "trial_id": tid[d.get("STUDY_ID")], "status": "confirmed",
                         "source": src, "locator": "CMP-001.01", "quote": f'STUDY_ID="{d.get("STUDY_ID")}"',
                         "reason": "in the analysis"} for d in data])
    pd.concat([mem, new]).fillna("").to_csv(work / "data/raw/membership.csv", index=False)
    ledger = load_ledger(work / "data/raw")
    spec = yaml.safe_load((ROOT / "config/reviews/fleiss1993.yaml").read_text())
    spec.update(source="ledger", citation=spec["citation"] + " " + src)
    (work / "fleiss1993.rm5").write_bytes(rm5.read_bytes())
    merged, log = completion.contribute(ledger, [work / "fleiss1993.rm5"], ["fleiss1993"], {"fleiss1993": spec})
    # a review's own RevMan data is a review's table: source_kind review, told apart from the trial's paper
    x = merged["extraction"][merged["extraction"].contributor == "RevMan file fleiss1993.rm5"]
    assert (x.source_kind == "review").all()
    assert len(x) == 4 * len(data) == len(log)
    tables, _, missing = steps.clean(merged, "fleiss1993", spec, MAIN)
    table = tables[("main", "mortality")].set_index("trial_id")
    assert len(table) == len(data) == 7 and missing.empty
    for d in data:
        row = table.loc[tid[d.get("STUDY_ID")]]
        assert (row.ai, row.n1, row.ci, row.n2) == tuple(float(d.get(a)) for a in ("EVENTS_1", "TOTAL_1", "EVENTS_2",
                                                                                   "TOTAL_2"))
    # once merged, the file's numbers are remembered: the file gone, each of them is named (issue 20)
    memory.remembered([log_as_read(log, tmp_path)], work, ["fleiss1993"]).to_csv(work / memory.MEMORY, index=False)
    assert memory.lost_cells(work, memory.given_cells([work / "fleiss1993.rm5"]), ["fleiss1993"]).empty
    lost = memory.lost_cells(work, memory.given_cells([]), ["fleiss1993"])
    assert len(lost) == 4 * len(data) and set(lost.sheet) == {"revman"}
    assert "fleiss1993.rm5, <DICH_DATA STUDY_ID=" in memory.lost_message(lost, "data/contrib")


def test_a_revman_file_of_a_review_not_selected_is_rejected(bcg, tmp_path):
    f = tmp_path / "zhao2018.rm5"
    f.write_bytes((ROOT / "data/raw/conformance/Fleiss1993.rm5").read_bytes())
    with pytest.raises(LedgerError, match="'zhao2018' is not a selected review"):
        completion.contribute(bcg[0], [f], ["bcg"], {"bcg": bcg[1]})


def test_a_conflicting_number_gives_a_conflict_row_and_both_readings(bcg, tmp_path):
    """The ledger holds a misreading (Aronson's vaccinated events as 119, the non-events beside the 4); the
    contribution's 4 disagrees: both rows kept, tagged, one conflicts row, each variant pools its reading."""
    ledger, spec, _ = bcg
    t = bcg_ledger.studies().set_index("trial_id").loc["aronson1948"]
    misread = {"extract_id": "aronson1948-misread", "trial_id": "aronson1948", "outcome": "tuberculosis",
               "arm": "experimental", "statistic": "events", "value": 119.0, "scale": "count", "source": t.source,
               "locator": t.locator, "quote": t.quote, "source_kind": "review", "status": "verified"}
    ledger = {**ledger, "extraction": pd.concat([ledger["extraction"], pd.DataFrame([misread])], ignore_index=True)}
    merged, _ = contribute((ledger, spec, bcg[2]), tmp_path / "c")
    c = merged["conflicts"][merged["conflicts"].trial_id == "aronson1948"]
    assert len(c) == 1 and (c.value_a.iloc[0], c.value_b.iloc[0]) == ("119", "4")
    x = merged["extraction"]
    assert set(x[x.conflict_id == c.conflict_id.iloc[0]].reading) == {"ledger", "contribution"}
    variants = {**MAIN, "conflict_alt": {**MAIN["main"], "conflict": "ledger"}}
    tables, _, _ = steps.clean(merged, "bcg", spec, variants)
    assert tables[("main", "rr_fixed")].set_index("trial_id").loc["aronson1948", "ai"] == 4
    assert tables[("conflict_alt", "rr_fixed")].set_index("trial_id").loc["aronson1948", "ai"] == 119


GONE = "comstock1976"


def comstock():
    """Comstock 1976's row of the BCG data table."""
    return bcg_ledger.studies().set_index("trial_id").loc[GONE]


def comstock_given_back(bcg, **attributes):
    """Comstock 1976 taken out of the reduced ledger and its numbers sheet, and an edit giving it back in the trials
    sheet: what every review asks of a trial, ``attributes``, and the BCG table's row as its evidence."""
    ledger, spec, sheets = bcg
    ledger = {**ledger, "trials": ledger["trials"][ledger["trials"].trial_id != GONE],
              "membership": ledger["membership"][ledger["membership"].trial_id != GONE]}
    t = comstock()
    cells = {"trial_id": GONE, "first_author": "Comstock", "year": "1976",
             "no_id_reason": "the BCG data table names trials by author and year only", "design": "parallel",
             **attributes, "source": t.source, "locator": t.locator, "quote": t.quote, "included_source": t.source,
             "included_locator": t.locator, "included_quote": t.quote}

    def edit(s):
        s["numbers"] = s["numbers"][s["numbers"].trial_id != GONE].reset_index(drop=True)
        s["trials"].loc[0, list(cells)] = list(cells.values())

    return (ledger, spec, sheets), edit


def test_a_trial_added_in_the_trials_sheet_joins_membership_and_the_next_numbers_sheet(bcg, tmp_path):
    """Comstock 1976 taken out of the reduced ledger and given back, from the BCG table, in the trials sheet."""
    (ledger, spec, sheets), edit = comstock_given_back(
        bcg, randomised="no" if comstock().alloc != "random" else "yes", condition="tuberculosis (BCG vaccine trial)",
        pain_type="unclear", crps="no", route="not stated in the data table", regimen="BCG vaccine")
    merged, log = contribute((ledger, spec, sheets), tmp_path / "new", edit)
    assert GONE in set(merged["trials"].trial_id)
    m = merged["membership"]
    assert m[(m.review == "bcg") & (m.trial_id == GONE)].status.tolist() == ["confirmed"]
    _, _, missing = steps.clean(merged, "bcg", spec, MAIN)
    again, counts = ws.build(ws.Known("bcg", spec, merged, missing, "confirmed"))
    assert set(again["numbers"].trial_id) == {GONE} and len(again["numbers"]) == 4
    assert counts["cells_needed"] == 52 and counts["cells_filled"] == 48


def test_a_new_trial_needs_only_what_every_review_has_and_not_reported_randomisation_is_an_answer(bcg, tmp_path):
    """Comstock 1976 given back with its citation, why it has no id, design, "not reported" randomisation and the
    evidence, and none of the ketamine reviews' own attributes (condition, pain type, CRPS, route, regimen)."""
    (ledger, spec, sheets), edit = comstock_given_back(bcg, randomised="not reported")
    merged, _ = contribute((ledger, spec, sheets), tmp_path / "new", edit)
    added = merged["trials"].set_index("trial_id").loc[GONE]
    assert added.randomised == "not reported" and pd.isna(added.pain_type) and pd.isna(added.condition)


def test_every_empty_required_cell_of_new_trials_is_named_in_one_message(bcg, tmp_path):
    """Two partly filled trial rows: each empty required cell by sheet, row and column, with what to type."""
    def edit(s):
        s["trials"].loc[0, ["trial_id", "first_author", "design"]] = ["newtrial1990", "New", "parallel"]
        s["trials"].loc[1, ["trial_id", "year", "doi", "randomised"]] = ["other1991", "1991", "10.1000/x", "no"]

    with pytest.raises(LedgerError) as err:
        contribute(bcg, tmp_path / "c", edit)
    lines = str(err.value).splitlines()
    assert lines[0] == "17 required cell(s) of new trials are empty:", lines
    at = {line.split(": empty; type")[0] for line in lines[1:]}
    sheet = f"{tmp_path / 'c' / 'trials.csv'}, sheet 'trials'"
    assert f"{sheet}, row 2, column 'year'" in at and f"{sheet}, row 2, column 'no_id_reason'" in at
    assert f"{sheet}, row 3, column 'first_author'" in at and f"{sheet}, row 3, column 'design'" in at
    assert f"{sheet}, row 3, column 'no_id_reason'" not in at  # a doi is an id
    assert any("column 'randomised': empty; type yes, no or not reported (a trial whose randomisation is not "
               "reported is left out of the randomised-only sensitivity analysis" in line for line in lines)
    assert not any(c in str(err.value) for c in ("'condition'", "'pain_type'", "'crps'", "'route'"))


def test_risk_of_bias_judgements_feed_the_low_risk_sensitivity_analysis(bcg, tmp_path):
    """A mechanics check of the RoB 2 sheet: the BCG table's only risk-of-bias information is how each trial
    allocated (random, alternate, systematic), so D1 (randomisation) and, here, the overall judgement are low for
    random allocation and high otherwise, each supported by the trial's data row."""
    ledger, spec, sheets = bcg
    t = bcg_ledger.studies()

    def edit(s):
        rob = s["risk_of_bias"].set_index("trial_id")
        for r in t.itertuples():
            j = "low" if r.alloc == "random" else "high"
            rob.loc[r.trial_id, ["d1_randomisation", "d1_randomisation_support", "overall", "overall_support",
                                 "locator"]] = [j, r.quote, j, f"allocation: {r.alloc}", r.locator]
        s["risk_of_bias"] = rob.reset_index()[s["risk_of_bias"].columns]

    merged, _ = contribute(bcg, tmp_path / "rob", edit)
    variants = {**MAIN, "low_rob": {**MAIN["main"], "risk_of_bias": "low"}}
    tables, _, _ = steps.clean(merged, "bcg", spec, variants)
    assert set(tables[("low_rob", "rr_dl")].trial_id) == set(t[t.alloc == "random"].trial_id)
    assert len(tables[("main", "rr_dl")]) == 13


# ----------------------------------------------------------------- contributions survive every round (issue 20)

FORMULA_LIKE = ['=HYPERLINK("http://example.invalid","click")', "+1 (see Table 2)", "-0.9387 on the log scale",
                "@SUM(A1:A3)", "#N/A", "'=quoted already", "''", "'a quote with an apostrophe", "plain text"]


def test_no_text_is_written_as_a_formula(bcg):
    """Every text cell of the workbook is text: openpyxl would store the first one as a formula and '#N/A' as an
    error; those a spreadsheet program re-reads as a formula when edited carry the quote prefix."""
    from openpyxl import load_workbook

    sheets = {k: v.copy() for k, v in bcg[2].items()}
    n = len(FORMULA_LIKE)
    sheets["numbers"].loc[:n - 1, "quote"] = FORMULA_LIKE
    sheets["membership"].loc[:n - 1, "current_evidence"] = FORMULA_LIKE
    wb = load_workbook(io.BytesIO(workbook.to_xlsx(sheets, ["tuberculosis"])))
    for sheet, col in (("numbers", "quote"), ("membership", "current_evidence")):
        head = [c.value for c in wb[sheet][1]]
        cells = [wb[sheet].cell(row=i + 2, column=head.index(col) + 1) for i in range(n)]
        assert [c.value for c in cells] == FORMULA_LIKE
        assert {c.data_type for c in cells} == {"s"}
        assert [c.quotePrefix for c in cells] == [t[0] in "=+-@" for t in FORMULA_LIKE]


def test_the_csv_twins_write_formula_like_text_inert_and_read_it_back_verbatim(bcg, tmp_path):
    sheets = {k: v.copy() for k, v in bcg[2].items()}
    n = len(FORMULA_LIKE)
    sheets["membership"].loc[:n - 1, "current_evidence"] = FORMULA_LIKE
    sheets["numbers"].loc[0, "quote"] = "=HYPERLINK(\"http://example.invalid\",\"click\") " + sheets["numbers"].loc[
        0, "quote"]
    folder = tmp_path / "twins"
    folder.mkdir()
    for name, df in sheets.items():
        workbook.csv_twin(df).to_csv(folder / f"{name}.csv", index=False)
    written = pd.read_csv(folder / "membership.csv", dtype=str, keep_default_na=False).current_evidence[:n]
    # as a spreadsheet program opens the file: no cell starts with a formula character
    assert not any(t[:1] in "=+-@" for t in written)
    assert written[0] == "'" + FORMULA_LIKE[0] and written[n - 1] == "plain text"
    back = read.read_sheets(folder)
    assert back["membership"].current_evidence[:n].tolist() == FORMULA_LIKE
    merged, _ = completion.contribute(bcg[0], [folder], ["bcg"], {"bcg": bcg[1]})
    x = merged["extraction"].set_index("extract_id")
    assert x.loc["aronson1948-tuberculosis-any-vaccinated-n-fulltext", "quote"] == sheets["numbers"].loc[0, "quote"]


def log_as_read(log, tmp_path):
    """The contribution log as the worksheet job reads it (the contribute job's CSV)."""
    log.to_csv(tmp_path / "contributions.csv", index=False)
    return pd.read_csv(tmp_path / "contributions.csv", dtype=str, keep_default_na=False)


def test_the_next_worksheet_carries_the_contributed_rows_with_their_own_provenance(bcg, tmp_path):
    """Round one fills seven trials; round two fills three more in the regenerated worksheet under another
    name and date. The carried rows keep who read them and when; nothing is lost."""
    ledger, spec, filled = bcg
    t = sorted(bcg_ledger.studies().trial_id)
    first = {k: v.copy() for k, v in filled.items()}
    first["numbers"] = bcg_ledger.fill(ws.build(_known(ledger, spec))[0]["numbers"], t[:7])
    merged, log = contribute((ledger, spec, first), tmp_path / "one")
    again, counts = ws.build(_known(merged, spec, contributed=log_as_read(log, tmp_path)))
    assert counts["cells_contributed"] == 28 and counts["cells_filled"] == 28
    carried = again["numbers"][again["numbers"].contributor != ""]
    assert len(carried) == 28 and set(carried.contributed_on) == {"2026-12-02"}
    assert set(carried.trial_id) == set(t[:7]) and len(again["numbers"]) == 52
    again["numbers"] = bcg_ledger.fill(again["numbers"], t[7:10])
    again["readme"].loc[again["readme"].field == "contributor", "value"] = "Second Reader"
    again["readme"].loc[again["readme"].field == "date", "value"] = "2026-12-03"
    merged, log = contribute((ledger, spec, again), tmp_path / "two")
    x = merged["extraction"][merged["extraction"].source_kind == "full_text"]
    who = x.groupby("trial_id").contributor.agg(set)
    assert len(x) == 40 and len(log) == 40
    assert all(who[i] == {"Test Reader"} for i in t[:7]) and all(who[i] == {"Second Reader"} for i in t[7:10])


def _known(ledger, spec, **more):
    """What the worksheet job knows of the BCG review after the clean stage ran on ``ledger``."""
    _, _, missing = steps.clean(ledger, "bcg", spec, MAIN)
    return ws.Known("bcg", spec, ledger, missing, "confirmed", **more)


def test_a_reading_given_in_two_files_is_merged_once_and_two_readings_are_refused(bcg, tmp_path):
    ledger, spec, sheets = bcg
    contribute(bcg, tmp_path / "a")  # writes the folder
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    merged, log = completion.contribute(ledger, [tmp_path / "a", tmp_path / "b"], ["bcg"], {"bcg": spec})
    assert (merged["extraction"].source_kind == "full_text").sum() == 52 and len(log) == 104
    numbers = pd.read_csv(tmp_path / "b/numbers.csv", dtype=str, keep_default_na=False)
    numbers.loc[1, ["value", "quote"]] = ["5", numbers.loc[1, "quote"].replace(",4,", ",5,")]
    numbers.to_csv(tmp_path / "b/numbers.csv", index=False)
    with pytest.raises(LedgerError, match=r"b/numbers.csv, sheet 'numbers', row 3, column 'value': the same cell "
                                          r"\(aronson1948, tuberculosis, no time point, experimental, events\) is "
                                          r"already given at .*a/numbers.csv, sheet 'numbers', row 3"):
        completion.contribute(ledger, [tmp_path / "a", tmp_path / "b"], ["bcg"], {"bcg": spec})


def test_a_cell_no_contribution_gives_any_more_is_named_until_its_removal_is_confirmed(bcg, tmp_path):
    """merged.csv (what the last run merged) against the contributions now; removed.csv confirms."""
    ledger, spec, _ = bcg
    folder = tmp_path / "contrib"
    folder.mkdir()
    _, log = contribute(bcg, folder / "bcg")
    memory.remembered([log_as_read(log, tmp_path)], folder, ["bcg"]).to_csv(folder / memory.MEMORY, index=False)

    def given():  # what the contributions in the folder give now, read once per check as a run's start does
        return memory.given_cells(route.discover(folder))

    assert memory.lost_cells(folder, given(), ["bcg"]).empty
    numbers = pd.read_csv(folder / "bcg/numbers.csv", dtype=str, keep_default_na=False)
    numbers.iloc[2:].to_csv(folder / "bcg/numbers.csv", index=False)  # Aronson's vaccinated n and events deleted
    lost = memory.lost_cells(folder, given(), ["bcg"])
    assert list(zip(lost.trial_id, lost.arm, lost.statistic, lost.value, strict=True)) == [
        ("aronson1948", "Vaccinated", "n", "123"), ("aronson1948", "Vaccinated", "events", "4")]
    assert memory.lost_cells(folder, given(), ["zhao2018"]).empty  # not selected: not checked
    # a run of another review forgets nothing of this one
    assert len(memory.remembered([log_as_read(log.iloc[0:0], tmp_path)], folder, ["zhao2018"])) == 52
    msg = memory.lost_message(lost, "data/contrib")
    assert "aronson1948 tuberculosis Vaccinated events = 4 (merged from " in msg
    (folder / memory.REMOVED).write_text(msg[msg.index("sheet,review"):])
    assert memory.lost_cells(folder, given(), ["bcg"]).empty
    assert memory.revived(folder, given()).empty
    numbers.to_csv(folder / "bcg/numbers.csv", index=False)  # given again: the removal lines must go
    back = memory.revived(folder, given())
    assert back.row.tolist() == [2, 3]
    assert "row 3: numbers aronson1948 tuberculosis Vaccinated events" in memory.revived_message(back, "data/contrib")


def test_a_cell_given_as_a_value_and_as_not_reported_is_refused(bcg, tmp_path):
    def edit(sheets):
        extra = sheets["numbers"].iloc[[1]].copy()
        extra[["value", "derivation", "quote", "not_reported"]] = ["", "", "", "yes"]
        sheets["numbers"] = pd.concat([sheets["numbers"], extra], ignore_index=True)

    with pytest.raises(LedgerError, match=r"numbers.csv, sheet 'numbers', row 54, column 'not_reported': the same "
                                          r"cell is already given at .*row 3 \(as a value\)"):
        contribute(bcg, tmp_path / "twice", edit)


def test_a_worksheet_made_before_the_contributor_columns_still_reads(bcg, tmp_path):
    def edit(sheets):
        for name in ("membership", "numbers", "trials", "risk_of_bias"):
            sheets[name] = sheets[name].drop(columns=["contributor", "contributed_on"])

    merged, log = contribute(bcg, tmp_path / "old", edit)
    assert (merged["extraction"].source_kind == "full_text").sum() == 52 and set(log.contributor) == {"Test Reader"}


def test_the_workflow_and_the_reader_see_the_same_contributions(tmp_path):
    """One listing (ledger.contrib.route) for the run's inputs and the reader: a folder that is not a worksheet's
    CSV twins is no contribution, and a twin folder's contribution is its sheets' files, never a stray CSV beside
    them (common.smk listed every folder and every CSV in it on its own)."""
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.csv").write_text("a,b\n")
    twins = tmp_path / "round2"
    twins.mkdir()
    for name in ("numbers.csv", "readme.csv", "scratch.csv"):
        (twins / name).write_text("field,value\n")
    (tmp_path / "bcg.rm5").write_text("<COCHRANE_REVIEW/>")
    (tmp_path / "~$open.xlsx").write_bytes(b"")
    assert route.discover(tmp_path) == [tmp_path / "bcg.rm5", twins]
    assert route.unit_files(twins) == [twins / "readme.csv", twins / "numbers.csv"]


# --- a review's printed figures from its worksheet's published sheet (issue 28) -----------------------------------

REML = {"review": "bcg", "result_id": "rr_reml_sheet", "kind": "pooled", "outcome": "tuberculosis",
        "analysis": "primary", "measure": "RR", "estimate": "-0.7145", "ci_low": "-1.0669", "ci_high": "-0.3622",
        "scale": "log",
        "p": "<.0001", "k": "13", "model": "random effects (REML), log relative risk",
        "source": "https://doi.org/10.18637/jss.v036.i03", "locator": "p. 14",
        "quote": "-0.7145 0.1798 -3.9744 <.0001 -1.0669 -0.3622", "source_kind": "primary"}


def published_row(**change):
    def edit(s):
        for k, v in {**REML, **change}.items():
            s["published"].loc[0, k] = v
    return edit


def test_the_published_sheet_has_the_published_tables_columns_and_its_figures_join_the_ledger(bcg, tmp_path):
    """The metafor paper's REML pool (p. 14) typed in the published sheet joins the processed ledger's published
    table with who read it; the sheet's columns are the table's (one list: ledger.schemas)."""
    from ketamine_ma.ledger.schemas import SCHEMAS

    assert list(bcg[2]["published"].columns) == [*SCHEMAS["published"].columns, "contributor", "contributed_on"]
    merged, _ = contribute(bcg, tmp_path / "c", published_row())
    got = merged["published"].set_index("result_id").loc["rr_reml_sheet"]
    assert (got.estimate, got.ci_low, got.ci_high, got.k) == ("-0.7145", "-1.0669", "-0.3622", "13")  # as printed
    assert (got.contributor, got.source_kind) == ("Test Reader", "primary")
    assert len(merged["published"]) == len(bcg[0]["published"]) + 1


@pytest.mark.parametrize("change,column,words", [
    ({"estimate": "-0.7154"}, "estimate", "-0.7154 does not appear in the quote"),
    ({"scale": "logit"}, "scale", "must be one of"),
    ({"review": "bcg2"}, "review", "review 'bcg2' is not selected"),
])
def test_a_bad_published_row_is_named_by_file_sheet_row_and_column(bcg, tmp_path, change, column, words):
    with pytest.raises(LedgerError) as err:
        contribute(bcg, tmp_path / "c", published_row(**change))
    at = f"{tmp_path / 'c' / 'published.csv'}, sheet 'published', row 2, column '{column}'"
    assert str(err.value).startswith(at) and words in str(err.value), err.value


def test_a_published_row_of_an_unknown_kind_is_named(bcg, tmp_path):
    from ketamine_ma.ledger.contrib.read import published_columns

    if "kind" not in published_columns():
        pytest.skip("the published table has no 'kind' column yet (issue 27 adds it)")
    with pytest.raises(LedgerError) as err:
        contribute(bcg, tmp_path / "c", published_row(kind="forest"))
    at = f"{tmp_path / 'c' / 'published.csv'}, sheet 'published', row 2, column 'kind'"
    assert str(err.value).startswith(at) and "must be one of" in str(err.value), err.value


ALLOC = {"alloc_method": {"label": "method of treatment allocation", "values": ["random", "alternate", "systematic"]}}


def with_allocation(bcg):
    """The reduced review with its own grouping, allocation, declared in its spec and split by in rr_dl."""
    ledger, spec, sheets = bcg
    spec = {**spec, "groupings": ALLOC,
            "analyses": {**spec["analyses"], "rr_dl": {**spec["analyses"]["rr_dl"], "subgroups": ["alloc_method"],
                                                         "subgroup_test": {"model": "common_tau2",
                                                                           "tau2_estimator": "REML"}}}}
    return ledger, spec, sheets


def give_allocation(sheets, trials=None):
    """Each trial's allocation, as the BCG data table prints it, in the membership sheet's grouping columns."""
    t = bcg_ledger.studies().set_index("trial_id")
    m = sheets["membership"]
    for c in ("alloc_method", "alloc_method_quote"):
        m[c] = ""
    for i, tid in m.trial_id.items():
        if trials is None or tid in trials:
            m.loc[i, ["alloc_method", "alloc_method_quote", "source", "locator"]] = [
                t.loc[tid, "alloc"], t.loc[tid, "quote"], t.loc[tid, "source"], t.loc[tid, "locator"]]


def test_a_grouping_given_in_the_membership_sheet_joins_membership_and_splits_the_analysis(bcg, tmp_path):
    """metafor's dat.bcg split by allocation (random 7, alternate 2, systematic 4 trials), given per trial."""
    ledger, spec, sheets = with_allocation(bcg)
    built, _ = ws.build(ws.Known("bcg", spec, ledger, steps.clean(ledger, "bcg", spec, MAIN)[2], "confirmed"))
    assert list(built["membership"].columns[-2:]) == ["alloc_method", "alloc_method_quote"]
    merged, log = contribute((ledger, spec, sheets), tmp_path / "alloc", give_allocation)
    m = merged["membership"].set_index("trial_id")
    assert m.alloc_method.value_counts().to_dict() == {"random": 7, "systematic": 4, "alternate": 2}
    assert m.loc["aronson1948", "alloc_method_quote"].endswith("44,random,-0.9387,0.5976")
    tables, _, _ = steps.clean(merged, "bcg", spec, MAIN)
    study = tables[("main", "rr_dl")]
    assert study.alloc_method.value_counts().to_dict() == {"random": 7, "systematic": 4, "alternate": 2}


@pytest.mark.parametrize("column,value,words", [
    ("alloc_method", "quasi-random", "'quasi-random' is not a value of the grouping 'alloc_method'"),
    ("blinding", "double", "'blinding' is not a grouping config/reviews/bcg.yaml declares (groupings: "
                           "alloc_method)"),
    ("alloc_method_quote", "", "column 'alloc_method_quote': empty"),
])
def test_a_bad_grouping_cell_is_named_by_file_sheet_row_and_column(bcg, tmp_path, column, value, words):
    def edit(sheets):
        give_allocation(sheets)
        sheets["membership"].loc[2, column] = value  # the sheet's row 4

    with pytest.raises(LedgerError) as e:
        contribute(with_allocation(bcg), tmp_path / "bad", edit)
    msg = str(e.value)
    assert msg.startswith(f"{tmp_path / 'bad' / 'membership.csv'}, sheet 'membership', row 4, column '{column}'")
    assert words in msg, msg


def test_the_numbers_sheet_names_the_arms_as_the_review_does_and_the_ledger_keeps_its_own(bcg, tmp_path):
    """bcg.yaml names its arms Vaccinated and Control: the sheet shows them, the ledger's rows and ids keep the
    ledger's arm names, and an arm the review does not have is named with the review's choices."""
    _, _, sheets = bcg
    assert set(sheets["numbers"].arm) == {"Vaccinated", "Control"}
    merged, _ = contribute(bcg, tmp_path / "ok")
    mine = merged["extraction"][merged["extraction"].source_kind == "full_text"]
    assert set(mine.arm) == {"experimental", "control"}
    assert "aronson1948-tuberculosis-any-vaccinated-events-fulltext" in set(mine.extract_id)
    with pytest.raises(LedgerError) as e:
        contribute(bcg, tmp_path / "bad", set_cell(0, arm="placebo"))
    assert str(e.value) == (f"{tmp_path / 'bad' / 'numbers.csv'}, sheet 'numbers', row 2, column 'arm': 'placebo' is "
                            "not an arm of review 'bcg'; choose one of: Vaccinated, Control, total, baseline, "
                            "difference, Vaccinated 2, Control 2")


def test_a_worksheet_from_an_earlier_round_with_the_arms_former_names_still_reads(bcg, tmp_path):
    """Worksheets handed out before the ledger named its arms by role said `ketamine` for the experimental arm
    (numbers sheet) and `n_ketamine` for its size (trials sheet): read as `experimental` and `n_experimental`,
    giving the rows and ids the review's own labels give."""
    _, _, sheets = bcg
    labels = {"Vaccinated": "ketamine", "Control": "control"}
    merged, _ = contribute(bcg, tmp_path / "now")
    before, _ = contribute(bcg, tmp_path / "before", lambda s: s["numbers"].__setitem__(
        "arm", s["numbers"].arm.map(labels)))
    assert set(sheets["numbers"].arm) == set(labels)
    mine = [m[m.source_kind == "full_text"].sort_values("extract_id").reset_index(drop=True)
            for m in (merged["extraction"], before["extraction"])]
    assert set(mine[1].arm) == {"experimental", "control"} and len(mine[1]) == 52
    pd.testing.assert_frame_equal(mine[0], mine[1])
    # Comstock 1976's vaccinated arm, 27 + 16886 in the BCG data table, in the trials sheet's former column
    old = tmp_path / "old_trials"
    old.mkdir()
    trials = sheets["trials"].rename(columns={"n_experimental": "n_ketamine"})
    trials.loc[0, ["trial_id", "n_ketamine"]] = ["comstock1976", "16913"]
    trials.to_csv(old / "trials.csv", index=False)
    got = read.read_sheets(old)["trials"]
    assert "n_ketamine" not in got.columns and got.loc[0, "n_experimental"] == "16913"


def figure_sheets(scale, accept="yes", outcome="tuberculosis", row_outcome="tuberculosis"):
    """A figures sheet with one figure (``outcome`` and ``scale`` chosen for it, accepted or not) and its proposals
    sheet: the mean of Aronson 1948's vaccinated arm as a continuous figure would propose it, without a scale (a
    figure prints none) and under ``row_outcome``, and one row given a scale of its own."""
    cols = read.LAYOUT
    fig = {"review": "bcg", "source": "plot.pdf", "page": "p. 1", "figure": "Figure 1, p. 1", "measure": "MD",
           "outcome": outcome, "scale": scale, "accept": accept, "_row": 2}
    prop = {"review": "bcg", "figure": "Figure 1, p. 1", "trial_id": "aronson1948", "study": "Aronson 1948",
            "outcome": row_outcome, "arm": "Vaccinated", "statistic": "mean", "value": "4", "source": "plot.pdf",
            "locator": "Figure 1, p. 1", "quote": "Aronson 1948 4 4.5 123", "self_check": "passes"}
    props = [{**prop, "scale": "", "_row": 2}, {**prop, "statistic": "sd", "value": "4.5", "scale": "other", "_row": 3}]
    return {"figures": pd.DataFrame([fig]).reindex(columns=[*cols["figures"], "_row"], fill_value=""),
            "proposals": pd.DataFrame(props).reindex(columns=[*cols["proposals"], "_row"], fill_value="")}


def test_the_scale_chosen_for_a_figure_is_the_scale_of_its_accepted_rows_that_give_none():
    out = read.accepted(figure_sheets("count"))
    assert out[["statistic", "scale", "_row", "_figure_row"]].values.tolist() == [["mean", "count", 2, 2],
                                                                               ["sd", "other", 3, 2]]
    assert read.accepted(figure_sheets("count", accept="")).empty  # a figure nobody accepted gives nothing


def test_the_outcome_chosen_for_a_figure_is_the_outcome_of_its_accepted_rows_that_give_none():
    """A review analysing several outcomes by the figure's measure: the worksheet leaves the outcome to the
    reader, who chooses it once, in the figure's cell."""
    out = read.accepted(figure_sheets("count", outcome="tuberculosis", row_outcome=""))
    assert set(out.outcome) == {"tuberculosis"}


def figure_edit(*args, **kw):
    """A worksheet edit that puts ``figure_sheets(*args, **kw)``'s figures and proposals sheets in."""
    def edit(sheets):
        sheets.update(figure_sheets(*args, **kw))
        for name in ("figures", "proposals"):
            sheets[name] = sheets[name].drop(columns="_row")

    return edit


def test_an_accepted_figure_whose_outcome_is_not_chosen_asks_for_it_in_its_figures_cell(bcg, tmp_path):
    folder = tmp_path / "unchosen"
    with pytest.raises(LedgerError) as err:
        contribute(bcg, folder, figure_edit("count", outcome="", row_outcome=""))
    assert str(err.value) == (
        f"{folder / 'figures.csv'}, sheet 'figures', row 2, column 'outcome': empty; Figure 1, p. 1 of plot.pdf "
        "prints mean values (e.g. aronson1948 Vaccinated mean = 4) but not which of the review's outcomes they are: "
        "choose it (tuberculosis), or give it row by row in the proposals sheet")


def test_an_accepted_figure_of_means_without_a_scale_asks_for_it_in_its_figures_cell(bcg, tmp_path):
    """A figure prints means and SDs, not the scale they are on: accepting it in its one cell without choosing
    the scale names that figure's scale cell, once, not each of its rows."""
    folder = tmp_path / "unscaled"
    with pytest.raises(LedgerError) as err:
        contribute(bcg, folder, figure_edit(""))
    assert str(err.value) == (
        f"{folder / 'figures.csv'}, sheet 'figures', row 2, column 'scale': empty; Figure 1, p. 1 of plot.pdf prints "
        "mean values (e.g. aronson1948 Vaccinated mean = 4) but not the scale they are on: choose it (nrs_0_10, "
        "vas_0_10, vas_0_100, percent_relief, count, percent, other; 'count' for a number of days or events), or "
        "give it row by row in the proposals sheet")


def test_the_trials_sheet_asks_for_the_trial_attributes_its_review_declares_and_no_others(bcg):
    """The BCG review declares none: its trials sheet has no condition, pain type, CRPS, route, regimen or dose
    column (what every review asks stays); a ketamine review declaring all of them gets them all. A worksheet
    without them reads back (test_a_new_trial_needs_only_what_every_review_has_...)."""
    from ketamine_ma.ledger.vocabulary import TRIAL_ATTRIBUTES

    _, spec, sheets = bcg
    assert not spec.get("trial_attributes")
    cols = list(sheets["trials"].columns)
    assert not set(TRIAL_ATTRIBUTES) & set(cols)
    assert {"first_author", "year", "no_id_reason", "design", "randomised", "included_quote"} <= set(cols)
    ketamine = yaml.safe_load((ROOT / "config/reviews/orhurhu2019.yaml").read_text())
    assert read.review_columns("trials", ketamine) == read.LAYOUT["trials"]
