"""The evidence ledger (``data/raw/``): loading, and the checks across its tables.

``load_ledger`` reads every table and validates its rows with the rules every ledger row obeys, wherever it comes
from (``ledger.rows``: the pandera schema of ``ledger.schemas``, layout documented in ``data/raw/README.md``; a
canonical id or why not; a ``verified`` number printed in its quote; positive sizes, events ≤ n, CI bounds in
order), then checks what only the raw ledger has: every trial referenced exists, a published figure read in
several places prints the same numbers. Any failure raises ``LedgerError`` with one message naming the file, the
row and the column.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import rows
from .vocabulary import FIGURE_PARTS, TABLES, LedgerError, no_spec


def shown(path):
    """``path`` as a message names it: relative to the project (the working directory) when inside it."""
    path = Path(path)
    return path.relative_to(Path.cwd()) if path.is_absolute() and path.is_relative_to(Path.cwd()) else path


def _where(path, index, column):
    """File, row and column of a cell; the row as a spreadsheet numbers it (the header is row 1), as every
    message of the project counts rows."""
    row = f"row {int(index) + 2}" if index is not None and not pd.isna(index) else "header"
    col = f", column '{column}'" if column is not None and not pd.isna(column) else ""
    return f"{path}, {row}{col}"


def read_table(path):
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as e:
        raise LedgerError(f"{path}: not UTF-8 encoded (byte {e.start}); save the file as UTF-8") from None
    except pd.errors.EmptyDataError:
        raise LedgerError(f"{path}: the file is empty (no header row)") from None
    except pd.errors.ParserError as e:
        raise LedgerError(f"{path}: malformed CSV ({e})") from None
    if df.empty:
        raise LedgerError(f"{path}: the table has a header but no rows")
    return df.replace({"": None})


def validate_table(df, name, path):
    """Validate one table against its schema and row rules (``ledger.rows``); return the coerced DataFrame or
    raise ``LedgerError``."""
    from .schemas import SCHEMAS  # pandera: only the stages that validate tables import it

    expected = list(SCHEMAS[name].columns)
    missing = [c for c in expected if c not in df.columns]
    if missing:
        raise LedgerError(f"{path}, header: missing column(s) {', '.join(missing)}; expected {', '.join(expected)}")
    extra = [c for c in df.columns if c not in expected]
    if extra:
        raise LedgerError(f"{path}, header: unknown column(s) {', '.join(extra)}; expected {', '.join(expected)}")
    return rows.check_schema(df, name, lambda i, col: _where(path, i, col), scope="in this file")


# The printed parts of a published figure that are numbers of its own (not counts), each checked against the quote
# as its estimate is.
QUOTED_PARTS = ("tau2", "q", "stat")


def check_evidence(tables, paths):
    """Cross-table and evidence checks; raise ``LedgerError`` on the first defect."""
    rows.check_trials(tables["trials"], lambda i, col: _where(paths["trials"], i, col))
    trials = set(tables["trials"]["trial_id"])
    for name in ("membership", "extraction", "conflicts"):
        df = tables[name]
        for i, tid in df["trial_id"].items():
            if tid is not None and not pd.isna(tid) and tid not in trials:
                raise LedgerError(f"{_where(paths[name], i, 'trial_id')}: trial {tid!r} is not in trials.csv")
    rows.check_extraction(tables["extraction"], lambda i, col: _where(paths["extraction"], i, col))
    rows.check_sources(tables["extraction"], tables["trials"], lambda i, col: _where(paths["extraction"], i, col))
    p = tables["published"]
    figure = ["kind", "analysis", "measure", "estimate", "ci_low", "ci_high", "scale", "p", "k", "n", "i2",
              *FIGURE_PARTS]
    for _, g in p.groupby(["review", "result_id"]):
        for col in figure:
            if g[col].nunique(dropna=False) > 1:
                raise LedgerError(f"{_where(paths['published'], g.index[1], col)}: the same figure "
                                  f"({g.review.iloc[0]}, {g.result_id.iloc[0]}) read in several places must print "
                                  f"the same {col} ({' vs '.join(map(str, g[col]))})")
    for i, row in p.iterrows():
        lo, hi = row["ci_low"], row["ci_high"]
        if not (pd.isna(lo) or pd.isna(hi)) and lo > hi:
            raise LedgerError(f"{_where(paths['published'], i, 'ci_low')}: CI lower bound {lo:g} exceeds {hi:g}")
        for col in ("estimate", "ci_low", "ci_high", *QUOTED_PARTS):
            if not pd.isna(row[col]) and not rows.value_in_quote(row[col], row["quote"]):
                raise LedgerError(f"{_where(paths['published'], i, col)}: {row[col]:g} does not appear in its quote")


# The raw tables whose rows name a review.
REVIEW_TABLES = ("membership", "published")


def check_reviews(tables, paths, known):
    """Every review a table row names has a spec file (``known``: the registry's names); else ``LedgerError`` at
    the first row that names one without, saying which spec is missing."""
    for name in REVIEW_TABLES:
        for i, review in tables[name]["review"].items():
            if review not in known:
                raise LedgerError(f"{_where(paths[name], i, 'review')}: {no_spec(review, known)}")


def load_ledger(raw, as_printed=False, reviews=None):
    """Read, validate and cross-check every ledger table; return a dict of DataFrames.

    ``raw``: the tables' paths by name (a job's declared inputs), or a folder holding ``<name>.csv`` of each.
    Typed by the schemas, or with ``as_printed`` every cell as the text in the file (validated all the same), so
    that "5.40" keeps the digits by which the reproduction check judges rounding. ``reviews``: the names of the
    reviews with a spec file (``stages.specs.spec_names``), which every review a row names must be one of."""
    paths = {name: shown(p) for name, p in
             (raw if isinstance(raw, dict) else {name: Path(raw) / f"{name}.csv" for name in TABLES}).items()}
    tables, printed = {}, {}
    for name in TABLES:
        path = Path(paths[name])
        if not path.exists():
            raise LedgerError(f"{path}: missing ledger table")
        printed[name] = read_table(path)
        tables[name] = validate_table(printed[name], name, path)
    if reviews is not None:
        check_reviews(tables, paths, reviews)
    check_evidence(tables, paths)
    return printed if as_printed else tables


def read_tables(paths):
    """Ledger tables the extract stage wrote, by name (``paths``: ``{name: path}``), empty cells as missing."""
    return {name: pd.read_csv(path, keep_default_na=True) for name, path in paths.items()}
