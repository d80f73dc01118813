"""The evidence ledger: every verified number is in its quote, every row has a source, and broken tables stop
with one message naming file, line and column."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from ketamine_ma.ledger.tables import LedgerError, load_ledger, numbers_in, value_in_quote

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"


def test_ledger_is_valid():
    tables = load_ledger(RAW)
    assert len(tables["extraction"]) > 0 and len(tables["trials"]) > 0


def test_every_verified_value_appears_in_its_quote():
    x = pd.read_csv(RAW / "extraction.csv")
    v = x[x.status == "verified"]
    assert len(v) > 50
    bad = [r.extract_id for r in v.itertuples() if not value_in_quote(r.value, r.quote)]
    assert bad == []


def test_every_row_has_source_and_quote():
    for name in ("trials", "membership", "extraction", "published"):
        df = pd.read_csv(RAW / f"{name}.csv", keep_default_na=False)
        assert (df.source.str.strip() != "").all() and (df.quote.str.strip() != "").all(), name


def test_number_reading():
    assert 0.15 in numbers_in("Ketamine (0,15 mg/kg)")
    assert -1.83 in numbers_in("difference, \u22121.83 points")
    assert 1080 in numbers_in("1,080 patients")
    assert {4, 119, 11} <= numbers_in("1,Aronson,1948,4,119,11,128,44,random")
    assert not value_in_quote(2.7, "ketamine 2.68 ± 0.51")


@pytest.fixture
def raw_copy(tmp_path):
    dst = tmp_path / "raw"
    shutil.copytree(RAW, dst)
    return dst


def edit(path, row, column, value):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[row, column] = value
    df.to_csv(path, index=False)


@pytest.mark.parametrize(
    "table,column,value,needle",
    [
        ("extraction", "value", "abc", "column 'value'"),
        ("extraction", "statistic", "meen", "column 'statistic'"),
        ("extraction", "quote", "no number here", "does not appear in its quote"),
        ("membership", "trial_id", "nobody2001", "not in trials.csv"),
        ("trials", "trial_id", "amr2011", "duplicate"),
        ("published", "source", "", "column 'source'"),
    ],
)
def test_broken_tables_name_file_line_column(raw_copy, table, column, value, needle):
    path = raw_copy / f"{table}.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = int((df.get("status", pd.Series(["verified"] * len(df))) == "verified").idxmax())
    edit(path, row, column, value)
    with pytest.raises(LedgerError) as e:
        load_ledger(raw_copy)
    assert str(path) in str(e.value) and needle in str(e.value)


def test_events_over_n(raw_copy):
    path = raw_copy / "extraction.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    i = int((df.statistic == "events").idxmax())
    extra = df.loc[[i]].copy()
    extra["extract_id"] = "test-n"
    extra["statistic"] = "n"
    extra["value"] = "1"
    extra["status"] = "derived"
    extra["derivation"] = "test"
    df = pd.concat([df, extra], ignore_index=True)
    df.loc[i, "value"] = "5"
    df.loc[i, "status"] = "derived"
    df.loc[i, "derivation"] = "test"
    df.to_csv(path, index=False)
    with pytest.raises(LedgerError, match="exceed n"):
        load_ledger(raw_copy)


def test_wrong_encoding_and_empty_file(raw_copy):
    (raw_copy / "conflicts.csv").write_bytes("conflict_id\n\xe9".encode("latin-1"))
    with pytest.raises(LedgerError, match="UTF-8"):
        load_ledger(raw_copy)
    (raw_copy / "conflicts.csv").write_text("")
    with pytest.raises(LedgerError, match="empty"):
        load_ledger(raw_copy)


def test_negative_dispersion(raw_copy):
    path = raw_copy / "extraction.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    i = int(df.statistic.isin(["sd", "se", "pm"]).idxmax())
    df.loc[i, "value"] = "-" + df.loc[i, "value"]
    df.loc[i, "status"] = "derived"
    df.loc[i, "derivation"] = "test"
    df.to_csv(path, index=False)
    with pytest.raises(LedgerError, match=r"line \d+, column 'value': \w+ must be > 0"):
        load_ledger(raw_copy)
