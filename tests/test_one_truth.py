"""One ledger truth after a contribution, and the reason a trial is not pooled printed the same everywhere (issue 19).

Runs the pipeline in temporary copies on the BCG conformance review reduced to trials and membership
(tests/bcg_ledger.py), the sensitivity analyses off except the conflict reading (as tests/test_worksheets.py).
"""

import html
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import bcg_ledger
import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook
from test_not_pooled import LABEL, RULE, dated, fill_aronson, with_window
from test_pipeline import copy_project, smk

BCG = ["--config", "reviews=[bcg]"]
SHEETS = ("readme", "membership", "numbers", "trials", "risk_of_bias")
TARGETS = ["results/report/index.html", "results/umbrella/umbrella.csv", "results/convergence.csv"]


def project(tmp_path):
    work = copy_project(tmp_path / "w")
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    bcg_ledger.reduce(work)
    cfg = work / "config/config.yaml"
    config = yaml.safe_load(cfg.read_text())
    config["sensitivity"] = {"conflict_alternative": True}
    cfg.write_text(yaml.safe_dump(config))
    return work


def run(work, *targets):
    res = smk(work, *targets, *BCG)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]


def sheets_of(work):
    return {s: pd.read_csv(work / f"results/worksheets/bcg/{s}.csv", dtype=str, keep_default_na=False)
            for s in SHEETS}


def drop_in(sheets, folder):
    folder.mkdir(parents=True)
    for name, df in sheets.items():
        df.to_csv(folder / f"{name}.csv", index=False)


def page_text(path):
    """A report page's text as a reader reads it (tags out, entities decoded, spaces collapsed)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", path.read_text())).split())


def svg_text(path):
    """The text of an SVG figure, line after line (a wrapped reason reads as one)."""
    return " ".join(t.text or "" for t in ET.parse(path).iter("{http://www.w3.org/2000/svg}text"))


@pytest.mark.workflow
def test_a_half_filled_contribution_reads_the_same_in_every_output(tmp_path):
    """The raw ledger lists the 13 BCG trials as candidates; a reader confirms all 13 and fills the numbers of 7.
    Coverage, the exclusion logs, the missing cells, the ledger, missing-cells and study-rows pages, the forest plot
    and the umbrella's overlap must all say what reproduction.csv says: 7 pooled, 13 confirmed, the other 6 not
    pooled for the same reason; none may still read the raw (pre-contribution) ledger."""
    work = project(tmp_path)
    mem = pd.read_csv(work / "data/raw/membership.csv", dtype=str, keep_default_na=False)
    mem.loc[mem.review == "bcg", "status"] = "candidate"
    mem.to_csv(work / "data/raw/membership.csv", index=False)
    run(work, "worksheets")
    t = bcg_ledger.studies().set_index("trial_id")
    half, rest = sorted(t.index)[:7], sorted(t.index)[7:]
    s = sheets_of(work)
    s["numbers"] = bcg_ledger.fill(s["numbers"], half)
    s["membership"][["status", "source", "locator", "quote"]] = [
        ["confirmed", t.loc[i, "source"], t.loc[i, "locator"], t.loc[i, "quote"]] for i in s["membership"].trial_id]
    s["readme"].loc[s["readme"].field == "contributor", "value"] = "Test Reader"
    s["readme"].loc[s["readme"].field == "date", "value"] = "2026-12-02"
    drop_in(s, work / "data/contrib/bcg_half")
    run(work, *TARGETS)

    rep = pd.read_csv(work / "results/reproduction.csv")
    assert (rep.our_k == 7).all() and (rep.status == "partial").all()
    cov = pd.read_csv(work / "results/ledger/coverage.csv")
    assert (cov.trials_confirmed == 13).all() and (cov.trials_candidate == 0).all()
    assert (cov.trials_with_usable_data == 7).all() and (cov.trials_excluded == 6).all()
    excl = pd.read_csv(work / "results/ledger/trial_exclusions.csv")
    for r in rep.itertuples():  # each trial reproduction.csv names, with the exclusion log's reason, word for word
        e = excl[excl.analysis == r.analysis]
        assert sorted(e.trial_id) == rest
        assert all(f"{x.trial_id} ({x.reason})" in r.reason for x in e.itertuples()), r.reason
    missing = pd.read_csv(work / "results/ledger/missing_cells.csv")
    analyses = yaml.safe_load((work / "config/reviews/bcg.yaml").read_text())["analyses"]
    assert sorted(set(missing.trial_id)) == rest and len(missing) == 6 * 4 * len(analyses)  # trials x cells x ...

    # conservation on the merged ledger: every contributed row is pooled, and every row pooled or excused
    merged = pd.read_csv(work / "data/processed/merged/extraction.csv")
    mine = set(merged[merged.source_kind == "full_text"].extract_id)
    assert len(mine) == 28
    used = {i for a in rep.analysis for ids in pd.read_csv(work / f"results/bcg/{a}/primary/studies.csv").extract_ids
            for i in ids.split(";")}
    rows = pd.read_csv(work / "results/ledger/exclusions.csv")
    assert mine <= used and not mine & set(rows.extract_id)
    assert set(rows.extract_id) | used == set(merged.extract_id)

    ledger = page_text(work / "results/report/ledger.html")
    assert all(i in ledger for i in mine)
    assert ledger.count("bcg (confirmed)") == 13 and "bcg (candidate)" not in ledger
    missing_page = page_text(work / "results/report/missing.html")
    assert all(f"bcg rr_fixed {i}" in missing_page for i in rest)
    assert not any(f"bcg rr_fixed {i}" in missing_page for i in half)
    studies = page_text(work / "results/report/bcg-studies.html")
    assert studies.count("Included but not pooled (6)") == len(analyses)
    e = excl[excl.analysis == "rr_fixed"]
    assert all(f"{t.loc[i, 'study_id'].split()[0]} {t.loc[i, 'year']} confirmed {x}" in studies
               for i, x in zip(e.trial_id, e.reason, strict=True))
    forest = svg_text(work / "results/figures/bcg/rr_fixed.forest.svg")
    assert "Not in the pool (6 trials)" in forest and all(x in forest for x in e.reason)
    overlap = pd.read_csv(work / "results/umbrella/overlap.csv").set_index("membership")
    assert overlap.loc["confirmed", "bcg"] == 13
    flow = svg_text(work / "results/figures/bcg.flow.svg")
    assert "(13 confirmed, 0 candidate)" in flow and "membership policy (confirmed): 13" in flow


@pytest.mark.workflow
def test_a_time_point_without_day_count_is_named_everywhere_until_the_reader_gives_it(tmp_path):
    """Aronson 1948's events sit in the ledger at "day 7 visit" without a day count (the case of Sigtermans 2009);
    the spec selects 2 to 365 days. The worksheet asks for the day count in a row of its own; a reader who fills
    the n but not the day count gets the trial not pooled, with the same reason in reproduction.csv, the forest
    plot, the study-rows page and the next worksheet's why; giving the day count pools it."""
    work = project(tmp_path)
    with_window(work)
    dated(work)
    run(work, "worksheets")
    wb = load_workbook(work / "results/worksheets/bcg.xlsx")
    ws = wb["numbers"]
    head = [c.value for c in ws[1]]
    rows = [dict(zip(head, (c.value for c in r), strict=True)) for r in ws.iter_rows(min_row=2)]
    aronson = [r for r in rows if r["trial_id"] == "aronson1948"]
    # the numbers sheet names the arms as bcg.yaml does (arms: [Vaccinated, Control])
    assert [(r["arm"], r["statistic"]) for r in aronson] == [(None, "time_days"), ("Vaccinated", "n"),
                                                             ("Control", "n")]
    assert all(r["timepoint"] == LABEL and r["time_days"] is None for r in aronson)
    assert aronson[0]["why"].startswith(f"events at '{LABEL}' have no day count")

    drop_in(fill_aronson(sheets_of(work)), work / "data/contrib/aronson")
    run(work, *TARGETS)
    reason = (f"events and n at '{LABEL}' have no day count (time_days), so the time-point rule {RULE} cannot "
              "place them")
    excl = pd.read_csv(work / "data/processed/bcg/exclusions.csv")
    assert excl.set_index(["analysis", "trial_id"]).loc[("rr_fixed", "aronson1948"), "reason"] == reason
    rep = pd.read_csv(work / "results/reproduction.csv")
    assert (rep.our_k == 0).all() and all(f"aronson1948 ({reason})" in r for r in rep.reason)
    assert reason in svg_text(work / "results/figures/bcg/rr_fixed.forest.svg")
    assert f"Aronson 1948 confirmed {reason}" in page_text(work / "results/report/bcg-studies.html")
    days = sheets_of(work)  # the next worksheet: the n given (carried, filled) and the day count still asked
    n = days["numbers"]
    again = n[(n.trial_id == "aronson1948") & (n.value == "")]
    assert list(again.statistic) == ["time_days"] and again.why.iloc[0].startswith(reason + ". Give in 'value'")
    carried = n[(n.trial_id == "aronson1948") & (n.value != "")]
    assert list(carried.statistic) == ["n", "n"] and (carried.timepoint == LABEL).all()

    n.loc[again.index, ["value", "source", "locator", "quote"]] = ["7", "https://example.org/aronson-visits",
                                                                   "visit schedule", LABEL]
    days["readme"].loc[days["readme"].field == "contributor", "value"] = "Test Reader"
    days["readme"].loc[days["readme"].field == "date", "value"] = "2026-12-02"
    shutil.rmtree(work / "data/contrib/aronson")  # saved over the first one, as a reader would
    drop_in(days, work / "data/contrib/aronson")
    run(work, *TARGETS)
    pooled = pd.read_csv(work / "results/bcg/rr_fixed/primary/studies.csv").set_index("trial_id")
    assert list(pooled.index) == ["aronson1948"]
    assert tuple(pooled.loc["aronson1948", ["ai", "n1", "ci", "n2", "time_days"]]) == (4, 123, 11, 139, 7)
    assert (pd.read_csv(work / "results/reproduction.csv").our_k == 1).all()
    assert "aronson1948" not in set(pd.read_csv(work / "data/processed/bcg/exclusions.csv").trial_id)
    numbers = pd.read_csv(work / "results/worksheets/bcg/numbers.csv", dtype=str, keep_default_na=False)
    assert (numbers[numbers.trial_id == "aronson1948"].value != "").all()  # nothing more is asked of it


def test_the_merged_ledger_takes_each_review_s_membership_and_every_change_a_contribution_made():
    """Two reviews' processed ledgers over one raw ledger (as text, as the extract stage writes them): review a's
    contribution confirmed t1 and contradicted row x1 (a conflict); review b did not receive it and holds the raw
    copies. The union keeps the raw numbers as printed, a's membership of a, b's of b, and x1's conflict reading."""
    from ketamine_ma.ledger.merged import union

    raw = {"trials": pd.DataFrame({"trial_id": ["t1"]}),
           "membership": pd.DataFrame({"review": ["a", "b", "c"], "trial_id": ["t1"] * 3,
                                       "status": ["candidate"] * 3}),
           "extraction": pd.DataFrame({"extract_id": ["x1"], "trial_id": ["t1"], "time_days": [""],
                                       "value": ["5.40"], "notes": [""]}),
           "conflicts": pd.DataFrame({"conflict_id": ["k0"], "trial_id": ["t1"]}),
           "published": pd.DataFrame({"review": ["a", "b"], "result_id": ["p0", "q0"]})}
    extra = {"reading": "", "conflict_id": "", "source_kind": ""}
    b = {**raw, "extraction": raw["extraction"].assign(**extra, value="5.4"),
         "membership": raw["membership"].assign(source_kind="")}
    a = {**b, "membership": b["membership"].assign(status=["confirmed", "candidate", "candidate"],
                                                   source_kind=["full_text", "", ""]),
         "extraction": pd.concat([b["extraction"].assign(reading="ledger", conflict_id="k1"),
                                  pd.DataFrame([{"extract_id": "x1-fulltext", "trial_id": "t1", "time_days": "",
                                                 "value": "6", "notes": "", "reading": "contribution",
                                                 "conflict_id": "k1", "source_kind": "full_text"}])]),
         "conflicts": pd.concat([raw["conflicts"], pd.DataFrame({"conflict_id": ["k1"], "trial_id": ["t1"]})]),
         # a figure of a's published sheet (its reader named); b's ledger holds the raw figures only
         "published": pd.concat([raw["published"].assign(contributor=""),
                                 pd.DataFrame({"review": ["a"], "result_id": ["p1"], "contributor": ["R"]})])}
    for views in ({"a": a, "b": b}, {"b": b, "a": a}):
        m = union(raw, views)
        assert m["membership"].set_index("review").status.to_dict() == {"a": "confirmed", "b": "candidate",
                                                                          "c": "candidate"}
        x = m["extraction"].set_index("extract_id")
        assert list(x.index) == ["x1", "x1-fulltext"] and x.loc["x1", "value"] == "5.40"
        assert x.reading.to_dict() == {"x1": "ledger", "x1-fulltext": "contribution"}
        assert list(m["conflicts"].conflict_id) == ["k0", "k1"]
        assert list(m["published"].result_id) == ["p0", "q0", "p1"]  # the raw figures in order, then a's
