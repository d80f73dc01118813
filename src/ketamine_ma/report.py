"""The HTML report: one self-contained folder (index.html plus the figures it links), readable offline.

Every pooled number links to the study table that produced it; every study row lists its ledger rows
(``extract_ids``), each shown with its source, locator and quote in the ledger section.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import pandas as pd

CSS = """body{font-family:DejaVu Sans,Arial,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;
font-size:12px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top}th{background:#eee}
.reproduced{background:#d9f2d9}.partial{background:#fff3c4}.not_reproducible{background:#f8d7d7}
code{font-size:11px}"""


def _table(df: pd.DataFrame, cls_col=None, links=None) -> str:
    links = links or {}
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = []
    for _, r in df.iterrows():
        cls = f' class="{html.escape(str(r[cls_col]))}"' if cls_col else ""
        cells = []
        for c in df.columns:
            v = "" if pd.isna(r[c]) else r[c]
            v = f"{v:.4g}" if isinstance(v, float) else html.escape(str(v))
            if c in links:
                href = links[c](r)
                if href:
                    v = f'<a href="{html.escape(href)}">{v}</a>'
            cells.append(f"<td>{v}</td>")
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _rel(path, start="results/report"):
    return os.path.relpath(path, start)


def render(inputs, specs) -> str:
    pooled = pd.read_csv(inputs.pooled)
    rep = pd.read_csv(inputs.reproduction)
    cov = pd.read_csv(inputs.coverage)
    miss = pd.read_csv(inputs.missing)
    prov = json.loads(Path(inputs.provenance).read_text())
    ledger = pd.read_csv(inputs.extraction)
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Ketamine meta-analyses re-run</title>"
             f"<style>{CSS}</style></head><body><h1>IV ketamine for chronic pain: four meta-analyses re-run</h1>",
             "<p>Every pooled number links to the study table that produced it; each study row names its ledger "
             "rows, listed with source and quote under <a href='#ledger'>Ledger</a>.</p>",
             "<h2 id='reproduction'>Reproduction of the published figures</h2>",
             _table(rep[[c for c in ("review", "result_id", "analysis", "measure", "published_estimate",
                                     "published_ci_low", "published_ci_high", "our_estimate", "our_ci_low",
                                     "our_ci_high", "our_k", "status", "reason") if c in rep]], "status")]
    for review, spec in specs.items():
        parts.append(f"<h2 id='{review}'>{html.escape(review)}</h2><p>{html.escape(spec['citation'])}</p>"
                     f"<p><b>Methods as re-run:</b> {html.escape(spec['methods'])}</p>")
        for key, a in spec["analyses"].items():
            svg = Path(f"results/figures/{review}/{key}.forest.svg")
            if not svg.exists():
                continue
            anchor = f"{review}-{key}"
            parts.append(f"<h3 id='{anchor}'>{html.escape(a['label'])}</h3>")
            parts.append(f"<img src='{_rel(svg)}' alt='forest plot {anchor}' style='max-width:100%'>")
            p = pooled[(pooled.review == review) & (pooled.outcome == key)]
            cols = ["analysis", "measure", "method", "tau2_estimator", "ci_method", "k", "n_participants",
                    "estimate", "ci_low", "ci_high", "p", "tau2", "i2", "note"]
            parts.append(_table(p[cols], links={"estimate": lambda r, rv=review, k=key: _rel(
                f"results/{rv}/{k}/{r['analysis']}/studies.csv")}))
            st_path = Path(f"results/{review}/{key}/primary/studies.csv")
            st = pd.read_csv(st_path)
            if len(st):
                show = [c for c in ("study_id", "membership", "timepoint", "yi", "vi", "weight", "extract_ids",
                                    "conversions") if c in st]
                parts.append(_table(st[show], links={"extract_ids": lambda r: "#x-" + str(r["extract_ids"])
                                                     .split(";")[0]}))
        c = cov[cov.review == review]
        if len(c):
            parts.append("<h4>Ledger coverage</h4>" + _table(c))
    parts.append("<h2 id='missing'>Cells still missing (the to-do list for a reader with full texts)</h2>")
    parts.append(_table(miss))
    parts.append("<h2 id='ledger'>Ledger: every extracted number with its source and quote</h2>")
    rows = []
    for _, r in ledger.iterrows():
        rows.append(f"<tr id='x-{html.escape(r.extract_id)}'><td>{html.escape(r.extract_id)}</td>"
                    f"<td>{html.escape(str(r.statistic))}</td><td>{r.value:g}</td><td>{html.escape(r.status)}</td>"
                    f"<td>{html.escape(str(r.locator))}</td><td>{html.escape(r.source)}</td>"
                    f"<td>{html.escape(r.quote)}</td></tr>")
    parts.append("<table><tr><th>extract_id</th><th>statistic</th><th>value</th><th>status</th><th>locator</th>"
                 f"<th>source</th><th>quote</th></tr>{''.join(rows)}</table>")
    parts.append("<h2 id='provenance'>Provenance</h2>" + _table(pd.DataFrame(
        [{"package": k, "version": v} for k, v in prov["packages"].items()])))
    parts.append(_table(pd.DataFrame([{"input": k, "sha256": v} for k, v in prov["inputs"].items()])))
    parts.append("</body></html>\n")
    return "\n".join(parts)
