"""Extract stage: import a RevMan 5 file (conformance reviews)."""

from pathlib import Path

from ketamine_ma import io, stages


def main(smk):
    studies, published = stages.import_rm5(smk.input.rm5, smk.params.spec)
    io.write_csv(studies, smk.output.studies)
    io.write_csv(published, smk.output.published)
    Path(smk.log[0]).write_text(f"{len(studies)} study rows, {len(published)} published figures\n")


io.run(main, snakemake)  # noqa: F821
