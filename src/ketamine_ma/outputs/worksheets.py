"""Extraction worksheets: what a reader with the full texts can fill in, per review, as ``.xlsx`` and CSV twins.

Built only from what the pipeline already knows: the cells the clean stage could not find
(``missing_cells.csv``, and ``member_missing_cells.csv`` for the candidates), the review's membership, its spec's
time-point rules and its published k and N. The layout and the drop-down values are those ``ledger.contrib.read``
reads back (``LAYOUT``, ``ENUMS``).
"""

from __future__ import annotations

import io as _io
import re
import zipfile
from datetime import datetime

import pandas as pd

from ..ledger.contrib.read import (
    ENUMS,
    FAILS,
    FILLED,
    FORMULA_START,
    LAYOUT,
    SHEETS,
    STAMP,
    arm_names,
    cell_key,
    csv_text,
    extra_columns,
    grouping_columns,
    sheet_columns,
)
from ..ledger.studies import BINARY, DAY_COUNT, PROPORTION, members, pm_words, required_cells, study_id
from .report_files import figures_page_name

# a time point's day count ("" arm: it serves every arm) first, then the arms' statistics
ARM_ORDER = {a: i for i, a in enumerate(("", "ketamine", "control", "baseline", "ketamine_2", "control_2", "total"))}
STAT_ORDER = {s: i for i, s in enumerate(("mean", "sd", "se", "n", "events"))}
BLANK_TRIAL_ROWS = 10
BLANK_PUBLISHED_ROWS = 10
# Room to type in the columns a reader fills (they start empty).
MIN_WIDTH = {"quote": 50, "current_evidence": 40, "source": 30, "locator": 18, "derivation": 14, "timepoint": 18,
             "citation": 30, "criteria": 30, **{c: 30 for c in ("d1_randomisation_support", "d2_deviations_support",
                                                                 "d3_missing_data_support", "d4_measurement_support",
                                                                 "d5_reporting_support", "overall_support")}}

README = [
    ("how to fill", "This is the review's data-collection form. Read the trial reports (full texts, tables, "
                    "figures) and fill only the yellow columns; leave a row empty when you have nothing for it."),
    ("readme", "Give your name in 'contributor' and the date you read the papers in 'date' (YYYY-MM-DD)."),
    ("membership", "One row per trial the review may include. To confirm or exclude it, choose the status and "
                   "copy where the review says so: source (URL or DOI), locator (e.g. 'Table 1') and the quote."),
    ("numbers", "One row per number the re-analysis still needs. Type the value as printed (no conversions), the "
                "scale, source, locator (e.g. 'Table 2', 'Figure 3') and a short verbatim quote that contains the "
                "value. If you computed it (e.g. n = 12 + 13), give the arithmetic in 'derivation' and quote the "
                "numbers it uses. Give the time point in the paper's words and in days after the end of "
                "treatment; a row whose statistic is 'time_days' asks for the day count of a time point the ledger "
                "already has numbers at (type the days in 'value'). If the paper gives SE, CI or an unlabelled '±' "
                "instead of SD, change 'statistic'. "
                "If the paper does not report it, choose 'yes' in not_reported and say where you looked."),
    ("hints", "With the papers' PDFs in data/fulltext/ (see its README), the numbers sheet's last column quotes up "
              "to three passages (page and document) most likely to hold each empty cell. Check the passage, then "
              "type the value, the page in the locator (e.g. 'Table 2, p. 9'), the quote and the PDF's file name or "
              "DOI as source: the rerun proves the quote is on that page."),
    ("figures", "With the review's own PDF in data/fulltext/ (its manifest row naming the review), its forest plots "
                "and tables read row by row (docs/forest-plots.md): one row per figure with its self-checks. Look at "
                "the figure in the PDF (page and label given) and choose 'yes' in accept to take all its rows that "
                "pass their self-check (or print nothing to check against) into the ledger as the review's reading."),
    ("proposals", "Every number those figures print for a trial of the review, with the row it came from as quote "
                  "and the row's self-check (the trial's estimate and CI recomputed from these numbers). Accept row "
                  "by row with 'yes', leave one out of an accepted figure with 'no', or correct a value (then it is "
                  "your reading, checked like a typed one). A proposal nobody accepted changes no result."),
    ("trials", "A trial the review includes that the ledger does not know yet: its citation, design, arms and "
               "n, with the quote that prints them, and where the review lists it (included_*)."),
    ("published", "The review's own printed figures, one row per figure and place it is printed: its result_id "
                  "(the id the review's spec names under 'published'), what kind of figure it is, the numbers as "
                  "printed, and the source, locator (e.g. 'p. 9') and a short verbatim quote that contains them."),
    ("risk_of_bias", "RoB 2 per trial: the judgement of each domain and the overall judgement (low, some "
                     "concerns, high), each with its support quote from the paper."),
    ("contributed rows", "Rows with a contributor and contributed_on are already in the ledger, from an earlier "
                         "round: keep them, so that saving this file over the old one loses nothing. To correct one, "
                         "edit it and put your name and the date in its contributor and contributed_on. To drop "
                         "one, delete the row: the next run then asks you to confirm it (data/contrib/removed.csv)."),
    ("then", "Save this file (or the folder of its CSV files) into data/contrib/ and rerun snakemake: the numbers "
             "are checked, merged into the processed ledger and the review is re-run; the next worksheet lists "
             "what is still missing."),
]


def _link(t):
    if isinstance(t.get("doi"), str) and t["doi"]:
        return t["doi"] if t["doi"].startswith("http") else f"https://doi.org/{t['doi'].removeprefix('doi:')}"
    if t.get("pmid") and not pd.isna(t["pmid"]):
        return f"https://pubmed.ncbi.nlm.nih.gov/{int(float(t['pmid']))}/"
    return ""


def _text(v):
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def rule_words(a):
    """An analysis' time-point rule in words."""
    tp = a.get("timepoint")
    if not tp:
        return "any time point the trial reports (the review states none)"
    pick = {"nearest": f"the one nearest to day {tp.get('target_days', tp['min_days']):g}",
            "earliest": "the earliest", "lowest_mean": "the one with the lowest ketamine-arm mean"}[tp["select"]]
    return (f"{tp['label']}: {tp['min_days']:g} to {tp['max_days']:g} days after the end of treatment; of several, "
            f"{pick}")


def _group_key(a):
    return (tuple(a["outcomes"]), rule_words(a))


def cell_counts(review, spec, members, missing, not_reported):
    """Cells the review needs from its included trials (deduplicated across analyses that share outcome and time
    rule), how many are filled and how many a reader marked not reported."""
    need, miss = set(), set()
    for key, a in spec["analyses"].items():
        g = _group_key(a)
        for tid in members:
            need |= {(tid, g, arm, s) for arm, s in required_cells(a["measure"])}
        m = missing[missing.analysis == key]
        miss |= {(t, g, arm, s) for t, arm, s in zip(m.trial_id, m.arm, m.statistic, strict=True)}
    nr = {(r.trial_id, r.arm, r.statistic) for r in not_reported.itertuples()} if len(not_reported) else set()
    return {"review": review, "cells_needed": len(need), "cells_filled": len(need - miss),
            "cells_not_reported": len({c for c in miss if (c[0], c[2], c[3]) in nr})}


def build(review, spec, ledger, missing, published, policy, contributed=None, exclusions=None, pm_reading="sd",
          member_exclusions=None, member_missing=None, read=None):
    """The worksheet's sheets (``{sheet: DataFrame of text}``) and the cell counts of one ledger review.

    ``contributed``: the review's contribution log (``contrib.validate.LOG_COLUMNS``, text); the rows contributed so
    far come back filled, with who contributed them and when. ``exclusions``: the clean stage's reasons why each
    included trial is not pooled (``why`` prints them). ``member_exclusions``, ``member_missing``: the clean
    stage's reasons and missing cells of every confirmed or candidate member (``ledger.studies.member_rows``): the
    sheet asks for those of the members not counted too (none without them). ``read``: the figures and proposals
    sheets of ``proposal_sheets`` (empty without them); a proposal accepted before comes back accepted."""
    trials = ledger["trials"].drop_duplicates("trial_id").set_index("trial_id")
    x = ledger["extraction"]
    mem = ledger["membership"]
    mem = mem[mem.review == review].sort_values("trial_id")
    nr = ledger.get("not_reported", pd.DataFrame(columns=["trial_id", "outcome", "arm", "statistic"]))

    def study(tid):
        return study_id(trials.loc[tid]) if tid in trials.index else tid

    def link(tid):
        return _link(trials.loc[tid].to_dict()) if tid in trials.index else ""

    pub = published[(published.review == review)]
    scope = pub[pub.measure.isna() & pub.k.notna()]
    readme = [("review", review), ("citation", " ".join(str(spec["citation"]).split())), ("contributor", ""),
              ("date", ""), *README]
    if len(scope):
        n = scope.n.dropna()
        readme.append(("published scope", f"the review reports k = {int(scope.k.max())} trials"
                       + (f", N = {int(n.max())} participants" if len(n) else "")))
    for key, a in spec["analyses"].items():
        ks = pub[pub.result_id.isin(a.get("published", []))].k.dropna()
        readme.append((f"analysis {key}", f"{a['label']}; {a['measure']}; outcome(s) {', '.join(a['outcomes'])}; "
                       f"time point: {rule_words(a)}"
                       + (f"; published k = {int(ks.max())}" if len(ks) else "")))
    criteria = spec.get("criteria") or (f"not recorded in config/reviews/{review}.yaml; see the review's methods")
    grouped = grouping_columns(spec.get("groupings", {}))  # the review's own groupings, given per trial
    membership = [{"review": review, "trial_id": r["trial_id"], "citation": _citation(trials, r["trial_id"]),
                   "link": link(r["trial_id"]), "criteria": criteria, "current_status": r["status"],
                   "current_evidence": r["quote"], **{c: r.get(c) for c in grouped}} for _, r in mem.iterrows()]

    rows = {}
    candidates, candidate_reasons = _candidate_cells(member_exclusions, member_missing)
    reasons = pd.concat([exclusions if exclusions is not None else candidate_reasons.iloc[0:0], candidate_reasons])
    why = {(t, k): w for t, k, w in zip(reasons.trial_id, reasons.analysis, reasons.reason, strict=True)}
    for r in pd.concat([missing, candidates], ignore_index=True).itertuples():
        a = spec["analyses"][r.analysis]
        g = _group_key(a)
        day_count = r.statistic == DAY_COUNT
        k = (r.trial_id, g, r.arm, r.statistic) + ((r.timepoint,) if day_count else ())
        if ((nr.trial_id == r.trial_id) & nr.outcome.isin(a["outcomes"])
                & (nr.arm.fillna("") == ("" if day_count else r.arm)) & (nr.statistic == r.statistic)).any():
            continue  # a reader found the paper does not report it
        if k in rows:
            rows[k]["analyses"] += f"; {r.analysis}"
            continue
        at = x[(x.trial_id == r.trial_id) & x.outcome.isin(a["outcomes"])]
        here = at[at.timepoint.astype(str) == str(r.timepoint)]
        rows[k] = {"review": review, "analyses": r.analysis, "trial_id": r.trial_id, "study": study(r.trial_id),
                   "timepoint_rule": g[1],
                   "why": ("candidate trial (confirm it in the membership sheet); " if r.trial_id in set(
                       candidates.trial_id) else "") + why.get((r.trial_id, r.analysis), "")
                   + (f". Give in 'value' the days after the end of treatment at which '{r.timepoint}' was "
                      "measured, quoting where the paper says so: the ledger's numbers at this time point take it"
                      if day_count else ""),
                   # a cell pairs with the ledger's numbers of its group: their time point and day count
                   "outcome": (here.outcome.iloc[0] if len(here) else a["outcomes"][0]),
                   "timepoint": r.timepoint if len(here) else "",
                   "time_days": _text(here.time_days.iloc[0]) if len(here) else "",
                   "arm": "" if day_count else r.arm, "statistic": r.statistic,
                   "scale": "" if day_count else _scale(a, r.statistic, at), "source": link(r.trial_id)}
    # a reader works trial by trial, one time point at a time: arms and statistics together
    numbers = sorted(rows.values(), key=lambda d: (d["trial_id"], d["outcome"], d["analyses"], d["timepoint_rule"],
                                                   ARM_ORDER.get(d["arm"], 9), STAT_ORDER.get(d["statistic"], 9)))
    numbers += _ambiguous(review, spec, x, set(mem.trial_id), study, link, pm_reading)
    rob_done = set(ledger.get("risk_of_bias", pd.DataFrame(columns=["trial_id"])).trial_id)
    rob = [{"review": review, "trial_id": t, "study": study(t), "source": link(t)} for t in mem.trial_id
           if t not in rob_done]
    sheets = {
        "readme": pd.DataFrame(readme, columns=LAYOUT["readme"]),
        "membership": pd.DataFrame(membership),
        "numbers": pd.DataFrame(numbers),
        "trials": pd.DataFrame([{"review": review}] * BLANK_TRIAL_ROWS),
        "risk_of_bias": pd.DataFrame(rob),
        "figures": pd.DataFrame(),
        "proposals": pd.DataFrame(),
        **(read or {}),
    }
    sheets = {k: v.reindex(columns=LAYOUT[k] + (grouped if k == "membership" else [])).astype(object).fillna("")
              .astype(str) for k, v in sheets.items()}
    sheets["published"] = published_sheet(review, published)
    sheets["numbers"]["arm"] = sheets["numbers"].arm.map(arm_names(spec)).fillna("")  # the arms in the review's words
    counted = set(members(ledger["membership"], review, policy).trial_id)
    log = _log(contributed)
    counts = {**cell_counts(review, spec, counted, missing, nr), "cells_contributed": _contributed(log, spec, counted)}
    return carry(sheets, log[log.review == review]), counts


def published_sheet(review, published):
    """The review's published sheet: the figures given in earlier rounds (its ledger's published rows that carry
    a contributor), then blank rows, in the published table's columns (``read.sheet_columns``)."""
    cols = sheet_columns("published")
    given = published[published.review == review]
    given = given[given.get("contributor", pd.Series("", index=given.index)).fillna("") != ""]
    rows = pd.concat([given.reindex(columns=cols), pd.DataFrame([{"review": review}] * BLANK_PUBLISHED_ROWS)],
                     ignore_index=True)
    return rows.reindex(columns=cols).map(_text)


def _log(contributed):
    cols = ["sheet", "review", "trial_id", "outcome"]
    log = contributed if contributed is not None else pd.DataFrame(columns=cols)
    return log.astype(object).fillna("").astype(str)


def _contributed(log, spec, members):
    """Cells contributed so far (worksheet numbers, not-reported marks and RevMan cells, in every file and round)
    for the review's trials and outcomes."""
    outcomes = {o for a in spec["analyses"].values() for o in a["outcomes"]}
    given = log[log.sheet.isin(("numbers", "revman")) & log.trial_id.isin(members) & log.outcome.isin(outcomes)]
    return len({cell_key("numbers", r) for _, r in given.iterrows()})


def carry(sheets, log):
    """The worksheet with the rows contributed so far (``log``: rows of the contribution log, text) back in
    their sheets, filled as they were given and marked by their contributor and date: a worksheet saved over the
    old one keeps them. Each cell once (the log lists a reading given in two files twice)."""
    log = log[log.sheet.isin(("membership", "numbers", "trials", "risk_of_bias"))]
    log = log.assign(_key=[cell_key(r["sheet"], r) for _, r in log.iterrows()]).drop_duplicates("_key")
    out, log = accept_again(dict(sheets), log)
    for name, rows in log.groupby("sheet", sort=False):
        rows = rows.reindex(columns=LAYOUT[name])
        if name == "numbers":
            rows["why"] = [f"already in the ledger: contributed by {w} on {d}; keep this row"
                           for w, d in zip(rows.contributor, rows.contributed_on, strict=True)]
        df = out[name]
        if name == "membership":
            known = dict(zip(df.trial_id, df.index, strict=True))
            df = df.copy()
            for _, r in rows[rows.trial_id.isin(known)].iterrows():
                cols = ["status", "source", "locator", "quote", *STAMP]  # what the reader gave
                df.loc[known[r.trial_id], cols] = r[cols].tolist()
            rows = rows[~rows.trial_id.isin(known)]
        elif name == "numbers":
            keys = {cell_key(name, r) for _, r in rows.iterrows()}
            df = df[[cell_key(name, r) not in keys for _, r in df.iterrows()]]
        elif name == "trials":
            df, rows = rows, df  # added trials above the blank rows
        out[name] = pd.concat([df, rows], ignore_index=True).astype(object).fillna("").astype(str)
    return out


def accept_again(sheets, log):
    """The sheets with the proposals the ``log`` says a reader accepted (source_kind review) accepted again, as
    they were given (value, outcome, scale, who and when): the figure in its one cell when every row of it that
    does not fail its self-check was accepted, else row by row; and the log rows left for the other sheets. A
    number read from a figure the PDFs no longer show stays in the log (it comes back in the numbers sheet)."""
    props, figs = sheets["proposals"].copy(), sheets["figures"].copy()
    kind = log["source_kind"] if "source_kind" in log else pd.Series("", index=log.index)
    key = ["review", "source", "locator", "trial_id", "arm", "statistic"]
    mine = log[kind == "review"]
    if not len(props) or not len(mine):
        return sheets, log
    at = {tuple(r[key]): i for i, r in props.iterrows()}
    hit = [at.get(tuple(r[key])) for _, r in mine.iterrows()]
    cols = ["outcome", "measure", "scale", "value", *STAMP]
    for i, (_, r) in zip(hit, mine.iterrows(), strict=True):
        if i is not None:
            props.loc[i, [*cols, "accept"]] = [*r[cols].tolist(), "yes"]
    for j, f in figs.iterrows():
        rows = props[(props.source == f.source) & (props.figure == f.figure)]
        whole = rows[rows.self_check != FAILS]
        if len(whole) and (whole.accept == "yes").all():  # accepted in the figure's one cell, as a reader would
            figs.loc[j, "accept"] = "yes"
            props.loc[whole.index, "accept"] = ""
    left = log.drop(index=[i for i, h in zip(mine.index, hit, strict=True) if h is not None])
    return {**sheets, "proposals": props, "figures": figs}, left


def csv_twin(df):
    """A sheet as its CSV twin holds it: text that a spreadsheet program would read as a formula made inert
    (``ledger.contrib.read.csv_text``; the contribution reader undoes it)."""
    return df.map(csv_text)


def with_hints(numbers, trials, docs, review):
    """The numbers sheet with a last column ``hints``: per empty cell up to three passages (page, document, ~200
    characters) of the full texts that most likely hold it (``ledger.hints``). Nothing is filled in."""
    from ..ledger import hints

    known = trials.drop_duplicates("trial_id").set_index("trial_id")
    out = numbers.copy()
    out["hints"] = [hints.hint_text(hints.hints(r, known.loc[r["trial_id"]].to_dict() if r["trial_id"] in
                                                known.index else {}, docs, review), docs)
                    if not r["value"] else "" for r in numbers.to_dict("records")]
    return out


def _outcome(spec, measure):
    """The outcome a figure of ``measure`` belongs to: the one outcome of the review's analyses of that measure
    (of all its analyses when none names it), else empty for the reader to choose."""
    analyses = [a for a in spec["analyses"].values() if a["measure"] == measure] or list(spec["analyses"].values())
    outcomes = {o for a in analyses for o in a["outcomes"]}
    return outcomes.pop() if len(outcomes) == 1 else ""


def _proposed_scale(cell):
    """The scale of a proposed cell: a count; a between-arm estimate other than a mean difference is on no pain
    scale ("other"); a mean difference's or an arm mean's scale is the reader's to choose."""
    if cell["statistic"] in ("events", "n"):
        return "count"
    return "other" if cell["measure"] and cell["measure"] != "MD" else ""


def proposal_sheets(review, spec, ledger, docs):
    """The ``figures`` and ``proposals`` sheets: every forest plot and table of the review's PDFs (manifest
    ``reviews``) read row by row, each matched row's cells proposed with its self-check (``ledger.proposals``);
    and what the figures pages show of each (``figures_read``): the PDFs read and per figure its rows. Nothing is
    accepted here."""
    from ..ledger import layout, proposals

    mem = ledger["membership"]
    ids = set(mem[mem.review == review].trial_id)
    trials = ledger["trials"].drop_duplicates("trial_id")
    trials = [{"trial_id": t.trial_id, "first_author": t.first_author, "year": t.year}
              for t in trials[trials.trial_id.isin(ids)].itertuples()]
    study = {t["trial_id"]: f"{t['first_author']} {str(t['year']).split('.')[0]}" for t in trials}
    x = ledger["extraction"]
    taken = x[x.source_kind == "review"] if "source_kind" in x else x.iloc[0:0]  # matched to a figure by locator
    taken = set(zip(taken.trial_id, taken.locator, strict=True))
    figures, cells, seen, read = [], [], [], []
    for d in docs.rows:
        if review not in {r.strip() for r in re.split(r"[;,\s]+", d["reviews"])}:
            continue
        read.append(d["file"])
        pages = docs.texts[d["sha256"]].get("layout") or []
        for page in range(1, min(d["pages"], len(pages)) + 1):
            label = docs.label(d, page)
            tabs = docs.tables(d["sha256"], page)
            for i, t in enumerate(tabs, start=1):
                measure, estimator, chosen = proposals.figure_measure(t, spec["analyses"])
                got = proposals.propose(t, trials, d["file"], label, measure, estimator)
                if measure is None and chosen:  # estimates of no known measure: listed, nothing proposed
                    got["cells"] = []
                figure = f"{t['label'] or 'Table'}, {label}"
                picture = layout.region_id(d["sha256"], page, i)
                named = f"{figures_page_name(review)}#{picture}"  # the picture on the report's page, by anchor
                failed = [f"{r['label']}: {r['words']}" for r in got["rows"] if r["self_check"] == "fails"]
                passed = sum(r["self_check"] == "passes" for r in got["rows"])
                unchecked = sum(r["self_check"] == proposals.UNCHECKED for r in got["rows"])
                problems = t["problems"] + [f"{x}: two rows name this trial, neither proposed" for x in got["twice"]]
                problems += [chosen] if measure is None and chosen else []
                figures.append({
                    "review": review, "source": d["file"], "page": label, "figure": figure,
                    "measure": f"{measure} ({chosen})" if measure and chosen else measure or "",
                    "model": t["model"] or "", "study_rows": len(got["rows"]),
                    "matched": sum(1 for r in got["rows"] if r["trial_id"]),
                    "self_check": f"{passed} of {len(got['rows'])} rows pass"
                    + (f"; {unchecked} print nothing to check against" if unchecked else "")
                    + "".join(f"; {f}" for f in failed),
                    "pool_check": "; ".join(w for w in (got["pool"][1], got["totals"][1]) if w),
                    "unmatched": "; ".join(got["unmatched"]),
                    "problems": "; ".join(problems), "picture": named})
                seen.append({"figure": figure, "source": d["file"], "picture": picture, "problems": problems,
                             "pool": "; ".join(w for w in (got["pool"][1], got["totals"][1]) if w), "rows": [
                                 {**r, "accepted": bool(r["trial_id"]) and (r["trial_id"], figure) in taken}
                                 for r in got["rows"]]})
                outcome = _outcome(spec, got["measure"])
                for c in got["cells"]:
                    cells.append({
                        "review": review, "figure": figure, "trial_id": c["trial_id"], "study": study[c["trial_id"]],
                        "outcome": outcome, "arm": arm_names(spec)[c["arm"]], "statistic": c["statistic"],
                        "measure": c["measure"],
                        "scale": _proposed_scale(c), "value": f"{c['value']:g}",
                        "derivation": c["derivation"], "source": c["source"], "locator": c["locator"],
                        "quote": c["quote"], "self_check": c["self_check"], "check": c["check_words"],
                        "box": ", ".join(f"{v:g}" for v in c["box"]), "picture": named})
            for j in range(len(tabs) + 1, len(tabs) + 1 + len(pages[page - 1].get("images", []))):
                why = ("a picture with no text layer in its region: nothing can be read or proposed from it; type "
                       "its numbers in the numbers sheet")
                picture = layout.region_id(d["sha256"], page, j)
                figures.append({"review": review, "source": d["file"], "page": label, "figure": f"Image, {label}",
                                "problems": why, "picture": f"{figures_page_name(review)}#{picture}"})
                seen.append({"figure": f"Image, {label}", "source": d["file"], "picture": picture,
                             "problems": [why], "pool": "", "rows": []})
    out = {k: pd.DataFrame(v).reindex(columns=LAYOUT[k]).astype(object).fillna("").astype(str)
           for k, v in (("figures", figures), ("proposals", cells))}
    return out, {"documents": read, "figures": seen}


def figures_read(review, seen, pictures):
    """What was read from the review's PDFs, as the figures pages show it (JSON-able): ``documents``, the PDFs
    read for the review, and per figure or table (``seen`` of ``proposal_sheets``) its rows as parsed, each with
    its self-check, trial and whether a reader accepted it, and its picture (``pictures``: ``ledger.layout.pictures``
    of the PDFs; base64 PNG, so a page showing it works offline)."""
    keep = ("label", "trial_id", "why", "self_check", "words", "accepted")
    return {"review": review, "documents": seen["documents"],
            "figures": [{**f, "png": (pictures.get(f["picture"]) or {}).get("png"),
                         "rows": [{k: r.get(k) or "" for k in keep} for r in f["rows"]]} for f in seen["figures"]]}


def figures_page(doc):
    """The worksheet's standalone figures page (HTML) of ``figures_read``, rendered by the template the report's
    page of the same figures uses."""
    from .report import environment

    return environment().get_template("figures_page.html.j2").render(doc=doc)


def _candidate_cells(member_exclusions, member_missing):
    """Cells and reasons of the members the membership policy does not count (the clean stage lists those of the
    members it counts in ``missing_cells.csv``), so a reader with a candidate's paper can fill its numbers in the
    same pass as its membership."""
    if member_missing is None:
        return (pd.DataFrame(columns=["review", "analysis", "trial_id", "timepoint", "arm", "statistic"]),
                pd.DataFrame(columns=["trial_id", "analysis", "reason"]))
    return (member_missing[~member_missing.counted.astype(bool)],
            member_exclusions[~member_exclusions.counted.astype(bool)])


def _citation(trials, tid):
    if tid not in trials.index:
        return tid
    t = trials.loc[tid]
    parts = [f"{t['first_author']} ({int(float(t['year']))})", _text(t.get("title")), _text(t.get("journal"))]
    return ". ".join(p for p in parts if p)


def _scale(a, statistic, rows):
    if a["measure"] in BINARY + PROPORTION or statistic in ("n", "events"):
        return "count"
    known = rows.scale.dropna()
    known = known[~known.isin(("count", "other", "percent"))]
    return known.iloc[0] if len(known) else ""


def _ambiguous(review, spec, x, members, study, link, pm_reading):
    """Cells that would replace an unlabelled '±' (read as SD or SE by config) with what the paper means."""
    outcomes = {o: key for key, a in spec["analyses"].items() for o in a["outcomes"]}
    out = []
    pm = x[(x.statistic == "pm") & x.trial_id.isin(members) & x.outcome.isin(outcomes)]
    for r in pm.sort_values("extract_id").itertuples():
        same = x[(x.trial_id == r.trial_id) & (x.outcome == r.outcome) & (x.arm == r.arm)
                 & (x.timepoint.astype(str) == str(r.timepoint)) & x.statistic.isin(("sd", "se"))]
        if len(same):
            continue
        keys = [k for k, a in spec["analyses"].items() if r.outcome in a["outcomes"]]
        out.append({"review": review, "analyses": "; ".join(keys), "trial_id": r.trial_id, "study": study(r.trial_id),
                    "timepoint_rule": rule_words(spec["analyses"][keys[0]]),
                    "why": f"{pm_words(pm_reading)}: give the \u00b1 {r.value:g} of ledger row {r.extract_id} as sd "
                           "or se, as the paper's methods or table legend say",
                    "outcome": r.outcome, "timepoint": _text(r.timepoint), "time_days": _text(r.time_days),
                    "arm": r.arm, "statistic": "sd", "scale": _text(r.scale), "source": link(r.trial_id)})
    return out


def build_conformance(review, spec, studies):
    """Conformance reviews come complete from their source file: the worksheet only lists their studies."""
    readme = [("review", review), ("citation", " ".join(str(spec["citation"]).split())), ("contributor", ""),
              ("date", ""), ("status", f"complete: every number comes from {spec.get('rm5') or spec.get('studies')}; "
                                       "nothing to fill")]
    per = {k: set(studies[studies.analysis_id == a["rm5_analysis"]].trial_id if a.get("rm5_analysis")
                  else studies.trial_id) for k, a in spec["analyses"].items()}
    ids = sorted(set().union(*per.values()))
    sheets = {"readme": pd.DataFrame(readme, columns=LAYOUT["readme"]),
              "membership": pd.DataFrame([{"review": review, "trial_id": t, "current_status": "confirmed"}
                                          for t in ids])}
    for s in SHEETS:
        sheets[s] = sheets.get(s, pd.DataFrame()).reindex(columns=sheet_columns(s)).fillna("").astype(str)
    need = len({(t, _group_key(a), c) for k, a in spec["analyses"].items() for t in per[k]
                for c in required_cells(a["measure"])})
    return sheets, {"review": review, "cells_needed": need, "cells_filled": need, "cells_not_reported": 0,
                    "cells_contributed": 0}


# ------------------------------------------------------------------------------------------------- writing

FIXED_TIME = datetime(2000, 1, 1)  # a fixed timestamp inside the file: two runs give byte-identical workbooks


def to_xlsx(sheets, outcomes, spec=None):
    """The workbook as bytes: one sheet per worksheet table, drop-downs for every enumeration (lists on a hidden
    sheet; from the review's ``spec``: its arms by its labels, its own groupings on the membership sheet), the
    header frozen, the columns to fill shaded, readable column widths."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    wb.remove(wb.active)
    spec = spec or {}
    lists = {**ENUMS, ("numbers", "outcome"): tuple(outcomes), ("numbers", "arm"): tuple(arm_names(spec).values()),
             **{("membership", g): tuple(v["values"]) for g, v in spec.get("groupings", {}).items()}}
    hidden = wb.create_sheet("lists")
    ranges = {}
    for j, (key, values) in enumerate(sorted(lists.items()), start=1):
        col = get_column_letter(j)
        hidden.cell(row=1, column=j, value=f"{key[0]}.{key[1]}")
        for i, v in enumerate(values, start=2):
            hidden.cell(row=i, column=j, value=v)
        ranges[key] = f"lists!${col}$2:${col}${len(values) + 1}"
    hidden.sheet_state = "hidden"
    fill = PatternFill("solid", fgColor="FFF2CC")
    done = PatternFill("solid", fgColor="E2EFDA")
    for name in SHEETS:
        df = sheets[name]
        ws = wb.create_sheet(name, index=SHEETS.index(name))
        ws.append(list(df.columns))
        for row in df.itertuples(index=False):
            ws.append([v if v != "" else None for v in row])
        for cells in ws.iter_rows(min_row=2):
            for cell in cells:
                _as_text(cell)
        editable = set(FILLED.get(name, [])) | set(extra_columns(name, df.columns)) | (
            {"value"} if name == "readme" else set())
        if name == "published":
            editable = set(df.columns) - {"review", *STAMP}
        if name == "numbers":
            editable |= {"outcome", "timepoint", "time_days", "arm", "statistic", "measure", "scale", "source"}
        if name == "proposals":  # a reader may correct what was read (then it is their reading)
            editable |= {"outcome", "measure", "scale", "value"}
        last = max(len(df) + 1, 200)
        for j, col in enumerate(df.columns, start=1):
            letter = get_column_letter(j)
            head = ws.cell(row=1, column=j)
            head.font = Font(bold=True)
            if col in editable:
                head.fill = fill
                for i in range(2, len(df) + 2):
                    ws.cell(row=i, column=j).fill = fill
            if col == STAMP[0]:  # a row contributed in an earlier round: green, already in the ledger
                for i in (i for i, v in enumerate(df[col], start=2) if v):
                    for cell in ws[i]:
                        cell.fill = done
            width = max([len(col), MIN_WIDTH.get(col, 8)] + [len(v) for v in df[col]])
            ws.column_dimensions[letter].width = min(width, 60) + 2
            if (name, col) in ranges:
                dv = DataValidation(type="list", formula1=f"={ranges[(name, col)]}", allow_blank=True,
                                    showErrorMessage=True, errorTitle="Not allowed",
                                    error=f"{col}: choose a value from the list")
                dv.add(f"{letter}2:{letter}{last}")
                ws.add_data_validation(dv)
        ws.freeze_panes = "A2"
        if name == "readme":
            for cell in ws["B"]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.column_dimensions["B"].width = 110
    wb.properties.created = wb.properties.modified = FIXED_TIME
    wb.properties.creator = "ketamine_ma"
    buf = _io.BytesIO()
    wb.save(buf)
    return _deterministic_zip(buf.getvalue())


def _as_text(cell):
    """Text stays text: openpyxl stores a string that starts with '=' as a formula (and '#N/A' as an error), and a
    spreadsheet program re-reads one that starts with '=', '+', '-' or '@' as a formula once it is edited; the
    quote prefix keeps it text."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if cell.value[:1] in FORMULA_START:
            cell.quotePrefix = True


def _deterministic_zip(data):
    """Rewrite the .xlsx container with fixed timestamps: zip stores the time each entry was written, and
    openpyxl stamps the save time into docProps/core.xml whatever the workbook's properties say."""
    src = zipfile.ZipFile(_io.BytesIO(data))
    out = _io.BytesIO()
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + stamp + rb"\g<2>", body)
            dst.writestr(fixed, body)
    return out.getvalue()
