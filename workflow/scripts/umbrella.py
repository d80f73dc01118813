"""The four reviews side by side: umbrella table and forest plot, trial overlap with the CCA."""

from pathlib import Path

import pandas as pd

from ketamine_ma.outputs import plots
from ketamine_ma.outputs.umbrella import overlap, umbrella_table
from ketamine_ma.stages import io


def main(smk):
    pub, mem = pd.read_csv(smk.input.published), pd.read_csv(smk.input.membership)
    reviews = smk.params.reviews
    table = umbrella_table(pub, mem, reviews)
    io.write_csv(table, smk.output.table)
    rows = []
    for label in ("confirmed", "confirmed+candidate"):  # membership policies
        mat, cca = overlap(mem, reviews, label)
        rows.append(mat.reset_index(names="review").assign(membership=label, cca=cca))
        if label == "confirmed+candidate":
            plots.overlap_heatmap(mat, cca, "Trials shared between reviews (confirmed + candidate)",
                                  plots.drawn(smk.output, smk.output.overlap_svg), smk.params.dpi)
    io.write_csv(pd.concat(rows), smk.output.overlap)
    plots.umbrella_forest(table, plots.drawn(smk.output, smk.output.forest_svg), smk.params.dpi)
    Path(smk.log[0]).write_text(f"{len(table)} published figures\n")


io.run(main, snakemake)  # noqa: F821
