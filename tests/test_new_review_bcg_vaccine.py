"""A review no file of the project names, from its spec and its worksheet alone (issue 28).

The BCG trials as a new review, ``tbvax`` ("BCG vaccine" against "no vaccine"), re-run from the metafor paper
(Viechtbauer 2010, J Stat Softw 36(3), doi:10.18637/jss.v036.i03, CC BY; Debian's r-cran-metafor installs it) in
a scratch copy of the project: a spec, the PDF in the full-text folder, and three rounds of its worksheet: its 13
trials typed in the trials sheet with the data rows printed on p. 9, its printed REML pool typed in the published
sheet with the line printed on p. 14 and metafor's test of allocation (its documentation's QM, with the source and
quote the conformance review bcg gives it), then the 52 numbers the next worksheet asks for and each trial's
allocation (a grouping the spec declares, given in the membership sheet), from p. 9. Nothing under src/ or
data/raw/ is touched. The published figures are reproduced, the test for subgroup differences compared as a test,
and the review's report pages, rendered in Chromium, never say "ketamine".
"""

import re
import shutil
import subprocess

import bcg_ledger
import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook
from test_fulltext import DOI, metafor_pdf
from test_pipeline import ROOT, copy_project, smk

from ketamine_ma.ledger import pdf_text

pytestmark = pytest.mark.workflow
REVIEW = "tbvax"
SPEC = {
    "review": REVIEW,
    "question": "BCG vaccine against tuberculosis",
    "citation": "Viechtbauer W. Conducting meta-analyses in R with the metafor package. J Stat Softw 2010;36(3):1-48. "
                "doi:10.18637/jss.v036.i03 (the 13 BCG vaccine trials of its section 3.2)",
    "source": "ledger",
    "arms": ["BCG vaccine", "no vaccine"],
    "criteria": "the 13 trials of BCG vaccine against no vaccine in the paper's data set dat.bcg",
    "methods": "Random-effects model of log relative risks, REML estimate of tau2, Wald-type CI (p. 14).",
    "conventions": {"preset": "metafor"},  # the paper's figures are metafor's
    # the review's own grouping: how treatment was allocated, printed per trial on p. 9 (metafor's 'alloc')
    "groupings": {"alloc_method": {"label": "method of treatment allocation",
                                   "values": ["random", "alternate", "systematic"]}},
    "analyses": {"tb": {"label": "Tuberculosis, relative risk, random effects (REML)",
                        "outcomes": ["tuberculosis"], "measure": "RR", "method": "IV", "model": "random",
                        "tau2_estimator": "REML", "ci_method": "wald", "subgroups": ["alloc_method"],
                        # metafor tests allocation by rma(yi, vi, mods = ~ factor(alloc)): common tau2, REML
                        "subgroup_test": {"model": "common_tau2", "tau2_estimator": "REML"}}},
}
P14 = "-0.7145 0.1798 -3.9744 <.0001 -1.0669 -0.3622"


def data_rows(pdf):
    """The paper's p. 9 data row of each BCG trial, verbatim (the quote), with its four counts."""
    page = pdf_text.read_pdf(pdf)["pages"][8]
    out = {}
    for s in bcg_ledger.studies().itertuples():
        m = re.search(rf"({re.escape(s.study_id.split()[0])}\b[^\d]{{0,40}}?{s.year} (\d+) (\d+) (\d+) (\d+) \d+ "
                      r"(?:random|alternate|systematic))", page)
        out[s.trial_id] = (m.group(1), [int(m.group(i)) for i in (2, 3, 4, 5)], s)
    return out


def fill(wb_path, dst, fill_sheet):
    wb = load_workbook(wb_path)
    fill_sheet(wb)
    for r in wb["readme"].iter_rows(min_row=2):
        r[1].value = {"contributor": "Test Reader", "date": "2026-12-07"}.get(r[0].value, r[1].value)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)


def columns(ws):
    return {c.value: i + 1 for i, c in enumerate(ws[1])}


def trials_and_figure(wb, rows):
    """Round 1: the 13 trials (p. 9) in the trials sheet, the REML pool (p. 14) in the published sheet."""
    ws = wb["trials"]
    col = columns(ws)
    for i, (tid, (quote, _, s)) in enumerate(rows.items(), start=2):
        cells = {"review": REVIEW, "trial_id": tid, "first_author": s.study_id.split()[0], "year": int(s.year),
                 "no_id_reason": "the paper's data table names trials by author and year only",
                 "design": "parallel", "randomised": "yes" if s.alloc == "random" else "no",
                 "source": "metafor.pdf", "locator": "data set dat.bcg, p. 9", "quote": quote,
                 "included_source": "metafor.pdf", "included_locator": "p. 9", "included_quote": quote}
        for k, v in cells.items():
            ws.cell(i, col[k], v)
    ws = wb["published"]
    col = columns(ws)
    figure = {"review": REVIEW, "result_id": "tb_reml", "kind": "pooled", "outcome": "tuberculosis",
              "analysis": "primary",
              "measure": "RR", "estimate": -0.7145, "ci_low": -1.0669, "ci_high": -0.3622, "scale": "log",
              "p": "<.0001", "k": 13, "model": "random effects (REML), log relative risk",
              "source": "metafor.pdf", "locator": "p. 14", "quote": P14, "source_kind": "primary"}
    for k, v in figure.items():
        ws.cell(2, col[k], v)
    for k, v in alloc_test().items():
        ws.cell(3, col[k], v)


def alloc_test():
    """metafor's test of allocation (QM(df = 2) = 1.7675, p-val = 0.4132) with the source and quote the
    conformance review bcg records for it (data/raw/conformance/bcg_published.csv), as this review's figure."""
    pub = pd.read_csv(ROOT / "data/raw/conformance/bcg_published.csv", dtype=str, keep_default_na=False)
    row = pub.set_index("result_id").loc["rr_alloc_subgroup_test"]
    assert "QM(df = 2) = 1.7675, p-val = 0.4132" in row.quote
    return {**{k: v for k, v in row.items() if v}, "review": REVIEW, "result_id": "tb_alloc",
            "outcome": "tuberculosis", "analysis": "subgroup:alloc_method"}


def numbers(wb, rows):
    """Round 2: each number the worksheet asks for, from the trial's data row on p. 9 (n = events + others)."""
    ws = wb["numbers"]
    col = columns(ws)
    for i in range(2, ws.max_row + 1):
        tid, arm, stat = (ws.cell(i, col[c]).value for c in ("trial_id", "arm", "statistic"))
        quote, (tpos, tneg, cpos, cneg), _ = rows[tid]
        assert arm in ("BCG vaccine", "no vaccine"), arm  # the arms as the review names them
        pos, neg = (cpos, cneg) if arm == "no vaccine" else (tpos, tneg)
        cells = {"value": pos if stat == "events" else pos + neg,
                 "derivation": None if stat == "events" else f"{pos} + {neg}",
                 "locator": "data set dat.bcg, p. 9", "quote": quote, "source": "metafor.pdf"}
        for k, v in cells.items():
            ws.cell(i, col[k], v)
    ws = wb["membership"]
    col = columns(ws)
    for i in range(2, ws.max_row + 1):  # each trial's allocation, printed at the end of its p. 9 row
        quote = rows[ws.cell(i, col["trial_id"]).value][0]
        cells = {"alloc_method": quote.split()[-1], "alloc_method_quote": quote, "source": "metafor.pdf",
                 "locator": "data set dat.bcg, p. 9"}
        for k, v in cells.items():
            ws.cell(i, col[k], v)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = copy_project(tmp_path_factory.mktemp("newreview"))
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    cfg = work / "config/config.yaml"
    config = yaml.safe_load(cfg.read_text())
    config["sensitivity"] = {}
    cfg.write_text(yaml.safe_dump(config))
    spec_path = work / f"config/reviews/{REVIEW}.yaml"
    spec_path.write_text(yaml.safe_dump(SPEC, sort_keys=False))
    ft = work / "data/fulltext"
    ft.mkdir(parents=True, exist_ok=True)
    shutil.copy(metafor_pdf(), ft / "metafor.pdf")
    (ft / "documents.csv").write_text(f"file,doi,pmid,trials,reviews\nmetafor.pdf,{DOI},,,{REVIEW}\n")
    rows = data_rows(ft / "metafor.pdf")
    select = ["--config", f"reviews=[{REVIEW}]"]

    # round 1: the trials the review includes and its printed figure
    res = smk(work, "worksheets", *select)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]

    fill(work / f"results/worksheets/{REVIEW}.xlsx", work / f"data/contrib/{REVIEW}.xlsx",
         lambda wb: trials_and_figure(wb, rows))
    spec = dict(SPEC, analyses={"tb": dict(SPEC["analyses"]["tb"], published=["tb_reml", "tb_alloc"])})
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))  # the analysis names the figure it reproduces

    # round 2: the numbers the next worksheet asks for
    res = smk(work, "worksheets", *select)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]

    numbers_wb = work / f"results/worksheets/{REVIEW}.xlsx"
    assert len(pd.read_csv(work / f"results/worksheets/{REVIEW}/numbers.csv")) == 52
    fill(numbers_wb, work / f"data/contrib/{REVIEW}.xlsx", lambda wb: numbers(wb, rows))  # saved over round 1's file

    # round 3: the whole workflow, to the report
    res = smk(work, *select)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    return work, res


def test_the_new_reviews_printed_figure_is_reproduced(run):
    work, res = run
    rep = pd.read_csv(work / "results/reproduction.csv", dtype={"published_estimate": str})
    rep = rep[rep.review == REVIEW].set_index("result_id")
    assert list(rep.index) == ["tb_reml", "tb_alloc"]
    r = rep.loc["tb_reml"]
    assert (r.status, r.published_estimate, r.our_k) == ("reproduced", "-0.7145", 13), r.to_dict()
    pub = pd.read_csv(work / f"data/processed/{REVIEW}/ledger/published.csv", dtype=str).set_index("result_id")
    # a page column beside figures no PDF prints (tb_alloc's source is a web page) is read back as a float
    assert (pub.loc["tb_reml"].verified_file, float(pub.loc["tb_reml"].verified_page)) == ("metafor.pdf", 14)
    assert f"{REVIEW}" in res.stdout and "2 reproduced" in res.stdout


def test_the_reviews_allocation_subgroup_test_is_compared_as_a_test_and_reproduced(run):
    """metafor: rma(yi, vi, mods = ~ factor(alloc)) gives QM(df = 2) = 1.7675, p-val = 0.4132; our common-tau2
    test of the trials' allocation as the membership sheet gives it."""
    work, _ = run
    rep = pd.read_csv(work / "results/reproduction.csv", dtype={"published_p": str}).set_index("result_id")
    r = rep.loc["tb_alloc"]
    assert (r.review, r.status, r.our_k) == (REVIEW, "reproduced", 13), r.to_dict()
    assert round(r.our_p, 4) == 0.4132 and "QM = 1.77, df = 2" in r.reason, r.reason
    mem = pd.read_csv(work / f"data/processed/{REVIEW}/ledger/membership.csv").set_index("trial_id")
    assert mem.alloc_method.value_counts().to_dict() == {"random": 7, "systematic": 4, "alternate": 2}
    assert mem.loc["aronson1948", "alloc_method_quote"].endswith("44 random")


def test_the_card_and_the_flow_count_the_trials_of_the_primary_figure(run):
    """The review prints no scope row: its card and flow diagram take the k printed with its primary figure."""
    work, _ = run
    assert f"{REVIEW}: {{'published_k': 13," in (work / "logs/figures/flow.log").read_text()
    index = (work / "results/report/index.html").read_text()
    card = index[index.index(f'id="cov-{REVIEW}"'):][:300]
    assert "<strong>13</strong> of the <strong>13</strong> the review pooled" in card, card


def test_nothing_of_the_project_was_touched(run):
    work, _ = run
    for folder in ("src", "data/raw"):
        diff = subprocess.run(["diff", "-r", "-q", "-x", "__pycache__", str(ROOT / folder), str(work / folder)],
                              capture_output=True, text=True)
        assert diff.returncode == 0, diff.stdout


@pytest.mark.parametrize("page", [f"{REVIEW}.html", f"{REVIEW}-studies.html", f"{REVIEW}-figures.html", "index.html"])
def test_the_new_reviews_pages_never_say_ketamine(run, page):
    """As a reader meets them: the page's text as Chromium renders it."""
    work, _ = run
    chromium = shutil.which("chromium") or pytest.skip("chromium is not installed")
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                          (work / "results/report" / page).as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0 and "BCG vaccine against tuberculosis" in dom.stdout, dom.stderr[-2000:]
    text = re.sub(r"<[^>]+>", " ", dom.stdout)
    assert "ketamine" not in text.lower(), [m.start() for m in re.finditer("(?i)ketamine", text)]
