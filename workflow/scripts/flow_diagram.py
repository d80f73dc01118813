"""A PRISMA 2020-style flow of one review's trials."""

from pathlib import Path

import pandas as pd

from ketamine_ma.outputs import plots
from ketamine_ma.stages import io, steps


def main(smk):
    review = smk.wildcards.review
    counts = steps.flow_counts(review, pd.read_csv(smk.input.membership), pd.read_csv(smk.input.published),
                                pd.read_csv(smk.input.pooled), smk.params.policy, smk.params.analyses)
    plots.flow(counts, review, smk.output.svg, smk.output.png)
    Path(smk.log[0]).write_text(str(counts) + "\n")


io.run(main, snakemake)  # noqa: F821
