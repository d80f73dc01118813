"""Execute one narrative notebook (papermill) into results/notebooks/, with a static HTML copy."""

from pathlib import Path

from ketamine_ma.outputs import notebooks
from ketamine_ma.stages import io


def main(smk):
    nb = notebooks.execute(smk.input.template, smk.output.ipynb, dict(smk.params.parameters), cwd=".")
    notebooks.to_html(nb, smk.output.html)
    Path(smk.log[0]).write_text(f"executed {smk.input.template}\n")


io.run(main, snakemake)  # noqa: F821
