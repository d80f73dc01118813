"""The contributions' entry point (``read_contributions``): every contribution of a run, filled worksheets and a
review's RevMan file, validated into ledger rows.

Each filled worksheet row goes to the check of the sheet it was given in (``sheet_rows``), a RevMan file to its
mapping (``revman``), a published sheet to ``published``; here, what holds across rows and files: a cell given
once, a new trial's row complete, a day count at a time point that has numbers, a grouping of a member trial, and
the rules of every ledger row (``ledger.rows``: the ``data/raw/`` schemas, a canonical id or why not, positive
sizes, events <= n, CI order, a canonical source where one is known) on all the rows built. Any defect raises
``LedgerError`` with one message naming the file, the sheet, the row and the column (a RevMan file: the element and
attribute), before anything is written. Valid rows carry ``source_kind`` (``ledger.vocabulary.SOURCE_KINDS``:
full_text, a reader's reading of the full text a worksheet row names; review, a review's own RevMan data), the
contributor and the date; the contribution log keeps every filled row as it was given (the next worksheet carries
it back).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .. import rows
from ..rows import same_label
from ..vocabulary import DESIGNS, SCALES, SPEC_DIR, LedgerError, window_words
from . import published
from .read import (
    FILLED,
    LAYOUT,
    META_FIELDS,
    STAMP,
    Where,
    cell_key,
    extra_columns,
    given_rows,
    published_columns,
    read_sheets,
    sheet_file,
)
from .revman import rm5_rows
from .sheet_rows import (
    DAY_COUNT_COLUMNS,
    GROUPING_COLUMNS,
    NOT_REPORTED_COLUMNS,
    ROB_COLUMNS,
    arm_role,
    check_enum,
    groupings,
    membership_row,
    number_row,
    rob_row,
    trial_row,
)

LOG_COLUMNS = ["origin", "became", "file", "sheet", "row", "source_kind",
               *dict.fromkeys(c for s in ("membership", "numbers", "trials", "risk_of_bias") for c in LAYOUT[s])]
EXTRA_COLUMNS = ["source_kind", "contributor", "contributed_on", "reading", "conflict_id"]


def _as_text(v):
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    return repr(v) if isinstance(v, float) else str(v)


def _where(places, columns=None):
    """A built row's cell for ``ledger.rows``: the contribution's cell it came from (``columns``: the worksheet
    column that gave a ledger column)."""
    columns = columns or {}
    return lambda i, col: places[0 if i is None else i](columns.get(col, col) if col is not None else "?")


def _schema_check(df, name, places, columns):
    """Built ledger rows through the ledger's schema, as the raw tables are read: text, empty = missing (the schema
    coerces numbers)."""
    from ..schemas import SCHEMAS

    df = df.reindex(columns=list(SCHEMAS[name].columns)).reset_index(drop=True).map(_as_text).astype(str)
    rows.check_schema(df.replace({"": None}), name, _where(places, columns))


def _meta(readme, label):
    meta = {}
    for _, r in readme.iterrows():
        if r["field"] in META_FIELDS:
            meta[r["field"]] = (r["value"], Where(label, "readme", r["_row"]))
    return meta


def _stamp(row, meta, where, unit):
    """Who read a row and when: the row's own contributor and contributed_on (a row carried from an earlier
    round), else the readme's."""
    if row["contributor"] or row["contributed_on"]:
        for col in STAMP:
            if not row[col]:
                raise LedgerError(f"{where(col)}: empty, but the row says who contributed it; give both "
                                  "contributor and contributed_on, or clear both (then the readme's apply)")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["contributed_on"]):
            raise LedgerError(f"{where('contributed_on')}: date {row['contributed_on']!r} is not YYYY-MM-DD")
        return row["contributor"], row["contributed_on"]
    for f in ("contributor", "date"):
        val, w = meta.get(f, ("", Where(sheet_file(unit, "readme"), "readme", "?")))
        if not val:
            raise LedgerError(f"{w('value')}: the {f} is empty; a contribution says who read the full text and when")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta["date"][0]):
        raise LedgerError(f"{meta['date'][1]('value')}: date {meta['date'][0]!r} is not YYYY-MM-DD")
    return meta["contributor"][0], meta["date"][0]


def read_contributions(units, ledger, selected, specs, verify=None):
    """Validate every contribution in ``units`` against the (validated) raw ``ledger``.

    ``selected``: the reviews of this run; ``specs``: their review specs (time-point rules); ``verify(rows, places,
    table)``: proves the rows whose source is a full text of the folder (``ledger.fulltext``). Returns a dict of
    DataFrames: ``extraction``, ``membership``, ``trials``, ``not_reported``, ``risk_of_bias`` (contributed rows,
    each with ``source_kind``: full_text, or review for an accepted proposal of a review's figure, ``contributor``
    and ``contributed_on``), ``published`` (a review's printed figures from its published sheet,
    ``ledger.contrib.published``) and ``log`` (one line per filled
    row: where it came from and what it became). Raises ``LedgerError`` on the first defect.
    """
    known_trials = set(ledger["trials"]["trial_id"])
    out = {k: [] for k in ("extraction", "membership", "trials", "not_reported", "risk_of_bias", "day_counts",
                           "groupings", "_undated", "log")}
    places = {k: [] for k in ("extraction", "membership", "trials", "published", "groupings")}
    seen = {}
    new_trials = {}
    parsed = []
    for unit in units:
        unit = Path(unit)
        if unit.suffix.lower() == ".rm5":
            rm5_rows(unit, ledger, selected, specs, out, places, seen)
            continue
        sheets = read_sheets(unit)
        meta = _meta(sheets["readme"], sheet_file(unit, "readme"))
        parsed.append((unit, sheets, meta))
        for _, r in sheets["trials"].iterrows():
            if r["trial_id"] and any(r[c] for c in FILLED["trials"] if c != "trial_id"):
                new_trials.setdefault(r["trial_id"], Where(sheet_file(unit, "trials"), "trials", r["_row"]))
    _new_trials_complete(parsed)
    out["published"], places["published"] = published.rows(parsed, selected, ledger["published"], _stamp)
    given = {}
    for unit, sheets, meta in parsed:
        # an accepted proposal is a number read from the review's figure: checked as a typed one
        for given_in, sheet, row in given_rows(sheets):
            label = sheet_file(unit, given_in)
            extra = extra_columns(sheet, row.index)  # a review's groupings (membership sheet)
            where = Where(label, given_in, row["_row"])
            who, when = _stamp(row, meta, where, unit)
            if row["review"] not in selected:
                raise LedgerError(f"{where('review')}: review {row['review']!r} is not selected in this run "
                                  f"(config reviews: {', '.join(selected)}); select it (its spec file: "
                                  f"{SPEC_DIR}/{row['review']}.yaml), or move {unit} out of the contributions "
                                  "folder")
            if given_in == "proposals":
                _figure_chosen(row, unit, specs.get(row["review"], {}))
            # the worksheet names the arms as the review does; the ledger's rows by its own names
            cells = arm_role(row, specs.get(row["review"], {}), where) if sheet == "numbers" else row
            check_enum(cells, sheet, where)
            tid = row["trial_id"]
            if sheet != "trials" and tid not in known_trials and tid not in new_trials:
                raise LedgerError(f"{where('trial_id')}: trial {tid!r} is not in the ledger (data/raw/trials.csv) "
                                  "nor in a worksheet's trials sheet")
            kind = "review" if given_in == "proposals" else "full_text"  # vocabulary.SOURCE_KINDS
            stamp = {"source_kind": kind, "contributor": who, "contributed_on": when}
            origin = f"{label}, sheet '{given_in}', row {row['_row']}"
            raw = {"file": label, "sheet": sheet, "row": row["_row"], "source_kind": kind,
                   **{c: row[c] for c in LAYOUT[sheet]}, "contributor": who, "contributed_on": when}
            key, content = cell_key(sheet, row), tuple(row[c] for c in [*FILLED[sheet], *extra])
            first = given.setdefault(key, (unit, content, origin, row.get("not_reported", "")))
            if first[2] != origin and first[0] != unit and first[1] == content:
                # the same reading in two files: a regenerated worksheet saved beside the one it carries
                out["log"].append({"origin": origin, "became": f"the same as {first[2]}", **raw})
                continue
            if first[2] != origin and sheet in ("membership", "risk_of_bias"):
                raise LedgerError(f"{where('trial_id')}: {row['trial_id']} is already given for {row['review']} "
                                  f"at {first[2]}; give it once")
            if first[2] != origin and sheet == "numbers" and (row["not_reported"] or first[3]):
                raise LedgerError(f"{where('not_reported')}: the same cell is already given at {first[2]} (as "
                                  f"{'not reported' if first[3] else 'a value'}); give each cell once")
            logged = len(out["log"])
            if sheet == "numbers":
                number_row(cells, where, specs, stamp, origin, out, places, seen)
            elif sheet == "membership":
                grouped = any(row[c] for c in extra)
                if not grouped or row["status"] or row["quote"]:  # a decision, beside or without groupings
                    membership_row(row, where, ledger, stamp, origin, out, places)
                if grouped:
                    groupings(row, extra, where, specs[row["review"]], stamp, origin, out, places)
            elif sheet == "trials":
                trial_row(row, where, known_trials, specs.get(row["review"], {}), stamp, origin, out, places,
                           seen)
            else:
                rob_row(row, where, stamp, origin, out)
            for entry in out["log"][logged:]:
                entry.update(raw)
    if verify is not None:  # every quote citing a full text of the folder is proved on its page
        for name in ("extraction", "membership", "trials", "published"):
            verify(out[name], places[name], name)
        verify(out["groupings"], places["groupings"], "membership")  # a grouping's quote, like the decision's
    _pair_time_points(out, ledger["extraction"])
    _grouped_trials_are_members(out, places, ledger["membership"])
    result = {k: pd.DataFrame(v) for k, v in out.items() if k not in ("log", "_undated")}
    result["day_counts"] = result["day_counts"].reindex(columns=DAY_COUNT_COLUMNS)
    result["groupings"] = result["groupings"].reindex(columns=GROUPING_COLUMNS)
    for name in ("extraction", "membership", "trials"):
        built, at = result[name], places[name]
        if name == "membership" and len(built):
            # an exclusion is no ledger row (the merge takes the trial out of the review's membership)
            keep = (built.status != "excluded").tolist()
            built, at = built[keep], [w for w, k in zip(at, keep, strict=True) if k]
        if len(built):
            # an extract_id is made of the row's trial, outcome, time, arm and statistic: a duplicate is a cell
            # given twice, named at the row's trial_id
            _schema_check(built, name, at, {"extract_id": "trial_id"})
    if result["published"].empty:
        result["published"] = pd.DataFrame(columns=published_columns())
    published.check(result["published"], places["published"], _schema_check)
    if len(result["trials"]):
        rows.check_trials(result["trials"], _where(places["trials"]))
    if len(result["extraction"]):  # with the ledger's rows: events <= n and CI order hold across both
        rows.check_extraction(result["extraction"], _where(places["extraction"]), context=ledger["extraction"])
        known = pd.concat([ledger["trials"], result["trials"]], ignore_index=True) if len(result["trials"]) \
            else ledger["trials"]
        rows.check_sources(result["extraction"], known, _where(places["extraction"]))
    result["log"] = pd.DataFrame(out["log"], columns=LOG_COLUMNS)
    result["not_reported"] = result["not_reported"].reindex(columns=NOT_REPORTED_COLUMNS)
    result["risk_of_bias"] = result["risk_of_bias"].reindex(columns=ROB_COLUMNS)
    return result


def _pair_time_points(out, raw):
    """Pair the numbers given at a time point without a day count with the ledger's. A day count (a numbers row
    of statistic ``time_days``) must name a time point the ledger or the contribution has numbers at. A number
    without a day count is accepted at a time point the ledger states (it takes the ledger's day count, or the one
    this contribution gives, or stays unplaced: the clean stage then says so); anywhere else it needs its own."""
    given = pd.DataFrame(out["extraction"], columns=["trial_id", "outcome", "timepoint"])
    for d, where in out["day_counts"]:
        if not (same_label(raw, d["trial_id"], d["outcome"], d["timepoint"]).any()
                or same_label(given, d["trial_id"], d["outcome"], d["timepoint"]).any()):
            raise LedgerError(f"{where('timepoint')}: no number of {d['trial_id']} ({d['outcome']}) is at "
                              f"{d['timepoint']!r}, in the ledger or in this contribution; a day count belongs to a "
                              "time point that has numbers")
    out["day_counts"] = [d for d, _ in out["day_counts"]]
    counted = pd.DataFrame(out["day_counts"], columns=DAY_COUNT_COLUMNS)
    for i, where, window in out["_undated"]:
        r = out["extraction"][i]
        ledger = raw[same_label(raw, r["trial_id"], r["outcome"], r["timepoint"])]
        days = ledger.time_days.dropna().unique()
        if len(days) == 1:
            r["time_days"] = float(days[0])
        elif ledger.empty and not same_label(counted, r["trial_id"], r["outcome"], r["timepoint"]).any():
            raise LedgerError(f"{where('time_days')}: empty; this review selects time points by days after the end "
                              f"of treatment ({window['label']}: {window_words(window)}), and the ledger has no "
                              f"number at {r['timepoint']!r}; give the day of the value")


def _grouped_trials_are_members(out, places, membership):
    """A grouping value is given for a trial its review includes (in the ledger or by a contribution)."""
    members = {(r, t) for r, t in zip(membership.review, membership.trial_id, strict=True)}
    members |= {(m["review"], m["trial_id"]) for m in out["membership"] if m["status"] != "excluded"}
    for g, where in zip(out["groupings"], places["groupings"], strict=True):
        if (g["review"], g["trial_id"]) not in members:
            raise LedgerError(f"{where('trial_id')}: {g['trial_id']} is not a trial of {g['review']} (confirm it "
                              "in the status column first)")


def _figure_chosen(row, unit, spec):
    """An accepted proposal's outcome and scale, chosen for its figure (or row by row): a figure prints neither
    the scale of its means nor, where the review analyses several outcomes by its measure, which of them it shows.
    One missing is asked for once per figure, in the figures sheet."""
    at = (Where(sheet_file(unit, "figures"), "figures", row["_figure_row"]) if row["_figure_row"] else
          Where(sheet_file(unit, "proposals"), "proposals", row["_row"]))
    shown = (f"{row['locator']} of {row['source']} prints {row['statistic']} values (e.g. {row['trial_id']} "
             f"{row['arm']} {row['statistic']} = {row['value']})")
    by_row = ", or give it row by row in the proposals sheet" if row["_figure_row"] else ""
    if not row["outcome"]:
        outcomes = dict.fromkeys(o for a in spec.get("analyses", {}).values() for o in a["outcomes"])
        raise LedgerError(f"{at('outcome')}: empty; {shown} but not which of the review's outcomes they are: "
                          f"choose it ({', '.join(outcomes)}){by_row}")
    if not row["scale"]:
        raise LedgerError(f"{at('scale')}: empty; {shown} but not the scale they are on: choose it "
                          f"({', '.join(SCALES)}; 'count' for a number of days or events){by_row}")


# What a new trial's row gives whatever the review's question, and what to type in each empty cell. A review's own
# attributes (vocabulary.TRIAL_ATTRIBUTES: condition, dose, ...) are optional.
NEW_TRIAL = {
    "first_author": "the first author's surname as printed, e.g. Smith",
    "year": "the year of publication, e.g. 2004",
    "design": f"one of {', '.join(DESIGNS)}",
    "randomised": "yes, no or not reported (a trial whose randomisation is not reported is left out of the "
                  "randomised-only sensitivity analysis, with that reason)",
    "no_id_reason": "a doi, pmid, pmcid or registry_id of the trial's report, or here why it has none",
    "source": "where the trial's details were read: its DOI or URL, or the file name of its PDF in the full-text "
              "folder",
    "locator": "where in it, e.g. 'p. 3' or 'Table 1'",
    "quote": "a short verbatim passage of it with the details",
    "included_source": "the review that lists the trial: its DOI or URL, or its PDF's file name",
    "included_locator": "where the review lists it, e.g. 'Table 1, p. 4'",
    "included_quote": "the review's words that include the trial",
}
_IDS = ("doi", "pmid", "pmcid", "registry_id", "no_id_reason")


def _new_trials_complete(parsed):
    """Every empty required cell of every filled row of the contributions' trials sheets, in one message (sheet,
    row, column and what to type), so that one run names them all."""
    missing = []
    for unit, sheets, _ in parsed:
        label = sheet_file(unit, "trials")
        for _, row in sheets["trials"].iterrows():
            if not any(row[c] for c in FILLED["trials"]):
                continue
            where = Where(label, "trials", row["_row"])
            for c, what in NEW_TRIAL.items():
                empty = not any(row[i] for i in _IDS) if c == "no_id_reason" else not row[c]
                if empty:
                    missing.append(f"{where(c)}: empty; type {what}")
    if missing:
        raise LedgerError(f"{len(missing)} required cell(s) of new trials are empty:\n" + "\n".join(missing))


