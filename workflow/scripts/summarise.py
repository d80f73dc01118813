"""Gather every pooled row into results/summary/pooled.csv, one row per key (checked before writing)."""

from pathlib import Path

import pandas as pd

from ketamine_ma.stages import io, summary


def main(smk):
    out = summary.summary(pd.read_csv(f) for f in smk.input.pooled)
    io.write_csv(out, smk.output[0])
    Path(smk.log[0]).write_text(f"{len(out)} pooled rows\n")


io.run(main, snakemake)  # noqa: F821
