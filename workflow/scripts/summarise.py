"""Gather every pooled row into results/summary/pooled.csv."""

from pathlib import Path

import pandas as pd

from ketamine_ma.stages import io


def main(smk):
    frames = [pd.read_csv(f) for f in smk.input.pooled]
    frames = [f for f in frames if len(f)]
    out = pd.concat(frames, ignore_index=True)
    io.write_csv(out, smk.output[0])
    Path(smk.log[0]).write_text(f"{len(out)} pooled rows\n")


io.run(main, snakemake)  # noqa: F821
