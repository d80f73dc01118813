"""Validating contributions: filled worksheet rows and a review's RevMan file become ledger rows.

Every ledger row a contribution gives is checked with the rules of every ledger row (``ledger.rows``: the
``data/raw/`` schemas, a canonical id or why not, positive sizes, events <= n, CI order, a canonical source where
one is known), plus what only a contribution has: every number is printed in its quote or derived from numbers that
are, who read it and when, a cell given once. Any defect raises ``LedgerError`` with one message naming the file,
the sheet, the row and the column (a RevMan file: the element and attribute), before anything is written. Valid
rows carry ``source_kind`` (``ledger.vocabulary.SOURCE_KINDS``: full_text, a reader's reading of the full text a
worksheet row names; review, a review's own RevMan data), the contributor and the date; the contribution log keeps
every filled row as it was given (the next worksheet carries it back).
"""

from __future__ import annotations

import ast
import operator
import re
from pathlib import Path

import pandas as pd

from ...engine import conversions
from .. import proposals, rows
from ..rows import same_label, time_key, value_in_quote
from ..vocabulary import DAY_COUNT, DESIGNS, GROUPING_QUOTE, SPEC_DIR, TRIAL_ID, LedgerError, window_words
from . import published
from .read import (
    ENUMS,
    FILLED,
    LAYOUT,
    META_FIELDS,
    ROB_DOMAINS,
    STAMP,
    Where,
    _arm_id,
    _slug,
    arm_names,
    cell_key,
    extra_columns,
    given_rows,
    published_columns,
    read_sheets,
    sheet_file,
)
from .revman import rm5_rows

LOG_COLUMNS = ["origin", "became", "file", "sheet", "row", "source_kind",
               *dict.fromkeys(c for s in ("membership", "numbers", "trials", "risk_of_bias") for c in LAYOUT[s])]
EXTRA_COLUMNS = ["source_kind", "contributor", "contributed_on", "reading", "conflict_id"]
NOT_REPORTED_COLUMNS = ["review", "trial_id", "outcome", "timepoint", "arm", "statistic", "source", "locator", "quote",
                        "contributor", "contributed_on"]
ROB_COLUMNS = ["review", "trial_id", "domain", "judgement", "support", "source", "locator", "contributor",
               "contributed_on"]

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def _evaluate(expr):
    """Value and operands of an arithmetic derivation like ``4 + 119`` (numbers and + - * / ( ) only)."""
    operands = []

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            operands.append(float(node.value))
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        raise ValueError

    try:
        return ev(ast.parse(expr, mode="eval")), operands
    except (SyntaxError, ValueError, ZeroDivisionError, RecursionError):
        return None, None


def _number(text, where, column):
    try:
        return float(text)
    except ValueError:
        raise LedgerError(f"{where(column)}: {text!r} is not a number (use digits, '.' and an ASCII '-')") from None


def _check_enum(row, sheet, where):
    for (s, col), allowed in ENUMS.items():
        if s == sheet and row[col] and row[col] not in allowed:
            raise LedgerError(f"{where(col)}: {row[col]!r} is not allowed; choose one of: {', '.join(allowed)}")


def _arm_role(row, spec, where):
    """The row with its arm as the ledger names it: the worksheet names the review's arms by its spec's labels
    (``read.arm_names``); a worksheet made before, by the ledger's names, still reads."""
    names = arm_names(spec)
    roles = {v: k for k, v in names.items()}
    if not row["arm"] or row["arm"] in roles or row["arm"] in names:
        row = row.copy()
        row["arm"] = roles.get(row["arm"], row["arm"])
        return row
    raise LedgerError(f"{where('arm')}: {row['arm']!r} is not an arm of review {row['review']!r}; choose one of: "
                      f"{', '.join(names.values())}")


def _require(row, cols, where, why):
    for c in cols:
        if not row[c]:
            raise LedgerError(f"{where(c)}: empty, but the row is partly filled ({why}); fill it or clear the row")


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
            # the worksheet names the arms as the review does; the ledger's rows by its own names
            cells = _arm_role(row, specs.get(row["review"], {}), where) if sheet == "numbers" else row
            _check_enum(cells, sheet, where)
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
                _number_row(cells, where, specs, stamp, origin, out, places, seen)
            elif sheet == "membership":
                grouped = any(row[c] for c in extra)
                if not grouped or row["status"] or row["quote"]:  # a decision, beside or without groupings
                    _membership_row(row, where, ledger, stamp, origin, out, places)
                if grouped:
                    _groupings(row, extra, where, specs[row["review"]], stamp, origin, out, places)
            elif sheet == "trials":
                _trial_row(row, where, known_trials, specs.get(row["review"], {}), stamp, origin, out, places,
                           seen)
            else:
                _rob_row(row, where, stamp, origin, out)
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


DAY_COUNT_COLUMNS = ["trial_id", "outcome", "timepoint", "time_days", "source", "locator", "quote", "status",
                     "derivation", "contributor", "contributed_on"]


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


def _evidence(row, where, value):
    """``(status, derivation)`` of a filled value: printed in its quote, or derived from numbers that are."""
    if value_in_quote(value, row["quote"]):
        return "verified", None
    if not row["derivation"]:
        raise LedgerError(f"{where('quote')}: the value {row['value']} does not appear in the quote "
                          f"{row['quote']!r}; quote the sentence or table cell that prints it, or give the "
                          "arithmetic in 'derivation'")
    if row["statistic"] == "se" and (ci := proposals.se_words_ci(row["derivation"])):
        return _se_of_ci(row, where, value, *ci)
    got, operands = _evaluate(row["derivation"])
    if got is None:
        raise LedgerError(f"{where('derivation')}: {row['derivation']!r} is not arithmetic on printed numbers "
                          "(e.g. '4 + 119')")
    if abs(got - value) > 1e-9 * max(1.0, abs(value)):
        raise LedgerError(f"{where('derivation')}: {row['derivation']} = {got:g}, not the value {row['value']}")
    lost = [f"{o:g}" for o in operands if not value_in_quote(o, row["quote"])]
    if lost:
        raise LedgerError(f"{where('derivation')}: {', '.join(lost)} not printed in the quote {row['quote']!r}")
    return "derived", f"{row['derivation']} (numbers printed in the quote)"


def _se_of_ci(row, where, value, low, high, ratio):
    """``_evidence`` of an SE derived from a printed 95% CI (a proposal's words, ``proposals.ci_effect``): the
    bounds printed in the quote, the value their SE (Cochrane Handbook v6.4 s6.3.1-6.3.2) to the 6 significant
    digits the worksheet writes."""
    se = conversions.se_from_ci(low, high, ratio)
    if abs(se - value) > 1e-5 * abs(se):
        raise LedgerError(f"{where('derivation')}: the SE of the 95% CI [{low:g}, {high:g}] is {se:.6g}, not the "
                          f"value {row['value']}")
    lost = [f"{b:g}" for b in (low, high) if not value_in_quote(b, row["quote"])]
    if lost:
        raise LedgerError(f"{where('derivation')}: {', '.join(lost)} not printed in the quote {row['quote']!r}")
    return "derived", f"{row['derivation']} (bounds printed in the quote)"


def _day_count_row(row, where, stamp, origin, out, seen):
    """The day count of a time point the ledger states without one (the worksheet asks for it in a row of its
    own); the merge applies it to every row of the trial and outcome at that time point."""
    _require(row, ["outcome", "timepoint", "value", "source", "locator", "quote"], where,
             "a day count needs the time point it belongs to, its source, locator and quote")
    days = _number(row["value"], where, "value")
    if days < 0:
        raise LedgerError(f"{where('value')}: a day count must be >= 0 (days after the end of treatment), got "
                          f"{row['value']}")
    status, derivation = _evidence(row, where, days)
    key = ("day count", row["trial_id"], row["outcome"], row["timepoint"].strip().lower())
    if key in seen:
        raise LedgerError(f"{where('value')}: the day count of {row['timepoint']!r} is already given at {seen[key]}")
    seen[key] = f"{where.path}, sheet '{where.sheet}', row {where.row}"
    out["day_counts"].append(({"trial_id": row["trial_id"], "outcome": row["outcome"], "timepoint": row["timepoint"],
                               "time_days": days, "source": row["source"], "locator": row["locator"],
                               "quote": row["quote"], "status": status, "derivation": derivation,
                               "contributor": stamp["contributor"], "contributed_on": stamp["contributed_on"]},
                              where))
    out["log"].append({"origin": origin, "became": f"day count {days:g} of {row['trial_id']} {row['outcome']} at "
                                                   f"'{row['timepoint']}'"})


def _number_row(row, where, specs, stamp, origin, out, places, seen):
    if row["not_reported"]:
        # a day count serves every arm: its row has none
        _require(row, ["outcome", "statistic", "locator"] + ([] if row["statistic"] == DAY_COUNT else ["arm"]),
                 where, "a cell marked not reported says where the paper was searched")
        if row["value"]:
            raise LedgerError(f"{where('value')}: a cell marked not_reported cannot also have a value")
        out["not_reported"].append({**{c: row[c] for c in NOT_REPORTED_COLUMNS if c in row},
                                    "contributor": stamp["contributor"], "contributed_on": stamp["contributed_on"]})
        out["log"].append({"origin": origin, "became": f"not reported: {row['trial_id']} {row['arm']} "
                                                       f"{row['statistic']}"})
        return
    if row["statistic"] == DAY_COUNT:
        _day_count_row(row, where, stamp, origin, out, seen)
        return
    _require(row, ["outcome", "arm", "statistic", "scale", "value", "source", "locator", "quote"], where,
             "a number needs its outcome, arm, statistic, scale, source, locator and quote")
    spec = specs.get(row["review"], {})
    windows = [spec.get("analyses", {}).get(a.strip(), {}).get("timepoint") for a in row["analyses"].split(";")]
    undated = any(windows) and not row["time_days"]
    if undated and not row["timepoint"]:
        w = next(t for t in windows if t)
        raise LedgerError(f"{where('time_days')}: empty; this review selects time points by days after the end of "
                          f"treatment ({w['label']}: {window_words(w)}), so give the day of the value")
    value = _number(row["value"], where, "value")
    days = _number(row["time_days"], where, "time_days") if row["time_days"] else None
    status, derivation = _evidence(row, where, value)
    key = (row["trial_id"], row["outcome"], time_key(row["timepoint"], days), row["arm"], row["statistic"])
    if key in seen:
        when = row["timepoint"] or (f"day {days:g}" if days is not None else "no time point")
        cell = ", ".join((row["trial_id"], row["outcome"], when, row["arm"], row["statistic"]))
        raise LedgerError(f"{where('value')}: the same cell ({cell}) is already given at {seen[key]}; give each "
                          "cell once")
    seen[key] = f"{where.path}, sheet '{where.sheet}', row {where.row}"
    tp = row["timepoint"] or (f"day {days:g}" if days is not None else "")
    xid = "-".join(x for x in (row["trial_id"], _slug(row["outcome"]), _slug(tp) or "any",
                               _arm_id(row["arm"], spec), row["statistic"], "fulltext") if x)
    out["extraction"].append({"extract_id": xid, "trial_id": row["trial_id"], "outcome": row["outcome"],
                              "timepoint": row["timepoint"] or None, "time_days": days, "arm": row["arm"],
                              "statistic": row["statistic"], "measure": row["measure"] or None, "qualifier": None,
                              "value": value, "scale": row["scale"], "source": row["source"], "locator": row["locator"],
                              "quote": row["quote"], "status": status, "derivation": derivation,
                              "notes": f"full text, contributed by {stamp['contributor']} on "
                                       f"{stamp['contributed_on']}", **stamp})
    places["extraction"].append(where)
    if undated:  # paired with the ledger's time point once every row is read (_pair_time_points)
        out["_undated"].append((len(out["extraction"]) - 1, where, next(t for t in windows if t)))
    out["log"].append({"origin": origin, "became": f"extraction {xid}"})


def _membership_row(row, where, ledger, stamp, origin, out, places):
    _require(row, ["status", "source", "locator", "quote"], where, "a membership decision needs its evidence")
    mem = ledger["membership"]
    current = mem[(mem.review == row["review"]) & (mem.trial_id == row["trial_id"])]
    if row["status"] == "excluded" and len(current) and current.status.iloc[0] == "confirmed":
        raise LedgerError(f"{where('status')}: {row['trial_id']} is confirmed for {row['review']} in "
                          f"data/raw/membership.csv ({current.quote.iloc[0]!r}); a worksheet cannot overrule it: "
                          "record the disagreement in data/raw/conflicts.csv")
    out["membership"].append({"review": row["review"], "trial_id": row["trial_id"], "status": row["status"],
                              "source": row["source"], "locator": row["locator"], "quote": row["quote"],
                              "reason": f"{row['status']} from the full text by {stamp['contributor']} on "
                                        f"{stamp['contributed_on']}", **stamp})
    places["membership"].append(where)
    out["log"].append({"origin": origin, "became": f"membership {row['review']} {row['trial_id']} {row['status']}"})


GROUPING_COLUMNS = ["review", "trial_id", "grouping", "value", "quote", "source", "locator", "contributor",
                    "contributed_on"]


def _groupings(row, columns, where, spec, stamp, origin, out, places):
    """A trial's values of the review's own groupings (its spec's ``groupings``), each among the values the spec
    declares and with the review's quote; the row's source and locator say where the quote is."""
    declared = spec.get("groupings", {})
    spec_file = f"{SPEC_DIR}/{row['review']}.yaml"
    for c in columns:
        if not row[c]:
            continue
        g = c[:-len(GROUPING_QUOTE.format(""))] if c.endswith(GROUPING_QUOTE.format("")) else c
        if g not in declared:
            raise LedgerError(f"{where(c)}: {g!r} is not a grouping {spec_file} declares (groupings: "
                              f"{', '.join(declared) or 'none'}); declare it there, or clear the column")
        if c != g:
            continue
        if row[c] not in declared[g]["values"]:
            raise LedgerError(f"{where(c)}: {row[c]!r} is not a value of the grouping {g!r} ({declared[g]['label']}) "
                              f"in {spec_file}; choose one of: {', '.join(declared[g]['values'])}")
        quote = GROUPING_QUOTE.format(g)
        if not row.get(quote):
            raise LedgerError(f"{where(quote)}: empty; type the review's words that put the trial in {row[c]!r}")
        _require(row, ["source", "locator"], where, f"where the quote of {g!r} is")
        out["groupings"].append({"review": row["review"], "trial_id": row["trial_id"], "grouping": g,
                                 "value": row[c], "quote": row[quote], "source": row["source"],
                                 "locator": row["locator"], **{k: stamp[k] for k in STAMP}})
        places["groupings"].append(lambda col, w=where, q=quote: w(q if col == "quote" else col))
        out["log"].append({"origin": origin, "became": f"grouping {row['review']} {row['trial_id']} {g} {row[c]}"})


def _grouped_trials_are_members(out, places, membership):
    """A grouping value is given for a trial its review includes (in the ledger or by a contribution)."""
    members = {(r, t) for r, t in zip(membership.review, membership.trial_id, strict=True)}
    members |= {(m["review"], m["trial_id"]) for m in out["membership"] if m["status"] != "excluded"}
    for g, where in zip(out["groupings"], places["groupings"], strict=True):
        if (g["review"], g["trial_id"]) not in members:
            raise LedgerError(f"{where('trial_id')}: {g['trial_id']} is not a trial of {g['review']} (confirm it "
                              "in the status column first)")


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


def _trial_row(row, where, known, spec, stamp, origin, out, places, seen):
    tid = row["trial_id"]
    if tid in known:
        raise LedgerError(f"{where('trial_id')}: {tid!r} is already in the ledger; give its numbers in the numbers "
                          "sheet")
    if not re.fullmatch(TRIAL_ID.strip("^$"), tid):
        raise LedgerError(f"{where('trial_id')}: {tid!r} is not a trial id: first author's surname + year, lower "
                          "case ASCII, e.g. smith2004")
    if ("trial", tid) in seen:
        raise LedgerError(f"{where('trial_id')}: trial {tid!r} is already added at {seen[('trial', tid)]}")
    seen[("trial", tid)] = f"{where.path}, sheet 'trials', row {where.row}"
    out["trials"].append({c: row[c] or None for c in LAYOUT["trials"] if c not in (
        "review", "n_ketamine", "n_control", "included_source", "included_locator", "included_quote")} | stamp)
    places["trials"].append(where)
    out["membership"].append({"review": row["review"], "trial_id": tid, "status": "confirmed",
                              "source": row["included_source"], "locator": row["included_locator"],
                              "quote": row["included_quote"], "reason": f"a trial the review lists, added from the "
                              f"full text by {stamp['contributor']} on {stamp['contributed_on']}", **stamp})
    places["membership"].append(where)
    for arm in ("ketamine", "control"):
        if row[f"n_{arm}"]:
            n = _number(row[f"n_{arm}"], where, f"n_{arm}")
            if not value_in_quote(n, row["quote"]):
                raise LedgerError(f"{where(f'n_{arm}')}: {row[f'n_{arm}']} does not appear in the quote")
            out["extraction"].append({"extract_id": f"{tid}-randomised-{_arm_id(arm, spec)}-n-fulltext",
                                      "trial_id": tid,
                                      "outcome": "randomised", "timepoint": None, "time_days": None, "arm": arm,
                                      "statistic": "n", "qualifier": None, "value": n, "scale": "count",
                                      "source": row["source"], "locator": row["locator"], "quote": row["quote"],
                                      "status": "verified", "derivation": None, "notes": None, **stamp})
            places["extraction"].append(where)
    out["log"].append({"origin": origin, "became": f"trial {tid} (member of {row['review']})"})


def _rob_row(row, where, stamp, origin, out):
    for d in ROB_DOMAINS:
        if row[d] and not row[f"{d}_support"]:
            raise LedgerError(f"{where(f'{d}_support')}: a judgement needs its support (a quote from the paper)")
        if row[f"{d}_support"] and not row[d]:
            raise LedgerError(f"{where(d)}: empty, but its support is filled; choose low, some concerns or high")
    _require(row, ["overall", "locator"], where, "a risk-of-bias row needs the overall judgement and where it was "
             "read")
    for d in ROB_DOMAINS:
        if row[d]:
            out["risk_of_bias"].append({"review": row["review"], "trial_id": row["trial_id"], "domain": d,
                                        "judgement": row[d], "support": row[f"{d}_support"],
                                        "source": row["source"] or None, "locator": row["locator"],
                                        "contributor": stamp["contributor"],
                                        "contributed_on": stamp["contributed_on"]})
    out["log"].append({"origin": origin, "became": f"risk of bias {row['trial_id']}: {row['overall']}"})
