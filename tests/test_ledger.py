"""The evidence ledger: every verified number is in its quote, every row has a source, and broken tables stop
with one message naming file, line and column."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from ketamine_ma.ledger.rows import numbers_in, value_in_quote
from ketamine_ma.ledger.tables import LedgerError, load_ledger
from ketamine_ma.ledger.vocabulary import CANONICAL_SOURCE

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


def _table(name):
    return pd.read_csv(RAW / f"{name}.csv", dtype=str, keep_default_na=False)


IDS = ["doi", "pmid", "pmcid", "registry_id"]


def test_every_trial_has_a_canonical_id_or_says_why_not():
    t = _table("trials")
    has_id = (t[IDS] != "").any(axis=1)
    has_reason = t.no_id_reason.str.strip() != ""
    assert (has_id != has_reason).all(), t.trial_id[has_id == has_reason].tolist()
    assert (t.id_source[has_id].str.strip() != "").all(), "every id says where it was read"


def test_read_at_is_a_url_and_not_the_source():
    for name, pairs in (("trials", [("source", "read_at")]), ("membership", [("source", "read_at")]),
                        ("extraction", [("source", "read_at")]), ("published", [("source", "read_at")]),
                        ("conflicts", [("source_a", "read_at_a"), ("source_b", "read_at_b")])):
        df = _table(name)
        for src, at in pairs:
            filled = df[df[at] != ""]
            assert filled[at].str.match(r"^https?://\S+( ; https?://\S+)*$").all(), (name, at)
            assert (filled[at] != filled[src]).all(), (name, at)
            # a page read elsewhere than its canonical record is named as such
            assert filled[src].str.match(CANONICAL_SOURCE).all(), (name, src)


def test_extraction_cites_a_mirror_only_where_no_canonical_record_is_known():
    x = _table("extraction").merge(_table("trials")[["trial_id", *IDS]], on="trial_id")
    mirror = ~x.source.str.match(CANONICAL_SOURCE)
    known = (x[IDS] != "").any(axis=1)
    # a secondary account (a news report, a narrative quoting the trial) is a source in its own right, and so is
    # another publication of the trial (a follow-up paper) whose own record no page read names
    secondary = x.locator.str.contains("secondary|quoted passage|follow-up publication", case=False)
    assert x.extract_id[mirror & known & ~secondary].tolist() == []


def test_canonical_source_is_the_trials_own_record():
    x = _table("extraction").merge(_table("trials")[["trial_id", *IDS]], on="trial_id")
    pm = x.source.str.extract(r"^https://pubmed\.ncbi\.nlm\.nih\.gov/(\d+)/$")[0]
    doi = x.source.str.extract(r"^https://doi\.org/(\S+)$")[0]
    assert (pm[pm.notna()] == x.pmid[pm.notna()]).all()
    assert (doi[doi.notna()].str.lower() == x.doi[doi.notna()].str.lower()).all()


@pytest.mark.xfail(strict=True, reason="goal of issue 10 not reached: no source read gives a PMID or DOI for "
                   "Czarnetzki 2020, Noppers 2011, Sigtermans 2010, Eichenberger 2008, Kiefer 2008a "
                   "(trials.csv no_id_reason); news and clinic pages are the only sources of Correll 2004, "
                   "Fallon 2018 and part of Goldberg 2005")
def test_at_most_a_tenth_of_extraction_sources_are_not_canonical_records():
    x = _table("extraction")
    assert (~x.source.str.match(CANONICAL_SOURCE)).mean() <= 0.10


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
        ("trials", "pmid", "", "column 'no_id_reason'"),
        ("extraction", "read_at", "suppr.wilddata.cn/x", "column 'read_at'"),
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


def test_a_figure_read_in_two_places_is_one_figure_and_must_print_the_same_numbers(raw_copy):
    """orhurhu2019's primary figure is read from two pages: one result_id, two rows, the same numbers."""
    path = raw_copy / "published.csv"
    pub = load_ledger(raw_copy)["published"]
    rows = pub[(pub.review == "orhurhu2019") & (pub.result_id == "pain_lowest_ge48h")]
    assert len(rows) == 2 and rows.read_at.nunique() == 2
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    second = df.index[(df.review == "orhurhu2019") & (df.result_id == "pain_lowest_ge48h")][1]
    edit(path, second, "p", ".001")
    with pytest.raises(LedgerError) as e:
        load_ledger(raw_copy)
    assert f"line {second + 2}, column 'p'" in str(e.value) and "the same figure" in str(e.value)
