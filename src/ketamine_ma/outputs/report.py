"""The HTML report: one folder (``results/``) that opens offline, entered at ``results/report/index.html``.

Every pooled number links to the study table that produced it; every study row links each of its ledger rows
(``extract_ids``) to that row's source, locator and quote in the ledger section; figures carry their captions.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import pandas as pd

CSS = """body{font-family:DejaVu Sans,Arial,sans-serif;margin:2em auto;max-width:1250px;line-height:1.35}
table{border-collapse:collapse;font-size:12px;margin:.6em 0}td,th{border:1px solid #ccc;padding:3px 6px;
vertical-align:top}th{background:#eee}.reproduced{background:#d9f2d9}.partial{background:#fff3c4}
.not_reproducible{background:#f8d7d7}figure{margin:1em 0}figcaption{font-size:12px;color:#333}
nav a{margin-right:1em}img{max-width:100%;border:1px solid #eee}.scroll{overflow-x:auto}
td{max-width:32em}"""
BASE = "results/report"


def esc(x) -> str:
    return html.escape("" if x is None or (isinstance(x, float) and pd.isna(x)) else str(x))


def rel(path) -> str:
    return os.path.relpath(path, BASE)


def fmt(v):
    if isinstance(v, float):
        return "" if pd.isna(v) else f"{v:.4g}"
    return esc(v)


def table(df: pd.DataFrame, cls_col=None, cell=None) -> str:
    """An HTML table; ``cell(row, column, text)`` may return replacement HTML for a cell."""
    head = "".join(f"<th>{esc(c)}</th>" for c in df.columns)
    body = []
    for _, r in df.iterrows():
        cls = f' class="{esc(r[cls_col])}"' if cls_col else ""
        tds = []
        for c in df.columns:
            text = fmt(r[c])
            tds.append(f"<td>{cell(r, c, text) if cell else text}</td>")
        body.append(f"<tr{cls}>{''.join(tds)}</tr>")
    return f"<div class='scroll'><table><tr>{head}</tr>{''.join(body)}</table></div>"


def ledger_links(ids) -> str:
    if not isinstance(ids, str) or not ids:
        return ""
    return " ".join(f'<a href="#x-{esc(i)}">{esc(i)}</a>' if not i.startswith(("rm5:", "conformance:")) else esc(i)
                    for i in ids.split(";"))


def figure(path, caption) -> str:
    return (f"<figure><img src='{esc(rel(path))}' alt='{esc(Path(path).name)}'>"
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def render(inp, specs) -> str:
    pooled = pd.read_csv(inp.pooled)
    rep = pd.read_csv(inp.reproduction)
    audit = pd.read_csv(inp.audit)
    cov = pd.read_csv(inp.coverage)
    miss = pd.read_csv(inp.missing)
    prov = json.loads(Path(inp.provenance).read_text())
    ledger = pd.read_csv(inp.extraction)
    conflicts = pd.read_csv(inp.conflicts)
    nav = "".join(f"<a href='#{esc(r)}'>{esc(r)}</a>" for r in specs)
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Ketamine meta-analyses re-run"
             f"</title><style>{CSS}</style></head><body>",
             "<h1>Intravenous ketamine for chronic pain: published meta-analyses re-run</h1>",
             f"<nav><a href='#reproduction'>Reproduction</a><a href='#audit'>Audit</a>{nav}"
             "<a href='#umbrella'>Side by side</a><a href='#missing'>Missing cells</a><a href='#ledger'>Ledger</a>"
             "<a href='#provenance'>Provenance</a></nav>",
             "<p>Every pooled number links to the study table that produced it; each study row links to its ledger "
             "rows, shown with source, locator and verbatim quote in the <a href='#ledger'>ledger</a>.</p>",
             "<h2 id='reproduction'>Reproduction of the published figures</h2>"]
    cols = [c for c in ("review", "result_id", "analysis", "measure", "published_estimate", "published_ci_low",
                        "published_ci_high", "published_p", "our_estimate", "our_ci_low", "our_ci_high", "our_k",
                        "source_kind", "status", "reason") if c in rep]

    def rep_cell(r, c, text):
        if c == "our_estimate" and text and r["analysis"]:
            return f"<a href='{esc(rel(f'results/{r.review}/{r.analysis}/primary/studies.csv'))}'>{text}</a>"
        return text

    parts.append(table(rep[cols], "status", rep_cell))
    parts.append("<h2 id='audit'>Audit of the published figures</h2>"
                 "<p>Is each printed p consistent with its estimate and 95% CI, and is the CI symmetric on its scale?"
                 "</p>" + table(audit))
    parts.append("<h3>Do subgroup counts add up to the totals?</h3>" + table(pd.read_csv(inp.audit_totals)))
    parts.append("<h3>Do printed percentages match printed counts?</h3>" + table(pd.read_csv(inp.audit_percentages)))
    for review, spec in specs.items():
        parts.append(f"<h2 id='{esc(review)}'>{esc(review)}</h2><p>{esc(spec['citation'])}</p>"
                     f"<p><b>Methods as re-run</b> (<code>config/reviews/{esc(review)}.yaml</code>): "
                     f"{esc(spec['methods'])}</p>")
        flow = Path(f"results/figures/{review}.flow.svg")
        if flow.exists():
            parts.append(figure(flow, f"Flow of {review}'s trials from the review to the pooled analyses."))
        nbhtml = Path(f"results/notebooks/{review}.html")
        if nbhtml.exists():
            parts.append(f"<p>Narrative notebook: <a href='{esc(rel(nbhtml))}'>{esc(nbhtml.name)}</a></p>")
        for key, a in spec["analyses"].items():
            caps_path = Path(f"results/figures/{review}/{key}.captions.json")
            if not caps_path.exists():
                continue
            caps = json.loads(caps_path.read_text())
            parts.append(f"<h3 id='{esc(review)}-{esc(key)}'>{esc(a['label'])}</h3>")
            parts.append(figure(f"results/figures/{review}/{key}.forest.svg", caps["forest"]))
            p = pooled[(pooled.review == review) & (pooled.outcome == key)]
            show = ["analysis", "measure", "method", "tau2_estimator", "ci_method", "k", "n_participants", "estimate",
                    "ci_low", "ci_high", "p", "tau2", "i2", "pi_low", "pi_high", "note"]

            def pooled_cell(r, c, text, rv=review, k=key):
                if c in ("estimate", "ci_low", "ci_high") and text:
                    return f"<a href='{esc(rel(f'results/{rv}/{k}/{r.analysis}/studies.csv'))}'>{text}</a>"
                return text

            parts.append("<h4>Primary and sensitivity analyses</h4>" + table(p[show], cell=pooled_cell))
            st = pd.read_csv(f"results/{review}/{key}/primary/studies.csv")
            if len(st):
                scols = [c for c in ("study_id", "membership", "design", "timepoint", "yi", "vi", "weight",
                                     "extract_ids", "conversions") if c in st]
                parts.append("<h4>Studies pooled</h4>" + table(
                    st[scols], cell=lambda r, c, text: ledger_links(r[c]) if c == "extract_ids" else text))
            parts.append(figure(f"results/figures/{review}/{key}.funnel.svg", caps["funnel"]))
            parts.append(figure(f"results/figures/{review}/{key}.sensitivity.svg", caps["sensitivity"]))
            if a.get("subgroups"):
                parts.append(figure(f"results/figures/{review}/{key}.subgroups.svg", caps["subgroups"]))
        c = cov[cov.review == review]
        if len(c):
            parts.append("<h4>Ledger coverage</h4>" + table(c))
    if Path("results/umbrella/umbrella.csv").exists():
        parts.append("<h2 id='umbrella'>The reviews side by side</h2>")
        parts.append(figure("results/figures/umbrella.forest.svg", "The reviews' own pooled figures as printed."))
        parts.append(table(pd.read_csv("results/umbrella/umbrella.csv")))
        parts.append(figure("results/figures/overlap.svg", "Trials shared between the reviews (ledger membership, "
                                                           "confirmed and candidate) and the corrected covered area."))
        nb = Path("results/notebooks/cross_review.html")
        if nb.exists():
            parts.append(f"<p>Narrative notebook: <a href='{esc(rel(nb))}'>{esc(nb.name)}</a></p>")
    else:
        parts.append("<h2 id='umbrella'>The reviews side by side</h2><p>No ledger review selected.</p>")
    parts.append("<h2 id='missing'>Cells still missing</h2><p>The to-do list for a reader with full-text access: fill "
                 "these in <code>data/raw/extraction.csv</code> with source and quote, and rerun.</p>" + table(miss))
    parts.append("<h2 id='conflicts'>Conflicts between sources</h2>" + table(conflicts))
    parts.append("<h2 id='ledger'>Ledger: every extracted number with its source and quote</h2>")
    rows = []
    for _, r in ledger.iterrows():
        src = esc(r.source)
        link = f"<a href='{src}'>{src}</a>" if str(r.source).startswith("http") else src
        rows.append(f"<tr id='x-{esc(r.extract_id)}'><td>{esc(r.extract_id)}</td><td>{esc(r.trial_id)}</td>"
                    f"<td>{esc(r.outcome)}</td><td>{esc(r.arm)}</td><td>{esc(r.statistic)}</td>"
                    f"<td>{esc(r.qualifier)}{r.value:g}</td><td>{esc(r.status)}</td><td>{esc(r.locator)}</td>"
                    f"<td>{link}</td><td>{esc(r.quote)}</td></tr>")
    parts.append("<table><tr><th>extract_id</th><th>trial</th><th>outcome</th><th>arm</th><th>statistic</th>"
                 "<th>value</th><th>status</th><th>locator</th><th>source</th><th>quote</th></tr>"
                 f"{''.join(rows)}</table>")
    parts.append(f"<h2 id='provenance'>Provenance</h2><p>git commit {esc(prov.get('git_commit'))}"
                 f"{' (uncommitted changes)' if prov.get('git_dirty') else ''}; Python {esc(prov.get('python'))}</p>")
    parts.append(table(pd.DataFrame([{"package": k, "version": v} for k, v in prov["packages"].items()])))
    parts.append(table(pd.DataFrame([{"input": k, "sha256": v} for k, v in prov["inputs"].items()])))
    parts.append("</body></html>\n")
    return "\n".join(parts)
