"""Completing a review from the full text: contributions in, worksheets out, the convergence summary.

Kept apart from ``steps`` so that only the jobs that read contributions or write worksheets depend on
``ledger.contrib`` and ``outputs.worksheets`` (a rule's code input is what its script imports).
"""

from __future__ import annotations

import pandas as pd

from ..ledger import contrib
from ..ledger.vocabulary import TABLES
from ..outputs import worksheets as ws

MERGED = (*TABLES, "not_reported", "risk_of_bias")


def read_ledger(paths):
    """Processed ledger tables by name (``paths``: ``{name: path}``), empty cells as missing."""
    return {name: pd.read_csv(path, keep_default_na=True) for name, path in paths.items()}


def contribute(ledger, units, reviews, specs):
    """The review's processed ledger: ``ledger`` (the validated raw tables) with the contributions merged in;
    and the contribution log. Raises ``LedgerError`` (file, sheet, row, column) before anything is written."""
    c = contrib.read_contributions(units, ledger, reviews, specs)
    return contrib.merge(ledger, c), c["log"]


def worksheet(review, spec, ledger, missing, policy):
    """Sheets and cell counts of one review's worksheet."""
    return ws.build(review, spec, ledger, missing, ledger["published"], policy)


def conformance_worksheet(review, spec, studies):
    return ws.build_conformance(review, spec, studies)


def convergence(counts, reproduction):
    """One row per review: cells filled of needed, and its published figures by reproduction status."""
    rows = []
    for c in counts:
        rep = reproduction[reproduction.review == c["review"]]
        n = rep.status.value_counts()
        rows.append({**c, "figures": len(rep), "reproduced": int(n.get("reproduced", 0)),
                     "partial": int(n.get("partial", 0)), "not_reproducible": int(n.get("not_reproducible", 0))})
    return pd.DataFrame(rows, columns=["review", "cells_needed", "cells_filled", "cells_not_reported", "figures",
                                       "reproduced", "partial", "not_reproducible"])


def summary_lines(table):
    """The console summary a run ends with."""
    lines = ["Completion (cells from the full text; published figures re-run):"]
    for r in table.itertuples():
        nr = f", {r.cells_not_reported} not reported" if r.cells_not_reported else ""
        if not r.cells_needed:
            nr = " (no included trial confirmed yet: see the worksheet's membership sheet)"
        lines.append(f"  {r.review:<12} cells filled {r.cells_filled} of {r.cells_needed}{nr}; figures "
                     f"{r.reproduced} reproduced, {r.partial} partial, {r.not_reproducible} not reproducible "
                     f"(worksheet: results/worksheets/{r.review}.xlsx)")
    return "\n".join(lines) + "\n"
