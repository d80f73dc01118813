"""The report's file names: its pages and the static files copied beside them.

Kept apart from ``report`` (which imports pandas and jinja2) because the report rule declares them as outputs:
Snakemake imports this module at every start.
"""

STATIC_FILES = ("report.css", "report.js", "dataTables.min.js", "dataTables.dataTables.min.css",
                "DataTables-LICENSE.txt")


def page_names(specs) -> list[str]:
    """The file names ``report.pages`` writes (the rule's outputs)."""
    return (["index.html"] + [f"{r}{s}.html" for r in specs for s in ("", "-studies")]
            + [figures_page_name(r) for r in specs]
            + ["ledger.html", "conflicts.html", "missing.html", "audit.html", "provenance.html"])


def figures_page_name(review) -> str:
    """The report's page of what was read from the review's PDFs (the worksheet names its pictures by it)."""
    return f"{review}-figures.html"
