"""The HTML report (results/report/index.html)."""

from pathlib import Path

from ketamine_ma.outputs import report
from ketamine_ma.stages import io


def main(smk):
    html = report.render(smk.input, smk.params.specs)
    io.write_text(html, smk.output[0])
    Path(smk.log[0]).write_text("report written\n")


io.run(main, snakemake)  # noqa: F821
