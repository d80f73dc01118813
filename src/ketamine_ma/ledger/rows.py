"""One validation for every ledger row, wherever it comes from: ``data/raw/`` (``ledger.tables``), a worksheet or a
RevMan file (``ledger.contrib.validate``).

Each rule is written once and reports at the place its caller names: ``where(index, column)`` is the row's cell as
its source shows it (``data/raw/extraction.csv, line 5, column 'value'``; ``<file>, sheet 'numbers', row 3, column
'value'``; ``<file>.rm5, <DICH_DATA STUDY_ID=...> in CMP-001.01, attribute TOTAL_1 (value)``). Any failure raises
``LedgerError`` with one message.
"""

from __future__ import annotations

import re

import pandas as pd

from .vocabulary import LedgerError

_NUM = re.compile(r"(?<![\d.])([-\u2212\u2013]?)(\d+(?:[.,]\d+)*|\.\d+)")


def numbers_in(text):
    """All numbers printed in ``text``, as floats, reading a comma every way ("0,15" → 0.15; "1,080" → 1080 and
    1.08; "4,119" also → 4 and 119). A leading minus (ASCII, Unicode minus or en dash) adds a signed reading."""
    out = set()
    for sign, tok in _NUM.findall(text):
        # A comma may be a thousands separator, a decimal comma, or a list/CSV separator: read all three ways.
        readings = {tok.replace(",", ""), tok.replace(",", "."), *tok.split(",")} if "," in tok else {tok}
        for r in readings:
            try:
                v = float(r)
            except ValueError:
                continue
            out.add(v)
            if sign:
                out.add(-v)
    return out


def value_in_quote(value, quote):
    """True when ``value`` is printed in ``quote`` (to 1e-9, sign included when negative)."""
    return any(abs(value - v) <= 1e-9 * max(1.0, abs(value)) for v in numbers_in(quote))


def time_key(timepoint, days):
    """Cells at the same time: equal time_days when both give one, else the same words."""
    if days is not None and not pd.isna(days):
        return f"d{float(days):g}"
    return "t:" + ("" if timepoint is None or pd.isna(timepoint) else str(timepoint).strip().lower())


def same_label(frame, trial_id, outcome, label):
    """Rows of ``frame`` of one trial and outcome at the time point worded ``label`` (case and spaces aside)."""
    t = frame.timepoint.fillna("").astype(str).str.strip().str.lower()
    return (frame.trial_id == trial_id) & (frame.outcome == outcome) & (t == str(label).strip().lower())


def _given(v):
    return v is not None and not pd.isna(v)


_CHECK_WORDS = {"not_nullable": "must not be empty", "field_uniqueness": "is a duplicate (must be unique)",
                "multiple_fields_uniqueness": "duplicates another row's key"}


def check_schema(df, name, where, scope=None):
    """``df`` (text cells, missing as None) validated against table ``name``'s pandera schema; the coerced table,
    or ``LedgerError`` at the first failing cell. ``scope`` ("in this file") adds how many more problems there are.
    """
    # pandera is imported only by the stages that validate tables (it adds ~0.5 s to every interpreter start).
    from pandera.errors import SchemaErrors

    from .schemas import SCHEMAS

    schema = SCHEMAS[name]
    try:
        return schema.validate(df, lazy=True)
    except SchemaErrors as err:
        fc = err.failure_cases
        first = fc.iloc[0]
        index = int(first.get("index")) if _given(first.get("index")) else None
        column = first.get("column") if _given(first.get("column")) else None
        check = str(first.get("check"))
        check = _CHECK_WORDS.get(check, check)
        if check.startswith("coerce_dtype") and column is not None and schema.columns[column].dtype.type is not str:
            check = "is not a number"
        value = df.loc[index, column] if column is not None and index is not None else first.get("failure_case")
        more = f" ({len(fc) - 1} more problem(s) {scope})" if scope and len(fc) > 1 else ""
        raise LedgerError(f"{where(index, column)}: value {value!r} {check}{more}") from None


def check_trials(trials, where):
    """Every trial has a canonical id (doi, pmid, pmcid, registry_id) or says in no_id_reason why not, not both."""
    for i, row in trials.iterrows():
        has_id = any(_given(row[c]) and row[c] for c in ("doi", "pmid", "pmcid", "registry_id"))
        if has_id == bool(_given(row["no_id_reason"]) and row["no_id_reason"]):
            problem = ("has a canonical id and a no_id_reason: give one or the other, not both" if has_id else
                       "has no doi, pmid, pmcid or registry_id: give one or say why in no_id_reason")
            raise LedgerError(f"{where(i, 'no_id_reason')}: trial {row['trial_id']!r} {problem}")


def check_extraction(x, where, context=None):
    """The rules of extraction rows (typed by the schema). Each row: a verified value is printed in its quote, a
    derived one says how; sd, se and pm are > 0, n >= 1, events and percent >= 0. Per trial, outcome, time and
    arm: events <= n, CI lower bound <= upper bound.

    ``context``: other rows of the same ledger (the raw ledger beside contributed rows), which take part in the
    per-cell rules only; a row of ``x`` stands in for a ``context`` row of the same statistic, a later row for an
    earlier one. A failure is reported at a row of ``x``."""
    for i, row in x.iterrows():
        stat, v = row["statistic"], row["value"]
        if row["status"] == "verified" and not value_in_quote(v, row["quote"]):
            raise LedgerError(f"{where(i, 'value')}: verified value {v:g} does not appear in its quote "
                              f"{row['quote']!r}")
        if stat in ("sd", "se", "pm") and v <= 0:
            raise LedgerError(f"{where(i, 'value')}: {stat} must be > 0, got {v:g}")
        if stat == "n" and v < 1:
            raise LedgerError(f"{where(i, 'value')}: n must be >= 1, got {v:g}")
        if stat in ("events", "percent") and v < 0:
            raise LedgerError(f"{where(i, 'value')}: {stat} must be >= 0, got {v:g}")
        if row["status"] == "derived" and not (_given(row["derivation"]) and row["derivation"]):
            raise LedgerError(f"{where(i, 'derivation')}: a derived value must say how")
    cols = ["trial_id", "outcome", "timepoint", "time_days", "arm", "statistic", "value"]
    mine = x[cols].assign(_at=list(x.index))
    both = mine if context is None or context.empty else pd.concat([context[cols].assign(_at=None), mine])
    both = both.assign(_t=[time_key(t, d) for t, d in zip(both.timepoint, both.time_days, strict=True)])
    for _, g in both.groupby(["trial_id", "outcome", "_t", "arm"], dropna=False, sort=False):
        if g._at.isna().all():
            continue  # no row of x: the context's own rules are its source's business
        cell = {s: (v, at) for s, v, at in zip(g.statistic, g.value, g._at, strict=True)}  # later rows win
        for lo, hi, what in (("events", "n", "events {:g} exceed n {:g}"),
                             ("ci_low", "ci_high", "CI lower bound {:g} exceeds the upper bound {:g}")):
            if lo in cell and hi in cell and cell[lo][0] > cell[hi][0]:
                at = cell[lo][1] if _given(cell[lo][1]) else cell[hi][1]
                raise LedgerError(f"{where(at, 'value')}: {what.format(cell[lo][0], cell[hi][0])} for the same "
                                  "trial, outcome, time and arm")
