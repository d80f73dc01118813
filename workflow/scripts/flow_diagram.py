"""PRISMA 2020-style flows of the ledger reviews' trials, one diagram per review."""

from pathlib import Path

import pandas as pd

from ketamine_ma.outputs import plots
from ketamine_ma.stages import io, steps


def main(smk):
    membership, published = pd.read_csv(smk.input.membership), pd.read_csv(smk.input.published)
    pooled = pd.read_csv(smk.input.pooled)
    log = []
    for review, analyses in smk.params.analyses.items():
        counts = steps.flow_counts(review, membership, published, pooled, smk.params.policy, analyses,
                                   smk.params.primary[review])
        plots.flow(counts, review, plots.drawn(smk.output, smk.params.figures[review]), smk.params.dpi)
        log.append(f"{review}: {counts}")
    Path(smk.log[0]).write_text("\n".join(log) + "\n")


io.run(main, snakemake)  # noqa: F821
