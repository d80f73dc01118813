"""Completing a review from the full text, the extract stage's part: contributions read and merged.

Kept apart from ``steps`` and from the worksheet glue (``stages.worksheets``) so that only the contribute jobs
depend on ``ledger.contrib`` and an edit to the worksheet writer reruns no pooling (a rule's code input is what
its script imports).
"""

from __future__ import annotations

import pandas as pd

from ..ledger import contrib
from ..ledger.vocabulary import MERGED  # noqa: F401 (the tables the contribute job writes)


def read_ledger(paths):
    """Processed ledger tables by name (``paths``: ``{name: path}``), empty cells as missing."""
    return {name: pd.read_csv(path, keep_default_na=True) for name, path in paths.items()}


def contribute(ledger, units, reviews, specs):
    """The review's processed ledger: ``ledger`` (the validated raw tables) with the contributions merged in;
    and the contribution log. Raises ``LedgerError`` (file, sheet, row, column) before anything is written."""
    c = contrib.read_contributions(units, ledger, reviews, specs)
    return contrib.merge(ledger, c), c["log"]
