"""One filled worksheet row checked and turned into ledger rows, by the sheet it was given in: a number (or its
not-reported mark, or a time point's day count), a membership decision and the review's groupings of the trial, a
new trial, a risk-of-bias judgement. Each number is printed in its quote or derived from numbers that are; a
defect raises ``LedgerError`` naming the file, sheet, row and column (``where``). The contributions are gathered,
and what holds across rows is checked, in ``validate.read_contributions``.
"""

from __future__ import annotations

import ast
import operator
import re

from ...engine import conversions
from .. import proposals
from ..rows import time_key, value_in_quote
from ..vocabulary import DAY_COUNT, FORMER_ARMS, GROUPING_QUOTE, SPEC_DIR, TRIAL_ID, LedgerError, window_words
from .read import ENUMS, LAYOUT, ROB_DOMAINS, SIZE_COLUMNS, STAMP, arm_id, arm_names, slug

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


def check_enum(row, sheet, where):
    for (s, col), allowed in ENUMS.items():
        if s == sheet and row[col] and row[col] not in allowed:
            raise LedgerError(f"{where(col)}: {row[col]!r} is not allowed; choose one of: {', '.join(allowed)}")


def arm_role(row, spec, where):
    """The row with its arm as the ledger names it: the worksheet names the review's arms by its spec's labels
    (``read.arm_names``); a worksheet made before, by the ledger's names (or their former names), still reads."""
    names = arm_names(spec)
    roles = {**FORMER_ARMS, **{v: k for k, v in names.items()}}
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

DAY_COUNT_COLUMNS = ["trial_id", "outcome", "timepoint", "time_days", "source", "locator", "quote", "status",
                     "derivation", "contributor", "contributed_on"]


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


def number_row(row, where, specs, stamp, origin, out, places, seen):
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
    xid = "-".join(x for x in (row["trial_id"], slug(row["outcome"]), slug(tp) or "any",
                               arm_id(row["arm"], spec), row["statistic"], "fulltext") if x)
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


def membership_row(row, where, ledger, stamp, origin, out, places):
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


def groupings(row, columns, where, spec, stamp, origin, out, places):
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


def trial_row(row, where, known, spec, stamp, origin, out, places, seen):
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
        "review", *SIZE_COLUMNS.values(), "included_source", "included_locator", "included_quote")} | stamp)
    places["trials"].append(where)
    out["membership"].append({"review": row["review"], "trial_id": tid, "status": "confirmed",
                              "source": row["included_source"], "locator": row["included_locator"],
                              "quote": row["included_quote"], "reason": f"a trial the review lists, added from the "
                              f"full text by {stamp['contributor']} on {stamp['contributed_on']}", **stamp})
    places["membership"].append(where)
    for arm, col in SIZE_COLUMNS.items():
        if row[col]:
            n = _number(row[col], where, col)
            if not value_in_quote(n, row["quote"]):
                raise LedgerError(f"{where(col)}: {row[col]} does not appear in the quote")
            out["extraction"].append({"extract_id": f"{tid}-randomised-{arm_id(arm, spec)}-n-fulltext",
                                      "trial_id": tid,
                                      "outcome": "randomised", "timepoint": None, "time_days": None, "arm": arm,
                                      "statistic": "n", "qualifier": None, "value": n, "scale": "count",
                                      "source": row["source"], "locator": row["locator"], "quote": row["quote"],
                                      "status": "verified", "derivation": None, "notes": None, **stamp})
            places["extraction"].append(where)
    out["log"].append({"origin": origin, "became": f"trial {tid} (member of {row['review']})"})


def rob_row(row, where, stamp, origin, out):
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
