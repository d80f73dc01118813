"""What the report's pages show, page by page: the cards, tables and sections of every page, as plain data
(dicts and lists) for the templates (``outputs.report``), made of the outputs ``Run`` read (``report_run``) in the
printed forms and links of ``report_format``.

Every pooled number links to its study rows; every study row links each of its ledger rows (``extract_ids``); each
ledger row links its canonical record and the page of the full text it was verified on.
"""

from __future__ import annotations

import json
import math

import pandas as pd

from ..engine import effects as ef
from ..ledger import plan
from ..ledger.studies import study_id
from .report_files import figures_page_name
from .report_format import (
    count,
    estimate_ci,
    kind_words,
    ledger_link,
    missing,
    num,
    own_records,
    p_like,
    pooled_link,
    published_link,
    published_text,
    pval,
    record,
    short_reason,
    sig,
    slug,
    text,
    trial_records,
)
from .report_run import NOT_VERIFIED, Run, declared, read, records

STATUS_LABELS = {"reproduced": "reproduced", "partial": "partial", "not_reproducible": "not reproducible",
                 "not_computed": "not computed"}
# Arm-level columns of a study table (metafor's names) and their headings: {0} / {1} are the spec's arm labels.
ARM_COLUMNS = {"ai": "{0} events", "n1": "{0} n", "m1": "{0} mean", "sd1": "{0} SD",
               "ci": "{1} events", "n2": "{1} n", "m2": "{1} mean", "sd2": "{1} SD",
               "m_pre": "baseline mean", "sd_pre": "baseline SD", "m_post": "after mean", "sd_post": "after SD",
               "xi": "events", "ni": "n"}
COUNTS = ("ai", "n1", "ci", "n2", "xi", "ni")


def pool_row(r: dict, review, key) -> dict:
    est = r.get("estimate")
    return {
        "variant": r["analysis"], "label": plan.label(r["analysis"]), "k": count(r.get("k")),
        "n": count(r.get("n_participants")), "estimate": num(est), "ci_low": num(r.get("ci_low")),
        "ci_high": num(r.get("ci_high")), "p": pval(r.get("p")), "tau2": sig(r.get("tau2")),
        "i2": num(r.get("i2"), 0) if not missing(r.get("i2")) else "", "omitted": text(r.get("omitted")),
        "note": text(r.get("note")), "measure": text(r.get("measure")),
        "settings": " \u00b7 ".join(text(r.get(c)) for c in ("method", "tau2_estimator", "ci_method")
                                    if not missing(r.get(c))),
        "href": pooled_link(review, key, r["analysis"]), "has_estimate": not missing(est),
    }


def rep_row(r: dict, known=frozenset()) -> dict:
    status = text(r.get("status"))
    return {
        "published_href": published_link(r, known),
        "result_id": text(r.get("result_id")), "measure": text(r.get("measure")),
        "published": published_text(r) or "no estimate printed",
        "published_p": pval(r.get("published_p")), "published_k": count(r.get("published_k")),
        "source_kind": text(r.get("source_kind")),
        "n_sources": int(float(r.get("n_sources"))) if not missing(r.get("n_sources")) else 0,
        "ours": estimate_ci(r.get("our_estimate"), r.get("our_ci_low"), r.get("our_ci_high"))
        or (f"p = {p_like(r.get('our_p'), r.get('published_p'))}" if not missing(r.get("our_p")) else ""),
        "our_k": count(r.get("our_k")), "status": status, "status_label": STATUS_LABELS.get(status, status),
        "reason": text(r.get("reason")),
    }


def table_rows(df: pd.DataFrame, fmt=None) -> tuple[list[str], list[list[str]]]:
    """A small CSV as header + rows of display strings (numbers formatted, missing cells empty)."""
    fmt = fmt or {}
    cols = list(df.columns)
    rows = []
    for r in records(df):
        rows.append([fmt[c](r[c]) if c in fmt else (sig(r[c], 4) if isinstance(r[c], float) else text(r[c]))
                     for c in cols])
    return cols, rows


def small_study(run: Run, review, key, measure) -> dict | None:
    path = run.analysis(review, key).get("small_study")
    df = read(path) if path else pd.DataFrame()
    if not len(df):
        return None
    r = records(df)[0]
    k = int(r.get("k") or 0)
    tests = []
    # Peters' and Harbord's tests are in the table of a binary outcome only
    for name, prefix in (("Egger's", "egger"), ("Peters'", "peters"), ("Harbord's", "harbord")):
        if f"{prefix}_t" not in r:
            continue
        note = text(r.get(f"{prefix}_note"))
        if missing(r.get(f"{prefix}_t")):
            tests.append(f"{name} test: {note or 'not run'}")
        else:
            tests.append(f"{name} test: t = {num(r.get(f'{prefix}_t'))}, df = {count(r.get(f'{prefix}_df'))}, "
                         f"p = {pval(r.get(f'{prefix}_p'))}" + (f" ({note})" if note else ""))
    if not missing(r.get("trimfill_k0")):
        est = [r.get(c) for c in ("trimfill_estimate", "trimfill_ci_low", "trimfill_ci_high")]
        if ef.is_ratio(measure):  # trim-and-fill works on the log scale; a reader compares ratios
            est = [None if missing(x) else math.exp(x) for x in est]
        trim = (f"Trim-and-fill: {count(r['trimfill_k0'])} trial(s) imputed on the {text(r.get('trimfill_side'))}; "
                f"adjusted {measure} {estimate_ci(*est)}")
    else:
        trim = f"Trim-and-fill: {text(r.get('trimfill_note')) or 'not run'}"
    return {"k": k, "tests": tests, "trimfill": trim}


def influence(run: Run, review, key) -> dict | None:
    path = run.analysis(review, key).get("influence")
    df = read(path) if path else pd.DataFrame()
    if not len(df):
        return None
    cols = ["trial_id", "rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "q_del", "hat", "weight"]
    df = df[[c for c in cols if c in df]]
    head, rows = table_rows(df, {c: (lambda v: sig(v, 3)) for c in cols[1:]})
    return {"head": head, "rows": rows}


def analysis_page(run: Run, review, key, a) -> dict:
    files = run.analysis(review, key)
    caps, fig = json.loads(declared(files["captions"]).read_text()), files["figures"]
    pools = run.pools(review, key)
    main = [pool_row(r, review, key) for r in records(pools[~pools.analysis.isin(plan.REFITS)])]
    main.sort(key=lambda r: r["variant"] != "primary")
    # one table per refit of the plan that has pools, in plan order, each row labelled by the plan
    refits = [rows for name in plan.REFITS
              if (rows := [pool_row(r, review, key) for r in records(pools[pools.analysis == name])])]
    primary = next((r for r in main if r["variant"] == "primary"), None)
    k_primary = int(primary["k"] or 0) if primary else 0
    return {
        "key": key, "id": slug("a", key), "label": a["label"], "primary": primary,
        "forest": run.figure(fig["forest"], f"Forest plot of {review}, {a['label']}", caps.get("forest", "")),
        "reproduction": [rep_row(r, run.published_ids) for r in run.rep_rows(review, key)],
        "pools": main, "refits": refits,
        "sensitivity_fig": run.figure(fig["sensitivity"], f"Leave-one-out and cumulative pools of {key}",
                                      caps.get("sensitivity", "")) if refits else None,
        "funnel": run.figure(fig["funnel"], f"Funnel plot of {key}", caps.get("funnel", ""))
        if k_primary >= 3 else None,
        "subgroups": run.figure(fig["subgroups"], f"Subgroups of {key}", caps.get("subgroups", ""))
        if a.get("subgroups") and k_primary >= 2 else None,
        "any_estimate": any(r["has_estimate"] for r in main + [r for rows in refits for r in rows]),
        "small_study": small_study(run, review, key, primary["measure"] if primary else ""),
        "influence": influence(run, review, key),
        "timepoint": a.get("timepoint", {}).get("label", "any reported") if isinstance(a.get("timepoint"), dict)
        else "any reported",
        "settings": " \u00b7 ".join(text(a.get(c)) for c in ("measure", "method", "model", "tau2_estimator",
                                                             "ci_method")
                                    if a.get(c) and not (c == "tau2_estimator" and a.get("model") == "fixed")),
    }


def headline(run: Run, review, spec) -> dict:
    """The review's headline figure: the first analysis (spec order) with a printed pooled estimate (a figure of
    kind ``pooled``), the review's own text preferred over secondary sources; when its sources print none, the
    first analysis this run pooled, re-run beside nothing printed."""
    rows = [r for r in run.rep_rows(review) if r.get("analysis") and r.get("kind") == "pooled"
            and not missing(r.get("published_estimate"))]
    order = {k: i for i, k in enumerate(spec["analyses"])}
    rows.sort(key=lambda r: (r.get("source_kind") != "primary", order.get(r["analysis"], 99)))
    if rows:
        r = rows[0]
        key = r["analysis"]
        ours = estimate_ci(r.get("our_estimate"), r.get("our_ci_low"), r.get("our_ci_high"))
        return {"key": key, "label": spec["analyses"][key]["label"], "result_id": r["result_id"],
                "published": published_text(r), "published_k": count(r.get("published_k")),
                "source_kind": text(r.get("source_kind")),
                "ours": f"{r.get('measure') or ''} {ours}".strip() if ours else "",
                "our_k": count(r.get("our_k")), "status": text(r.get("status")),
                "why": "" if ours else short_reason(r.get("reason")), "href": f"{review}.html#{slug('a', key)}",
                "studies_href": pooled_link(review, key, "primary")}
    key = next((k for k in spec["analyses"] if not run.pools(review, k).empty), next(iter(spec["analyses"])))
    pool = next((r for r in records(run.pools(review, key)) if r["analysis"] == "primary"), {})
    ours = estimate_ci(pool.get("estimate"), pool.get("ci_low"), pool.get("ci_high"))
    return {"key": key, "label": spec["analyses"][key]["label"], "published": "", "status": "",
            "ours": f"{pool['measure']} {ours}" if ours else "", "our_k": count(pool.get("k")),
            "why": "The sources read print no pooled estimate for this review, so there is nothing to compare.",
            "href": f"{review}.html#{slug('a', key)}", "result_id": "", "published_k": "",
            "source_kind": "", "studies_href": pooled_link(review, key, "primary")}


def status_of(rows: list[dict]) -> dict:
    n = len(rows)
    c = {s: sum(r.get("status") == s for r in rows) for s in STATUS_LABELS}
    if n and c["reproduced"] == n:
        cls, label = "reproduced", "reproduced"
    elif c["reproduced"] or c["partial"]:
        cls, label = "partial", "partly reproduced"
    elif n:
        cls, label = "not_reproducible", "not reproducible yet"
    else:
        cls, label = "none", "no published figures"
    return {"class": cls, "label": label, "n": n, **c}


def coverage_of(run: Run, review) -> dict:
    """Trials with usable data (any primary pool) against the trials the review pooled (its printed k)."""
    p = run.pooled
    prim = p[(p.review == review) & (p.analysis == "primary")] if len(p) else p
    used = sorted({t for ts in prim.get("trials", pd.Series(dtype=str)).dropna() for t in str(ts).split(";") if t})
    cov = run.coverage[run.coverage.review == review] if len(run.coverage) else run.coverage
    total = cov.published_k_review.max() if len(cov) and cov.published_k_review.notna().any() else float("nan")
    if missing(total):  # no scope row: the k of the primary analysis' own figure (the first analysis' first
        # published figure), never a sensitivity figure's (a trim-and-fill k counts trials the review imputed)
        first = next(((k, a["published"][0]) for k, a in run.specs[review]["analyses"].items()
                      if a.get("published")), None)
        ks = [] if first is None else [float(r["published_k"]) for r in run.rep_rows(review, first[0])
                                       if r.get("result_id") == first[1] and not missing(r.get("published_k"))]
        total = ks[0] if ks else float("nan")
    known = "" if missing(total) else f"{float(total):g}"
    have = len(used)
    pct = 0 if missing(total) or not total else min(100, round(100 * have / float(total)))
    return {"have": have, "total": known, "pct": pct, "trials": used}


def top_missing(run: Run, review, n=3) -> tuple[list[dict], int]:
    """The cells that would help most: trials that need the fewest cells to enter an analysis, headline first."""
    m = run.missing
    if not len(m):
        return [], 0
    m = m[m.review == review]
    order = {k: i for i, k in enumerate(run.specs[review]["analyses"])}
    groups = []
    for (trial, key), g in m.groupby(["trial_id", "analysis"], sort=True):
        cells = sorted({f"{a} {s}" for a, s in zip(g.arm, g.statistic, strict=True)})
        groups.append({"trial": trial, "analysis": key, "cells": cells, "n": len(cells),
                       "href": f"ledger.html#{slug('t', trial)}" if trial in run.trial_by_id else None,
                       "timepoint": text(g.timepoint.iloc[0]), "order": order.get(key, 99)})
    groups.sort(key=lambda x: (x["n"], x["order"], x["trial"]))
    return groups[:n], len(m)


def study_rows(run: Run, df: pd.DataFrame, arms) -> tuple[list[str], list[dict]]:
    arm = [c for c in ARM_COLUMNS if c in df and df[c].notna().any()]
    cols = (["study", "membership", "design", "time point"] + [ARM_COLUMNS[c].format(*arms) for c in arm]
            + ["effect yi", "variance vi", "weight %", "ledger rows", "conversions"])
    rows = []
    for r in records(df):
        ids = [i for i in text(r.get("extract_ids")).split(";") if i]
        trial = r.get("trial_id")
        rows.append({
            "id": slug("s", r.get("study_id")), "study": text(r.get("study_id")),
            "trial_href": f"ledger.html#{slug('t', trial)}" if trial in run.trial_by_id else None,
            "cells": [text(r.get("membership")), text(r.get("design")), text(r.get("timepoint"))]
            + [count(r.get(c)) if c in COUNTS else sig(r.get(c), 4) for c in arm]
            + [sig(r.get("yi"), 4), sig(r.get("vi"), 4), num(r.get("weight"), 1)],
            "ledger": [ledger_link(i, run.ledger_ids, run.verified, run.source_kinds) for i in ids],
            "conversions": text(r.get("conversions")),
        })
    return cols, rows


def study_group(run: Run, review, key, spec) -> dict:
    """One analysis on the study-rows page: a section per pool, each with the study rows that pool used."""
    pools = {r["analysis"]: r for r in records(run.pools(review, key))
             if r["analysis"] not in plan.REFITS}
    sections = []
    for v in run.variants(review, key):
        df = run.studies(review, key, v)
        cols, rows = study_rows(run, df, spec["arms"])
        p = pools.get(v)
        if p:
            est = estimate_ci(p.get("estimate"), p.get("ci_low"), p.get("ci_high")) or "not estimable"
            summary = f"k = {count(p.get('k'))}; {p.get('measure')} {est}"
        else:
            each = "omitting" if v == "leave_one_out" else "adding"
            summary = f"{len(df)} trials; one pool {each} each trial in turn"
        sections.append({"id": slug(key, v), "variant": v, "label": plan.label(v), "summary": summary,
                         "cols": cols, "rows": rows, "open": v == "primary"})
    e = run.exclusions
    e = e[(e.review == review) & (e.analysis == key)] if len(e) else e
    not_pooled = [{"study": study_name(run, r["trial_id"]), "membership": text(r.get("membership")),
                   "trial_href": f"ledger.html#{slug('t', r['trial_id'])}" if r["trial_id"] in run.trial_by_id
                   else None, "reason": text(r.get("reason"))} for r in records(e)]
    return {"key": key, "label": spec["analyses"][key]["label"], "id": slug("a", key), "sections": sections,
            "not_pooled": not_pooled}


def study_name(run: Run, trial_id) -> str:
    """A trial as its study rows name it: first author and year (the trial id when the ledger lacks it)."""
    t = run.trial_by_id.get(trial_id)
    return study_id(t) if t else trial_id


def review_context(run: Run, review, spec) -> dict:
    rows = run.rep_rows(review)
    top, n_missing = top_missing(run, review)
    flow = run.figure(run.files["reviews"][review].get("flow"), f"Flow of {review}'s trials",
                  f"Flow of {review}'s trials from the review's own count to the trials pooled here.")
    nb = run.notebooks.get(review)
    ws = run.worksheets.get(review)
    return {
        "slug": review, "page": f"{review}.html", "studies_page": f"{review}-studies.html",
        "figures_page": figures_page_name(review),
        "citation": spec["citation"], "question": spec["question"], "methods": spec["methods"],
        "source": spec["source"], "conformance": spec["source"] != "ledger", "status": status_of(rows),
        "headline": headline(run, review, spec),
        "coverage": coverage_of(run, review), "top_missing": top, "n_missing": n_missing, "flow": flow,
        "notebook": run.rel(nb) if nb else None, "worksheet": run.rel(ws) if ws else None,
        "verification": verified_share(run.verification.get(review)),
        "analyses": [{"key": k, "label": a["label"], "id": slug("a", k)} for k, a in spec["analyses"].items()],
    }


def verified_share(v) -> dict | None:
    """The landing card's line: the share of the review's pooled numbers verified against a full text."""
    if not v or missing(v.get("pooled_numbers")) or not float(v["pooled_numbers"]):
        return None
    n, full = int(float(v["pooled_numbers"])), int(float(v.get("pooled_full_text") or 0))
    return {"n": n, "full": full, "pct": round(100 * full / n)}


def ledger_rows(run: Run) -> list[dict]:
    out = []
    for r in records(run.extraction):
        out.append({
            "id": slug("x", r["extract_id"]), "extract_id": r["extract_id"], "trial": text(r.get("trial_id")),
            "trial_href": f"#{slug('t', r.get('trial_id'))}" if r.get("trial_id") in run.trial_by_id else None,
            "outcome": text(r.get("outcome")), "timepoint": text(r.get("timepoint")), "arm": text(r.get("arm")),
            # every ledger row, raw or contributed, has a number (ledger.schemas: value required): sorted by it
            "statistic": text(r.get("statistic")), "order": float(r["value"]),
            "value": f"{text(r.get('qualifier'))}{num(r.get('value'))}",
            "scale": text(r.get("scale")), "status": text(r.get("status")), "locator": text(r.get("locator")),
            "source_kind": kind_words(r.get("source_kind")), "quote": text(r.get("quote")),
            "source": record(r.get("source")), "read_at": record(r.get("read_at")),
            "records": own_records(r, run.trial_by_id.get(r.get("trial_id"))),
            "notes": " ".join(text(r.get(c)) for c in ("derivation", "notes") if not missing(r.get(c))),
            "verified": run.verified.get(r["extract_id"], NOT_VERIFIED),
        })
    return out


def trial_rows(run: Run) -> list[dict]:
    reviews = {}
    for r in records(run.membership):
        reviews.setdefault(r["trial_id"], []).append(f"{r['review']} ({r['status']})")
    return [{
        "id": slug("t", t["trial_id"]), "trial_id": t["trial_id"],
        "citation": ", ".join(text(t.get(c)) for c in ("first_author", "year", "journal") if not missing(t.get(c))),
        "title": text(t.get("title")), "design": text(t.get("design")), "condition": text(t.get("condition")),
        "records": trial_records(t), "no_id_reason": text(t.get("no_id_reason")),
        "reviews": "; ".join(reviews.get(t["trial_id"], [])), "source": record(t.get("source")),
        "read_at": record(t.get("read_at")), "locator": text(t.get("locator")), "quote": text(t.get("quote")),
    } for t in records(run.trials)]


def membership_rows(run: Run) -> list[dict]:
    return [{
        "review": r["review"], "trial": r["trial_id"], "trial_href": f"#{slug('t', r['trial_id'])}",
        "status": text(r.get("status")), "reason": text(r.get("reason")), "review_says": text(r.get("review_says")),
        "locator": text(r.get("locator")), "quote": text(r.get("quote")), "source": record(r.get("source")),
        "read_at": record(r.get("read_at")),
    } for r in records(run.membership)]


def published_rows(run: Run) -> list[dict]:
    """One row per published figure; a figure read in several places lists every place (its own text first)."""
    figures = {}
    for r in records(run.published):
        figures.setdefault((r["review"], r["result_id"]), []).append(r)
    out = []
    for (review, rid), rows in figures.items():
        rows.sort(key=lambda r: r.get("source_kind") != "primary")
        r = rows[0]
        out.append({
            "id": slug("p", review, rid), "review": review, "result_id": rid,
            "figure": " ".join(x for x in (text(r.get("measure")), estimate_ci(r.get("estimate"), r.get("ci_low"),
                                                                              r.get("ci_high"))) if x),
            "k": text(r.get("k")), "p": pval(r.get("p")),
            "sources": [{"source_kind": text(s.get("source_kind")), "locator": text(s.get("locator")),
                         "quote": text(s.get("quote")), "source": record(s.get("source")),
                         "read_at": record(s.get("read_at"))} for s in rows],
        })
    return out


def conflict_rows(run: Run) -> list[dict]:
    def side(r, s):
        return {"value": text(r.get(f"value_{s}")), "quote": text(r.get(f"quote_{s}")),
                "source": record(r.get(f"source_{s}")), "read_at": record(r.get(f"read_at_{s}"))}

    return [{"id": slug("c", r["conflict_id"]), "conflict_id": r["conflict_id"], "trial": text(r.get("trial_id")),
             "trial_href": f"ledger.html#{slug('t', r.get('trial_id'))}" if r.get("trial_id") in run.trial_by_id
             else None, "field": text(r.get("field")), "a": side(r, "a"), "b": side(r, "b"),
             "note": text(r.get("note"))} for r in records(run.conflicts)]
