"""Completing a review from the full text, the extract stage's part: contributions read and merged.

Kept apart from ``steps`` so that an edit to the contribution reader reruns no pooling (a rule's code input is
what its script imports).
"""

from __future__ import annotations

import pandas as pd

from ..ledger import fulltext
from ..ledger.contrib import merge, validate


def documents(index, pages, folder):
    """The full texts of the run (none without an index): the index table and the page texts of its checksums."""
    if not index:
        return fulltext.Documents([], {}, folder)
    rows = pd.read_csv(index, dtype=str, keep_default_na=False).to_dict("records")
    return fulltext.load(rows, pages, folder)


def contribute(ledger, units, reviews, specs, docs=None):
    """The review's processed ledger: ``ledger`` (the validated raw tables) with the contributions merged in;
    and the contribution log. Raises ``LedgerError`` (file, sheet, row, column) before anything is written.

    With full texts (``docs``), every ledger and contributed row whose source is one of them is verified on its
    page and carries where (``verified_file``, ``verified_sha256``, ``verified_page``); every extraction row gets
    its ``verification`` level (full_text, abstract, none)."""
    verify = None
    if docs is not None:
        def verify(rows, places, table):
            fulltext.verify_rows(rows, places, docs, table)

    c = validate.read_contributions(units, ledger, reviews, specs, verify=verify)
    if docs is not None:  # the ledger's own rows after the contributions: the reader's current work is named first
        ledger = {**ledger, **{t: fulltext.verify_table(ledger[t], docs, t, f"data/raw/{t}.csv")
                               for t in ("extraction", "published", "membership", "trials")}}
    merged = merge.merge(ledger, c)
    x = merged["extraction"]
    for col in fulltext.VERIFIED:
        if col not in x:
            x[col] = None
    x["verified_page"] = pd.to_numeric(x["verified_page"]).astype("Int64")  # a page is printed as 14, not 14.0
    x["verification"] = [fulltext.level(r) for r in x.to_dict("records")]
    return merged, c["log"]
