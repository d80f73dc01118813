"""Full texts as sources (issue 21): PDFs read once, every quote proved on its page, hints for every empty cell.

The proof runs on a real document no one here wrote: the metafor paper (Viechtbauer 2010, J Stat Softw 36(3),
doi:10.18637/jss.v036.i03, CC BY) that Debian's r-cran-metafor installs. It prints the 13 BCG trials' 2x2 data
(p. 9) and the REML random-effects result (p. 14). The BCG review is reduced to trials and membership
(tests/bcg_ledger.py) with that PDF in the copy's full-text folder; the worksheet is filled from its hints'
passages only (the numbers parsed from the PDF's text, not from bcg_studies.csv). The normalisation is tested
on PDFs made here with fpdf2. The PDF is copied into temporary copies only, never into the repository.
"""

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import bcg_ledger
import pandas as pd
import pytest
from openpyxl import load_workbook
from test_pipeline import ROOT, copy_project, smk

from ketamine_ma.ledger import fulltext, fulltext_index, hints, pdf_text
from ketamine_ma.ledger.vocabulary import LedgerError

DOI = bcg_ledger.METAFOR_DOI


def metafor_pdf():
    try:
        out = subprocess.run(["Rscript", "-e", 'cat(system.file("doc", "metafor.pdf", package = "metafor"))'],
                             capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    if not out or not Path(out).is_file():
        pytest.skip("r-cran-metafor's doc/metafor.pdf is not installed")
    return Path(out)


def font():
    import matplotlib

    return str(Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans.ttf")


def make_pdf(path, pages):
    """A PDF whose pages hold ``(x, y, text)`` strings (DejaVu Sans: ligatures, minus signs and ± are real
    glyphs) or ``("table", rows)``."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("dv", fname=font())
    pdf.set_font("dv", size=10)
    for items in pages:
        pdf.add_page()
        for item in items:
            if item[0] == "table":
                pdf.set_y(item[1])
                with pdf.table(width=100, align="LEFT", first_row_as_headings=False) as t:
                    for row in item[2]:
                        r = t.row()
                        for c in row:
                            r.cell(c)
            else:
                pdf.text(*item)
    pdf.output(str(path))
    return path


# ------------------------------------------------------------------------------------------- normalisation

def test_two_columns_are_read_column_by_column_and_hyphenation_is_joined(tmp_path):
    left = ["Ketamine reduced pain intensity in the first", "week after the infusion. Pain scores re-",
            "mained lower at one month in the treated arm."]
    right = ["Control patients received saline and rated", "their pain on a numeric scale from 0 to 10;",
             "nausea occurred in four of them."]
    items = [(15, 30 + 6 * i, a) for i, a in enumerate(left)] + [(110, 30 + 6 * i, b) for i, b in enumerate(right)]
    text = pdf_text.read_pdf(make_pdf(tmp_path / "cols.pdf", [items]))["pages"][0]
    assert text == ("Ketamine reduced pain intensity in the first week after the infusion. Pain scores remained lower "
                    "at one month in the treated arm. Control patients received saline and rated their pain on a "
                    "numeric scale from 0 to 10; nausea occurred in four of them.")


def test_ligatures_unicode_minus_plus_minus_and_spaces_are_normalised(tmp_path):
    items = [(15, 30, "The e\ufb03cacy of the \ufb01rst \ufb02uid bolus was de\ufb01ned a priori."),
             (15, 40, "Mean change \u22120.82 (95% CI \u22121.20 to \u22120.44), 5.2 \u00b1 1.3 vs 6.1 +/- 1.4 at"
                      " day\u00a07\u2013day 14.")]
    text = pdf_text.read_pdf(make_pdf(tmp_path / "lig.pdf", [items]))["pages"][0]
    assert text == ("The efficacy of the first fluid bolus was defined a priori. Mean change -0.82 (95% CI -1.20 to "
                    "-0.44), 5.2 ± 1.3 vs 6.1 ± 1.4 at day 7-day 14.")


def test_a_table_is_read_row_by_row(tmp_path):
    rows = [("Arm", "n", "Events"), ("Ketamine", "24", "7"), ("Placebo", "23", "12")]
    text = pdf_text.read_pdf(make_pdf(tmp_path / "tab.pdf", [[(15, 20, "Table 2. Responders"),
                                                              ("table", 30, rows)]]))["pages"][0]
    assert text == "Table 2. Responders Arm n Events Ketamine 24 7 Placebo 23 12"


def test_normalise_joins_pdfium_hyphens_and_soft_hyphens_and_keeps_compound_words():
    assert pdf_text.normalise("neg\ufffe\r\native and pro\u00ad\nvides") == "negative and provides"
    assert pdf_text.normalise("Frimodt-\nMoller et al") == "Frimodt-Moller et al"
    # pdfium puts its generated hyphen in place of the printed hyphen and the line break
    assert pdf_text.normalise("Mantel\ufffeHaenszel, par\ufffeticipant, TB\x02Treated") == \
        "Mantel-Haenszel, participant, TB-Treated"
    assert pdf_text.normalise("a  b\u00a0\u00a0c\n d +- 2") == "a b c d ± 2"


def test_locator_pages():
    assert fulltext.cited_pages("Table 2, p. 9") == {9}
    assert fulltext.cited_pages("pp. 9\u201310") == {9, 10}
    assert fulltext.cited_pages("page 14, Model Results") == {14}
    assert fulltext.cited_pages("Table 2") == set()


# -------------------------------------------------------------------------------------------- bad files

def test_an_image_only_pdf_is_refused_with_what_to_do(tmp_path):
    from fpdf import FPDF
    from PIL import Image

    img = tmp_path / "scan.png"
    Image.new("L", (400, 200), 255).save(img)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(img), x=10, y=10, w=180)
    pdf.output(str(tmp_path / "scan.pdf"))
    with pytest.raises(LedgerError) as err:
        pdf_text.read_pdf(tmp_path / "scan.pdf", label="data/fulltext/scan.pdf")
    msg = str(err.value)
    assert msg.startswith("data/fulltext/scan.pdf: no text layer") and "ocrmypdf" in msg, msg


def test_an_encrypted_or_broken_pdf_is_refused(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    pdf.text(10, 10, "hidden")
    pdf.output(str(tmp_path / "locked.pdf"))
    with pytest.raises(LedgerError, match=r"^data/fulltext/locked.pdf: encrypted"):
        pdf_text.read_pdf(tmp_path / "locked.pdf", label="data/fulltext/locked.pdf")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    with pytest.raises(LedgerError, match=r"^data/fulltext/broken.pdf: not a readable PDF"):
        pdf_text.read_pdf(tmp_path / "broken.pdf", label="data/fulltext/broken.pdf")


@pytest.mark.parametrize("name, why", [("../outside.pdf", "leaves the full-text folder"),
                                       ("/etc/outside.pdf", "leaves the full-text folder"),
                                       ("link.pdf", "a link to"),
                                       ("nosuch.pdf", "is not in")])
def test_a_manifest_path_must_name_a_file_in_the_folder(tmp_path, name, why):
    folder = tmp_path / "fulltext"
    folder.mkdir()
    make_pdf(tmp_path / "outside.pdf", [[(10, 10, "A document outside the folder.")]])
    (folder / "link.pdf").symlink_to(tmp_path / "outside.pdf")
    (folder / "documents.csv").write_text(f"file,doi,pmid,trials,reviews\n{name},,,,\n")
    with pytest.raises(LedgerError) as err:
        fulltext_index.read_manifest(folder)
    msg = str(err.value)
    assert msg.startswith(f"{folder / 'documents.csv'}, row 2, column 'file': {name!r}") and why in msg, msg


def test_a_pdf_without_a_manifest_row_is_found_by_the_doi_on_its_first_page_and_printed_pages_count(tmp_path):
    """A journal whose pages are numbered 245-247 (printed at the top of each page): a locator may cite the printed
    page or the PDF's; the document has no manifest row and is found by the DOI printed on its first page."""
    folder = tmp_path / "ft"
    folder.mkdir()
    pages = [[(100, 10, str(245 + i)), (15, 30, f"Section {i + 1} of the paper."),
              (15, 40, "Journal of Examples, doi:10.9999/example.2001.245" if i == 0 else "Text of the page.")]
             for i in range(3)]
    pages[1].append((15, 50, "The risk ratio was 0.49 (95% CI 0.34 to 0.70)."))
    make_pdf(folder / "paper.pdf", pages)
    (folder / "documents.csv").write_text("file,doi,pmid,trials,reviews\n")
    d = pdf_text.read_pdf(folder / "paper.pdf")
    assert d["printed"] == [245, 246, 247]
    docs = fulltext.Documents(fulltext_index.index(folder, {d["sha256"]: d}), {d["sha256"]: d}, "data/fulltext")
    quote = "The risk ratio was 0.49 (95% CI 0.34 to 0.70)."
    for locator in ("p. 246", "Results, p. 2"):
        got = docs.verify("https://doi.org/10.9999/example.2001.245", locator, quote, {"value": 0.49}, where)
        assert got[2] == 2, locator
    with pytest.raises(LedgerError, match=r"cites p. 245, but the quote is on p. 246 \(PDF page 2\) of "):
        docs.verify("paper.pdf", "p. 245", quote, {}, where)


# ------------------------------------------------------------------------------- quotes on the metafor paper

@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ft")
    shutil.copy(metafor_pdf(), folder / "metafor.pdf")
    make_pdf(folder / "other.pdf", [[(15, 30, "Another paper: 1 Aronson 1948 4 119 11 128 44 random")]])
    (folder / "documents.csv").write_text(f"file,doi,pmid,trials,reviews\nmetafor.pdf,{DOI},,,bcg\n")
    texts = {}
    for f in ("metafor.pdf", "other.pdf"):
        d = pdf_text.read_pdf(folder / f)
        texts[d["sha256"]] = d
    return fulltext.Documents(fulltext_index.index(folder, texts), texts, "data/fulltext")


ROW = "Aronson 1948 4 119 11 128 44 random"


def where(col):
    return f"data/contrib/bcg.xlsx, sheet 'numbers', row 3, column '{col}'"


def test_a_real_quote_is_verified_on_its_page(docs):
    got = docs.verify(f"https://doi.org/{DOI}", "p. 9", ROW, {"value": 4.0}, where)
    assert got[0] == "metafor.pdf" and got[2] == 9
    assert docs.verify("metafor.pdf", "Model Results, p. 14", "-0.7145 0.1798 -3.9744 <.0001 -1.0669 -0.3622",
                       {"estimate": -0.7145, "ci_low": -1.0669}, where)[2] == 14
    # the text's own spelling: Unicode minus and a word hyphenated across a line end
    assert docs.verify(f"doi:{DOI}", "p. 14", "equal to ˆµ = −0.7145 (95% CI: −1.0669 to −0.3622)", {}, where)[2] == 14
    assert docs.verify("metafor.pdf", "p. 10", "tuberculosis positive and negative (tpos and tneg", {}, where)[2] == 10
    assert docs.verify("https://example.org/elsewhere", "p. 9", "no such quote", {}, where) is None


def test_a_quote_with_one_digit_changed_is_refused_with_the_closest_passage(docs):
    with pytest.raises(LedgerError) as err:
        docs.verify("metafor.pdf", "p. 9", ROW.replace("119", "118"), {"value": 4.0}, where)
    assert str(err.value) == (
        f"{where('quote')}: the quote 'Aronson 1948 4 118 11 128 44 random' is not in data/fulltext/metafor.pdf; "
        f"the closest passage on the cited page is on p. 9: '{ROW}'")


def test_a_real_quote_cited_on_the_wrong_page_is_refused(docs):
    with pytest.raises(LedgerError) as err:
        docs.verify("metafor.pdf", "Table, p. 10", ROW, {"value": 4.0}, where)
    assert str(err.value) == (f"{where('locator')}: the locator 'Table, p. 10' cites p. 10, but the quote is on p. 9 "
                              "of data/fulltext/metafor.pdf")


def test_a_quote_from_another_document_is_refused(docs):
    with pytest.raises(LedgerError) as err:
        docs.verify("other.pdf", "p. 1", "Aronson 1948 44 random -0.88931133 0.325584765", {}, where)
    assert "is not in data/fulltext/other.pdf; the closest passage on the cited page is on p. 1" in str(err.value)


def test_the_metafor_papers_hyphens_at_a_line_end_verify_as_printed(docs):
    """p. 42 prints "Mantel-Haenszel" twice with the hyphen at a line end (pdfium: "Mantel\ufffeHaenszel"): the
    compound as printed verifies, and a lower-case word broken there ("par-ticipant") verifies joined."""
    for quote in ("2 × 2 table data are the Mantel-Haenszel and Peto's one-step method",
                  "the Cochran-Mantel-Haenszel test", "a particular participant"):
        assert docs.verify("metafor.pdf", "p. 42", quote, {}, where)[2] == 42, quote
    for page, quote in ((45, 'Findings from Meta-Regression."'), (47, "Software for Meta-Analysis Version"),
                        (48, "Amount of Heterogeneity in Meta-Analysis")):
        assert docs.verify("metafor.pdf", f"p. {page}", quote, {}, where)[2] == page, quote
    with pytest.raises(LedgerError, match="the closest passage on the cited page is on p. 42: \"the Mantel-Haenszel"):
        docs.verify("metafor.pdf", "p. 42", "the MantelHaenszel and Peto's", {}, where)


def test_a_minus_ending_a_table_line_stays_a_minus(docs):
    """p. 10's 2x2 table header prints "TB+ TB−" and, on the next line, "Treated tpos tneg" (pdfium reads the
    minus as a generated hyphen before "Treated")."""
    assert docs.verify("metafor.pdf", "p. 10", "TB+ TB−", {}, where)[2] == 10
    assert docs.verify("metafor.pdf", "p. 10", "TB+ TB− Treated tpos tneg", {}, where)[2] == 10
    assert "TB+ TB-Treated" in docs.texts[docs.named("metafor.pdf")["sha256"]]["pages"][9]


def test_a_quote_beginning_with_a_tab_is_normalised_as_the_page_is(docs):
    assert pdf_text.normalise(f"\t{ROW}") == pdf_text.normalise(f"{ROW}\t") == ROW
    assert docs.verify("metafor.pdf", "p. 9", f"\t{ROW}", {"value": 4.0}, where)[2] == 9
    assert docs.verify("metafor.pdf", "p. 9", ROW.replace(" ", "\t", 1), {"value": 4.0}, where)[2] == 9


def test_a_quote_not_on_its_cited_page_names_the_page_of_a_closer_passage(docs):
    with pytest.raises(LedgerError) as err:
        docs.verify("metafor.pdf", "p. 10", ROW.replace("119", "118"), {}, where)
    assert str(err.value) == (
        f"{where('quote')}: the quote 'Aronson 1948 4 118 11 128 44 random' is not in data/fulltext/metafor.pdf; "
        "the closest passage on the cited page is on p. 10: 'yi vi 1 Aronson 1948 44 random -0.8'; a closer one is "
        f"on p. 9: '{ROW}'")


def test_a_cited_page_the_pdf_does_not_have_is_named_as_such(docs):
    with pytest.raises(LedgerError) as err:
        docs.verify("other.pdf", "p. 9", "Aronson 1948 4 119 11 128 45 random", {}, where)
    assert str(err.value) == (
        f"{where('quote')}: the quote 'Aronson 1948 4 119 11 128 45 random' is not in data/fulltext/other.pdf; "
        "the PDF has 1 page; the locator 'p. 9' cites p. 9; the closest passage is on p. 1: "
        "'Aronson 1948 4 119 11 128 44 random'")


def test_a_value_not_in_the_matched_passage_is_refused(docs):
    with pytest.raises(LedgerError, match=r"column 'value': 5 is not printed in the passage"):
        docs.verify("metafor.pdf", "p. 9", ROW, {"value": 5.0}, where)


def test_a_ledger_row_citing_a_document_of_the_folder_is_verified_too(docs):
    """A reader drops in the PDF of a source the ledger read elsewhere: its rows are proved the same way."""
    x = pd.DataFrame([{"extract_id": "a", "source": f"https://doi.org/{DOI}", "locator": "dat.bcg, p. 9",
                       "quote": ROW, "value": 119.0, "status": "verified"},
                      {"extract_id": "b", "source": "https://pubmed.ncbi.nlm.nih.gov/1/", "locator": "abstract",
                       "quote": "elsewhere", "value": 1.0, "status": "verified"}])
    out = fulltext.verify_table(x, docs, "extraction", "data/raw/extraction.csv")
    assert out.verified_page.tolist()[0] == 9 and out.verified_file.tolist()[0] == "metafor.pdf"
    assert [fulltext.level(r) for r in out.to_dict("records")] == ["full_text", "abstract"]
    x.loc[0, "value"] = 128.5
    with pytest.raises(LedgerError) as err:
        fulltext.verify_table(x, docs, "extraction", "data/raw/extraction.csv")
    assert str(err.value).startswith("data/raw/extraction.csv, row 2, column 'value': 128.5 is not printed in the "
                                     f"passage '{ROW}' of data/fulltext/metafor.pdf, p. 9")


def test_hints_in_a_trials_own_report_rank_outcome_arm_and_numbers_first(tmp_path):
    """A report of one trial (made here; the BCG table's Aronson 1948 counts, no invented data): the passage with
    the outcome, the arm and numbers comes before the methods' prose."""
    page = [(15, 30, "Methods. Children of several reservations were followed for many years after vaccination."),
            (15, 40, "The allocation of families to the study groups was made by the field staff."),
            (15, 120, "Results. Tuberculosis developed in 4 of the 123 vaccinated children and in 11 of"),
            (15, 126, "the 139 control children.")]
    folder = tmp_path / "ft"
    folder.mkdir()
    make_pdf(folder / "aronson.pdf", [page, [(15, 30, "References and acknowledgements.")]])
    (folder / "documents.csv").write_text("file,doi,pmid,trials,reviews\naronson.pdf,,,aronson1948,\n")
    d = pdf_text.read_pdf(folder / "aronson.pdf")
    docs = fulltext.Documents(fulltext_index.index(folder, {d["sha256"]: d}), {d["sha256"]: d}, "data/fulltext")
    cell = {"trial_id": "aronson1948", "outcome": "tuberculosis", "arm": "experimental", "statistic": "events",
            "timepoint": ""}
    got = hints.hints(cell, {"first_author": "Aronson", "year": 1948}, docs, "bcg")
    assert got and got[0][:2] == ("aronson.pdf", 1) and "4 of the 123 vaccinated" in got[0][2]
    assert hints.hint_text(got[:1], docs).startswith('p. 1 of aronson.pdf: "…')


# -------------------------------------------------------------------------- the pipeline, end to end

def parse_hint(hint_cell, surname, year):
    """A reader's reading of the hints: the first passage that prints the trial's data row (tpos tneg cpos
    cneg, the paper's column order), with its page."""
    for line in hint_cell.splitlines():
        m = re.match(r'p\. (\d+) of (\S+): "…(.*)…"$', line)
        row = re.search(rf"({re.escape(surname)}\b[^\d]{{0,40}}?{year} (\d+) (\d+) (\d+) (\d+) \d+ "
                        r"(?:random|alternate|systematic))", m.group(3)) if m else None
        if row:
            return int(m.group(1)), m.group(2), row.group(1), [int(row.group(i)) for i in (2, 3, 4, 5)]
    return None


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The reduced BCG review with the metafor paper in the copy's full-text folder; its worksheet."""
    work = copy_project(tmp_path_factory.mktemp("bcgft"))
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    bcg_ledger.with_pdf(work, metafor_pdf(), DOI)
    res = smk(work, "worksheets", "--config", "reviews=[bcg]")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    return work


@pytest.mark.workflow
def test_hints_hold_every_trials_data_row(base):
    """The hit rate: of the 52 empty cells, the share whose hints hold the trial's data row on p. 9 (goal 100%).
    The expected rows are the BCG table's (data/raw/conformance/bcg_studies.csv), used here only to check."""
    numbers = pd.read_csv(base / "results/worksheets/bcg/numbers.csv", dtype=str, keep_default_na=False)
    t = bcg_ledger.studies().set_index("trial_id")
    hits = 0
    for r in numbers.itertuples():
        s = t.loc[r.trial_id]
        got = parse_hint(r.hints, s.study_id.split()[0], s.year)
        hits += got is not None and got[0] == 9 and got[3] == [s.tpos, s.tneg, s.cpos, s.cneg]
    print(f"hint hit rate on metafor.pdf: {hits} of {len(numbers)} empty cells")
    assert len(numbers) == 52 and hits == 52
    assert (numbers.value == "").all()  # nothing is filled in for the reader


def fill_from_hints(src, dst, change=None):
    """Fill the workbook from the hints only: per cell, the data row parsed from the passage, its page and the
    document; n is derived as tpos + tneg. ``change(row_index, cells)`` may alter a row (a bad contribution)."""
    wb = load_workbook(src)
    ws = wb["numbers"]
    header = [c.value for c in ws[1]]
    col = {h: header.index(h) + 1 for h in header}
    trials = bcg_ledger.studies().set_index("trial_id")
    for i in range(2, ws.max_row + 1):
        tid, arm, stat = (ws.cell(i, col[c]).value for c in ("trial_id", "arm", "statistic"))
        s = trials.loc[tid]
        page, doc, quote, (tpos, tneg, cpos, cneg) = parse_hint(ws.cell(i, col["hints"]).value,
                                                                s.study_id.split()[0], s.year)
        pos, neg = (cpos, cneg) if arm in ("control", "Control") else (tpos, tneg)  # ledger or spec label
        cells = {"value": pos if stat == "events" else pos + neg, "derivation": "" if stat == "events" else
                 f"{pos} + {neg}", "locator": f"data table of dat.bcg, p. {page}", "quote": quote, "source": doc}
        if change:
            change(i, cells)
        for k, v in cells.items():
            ws.cell(i, col[k], v if v != "" else None)
    for r in wb["readme"].iter_rows(min_row=2):
        r[1].value = {"contributor": "Test Reader", "date": "2026-12-06"}.get(r[0].value, r[1].value)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)


def clone(base, tmp_path):
    dst = tmp_path / "w"
    shutil.copytree(base, dst, symlinks=True)
    return dst


@pytest.fixture(scope="module")
def filled(base, tmp_path_factory):
    work = tmp_path_factory.mktemp("filledft") / "w"
    shutil.copytree(base, work, symlinks=True)
    fill_from_hints(work / "results/worksheets/bcg.xlsx", work / "data/contrib/bcg.xlsx")
    res = smk(work, "results/convergence.csv", "results/ledger/verification.csv", "--config", "reviews=[bcg]")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    return work, res


@pytest.mark.workflow
def test_the_worksheet_filled_from_the_pdf_reproduces_every_published_bcg_figure(filled):
    work, res = filled
    rep = pd.read_csv(work / "results/reproduction.csv", dtype={"published_estimate": str})
    rep = rep[rep.result_id != "scope"]  # the review's k, a scope row (not_reproducible: nothing to pool)
    published = pd.read_csv(work / "data/raw/published.csv", dtype=str)  # the reduced review's (no subgroup test)
    published = published[(published.review == "bcg") & (published.result_id != "scope")]
    assert set(rep.result_id) == set(published.result_id) and "rr_reml" in set(rep.result_id)
    assert (rep.status == "reproduced").all(), rep[["result_id", "status", "reason"]].to_dict("records")
    reml = rep.set_index("result_id").loc["rr_reml"]
    assert reml.published_estimate == "-0.7145" and (reml.our_k == 13)
    assert f"figures {len(published)} reproduced, 0 partial, 1 not reproducible" in res.stdout


@pytest.mark.workflow
def test_the_papers_reml_figure_is_what_page_14_prints(filled):
    """The published figure typed into bcg_published.csv is verified against the PDF like any ledger row: the
    reduced review's published table cites the paper's DOI, so its quote and numbers are found on p. 14."""
    work = filled[0]
    pub = pd.read_csv(work / "data/processed/bcg/ledger/published.csv", dtype=str).set_index("result_id")
    r = pub.loc["rr_reml"]
    assert (r.scale, r.estimate, r.ci_low, r.ci_high) == ("log", "-0.7145", "-1.0669", "-0.3622")
    assert (r.verified_file, r.verified_page) == ("metafor.pdf", "14")


@pytest.mark.workflow
def test_every_contributed_number_is_verified_on_its_page(filled):
    work = filled[0]
    x = pd.read_csv(work / "data/processed/bcg/ledger/extraction.csv", dtype=str)
    mine = x[x.source_kind == "full_text"]
    sha = pdf_text.sha256(work / "data/fulltext/metafor.pdf")
    assert len(mine) == 52 and (mine.verified_page == "9").all() and (mine.verified_sha256 == sha).all()
    assert (mine.verification == "full_text").all()
    v = pd.read_csv(work / "results/ledger/verification.csv").set_index("review").loc["bcg"]
    assert (v.numbers, v.numbers_full_text, v.pooled_numbers, v.pooled_full_text) == (52, 52, 52, 52)
    assert v.pooled_full_text_share == 1.0


@pytest.mark.workflow
def test_a_contribution_edit_never_rereads_a_pdf(filled, tmp_path):
    work = clone(filled[0], tmp_path)
    book = work / "data/contrib/bcg.xlsx"
    wb = load_workbook(book)
    wb["readme"]["B4"].value = "Another Reader"
    wb.save(book)
    res = smk(work, "-n", "results/convergence.csv", "--config", "reviews=[bcg]")
    out = res.stdout + res.stderr
    assert res.returncode == 0 and "rule contribute" in out, out[-2000:]
    # the jobs, not the module ledger/fulltext_index.py that the contribute job's code inputs name
    assert not re.search(r"^rule (extract_fulltext|fulltext_index)\b", out, re.M), out[-2000:]


def results(work):
    return {p: p.read_bytes() for p in (work / "results").rglob("*") if p.is_file()}


def run_fails(work, *expected):
    """The run stops with the message, no traceback, and results/ as it was."""
    before = results(work)
    res = smk(work, "results/convergence.csv", "--config", "reviews=[bcg]")
    out = res.stdout + res.stderr
    assert res.returncode != 0, out[-2000:]
    assert "Traceback" not in out, out[-3000:]
    for e in expected:
        assert e in out, out[-3000:]
    assert results(work) == before
    return out


@pytest.mark.workflow
def test_a_contributed_quote_with_one_digit_changed_stops_the_run(base, tmp_path):
    work = clone(base, tmp_path)

    def change(i, cells):
        if i == 3:
            cells["quote"] = cells["quote"].replace("4 119", "4 118")

    fill_from_hints(work / "results/worksheets/bcg.xlsx", work / "data/contrib/bcg.xlsx", change)
    run_fails(work, "ERROR: data/contrib/bcg.xlsx, sheet 'numbers', row 3, column 'quote': the quote 'Aronson 1948 4 "
              "118 11 128 44 random' is not in data/fulltext/metafor.pdf; the closest passage on the cited page is on "
              "p. 9: 'Aronson 1948 4 119 11 128 44 random'")
    assert not (work / "data/processed/bcg/ledger/extraction.csv").exists()


@pytest.mark.workflow
def test_a_quote_cited_on_the_wrong_page_stops_the_run_in_a_few_console_lines(base, tmp_path):
    """The console as the reader meets it (the default profile's brief logger): the failed job's one ERROR: line
    with its log, once; no temporary script path, no list of the job's inputs."""
    work = clone(base, tmp_path)

    def change(i, cells):
        if i == 3:
            cells["locator"] = "data table of dat.bcg, p. 10"

    fill_from_hints(work / "results/worksheets/bcg.xlsx", work / "data/contrib/bcg.xlsx", change)
    message = ("ERROR: data/contrib/bcg.xlsx, sheet 'numbers', row 3, column 'locator': the locator 'data table of "
               "dat.bcg, p. 10' cites p. 10, but the quote is on p. 9 of data/fulltext/metafor.pdf")
    out = run_fails(work, message)
    print(out)
    lines = out.strip().splitlines()
    assert len(lines) < 15, out
    assert out.count("cites p. 10") == 1 and "Error in rule contribute (review=bcg), log logs/" in out, out
    assert ".snakemake/scripts" not in out and "input:" not in out and "CalledProcessError" not in out, out


@pytest.mark.workflow
def test_a_manifest_naming_a_missing_file_stops_the_run(base, tmp_path):
    work = clone(base, tmp_path)
    with open(work / "data/fulltext/documents.csv", "a") as fh:
        fh.write("aronson1948.pdf,,,aronson1948,\n")
    run_fails(work, "ERROR: data/fulltext/documents.csv, row 3, column 'file': 'aronson1948.pdf' is not in "
              "data/fulltext; add the PDF or remove the row")


@pytest.mark.workflow
def test_an_image_only_pdf_in_the_folder_stops_the_run(base, tmp_path):
    from fpdf import FPDF
    from PIL import Image

    work = clone(base, tmp_path)
    Image.new("L", (300, 300), 200).save(tmp_path / "page.png")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(tmp_path / "page.png"), x=10, y=10, w=150)
    pdf.output(str(work / "data/fulltext/scan.pdf"))
    run_fails(work, "ERROR: data/fulltext/scan.pdf: no text layer", "OCR it first, e.g. `ocrmypdf")


@pytest.mark.workflow
def test_a_pdf_changed_after_extraction_has_its_quotes_verified_again(filled, tmp_path):
    """The reader replaces metafor.pdf by another document of the same name: it is read again (a new checksum)
    and the worksheet's quotes, which are not in it, stop the run."""
    work = clone(filled[0], tmp_path)
    make_pdf(work / "data/fulltext/metafor.pdf", [[(15, 30, "A different paper: 1 Aronson 1948 4 119 11 129 44 "
                                                           "random")]] * 9)
    out = run_fails(work, "ERROR: data/contrib/bcg.xlsx, sheet 'numbers', row 2, column 'quote': the quote 'Aronson "
                    "1948 4 119 11 128 44 random' is not in data/fulltext/metafor.pdf")
    assert re.search(r"^\d+ of \d+ jobs done: extract_fulltext", out, re.M), out  # the new PDF was read


# ----------------------------------------------------------------------------------------------- the report

@pytest.fixture(scope="module")
def site(filled):
    work = filled[0]
    res = smk(work, "results/report/index.html", "--config", "reviews=[bcg]")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    return work / "results/report"


@pytest.mark.workflow
def test_the_report_links_every_verified_number_to_its_page(site):
    """Seen in headless Chromium, offline: the study rows and the ledger say "verified on p. 9 of metafor.pdf"
    with a relative link that opens the PDF at that page, the ledger filters by verification level, and the
    landing card gives the share of pooled numbers verified against a full text."""
    from test_report import Visit, need

    chromium = shutil.which("chromium")
    need(chromium, "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        v = Visit(browser, (site / "bcg-studies.html").as_uri())
        links = v.page.locator("#rr_reml-primary a.verified")
        assert links.count() == 13 * 4
        assert links.first.inner_text() == "verified on p. 9 of metafor.pdf"
        href = links.first.get_attribute("href")
        assert href == "../../data/fulltext/metafor.pdf#page=9"
        assert (site / href.split("#")[0]).resolve() == (site.parents[1] / "data/fulltext/metafor.pdf").resolve()
        assert not v.errors, v.errors
        v.close()

        v = Visit(browser, (site / "ledger.html").as_uri())
        rows = v.page.locator("#numbers-table tbody tr")
        ledger = len(pd.read_csv(ROOT / "data/raw/extraction.csv"))  # the ketamine rows, read on web pages
        assert rows.count() == ledger + 52
        v.page.select_option("#level", "verified against a full text")
        assert rows.count() == 52
        assert set(v.page.locator("#numbers-table tbody th.ids").all_inner_texts()) == set(
            pd.read_csv(site.parents[1] / "data/processed/bcg/ledger/extraction.csv").query(
                "source_kind == 'full_text'").extract_id)
        assert v.page.locator("#numbers-table a.verified").first.get_attribute("href").endswith("metafor.pdf#page=9")
        v.page.select_option("#level", "read on an abstract")
        abstract = rows.count()
        v.page.select_option("#level", "not verified")
        assert 0 < abstract < ledger and abstract + rows.count() == ledger
        v.page.screenshot(path=str(site / "ledger-not-verified.png"))
        assert not v.errors and not v.outside, (v.errors, v.outside)
        v.close()

        v = Visit(browser, (site / "index.html").as_uri())
        card = v.page.locator("#card-bcg").locator("xpath=ancestor::article")
        assert "Pooled numbers verified against a full text: 52 of 52 (100%)" in card.inner_text()
        v.close()
        browser.close()


@pytest.mark.workflow
def test_the_run_records_the_checksums_of_the_pdfs_and_contributions_it_read(filled, tmp_path):
    """Every result records its inputs' checksums: the full texts and the filled worksheet are inputs too."""
    work = clone(filled[0], tmp_path)
    res = smk(work, "data/processed/provenance_inputs.json", "--config", "reviews=[bcg]")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    inputs = json.loads((work / "data/processed/provenance_inputs.json").read_text())["inputs"]
    for f in ("data/fulltext/metafor.pdf", "data/contrib/bcg.xlsx"):
        assert inputs[f] == hashlib.sha256((work / f).read_bytes()).hexdigest(), f
