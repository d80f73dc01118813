"""Execute the narrative notebooks (papermill, one shared kernel) into results/notebooks/, with static HTML copies."""

from pathlib import Path

from ketamine_ma.outputs import notebooks
from ketamine_ma.stages import io


def main(smk):
    runs = [(n["template"], n["ipynb"], n["html"], n["parameters"]) for n in smk.params.notebooks.values()]
    notebooks.execute_all(runs, cwd=".")
    Path(smk.log[0]).write_text("".join(f"executed {t} into {ipynb}\n" for t, ipynb, _, _ in runs))


io.run(main, snakemake)  # noqa: F821
