"""Forest plots and tables read as rows (issue 29): proposals from the rows, self-checked, quotes verified in their row.

The plots are drawn at run time by R's metafor (Debian r-cran-metafor 3.8) with tests/reference/forest_plots.R:
dat.bcg's 2x2 counts as ilab columns under Vaccinated/Control with weights (metafor's own layout), the same trials
by allocation with a pooled polygon per subgroup (addpoly), the continuous rows of dat.gibson2002 (means, SDs and
sizes), and those rows in RevMan's column order with a prediction-interval row. The expected arm data are the
published data sets (data/raw/conformance/bcg_studies.csv, R's dat.gibson2002); the expected pools metafor's
(pooled.csv, written by the same R script). The BCG table on p. 9 of the metafor paper is read from the R install.
No PDF is kept in the repository.
"""

import functools
import shutil
import subprocess
import time
from pathlib import Path

import bcg_ledger
import numpy as np
import pandas as pd
import pytest
from test_fulltext import metafor_pdf

from ketamine_ma.engine import effects, tau2_estimators
from ketamine_ma.ledger import fulltext, fulltext_index, layout, pdf_text, proposals
from ketamine_ma.ledger.vocabulary import LedgerError

SCRIPT = Path(__file__).parent / "reference/forest_plots.R"


@pytest.fixture(scope="module")
def plots(tmp_path_factory):
    if not shutil.which("Rscript"):
        pytest.skip("Rscript is not installed")
    out = tmp_path_factory.mktemp("plots")
    subprocess.run(["Rscript", str(SCRIPT), str(out)], check=True, capture_output=True, timeout=300)
    shutil.copy(metafor_pdf(), out / "metafor.pdf")
    return out


@functools.cache  # one R process for the tests that read it
def gibson():
    out = subprocess.run(["Rscript", "-e", "suppressMessages(library(metafor)); d <- dat.gibson2002; "
                          "write.csv(d[!is.na(d$m1i), c('author','year','n1i','m1i','sd1i','n2i','m2i','sd2i')], "
                          "stdout(), row.names = FALSE)"], capture_output=True, text=True, check=True, timeout=120)
    from io import StringIO

    return pd.read_csv(StringIO(out.stdout))


def bcg_trials():
    t = bcg_ledger.studies()
    return [{"trial_id": r.trial_id, "first_author": r.study_id.rsplit(" ", 1)[0].split(" et al")[0]
             .split(" & ")[0], "year": r.year} for r in t.itertuples()]


def gibson_trials(g):
    return [{"trial_id": f"{a.lower()}{y}", "first_author": a, "year": y} for a, y in zip(g.author, g.year,
                                                                                          strict=True)]


def only_table(path, page=1):
    tabs = layout.tables(layout.read(path)[page - 1], page)
    assert len(tabs) == 1, [t["label"] for t in tabs]
    return tabs[0]


def test_metafor_bcg_forest_plot_rows_hold_each_trials_counts_in_their_columns(plots):
    t = only_table(plots / "bcg_forest.pdf")
    assert t["label"] == "Figure 2" and t["measure"] == "RR" and not t["problems"]
    assert [(c["name"].replace("\u2212", "-"), c["group"]) for c in t["columns"]] == [
        ("TB+", "Vaccinated"), ("TB-", "Vaccinated"), ("TB+", "Control"), ("TB-", "Control")]
    printed = {r["label"]: [int(r["cells"][i]["text"]) for i in range(4)] for r in t["rows"] if r["kind"] == "study"}
    expected = {s.study_id: [s.tpos, s.tneg, s.cpos, s.cneg] for s in bcg_ledger.studies().itertuples()}
    assert {k.replace("\u2212", "-"): v for k, v in printed.items()} == expected
    text = layout.as_text(layout.read(plots / "bcg_forest.pdf"))
    assert "Aronson 1948 | 4 | 119 | 11 | 128 | 5.06% 0.41 [0.13, 1.26]" in text.splitlines()


def test_the_metafor_papers_48_pages_are_laid_out_and_its_p9_table_columns_named(plots):
    start = time.perf_counter()
    pages = layout.read(plots / "metafor.pdf")
    took = time.perf_counter() - start
    print(f"layout of metafor.pdf ({len(pages)} pages): {took:.2f} s")
    assert len(pages) == 48
    t = layout.tables(pages[8], 9)[0]
    assert [c["name"] for c in t["columns"][:4]] == ["tpos", "tneg", "cpos", "cneg"]


@pytest.fixture(scope="module")
def docs(plots, tmp_path_factory):
    folder = tmp_path_factory.mktemp("ft")
    texts = {}
    for f in ("metafor.pdf", "bcg_forest.pdf"):
        shutil.copy(plots / f, folder / f)
        d = pdf_text.read_pdf(folder / f)
        texts[d["sha256"]] = d
    return fulltext.Documents(fulltext_index.index(folder, texts), texts, "data/fulltext")


def where(col):
    return f"data/contrib/bcg.xlsx, sheet 'numbers', row 3, column '{col}'"


CONTROL_EVENTS = {"value": (1, "events")}


def test_metafor_paper_p9_aronson_control_events_typed_as_4_is_rejected_naming_its_column(docs):
    row = "Aronson 1948 4 119 11 128 44 random"
    assert docs.verify("metafor.pdf", "p. 9", row, {"value": 11.0}, where, CONTROL_EVENTS)[2] == 9
    with pytest.raises(LedgerError) as err:
        docs.verify("metafor.pdf", "p. 9", row, {"value": 4.0}, where, CONTROL_EVENTS)
    assert str(err.value) == (f"{where('value')}: 4 is printed in the row of 'Aronson 1948' under 'tpos', not under "
                              "the control arm's events ('cpos', which prints 11) (the table on p. 9), in "
                              "data/fulltext/metafor.pdf")


def test_metafor_paper_p9_ferguson_control_events_typed_as_55_is_rejected_naming_its_column(docs):
    row = "Ferguson & Simes 1949 6 300 29 274 55 random"
    with pytest.raises(LedgerError) as err:
        docs.verify("metafor.pdf", "p. 9", row, {"value": 55.0}, where, CONTROL_EVENTS)
    assert str(err.value) == (f"{where('value')}: 55 is printed in the row of 'Ferguson & Simes 1949' under 'ablat', "
                              "not under the control arm's events ('cpos', which prints 29) (the table on p. 9), in "
                              "data/fulltext/metafor.pdf")


def test_a_forest_plot_row_is_verified_though_the_pages_text_runs_column_by_column(docs):
    page = docs.texts[docs.named("bcg_forest.pdf")["sha256"]]["pages"][0]
    row = "Aronson 1948 4 119 11 128 5.06% 0.41 [0.13, 1.26]"
    assert row not in page  # the plain text holds no row
    assert docs.verify("bcg_forest.pdf", "Figure 2, p. 1", row, {"value": 4.0}, where, {"value": (0, "events")})


def test_another_trials_count_contiguous_in_the_column_wise_text_is_rejected_with_the_row_it_belongs_to(docs):
    """R draws the labels, then each column bottom-up: after 'Aronson 1948' the text goes on with the first
    count drawn, Comstock et al 1976's 27. A quote 'Aronson 1948 27' is in the plain text, and is refused."""
    page = docs.texts[docs.named("bcg_forest.pdf")["sha256"]]["pages"][0]
    quote = page[page.index("Aronson 1948"):].split(" ")
    quote = " ".join(quote[:3])
    assert quote == "Aronson 1948 27"
    with pytest.raises(LedgerError) as err:
        docs.verify("bcg_forest.pdf", "p. 1", quote, {"value": 27.0}, where, {"value": (0, "events")})
    msg = str(err.value)
    assert msg.startswith(f"{where('quote')}: the quote 'Aronson 1948 27' is not one row of Figure 2 on p. 1 of "
                          "data/fulltext/bcg_forest.pdf: it joins the words of several rows"), msg
    assert "the row of 'Aronson 1948' reads 'Aronson 1948 4 119 11 128 5.06% 0.41 [0.13, 1.26]'" in msg
    assert "27 is printed in the row of 'Comstock et al 1976' under 'TB+' under 'Vaccinated' (Figure 2 on p. 1)" in msg


def pooled(path):
    return pd.read_csv(path / "pooled.csv").set_index("figure")


def pool(cells, measure, estimator):
    """The random-effects pool of accepted proposals (the engine's effect and tau2 functions)."""
    x = pd.DataFrame(cells).pivot_table(index="trial_id", columns=["arm", "statistic"], values="value")
    if ("difference", "se") in x.columns:  # estimates and CIs only: the estimate (log for a ratio) and its SE
        est = x[("difference", "mean")]
        yi, vi = (np.log(est) if effects.is_ratio(measure) else est), x[("difference", "se")] ** 2
    elif ("experimental", "mean") in x.columns:
        yi, vi = effects.md(*(x[(a, s)] for a in ("experimental", "control") for s in ("mean", "sd", "n")))
    else:
        yi, vi, _ = effects.two_by_two(x[("experimental", "events")], x[("experimental", "n")],
                                    x[("control", "events")], x[("control", "n")], measure)
    t2 = tau2_estimators.tau2(np.asarray(yi), np.asarray(vi), estimator)
    w = 1 / (np.asarray(vi) + t2)
    mu = float((w * yi).sum() / w.sum())
    se = float(np.sqrt(1 / w.sum()))
    return mu, mu - proposals.Z * se, mu + proposals.Z * se, t2


def test_metafor_bcg_forest_plot_proposals_cover_every_arm_cell_self_check_and_reproduce_metafors_pool(plots):
    t = only_table(plots / "bcg_forest.pdf")
    got = proposals.propose(t, bcg_trials(), "bcg_forest.pdf", "p. 1")
    assert not got["unmatched"] and not got["twice"]
    assert len(got["rows"]) == 13 and all(r["self_check"] == "passes" for r in got["rows"]), got["rows"]
    assert len(got["cells"]) == 13 * 4  # events and totals per arm; the totals from TB+ and TB- (52 printed cells)
    assert got["pool"] == (True, "the 13 rows pool (REML) to the printed 0.49 [0.34, 0.70] and weigh the rows as "
                                 "printed (13 weights)")
    c = got["cells"][0]
    assert (c["locator"], c["figure"], c["quote"]) == ("Figure 2, p. 1", "Figure 2",
                                                       "Aronson 1948 4 119 11 128 5.06% 0.41 [0.13, 1.26]")
    ref = pooled(plots).loc["bcg_forest"]
    assert pool(got["cells"], "RR", "REML") == pytest.approx(tuple(ref[["estimate", "ci_low", "ci_high", "tau2"]]),
                                                             abs=1e-6)


def test_metafor_gibson2002_continuous_forest_plot_proposals_self_check_and_reproduce_metafors_pool(plots):
    g = gibson()
    t = only_table(plots / "gibson_forest.pdf")
    got = proposals.propose(t, gibson_trials(g), "gibson_forest.pdf", "p. 1", estimator="DL")
    assert len(got["rows"]) == len(g) and all(r["self_check"] == "passes" for r in got["rows"]), got["rows"]
    assert len(got["cells"]) == len(g) * 6 and got["pool"][0] is True, got["pool"]
    by = {(c["trial_id"], c["arm"], c["statistic"]): c["value"] for c in got["cells"]}
    for r in g.itertuples():
        tid = f"{r.author.lower()}{r.year}"
        assert [by[(tid, "experimental", s)] for s in ("mean", "sd", "n")] == [r.m1i, r.sd1i, r.n1i]
        assert [by[(tid, "control", s)] for s in ("mean", "sd", "n")] == [r.m2i, r.sd2i, r.n2i]
    ref = pooled(plots).loc["gibson_forest"]
    assert pool(got["cells"], "MD", "DL") == pytest.approx(tuple(ref[["estimate", "ci_low", "ci_high", "tau2"]]),
                                                            abs=1e-6)


def test_revman_column_order_with_a_prediction_interval_row_self_checks_and_reproduces_metafors_dl_pool(plots):
    g = gibson()
    t = only_table(plots / "revman_md.pdf")
    assert t["label"] == "Figure 3" and (t["measure"], t["model"]) == ("MD", "random")
    assert [(c["name"], c["group"]) for c in t["columns"]] == [
        (s, grp) for grp in ("Experimental", "Control") for s in ("Mean", "SD", "Total")]
    pi = next(r for r in t["rows"] if r["label"].startswith("Prediction interval"))
    assert pi["kind"] == "summary" and set(pi["cells"]) == {"estimate"} and pi["cells"]["estimate"]["est"] is None
    got = proposals.propose(t, gibson_trials(g), "revman_md.pdf", "p. 1")
    assert got["estimator"] == "DL" and all(r["self_check"] == "passes" for r in got["rows"]), got["rows"]
    assert len(got["cells"]) == len(g) * 6 and got["pool"][0] is True, got["pool"]
    assert "weigh the rows as printed (13 weights)" in got["pool"][1]
    assert got["totals"] == (True, f"the rows' totals sum to the printed {g.n1i.sum()} and {g.n2i.sum()}")
    ref = pooled(plots).loc["revman_md"]
    assert pool(got["cells"], "MD", "DL") == pytest.approx(tuple(ref[["estimate", "ci_low", "ci_high", "tau2"]]),
                                                          abs=1e-6)


def test_a_plot_printed_without_a_label_is_named_alike_in_the_figures_sheet_and_its_proposals_locator(plots):
    """metafor's forest() prints no "Figure n": the block is "Table, p. 1" in the worksheet's figures sheet, and
    its proposals' locator says the same, so that the figures pages find the rows a reader accepted from it."""
    t = only_table(plots / "gibson_forest.pdf")
    assert not t["label"] and proposals.figure_label(t) == "Table"
    got = proposals.propose(t, gibson_trials(gibson()), "gibson_forest.pdf", "p. 1", estimator="DL")
    assert {(c["figure"], c["locator"]) for c in got["cells"]} == {("Table", "Table, p. 1")}


def test_a_figures_pool_is_checked_with_the_specs_estimator_unless_its_header_is_revmans(plots):
    """metafor's forest() prints no estimator: gibson_forest.pdf was pooled with DerSimonian-Laird, as a review's
    spec says (the worksheet passes it); a RevMan header ("IV, Random") is DerSimonian-Laird whatever a spec says."""
    g = gibson()
    said = proposals.propose(only_table(plots / "gibson_forest.pdf"), gibson_trials(g), "gibson_forest.pdf", "p. 1",
                             estimator="DL")
    assert said["estimator"] == "DL" and said["pool"][0] is True, said["pool"]
    revman = proposals.propose(only_table(plots / "revman_md.pdf"), gibson_trials(g), "revman_md.pdf", "p. 1",
                               estimator="REML")
    assert revman["estimator"] == "DL" and revman["pool"][0] is True, revman["pool"]


def test_a_mean_number_of_days_on_the_count_scale_is_pooled_as_it_is_and_one_on_another_scale_is_not():
    """dat.gibson2002's Cote 1997 (mean days off work or school, intervention and control) as the clean stage
    assembles it: on the count scale the means and SDs are used as printed; on 'other' (a scale the ledger cannot
    put on one footing with others) the trial is not pooled, and the reason names the scale of its means, not
    that of its sizes."""
    from ketamine_ma.ledger.studies import assemble

    r = gibson().iloc[0]
    assert (r.author, int(r.year)) == ("Cote", 1997)
    cells = [(arm, s, v)
             for arm, vals in (("experimental", (r.m1i, r.sd1i, r.n1i)), ("control", (r.m2i, r.sd2i, r.n2i)))
             for s, v in zip(("mean", "sd", "n"), vals, strict=True)]

    def rows(scale):
        return pd.DataFrame([{"extract_id": f"x{i}", "trial_id": "cote1997", "outcome": "days_off", "arm": arm,
                              "statistic": s, "value": v, "scale": "count" if s == "n" else scale}
                             for i, (arm, s, v) in enumerate(cells)])

    counted = assemble(rows("count"), rows("count"), "MD", "sd")
    assert not counted.missing("MD")
    assert [counted.cells[(a, s)] for a, s, _ in cells] == [v for _, _, v in cells]
    other = assemble(rows("other"), rows("other"), "MD", "sd")
    assert other.missing("MD") == [("experimental", "mean"), ("control", "mean")]
    assert other.unusable[("experimental", "mean")] == "on scale 'other', not a 0-10 or 0-100 pain scale or a count"


def test_metafor_forest_plot_of_estimates_and_cis_alone_pools_to_metafors_pool_of_the_printed_cis(plots):
    """forest() of dat.bcg's rma fit with no ilab columns prints each trial's RR [95% CI] only. Every row proposes
    its estimate and CI and the SE derived from the CI as printed; their pool is metafor's rma(yi, sei) of the same
    rounded numbers (tests/reference/forest_plots.R)."""
    t = only_table(plots / "bcg_ci_only.pdf")
    got = proposals.propose(t, bcg_trials(), "bcg_ci_only.pdf", "p. 1", measure="RR")
    assert not got["unmatched"] and len(got["rows"]) == 13
    assert all(r["self_check"] == "passes" for r in got["rows"]), got["rows"]
    assert len(got["cells"]) == 13 * 4 and {c["arm"] for c in got["cells"]} == {"difference"}
    aronson = {c["statistic"]: c for c in got["cells"] if c["trial_id"] == "aronson1948"}
    assert {s: aronson[s]["value"] for s in ("mean", "ci_low", "ci_high")} == {
        "mean": 0.41, "ci_low": 0.13, "ci_high": 1.26}  # as printed: Aronson 1948 0.41 [0.13, 1.26]
    assert aronson["se"]["derivation"].startswith("SE = (ln 1.26 \u2212 ln 0.13) / (2 \u00d7 1.96) = 0.579432")
    assert got["pool"] == (True, "the 13 rows pool (REML) to the printed 0.49 [0.34, 0.70]")
    ref = pooled(plots).loc["bcg_ci_only"]
    assert pool(got["cells"], "RR", "REML") == pytest.approx(tuple(ref[["estimate", "ci_low", "ci_high", "tau2"]]),
                                                             abs=1e-6)


def test_an_estimate_misread_off_the_middle_of_its_ci_fails_its_self_check(plots):
    t = only_table(plots / "bcg_ci_only.pdf")
    row = next(r for r in t["rows"] if r["label"] == "Aronson 1948")
    row["cells"]["estimate"] = {**row["cells"]["estimate"], "est": "0.47", "text": "0.47 [0.13, 1.26]"}
    got = proposals.propose(t, bcg_trials(), "bcg_ci_only.pdf", "p. 1", measure="RR")
    bad = [r for r in got["rows"] if r["self_check"] != "passes"]
    assert [(r["label"], r["words"]) for r in bad] == [
        ("Aronson 1948", "prints RR 0.47 [0.13, 1.26]; the geometric middle of its CI is 0.40 to 0.41")]
    assert got["pool"] == (False, "a row fails its self-check: no pool checked")


def test_metafor_subgroup_layout_with_addpoly_reads_every_trial_and_its_subtotals(plots):
    t = only_table(plots / "bcg_subgroups.pdf")
    got = proposals.propose(t, bcg_trials(), "bcg_subgroups.pdf", "p. 1")
    assert len(got["rows"]) == 13 and all(r["self_check"] == "passes" for r in got["rows"]), got["rows"]
    assert len(got["cells"]) == 52
    kinds = {r["label"].split(" 0.")[0]: r["kind"] for r in t["rows"]}
    assert kinds["Subtotal random"] == "summary" and kinds["Allocation: systematic"] == "other"


def test_a_plot_drawn_with_one_count_changed_fails_its_rows_self_check_in_words(plots):
    t = only_table(plots / "bcg_changed.pdf")
    got = proposals.propose(t, bcg_trials(), "bcg_changed.pdf", "p. 1")
    bad = [r for r in got["rows"] if r["self_check"] != "passes"]
    assert [r["label"] for r in bad] == ["Rosenthal et al 1960"]
    # metafor: escalc("RR", ai = 3, n1i = 231, ci = 12, n2i = 221) -> 0.2392 [0.0685, 0.8360]
    assert bad[0]["words"] == "prints RR 0.26 [0.07, 0.92]; 3/231 vs 12/221 gives 0.24 [0.07, 0.84]"
    assert got["pool"][0] is False


def test_the_metafor_papers_p9_table_proposes_its_counts_with_nothing_printed_to_check_against(plots, docs):
    paper = docs.named("metafor.pdf")
    t = docs.tables(paper["sha256"], 9)[0]
    got = proposals.propose(t, bcg_trials(), "metafor.pdf", "p. 9")
    assert len(got["cells"]) == 52 and not got["unmatched"]
    assert {r["self_check"] for r in got["rows"]} == {"nothing printed to check against"}
    ref = pooled(plots).loc["bcg_forest"]
    assert pool(got["cells"], "RR", "REML") == pytest.approx(tuple(ref[["estimate", "ci_low", "ci_high", "tau2"]]),
                                                             abs=1e-6)


def test_an_unmatched_label_is_listed_and_two_rows_naming_one_trial_propose_nothing(plots):
    t = only_table(plots / "bcg_forest.pdf")
    trials = [x for x in bcg_trials() if x["first_author"] != "Aronson"]
    trials += [{"trial_id": "comstock1974b", "first_author": "Comstock", "year": 1974}]
    got = proposals.propose(t, trials, "bcg_forest.pdf", "p. 1")
    assert got["unmatched"] == ["Aronson 1948", "Comstock et al 1974"]
    assert not any(c["trial_id"].startswith(("aronson", "comstock1974")) for c in got["cells"])


# -------------------------------------------------------------------------- the worksheet, end to end


@pytest.fixture(scope="module")
def bcg_with_plot(plots, tmp_path_factory):
    """The reduced BCG review (trials and membership, no numbers) with metafor's forest plot of dat.bcg as the
    review's PDF: its worksheet."""
    return bcg_review_with_pdf(plots / "bcg_forest.pdf", tmp_path_factory.mktemp("bcgplot"))


def bcg_review_with_pdf(pdf, work):
    """A copy of the project in ``work`` with the reduced BCG review whose PDF is ``pdf``, its worksheet made."""
    from test_pipeline import copy_project, smk

    work = copy_project(work)
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    bcg_ledger.with_pdf(work, pdf)
    start = time.perf_counter()
    res = smk(work, "worksheets", "--config", "reviews=[bcg]")
    print(f"PDF dropped in -> worksheet with every proposal: {time.perf_counter() - start:.1f} s (snakemake run)")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    return work, smk


def sheet(path, name):
    from openpyxl import load_workbook

    rows = list(load_workbook(path, read_only=True)[name].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0]).fillna("")


@pytest.mark.workflow
def test_the_worksheet_proposes_every_printed_arm_cell_of_figure_2_with_its_row(bcg_with_plot):
    work, _ = bcg_with_plot
    book = work / "results/worksheets/bcg.xlsx"
    figures, props = sheet(book, "figures"), sheet(book, "proposals")
    assert figures.figure.tolist() == ["Figure 2, p. 1"]
    f = figures.iloc[0]
    assert (f.measure, f.study_rows, f.matched, f.self_check, f.accept) == ("RR", "13", "13", "13 of 13 rows pass", "")
    assert len(props) == 52 and set(props.self_check) == {"passes"} and (props.accept == "").all()
    t = bcg_ledger.studies().set_index("trial_id")
    assert set(props.arm) == {"Vaccinated", "Control"}  # the arms in bcg.yaml's words, as the numbers sheet names them
    for r in props.itertuples():
        s = t.loc[r.trial_id]
        pos, neg = (s.tpos, s.tneg) if r.arm == "Vaccinated" else (s.cpos, s.cneg)
        assert float(r.value) == (pos if r.statistic == "events" else pos + neg), r
        assert r.quote.startswith(s.study_id.replace("-", "\u2212")) and r.locator == "Figure 2, p. 1"
    # every row names the picture: the report's page of what was read, at the figure's anchor
    assert props.picture.nunique() == 1 and figures.picture[0] == props.picture[0]
    name, anchor = figures.picture[0].split("#")
    assert name == "bcg-figures.html"
    page = (work / "results/worksheets/bcg/figures.html").read_text()
    assert f"id='{anchor}'" in page and page.count("<td>not accepted</td>") == 13
    rows = (work / "data/processed/fulltext/pages").glob("*.rows.txt")
    assert any("Aronson 1948 | 4 | 119 | 11 | 128 | 5.06% 0.41 [0.13, 1.26]" in p.read_text() for p in rows)


def accept_figure_2(book, to, accept="yes"):
    """``book`` saved as ``to`` with Figure 2 accepted (or not, ``accept=None``) in its one cell and the readme
    signed by a reader."""
    from openpyxl import load_workbook

    wb = load_workbook(book)
    head = [c.value for c in wb["figures"][1]]
    wb["figures"].cell(2, head.index("accept") + 1).value = accept  # cell(r, c, None) would leave it as it was
    for r in wb["readme"].iter_rows(min_row=2):
        r[1].value = {"contributor": "Test Reader", "date": "2026-12-07"}.get(r[0].value, r[1].value)
    to.parent.mkdir(parents=True, exist_ok=True)
    wb.save(to)


@pytest.mark.workflow
def test_accepting_figure_2_in_one_cell_reproduces_metafors_bcg_results(bcg_with_plot, tmp_path):
    base, smk = bcg_with_plot
    work = tmp_path / "w"
    shutil.copytree(base, work, symlinks=True)
    accept_figure_2(work / "results/worksheets/bcg.xlsx", work / "data/contrib/bcg.xlsx")
    res = smk(work, "results/convergence.csv", "results/report/index.html", "--config", "reviews=[bcg]")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    x = pd.read_csv(work / "data/processed/bcg/ledger/extraction.csv")
    # a review's table or figure (vocabulary.SOURCE_KINDS), read here from Figure 2
    mine = x[(x.source_kind == "review") & (x.locator == "Figure 2, p. 1")]
    assert len(mine) == 52 and (mine.verified_page == 1).all() and (mine.contributor == "Test Reader").all()
    rep = pd.read_csv(work / "results/reproduction.csv", dtype={"published_estimate": str})
    rep = rep[rep.result_id != "scope"].set_index("result_id")
    assert (rep.status == "reproduced").all(), rep[["status", "reason"]].to_dict("records")
    assert rep.loc["rr_reml"].published_estimate == "-0.7145"  # metafor's REML pool, Viechtbauer 2010 p. 14
    page = (work / "results/worksheets/bcg/figures.html").read_text()
    assert page.count("<td>accepted</td>") == 13 and page.count("data:image/png;base64,") == 1

    # seen in the report: its page of what was read, linked from the review's page and its landing card
    site = work / "results/report"
    shown = (site / "bcg-figures.html").read_text()
    anchor = sheet(work / "results/worksheets/bcg.xlsx", "proposals").picture[0].split("#")[1]
    assert f"id='{anchor}'" in shown and "Figure 2, p. 1 of bcg_forest.pdf" in shown
    assert shown.count("<td>accepted</td>") == 13 and shown.count("data:image/png;base64,") == 1
    assert shown.count("<tr><td>") == 13 and shown.count('class="passes"') == 13
    assert '<a href="bcg-figures.html">' in (site / "bcg.html").read_text()
    assert '<a href="bcg-figures.html">' in (site / "index.html").read_text()


@pytest.fixture(scope="module")
def bcg_with_ci_plot(plots, tmp_path_factory):
    """The reduced BCG review with metafor's forest plot of dat.bcg's estimates and CIs alone as its PDF."""
    return bcg_review_with_pdf(plots / "bcg_ci_only.pdf", tmp_path_factory.mktemp("bcgci"))


@pytest.mark.workflow
def test_accepting_metafors_plot_of_estimates_and_cis_alone_reproduces_metafors_pool_of_the_printed_cis(
        bcg_with_ci_plot, plots, tmp_path):
    """forest() of dat.bcg without ilab columns (bcg_ci_only.pdf) is the review's PDF: its header names no measure,
    its caption says risk ratios. The worksheet proposes every trial's RR, CI and the SE of the printed CI; with the
    figure accepted in its one cell, each trial pools its printed log RR with that SE, and the REML pool is
    metafor's rma(yi, sei) of the same printed numbers (pooled.csv of tests/reference/forest_plots.R)."""
    base, smk = bcg_with_ci_plot
    work = tmp_path / "w"
    shutil.copytree(base, work, symlinks=True)
    book = work / "results/worksheets/bcg.xlsx"
    figures, props = sheet(book, "figures"), sheet(book, "proposals")
    assert figures.figure.tolist() == ["Figure 4, p. 1"]
    f = figures.iloc[0]
    assert f.measure == ("RR (named by its caption 'Figure 4. BCG vaccine and tuberculosis: risk ratios'; the "
                         "figure's header names none)")
    assert (f.study_rows, f.matched, f.self_check, f.problems) == ("13", "13", "13 of 13 rows pass", "")
    assert len(props) == 13 * 4 and set(props.trial_id) == set(bcg_ledger.studies().trial_id)
    assert set(props.arm) == {"difference"} and set(props.measure) == {"RR"} and set(props.self_check) == {"passes"}
    assert sorted(set(props.statistic)) == ["ci_high", "ci_low", "mean", "se"]
    accept_figure_2(book, work / "data/contrib/bcg.xlsx")  # the figure's one accept cell
    res = smk(work, "results/summary/pooled.csv", "results/report/index.html", "--config", "reviews=[bcg]")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    x = pd.read_csv(work / "data/processed/bcg/ledger/extraction.csv")
    mine = x[(x.source_kind == "review") & (x.locator == "Figure 4, p. 1")]
    assert len(mine) == 52 and (mine.measure == "RR").all() and (mine.contributor == "Test Reader").all()

    ref = pooled(plots).loc["bcg_ci_only"]
    out = pd.read_csv(work / "results/summary/pooled.csv")
    got = out[(out.review == "bcg") & (out.outcome == "rr_reml") & (out.analysis == "primary")].iloc[0]
    assert got.k == 13 and got.tau2_estimator == "REML" and got.n_participants == 0
    assert got.note == "N counts the trials with arm sizes: 13 pooled by their own estimate give none"
    assert np.log([got.estimate, got.ci_low, got.ci_high]) == pytest.approx(
        [ref.estimate, ref.ci_low, ref.ci_high], abs=1e-6)
    assert got.tau2 == pytest.approx(ref.tau2, abs=1e-6)
    assert got.i2 == pytest.approx(ref.i2, rel=1e-7)  # a percentage: metafor's own convergence tolerance
    studies = pd.read_csv(work / "data/processed/bcg/main/rr_reml.csv").set_index("trial_id")
    aronson = studies.loc["aronson1948"]
    assert pd.isna(aronson.ai) and aronson.yi == pytest.approx(np.log(0.41), abs=1e-12)
    assert "SE = (ln 1.26 - ln 0.13) / (2 x 1.959964) = 0.579432 from the 95% CI as printed" in aronson.conversions
    # the odds-ratio analyses pool none of these risk ratios, and say why
    excl = pd.read_csv(work / "data/processed/bcg/exclusions.csv")
    assert set(excl[excl.analysis == "or_dl"].reason) == {
        "missing events and n at an unstated time point; its between-arm estimate is a RR, not this analysis' OR"}


@pytest.mark.workflow
def test_accepted_figure_2_reruns_cleanly_stays_accepted_and_un_accepting_it_asks_to_confirm_its_52_cells(
        bcg_with_plot, tmp_path):
    """Nothing contributed is lost silently (docs/contributing.md), for numbers accepted from a review's figure as
    for typed ones: the same saved worksheet reruns with nothing to do; the regenerated worksheet shows Figure 2
    accepted in its one cell (saved over the old one it gives the same 52 cells); un-accepting it stops the run
    naming the 52 cells of metafor's dat.bcg it gave, until their removal is confirmed."""
    base, smk = bcg_with_plot
    work = tmp_path / "w"
    shutil.copytree(base, work, symlinks=True)
    mine = work / "data/contrib/bcg.xlsx"
    accept_figure_2(work / "results/worksheets/bcg.xlsx", mine)
    res = smk(work, "worksheets", "--config", "reviews=[bcg]")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    merged = pd.read_csv(work / "data/contrib/merged.csv", dtype=str, keep_default_na=False)
    assert len(merged) == 52 and set(merged.sheet) == {"numbers"}
    assert merged.origin.str.startswith("data/contrib/bcg.xlsx, sheet 'proposals', row ").all()

    # the same file again: nothing lost, nothing to do
    res = smk(work, "worksheets", "--config", "reviews=[bcg]")
    out = res.stdout + res.stderr
    assert res.returncode == 0 and "Nothing to be done" in out, out[-3000:]

    # the next round's worksheet keeps what the reader gave: Figure 2 accepted, its rows signed, none typed
    book = work / "results/worksheets/bcg.xlsx"
    figures, props, numbers = sheet(book, "figures"), sheet(book, "proposals"), sheet(book, "numbers")
    assert figures.accept.tolist() == ["yes"]
    assert len(props) == 52 and (props.accept == "").all() and (props.contributor == "Test Reader").all()
    assert (props.contributed_on == "2026-12-07").all()
    assert not (numbers.locator == "Figure 2, p. 1").any()
    shutil.copy(book, tmp_path / "round2.xlsx")

    # un-accepted: the run stops naming each of the 52 cells, with the lines that confirm their removal
    before = merged.copy()
    accept_figure_2(work / "results/worksheets/bcg.xlsx", mine, accept=None)
    res = smk(work, "worksheets", "--config", "reviews=[bcg]")
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "data/contrib: 52 contributed cell(s) that the last run merged are in no contribution now" in out, out
    assert "aronson1948 tuberculosis Vaccinated events = 4 (merged from data/contrib/bcg.xlsx, sheet 'proposals', row" \
        in out, out[-4000:]
    assert "Traceback" not in out
    lines = out[out.index("sheet,review,trial_id"):].splitlines()
    lines = [ln for ln in lines if ln.startswith(("sheet,", "numbers,"))]
    assert len(lines) == 53, lines
    pd.testing.assert_frame_equal(pd.read_csv(work / "data/contrib/merged.csv", dtype=str, keep_default_na=False),
                                  before)  # a stopped run forgets nothing
    (work / "data/contrib/removed.csv").write_text("\n".join(lines) + "\n")
    res = smk(work, "worksheets", "--config", "reviews=[bcg]")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    x = pd.read_csv(work / "data/processed/bcg/ledger/extraction.csv")
    assert not (x.locator == "Figure 2, p. 1").any()
    assert len(pd.read_csv(work / "data/contrib/merged.csv")) == 0

    # the first round's regenerated worksheet, saved over: the same 52 cells again, as read from Figure 2
    (work / "data/contrib/removed.csv").unlink()
    accept_figure_2(tmp_path / "round2.xlsx", mine)
    res = smk(work, "worksheets", "--config", "reviews=[bcg]")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    x = pd.read_csv(work / "data/processed/bcg/ledger/extraction.csv")
    again = x[(x.source_kind == "review") & (x.locator == "Figure 2, p. 1")]
    assert len(again) == 52 and (again.contributor == "Test Reader").all()


# ------------------------------------------------------------------------------------------------ bad input

def fpdf_table(path, rows, angle=0, header=True):
    """A small two-arm table (the BCG counts of Aronson 1948 and Ferguson & Simes 1949, typed from
    data/raw/conformance/bcg_studies.csv) drawn with fpdf2, sideways when ``angle`` is 90."""
    from fpdf import FPDF
    from test_fulltext import font

    pdf = FPDF()
    pdf.add_font("dv", fname=font())
    pdf.set_font("dv", size=9)
    pdf.add_page()
    xs = (20, 75, 95, 115, 135)
    lines = ([("", "Vaccinated", "", "Control", ""), ("Study", "Events", "Total", "Events", "Total")]
             if header else []) + rows
    with pdf.rotation(angle, x=105, y=148):
        for i, cells in enumerate(lines):
            for x, c in zip(xs, cells, strict=True):
                pdf.text(x + (5 if c in ("Vaccinated", "Control") else 0), 60 + 7 * i, c)  # groups over their pair
    pdf.output(str(path))
    return path


BCG_TWO = [("Aronson 1948", "4", "123", "11", "139"), ("Ferguson & Simes 1949", "6", "306", "29", "303")]


def test_a_table_set_sideways_on_its_page_is_read_turned_upright(tmp_path):
    pages = layout.read(fpdf_table(tmp_path / "side.pdf", BCG_TWO, angle=90))
    assert pages[0]["rotation"] in (90, 270)
    t = layout.tables(pages[0], 1)[0]
    assert [r["text"] for r in t["rows"]] == [" ".join(r) for r in BCG_TWO]
    assert [(c["name"], c["group"], c["arm"], c["statistic"]) for c in t["columns"]] == [
        ("Events", "Vaccinated", 0, "events"), ("Total", "Vaccinated", 0, "n"), ("Events", "Control", 1, "events"),
        ("Total", "Control", 1, "n")]
    assert "text runs at" in layout.as_text(pages).splitlines()[0]


def test_a_table_whose_header_cannot_be_read_is_listed_and_proposes_nothing(tmp_path):
    t = layout.tables(layout.read(fpdf_table(tmp_path / "nohead.pdf", BCG_TWO, header=False))[0], 1)[0]
    assert t["problems"] == ["no header above the rows: its columns cannot be named"]
    got = proposals.propose(t, bcg_trials(), "nohead.pdf", "p. 1")
    assert got["cells"] == [] and {r["trial_id"] for r in got["rows"]} == {"aronson1948", "ferguson1949"}


def test_a_plot_pasted_as_an_image_is_reported_as_an_image(tmp_path):
    from fpdf import FPDF
    from PIL import Image

    Image.new("L", (600, 400), 230).save(tmp_path / "plot.png")
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    pdf.text(20, 20, "Figure 2. Forest plot of comparison: 1 Vaccine versus control, outcome: 1.1 Tuberculosis.")
    pdf.image(str(tmp_path / "plot.png"), x=20, y=30, w=170)
    pdf.output(str(tmp_path / "image.pdf"))
    page = layout.read(tmp_path / "image.pdf")[0]
    assert len(page["images"]) == 1 and layout.tables(page, 1) == []


def test_a_review_without_its_pdf_says_so_on_its_figures_pages():
    from ketamine_ma.outputs import report
    from ketamine_ma.outputs import worksheets as ws

    doc = ws.figures_read("fleiss1993", {"documents": [], "figures": []}, {})
    said = "No PDF of fleiss1993 was read: no PDF in the full-text folder names this review"
    assert said in ws.figures_page(doc) and "<img" not in ws.figures_page(doc)
    r = {"slug": "fleiss1993", "page": "fleiss1993.html", "worksheet": None}
    page = report.environment().get_template("figures.html.j2").render(
        r=r, doc=doc, current="fleiss1993", reviews=[r], commit="0" * 12, dirty=False, site="Re-run")
    assert said in page and 'href="fleiss1993.html"' in page


# ------------------------------------------------------------------- an estimate and CI pooled by the clean stage

# Each trial's RR [95% CI] and OR [95% CI] as metafor's forest() prints them for dat.bcg (escalc, 2 decimals:
# tests/reference/forest_plots.R draws the RR plot, bcg_ci_only.pdf).
PRINTED_RR = {"aronson1948": (0.41, 0.13, 1.26), "ferguson1949": (0.20, 0.09, 0.49),
              "rosenthal1960": (0.26, 0.07, 0.92), "hart1977": (0.24, 0.18, 0.31)}
PRINTED_OR = {"hart1977": (0.23, 0.18, 0.31)}


@pytest.fixture(scope="module")
def bcg_review(tmp_path_factory):
    """The BCG review reduced to trials and membership (no numbers): its validated ledger and spec."""
    return bcg_ledger.reduced_ledger(tmp_path_factory.mktemp("bcgraw"))


def estimate_rows(tid, printed, measure):
    """A trial's estimate and CI as ledger rows of arm ``difference`` naming ``measure`` (empty: none named)."""
    return [{"extract_id": f"{tid}-{s}", "trial_id": tid, "outcome": "tuberculosis", "arm": "difference",
             "statistic": s, "measure": measure or None, "value": v, "scale": "other"}
            for s, v in zip(("mean", "ci_low", "ci_high"), printed, strict=True)]


def arm_rows(tid):
    """The trial's dat.bcg counts (data/raw/conformance/bcg_studies.csv) as ledger rows."""
    s = bcg_ledger.studies().set_index("trial_id").loc[tid]
    return [{"extract_id": f"{tid}-{arm}-{stat}", "trial_id": tid, "outcome": "tuberculosis", "arm": arm,
             "statistic": stat, "value": v, "scale": "count"}
            for arm, pos, neg in (("experimental", s.tpos, s.tneg), ("control", s.cpos, s.cneg))
            for stat, v in (("events", pos), ("n", pos + neg))]


def build_bcg(bcg_review, rows, analysis="rr_dl", **change):
    from ketamine_ma.ledger import studies

    ledger, spec = bcg_review
    x = pd.DataFrame(rows).reindex(columns=ledger["extraction"].columns).astype({"timepoint": object})
    return studies.build({**ledger, "extraction": x}, "bcg", analysis, {**spec["analyses"][analysis], **change})


def se_of_printed_ci(lo, hi):
    """Cochrane Handbook v6.4 s6.3.2: SE of a log ratio = (ln upper - ln lower) / (2 x 1.959964)."""
    return (np.log(hi) - np.log(lo)) / (2 * 1.959963984540054)


def test_a_bcg_trial_giving_only_its_printed_rr_and_ci_pools_its_log_rr_with_the_se_of_the_printed_ci(bcg_review):
    got, excl, _ = build_bcg(bcg_review, estimate_rows("aronson1948", PRINTED_RR["aronson1948"], "RR"))
    assert got.trial_id.tolist() == ["aronson1948"] and "aronson1948" not in set(excl.trial_id)
    row = got.set_index("trial_id").loc["aronson1948"]
    assert row.yi == pytest.approx(np.log(0.41), abs=1e-12)
    assert row.vi == pytest.approx(se_of_printed_ci(0.13, 1.26) ** 2, abs=1e-12)
    assert pd.isna(row.ai) and pd.isna(row.n1)  # no arm data
    assert "SE = (ln 1.26 - ln 0.13) / (2 x 1.959964) = 0.579432 from the 95% CI as printed" in row.conversions
    assert row.extract_ids == "aronson1948-ci_high;aronson1948-ci_low;aronson1948-mean"


def test_a_bcg_trial_with_arm_data_pools_its_counts_not_its_printed_rr(bcg_review):
    rows = arm_rows("ferguson1949") + estimate_rows("ferguson1949", PRINTED_RR["ferguson1949"], "RR")
    got, _, _ = build_bcg(bcg_review, rows)
    row = got.set_index("trial_id").loc["ferguson1949"]
    assert (row.ai, row.n1, row.ci, row.n2) == (6, 306, 29, 303) and pd.isna(row.yi)


def test_a_bcg_estimate_naming_no_measure_or_another_is_not_pooled_and_the_reason_says_so(bcg_review):
    rows = (estimate_rows("rosenthal1960", PRINTED_RR["rosenthal1960"], "")
            + estimate_rows("hart1977", PRINTED_OR["hart1977"], "OR"))
    got, excl, _ = build_bcg(bcg_review, rows)
    why = excl.set_index("trial_id").reason
    assert got.empty
    assert why["rosenthal1960"].endswith("; its between-arm estimate (arm difference) names no effect measure (column "
                                         "measure), so it is not pooled"), why["rosenthal1960"]
    assert why["hart1977"].endswith("; its between-arm estimate is a OR, not this analysis' RR"), why["hart1977"]
    got, _, _ = build_bcg(bcg_review, rows, "or_dl")  # the odds ratio analysis pools Hart's OR
    assert got.trial_id.tolist() == ["hart1977"] and got.yi.iloc[0] == pytest.approx(np.log(0.23), abs=1e-12)


def test_under_mantel_haenszel_a_bcg_trial_giving_only_its_rr_is_not_pooled_and_says_why(bcg_review):
    rows = estimate_rows("aronson1948", PRINTED_RR["aronson1948"], "RR") + arm_rows("ferguson1949")
    got, excl, _ = build_bcg(bcg_review, rows, "rr_fixed", method="MH")
    assert got.trial_id.tolist() == ["ferguson1949"]
    assert excl.set_index("trial_id").reason["aronson1948"].endswith(
        "; its own RR and CI are not pooled: Mantel-Haenszel pools 2x2 tables, not estimates (RevMan does not mix "
        "them either)")


def test_a_measure_on_an_arms_own_number_or_a_ratio_at_or_below_zero_is_refused_at_its_cell():
    from ketamine_ma.ledger import rows

    def where(i, col):
        return f"extraction.csv, row {i + 2}, column '{col}'"

    x = pd.DataFrame(arm_rows("aronson1948")[:1] + estimate_rows("aronson1948", (0.41, 0.0, 1.26), "RR")).assign(
        status="derived", derivation="typed", quote="q", timepoint=None, time_days=np.nan)
    with pytest.raises(LedgerError, match=r"row 4, column 'value': a RR \(a ratio\) and its CI bounds are > 0, got 0"):
        rows.check_extraction(x, where)
    x.loc[0, "measure"] = "RR"
    with pytest.raises(LedgerError, match=r"row 2, column 'measure': 'RR' names the effect measure of a between-arm "
                                          r"estimate \(arm 'difference'\); the experimental arm's own events has none"):
        rows.check_extraction(x, where)


def test_a_bcg_table_mixing_arm_data_and_one_trials_own_rr_keeps_metafors_escalc_for_the_arm_rows():
    """Aronson 1948 given by its printed RR and CI, the other 12 by their counts: the counts give metafor's
    escalc("RR") yi and vi (tests/reference/metafor_reference.csv), Aronson keeps its own; Peters' and Harbord's
    tests, which read every trial's 2x2 table, say why they are not run."""
    from ketamine_ma.stages import analysis

    d = pd.read_csv(Path(__file__).parent / "reference/fixtures/dat_bcg.csv")
    t = pd.DataFrame({"trial_id": d.study, "year": d.year, "ai": d.ai, "n1": d.n1i, "ci": d.ci, "n2": d.n2i})
    own = (np.log(0.41), se_of_printed_ci(0.13, 1.26) ** 2)
    t.loc[0, ["ai", "n1", "ci", "n2"]] = np.nan
    t["yi"], t["vi"] = [own[0]] + [np.nan] * 12, [own[1]] + [np.nan] * 12
    got = analysis.effect_sizes(t, "RR")
    ref = pd.read_csv(Path(__file__).parent / "reference/metafor_reference.csv", header=None,
                      names=["data", "what", "field", "i", "value"], skipinitialspace=True)
    ref = ref[(ref.data == "dat_bcg") & (ref.what == "escalc_RR")]
    for field in ("yi", "vi"):
        want = ref[ref.field == field].astype({"i": int, "value": float}).sort_values("i").value.to_numpy()
        assert got[field].iloc[1:].to_numpy() == pytest.approx(want[1:], abs=1e-12)
    assert (got.yi.iloc[0], got.vi.iloc[0]) == own and got.estimable.all()
    tables, notes = analysis.two_by_two_tables(got)
    assert tables is None and notes["peters_note"] == notes["harbord_note"] == (
        "not run: 1 trial(s) pooled by their own estimate and CI give no 2x2 table")


def test_a_plot_of_bcg_estimates_naming_no_measure_takes_the_reviews_one_measure_or_proposes_nothing(plots):
    """bcg_ci_only.pdf's header names no measure. Its caption says risk ratios; without it, a review whose analyses
    are all of RR takes RR (and their estimator), and one with RR and OR analyses (bcg.yaml's), which both fit a
    ratio's printed CIs, proposes nothing and says why."""
    import yaml

    t = only_table(plots / "bcg_ci_only.pdf")
    analyses = yaml.safe_load((Path(__file__).parents[1] / "config/reviews/bcg.yaml").read_text())["analyses"]
    assert t["measure"] is None and proposals.figure_measure(t, analyses) == (
        "RR", "REML", "named by its caption 'Figure 4. BCG vaccine and tuberculosis: risk ratios'; the figure's "
        "header names none")
    t["caption"] = ""
    rr = {k: a for k, a in analyses.items() if k == "rr_reml"}
    assert proposals.figure_measure(t, rr) == (
        "RR", "REML", "the measure of the review's analyses; the figure's header names none; its pooled row checked "
        "by REML, the estimator of the review's random-effects analyses of RR")
    assert proposals.figure_measure(t, analyses) == (
        None, None, "the figure's header names no effect measure and the review's analyses use RR, OR, 2 of which its "
        "rows check against: nothing proposed; type its numbers in the numbers sheet")


def test_sensitivity_refits_of_a_bcg_table_with_one_trials_own_rr_pool_it_as_given():
    """Settings, filters, leave-one-out and cumulative pooling take Aronson 1948's own RR as the primary does: the
    cumulative pool of its first trial (Aronson 1948) is its printed 0.41."""
    import yaml

    from ketamine_ma.stages import analysis

    d = pd.read_csv(Path(__file__).parent / "reference/fixtures/dat_bcg.csv")
    t = pd.DataFrame({"trial_id": d.study, "year": d.year, "ai": d.ai, "n1": d.n1i, "ci": d.ci, "n2": d.n2i,
                      "design": "parallel", "randomised": "yes"})
    t.loc[0, ["ai", "n1", "ci", "n2"]] = np.nan
    t["yi"], t["vi"] = [np.log(0.41)] + [np.nan] * 12, [se_of_printed_ci(0.13, 1.26) ** 2] + [np.nan] * 12
    spec = {**yaml.safe_load((Path(__file__).parents[1] / "config/reviews/bcg.yaml").read_text())["analyses"][
        "rr_dl"]}
    config = {"prediction_interval": "metafor", "prepost_correlation": 0.5}
    k = {}
    for name in ("tau2_REML", "knha", "fixed", "randomised_only", "leave_one_out", "cumulative"):
        _, p = analysis.sensitivity(name, {"main": t}, "bcg", "rr_dl", spec, {}, config)
        assert p.estimate.notna().all(), name
        k[name] = p.k.tolist()
    assert k == {"tau2_REML": [13], "knha": [13], "fixed": [13], "randomised_only": [13],
                 "leave_one_out": [12] * 13, "cumulative": list(range(1, 14))}
    _, p = analysis.sensitivity("cumulative", {"main": t}, "bcg", "rr_dl", spec, {}, config)
    assert p.estimate.iloc[0] == pytest.approx(0.41, abs=1e-12)
