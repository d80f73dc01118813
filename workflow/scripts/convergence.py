"""Convergence: per review, cells filled of needed and published figures reproduced / partial / not."""

import json
from pathlib import Path

import pandas as pd

from ketamine_ma.stages import io, worksheets


def main(smk):
    counts = [json.loads(Path(f).read_text()) for f in smk.input.counts]
    table = worksheets.convergence(counts, pd.read_csv(smk.input.reproduction))
    io.write_csv(table, smk.output.table)
    io.write_text(worksheets.summary_lines(table), smk.output.text)
    Path(smk.log[0]).write_text(worksheets.summary_lines(table))


io.run(main, snakemake)  # noqa: F821
