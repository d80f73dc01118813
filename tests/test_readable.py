"""What a person reads carries no "nan", "None" or "NaN": the report pages and the executed notebooks as Chromium
renders them, the figures' SVG text, the worksheets as openpyxl opens them and their CSV twins, and the console
summary. The notebooks' tables read like the report's (printed digits, "—" for a gap) and fit the page. All on the
full pipeline run (tests/conftest.py)."""

import re

import pandas as pd
import pytest
from openpyxl import load_workbook
from test_report import DESKTOP, Visit, browser  # noqa: F401  (browser is a fixture)

# "None" as a Python value; an English sentence may well start with "None of ...".
UNREADABLE = re.compile(r"\b(nan|NaN|None)\b(?! of\b)")


def hits(text, where):
    return [f"{where}: …{text[max(0, m.start() - 60):m.end() + 60]}…" for m in UNREADABLE.finditer(text)]


def rendered_text(browser, path):  # noqa: F811
    v = Visit(browser, path.as_uri())
    try:
        return v.page.evaluate("document.body.innerText")
    finally:
        v.close()


@pytest.mark.workflow
def test_report_pages_and_executed_notebooks_print_no_nan_or_none(pipeline_run, browser):  # noqa: F811
    pages = sorted((pipeline_run / "results/report").glob("*.html"))
    notebooks = sorted((pipeline_run / "results/notebooks").glob("*.html"))
    assert pages and notebooks
    found = []
    for path in pages + notebooks:
        found += hits(rendered_text(browser, path), path.relative_to(pipeline_run))
    # the figures the pages show (SVG text stays text)
    for svg in sorted((pipeline_run / "results/figures").rglob("*.svg")):
        texts = re.findall(r"<text\b[^>]*>(.*?)</text>", svg.read_text(), re.S)
        found += hits(" | ".join(texts), svg.relative_to(pipeline_run))
    assert found == []


@pytest.mark.workflow
def test_worksheets_and_console_summary_print_no_nan_or_none(pipeline_run):
    found = []
    books = sorted((pipeline_run / "results/worksheets").glob("*.xlsx"))
    assert books
    for book in books:
        wb = load_workbook(book)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                found += hits(" | ".join("" if v is None else str(v) for v in row), f"{book.name}:{ws.title}")
    for csv in sorted((pipeline_run / "results/worksheets").glob("*/*.csv")):
        found += hits(csv.read_text(encoding="utf-8"), csv.relative_to(pipeline_run))
    summary = (pipeline_run / "results/convergence.txt").read_text()
    assert "figures" in summary
    found += hits(summary, "console summary")
    assert found == []


@pytest.mark.workflow
def test_notebook_tables_read_like_the_report_and_fit_the_page(pipeline_run, browser):  # noqa: F811
    """The executed review notebook's reproduction table prints the published figures as printed, our numbers with
    the report's digits, "—" where a cell is empty, and no table scrolls sideways."""
    rep = pd.read_csv(pipeline_run / "results/reproduction.csv", dtype=str)
    bcg = rep[(rep.review == "bcg") & (rep.result_id == "rr_dl")].iloc[0]
    v = Visit(browser, (pipeline_run / "results/notebooks/bcg.html").as_uri(), DESKTOP)
    try:
        rows = v.page.evaluate("""() => Array.from(document.querySelectorAll('table.km tr'))
                                      .map(tr => Array.from(tr.cells).map(c => c.innerText.trim()))""")
        size = v.page.evaluate("({w: document.documentElement.scrollWidth, vw: window.innerWidth})")
        raw_dumps = v.page.evaluate("document.querySelectorAll('table.dataframe').length")
    finally:
        v.close()
    assert raw_dumps == 0 and size["w"] <= size["vw"], size
    head = next(r for r in rows if "published_estimate" in r)
    row = next(r for r in rows if r and r[0] == "rr_dl")
    cell = dict(zip(head, row, strict=True))
    assert cell["published_estimate"] == bcg.published_estimate == "0.4896"  # as printed
    assert cell["our_estimate"] == f"{float(bcg.our_estimate):.2f}"
    assert cell["published_p"] == "\u2014"  # metafor's test file prints no p for it


@pytest.mark.parametrize("text,bad", [("p nan", True), ("k = None", True), ("NaN%", True),
                                      ("None of the trials", False), ("nonetheless", False), ("nano", False)])
def test_the_scan_finds_what_it_should(text, bad):
    assert bool(hits(text, "x")) is bad


@pytest.mark.workflow
def test_a_figure_printed_in_two_places_is_counted_once(pipeline_run):
    """orhurhu2019's primary figure is read from two pages; the landing card, convergence.csv and reproduction.csv
    count figures, and the review page says where it is printed."""
    pub = pd.read_csv(pipeline_run / "data/raw/published.csv", dtype=str)
    figures = pub[pub.review == "orhurhu2019"].result_id.nunique()
    assert figures == (pub.review == "orhurhu2019").sum() - 1
    conv = pd.read_csv(pipeline_run / "results/convergence.csv").set_index("review")
    assert conv.loc["orhurhu2019", "figures"] == figures
    rep = pd.read_csv(pipeline_run / "results/reproduction.csv")
    row = rep[(rep.review == "orhurhu2019") & (rep.result_id == "pain_lowest_ge48h")]
    assert len(row) == 1 and row.n_sources.iloc[0] == 2 and "peeref.com" in row.sources.iloc[0]
    index = (pipeline_run / "results/report/index.html").read_text()
    assert f"0 of {figures} published figures" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", index))
    page = (pipeline_run / "results/report/orhurhu2019.html").read_text()
    assert "pain_lowest_ge48h <span class=\"note\">(printed in 2 places)</span>" in page


def test_notebook_cells_print_as_the_report_prints():
    import numpy as np

    from ketamine_ma.outputs.notebooks import cell

    assert [cell(c, v)[0] for c, v in [("estimate", -1.234), ("x", np.int64(5)), ("k", 13.0), ("p", 1e-7),
                                        ("published_p", "<.0001"), ("published_estimate", "-1.83"),
                                        ("i2", 92.1173), ("x", float("nan")), ("x", None), ("x", True)]] == [
        "\u22121.23", "5", "13", "<0.0001", "<.0001", "\u22121.83", "92", "\u2014", "\u2014", "yes"]
