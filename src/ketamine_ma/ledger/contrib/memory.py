"""What the last successful run merged from the contributions, kept in the contributions folder, so that a cell
no contribution gives any more stops the next run (``lost_cells``) until ``removed.csv`` confirms its removal.
"""

from __future__ import annotations

import io as _io
from pathlib import Path

import pandas as pd

from ..vocabulary import LedgerError
from .read import cell_key, from_csv_text, given_rows, read_sheets

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


def given_cells(units):
    """The cells the contributions in ``units`` give now (``cell_key``s), read as the contribute job reads them
    (``given_rows``): an accepted proposal is the number it becomes, whichever sheet or cell accepted it. Read
    once per start and passed to ``lost_cells`` and ``revived``."""
    rm5 = [Path(u) for u in units if Path(u).suffix.lower() == ".rm5"]
    given = {cell_key(sheet, row) for u in units if Path(u) not in rm5
             for _, sheet, row in given_rows(read_sheets(u))}
    return given | {("revman", u.stem) for u in rm5}


def _removed(folder):
    path = Path(folder) / REMOVED
    return _read_list(path, KEY_COLUMNS) if path.exists() else pd.DataFrame(columns=KEY_COLUMNS)


def lost_cells(folder, given, reviews):
    """The rows of ``merged.csv`` for ``reviews`` whose cell the contributions no longer give (``given``:
    ``given_cells``) and ``removed.csv`` does not list; an empty table when none."""
    folder = Path(folder)
    if not (folder / MEMORY).exists():
        return pd.DataFrame(columns=MEMORY_COLUMNS)
    memory = _read_list(folder / MEMORY, MEMORY_COLUMNS)
    memory = memory[memory.review.isin(reviews)]
    given = given | {cell_key(r["sheet"], r) for _, r in _removed(folder).iterrows()}
    gone = [cell_key(r["sheet"], r) not in given for _, r in memory.iterrows()]
    return memory[gone].drop_duplicates([c for c in KEY_COLUMNS if c != "review"])


def revived(folder, given):
    """Lines of ``removed.csv`` (with their row numbers) whose cell a contribution gives again (``given``:
    ``given_cells``): left there, such a line would let a later loss of the cell pass unnoticed."""
    removed = _removed(folder)
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

