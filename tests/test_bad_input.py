"""Broken inputs stop the run with one clear message naming file, row (a YAML file: line) and column, a non-zero
exit, no Python traceback and no half-written results (issue 7). Hypothesis generates corruptions beyond the
hand-written ones."""

import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_pipeline import copy_project, smk

from ketamine_ma.ledger.tables import LedgerError, load_ledger

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"


def first(df, mask, what):
    """The first row of that kind in data/raw/extraction.csv. The ledger has had one of each since it was started;
    a ledger without one fails here, naming what the case needs, rather than skipping the case unseen."""
    if not mask.any():
        pytest.fail(f"data/raw/extraction.csv has no {what} row to corrupt: give this case a row of its own")
    return int(mask.idxmax())


def negative_sd(df):
    i = first(df, df.statistic.isin(["sd", "se", "pm"]), "sd, se or pm")
    df.loc[i, ["value", "status", "derivation"]] = ["-1.5", "derived", "test"]
    return i + 2, "value"


def zero_n(df):
    i = first(df, df.statistic == "n", "n")
    df.loc[i, ["value", "status", "derivation"]] = ["0", "derived", "test"]
    return i + 2, "value"


def non_numeric(df):
    i = first(df, df.statistic == "mean", "mean")
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
    pytest.fail("data/raw/extraction.csv has no ci_low/ci_high pair of one trial, outcome, time and arm to reverse: "
                "give this case a pair of its own")


def quote_without_value(df):
    i = first(df, df.status == "verified", "verified")
    df.loc[i, "quote"] = "the trial reported no numbers here"
    return i + 2, "value"


EXTRACTION_CASES = {"negative_sd": negative_sd, "zero_n": zero_n, "non_numeric": non_numeric,
                    "ci_reversed": ci_reversed, "quote_without_value": quote_without_value}


@pytest.mark.workflow
@pytest.mark.parametrize("case", sorted(EXTRACTION_CASES))
def test_bad_extraction_stops_the_run(tmp_path, case):
    work = copy_project(tmp_path)
    path = work / "data/raw/extraction.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    row, column = EXTRACTION_CASES[case](df)
    df.to_csv(path, index=False)
    # the path relative to the project and the row as every message counts rows (the header is row 1)
    assert_clean_failure(work, f"ERROR: data/raw/extraction.csv, row {row}, column '{column}'")


@pytest.mark.workflow
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


@pytest.mark.workflow
def test_wrong_encoding_stops_the_run(tmp_path):
    work = copy_project(tmp_path)
    path = work / "data/raw/trials.csv"
    path.write_bytes(path.read_text(encoding="utf-8").replace("Kvarnstr", "Kvarnstr\u00f6").encode("latin-1",
                                                                                                     "replace"))
    assert_clean_failure(work, "not UTF-8")


@pytest.mark.workflow
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


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: conftest.py's profile
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


# --- review specs and the config (issue 20): one line naming the file, analysis and key, before any job ---------

def edit_spec(review, old, new):
    def edit(work):
        path = work / f"config/reviews/{review}.yaml"
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new, 1))
    return edit


SPEC_CASES = {
    "negative day": (edit_spec("pereira2022", "min_days: 5,", "min_days: -5,"),
                     "config/reviews/pereira2022.yaml, analysis 'pain_1week', key 'timepoint.min_days': -5 days is "
                     "negative"),
    "window reversed": (edit_spec("pereira2022", "min_days: 5, max_days: 10", "min_days: 10, max_days: 5"),
                        "config/reviews/pereira2022.yaml, analysis 'pain_1week', key 'timepoint': min_days 10 is "
                        "after max_days 5"),
    # pain intensity is recorded as means, SDs and SEs: a risk ratio would ask the worksheet for "events"
    "RR for pain intensity": (edit_spec("pereira2022", "measure: MD", "measure: RR"),
                              "config/reviews/pereira2022.yaml, analysis 'pain_1week', key 'measure': RR pools "
                              "dichotomous data, but the ledger records continuous data: pain_intensity"),
    "MD for events": (edit_spec("pereira2022", "measure: RR\n    method: MH", "measure: MD\n    method: IV"),
                      "config/reviews/pereira2022.yaml, analysis 'psychedelic', key 'measure': MD pools continuous "
                      "data, but the ledger records dichotomous data"),
    "Mantel-Haenszel mean difference": (edit_spec("pereira2022", "measure: MD\n    method: IV",
                                                  "measure: MD\n    method: MH"),
                                        "config/reviews/pereira2022.yaml, analysis 'pain_1week', key 'method': "
                                        "Mantel-Haenszel pools 2x2 tables"),
    "subgroup the source lacks": (edit_spec("bcg", "subgroups: [alloc]", "subgroups: [crps]"),
                                  "config/reviews/bcg.yaml, analysis 'rr_dl', key 'subgroups': 'crps' is not a "
                                  "grouping this spec declares (a review whose source is 'table' with "
                                  "trial_attributes [] and groupings [] splits by: alloc)"),
    "undeclared grouping": (edit_spec("update16", "subgroups: [dose]", "subgroups: [missing_data]"),
                            "config/reviews/update16.yaml, analysis 'pain', key 'subgroups': 'missing_data' is not "
                            "a grouping this spec declares (a review whose source is 'ledger' with trial_attributes "
                            "[condition, pain_type, crps, route, regimen, dose_mg_kg] and groupings [] splits by: "
                            "design, dose, condition, pain_type, crps, route, regimen)"),
    "grouping named as a ledger column": (edit_spec("update16", "source: ledger",
                                                    "source: ledger\ngroupings: {status: {label: s, values: [a, b]}}"),
                                          "config/reviews/update16.yaml, key 'groupings.status': 'status' is already "
                                          "a column the ledger carries; name the grouping otherwise"),
    "dose subgroup without its cut": (edit_spec("update16", "subgroups: [dose]\n    dose_cut_mg_kg: 0.5",
                                                "subgroups: [dose]"),
                                      "config/reviews/update16.yaml, analysis 'pain', key 'dose_cut_mg_kg'"),
    "published figure that does not exist": (edit_spec("pereira2022", "published: [pain_1wk]",
                                                       "published: [pain_1wek]"),
                                             "config/reviews/pereira2022.yaml, analysis 'pain_1week', key "
                                             "'published': 'pain_1wek' is not a result_id of review 'pereira2022' "
                                             "in data/raw/published.csv"),
    "RevMan 5 with I² from tau2": (edit_spec("update16", "conventions: {preset: revman5}",
                                             "conventions: {preset: revman5, i2: tau2}"),
                                   "config/reviews/update16.yaml, key 'conventions.i2': 'tau2' is not RevMan 5's "
                                   "(RevMan 5 computes I² from Q only)"),
    "zero-cell correction that adds nothing": (edit_spec("bcg", "conventions: {preset: metafor}",
                                                         "conventions: {preset: metafor, zero_cell: {add: 0}}"),
                                               "config/reviews/bcg.yaml, key 'conventions.zero_cell.add': adding 0 "
                                               "corrects nothing"),
    "software without a preset": (edit_spec("bcg", "conventions: {preset: metafor}", "conventions: {preset: spss}"),
                                  "config/reviews/bcg.yaml, key 'conventions.preset': 'spss' is not one of"),
    "missing required key": (edit_spec("pereira2022", "    method: IV\n", ""),
                             "config/reviews/pereira2022.yaml, analysis 'pain_1week': missing required key 'method'"),
    "YAML syntax error in a spec": (edit_spec("pereira2022", "  pain_1week:", "  pain_1week: ["),
                                    "config/reviews/pereira2022.yaml, line 19, column 13: YAML syntax error"),
    "YAML syntax error in the config": (lambda work: (work / "config/config.yaml").write_text(
        (work / "config/config.yaml").read_text().replace("outcomes: []", "outcomes: [a")),
        "config/config.yaml, line 13, column 1: YAML syntax error"),
    "a review name in data/raw with no spec": (
        lambda work: rename_review(work, "membership", "zhao2018", "zhao2019"),
        "data/raw/membership.csv, row 2, column 'review': review 'zhao2019' has no spec file "
        "config/reviews/zhao2019.yaml (reviews with a spec: bcg, fleiss1993, orhurhu2019, pereira2022, update16, "
        "zhao2018)"),
}


def rename_review(work, table, old, new):
    """The first row of ``table`` naming review ``old`` (the test moves it to line 2) names ``new`` instead."""
    path = work / f"data/raw/{table}.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    i = int((df.review == old).idxmax())
    row = df.loc[[i]].assign(review=new)
    pd.concat([row, df.drop(index=i)]).to_csv(path, index=False)


def test_a_review_name_with_no_spec_file_is_named_with_the_missing_spec(tmp_path):
    """The ledger loader checks every review a row names against the spec files it is given (the extract job and the
    start-up check give it the registry); the message names the file, row and the spec that is missing."""
    raw = tmp_path / "data/raw"
    shutil.copytree(RAW, raw)
    rename_review(tmp_path, "published", "pereira2022", "newreview")
    with pytest.raises(LedgerError) as err:
        load_ledger(raw, reviews=["orhurhu2019", "pereira2022", "update16", "zhao2018"])
    assert str(err.value).startswith(f"{raw / 'published.csv'}, row 2, column 'review': review 'newreview' has no "
                                      "spec file config/reviews/newreview.yaml"), err.value


@pytest.mark.workflow
@pytest.mark.parametrize("case", list(SPEC_CASES))
def test_a_spec_that_makes_no_sense_stops_before_any_job_with_one_line(tmp_path, case):
    edit, message = SPEC_CASES[case]
    work = copy_project(tmp_path)
    edit(work)
    res = smk(work, "-n", "--config", "reviews=[orhurhu2019,zhao2018,pereira2022,update16,bcg]")
    assert res.returncode != 0
    lines = [line for line in res.stderr.splitlines() if not line.startswith("Using workflow specific profile")]
    assert lines and lines[0].startswith(f"ERROR: {message}"), res.stderr[-2000:]
    assert "Traceback" not in res.stdout + res.stderr and len(lines) <= 3, res.stderr[-2000:]
    assert not (work / "results").exists()


def test_the_spec_schema_lists_the_presets_and_each_preset_sets_every_convention():
    from ketamine_ma.stages.specs import PRESETS

    schema = yaml.safe_load((RAW.parents[1] / "config/schemas/review.schema.yaml").read_text())
    conv = schema["properties"]["conventions"]["properties"]
    assert sorted(conv["preset"]["enum"]) == sorted(PRESETS)
    keys = set(conv) - {"preset"}
    for name, preset in PRESETS.items():
        assert set(preset) == keys, name
        assert set(preset["zero_cell"]) == set(conv["zero_cell"]["properties"]), name


@pytest.mark.workflow
def test_any_review_with_a_spec_file_can_be_selected(tmp_path):
    """A user adds a review by adding its spec (here a copy of BCG's, publishing nothing): no schema to edit."""
    work = copy_project(tmp_path)
    spec = yaml.safe_load((work / "config/reviews/bcg.yaml").read_text())
    spec["review"] = "bcg2"
    for a in spec["analyses"].values():
        a.pop("published")
    (work / "config/reviews/bcg2.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    res = smk(work, "-n", "--config", "reviews=[bcg2]")
    assert res.returncode == 0, res.stderr[-2000:]
    assert "analyse_bcg2" in res.stdout
    res = smk(work, "-n", "--config", "reviews=[bcg3]")
    assert res.returncode != 0
    assert "ERROR: config 'reviews': review 'bcg3' has no spec file config/reviews/bcg3.yaml" in res.stderr


@pytest.mark.workflow
def test_a_contribution_error_is_printed_once(tmp_path):
    """An unreadable workbook concerns every selected ledger review (it was reported by each review's job, twice
    each): it is reported once, before any job runs."""
    work = copy_project(tmp_path)
    (work / "data/contrib").mkdir(parents=True)
    (work / "data/contrib/filled.xlsx").write_text("not a workbook")
    res = smk(work, "--config", "reviews=[zhao2018,pereira2022]")
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert out.count("data/contrib/filled.xlsx: not a readable .xlsx workbook") == 1, out[-3000:]
    assert any(line.startswith("ERROR: data/contrib/filled.xlsx: not a readable .xlsx workbook")
               for line in res.stderr.splitlines())
    assert "rule " not in out and "Traceback" not in out
    assert not (work / "results").exists() and not (work / "data/processed").exists()
