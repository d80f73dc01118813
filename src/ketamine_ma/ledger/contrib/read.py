"""Reading contributions (``data/contrib/``): what a filled worksheet is, and its sheets as text.

A worksheet (``results/worksheets/<review>.xlsx`` or the folder of its CSV twins) has the sheets of ``LAYOUT``.
The pre-filled columns say what is asked; the contributor fills the others (``FILLED``), choosing from ``ENUMS``
where the worksheet offers a drop-down. The CSV twins write formula-like text inert (``csv_text``); the reader
undoes it. A review's own RevMan file (``<review>.rm5``) is read by the one RevMan reader, ``engine.rm5``
(``ledger.contrib.revman``). ``mentions`` routes a contribution to the reviews it touches at DAG-build time.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

import pandas as pd

from ..rows import time_key
from ..vocabulary import (
    ARMS,
    CONTROL,
    DAY_COUNT,
    DESIGNS,
    ESTIMATE_MEASURES,
    EXPERIMENTAL,
    FIGURE_KINDS,
    FORMER_ARMS,
    GROUPING_QUOTE,
    MEMBERSHIP_SHEET,
    RANDOMISED,
    SCALES,
    SHEETS,
    STATISTICS,
    TRIAL_ATTRIBUTES,
    LedgerError,
)
from .route import unit_files

ROB_DOMAINS = ("d1_randomisation", "d2_deviations", "d3_missing_data", "d4_measurement", "d5_reporting", "overall")
# The trials sheet's arm sizes (randomised), one column per arm role.
SIZE_COLUMNS = {arm: f"n_{arm}" for arm in (EXPERIMENTAL, CONTROL)}
LAYOUT = {
    "readme": ["field", "value"],
    "membership": list(MEMBERSHIP_SHEET),
    "numbers": ["review", "analyses", "trial_id", "study", "timepoint_rule", "why", "outcome", "timepoint",
                "time_days", "arm", "statistic", "measure", "scale", "value", "derivation", "not_reported", "source",
                "locator", "quote"],
    "trials": ["review", "trial_id", "first_author", "year", "title", "journal", "doi", "pmid", "pmcid",
               "registry_id", "no_id_reason", "design",
               "randomised", "condition", "pain_type", "crps", "route", "regimen", "dose_mg_kg", "control", "country",
               *SIZE_COLUMNS.values(), "source", "locator", "quote", "included_source", "included_locator",
               "included_quote"],
    "risk_of_bias": ["review", "trial_id", "study", *(c for d in ROB_DOMAINS for c in (d, f"{d}_support")), "source",
                     "locator"],
    # a review's forest plots and tables read from its PDFs (ledger.proposals): one row per figure, one per cell
    "figures": ["review", "source", "page", "figure", "measure", "model", "study_rows", "matched", "self_check",
                "pool_check", "unmatched", "problems", "picture", "outcome", "scale", "accept"],
    "proposals": ["review", "figure", "trial_id", "study", "outcome", "arm", "statistic", "measure", "scale", "value",
                  "derivation", "source", "locator", "quote", "self_check", "check", "box", "picture", "accept"],
}
# A row contributed in an earlier round comes back in the next worksheet with who read it and when (a worksheet
# saved over the old one keeps it, with its own provenance); empty on a new row (the readme's contributor and date
# apply). Optional when read: a worksheet made before these columns existed still reads.
STAMP = ("contributor", "contributed_on")
# The effect measure a between-arm estimate names (arm difference): optional when read, as STAMP.
OPTIONAL = (*STAMP, "measure")
for _sheet in ("membership", "numbers", "trials", "risk_of_bias", "proposals"):
    LAYOUT[_sheet] = [*LAYOUT[_sheet], *STAMP]
# Columns of one sheet a worksheet may lack, read as empty (as OPTIONAL): those added after worksheets were handed
# out (a figure's outcome and scale), and a review's own trial attributes, which only the worksheets of the reviews
# that declare them show (``review_columns``).
SHEET_OPTIONAL = {("figures", "outcome"), ("figures", "scale"), *(("trials", c) for c in TRIAL_ATTRIBUTES)}
# A trial sheet's former column names (its arm sizes named by the arms' former names), read as today's.
FORMER_COLUMNS = {"trials": {f"n_{old}": f"n_{new}" for old, new in FORMER_ARMS.items() if new in SIZE_COLUMNS}}
# Columns whose content means the contributor filled the row (the others are pre-filled context).
FILLED = {
    "membership": ["status", "locator", "quote"],
    "numbers": ["value", "derivation", "not_reported", "locator", "quote"],
    "trials": [c for c in LAYOUT["trials"] if c not in ("review", *STAMP)],
    "risk_of_bias": [c for c in LAYOUT["risk_of_bias"] if c not in ("review", "trial_id", "study", "source", *STAMP)],
    "figures": ["outcome", "scale", "accept"],
    "proposals": ["accept"],
}
# Drop-down values (worksheet data validation) and what the reader accepts.
ENUMS = {
    ("membership", "status"): ("confirmed", "excluded"),
    ("numbers", "arm"): ARMS,
    ("numbers", "statistic"): (*STATISTICS, DAY_COUNT),
    ("numbers", "measure"): ESTIMATE_MEASURES,
    ("numbers", "scale"): SCALES,
    ("numbers", "not_reported"): ("yes",),
    ("trials", "design"): DESIGNS,
    ("trials", "randomised"): RANDOMISED,
    **{("trials", c): v for c, v in TRIAL_ATTRIBUTES.items() if v},
    **{("risk_of_bias", d): ("low", "some concerns", "high") for d in ROB_DOMAINS},
    ("figures", "scale"): SCALES,
    ("figures", "accept"): ("yes",),
    ("proposals", "accept"): ("yes", "no"),
    # the published sheet's drop-downs (its columns are the published table's: a list for a column it has)
    ("published", "kind"): FIGURE_KINDS,
    ("published", "source_kind"): ("primary", "secondary"),
}
# A proposal's self-check verdicts (ledger.proposals); accepting a figure takes its rows that do not fail.
FAILS = "fails"


def accepted(sheets):
    """The proposals a reader accepted, as numbers rows (with their sheet row in ``_row``): a row marked 'yes',
    and every row of a figure marked 'yes' in the figures sheet whose self-check does not fail, unless marked
    'no'. A proposal nobody accepted is no contribution. A row without an outcome or a scale takes the one chosen
    for its figure in the figures sheet (a figure prints means and SDs, not the scale they are on; a review may
    analyse several outcomes by the figure's measure); ``_figure_row`` is that figure's sheet row (0 for none), so
    one chosen nowhere can be asked for there."""
    figures = sheets["figures"]
    chosen = set(zip(figures.source[figures.accept == "yes"], figures.figure[figures.accept == "yes"], strict=True))
    figures = figures.drop_duplicates(["source", "figure"], keep="last").set_index(["source", "figure"])
    p = sheets["proposals"]
    keep = [a == "yes" or (a != "no" and c != FAILS and (s, f) in chosen)
            for a, c, s, f in zip(p.accept, p.self_check, p.source, p.figure, strict=True)]
    out = p[pd.Series(keep, index=p.index, dtype=bool)].assign(accept="yes")
    at = figures.reindex(list(zip(out.source, out.figure, strict=True)))  # each row's figure
    out = out.assign(_figure_row=at["_row"].fillna(0).astype(int).tolist(),
                     **{c: [v or f for v, f in zip(out[c], at[c].fillna(""), strict=True)] for c in ("outcome",
                                                                                                   "scale")})
    return out.reindex(columns=[*LAYOUT["numbers"], "accept", "_row", "_figure_row"], fill_value="")


# The sheets a reader gives rows in, in the order they are read.
GIVEN_IN = ("membership", "numbers", "proposals", "trials", "risk_of_bias")


def given_rows(sheets):
    """Every row a contribution gives, as ``(given_in, sheet, row)``: the worksheet sheet it was given in and the
    ledger sheet it is checked and remembered as (an accepted proposal is a number read from the review's figure,
    ``accepted``). The one reading of what a worksheet gives: the reader (``validate``) and the memory of what was
    merged (``memory``) key its cells alike (``cell_key(sheet, row)``), whichever sheet they were given in."""
    for given_in in GIVEN_IN:
        sheet = "numbers" if given_in == "proposals" else given_in
        body = accepted(sheets) if given_in == "proposals" else sheets[sheet]
        for _, row in body.iterrows():
            # else an empty row: nothing contributed (on the membership sheet a review's groupings count too)
            if any(row[c] for c in [*FILLED[sheet], *extra_columns(sheet, row.index)]):
                yield given_in, sheet, row


META_FIELDS = ("review", "contributor", "date")


class Where:
    """A cell's address in a contribution: file, sheet, row (as a spreadsheet shows it) and column."""

    def __init__(self, path, sheet, row):
        self.path, self.sheet, self.row = path, sheet, row

    def __call__(self, column):
        return f"{self.path}, sheet '{self.sheet}', row {self.row}, column '{column}'"


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


def published_columns():
    """The published sheet's columns: the ledger's published table's (``ledger.schemas``, the one list, so the
    sheet follows the table), then who read the row and when. pandera is imported here, not with the module: the
    workflow routes contributions at every start without it."""
    from ..schemas import SCHEMAS

    return [*SCHEMAS["published"].columns, *STAMP]


def review_columns(name, spec):
    """A sheet's columns in the worksheet of the review of ``spec``: its trials sheet asks for the trial attributes
    the spec declares (``trial_attributes``), not the others."""
    mine = set(spec.get("trial_attributes") or ())
    return [c for c in LAYOUT[name] if name != "trials" or c not in TRIAL_ATTRIBUTES or c in mine]


def sheet_columns(name):
    """A sheet's columns as the worksheet writes them and the reader expects them."""
    return published_columns() if name == "published" else LAYOUT[name]


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
        cols = sheet_columns(name)
        df = sheets.get(name, pd.DataFrame(columns=[*cols, "_row"], dtype=str))
        former = FORMER_COLUMNS.get(name, {})
        df = df.rename(columns={c: former[c] for c in df.columns if c in former and former[c] not in df.columns})
        missing = [c for c in cols if c not in df.columns and c not in OPTIONAL and (name, c) not in SHEET_OPTIONAL]
        if missing and name in sheets:
            raise LedgerError(f"{sheet_file(unit, name)}, sheet '{name}', row 1: missing column(s) "
                              f"{', '.join(missing)}; expected {', '.join(cols)} (regenerate the worksheet: "
                              "snakemake worksheets)")
        sheets[name] = df.reindex(columns=[*cols, *extra_columns(name, df.columns), "_row"], fill_value="")
    return sheets


def extra_columns(name, columns):
    """The columns of a sheet beyond its layout that the reader keeps: on the membership sheet, a review's
    groupings and their quotes (checked against the review's spec: ``ledger.contrib.sheet_rows.groupings``)."""
    return [c for c in columns if name == "membership" and c and c not in (*LAYOUT[name], "_row")]


def arm_names(spec):
    """``{ledger arm: the worksheet's name of it}`` for a review: its experimental and control arms (the ledger's
    first two ARMS, whose names the ledger's ids keep) and their second arms by the spec's ``arms`` labels, the
    others (total, baseline, difference) as the ledger names them."""
    names = dict(zip(ARMS[:2], spec.get("arms") or ARMS[:2], strict=True))
    names.update({f"{a}_2": f"{names[a]} 2" for a in ARMS[:2]})
    return {a: names.get(a, a) for a in ARMS}


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def arm_id(arm, spec):
    """An arm as the review names it, in the ids of the rows it contributes: the experimental and control arms
    (the ledger's first two ARMS) by the spec's arm labels, a second such arm with its number; the others
    (baseline, total, difference) by their ledger name: an id says the review's words, not the ledger's role names."""
    base, _, n = arm.partition("_")
    names = dict(zip(ARMS[:2], map(slug, spec.get("arms", ARMS[:2])), strict=True))
    return names.get(base, base) + (f"_{n}" if n else "")


def grouping_columns(groupings):
    """The membership sheet's columns of a review's ``groupings`` (its spec's): each grouping's value, then the
    review's quote that puts the trial in it."""
    return [c for g in groupings for c in (g, GROUPING_QUOTE.format(g))]


def sheet_file(unit, sheet):
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


def filled_row(name, cells):
    """A row the reader filled: a column they fill has text (on the published sheet: any but its review)."""
    if name == "published":
        return any(v for c, v in cells.items() if c not in ("review", *STAMP))
    return any(cells.get(c) for c in [*FILLED[name], *extra_columns(name, cells)])


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
            if name == "readme" or filled_row(name, cells):
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


def published_ids(units):
    """``(review, result_id)`` of every figure the contributions' published sheets give, read cheaply when the
    workflow starts (a spec may name them beside data/raw/published.csv's); an unreadable contribution gives none
    here (the contribute job reports it)."""
    out = set()
    for unit in units:
        if Path(unit).suffix.lower() == ".rm5":
            continue
        try:
            rows = filled_rows(unit)
        except Exception:  # the contribute job reports the defect properly
            continue
        out |= {(cells.get("review"), cells.get("result_id")) for name, _, cells in rows if name == "published"}
    return out


def routes(units, selected, ledger_reviews, membership):
    """``{review: [unit, ...]}``: each contribution goes to the ledger reviews it touches, the review its rows
    name and every review that includes one of its trials (the ledger is trial-centric; ``membership``: the raw
    membership table's path). A unit naming a review not ``selected``, or one that cannot be read, goes to every
    ledger review's job, which rejects it with the reason."""
    out = {r: [] for r in ledger_reviews}
    if not units:
        return out
    members = {}
    with open(membership, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            members.setdefault(row["review"], set()).add(row["trial_id"])
    for unit in units:
        reviews, trials = mentions(unit)
        if reviews is None or not reviews <= set(selected):
            targets = ledger_reviews
        else:
            targets = [r for r in ledger_reviews if r in reviews or members.get(r, set()) & trials]
        for r in targets:
            out[r].append(unit)
    return out


def cell_key(sheet, row):
    """What a filled worksheet row is about, the same whichever file or round it comes from: a number (or its
    not-reported mark) of one trial, outcome, time, arm and statistic; a review's membership decision or risk
    of bias judgement on a trial; a trial added to the ledger."""
    if sheet == "numbers":
        try:
            days = float(row["time_days"]) if row["time_days"] else None
        except ValueError:
            days = None
        return (sheet, row["trial_id"], row["outcome"], time_key(row["timepoint"], days), row["arm"],
                row["statistic"])
    if sheet == "trials":
        return (sheet, row["trial_id"])
    if sheet == "revman":  # the numbers of a review's own RevMan file come and go with the file
        return (sheet, row["review"])
    return (sheet, row["review"], row["trial_id"])

