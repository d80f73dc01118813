"""Execute the narrative notebooks (papermill, one shared kernel) into results/notebooks/, with static HTML copies."""

from ketamine_ma.outputs import notebooks
from ketamine_ma.stages import io


def main(smk):
    runs = [(n["template"], n["ipynb"], n["html"], n["parameters"]) for n in smk.params.notebooks.values()]
    with open(smk.log[0], "w") as log:
        notebooks.execute_all(runs, cwd=".", log=log)
        log.write("".join(f"executed {t} into {ipynb}\n" for t, ipynb, _, _ in runs))


io.run(main, snakemake)  # noqa: F821
