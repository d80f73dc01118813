"""Forest plot of one primary analysis (SVG and PNG)."""

from pathlib import Path

import pandas as pd

from ketamine_ma import io, plots


def main(smk):
    studies, pooled = pd.read_csv(smk.input.studies), pd.read_csv(smk.input.pooled)
    plots.forest(studies, pooled.iloc[0], smk.params.label, smk.output.svg, smk.output.png, smk.params.arms,
                 smk.params.lower_is_better)
    Path(smk.log[0]).write_text(f"{len(studies)} studies plotted\n")


io.run(main, snakemake)  # noqa: F821
