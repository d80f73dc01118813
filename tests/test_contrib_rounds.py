"""Contributions survive every round (issue 20): a worksheet regenerated after a run carries every cell already
contributed, so saving it over the old file keeps them; a cell the last run merged that is gone from every
contribution stops the run until its removal is confirmed in data/contrib/removed.csv; the completion line counts
every contributed cell; and no text becomes a formula on the way.

On the BCG review reduced to its trials and membership (tests/bcg_ledger.py), filled from the published data
table in two rounds, as a reader would: seven trials first, three more in the regenerated worksheet.
"""

import shutil
import subprocess

import bcg_ledger
import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook
from test_pipeline import copy_project, smk
from test_worksheets import digest, fill_xlsx

BCG = ["--config", "reviews=[bcg]"]
TRIALS = sorted(bcg_ledger.studies().trial_id)
FIRST, SECOND = TRIALS[:7], TRIALS[7:10]  # aronson1948 is in the first round
FORMULA = '=HYPERLINK("http://example.invalid","click")'


def run(work):
    res = smk(work, "results/convergence.csv", *BCG)
    return res, res.stdout + res.stderr


@pytest.fixture(scope="module")
def first_round(tmp_path_factory):
    """The worksheet's first seven trials filled and run; one membership confirmation quotes a formula-like text
    (a contributed text cell), as does one ledger quote (a pre-filled text cell)."""
    work = copy_project(tmp_path_factory.mktemp("rounds"))
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    bcg_ledger.reduce(work)
    mem = pd.read_csv(work / "data/raw/membership.csv", dtype=str, keep_default_na=False)
    mem.loc[(mem.review == "bcg") & (mem.trial_id == "ferguson1949"), "quote"] = FORMULA
    mem.to_csv(work / "data/raw/membership.csv", index=False)
    cfg = work / "config/config.yaml"
    config = yaml.safe_load(cfg.read_text())
    config["sensitivity"] = {}
    cfg.write_text(yaml.safe_dump(config))
    res = smk(work, "worksheets", *BCG)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    book = work / "data/contrib/bcg.xlsx"
    fill_xlsx(work / "results/worksheets/bcg.xlsx", book, trials=FIRST)
    wb = load_workbook(book)
    ws = wb["membership"]
    head = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[head.index("trial_id")].value == "aronson1948")
    for col, value in (("status", "confirmed"), ("source", "https://example.invalid/review"),
                       ("locator", "Table 1"), ("quote", FORMULA)):
        cell = row[head.index(col)]
        cell.value = value
        cell.data_type = "s"  # typed into a spreadsheet as text
    wb.save(book)
    res, out = run(work)
    assert res.returncode == 0, out[-3000:]
    (work / "first_round.out").write_text(res.stdout)
    return work


def clone(src, tmp_path):
    dst = tmp_path / "w"
    shutil.copytree(src, dst, symlinks=True)
    return dst


def sheet_rows(path, sheet):
    wb = load_workbook(path)
    ws = wb[sheet]
    head = [c.value for c in ws[1]]
    return head, [dict(zip(head, r, strict=True)) for r in ws.iter_rows(min_row=2)]


@pytest.mark.workflow
def test_the_regenerated_worksheet_carries_the_contributed_cells(first_round):
    assert "bcg          cells filled 28 of 52 (28 contributed)" in (first_round / "first_round.out").read_text()
    head, rows = sheet_rows(first_round / "results/worksheets/bcg.xlsx", "numbers")
    carried = [r for r in rows if r["contributor"].value]
    assert len(carried) == 28 and {r["trial_id"].value for r in carried} == set(FIRST)
    assert {r["contributed_on"].value for r in carried} == {"2026-12-02"}
    aronson = next(r for r in carried if (r["trial_id"].value, r["arm"].value, r["statistic"].value)
                   == ("aronson1948", "Vaccinated", "n"))
    assert (aronson["value"].value, aronson["derivation"].value) == ("123", "4 + 119")
    assert aronson["quote"].value == bcg_ledger.studies().set_index("trial_id").loc["aronson1948", "quote"]
    assert len([r for r in rows if not r["contributor"].value]) == 24  # still missing: 6 trials x 4 cells
    twin = pd.read_csv(first_round / "results/worksheets/bcg/numbers.csv", dtype=str, keep_default_na=False)
    assert (twin.contributor == "Test Reader").sum() == 28


@pytest.mark.workflow
def test_a_worksheet_saved_over_the_old_one_keeps_every_contributed_cell(first_round, tmp_path):
    """Issue 20 case 1: the next round is filled in the regenerated worksheet and saved under the same name."""
    work = clone(first_round, tmp_path)
    fill_xlsx(work / "results/worksheets/bcg.xlsx", work / "data/contrib/bcg.xlsx", trials=SECOND)
    res, out = run(work)
    assert res.returncode == 0, out[-3000:]
    x = pd.read_csv(work / "data/processed/bcg/ledger/extraction.csv")
    mine = x[x.source_kind == "full_text"]
    assert len(mine) == 40 and set(mine.trial_id) == set(FIRST + SECOND)
    assert "bcg          cells filled 40 of 52 (40 contributed)" in res.stdout, out[-3000:]
    conv = pd.read_csv(work / "results/convergence.csv").set_index("review")
    assert (conv.loc["bcg", "cells_filled"], conv.loc["bcg", "cells_contributed"]) == (40, 40)
    rep = pd.read_csv(work / "results/reproduction.csv")
    assert (rep.our_k == 10).all()


@pytest.mark.workflow
def test_a_cell_gone_from_every_contribution_stops_the_run_until_its_removal_is_confirmed(first_round, tmp_path):
    work = clone(first_round, tmp_path)
    before = {p: digest(work / p) for p in ("results", "data/processed")}
    # the round-one file replaced by one filled from the first worksheet without aronson1948
    fill_xlsx(work / "results/worksheets/bcg.xlsx", work / "data/contrib/bcg.xlsx", trials=FIRST[1:])
    wb = load_workbook(work / "data/contrib/bcg.xlsx")
    ws = wb["numbers"]
    head = [c.value for c in ws[1]]
    for i in range(ws.max_row, 1, -1):
        if ws.cell(row=i, column=head.index("trial_id") + 1).value == "aronson1948":
            ws.delete_rows(i)
    wb.save(work / "data/contrib/bcg.xlsx")
    res, out = run(work)
    assert res.returncode != 0
    assert out.count("contributed cell(s) that the last run merged are in no contribution") == 1, out[-4000:]
    for stat in ("Vaccinated events", "Vaccinated n", "Control events", "Control n"):  # as the sheet names the arms
        assert f"aronson1948 tuberculosis {stat}" in out, out[-4000:]
    assert "data/contrib/bcg.xlsx, sheet 'numbers', row " in out and "data/contrib/removed.csv" in out
    assert "Traceback" not in out
    assert {p: digest(work / p) for p in before} == before  # nothing written
    # confirmed as the message says: its lines copied into data/contrib/removed.csv
    lines = out[out.index("sheet,review,trial_id"):].splitlines()
    lines = [ln for ln in lines if ln.startswith(("sheet,", "numbers,"))]
    assert len(lines) == 5, lines
    (work / "data/contrib/removed.csv").write_text("\n".join(lines) + "\n")
    res, out = run(work)
    assert res.returncode == 0, out[-3000:]
    assert "bcg          cells filled 24 of 52 (24 contributed)" in res.stdout
    x = pd.read_csv(work / "data/processed/bcg/ledger/extraction.csv")
    assert "aronson1948" not in set(x[x.source_kind == "full_text"].trial_id)
    (work / "data/contrib/removed.csv").unlink()  # once merged without them, nothing asks for them again
    res, out = run(work)
    assert res.returncode == 0, out[-3000:]


@pytest.mark.workflow
def test_no_text_becomes_a_formula_and_a_quote_survives_the_round_trip(first_round, tmp_path):
    head, rows = sheet_rows(first_round / "results/worksheets/bcg.xlsx", "membership")
    by_trial = {r["trial_id"].value: r for r in rows}
    ledger_quote = by_trial["ferguson1949"]["current_evidence"]  # pre-filled from the ledger
    contributed = by_trial["aronson1948"]["quote"]  # carried from the contribution
    for cell in (ledger_quote, contributed):
        assert (cell.data_type, cell.value, cell.quotePrefix) == ("s", FORMULA, True)
    twin = pd.read_csv(first_round / "results/worksheets/bcg/membership.csv", dtype=str, keep_default_na=False)
    assert twin.set_index("trial_id").loc["aronson1948", "quote"] == "'" + FORMULA  # inert in a spreadsheet
    # saved over the old file unchanged, then the CSV twins instead: the quote stays verbatim
    work = clone(first_round, tmp_path)
    shutil.copy(work / "results/worksheets/bcg.xlsx", work / "data/contrib/bcg.xlsx")
    res, out = run(work)
    assert res.returncode == 0, out[-3000:]
    mem = pd.read_csv(work / "data/processed/bcg/ledger/membership.csv", dtype=str, keep_default_na=False)
    assert mem.set_index("trial_id").loc["aronson1948", "quote"] == FORMULA
    (work / "data/contrib/bcg.xlsx").unlink()
    shutil.copytree(work / "results/worksheets/bcg", work / "data/contrib/bcg")
    res, out = run(work)
    assert res.returncode == 0, out[-3000:]
    mem = pd.read_csv(work / "data/processed/bcg/ledger/membership.csv", dtype=str, keep_default_na=False)
    assert mem.set_index("trial_id").loc["aronson1948", "quote"] == FORMULA
    x = pd.read_csv(work / "data/processed/bcg/ledger/extraction.csv")
    assert (x.source_kind == "full_text").sum() == 28
