"""Extraction worksheets: what a reader with the full texts can fill in, per review, as ``.xlsx`` and CSV twins.

Built only from what the pipeline already knows: the cells the clean stage could not find
(``missing_cells.csv``, and ``member_missing_cells.csv`` for the candidates), the review's membership, its spec's
time-point rules and its published k and N (``Known``). The layout and the drop-down values are those
``ledger.contrib.read`` reads back (``LAYOUT``, ``ENUMS``); the files a reader opens are written by ``workbook``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from ..ledger.cells import required_cells
from ..ledger.contrib.read import (
    LAYOUT,
    SHEETS,
    arm_names,
    cell_key,
    grouping_columns,
    review_columns,
    sheet_columns,
)
from ..ledger.studies import BINARY, DAY_COUNT, PROPORTION, members, pm_words, study_id
from ..ledger.vocabulary import CONTROL, CONTROL_2, EXPERIMENTAL, EXPERIMENTAL_2
from .carried import carry
from .report_files import figures_page_name

# a time point's day count ("" arm: it serves every arm) first, then the arms' statistics
ARM_ORDER = {a: i for i, a in enumerate(("", EXPERIMENTAL, CONTROL, "baseline", EXPERIMENTAL_2, CONTROL_2, "total"))}
STAT_ORDER = {s: i for i, s in enumerate(("mean", "sd", "se", "n", "events"))}
BLANK_TRIAL_ROWS = 10
BLANK_PUBLISHED_ROWS = 10

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
                "pass their self-check (or print nothing to check against) into the ledger as the review's reading. "
                "A figure of means and SDs does not print the scale they are on: choose it in 'scale' ('count' "
                "for a number of days or events)."),
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
            "earliest": "the earliest", "lowest_mean": "the one with the lowest experimental-arm mean"}[tp["select"]]
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


@dataclass(frozen=True, eq=False)
class Known:
    """What the pipeline knows of one ledger review, all its worksheet is built from: its ``spec``, its merged
    ``ledger`` tables (its printed figures in ``ledger["published"]``), the clean stage's ``missing`` cells of the
    counted members, the membership ``policy`` and how an unlabelled '±' is read (``pm_reading``).

    ``contributed``: the review's contribution log (``contrib.validate.LOG_COLUMNS``, text); the rows contributed so
    far come back filled, with who contributed them and when. ``exclusions``: the clean stage's reasons why each
    included trial is not pooled (``why`` prints them). ``member_exclusions``, ``member_missing``: the clean
    stage's reasons and missing cells of every confirmed or candidate member (``ledger.studies.member_rows``): the
    sheet asks for those of the members not counted too (none without them).
    """

    review: str
    spec: dict
    ledger: dict
    missing: pd.DataFrame
    policy: str
    pm_reading: str = "sd"
    contributed: pd.DataFrame | None = None
    exclusions: pd.DataFrame | None = None
    member_exclusions: pd.DataFrame | None = None
    member_missing: pd.DataFrame | None = None


def build(known, read=None):
    """The worksheet's sheets (``{sheet: DataFrame of text}``) and the cell counts of one ledger review (``known``).
    ``read``: the figures and proposals sheets of ``proposal_sheets`` (empty without them); a proposal accepted
    before comes back accepted."""
    review, spec, ledger = known.review, known.spec, known.ledger
    trials = ledger["trials"].drop_duplicates("trial_id").set_index("trial_id")
    mem = ledger["membership"]
    mem = mem[mem.review == review].sort_values("trial_id")
    nr = ledger.get("not_reported", pd.DataFrame(columns=["trial_id", "outcome", "arm", "statistic"]))
    criteria = spec.get("criteria") or (f"not recorded in config/reviews/{review}.yaml; see the review's methods")
    grouped = grouping_columns(spec.get("groupings", {}))  # the review's own groupings, given per trial
    membership = [{"review": review, "trial_id": r["trial_id"], "citation": _citation(trials, r["trial_id"]),
                   "link": _trial_link(trials, r["trial_id"]), "criteria": criteria, "current_status": r["status"],
                   "current_evidence": r["quote"], **{c: r.get(c) for c in grouped}} for _, r in mem.iterrows()]
    numbers = _numbers(known, trials, nr) + _ambiguous(known, trials, set(mem.trial_id))
    rob_done = set(ledger.get("risk_of_bias", pd.DataFrame(columns=["trial_id"])).trial_id)
    rob = [{"review": review, "trial_id": t, "study": _study(trials, t), "source": _trial_link(trials, t)}
           for t in mem.trial_id if t not in rob_done]
    sheets = {
        "readme": pd.DataFrame(_readme(review, spec, ledger["published"]), columns=LAYOUT["readme"]),
        "membership": pd.DataFrame(membership),
        "numbers": pd.DataFrame(numbers),
        "trials": pd.DataFrame([{"review": review}] * BLANK_TRIAL_ROWS),
        "risk_of_bias": pd.DataFrame(rob),
        "figures": pd.DataFrame(),
        "proposals": pd.DataFrame(),
        **(read or {}),
    }
    sheets = {k: v.reindex(columns=review_columns(k, spec) + (grouped if k == "membership" else [])).astype(object)
              .fillna("").astype(str) for k, v in sheets.items()}
    sheets["published"] = published_sheet(review, ledger["published"])
    sheets["numbers"]["arm"] = sheets["numbers"].arm.map(arm_names(spec)).fillna("")  # the arms in the review's words
    counted = set(members(ledger["membership"], review, known.policy).trial_id)
    log = _log(known.contributed)
    counts = {**cell_counts(review, spec, counted, known.missing, nr),
              "cells_contributed": _contributed(log, spec, counted)}
    sheets = carry(sheets, log[log.review == review])
    return {**sheets, "trials": sheets["trials"].reindex(columns=review_columns("trials", spec))}, counts


def _study(trials, tid):
    return study_id(trials.loc[tid]) if tid in trials.index else tid


def _trial_link(trials, tid):
    return _link(trials.loc[tid].to_dict()) if tid in trials.index else ""


def _readme(review, spec, published):
    """The readme sheet's rows: the review, who reads and when (to fill), how to fill each sheet, the published
    scope and per analysis its label, measure, outcomes, time-point rule and published k."""
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
    return readme


def _numbers(known, trials, nr):
    """The numbers sheet's rows of the cells the clean stage could not find (the counted members' and the
    candidates'), one per cell across the analyses sharing outcome and time rule, less those a reader marked
    not reported (``nr``); sorted as a reader works, trial by trial, one time point at a time."""
    review, spec, x = known.review, known.spec, known.ledger["extraction"]
    rows = {}
    candidates, candidate_reasons = _candidate_cells(known.member_exclusions, known.member_missing)
    exclusions = known.exclusions
    reasons = pd.concat([exclusions if exclusions is not None else candidate_reasons.iloc[0:0], candidate_reasons])
    why = {(t, k): w for t, k, w in zip(reasons.trial_id, reasons.analysis, reasons.reason, strict=True)}
    for r in pd.concat([known.missing, candidates], ignore_index=True).itertuples():
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
        rows[k] = {"review": review, "analyses": r.analysis, "trial_id": r.trial_id,
                   "study": _study(trials, r.trial_id), "timepoint_rule": g[1],
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
                   "scale": "" if day_count else _scale(a, r.statistic, at), "source": _trial_link(trials, r.trial_id)}
    # a reader works trial by trial, one time point at a time: arms and statistics together
    return sorted(rows.values(), key=lambda d: (d["trial_id"], d["outcome"], d["analyses"], d["timepoint_rule"],
                                                ARM_ORDER.get(d["arm"], 9), STAT_ORDER.get(d["statistic"], 9)))


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
                figure = f"{proposals.figure_label(t)}, {label}"
                picture = layout.region_id(d["sha256"], page, i)
                named = f"{figures_page_name(review)}#{picture}"  # the picture on the report's page, by anchor
                failed = [f"{r['label']}: {r['words']}" for r in got["rows"] if r["self_check"] == "fails"]
                passed = sum(r["self_check"] == "passes" for r in got["rows"])
                unchecked = sum(r["self_check"] == proposals.UNCHECKED for r in got["rows"])
                problems = t["problems"] + [f"{x}: two rows name this trial, neither proposed" for x in got["twice"]]
                problems += [chosen] if measure is None and chosen else []
                outcome = _outcome(spec, got["measure"])
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
                    "problems": "; ".join(problems), "picture": named, "outcome": outcome})
                seen.append({"figure": figure, "source": d["file"], "picture": picture, "problems": problems,
                             "pool": "; ".join(w for w in (got["pool"][1], got["totals"][1]) if w), "rows": [
                                 {**r, "accepted": bool(r["trial_id"]) and (r["trial_id"], figure) in taken}
                                 for r in got["rows"]]})
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
    its self-check, trial and whether a reader accepted it, and its picture (``pictures``: ``ledger.pictures.pictures``
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


def _ambiguous(known, trials, members):
    """Cells that would replace an unlabelled '±' (read as SD or SE by config) with what the paper means."""
    review, spec, x = known.review, known.spec, known.ledger["extraction"]
    outcomes = {o: key for key, a in spec["analyses"].items() for o in a["outcomes"]}
    out = []
    pm = x[(x.statistic == "pm") & x.trial_id.isin(members) & x.outcome.isin(outcomes)]
    for r in pm.sort_values("extract_id").itertuples():
        same = x[(x.trial_id == r.trial_id) & (x.outcome == r.outcome) & (x.arm == r.arm)
                 & (x.timepoint.astype(str) == str(r.timepoint)) & x.statistic.isin(("sd", "se"))]
        if len(same):
            continue
        keys = [k for k, a in spec["analyses"].items() if r.outcome in a["outcomes"]]
        out.append({"review": review, "analyses": "; ".join(keys), "trial_id": r.trial_id,
                    "study": _study(trials, r.trial_id), "timepoint_rule": rule_words(spec["analyses"][keys[0]]),
                    "why": f"{pm_words(known.pm_reading)}: give the \u00b1 {r.value:g} of ledger row {r.extract_id} "
                           "as sd or se, as the paper's methods or table legend say",
                    "outcome": r.outcome, "timepoint": _text(r.timepoint), "time_days": _text(r.time_days),
                    "arm": r.arm, "statistic": "sd", "scale": _text(r.scale),
                    "source": _trial_link(trials, r.trial_id)})
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
