"""dat.gibson2002 (days off work or school), a review the project has never seen, from its spec and its PDF alone.

As a new user meets it (docs/adding-a-review.md, docs/forest-plots.md), in a scratch copy of the project: a spec
file for the review, its PDF in the full-text folder with its manifest row, and three runs of its worksheet. The
PDF is a forest plot drawn by R's metafor (tests/reference/forest_plots.R): the 13 trials of metafor's
dat.gibson2002 that report means, SDs and sizes, as metafor's forest() lays them out (gibson_forest.pdf) and in
RevMan's column order with a prediction-interval row (revman_md.pdf). Round 1 finds the figure but no trial of the
review; the reader types the 13 trials in the trials sheet, from what metafor's documentation of dat.gibson2002
says of them (their author and year; they are trials comparing an intervention group with a control/comparison
group; whether they were randomised it does not say: "not reported"). Round 2 proposes every printed arm cell,
each row self-checked; the reader accepts the figure in its one cell. Round 3 runs the whole workflow: the pooled
mean difference, its CI, tau2, I2, Q and the prediction interval are metafor's (pooled.csv, written by the R
script from rma(method = "DL") and predict()).
"""

import re
import shutil
import subprocess

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook
from test_forest_rows import gibson, plots  # noqa: F401 (plots: the module fixture that draws the PDFs)
from test_pipeline import copy_project, smk

pytestmark = pytest.mark.workflow
REVIEW = "gibson2002"
OUTCOME = "days_off_work_school"
SPEC = {
    "review": REVIEW,
    "question": "Self-management education for adults with asthma: days off work or school",
    "citation": "Gibson PG, Powell H, Wilson A, et al. Self-management education and regular practitioner review for "
                "adults with asthma. Cochrane Database Syst Rev 2002;(3):CD001117. doi:10.1002/14651858.CD001117 "
                "(the trials of metafor's data set dat.gibson2002 reporting days off work or school as means and SDs)",
    "source": "ledger",
    "arms": ["Education", "Usual care"],
    "criteria": "trials of self-management education against usual care in adults with asthma reporting the mean "
                "number of days off work or school",
    "methods": "Random-effects (DerSimonian-Laird) pooling of mean differences, Wald CIs, as metafor's "
               "rma(method = 'DL') computed the figure.",
    "conventions": {"preset": "metafor"},
    "analyses": {"days_off": {"label": "Days off work or school, mean difference, random effects (DL)",
                              "outcomes": [OUTCOME], "measure": "MD", "method": "IV", "model": "random",
                              "tau2_estimator": "DL", "ci_method": "wald"}},
}
# Where the trials' details were read: metafor's documentation of the data set (R package metadat).
DOCS = "https://github.com/wviechtb/metadat"
DOCS_AT = "man/dat.gibson2002.Rd (help page of dat.gibson2002, metadat 1.2-0), Details"
TWO_GROUPS = ("In each study, participants receiving a certain management intervention were compared against those "
              "in a control/comparison group with respect to a variety of health outcomes.")


def help_text():
    """The help page of dat.gibson2002 as R prints it, in one line."""
    out = subprocess.run(["Rscript", "-e", 'tools::Rd2txt(utils:::.getHelpFile(help("dat.gibson2002", package = '
                          '"metadat")), options = list(underline_titles = FALSE))'],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    return " ".join(out.split())


def sheet(path, name):
    rows = list(load_workbook(path, read_only=True, data_only=True)[name].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0]).fillna("")


def sign(wb):
    for r in wb["readme"].iter_rows(min_row=2):
        r[1].value = {"contributor": "Test Reader", "date": "2026-12-07"}.get(r[0].value, r[1].value)


def trial_id(author, year):
    return re.sub(r"[^a-z]", "", author.lower()) + str(year)


def type_trials(book, to, pdf, labels):
    """Round 1's worksheet with the review's 13 trials typed in its trials sheet: each trial's author and year as
    metafor's data set names them, no id (the data set names none), a parallel design and randomisation not
    reported (its documentation says each study compared an intervention group with a control/comparison group
    and does not say how they were allocated), and where the review lists it: its row's label in the figure."""
    wb = load_workbook(book)
    ws = wb["trials"]
    col = {c.value: i + 1 for i, c in enumerate(ws[1])}
    for i, r in enumerate(gibson().itertuples(), start=2):
        label = labels[f"{r.author} {r.year}"]  # as printed: R draws the hyphen of Ignacio-Garcia as a minus sign
        cells = {"review": REVIEW, "trial_id": trial_id(r.author, r.year), "first_author": r.author,
                 "year": int(r.year), "no_id_reason": "metafor's data set dat.gibson2002 names its trials by first "
                 "author and year only", "design": "parallel", "randomised": "not reported",
                 "control": "control/comparison group", "source": DOCS, "locator": DOCS_AT, "quote": TWO_GROUPS,
                 "included_source": pdf, "included_locator": "p. 1",
                 "included_quote": label}
        for k, v in cells.items():
            ws.cell(i, col[k], v)
    sign(wb)
    to.parent.mkdir(parents=True, exist_ok=True)
    wb.save(to)


def accept(book, to, scale="count"):
    """The worksheet saved with its figure accepted in its one cell (the figures sheet's `accept`), its numbers
    on ``scale`` (a number of days off work or school; the figure does not print it)."""
    wb = load_workbook(book)
    head = [c.value for c in wb["figures"][1]]
    assert wb["figures"].max_row == 2, "one figure"
    wb["figures"].cell(2, head.index("accept") + 1).value = "yes"
    wb["figures"].cell(2, head.index("scale") + 1).value = scale
    sign(wb)
    wb.save(to)


def new_review(plots, tmp_path_factory, pdf):  # noqa: F811 (plots: the fixture)
    """The three rounds of a new review from its spec and ``pdf``; returns the project copy and each round's
    worksheet (read back with openpyxl)."""
    work = copy_project(tmp_path_factory.mktemp(pdf.removesuffix(".pdf")))
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    (work / f"config/reviews/{REVIEW}.yaml").write_text(yaml.safe_dump(SPEC, sort_keys=False))
    ft = work / "data/fulltext"
    ft.mkdir(parents=True, exist_ok=True)
    shutil.copy(plots / pdf, ft / pdf)
    (ft / "documents.csv").write_text(f"file,doi,pmid,trials,reviews\n{pdf},,,,{REVIEW}\n")
    select = ["--config", f"reviews=[{REVIEW}]"]
    book, mine = work / f"results/worksheets/{REVIEW}.xlsx", work / f"data/contrib/{REVIEW}.xlsx"
    rounds = {}

    res = smk(work, "worksheets", *select)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    rounds[1] = {s: sheet(book, s) for s in ("figures", "proposals", "trials")}
    first = rounds[1]["figures"].iloc[0]
    labels = {re.sub("[\u2010-\u2015\u2212]", "-", lab): lab for lab in first.unmatched.split("; ")}
    type_trials(book, mine, pdf, labels)

    res = smk(work, "worksheets", *select)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    rounds[2] = {s: sheet(book, s) for s in ("figures", "proposals", "numbers")}
    accept(book, mine)

    res = smk(work, *select)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    rounds[3] = {s: sheet(book, s) for s in ("figures", "proposals", "numbers", "trials")}
    return work, rounds, res


FIGURES = {"gibson_forest.pdf": "gibson_forest", "revman_md.pdf": "revman_md"}  # each PDF's row of pooled.csv


@pytest.fixture(scope="module", params=list(FIGURES))
def review(request, plots, tmp_path_factory):  # noqa: F811
    """The new review from metafor's forest() layout, and from RevMan's column order."""
    return (request.param, *new_review(plots, tmp_path_factory, request.param))


def reference(plots, pdf):  # noqa: F811
    return pd.read_csv(plots / "pooled.csv").set_index("figure").loc[FIGURES[pdf]]


def test_the_trials_typed_from_metafors_documentation_are_what_it_says():
    """The quote the trials sheet gives every trial is metafor's documentation of dat.gibson2002, verbatim; it
    says nothing of randomisation (so the trials say "not reported")."""
    text = help_text()
    assert TWO_GROUPS in text and "randomi" not in text.lower()


def test_round_1_finds_the_figure_and_lists_its_13_labels_as_naming_no_trial_yet(review):
    pdf, _, rounds, _ = review
    figures, props = rounds[1]["figures"], rounds[1]["proposals"]
    assert len(figures) == 1 and len(props) == 0
    f = figures.iloc[0]
    assert (f.source, f.study_rows, f.matched) == (pdf, "13", "0")
    # metafor's forest() names no estimator: the figure's pooled row is checked by the spec's (said in words)
    assert f.measure == ("MD (its pooled row checked by DL, the estimator of the review's random-effects analyses of "
                         "MD)" if pdf == "gibson_forest.pdf" else "MD"), f.measure
    printed = {re.sub("[\u2010-\u2015\u2212]", "-", x) for x in f.unmatched.split("; ")}
    assert printed == {f"{r.author} {r.year}" for r in gibson().itertuples()}


def test_round_2_proposes_every_printed_arm_cell_of_the_13_trials_each_row_self_checked(review):
    pdf, _, rounds, _ = review
    figures, props = rounds[2]["figures"], rounds[2]["proposals"]
    f = figures.iloc[0]
    assert (f.matched, f.unmatched, f.problems) == ("13", "", ""), f.to_dict()
    assert f.self_check == "13 of 13 rows pass", f.self_check
    # the pool as the figure prints it (metafor pads a negative bound: "[ \u22121.60, 0.03]"), with the spec's estimator
    assert f.pool_check.replace("[ ", "[").startswith(
        "the 13 rows pool (DL) to the printed \u22120.79 [\u22121.60, 0.03] and weigh the rows as printed (13 weights)"
    ), f.pool_check
    g = gibson()
    assert len(props) == len(g) * 6 and set(props.self_check) == {"passes"}
    # the review's one continuous analysis' outcome, chosen for the reader (the figure's cell and every row)
    assert f.outcome == OUTCOME and set(props.outcome) == {OUTCOME}
    by = {(r.trial_id, r.arm, r.statistic): float(r.value) for r in props.itertuples()}
    for r in g.itertuples():
        tid = trial_id(r.author, r.year)
        assert [by[(tid, "Education", s)] for s in ("mean", "sd", "n")] == [r.m1i, r.sd1i, r.n1i]
        assert [by[(tid, "Usual care", s)] for s in ("mean", "sd", "n")] == [r.m2i, r.sd2i, r.n2i]
    # nothing is accepted for the reader: the numbers sheet still asks for every cell
    assert (props.accept == "").all() and f.accept == ""
    numbers = rounds[2]["numbers"]
    assert len(numbers) == len(g) * 6 and (numbers.value == "").all()


def test_the_figure_accepted_in_one_cell_enters_the_ledger_as_the_reviews_reading(review):
    pdf, work, _, _ = review
    x = pd.read_csv(work / f"data/processed/{REVIEW}/ledger/extraction.csv")
    mine = x[(x.source_kind == "review") & (x.source == pdf)]
    assert len(mine) == 13 * 6 and (mine.verified_page == 1).all() and (mine.contributor == "Test Reader").all()
    assert set(mine.scale) == {"count"} and set(mine.outcome) == {OUTCOME}
    # seen on the report's page of what was read from the PDF: every row accepted, each self-check passing
    shown = (work / f"results/report/{REVIEW}-figures.html").read_text()
    assert shown.count("<td>accepted</td>") == 13 and shown.count('class="passes"') == 13, shown


def test_the_pooled_mean_difference_is_metafors(review, plots):  # noqa: F811
    """metafor: rma(yi, vi, method = "DL") of escalc("MD", ...) of the 13 trials, and predict() of it."""
    pdf, work, _, _ = review
    pooled = pd.read_csv(work / "results/summary/pooled.csv")
    got = pooled[(pooled.review == REVIEW) & (pooled.analysis == "primary")]
    assert len(got) == 1
    got, ref = got.iloc[0], reference(plots, pdf)
    assert (got.measure, got.tau2_estimator, got.k) == ("MD", "DL", 13)
    # its forest plot's axis names the measure, not a pain scale the days off work are not on
    forest = (work / f"results/figures/{REVIEW}/days_off.forest.svg").read_text()
    assert ">Mean difference</text>" in forest and "0-10" not in forest
    cols = ["estimate", "ci_low", "ci_high", "tau2", "i2", "q", "q_df", "q_p", "pi_low", "pi_high"]
    assert got[cols].astype(float).tolist() == pytest.approx(ref[cols].astype(float).tolist(), rel=1e-6, abs=1e-10)


def test_the_next_worksheet_shows_the_figure_accepted_in_its_cell_with_its_scale_and_nothing_left_to_ask(review):
    """Saved over the old one, the regenerated worksheet keeps what the reader gave; the trials sheet asks for no
    attribute the review does not declare (the condition, pain type, dose... of other reviews)."""
    _, _, rounds, _ = review
    f = rounds[3]["figures"].iloc[0]
    assert (f.accept, f.scale) == ("yes", "count")
    assert len(rounds[3]["numbers"]) == 0 and (rounds[3]["proposals"].contributor == "Test Reader").all()
    trials = rounds[3]["trials"]
    assert not {"condition", "pain_type", "crps", "route", "regimen", "dose_mg_kg"} & set(trials.columns)
    assert (trials.trial_id != "").sum() == 13
