"""The HTML report: a small site under ``results/report/`` that opens offline, entered at ``index.html``.

Pages: a landing page (one card per review), one page per review (methods, flow, and per analysis the forest plot,
reproduction, sensitivity, small-study and influence results), one page per review with the study rows behind
every pooled number, the ledger (every extracted number with its quote, locator, canonical record and the mirror
where it was read), conflicts, missing cells, the audit of the published figures and provenance.

This module renders the pages; what they show is prepared as plain data in ``report_rows`` (page by page), from
the outputs ``report_run`` reads, in the printed forms and links of ``report_format``. The HTML is in
``templates/`` (Jinja2, autoescaped) and the look in ``static/report.css``. Tables a reader sorts and filters use
DataTables, vendored in ``static/`` (see VENDOR.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import jinja2

from ..ledger.vocabulary import SOURCE_KINDS
from .report_files import STATIC_FILES
from .report_format import MINUS, pval, text
from .report_rows import (
    analysis_page,
    conflict_rows,
    ledger_rows,
    membership_rows,
    published_rows,
    rep_row,
    review_context,
    study_group,
    table_rows,
    trial_rows,
)
from .report_run import Run, declared, records

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters["minus"] = lambda s: str(s).replace("-", MINUS)
    return env


def pages(files, specs, out, worksheets=(), notebooks=(), fulltext="data/fulltext") -> dict[str, str]:
    """Every page of the report in folder ``out``, file name → HTML, from the files of ``files`` (``Run``);
    ``worksheets`` and ``notebooks`` (the executed notebooks' HTML copies the run writes) are linked;
    ``fulltext`` is the folder of the full texts that numbers were verified on."""
    run = Run(files, specs, out, worksheets, notebooks, fulltext)
    env = environment()
    reviews = [review_context(run, r, s) for r, s in specs.items()]
    commit = run.prov.get("git_commit") or "unknown"
    # the report is about the questions of the reviews of this run, each as its spec words it
    questions = list(dict.fromkeys(s["question"] for s in specs.values()))
    common = {"reviews": reviews, "commit": commit, "dirty": bool(run.prov.get("git_dirty")),
              "site": f"{'; '.join(questions)}: published meta-analyses re-run"}

    def render(name, current, **ctx):
        return env.get_template(name).render(current=current, **common, **ctx)

    views = run.files.get("umbrella", {})
    umbrella = run.figure(views.get("forest"), "The reviews' own pooled figures side by side",
                      "Each review's pooled figures as printed (the published side of every card above), on one "
                      "axis per measure.")
    overlap = run.figure(views.get("overlap"), "Trials shared between the reviews",
                     "Trials shared between the reviews (ledger membership, confirmed and candidate) and the "
                     "corrected covered area.")
    cross = run.notebooks.get("cross_review")
    out = {"index.html": render("index.html.j2", "index", umbrella=umbrella, overlap=overlap,
                                n_ledger=len(run.extraction), n_missing=len(run.missing),
                                n_conflicts=len(run.conflicts), cross_notebook=run.rel(cross) if cross else None)}
    for ctx, (review, spec) in zip(reviews, specs.items(), strict=True):
        keys = [k for k in spec["analyses"] if not run.pools(review, k).empty]
        analyses = [analysis_page(run, review, k, spec["analyses"][k]) for k in keys]
        out[f"{review}.html"] = render("review.html.j2", review, r=ctx, analyses=analyses)
        groups = [study_group(run, review, k, spec) for k in keys]
        out[f"{review}-studies.html"] = render("studies.html.j2", review, r=ctx, groups=groups)
        # what the worksheet job read from the review's PDFs (outputs.worksheets.figures_read), pictures inline
        read = json.loads(declared(run.files["reviews"][review]["figures_read"]).read_text(encoding="utf-8"))
        out[ctx["figures_page"]] = render("figures.html.j2", review, r=ctx, doc=read)
    out["ledger.html"] = render("ledger.html.j2", "ledger", rows=ledger_rows(run), kinds=SOURCE_KINDS.values(),
                                trials=trial_rows(run), membership=membership_rows(run),
                                published=published_rows(run))
    out["conflicts.html"] = render("conflicts.html.j2", "conflicts", rows=conflict_rows(run))
    miss = records(run.missing)
    out["missing.html"] = render("missing.html.j2", "missing", rows=miss,
                                 counts={r["slug"]: r["n_missing"] for r in reviews})
    fmt = {c: pval for c in ("published_p", "p_from_ci")}
    out["audit.html"] = render("audit.html.j2", "audit", audit=table_rows(run.audit, fmt),
                               totals=table_rows(run.audit_totals), percentages=table_rows(run.audit_percentages),
                               reproduction=[{**rep_row(r, run.published_ids), "review": r["review"],
                                              "analysis": text(r.get("analysis"))} for r in records(run.rep)])
    prov = run.prov
    out["provenance.html"] = render("provenance.html.j2", "provenance", python=prov.get("python"),
                                    packages=sorted(prov.get("packages", {}).items()),
                                    inputs=sorted(prov.get("inputs", {}).items()))
    return out


def static_files() -> dict[str, str]:
    """The stylesheet, script and vendored DataTables files, copied beside the pages (``static/``)."""
    return {f"static/{n}": (STATIC / n).read_text(encoding="utf-8") for n in STATIC_FILES}
