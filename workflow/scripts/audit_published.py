"""Audit the published figures: p against CI and CI symmetry (audit_published.csv), subgroup counts against the
review's totals (audit_totals.csv), printed percentages against printed counts (audit_percentages.csv)."""

from pathlib import Path

import pandas as pd

from ketamine_ma.outputs.audit import audit_percentages, audit_row, audit_totals
from ketamine_ma.stages import io


def main(smk):
    pub = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in smk.input.published])
    # one row per figure: a figure read in several places prints the same numbers (checked when the ledger loads)
    pub = pub[pub.review.isin(smk.params.reviews)].drop_duplicates(["review", "result_id"])
    rows = [{"review": r.review, "result_id": r.result_id, "measure": r.measure, "estimate": r.estimate,
             "ci_low": r.ci_low, "ci_high": r.ci_high, "p": r.p,
             # a ratio printed on its log scale is audited there, as a difference
             **audit_row(r.estimate, r.ci_low, r.ci_high, r.p, "MD" if r.scale == "log" else r.measure)}
            for r in pub.itertuples()]
    out = pd.DataFrame(rows, columns=["review", "result_id", "measure", "estimate", "ci_low", "ci_high", "p",
                                      "p_check", "ci_symmetry", "arithmetic"])
    io.write_csv(out, smk.output.published)
    io.write_csv(audit_totals(pub.replace({"": None})), smk.output.totals)
    io.write_csv(audit_percentages(pd.read_csv(smk.input.extraction)), smk.output.percentages)
    Path(smk.log[0]).write_text(out.p_check.value_counts().to_string() + "\n")


io.run(main, snakemake)  # noqa: F821
