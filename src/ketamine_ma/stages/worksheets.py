"""Completing a review from the full text, the output side: worksheets and the convergence summary."""

from __future__ import annotations

import pandas as pd

from ..outputs import worksheets as ws


def worksheet(known, docs=None, pictures=None):
    """Sheets, cell counts and what was read from the PDFs (``outputs.worksheets.figures_read``) of one review's
    worksheet (``known``: ``outputs.worksheets.Known``); with full texts (``docs``), hints for every empty cell and
    the numbers proposed from the review's own forest plots and tables, which the figures pages show beside their
    pictures (``pictures``: ``ledger.pictures.pictures`` of the PDFs)."""
    review = known.review
    read, seen = ws.proposal_sheets(review, known.spec, known.ledger, docs) if docs is not None else (None, None)
    sheets, counts = ws.build(known, read=read)
    if docs is not None:
        sheets["numbers"] = ws.with_hints(sheets["numbers"], known.ledger["trials"], docs, review)
        return sheets, counts, ws.figures_read(review, seen, pictures or {})
    return sheets, counts, ws.figures_read(review, {"documents": [], "figures": []}, {})


def convergence(counts, reproduction):
    """One row per review: cells filled of needed, and its published figures by reproduction status."""
    rows = []
    for c in counts:
        rep = reproduction[reproduction.review == c["review"]]
        n = rep.status.value_counts()
        rows.append({"cells_contributed": 0, **c, "figures": len(rep), "reproduced": int(n.get("reproduced", 0)),
                     "partial": int(n.get("partial", 0)), "not_reproducible": int(n.get("not_reproducible", 0)),
                     "not_computed": int(n.get("not_computed", 0))})
    return pd.DataFrame(rows, columns=["review", "cells_needed", "cells_filled", "cells_not_reported",
                                       "cells_contributed", "figures", "reproduced", "partial", "not_reproducible",
                                       "not_computed"])


def summary_lines(table):
    """The console summary a run ends with."""
    lines = ["Completion (cells from the full text; published figures re-run):"]
    for r in table.itertuples():
        nr = f", {r.cells_not_reported} not reported" if r.cells_not_reported else ""
        if not r.cells_needed:
            nr = " (no included trial confirmed yet: see the worksheet's membership sheet)"
        if r.cells_contributed:  # every cell contributed so far, across files and rounds
            nr = f" ({r.cells_contributed} contributed){nr}"
        lines.append(f"  {r.review:<12} cells filled {r.cells_filled} of {r.cells_needed}{nr}; figures "
                     f"{r.reproduced} reproduced, {r.partial} partial, {r.not_reproducible} not reproducible"
                     + (f", {r.not_computed} not computed" if r.not_computed else "") + " "
                     f"(worksheet: results/worksheets/{r.review}.xlsx)")
    return "\n".join(lines) + "\n"
