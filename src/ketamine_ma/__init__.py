"""Reproducible re-analysis of meta-analyses of intravenous ketamine for chronic pain.

Plain functions on plain data (numpy arrays, tidy pandas DataFrames), one module per concern:
``effects`` (effect sizes), ``conversions`` (what papers print → what pooling needs), ``pooling`` (fixed,
random, Mantel–Haenszel), ``heterogeneity``, ``subgroups``, ``sensitivity``, ``ledger`` (the evidence tables),
``plots``. Names follow metafor (``yi``, ``vi``, ``tau2``, ``i2``).
"""

__version__ = "0.1.0"
