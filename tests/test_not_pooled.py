"""Every trial not pooled says why, in plain words, and the worksheet pairs with the ledger's time points (issue 19).

On the BCG conformance review reduced to trials and membership (tests/bcg_ledger.py), with a time-point rule added
to its spec (2 to 365 days) and the ledger rows made to mirror the case the issue found (Sigtermans 2009: means at
"end of week 1" with no day count): Aronson 1948's events, as its data row prints them, at a time point "day 7
visit" that the ledger states without its day count. The reasons are typed here as a reader should read them.
"""

import shutil

import bcg_ledger
import pandas as pd
import pytest
import yaml
from test_pipeline import ROOT

from ketamine_ma.ledger import studies as st
from ketamine_ma.ledger.tables import load_ledger
from ketamine_ma.ledger.vocabulary import LedgerError
from ketamine_ma.outputs import worksheets as ws
from ketamine_ma.stages import completion, steps

MAIN = {"main": {"membership": "confirmed", "pm_reading": "sd", "multi_arm": "combine", "conflict": "contribution"}}
WINDOW = {"label": "2 days to a year after vaccination", "min_days": 2, "max_days": 365, "select": "earliest"}
LABEL = "day 7 visit"
RULE = "(2 to 365 days after the end of treatment)"


def dated(work, label=LABEL, days=""):
    """Aronson 1948's vaccinated and control events in the copy's raw ledger, at ``label`` and ``days``."""
    t = bcg_ledger.studies().set_index("trial_id").loc["aronson1948"]
    raw = work / "data/raw/extraction.csv"
    x = pd.read_csv(raw, dtype=str, keep_default_na=False)
    rows = [{"extract_id": f"aronson1948-tb-{arm}-events", "trial_id": "aronson1948", "outcome": "tuberculosis",
             "timepoint": label, "time_days": days, "arm": arm, "statistic": "events", "value": str(v),
             "scale": "count", "source": t.source, "locator": t.locator, "quote": t.quote, "source_kind": "review",
             "status": "verified"}
            for arm, v in (("experimental", t.tpos), ("control", t.cpos))]
    pd.concat([x, pd.DataFrame(rows)]).fillna("").to_csv(raw, index=False)


def with_window(work):
    spec_path = work / "config/reviews/bcg.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    for a in spec["analyses"].values():
        a["timepoint"] = WINDOW
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return spec


@pytest.fixture
def bcg(tmp_path):
    work = tmp_path / "w"
    shutil.copytree(ROOT / "data/raw", work / "data/raw")
    shutil.copytree(ROOT / "config", work / "config")
    bcg_ledger.reduce(work)
    return work


def ledger_and_spec(work):
    return load_ledger(work / "data/raw"), yaml.safe_load((work / "config/reviews/bcg.yaml").read_text())


def aronson(excl):
    return excl.set_index(["analysis", "trial_id"]).loc[("rr_fixed", "aronson1948"), "reason"]


def test_a_time_point_without_day_count_is_named_as_the_reason(bcg):
    with_window(bcg)
    dated(bcg)
    ledger, spec = ledger_and_spec(bcg)
    _, excl, missing = steps.clean(ledger, "bcg", spec, MAIN)
    assert aronson(excl) == (f"events at '{LABEL}' have no day count (time_days), so the time-point rule {RULE} "
                             "cannot place them")
    cells = missing[(missing.trial_id == "aronson1948") & (missing.analysis == "rr_fixed")]
    assert set(zip(cells.timepoint, cells.arm, cells.statistic, strict=True)) == {
        (LABEL, "experimental", "n"), (LABEL, "control", "n"), (LABEL, "all arms", "time_days")}
    other = excl.set_index(["analysis", "trial_id"]).loc[("rr_fixed", "ferguson1949"), "reason"]
    assert other == "no tuberculosis numbers for this trial in the ledger"


def test_a_time_point_outside_the_window_is_named_with_its_day(bcg):
    with_window(bcg)
    dated(bcg, "week 60", "420")
    ledger, spec = ledger_and_spec(bcg)
    _, excl, _ = steps.clean(ledger, "bcg", spec, MAIN)
    assert aronson(excl) == f"reported only at 'week 60' (day 420), outside the window {RULE}"


def sheet(work, exclusions=True):
    """The worksheet's numbers sheet, built as the worksheet job builds it."""
    ledger, spec = ledger_and_spec(work)
    _, excl, missing = steps.clean(ledger, "bcg", spec, MAIN)
    sheets, _ = ws.build(ws.Known("bcg", spec, ledger, missing, "confirmed", exclusions=excl if exclusions else None))
    return sheets, aronson(excl), spec


def test_the_worksheet_asks_for_the_day_count_and_pairs_the_missing_cells_with_the_ledgers_time_point(bcg):
    with_window(bcg)
    dated(bcg)
    sheets, reason, _ = sheet(bcg)
    n = sheets["numbers"]
    a = n[n.trial_id == "aronson1948"].reset_index(drop=True)
    # the numbers sheet names the arms as bcg.yaml does (arms: [Vaccinated, Control])
    assert list(zip(a.arm, a.statistic, strict=True)) == [("", "time_days"), ("Vaccinated", "n"), ("Control", "n")]
    assert (a.timepoint == LABEL).all() and (a.time_days == "").all()
    assert (a.why.str.startswith(reason)).all()
    assert "Give in 'value' the days after the end of treatment at which 'day 7 visit' was measured" in a.why[0]
    assert a.timepoint_rule[0].startswith("2 days to a year after vaccination: 2 to 365 days after the end of")


def fill_aronson(sheets, day_count=None, days_on_numbers=None):
    """Aronson's n from the BCG table (n = events + non-events) and, when given, the day count of its time point,
    quoted from the time point's own words (the fixture's label)."""
    s = {k: v.copy() for k, v in sheets.items()}
    n = s["numbers"]
    n = n[n.trial_id == "aronson1948"].reset_index(drop=True)
    filled = bcg_ledger.fill(n[n.statistic == "n"])
    if days_on_numbers is not None:
        filled["timepoint"], filled["time_days"] = "", str(days_on_numbers)
    rows = [filled]
    if day_count is not None:
        d = n[n.statistic == "time_days"].copy()
        d[["value", "source", "locator", "quote"]] = [str(day_count), "https://example.org/aronson-visits",
                                                      "visit schedule", LABEL]
        rows.insert(0, d)
    s["numbers"] = pd.concat(rows, ignore_index=True)
    s["readme"].loc[s["readme"].field == "contributor", "value"] = "Test Reader"
    s["readme"].loc[s["readme"].field == "date", "value"] = "2026-12-02"
    return s


def contribute(work, sheets, folder):
    folder.mkdir()
    for name, df in sheets.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    ledger, spec = ledger_and_spec(work)
    merged, _ = completion.contribute(ledger, [folder], ["bcg"], {"bcg": spec})
    return merged, spec


def test_the_numbers_without_the_day_count_are_accepted_and_the_trial_says_why_it_is_not_pooled(bcg, tmp_path):
    with_window(bcg)
    dated(bcg)
    sheets, _, _ = sheet(bcg)
    merged, spec = contribute(bcg, fill_aronson(sheets), tmp_path / "c")
    tables, excl, missing = steps.clean(merged, "bcg", spec, MAIN)
    assert "aronson1948" not in set(tables[("main", "rr_fixed")].trial_id)
    assert aronson(excl) == (f"events and n at '{LABEL}' have no day count (time_days), so the time-point rule "
                             f"{RULE} cannot place them")
    cells = missing[(missing.trial_id == "aronson1948") & (missing.analysis == "rr_fixed")]
    assert list(cells.statistic) == ["time_days"]  # what the next worksheet asks: the day count alone


def test_the_day_count_pools_the_trial_and_goes_to_every_row_of_its_time_point(bcg, tmp_path):
    with_window(bcg)
    dated(bcg)
    sheets, _, _ = sheet(bcg)
    merged, spec = contribute(bcg, fill_aronson(sheets, day_count=7), tmp_path / "c")
    x = merged["extraction"]
    rows = x[x.trial_id == "aronson1948"]
    assert len(rows) == 4 and (rows.time_days == 7).all()
    ledger_row = rows.set_index("extract_id").loc["aronson1948-tb-experimental-events"]
    assert "time_days 7 from the full text (visit schedule: 'day 7 visit'), read by Test Reader" in ledger_row.notes
    tables, excl, _ = steps.clean(merged, "bcg", spec, MAIN)
    t = tables[("main", "rr_fixed")].set_index("trial_id").loc["aronson1948"]
    assert (t.ai, t.n1, t.ci, t.n2, t.time_days) == (4, 123, 11, 139, 7)  # the BCG table: 4/119, 11/128
    assert "aronson1948" not in set(excl.trial_id)


def test_numbers_given_at_another_day_say_that_the_time_points_differ(bcg, tmp_path):
    with_window(bcg)
    dated(bcg)
    sheets, _, _ = sheet(bcg)
    merged, spec = contribute(bcg, fill_aronson(sheets, days_on_numbers=14), tmp_path / "c")
    _, excl, _ = steps.clean(merged, "bcg", spec, MAIN)
    assert aronson(excl) == (f"n given at day 14, events at '{LABEL}': time points differ; events at '{LABEL}' have "
                             f"no day count (time_days), so the time-point rule {RULE} cannot place them")


def test_a_day_count_must_belong_to_a_time_point_with_numbers(bcg, tmp_path):
    with_window(bcg)
    dated(bcg)
    sheets, _, _ = sheet(bcg)
    filled = fill_aronson(sheets, day_count=7)
    filled["numbers"].loc[0, "timepoint"] = "day 8 visit"
    with pytest.raises(LedgerError, match=r"sheet 'numbers', row 2, column 'timepoint': no number of aronson1948 "
                                          r"\(tuberculosis\) is at 'day 8 visit'"):
        contribute(bcg, filled, tmp_path / "c")


def test_an_unlabelled_pm_is_explained_in_the_words_of_both_readings():
    assert st.pm_words("sd") == "\u00b1 not labelled SD or SE (primary reads it as SD; pm_alt reads it as SE)"
    assert st.pm_words("se") == "\u00b1 not labelled SD or SE (primary reads it as SE; pm_alt reads it as SD)"


def test_a_day_count_the_paper_does_not_give_is_marked_not_reported_and_not_asked_again(bcg, tmp_path):
    with_window(bcg)
    dated(bcg)
    sheets, reason, _ = sheet(bcg)
    s = fill_aronson(sheets)
    n = s["numbers"]
    day = sheets["numbers"][(sheets["numbers"].trial_id == "aronson1948")
                            & (sheets["numbers"].statistic == "time_days")].copy()
    day[["not_reported", "locator"]] = ["yes", "methods and results: no day of the visit"]
    s["numbers"] = pd.concat([day, n], ignore_index=True)
    merged, spec = contribute(bcg, s, tmp_path / "c")
    assert list(merged["not_reported"].statistic) == ["time_days"]
    _, excl, missing = steps.clean(merged, "bcg", spec, MAIN)
    assert aronson(excl).startswith(f"events and n at '{LABEL}' have no day count")  # still not placed
    again, _ = ws.build(ws.Known("bcg", spec, merged, missing, "confirmed", exclusions=excl))
    assert "aronson1948" not in set(again["numbers"].trial_id)
