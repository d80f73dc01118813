"""The meta-analysis engine: general, with no knowledge of ketamine, the ledger or the report.

``effects`` (study-level effect sizes), ``conversions`` (what papers print → what pooling needs), ``pooling``
(fixed, random, Mantel–Haenszel, RevMan's M-H random), ``heterogeneity``, ``subgroups``, ``sensitivity``,
``rm5`` (RevMan 5 files). Imports: numpy, scipy, pandas, PyMARE and its own modules only.
"""
