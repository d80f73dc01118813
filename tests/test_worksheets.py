"""Completing a review from the full text, end to end on real public data (issue 12).

The BCG conformance review is reduced to its trials and membership (tests/bcg_ledger.py): the worksheet must ask
for every number, and filling it from the published BCG data table must reproduce every published figure
(metafor's Stata-checked results in data/raw/conformance/bcg_published.csv); half of it gives `partial` with the
k of the trials filled. Runs in temporary copies with the sensitivity analyses off except the conflict reading.
"""

import hashlib
import shutil
import subprocess

import bcg_ledger
import numpy as np
import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook
from test_pipeline import ROOT, copy_project, smk

from ketamine_ma.ledger.contrib.read import from_csv_text

BCG = ["--config", "reviews=[bcg]"]
PUBLISHED = pd.read_csv(ROOT / "data/raw/conformance/bcg_published.csv")
PUBLISHED = PUBLISHED[PUBLISHED.analysis == "primary"]  # the ledger version has no allocation subgroups


def digest(folder):
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*")
            if p.is_file()}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A copy with BCG as a ledger review without numbers, and the worksheets of BCG and Zhao 2018."""
    work = copy_project(tmp_path_factory.mktemp("bcg"))
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    bcg_ledger.reduce(work)
    cfg = work / "config/config.yaml"
    config = yaml.safe_load(cfg.read_text())
    config["sensitivity"] = {"conflict_alternative": True}  # the others are tested elsewhere; this keeps it fast
    cfg.write_text(yaml.safe_dump(config))
    res = smk(work, "worksheets", "--config", "reviews=[bcg,zhao2018]")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    return work


def clone(base, tmp_path):
    """A copy of the base run (outputs and Snakemake's records kept, so only what changes reruns)."""
    dst = tmp_path / "w"
    shutil.copytree(base, dst, symlinks=True)
    return dst


def fill_xlsx(src, dst, trials=None):
    """Fill a generated workbook as a reader would, in a spreadsheet program: cell by cell."""
    wb = load_workbook(src)
    ws = wb["numbers"]
    header = [c.value for c in ws[1]]
    rows = pd.DataFrame([[c.value for c in r] for r in ws.iter_rows(min_row=2)], columns=header)
    filled = bcg_ledger.fill(rows.fillna("").astype(str), trials)
    for i, r in filled.iterrows():
        for col in ("value", "derivation", "locator", "quote", "source"):
            if r[col]:
                ws.cell(row=i + 2, column=header.index(col) + 1, value=int(r[col]) if col == "value" else r[col])
    for r in wb["readme"].iter_rows(min_row=2):
        r[1].value = {"contributor": "Test Reader", "date": "2026-12-02"}.get(r[0].value, r[1].value)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)


def fill_csv(src_dir, dst_dir, trials=None):
    """Fill the CSV twins of a worksheet (numbers and readme) as a script would."""
    shutil.copytree(src_dir, dst_dir)
    numbers = pd.read_csv(dst_dir / "numbers.csv", dtype=str, keep_default_na=False)
    bcg_ledger.fill(numbers, trials).to_csv(dst_dir / "numbers.csv", index=False)
    readme = pd.read_csv(dst_dir / "readme.csv", dtype=str, keep_default_na=False)
    readme.loc[readme.field == "contributor", "value"] = "Test Reader"
    readme.loc[readme.field == "date", "value"] = "2026-12-02"
    readme.to_csv(dst_dir / "readme.csv", index=False)


@pytest.mark.workflow
def test_worksheet_asks_for_every_bcg_number(base):
    numbers = pd.read_csv(base / "results/worksheets/bcg/numbers.csv", dtype=str, keep_default_na=False)
    assert len(numbers) == 13 * 2 * 2  # 13 trials x (vaccinated, control) x (events, n)
    assert set(numbers.trial_id) == set(bcg_ledger.studies().trial_id)
    # the arms as the spec names them (bcg.yaml: arms [Vaccinated, Control])
    assert set(zip(numbers.arm, numbers.statistic, strict=True)) == {(a, s) for a in ("Vaccinated", "Control")
                                                        for s in ("events", "n")}
    assert (numbers.analyses == "rr_fixed; rr_dl; or_fixed; or_dl; rr_reml").all()  # one cell serves all five
    assert (numbers.value == "").all() and (numbers.outcome == "tuberculosis").all()
    membership = pd.read_csv(base / "results/worksheets/bcg/membership.csv")
    assert len(membership) == 13 and (membership.current_status == "confirmed").all()
    readme = pd.read_csv(base / "results/worksheets/bcg/readme.csv", keep_default_na=False)
    assert "published k = 13" in " ".join(readme.value)


@pytest.mark.workflow
def test_xlsx_reads_back_with_the_cells_of_its_csv_twins(base):
    book = pd.read_excel(base / "results/worksheets/bcg.xlsx", sheet_name=None, dtype=str, keep_default_na=False)
    assert list(book) == ["readme", "membership", "numbers", "trials", "risk_of_bias", "published", "figures",
                          "proposals", "lists"]
    for sheet in ("readme", "membership", "numbers", "trials", "risk_of_bias", "published", "figures", "proposals"):
        twin = pd.read_csv(base / f"results/worksheets/bcg/{sheet}.csv", dtype=str, keep_default_na=False)
        twin = twin.map(from_csv_text)  # a text a spreadsheet would read as a formula is written inert
        pd.testing.assert_frame_equal(book[sheet].reset_index(drop=True), twin, check_dtype=False, obj=sheet)


@pytest.mark.workflow
def test_xlsx_has_dropdowns_frozen_header_and_room_to_write(base):
    wb = load_workbook(base / "results/worksheets/bcg.xlsx")
    assert wb["lists"].sheet_state == "hidden"
    ws = wb["numbers"]
    header = {c.value: c.column_letter for c in ws[1]}
    assert ws.freeze_panes == "A2"
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    for col, values in (("arm", {"Vaccinated", "Control", "total"}), ("statistic", {"sd", "se", "events", "n"}),
                        ("scale", {"count", "nrs_0_10"}), ("not_reported", {"yes"})):
        rng = lists[f"{header[col]}2"].removeprefix("=lists!").replace("$", "")
        allowed = {c.value for row in wb["lists"][rng] for c in row}
        assert values <= allowed, col
    assert ws.column_dimensions[header["quote"]].width >= 40
    assert all(ws.column_dimensions[letter].width >= 8 for letter in header.values())
    assert wb["membership"].data_validations.dataValidation  # status: confirmed / excluded


@pytest.mark.workflow
def test_worksheet_is_byte_identical_when_rebuilt(base):
    """The workbook is a pure function of its sheets: rebuilt a second later it has the same bytes as the run's."""
    import time

    from ketamine_ma.outputs.workbook import to_xlsx

    sheets = {s: pd.read_csv(base / f"results/worksheets/bcg/{s}.csv", dtype=str, keep_default_na=False)
              .map(from_csv_text) for s in ("readme", "membership", "numbers", "trials", "risk_of_bias", "published",
                                            "figures", "proposals")}
    spec = yaml.safe_load((base / "config/reviews/bcg.yaml").read_text())  # its arm labels name the drop-down
    first = to_xlsx(sheets, ["tuberculosis"], spec)
    time.sleep(1.1)
    assert to_xlsx(sheets, ["tuberculosis"], spec) == first == (base / "results/worksheets/bcg.xlsx").read_bytes()


@pytest.fixture(scope="module")
def filled(base, tmp_path_factory):
    """The whole worksheet filled from the BCG table (as .xlsx) and the run repeated."""
    work = tmp_path_factory.mktemp("filled") / "w"
    shutil.copytree(base, work, symlinks=True)
    raw = digest(work / "data/raw")
    fill_xlsx(work / "results/worksheets/bcg.xlsx", work / "data/contrib/bcg.xlsx")
    dry = smk(work, "-n", "worksheets", "--config", "reviews=[bcg,zhao2018]")
    res = smk(work, "results/convergence.csv", *BCG)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    return work, res, dry, raw


@pytest.mark.workflow
def test_filled_worksheet_reproduces_every_published_bcg_figure(filled):
    work, res, _, raw = filled
    rep = pd.read_csv(work / "results/reproduction.csv")
    assert len(rep) == len(PUBLISHED) == 5
    assert (rep.status == "reproduced").all(), rep[["result_id", "status", "reason"]].to_dict("records")
    assert (rep.our_k == 13).all()
    # the published values (metafor, checked against Stata; the metafor paper's REML pool on its log scale), at
    # their printed precision
    for r in rep.itertuples():
        p = PUBLISHED.set_index("result_id").loc[r.result_id]
        at = np.log if p.scale == "log" else float
        assert round(at(r.our_estimate), 4) == p.estimate and round(at(r.our_ci_low), 4) == p.ci_low, r.result_id
    assert ("bcg          cells filled 52 of 52 (52 contributed); figures 5 reproduced, 0 partial, 0 not reproducible"
            in res.stdout)
    assert digest(work / "data/raw") == raw  # the pipeline never writes data/raw


@pytest.mark.workflow
def test_contributed_rows_carry_their_provenance(filled):
    work = filled[0]
    x = pd.read_csv(work / "data/processed/bcg/ledger/extraction.csv")
    mine = x[x.source_kind == "full_text"]
    assert len(mine) == 52 and set(mine.contributor) == {"Test Reader"} and set(mine.contributed_on) == {"2026-12-02"}
    assert set(mine.status) == {"verified", "derived"}
    aronson = mine[(mine.trial_id == "aronson1948") & (mine.arm == "experimental")].set_index("statistic")
    assert aronson.loc["events", "value"] == 4 and aronson.loc["n", "value"] == 123  # 4 + 119 in its quote
    assert aronson.loc["n", "derivation"].startswith("4 + 119")
    raw = pd.read_csv(ROOT / "data/raw/extraction.csv")
    assert not raw.trial_id.isin(bcg_ledger.studies().trial_id).any()
    log = pd.read_csv(work / "data/processed/bcg/ledger/contributions.csv")
    assert len(log) == 52 and log.origin.str.contains("data/contrib/bcg.xlsx, sheet 'numbers', row ").all()


@pytest.mark.workflow
def test_filled_cells_leave_the_next_worksheet(filled):
    work = filled[0]
    numbers = pd.read_csv(work / "results/worksheets/bcg/numbers.csv", dtype=str, keep_default_na=False)
    # nothing is still missing: every row is a contributed one, carried so that the file can be saved over
    assert len(numbers) == 52 and (numbers.contributor == "Test Reader").all() and (numbers.value != "").all()
    conv = pd.read_csv(work / "results/convergence.csv").set_index("review")
    assert conv.loc["bcg", "cells_filled"] == 52 and conv.loc["bcg", "reproduced"] == 5


@pytest.mark.workflow
def test_a_contribution_reruns_only_the_reviews_it_touches(filled):
    out = filled[2].stdout + filled[2].stderr
    assert filled[2].returncode == 0, out[-2000:]
    assert "clean_bcg" in out and "review=bcg" in out
    assert "clean_zhao2018" not in out and "review=zhao2018" not in out


@pytest.mark.workflow
def test_csv_twin_gives_the_same_processed_ledger_as_the_xlsx(base, filled, tmp_path):
    work = clone(base, tmp_path)
    fill_csv(base / "results/worksheets/bcg", work / "data/contrib/bcg")
    res = smk(work, "data/processed/bcg/ledger/extraction.csv", *BCG)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    for table in ("trials", "membership", "extraction", "conflicts", "not_reported", "risk_of_bias"):
        twin = (work / f"data/processed/bcg/ledger/{table}.csv").read_bytes()
        assert twin == (filled[0] / f"data/processed/bcg/ledger/{table}.csv").read_bytes(), table


@pytest.mark.workflow
def test_half_filled_worksheet_gives_partial_with_the_right_k_and_a_conflict_its_sensitivity_analysis(
        base, tmp_path):
    """Seven of 13 trials filled (as CSV twins); the ledger meanwhile holds a misreading of one filled cell
    (Aronson's vaccinated events read as 119, the non-events printed beside them), which the reader's 4
    contradicts: a conflict row, the primary analysis on the reader's value (conflict_rule: contribution) and
    the conflict_alt sensitivity analysis on the ledger's."""
    work = clone(base, tmp_path)
    t = bcg_ledger.studies().set_index("trial_id")
    raw = work / "data/raw/extraction.csv"
    x = pd.read_csv(raw, dtype=str, keep_default_na=False)
    misread = {"extract_id": "aronson1948-tb-vaccinated-events", "trial_id": "aronson1948", "outcome": "tuberculosis",
               "arm": "experimental", "statistic": "events", "value": "119", "scale": "count",
               "source": t.loc["aronson1948", "source"], "locator": t.loc["aronson1948", "locator"],
               "quote": t.loc["aronson1948", "quote"], "source_kind": "review", "status": "verified"}
    pd.concat([x, pd.DataFrame([misread])]).fillna("").to_csv(raw, index=False)
    half = sorted(t.index)[:7]
    assert "aronson1948" in half
    fill_csv(base / "results/worksheets/bcg", work / "data/contrib/bcg_half", trials=half)
    res = smk(work, "results/convergence.csv", *BCG)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    rep = pd.read_csv(work / "results/reproduction.csv")
    assert (rep.status == "partial").all() and (rep.our_k == 7).all() and (rep.published_k == 13).all()
    missing = set(t.index) - set(half)
    assert all(all(m in reason for m in missing) for reason in rep.reason), rep.reason.tolist()
    numbers = pd.read_csv(work / "results/worksheets/bcg/numbers.csv", dtype=str, keep_default_na=False)
    still = numbers[numbers.contributor == ""]
    assert set(still.trial_id) == missing and len(still) == 24 and len(numbers) == 52
    assert ("bcg          cells filled 28 of 52 (28 contributed); figures 0 reproduced, 5 partial, 0 not reproducible"
            in res.stdout)

    conflicts = pd.read_csv(work / "data/processed/bcg/ledger/conflicts.csv", dtype=str)
    row = conflicts[conflicts.trial_id == "aronson1948"]
    assert len(row) == 1 and (row.value_a.iloc[0], row.value_b.iloc[0]) == ("119", "4")
    primary = pd.read_csv(work / "results/bcg/rr_fixed/primary/studies.csv").set_index("trial_id")
    alt = pd.read_csv(work / "results/bcg/rr_fixed/conflict_alt/studies.csv").set_index("trial_id")
    assert primary.loc["aronson1948", "ai"] == 4 and alt.loc["aronson1948", "ai"] == 119
    alt_pool = pd.read_csv(work / "results/bcg/rr_fixed/conflict_alt/pooled.csv").iloc[0]
    assert alt_pool.k == 7 and alt_pool.estimate != pytest.approx(rep.set_index("result_id").loc["rr_fixed",
                                                                                                  "our_estimate"])


@pytest.mark.workflow
def test_a_bad_contribution_stops_the_run_with_one_message_and_writes_nothing(base, tmp_path):
    work = clone(base, tmp_path)
    fill_csv(base / "results/worksheets/bcg", work / "data/contrib/bcg")
    numbers = pd.read_csv(work / "data/contrib/bcg/numbers.csv", dtype=str, keep_default_na=False)
    numbers.loc[0, "trial_id"] = "nosuch2001"
    numbers.to_csv(work / "data/contrib/bcg/numbers.csv", index=False)
    raw, sheet = digest(work / "data/raw"), (work / "results/worksheets/bcg.xlsx").read_bytes()
    processed = digest(work / "data/processed/bcg/ledger")
    res = smk(work, "results/convergence.csv", *BCG)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert ("ERROR: data/contrib/bcg/numbers.csv, sheet 'numbers', row 2, column 'trial_id': trial 'nosuch2001' is "
            "not in the ledger") in out, out[-3000:]
    assert "Traceback" not in out
    assert digest(work / "data/processed/bcg/ledger") == processed  # stopped before any job
    assert not (work / "results/reproduction.csv").exists() and not (work / "results/convergence.csv").exists()
    assert (work / "results/worksheets/bcg.xlsx").read_bytes() == sheet and digest(work / "data/raw") == raw


@pytest.mark.workflow
def test_the_contributions_folder_cannot_be_data_raw(base):
    res = smk(base, "-n", "worksheets", "--config", "reviews=[bcg]", "contrib=data/raw")
    out = res.stdout + res.stderr
    assert res.returncode != 0 and "contrib" in out and "Traceback" not in out, out[-2000:]


@pytest.mark.workflow
def test_editing_the_worksheet_writer_reruns_only_the_worksheets(base, tmp_path):
    work = clone(base, tmp_path)
    f = work / "src/ketamine_ma/outputs/worksheets.py"
    f.write_text(f.read_text() + "\n")
    res = smk(work, "-n", "worksheets", "--config", "reviews=[bcg,zhao2018]")
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-2000:]
    assert "rule worksheet:" in out
    assert not any(f"rule {r}" in out for r in ("contribute", "clean_", "extract_ledger")), out[-3000:]
