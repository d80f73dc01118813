"""Contributions: filled extraction worksheets (``data/contrib/``) read, validated and merged into the ledger.

A worksheet (``results/worksheets/<review>.xlsx`` or the folder of its CSV twins) has the sheets of ``LAYOUT``.
The pre-filled columns say what is asked; the contributor fills the others. Rows are validated with the same
pandera schemas as ``data/raw/`` plus the ledger's evidence checks (every number is printed in its quote or is
derived from numbers that are). Any defect raises ``LedgerError`` with one message naming the file, the sheet,
the row and the column, before anything is written. Valid rows become ledger rows with ``source_kind`` full_text,
the contributor and the date, and are merged into the processed ledger (never into ``data/raw/``). A contributed
number that disagrees with a ledger row keeps both readings, tagged ``reading`` ledger / contribution, and adds a
``conflicts`` row; the clean stage uses one reading for the primary analysis (config ``conflict_rule``) and the
other for the ``conflict_alt`` sensitivity analysis.

Nothing contributed is lost silently: the contribution log keeps every filled row as it was given (the next
worksheet carries it back, with its own contributor and date), ``merged.csv`` in the contributions folder records
what the last successful run merged, and ``lost_cells`` names what no contribution gives any more until
``removed.csv`` confirms it. The CSV twins write formula-like text inert (``csv_text``); the reader undoes it.
"""

from __future__ import annotations

import ast
import csv
import io as _io
import operator
import re
from functools import cache
from pathlib import Path

import pandas as pd

from .rows import value_in_quote
from .vocabulary import ARMS, DAY_COUNT, SCALES, SHEETS, STATISTICS, TRIAL_ID, LedgerError, window_words

ROB_DOMAINS = ("d1_randomisation", "d2_deviations", "d3_missing_data", "d4_measurement", "d5_reporting", "overall")
LAYOUT = {
    "readme": ["field", "value"],
    "membership": ["review", "trial_id", "citation", "link", "criteria", "current_status", "current_evidence",
                   "status", "source", "locator", "quote"],
    "numbers": ["review", "analyses", "trial_id", "study", "timepoint_rule", "why", "outcome", "timepoint",
                "time_days", "arm", "statistic", "scale", "value", "derivation", "not_reported", "source", "locator",
                "quote"],
    "trials": ["review", "trial_id", "first_author", "year", "title", "journal", "doi", "pmid", "pmcid",
               "registry_id", "no_id_reason", "design",
               "randomised", "condition", "pain_type", "crps", "route", "regimen", "dose_mg_kg", "control", "country",
               "n_ketamine", "n_control", "source", "locator", "quote", "included_source", "included_locator",
               "included_quote"],
    "risk_of_bias": ["review", "trial_id", "study", *(c for d in ROB_DOMAINS for c in (d, f"{d}_support")), "source",
                     "locator"],
}
# A row contributed in an earlier round comes back in the next worksheet with who read it and when (a worksheet
# saved over the old one keeps it, with its own provenance); empty on a new row (the readme's contributor and date
# apply). Optional when read: a worksheet made before these columns existed still reads.
STAMP = ("contributor", "contributed_on")
for _sheet in ("membership", "numbers", "trials", "risk_of_bias"):
    LAYOUT[_sheet] = [*LAYOUT[_sheet], *STAMP]
# Columns whose content means the contributor filled the row (the others are pre-filled context).
FILLED = {
    "membership": ["status", "locator", "quote"],
    "numbers": ["value", "derivation", "not_reported", "locator", "quote"],
    "trials": [c for c in LAYOUT["trials"] if c not in ("review", *STAMP)],
    "risk_of_bias": [c for c in LAYOUT["risk_of_bias"] if c not in ("review", "trial_id", "study", "source", *STAMP)],
}
# Drop-down values (worksheet data validation) and what the reader accepts.
ENUMS = {
    ("membership", "status"): ("confirmed", "excluded"),
    ("numbers", "arm"): ARMS,
    ("numbers", "statistic"): (*STATISTICS, DAY_COUNT),
    ("numbers", "scale"): SCALES,
    ("numbers", "not_reported"): ("yes",),
    ("trials", "design"): ("parallel", "crossover", "cohort", "single-arm", "case-series"),
    ("trials", "randomised"): ("yes", "no"),
    ("trials", "pain_type"): ("neuropathic", "nociplastic", "nociceptive", "mixed", "cancer", "unclear"),
    ("trials", "crps"): ("yes", "no"),
    **{("risk_of_bias", d): ("low", "some concerns", "high") for d in ROB_DOMAINS},
}
META_FIELDS = ("review", "contributor", "date")
# The contribution log: per filled row where it came from, what it became, and the row as contributed (the next
# worksheet carries it; the next run checks that it is still given somewhere).
LOG_COLUMNS = ["origin", "became", "file", "sheet", "row",
               *dict.fromkeys(c for s in ("membership", "numbers", "trials", "risk_of_bias") for c in LAYOUT[s])]
EXTRA_COLUMNS = ["source_kind", "contributor", "contributed_on", "reading", "conflict_id"]
NOT_REPORTED_COLUMNS = ["review", "trial_id", "outcome", "timepoint", "arm", "statistic", "source", "locator", "quote",
                        "contributor", "contributed_on"]
ROB_COLUMNS = ["review", "trial_id", "domain", "judgement", "support", "source", "locator", "contributor",
               "contributed_on"]


class Where:
    """A cell's address in a contribution: file, sheet, row (as a spreadsheet shows it) and column."""

    def __init__(self, path, sheet, row):
        self.path, self.sheet, self.row = path, sheet, row

    def __call__(self, column):
        return f"{self.path}, sheet '{self.sheet}', row {self.row}, column '{column}'"


# ---------------------------------------------------------------------------------------------- reading files

def discover(folder):
    """Contributions in ``folder``: ``.xlsx`` worksheets, ``.rm5`` files, and folders of CSV twins."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    out = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith((".", "~$")):
            continue
        if p.is_file() and p.suffix.lower() in (".xlsx", ".rm5"):
            out.append(p)
        elif p.is_dir() and any((p / f"{s}.csv").exists() for s in SHEETS):
            out.append(p)
    return out


def unit_files(unit):
    """The files a contribution consists of (a workflow input: editing any of them reruns its reviews)."""
    unit = Path(unit)
    return [unit] if unit.is_file() else [unit / f"{s}.csv" for s in SHEETS if (unit / f"{s}.csv").exists()]


# A spreadsheet program opening a CSV file reads a cell that starts with one of these as a formula (CSV
# injection). The CSV twins write such text with a leading apostrophe, which shows the text as it is; the reader
# takes it off again. Text that itself starts with an apostrophe before one of these (or before a second
# apostrophe) gets one too, so that every text survives the round trip unchanged.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text):
    """``text`` as the CSV twins write it: inert in a spreadsheet program, read back by ``from_csv_text``."""
    if text[:1] in FORMULA_START or (text[:1] == "'" and text[1:2] in (*FORMULA_START, "'")):
        return "'" + text
    return text


def from_csv_text(text):
    """A CSV cell's text as the worksheet meant it (the inverse of ``csv_text``)."""
    if text[:1] == "'" and text[1:2] in (*FORMULA_START, "'"):
        return text[1:]
    return text


def _cell_text(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return repr(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if hasattr(v, "date") and callable(v.date):
        return v.date().isoformat()
    return str(v).strip()


def read_sheets(unit):
    """Every sheet of a worksheet (``.xlsx`` or CSV-twin folder) as text DataFrames with the spreadsheet's row
    numbers in ``_row`` (header = row 1). Sheets the file lacks come back empty."""
    unit = Path(unit)
    sheets = {}
    if unit.is_file():
        from openpyxl import load_workbook

        try:
            wb = load_workbook(unit, read_only=True, data_only=True)
        except Exception as e:  # openpyxl raises several types for a file that is not a workbook
            raise LedgerError(f"{unit}: not a readable .xlsx workbook ({type(e).__name__}: {e})") from None
        for name in SHEETS:
            if name not in wb.sheetnames:
                continue
            rows = list(wb[name].iter_rows(values_only=True))
            if not rows:
                continue
            header = [_cell_text(h) for h in rows[0]]
            body = [[_cell_text(v) for v in r] + [""] * (len(header) - len(r)) for r in rows[1:]]
            df = pd.DataFrame([r[:len(header)] for r in body], columns=header, dtype=str)
            df["_row"] = range(2, len(df) + 2)
            sheets[name] = df
        wb.close()
    else:
        for name in SHEETS:
            f = unit / f"{name}.csv"
            if f.exists():
                try:
                    df = pd.read_csv(f, dtype=str, keep_default_na=False, encoding="utf-8")
                except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
                    raise LedgerError(f"{f}: not a readable UTF-8 CSV ({e})") from None
                df = df.map(lambda v: from_csv_text(v).strip())
                df["_row"] = range(2, len(df) + 2)
                sheets[name] = df
    for name in SHEETS:
        cols = LAYOUT[name]
        df = sheets.get(name, pd.DataFrame(columns=[*cols, "_row"], dtype=str))
        missing = [c for c in cols if c not in df.columns and c not in STAMP]
        if missing and name in sheets:
            raise LedgerError(f"{_label(unit, name)}, sheet '{name}', row 1: missing column(s) {', '.join(missing)}; "
                              f"expected {', '.join(cols)} (regenerate the worksheet: snakemake worksheets)")
        sheets[name] = df.reindex(columns=[*cols, "_row"], fill_value="")
    return sheets


def _label(unit, sheet):
    unit = Path(unit)
    return str(unit if unit.is_file() else unit / f"{sheet}.csv")


def _raw_tables(unit):
    """Every sheet of a contribution as lists of text rows (header first), read cheaply at DAG-build time."""
    unit = Path(unit)
    if unit.is_file():
        from openpyxl import load_workbook

        wb = load_workbook(unit, read_only=True, data_only=True)
        tables = {n: [[_cell_text(v) for v in r] for r in wb[n].iter_rows(values_only=True)] for n in SHEETS
                  if n in wb.sheetnames}
        wb.close()
        return tables
    tables = {}
    for n in SHEETS:
        if (unit / f"{n}.csv").exists():
            with open(unit / f"{n}.csv", encoding="utf-8", newline="") as fh:
                tables[n] = [[from_csv_text(v).strip() for v in r] for r in csv.reader(fh)]
    return tables


@cache
def _filled_rows(unit, stamp):
    """``(sheet, row number, {column: text})`` of every filled row of a contribution (``stamp``: the file's
    modification time and size, so an edited file is read again)."""
    out = []
    for name, rows in _raw_tables(unit).items():
        if not rows:
            continue
        header = rows[0]
        for i, r in enumerate(rows[1:], start=2):
            cells = dict(zip(header, r, strict=False))
            if name == "readme" or any(cells.get(c) for c in FILLED[name]):
                out.append((name, i, cells))
    return tuple(out)


def filled_rows(unit):
    unit = Path(unit)
    files = unit_files(unit)
    return _filled_rows(unit, tuple((f.stat().st_mtime_ns, f.stat().st_size) for f in files))


def mentions(unit):
    """Reviews and trial ids a contribution names, read cheaply at DAG-build time to route it to the jobs of the
    reviews it touches. ``(None, None)`` when it cannot be read (then every review's job reads and rejects it)."""
    unit = Path(unit)
    reviews, trials = set(), set()
    if unit.suffix.lower() == ".rm5":
        return {unit.stem}, set()
    try:
        rows = filled_rows(unit)
    except Exception:  # routing only: the contribute job reports the defect properly
        return None, None
    for name, _, cells in rows:
        if name == "readme":
            if cells.get("field") == "review" and cells.get("value"):
                reviews.add(cells["value"])
            continue
        if cells.get("review"):
            reviews.add(cells["review"])
        if cells.get("trial_id"):
            trials.add(cells["trial_id"])
    return reviews, trials


# ------------------------------------------------------------------------- what the last run merged, kept

# In the contributions folder, beside what they are about: ``merged.csv``, the rows the last successful run merged
# (written when a run succeeds, never by a job, so that Snakemake's deleting a job's outputs before it runs, or a
# failed run, cannot lose it), and ``removed.csv``, the cells whose removal a user confirmed.
MEMORY, REMOVED = "merged.csv", "removed.csv"
KEY_COLUMNS = ["sheet", "review", "trial_id", "outcome", "timepoint", "time_days", "arm", "statistic"]
MEMORY_COLUMNS = [*KEY_COLUMNS, "value", "not_reported", "status", "origin"]


def _read_list(path, columns):
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise LedgerError(f"{path}: not a readable UTF-8 CSV ({e})") from None
    missing = [c for c in ("sheet", "trial_id") if c not in df.columns]
    if missing:
        raise LedgerError(f"{path}, row 1: missing column(s) {', '.join(missing)}; expected {','.join(columns)}")
    return df.reindex(columns=columns).fillna("").map(lambda v: from_csv_text(v).strip())


def remembered(logs, folder, reviews):
    """The new ``merged.csv``: the rows of the contribution ``logs`` of this run's ledger ``reviews``, and what
    the file held for reviews this run does not select (a subset run forgets nothing)."""
    path = Path(folder) / MEMORY
    old = _read_list(path, MEMORY_COLUMNS) if path.exists() else pd.DataFrame(columns=MEMORY_COLUMNS)
    new = [log[log.sheet.fillna("") != ""].reindex(columns=MEMORY_COLUMNS).astype(object).fillna("").astype(str)
           for log in logs]
    both = pd.concat([old[~old.review.isin(reviews)], *new], ignore_index=True)
    both = both.drop_duplicates(["sheet", "review", "trial_id", "outcome", "timepoint", "time_days", "arm",
                                 "statistic", "origin"])
    return both.sort_values(["review", "sheet", "trial_id", "origin"], kind="stable").reset_index(drop=True)


def _given(units):
    """The cells the contributions in ``units`` give now (``cell_key``s)."""
    rm5 = [Path(u) for u in units if Path(u).suffix.lower() == ".rm5"]
    given = {cell_key(sheet, {c: cells.get(c, "") for c in KEY_COLUMNS})
             for u in units if Path(u) not in rm5 for sheet, _, cells in filled_rows(u) if sheet != "readme"}
    return given | {("revman", u.stem) for u in rm5}


def _removed(folder):
    path = Path(folder) / REMOVED
    return _read_list(path, KEY_COLUMNS) if path.exists() else pd.DataFrame(columns=KEY_COLUMNS)


def lost_cells(folder, units, reviews):
    """The rows of ``merged.csv`` for ``reviews`` that no contribution in ``units`` gives any more and
    ``removed.csv`` does not list; an empty table when none."""
    folder = Path(folder)
    if not (folder / MEMORY).exists():
        return pd.DataFrame(columns=MEMORY_COLUMNS)
    memory = _read_list(folder / MEMORY, MEMORY_COLUMNS)
    memory = memory[memory.review.isin(reviews)]
    given = _given(units) | {cell_key(r["sheet"], r) for _, r in _removed(folder).iterrows()}
    gone = [cell_key(r["sheet"], r) not in given for _, r in memory.iterrows()]
    return memory[gone].drop_duplicates([c for c in KEY_COLUMNS if c != "review"])


def revived(folder, units):
    """Lines of ``removed.csv`` (with their row numbers) whose cell a contribution gives again: left there, such a
    line would let a later loss of the cell pass unnoticed."""
    removed = _removed(folder)
    given = _given(units)
    hit = [cell_key(r["sheet"], r) in given for _, r in removed.iterrows()]
    return removed.assign(row=range(2, len(removed) + 2))[hit]


def lost_message(lost, folder):
    """One message for the cells ``lost_cells`` found: which, from where, and how to confirm the removal."""
    def what(r):
        if r.sheet in ("numbers", "revman"):
            when = r.timepoint or (f"day {r.time_days}" if r.time_days else "")
            got = "not reported" if r.not_reported else f"= {r.value}"
            return " ".join(x for x in (r.trial_id, r.outcome, when, r.arm, r.statistic, got) if x)
        if r.sheet == "membership":
            return f"{r.trial_id} {r.status} for {r.review}"
        return f"{r.trial_id} ({r.sheet.replace('_', ' ')})"

    removed = Path(folder) / REMOVED
    lines = [f"{folder}: {len(lost)} contributed cell(s) that the last run merged are in no contribution now (a "
             "worksheet saved over without them?):"]
    lines += [f"  {what(r)} (merged from {r.origin})" for r in lost.itertuples()]
    lines.append(f"Put them back (results/worksheets/<review>.xlsx carries every contributed cell), or confirm "
                 f"their removal: add these lines to {removed}"
                 + (" (below its header line)" if removed.exists() else " (a new file)") + ", then rerun:")
    body = _io.StringIO()
    lost[KEY_COLUMNS].to_csv(body, index=False, header=not removed.exists(), lineterminator="\n")
    return "\n".join(lines) + "\n" + body.getvalue()


def revived_message(revived_rows, folder):
    def what(r):
        return " ".join(x for x in (r.sheet, r.trial_id, r.outcome, r.timepoint, r.arm, r.statistic) if x)

    cells = "; ".join(f"row {r.row}: {what(r)}" for r in revived_rows.itertuples())
    return (f"{Path(folder) / REMOVED} confirms the removal of cell(s) that a contribution gives again ({cells}); "
            "delete those lines (the removal is done once a run has merged without the cells), then rerun")


# --------------------------------------------------------------------------------------------- validation

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


def _require(row, cols, where, why):
    for c in cols:
        if not row[c]:
            raise LedgerError(f"{where(c)}: empty, but the row is partly filled ({why}); fill it or clear the row")


def _as_text(v):
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    return repr(v) if isinstance(v, float) else str(v)


def _schema_check(df, name, places, columns):
    """Validate built ledger rows with the ledger's pandera schema; report the first failure at its cell."""
    from pandera.errors import SchemaErrors

    from .schemas import SCHEMAS

    schema = SCHEMAS[name]
    # as the raw tables are read: text, empty = missing (numbers are coerced by the schema)
    df = df.reindex(columns=list(schema.columns)).reset_index(drop=True).map(_as_text).astype(str)
    try:
        return schema.validate(df.replace({"": None}), lazy=True)
    except SchemaErrors as err:
        first = err.failure_cases.iloc[0]
        col, idx = first.get("column"), first.get("index")
        check = {"not_nullable": "must not be empty", "field_uniqueness": "is a duplicate (must be unique)"}.get(
            str(first.get("check")), str(first.get("check")))
        if idx is None or pd.isna(idx):
            raise LedgerError(f"{places[0]('?')}: {check}") from None
        value = df.loc[int(idx), col] if col in df.columns else first.get("failure_case")
        raise LedgerError(f"{places[int(idx)](columns.get(col, col))}: value {value!r} {check}") from None


def _meta(readme, label):
    meta = {}
    for _, r in readme.iterrows():
        if r["field"] in META_FIELDS:
            meta[r["field"]] = (r["value"], Where(label, "readme", r["_row"]))
    return meta


def _slug(text):
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def _time_key(timepoint, days):
    """Cells at the same time: equal time_days when both give one, else the same words."""
    if days is not None and not pd.isna(days):
        return f"d{float(days):g}"
    return "t:" + ("" if timepoint is None or pd.isna(timepoint) else str(timepoint).strip().lower())


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
        val, w = meta.get(f, ("", Where(_label(unit, "readme"), "readme", "?")))
        if not val:
            raise LedgerError(f"{w('value')}: the {f} is empty; a contribution says who read the full text and when")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta["date"][0]):
        raise LedgerError(f"{meta['date'][1]('value')}: date {meta['date'][0]!r} is not YYYY-MM-DD")
    return meta["contributor"][0], meta["date"][0]


def cell_key(sheet, row):
    """What a filled worksheet row is about, the same whichever file or round it comes from: a number (or its
    not-reported mark) of one trial, outcome, time, arm and statistic; a review's membership decision or risk
    of bias judgement on a trial; a trial added to the ledger."""
    if sheet == "numbers":
        try:
            days = float(row["time_days"]) if row["time_days"] else None
        except ValueError:
            days = None
        return (sheet, row["trial_id"], row["outcome"], _time_key(row["timepoint"], days), row["arm"],
                row["statistic"])
    if sheet == "trials":
        return (sheet, row["trial_id"])
    if sheet == "revman":  # the numbers of a review's own RevMan file come and go with the file
        return (sheet, row["review"])
    return (sheet, row["review"], row["trial_id"])


def read_contributions(units, ledger, selected, specs, verify=None):
    """Validate every contribution in ``units`` against the (validated) raw ``ledger``.

    ``selected``: the reviews of this run; ``specs``: their review specs (time-point rules); ``verify(rows, places,
    table)``: proves the rows whose source is a full text of the folder (``ledger.fulltext``). Returns a dict of
    DataFrames: ``extraction``, ``membership``, ``trials``, ``not_reported``, ``risk_of_bias`` (contributed rows,
    each with ``source_kind`` full_text, ``contributor`` and ``contributed_on``) and ``log`` (one line per filled
    row: where it came from and what it became). Raises ``LedgerError`` on the first defect.
    """
    known_trials = set(ledger["trials"]["trial_id"])
    out = {k: [] for k in ("extraction", "membership", "trials", "not_reported", "risk_of_bias", "day_counts",
                           "_undated", "log")}
    places = {k: [] for k in ("extraction", "membership", "trials")}
    seen = {}
    new_trials = {}
    parsed = []
    for unit in units:
        unit = Path(unit)
        if unit.suffix.lower() == ".rm5":
            _rm5_rows(unit, ledger, selected, specs, out, places, seen)
            continue
        sheets = read_sheets(unit)
        meta = _meta(sheets["readme"], _label(unit, "readme"))
        parsed.append((unit, sheets, meta))
        for _, r in sheets["trials"].iterrows():
            if r["trial_id"] and any(r[c] for c in FILLED["trials"] if c != "trial_id"):
                new_trials.setdefault(r["trial_id"], Where(_label(unit, "trials"), "trials", r["_row"]))
    given = {}
    for unit, sheets, meta in parsed:
        for sheet in ("membership", "numbers", "trials", "risk_of_bias"):
            label = _label(unit, sheet)
            for _, row in sheets[sheet].iterrows():
                if not any(row[c] for c in FILLED[sheet]):
                    continue  # an empty row: nothing contributed
                where = Where(label, sheet, row["_row"])
                who, when = _stamp(row, meta, where, unit)
                if row["review"] not in selected:
                    raise LedgerError(f"{where('review')}: review {row['review']!r} is not selected in this run "
                                      f"(config reviews: {', '.join(selected)}); select it, or move {unit} out of "
                                      "the contributions folder")
                _check_enum(row, sheet, where)
                tid = row["trial_id"]
                if sheet != "trials" and tid not in known_trials and tid not in new_trials:
                    raise LedgerError(f"{where('trial_id')}: trial {tid!r} is not in the ledger (data/raw/trials.csv) "
                                      "nor in a worksheet's trials sheet")
                stamp = {"source_kind": "full_text", "contributor": who, "contributed_on": when}
                origin = f"{label}, sheet '{sheet}', row {row['_row']}"
                raw = {"file": label, "sheet": sheet, "row": row["_row"],
                       **{c: row[c] for c in LAYOUT[sheet]}, "contributor": who, "contributed_on": when}
                key, content = cell_key(sheet, row), tuple(row[c] for c in FILLED[sheet])
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
                    _number_row(row, where, specs, stamp, origin, out, places, seen)
                elif sheet == "membership":
                    _membership_row(row, where, ledger, stamp, origin, out, places)
                elif sheet == "trials":
                    _trial_row(row, where, known_trials, stamp, origin, out, places, seen)
                else:
                    _rob_row(row, where, stamp, origin, out)
                for entry in out["log"][logged:]:
                    entry.update(raw)
    if verify is not None:  # every quote citing a full text of the folder is proved on its page
        for name in ("extraction", "membership", "trials"):
            verify(out[name], places[name], name)
    _pair_time_points(out, ledger["extraction"])
    result = {k: pd.DataFrame(v) for k, v in out.items() if k not in ("log", "_undated")}
    result["day_counts"] = result["day_counts"].reindex(columns=DAY_COUNT_COLUMNS)
    for name in ("extraction", "membership", "trials"):
        if len(result[name]):
            cols = {"value": "value", "extract_id": "trial_id", "status": "status"}
            _schema_check(result[name].drop(columns=EXTRA_COLUMNS, errors="ignore"), name, places[name], cols)
    _check_combined(result["extraction"], ledger["extraction"], places["extraction"])
    result["log"] = pd.DataFrame(out["log"], columns=LOG_COLUMNS)
    result["not_reported"] = result["not_reported"].reindex(columns=NOT_REPORTED_COLUMNS)
    result["risk_of_bias"] = result["risk_of_bias"].reindex(columns=ROB_COLUMNS)
    return result


DAY_COUNT_COLUMNS = ["trial_id", "outcome", "timepoint", "time_days", "source", "locator", "quote", "status",
                     "derivation", "contributor", "contributed_on"]


def _same_label(frame, trial_id, outcome, label):
    t = frame.timepoint.fillna("").astype(str).str.strip().str.lower()
    return (frame.trial_id == trial_id) & (frame.outcome == outcome) & (t == str(label).strip().lower())


def _pair_time_points(out, raw):
    """Pair the numbers given at a time point without a day count with the ledger's. A day count (a numbers row
    of statistic ``time_days``) must name a time point the ledger or the contribution has numbers at. A number
    without a day count is accepted at a time point the ledger states (it takes the ledger's day count, or the one
    this contribution gives, or stays unplaced: the clean stage then says so); anywhere else it needs its own."""
    given = pd.DataFrame(out["extraction"], columns=["trial_id", "outcome", "timepoint"])
    for d, where in out["day_counts"]:
        if not (_same_label(raw, d["trial_id"], d["outcome"], d["timepoint"]).any()
                or _same_label(given, d["trial_id"], d["outcome"], d["timepoint"]).any()):
            raise LedgerError(f"{where('timepoint')}: no number of {d['trial_id']} ({d['outcome']}) is at "
                              f"{d['timepoint']!r}, in the ledger or in this contribution; a day count belongs to a "
                              "time point that has numbers")
    out["day_counts"] = [d for d, _ in out["day_counts"]]
    counted = pd.DataFrame(out["day_counts"], columns=DAY_COUNT_COLUMNS)
    for i, where, window in out["_undated"]:
        r = out["extraction"][i]
        ledger = raw[_same_label(raw, r["trial_id"], r["outcome"], r["timepoint"])]
        days = ledger.time_days.dropna().unique()
        if len(days) == 1:
            r["time_days"] = float(days[0])
        elif ledger.empty and not _same_label(counted, r["trial_id"], r["outcome"], r["timepoint"]).any():
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
    if row["statistic"] in ("sd", "se", "pm") and value <= 0:
        raise LedgerError(f"{where('value')}: {row['statistic']} must be > 0, got {row['value']}")
    if row["statistic"] == "n" and value < 1:
        raise LedgerError(f"{where('value')}: n must be >= 1, got {row['value']}")
    if row["statistic"] in ("events", "percent") and value < 0:
        raise LedgerError(f"{where('value')}: {row['statistic']} must be >= 0, got {row['value']}")
    key = (row["trial_id"], row["outcome"], _time_key(row["timepoint"], days), row["arm"], row["statistic"])
    if key in seen:
        when = row["timepoint"] or (f"day {days:g}" if days is not None else "no time point")
        cell = ", ".join((row["trial_id"], row["outcome"], when, row["arm"], row["statistic"]))
        raise LedgerError(f"{where('value')}: the same cell ({cell}) is already given at {seen[key]}; give each "
                          "cell once")
    seen[key] = f"{where.path}, sheet '{where.sheet}', row {where.row}"
    tp = row["timepoint"] or (f"day {days:g}" if days is not None else "")
    xid = "-".join(x for x in (row["trial_id"], _slug(row["outcome"]), _slug(tp) or "any", row["arm"],
                               row["statistic"], "fulltext") if x)
    out["extraction"].append({"extract_id": xid, "trial_id": row["trial_id"], "outcome": row["outcome"],
                              "timepoint": row["timepoint"] or None, "time_days": days, "arm": row["arm"],
                              "statistic": row["statistic"], "qualifier": None, "value": value,
                              "scale": row["scale"], "source": row["source"], "locator": row["locator"],
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


def _trial_row(row, where, known, stamp, origin, out, places, seen):
    tid = row["trial_id"]
    if tid in known:
        raise LedgerError(f"{where('trial_id')}: {tid!r} is already in the ledger; give its numbers in the numbers "
                          "sheet")
    if not re.fullmatch(TRIAL_ID.strip("^$"), tid):
        raise LedgerError(f"{where('trial_id')}: {tid!r} is not a trial id: first author's surname + year, lower "
                          "case ASCII, e.g. smith2004")
    _require(row, ["first_author", "year", "design", "condition", "pain_type", "crps", "route", "regimen", "source",
                   "locator", "quote", "included_source", "included_locator", "included_quote"], where,
             "a new trial needs its citation, design and the evidence that the review includes it")
    if bool(row["no_id_reason"]) == any(row[c] for c in ("doi", "pmid", "pmcid", "registry_id")):
        raise LedgerError(f"{where('no_id_reason')}: give the trial's doi, pmid, pmcid or registry_id, or say in "
                          "no_id_reason why it has none (not both)")
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
            out["extraction"].append({"extract_id": f"{tid}-randomised-{arm}-n-fulltext", "trial_id": tid,
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


RM5_CELLS = {"DICH_DATA": (("ketamine", "events", "EVENTS_1"), ("ketamine", "n", "TOTAL_1"),
                            ("control", "events", "EVENTS_2"), ("control", "n", "TOTAL_2")),
             "CONT_DATA": (("ketamine", "mean", "MEAN_1"), ("ketamine", "sd", "SD_1"), ("ketamine", "n", "TOTAL_1"),
                           ("control", "mean", "MEAN_2"), ("control", "sd", "SD_2"), ("control", "n", "TOTAL_2"))}


def _rm5_rows(path, ledger, selected, specs, out, places, seen):
    """A review's own RevMan 5 file (``data/contrib/<review>.rm5``): the study data of every analysis that the
    review's spec maps to a RevMan analysis (``rm5_analysis``), as ledger rows of the spec's outcome and time
    point. Each value is quoted as the XML attribute that stores it; studies are matched to ledger trials by
    name and year."""
    import xml.etree.ElementTree as ET

    review = path.stem
    if review not in selected:
        raise LedgerError(f"{path}: a RevMan file is named after its review (e.g. zhao2018.rm5); {review!r} is not "
                          f"a selected review (config reviews: {', '.join(selected)})")
    spec = specs[review]
    mapped = {a["rm5_analysis"]: (k, a) for k, a in spec["analyses"].items() if a.get("rm5_analysis")}
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise LedgerError(f"{path}: not a well-formed RevMan 5 XML file ({e})") from None
    found = {o.get("ID"): o for kind in ("DICH_OUTCOME", "CONT_OUTCOME") for o in root.iter(kind)}
    if not mapped:
        listing = "; ".join(f"{i} {(o.findtext('NAME') or '').strip()}" for i, o in found.items())
        raise LedgerError(f"{path}: config/reviews/{review}.yaml maps no analysis to this file; add rm5_analysis: "
                          f"<ID> to the analyses it holds ({listing})")
    doi = re.search(r"10\.\d{4,9}/[^\s;,]+", spec["citation"])
    url = re.search(r"https?://\S+", spec["citation"])
    source = f"https://doi.org/{doi.group(0).rstrip('.')}" if doi else url.group(0) if url else None
    if source is None:
        raise LedgerError(f"config/reviews/{review}.yaml, citation: no DOI or URL, so the rows of {path} would have "
                          "no source; add the review's DOI to its citation")
    names = {s.get("ID"): (s.get("NAME") or "", s.get("YEAR") or "") for s in root.iter("STUDY")}
    trials = ledger["trials"]
    surname = trials.first_author.astype(str).str.split().str[0].str.lower().str.replace(r"[^a-z]", "", regex=True)
    stamp = {"source_kind": "revman", "contributor": f"RevMan file {path.name}",
             "contributed_on": (root.get("MODIFIED") or "")[:10] or None}
    for aid, (key, a) in sorted(mapped.items()):
        if aid not in found:
            raise LedgerError(f"{path}: config/reviews/{review}.yaml, analyses.{key}.rm5_analysis: {aid!r} is not "
                              f"in the file; it has: {', '.join(found)}")
        tp = a.get("timepoint") or {}
        for d in found[aid]:
            if d.tag not in RM5_CELLS:
                continue
            sid = d.get("STUDY_ID")
            name, year = names.get(sid, ("", ""))
            where = f"{path}, <{d.tag} STUDY_ID={sid}> in {aid}"
            hit = trials[(surname == re.sub(r"[^a-z]", "", name.split()[0].lower() if name else ""))
                         & (trials.year.astype(float) == float(year or "nan"))]
            if len(hit) != 1:
                raise LedgerError(f"{where}: study {name} {year} matches {len(hit)} ledger trials by first author "
                                  "and year; add the trial to data/raw/trials.csv (or a worksheet's trials sheet)")
            tid = hit.trial_id.iloc[0]
            for arm, stat, attr in RM5_CELLS[d.tag]:
                if d.get(attr) in (None, ""):
                    continue
                quote = f'{attr}="{d.get(attr)}"'
                key_ = (tid, a["outcomes"][0], _time_key(tp.get("label"), tp.get("target_days", tp.get("min_days"))),
                        arm, stat)
                if key_ in seen:
                    raise LedgerError(f"{where}, attribute {attr}: the same cell is already given at {seen[key_]}")
                seen[key_] = f"{where}, attribute {attr}"
                out["extraction"].append({
                    "extract_id": f"{tid}-{_slug(a['outcomes'][0])}-{_slug(aid)}-{arm}-{stat}-revman",
                    "trial_id": tid, "outcome": a["outcomes"][0], "timepoint": tp.get("label"),
                    "time_days": tp.get("target_days", tp.get("min_days")), "arm": arm, "statistic": stat,
                    "qualifier": None, "value": float(d.get(attr)), "scale": "count" if d.tag == "DICH_DATA"
                    else "other", "source": source, "locator": f"{path.name}, <{d.tag} STUDY_ID={sid}> in {aid}",
                    "quote": quote, "status": "verified", "derivation": None,
                    "notes": f"the review's own RevMan data for analysis {key} ({aid})", **stamp})
                places["extraction"].append(lambda col, w=where, at=attr: f"{w}, attribute {at} ({col})")
                days = tp.get("target_days", tp.get("min_days"))
                out["log"].append({"origin": f"{where}, attribute {attr}", "became": f"extraction {tid} {arm} {stat}",
                                   "file": str(path), "sheet": "revman", "review": review, "trial_id": tid,
                                   "outcome": a["outcomes"][0], "timepoint": tp.get("label") or "",
                                   "time_days": "" if days is None else f"{days:g}", "arm": arm, "statistic": stat,
                                   "value": d.get(attr)})


def _check_combined(contributed, raw, places):
    """events <= n and CI order, over contributed and ledger rows of the same trial, outcome, time and arm (a
    contributed statistic stands in for the ledger's)."""
    if contributed.empty:
        return
    both = pd.concat([raw.assign(_i=-1), contributed.assign(_i=range(len(contributed)))], ignore_index=True)
    both["_t"] = [_time_key(t, d) for t, d in zip(both.timepoint, both.time_days, strict=True)]
    for _, g in both.groupby(["trial_id", "outcome", "_t", "arm"], dropna=False):
        if not (g._i >= 0).any():
            continue
        stat = {s: (v, i) for s, v, i in zip(g.statistic, g.value, g._i, strict=True)}  # contributed rows last
        for lo, hi, what in (("events", "n", "events {:g} exceed n {:g}"),
                             ("ci_low", "ci_high", "CI lower bound {:g} exceeds the upper bound {:g}")):
            if lo in stat and hi in stat and stat[lo][0] > stat[hi][0]:
                i = stat[lo][1] if stat[lo][1] >= 0 else stat[hi][1]
                raise LedgerError(f"{places[i]('value')}: {what.format(stat[lo][0], stat[hi][0])} for the same "
                                  "trial, outcome, time and arm")


# ----------------------------------------------------------------------------------------------- merging

def merge(ledger, contrib):
    """The processed ledger with the contributions merged in; new ``conflicts`` rows for disagreements.

    A contributed number equal to a ledger row at the same trial, outcome, time, arm and statistic corroborates
    it (kept once, the ledger's row); a different one keeps both rows, tagged ``reading`` ledger / contribution
    with a shared ``conflict_id``.
    """
    out = {k: v.copy() for k, v in ledger.items()}
    for name in ("trials", "membership", "extraction"):
        for c in EXTRA_COLUMNS:
            if c not in out[name]:
                out[name][c] = None
    x, c = out["extraction"], contrib["extraction"].copy()
    _apply_day_counts(contrib.get("day_counts"), x, c)
    conflicts, keep = [], []
    tkey = [_time_key(t, d) for t, d in zip(x.timepoint, x.time_days, strict=True)]
    for _, r in c.iterrows():
        same = x[(x.trial_id == r.trial_id) & (x.outcome == r.outcome) & (x.arm == r.arm)
                 & (x.statistic == r.statistic)
                 & (pd.Series(tkey, index=x.index) == _time_key(r.timepoint, r.time_days))]
        if same.empty:
            keep.append(r)
            continue
        old = same.iloc[0]
        if abs(float(old.value) - r.value) <= 1e-9 * max(1.0, abs(r.value)):
            continue  # the full text corroborates the ledger row
        cid = f"contrib-{r.extract_id}"
        x.loc[same.index, ["reading", "conflict_id"]] = ["ledger", cid]
        keep.append(r.to_dict() | {"reading": "contribution", "conflict_id": cid})
        conflicts.append({"conflict_id": cid, "trial_id": r.trial_id,
                          "field": f"{r.outcome} {r.arm} {r.statistic} at "
                                   f"{r.timepoint or _time_key(None, r.time_days)}",
                          "value_a": f"{float(old.value):g}", "source_a": old.source, "quote_a": old.quote,
                          "value_b": f"{r.value:g}", "source_b": r.source, "quote_b": r.quote,
                          "note": f"ledger row {old.extract_id} against the full text read by {r.contributor} on "
                                  f"{r.contributed_on}; config conflict_rule picks the primary reading, the other "
                                  "runs as the conflict_alt sensitivity analysis"})
    add = pd.DataFrame([dict(k) for k in keep]) if keep else c.iloc[0:0]
    out["extraction"] = pd.concat([x, add], ignore_index=True) if len(add) else x
    mem, cm = out["membership"], contrib["membership"]
    for _, r in cm.iterrows():
        hit = (mem.review == r.review) & (mem.trial_id == r.trial_id)
        mem = mem[~hit]
        if r.status != "excluded":
            mem = pd.concat([mem, pd.DataFrame([r.to_dict()])], ignore_index=True)
    out["membership"] = mem.sort_values(["review", "trial_id"], kind="stable").reset_index(drop=True)
    if len(contrib["trials"]):
        out["trials"] = pd.concat([out["trials"], contrib["trials"]], ignore_index=True)
    if conflicts:
        out["conflicts"] = pd.concat([out["conflicts"], pd.DataFrame(conflicts)], ignore_index=True)
    out["not_reported"] = contrib["not_reported"]
    out["risk_of_bias"] = contrib["risk_of_bias"]
    return out


def _apply_day_counts(day_counts, *frames):
    """A reader's day count goes to every row (ledger and contributed) of its trial and outcome at its time point
    that has none; the row's notes say where it was read."""
    if day_counts is None or day_counts.empty:
        return
    for d in day_counts.itertuples():
        note = (f"time_days {d.time_days:g} from the full text ({d.locator}: {d.quote!r}), read by {d.contributor} "
                f"on {d.contributed_on}")
        for f in frames:
            if f.empty:
                continue
            hit = _same_label(f, d.trial_id, d.outcome, d.timepoint) & f.time_days.isna()
            f.loc[hit, "time_days"] = d.time_days
            f.loc[hit, "notes"] = [f"{n}; {note}" if isinstance(n, str) and n else note for n in f.loc[hit, "notes"]]
