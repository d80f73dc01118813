"""A review's printed figures from its worksheet's ``published`` sheet, one row per figure as the review prints it.

The sheet's columns are the ledger's published table's (``ledger.schemas``, the one list), so the sheet follows
that table; each row goes through the same schema and checks as a row of ``data/raw/published.csv`` (the estimate
and CI printed in the quote), and through the full-text check when its source is a PDF of the folder. Valid rows
join the review's processed ledger with who read them and when (``data/raw/published.csv`` keeps what the ledger
already holds).
"""

from __future__ import annotations

import pandas as pd

from ..rows import value_in_quote
from ..vocabulary import LedgerError
from .read import STAMP, Where, filled_row, published_columns, sheet_file

SHEET = "published"
# What makes a figure one: the published table's key (a figure read in several places has one row per place).
KEY = ["review", "result_id", "source", "read_at", "locator"]


def rows(parsed, selected, raw, stamp):
    """The filled rows of every contribution's published sheet (``parsed``: ``(unit, sheets, meta)``), as
    published-table rows with the reader's provenance, and where each came from; ``LedgerError`` at the first
    defect. ``raw``: the validated raw published table (a figure it holds is not given again); ``stamp(row, meta,
    where, unit)``: who read the row and when."""
    out, places, seen = [], [], {}
    table = [c for c in published_columns() if c not in STAMP]
    held = {tuple("" if pd.isna(v) else str(v) for v in r) for r in raw[KEY].itertuples(index=False)}
    for unit, sheets, meta in parsed:
        label = sheet_file(unit, SHEET)
        for _, row in sheets[SHEET].iterrows():
            if not filled_row(SHEET, row.drop("_row")):
                continue
            where = Where(label, SHEET, row["_row"])
            if row["review"] not in selected:
                raise LedgerError(f"{where('review')}: review {row['review']!r} is not selected in this run (config "
                                  f"reviews: {', '.join(selected)})")
            who, when = stamp(row, meta, where, unit)
            key = tuple(row[c] for c in KEY)
            if key in held:
                raise LedgerError(f"{where('result_id')}: figure {row['result_id']!r} of {row['review']} read at "
                                  f"{row['locator']!r} is already in data/raw/published.csv; give it once")
            figure = {c: row[c] or None for c in table}
            if key in seen:
                if seen[key][1] == figure:
                    continue  # the same reading in two files (a regenerated worksheet saved beside the old one)
                raise LedgerError(f"{where('result_id')}: figure {row['result_id']!r} is already given differently "
                                  f"at {seen[key][0]}; give each figure once per place it is printed")
            seen[key] = (f"{label}, sheet '{SHEET}', row {row['_row']}", figure)
            out.append(figure | {"contributor": who, "contributed_on": when})
            places.append(where)
    return out, places


def check(built, places, schema_check):
    """The built rows through the published table's schema (``schema_check``: the contribution reader's) and its
    evidence rule: the estimate and CI bounds printed in the row's quote."""
    if built.empty:
        return
    schema_check(built, SHEET, places, {})
    typed = built.reset_index(drop=True)
    for i, row in typed.iterrows():
        for col in ("estimate", "ci_low", "ci_high"):
            v = row[col]
            if v is not None and not pd.isna(v) and not value_in_quote(float(v), row["quote"] or ""):
                raise LedgerError(f"{places[i](col)}: {row[col]} does not appear in the quote {row['quote']!r}; "
                                  "quote the sentence or table cell that prints it")
