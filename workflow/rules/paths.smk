# The result paths more than one rule names, each typed once here (tests/test_paths.py checks no rules file types
# one again). A path one rule alone declares stays in that rule; the path functions of common.smk build the
# per-review and per-analysis ones from these folders.

POOLED = "results/summary/pooled.csv"
REPRODUCTION = "results/reproduction.csv"
AUDIT = "results/audit_published.csv"
AUDIT_TOTALS = "results/audit_totals.csv"
AUDIT_PERCENTAGES = "results/audit_percentages.csv"
COVERAGE = "results/ledger/coverage.csv"
MISSING_CELLS = "results/ledger/missing_cells.csv"
VERIFICATION = "results/ledger/verification.csv"
CONVERGENCE = "results/convergence.csv"
CONVERGENCE_TEXT = "results/convergence.txt"
UMBRELLA = "results/umbrella/umbrella.csv"
OVERLAP = "results/umbrella/overlap.csv"
REPORT_INDEX = "results/report/index.html"
PROVENANCE = "results/provenance.json"
PROVENANCE_INPUTS = "data/processed/provenance_inputs.json"
CROSS_REVIEW_NOTEBOOK = "results/notebooks/cross_review.html"
FULLTEXT_DOCUMENTS = "data/processed/fulltext/documents.csv"
FULLTEXT_PAGES = "data/processed/fulltext/pages/{sha}.json"
FULLTEXT_PICTURES = "data/processed/fulltext/pages/{sha}.pictures.json"
WORKSHEETS = "results/worksheets/"


def worksheet(review="{review}"):
    return f"{WORKSHEETS}{review}.xlsx"


def worksheet_cells(review="{review}"):
    return f"{WORKSHEETS}{review}.cells.json"


def figures_read(review="{review}"):
    """What was read from the review's PDFs (the worksheet job writes it, the report shows it)."""
    return f"{WORKSHEETS}{review}/figures.json"


def notebook_html(review):
    return f"results/notebooks/{review}.html"


def conformance_table(review, name):
    """A conformance review's table as the import job writes it: ``studies`` or ``published``."""
    return f"data/processed/conformance/{review}/{name}.csv"


def tree_files(folder):
    """Every file under a folder of the project, as a path relative to it: found from the Snakefile's folder, not
    the working directory, as every other input is."""
    return sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / folder).rglob("*") if p.is_file()
    )
