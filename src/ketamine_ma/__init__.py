"""Reproducible re-analysis of meta-analyses of intravenous ketamine for chronic pain.

Four subpackages, one import direction (``engine`` ← ``ledger`` ← ``outputs`` ← ``stages``; a module may import
only from its own subpackage and those to its left; ``tests/test_architecture.py`` enforces it):

- ``engine``: a general meta-analysis engine that knows nothing of ketamine, the ledger or the report: effect
  sizes, conversions, pooling, heterogeneity, subgroups, sensitivity analyses, the RevMan 5 reader. Plain
  functions on plain data; names follow metafor (``yi``, ``vi``, ``tau2``, ``i2``).
- ``ledger``: the evidence ledger: its vocabulary, pandera schemas, loading and evidence checks, the clean stage
  (ledger rows → study tables) and the conservation check.
- ``outputs``: what a reader looks at: plots, captions, the report, notebooks, the umbrella view, the audit of
  published figures and the reproduction table.
- ``stages``: the glue the workflow scripts call: stage functions, the analyse/sensitivity runner, atomic I/O
  and the user-error exit.

Subpackage ``__init__`` files import nothing, so a rule's code inputs (``workflow/rules/common.smk``) are exactly
the modules its script imports, transitively.
"""

__version__ = "0.1.0"
