"""Broken inputs stop the run with one clear message naming file, line and column, a non-zero exit, no Python
traceback and no half-written results (issue 7). Hypothesis generates corruptions beyond the hand-written ones."""

import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_pipeline import copy_project, smk

from ketamine_ma.ledger.tables import LedgerError, load_ledger

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"


def first(df, mask):
    return int(mask.idxmax()) if mask.any() else pytest.skip("no row of that kind in the ledger")


def negative_sd(df):
    i = first(df, df.statistic.isin(["sd", "se", "pm"]))
    df.loc[i, ["value", "status", "derivation"]] = ["-1.5", "derived", "test"]
    return i + 2, "value"


def zero_n(df):
    i = first(df, df.statistic == "n")
    df.loc[i, ["value", "status", "derivation"]] = ["0", "derived", "test"]
    return i + 2, "value"


def non_numeric(df):
    i = first(df, df.statistic == "mean")
    df.loc[i, "value"] = "2.5 (SD 1)"
    return i + 2, "value"


def ci_reversed(df):
    lows = df[df.statistic == "ci_low"]
    for i, r in lows.iterrows():
        hi = df[(df.statistic == "ci_high") & (df.trial_id == r.trial_id) & (df.outcome == r.outcome)
                & (df.timepoint == r.timepoint) & (df.arm == r.arm)]
        if len(hi):
            df.loc[i, ["value", "status", "derivation"]] = [str(float(r.value) + 1000), "derived", "test"]
            return i + 2, "value"
    pytest.skip("no CI pair in the ledger")


def quote_without_value(df):
    i = first(df, df.status == "verified")
    df.loc[i, "quote"] = "the trial reported no numbers here"
    return i + 2, "value"


EXTRACTION_CASES = {"negative_sd": negative_sd, "zero_n": zero_n, "non_numeric": non_numeric,
                    "ci_reversed": ci_reversed, "quote_without_value": quote_without_value}


@pytest.mark.parametrize("case", sorted(EXTRACTION_CASES))
def test_bad_extraction_stops_the_run(tmp_path, case):
    work = copy_project(tmp_path)
    path = work / "data/raw/extraction.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    line, column = EXTRACTION_CASES[case](df)
    df.to_csv(path, index=False)
    assert_clean_failure(work, f"data/raw/extraction.csv, line {line}, column '{column}'")


@pytest.mark.parametrize(
    "table,mutate,needle",
    [
        ("trials", lambda df: df.rename(columns={"design": "study_design"}), "missing column(s) design"),
        ("trials", lambda df: pd.concat([df, df.iloc[[0]]]), "duplicate"),
        ("membership", lambda df: df.assign(trial_id=["ghost2001"] + list(df.trial_id[1:])), "not in trials.csv"),
        ("conflicts", lambda df: df.iloc[0:0], "no rows"),
    ],
)
def test_bad_tables_stop_the_run(tmp_path, table, mutate, needle):
    work = copy_project(tmp_path)
    path = work / f"data/raw/{table}.csv"
    mutate(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(path, index=False)
    assert_clean_failure(work, needle)


def test_wrong_encoding_stops_the_run(tmp_path):
    work = copy_project(tmp_path)
    path = work / "data/raw/trials.csv"
    path.write_bytes(path.read_text(encoding="utf-8").replace("Kvarnstr", "Kvarnstr\u00f6").encode("latin-1",
                                                                                                     "replace"))
    assert_clean_failure(work, "not UTF-8")


def test_malformed_rm5_stops_the_run(tmp_path):
    work = copy_project(tmp_path)
    rm5 = work / "data/raw/conformance/Fleiss1993.rm5"
    rm5.write_text(rm5.read_text(encoding="latin-1")[:5000], encoding="latin-1")
    assert_clean_failure(work, "Fleiss1993.rm5: not a well-formed RevMan 5 XML file", "reviews=[fleiss1993]",
                         ledger_broken=False)


def assert_clean_failure(work, needle, reviews="reviews=[orhurhu2019,zhao2018,pereira2022,update16]",
                         ledger_broken=True):
    res = smk(work, "--config", reviews)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert needle in out[out.rindex("Error in rule"):], out[-3000:]  # under Snakemake's error report, not a log
    assert "Traceback" not in out
    # The copy starts without results/, so any file there now was written by the failed run (provenance included).
    assert [str(f.relative_to(work)) for f in work.glob("results/**/*") if f.is_file()] == []
    if ledger_broken:
        assert not list(work.glob("data/processed/ledger/*.csv")), "the failed extract left its outputs behind"
    assert not list(work.rglob(".*.csv.*")), "a temporary file of an atomic write was left behind"


CELLS = st.one_of(st.text(max_size=12), st.floats(allow_nan=True, allow_infinity=True).map(str),
                  st.integers(-10**6, 10**6).map(str), st.sampled_from(["", "NA", "-0", "1e400", "±3"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=st.sampled_from(["extraction", "trials", "membership", "published"]), row=st.integers(0, 40),
       col=st.integers(0, 20), value=CELLS)
def test_any_corrupted_cell_is_valid_or_a_clear_ledger_error(table, row, col, value):
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        shutil.copytree(RAW, raw)
        path = raw / f"{table}.csv"
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        df.iloc[row % len(df), col % df.shape[1]] = value
        df.to_csv(path, index=False)
        try:
            load_ledger(raw)
        except LedgerError as e:
            assert str(e).startswith(str(raw)), str(e)
