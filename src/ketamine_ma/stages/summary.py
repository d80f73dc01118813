"""results/summary/pooled.csv: every pooled row of a run in one table.

Apart from the pooling (``analysis``) so that the job gathering the rows imports neither PyMARE nor SciPy; pandera
is imported where the table is checked, as the analyse jobs read only the column names.
"""

from __future__ import annotations

import pandas as pd

POOLED_COLUMNS = ["review", "outcome", "timepoint", "analysis", "measure", "method", "tau2_estimator", "ci_method",
                  "k", "n_participants", "estimate", "ci_low", "ci_high", "se", "p", "tau2", "i2", "q", "q_df",
                  "q_p", "pi_low", "pi_high", "tau2_ci_low", "tau2_ci_high", "h2", "stat", "scale", "trials",
                  "note"]

# One row of results/summary/pooled.csv per review, analysis, primary or sensitivity analysis (variants included)
# and omitted (leave-one-out) or added (cumulative) trial.
POOLED_KEY = ["review", "outcome", "analysis", "omitted", "added"]


def summary(frames):
    """Stack the pooled tables into results/summary/pooled.csv's table, checked against ``POOLED_KEY`` (pandera
    raises ``SchemaError`` naming the duplicated keys); every column appears, also when a run has no
    leave-one-out or cumulative rows."""
    import pandera.pandas as pa

    out = pd.concat([f for f in frames if len(f)], ignore_index=True)
    out = out.reindex(columns=list(dict.fromkeys([*POOLED_COLUMNS, *out.columns, "omitted", "added"])))
    text = pa.Column(str, nullable=False)
    schema = pa.DataFrameSchema({"review": text, "outcome": text, "analysis": text}, unique=POOLED_KEY,
                                report_duplicates="all")
    return schema.validate(out)
