# The result paths more than one rule names, each typed once here (tests/test_paths.py checks no rules file types
# one again). A path one rule alone declares stays in that rule; the path functions below build the per-review
# and per-analysis ones.

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


def table(review, variant, outcome):
    return f"data/processed/{review}/{variant}/{outcome}.csv"


def clean_tables(review):
    """The study tables a review's clean job writes, ``{variant: {analysis: path}}``."""
    return {
        v: {o: table(review, v, o) for o in outcomes_of(review)}
        for v in variants(review)
    }


def analysis_results(review, outcome):
    """The files one analysis' analyse job writes (the one place for their names): the primary pool's studies,
    pooled and subgroups tables, ``sensitivity``: studies and pooled per sensitivity analysis of the plan, and the
    small-study and influence tables when config runs them (absent keys: not run, not declared).
    """
    base = f"results/{review}/{outcome}"
    files = {
        "primary": {
            f: f"{base}/primary/{f}.csv" for f in ("studies", "pooled", "subgroups")
        },
        "sensitivity": {
            a: {f: f"{base}/{a}/{f}.csv" for f in ("studies", "pooled")}
            for a in sensitivity_analyses(review, outcome)
        },
    }
    for kind in plan.diagnostics(config):
        files[kind] = f"{base}/{kind}.csv"
    return files


def analysis_figure(review, outcome, kind):
    """One analysis' figure as SVG (``kind``: forest, funnel, sensitivity, subgroups), or its captions.json."""
    name = kind if kind == "captions.json" else f"{kind}.svg"
    return f"results/figures/{review}/{outcome}.{name}"


def member_outputs(r):
    """What the clean stage writes of every confirmed or candidate member of review ``r`` under the main reading:
    per analysis the usable rows, and the reasons and missing cells of those without usable data.
    """
    return {
        "members": {o: f"data/processed/{r}/members/{o}.csv" for o in outcomes_of(r)},
        "member_exclusions": f"data/processed/{r}/member_exclusions.csv",
        "member_missing": f"data/processed/{r}/member_missing_cells.csv",
    }


def other_formats(svg):
    """The figure ``svg`` in the other formats of config figure_formats (png, pdf): outputs of the job that draws
    the SVG (the reports show SVG), so switching a format off removes exactly its files and reruns nothing.
    """
    stem = svg.removesuffix(".svg")
    return [f"{stem}.{fmt}" for fmt in config["figure_formats"] if fmt != "svg"]


def flow_figure(review):
    """A ledger review's flow diagram (SVG)."""
    return f"results/figures/{review}.flow.svg"


UMBRELLA_FIGURES = {
    "forest": "results/figures/umbrella.forest.svg",
    "overlap": "results/figures/overlap.svg",
}


# The merged ledger (ketamine_ma.ledger.merged): the union of the reviews' processed ledgers, which every output
# spanning reviews reads.
LEDGER_VIEW = vocabulary.MERGED_VIEW


VALIDATED_LEDGER = "data/processed/ledger"
LEDGER_CHECKSUMS = f"{VALIDATED_LEDGER}/checksums.json"
MERGED_LEDGER = "data/processed/merged"


def review_ledger(review):
    """The folder of a ledger review's processed ledger (``{review}``: the contribute rule's wildcard)."""
    return f"data/processed/{review}/ledger"


def clean_logs(review):
    """The clean stage's exclusion log and missing cells of ``review``."""
    return {
        "exclusions": f"data/processed/{review}/exclusions.csv",
        "missing": f"data/processed/{review}/missing_cells.csv",
    }


def ledger_tables(folder, tables):
    """``{table: path}`` of a ledger's tables in ``folder``."""
    return {t: f"{folder}/{t}.csv" for t in tables}


def ledger_view(table):
    """The merged ledger's table ``table``, every contribution in it (published figures: the raw table)."""
    return f"{MERGED_LEDGER if table in LEDGER_VIEW else VALIDATED_LEDGER}/{table}.csv"
