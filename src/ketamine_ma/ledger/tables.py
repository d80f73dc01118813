"""The evidence ledger (``data/raw/``): table schemas, loading, and the evidence checks.

Schemas are pandera ``DataFrameSchema`` objects, one per table (``ledger.schemas``; layout documented in
``data/raw/README.md``).
``load_ledger`` reads every table, validates it, and checks what one table cannot: ids unique, every trial
referenced exists, every trial has a canonical id or says why not, every ``verified`` number appears in its
quote, events ≤ n, CI bounds in order. Any failure
raises ``LedgerError`` with one message naming the file, the line and the column.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .vocabulary import TABLES, LedgerError


def _where(path, index, column):
    line = f"line {int(index) + 2}" if index is not None and not pd.isna(index) else "header"
    col = f", column '{column}'" if column is not None and not pd.isna(column) else ""
    return f"{path}, {line}{col}"


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
    """Validate one table against its schema; return the coerced DataFrame or raise ``LedgerError``."""
    # pandera is imported only by the stages that validate tables (it adds ~0.5 s to every interpreter start).
    from pandera.errors import SchemaErrors

    from .schemas import SCHEMAS

    schema = SCHEMAS[name]
    expected = list(schema.columns)
    missing = [c for c in expected if c not in df.columns]
    if missing:
        raise LedgerError(f"{path}, header: missing column(s) {', '.join(missing)}; expected {', '.join(expected)}")
    extra = [c for c in df.columns if c not in expected]
    if extra:
        raise LedgerError(f"{path}, header: unknown column(s) {', '.join(extra)}; expected {', '.join(expected)}")
    try:
        return schema.validate(df, lazy=True)
    except SchemaErrors as err:
        fc = err.failure_cases
        first = fc.iloc[0]
        index = first.get("index")
        column = first.get("column")
        value = first.get("failure_case")
        check = str(first.get("check"))
        check = {"not_nullable": "must not be empty", "field_uniqueness": "is a duplicate (must be unique)",
                 "multiple_fields_uniqueness": "duplicates another row's key"}.get(check, check)
        if check.startswith("coerce_dtype"):
            check = "is not a number" if schema.columns[column].dtype.type is not str else check
        if column is not None and not pd.isna(column) and index is not None and not pd.isna(index):
            value = df.loc[int(index), column]
        more = f" ({len(fc) - 1} more problem(s) in this file)" if len(fc) > 1 else ""
        raise LedgerError(f"{_where(path, index, column)}: value {value!r} {check}{more}") from None


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


def check_evidence(tables, paths):
    """Cross-table and evidence checks; raise ``LedgerError`` on the first defect."""
    trials = set(tables["trials"]["trial_id"])
    for i, row in tables["trials"].iterrows():
        has_id = any(row[c] for c in ("doi", "pmid", "pmcid", "registry_id"))
        if has_id == bool(row["no_id_reason"]):
            problem = "has a canonical id and a no_id_reason" if has_id else (
                "has no doi, pmid, pmcid or registry_id: give one or say why in no_id_reason")
            raise LedgerError(f"{_where(paths['trials'], i, 'no_id_reason')}: trial {row['trial_id']!r} {problem}")
    for name in ("membership", "extraction", "conflicts"):
        df = tables[name]
        for i, tid in df["trial_id"].items():
            if tid is not None and not pd.isna(tid) and tid not in trials:
                raise LedgerError(f"{_where(paths[name], i, 'trial_id')}: trial {tid!r} is not in trials.csv")
    x = tables["extraction"]
    for i, row in x.iterrows():
        if row["status"] == "verified" and not value_in_quote(row["value"], row["quote"]):
            raise LedgerError(
                f"{_where(paths['extraction'], i, 'value')}: verified value {row['value']:g} does not appear in its "
                f"quote {row['quote']!r}"
            )
        if row["statistic"] in ("sd", "se", "pm") and row["value"] <= 0:
            raise LedgerError(f"{_where(paths['extraction'], i, 'value')}: {row['statistic']} must be > 0, "
                              f"got {row['value']:g}")
        if row["statistic"] == "n" and row["value"] < 1:
            raise LedgerError(f"{_where(paths['extraction'], i, 'value')}: n must be >= 1, got {row['value']:g}")
        if row["statistic"] in ("events", "percent") and row["value"] < 0:
            raise LedgerError(f"{_where(paths['extraction'], i, 'value')}: {row['statistic']} must be >= 0")
        if row["status"] == "derived" and not row["derivation"]:
            raise LedgerError(f"{_where(paths['extraction'], i, 'derivation')}: a derived value must say how")
    key = ["trial_id", "outcome", "timepoint", "arm"]
    for _, g in x.groupby(key, dropna=False):
        stats_ = dict(zip(g["statistic"], g["value"], strict=False))
        rows = dict(zip(g["statistic"], g.index, strict=False))
        if "events" in stats_ and "n" in stats_ and stats_["events"] > stats_["n"]:
            raise LedgerError(f"{_where(paths['extraction'], rows['events'], 'value')}: events "
                              f"{stats_['events']:g} exceed n {stats_['n']:g} for the same trial, outcome, time, arm")
        if "ci_low" in stats_ and "ci_high" in stats_ and stats_["ci_low"] > stats_["ci_high"]:
            raise LedgerError(f"{_where(paths['extraction'], rows['ci_low'], 'value')}: CI lower bound "
                              f"{stats_['ci_low']:g} exceeds upper bound {stats_['ci_high']:g}")
    p = tables["published"]
    figure = ["analysis", "measure", "estimate", "ci_low", "ci_high", "scale", "p", "k", "n", "i2"]
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
        for col in ("estimate", "ci_low", "ci_high"):
            if not pd.isna(row[col]) and not value_in_quote(row[col], row["quote"]):
                raise LedgerError(f"{_where(paths['published'], i, col)}: {row[col]:g} does not appear in its quote")


def load_ledger(raw_dir, as_printed=False):
    """Read, validate and cross-check every ledger table in ``raw_dir``; return a dict of DataFrames.

    Typed by the schemas, or with ``as_printed`` every cell as the text in the file (validated all the same), so
    that "5.40" keeps the digits by which the reproduction check judges rounding."""
    raw_dir = Path(raw_dir)
    paths, tables, printed = {}, {}, {}
    for name in TABLES:
        path = raw_dir / f"{name}.csv"
        if not path.exists():
            raise LedgerError(f"{path}: missing ledger table")
        paths[name] = path
        printed[name] = read_table(path)
        tables[name] = validate_table(printed[name], name, path)
    check_evidence(tables, paths)
    return printed if as_printed else tables

