"""Extract stage: import a conformance review (a RevMan 5 file, or a published data table)."""

from pathlib import Path

from ketamine_ma.stages import io, steps


def main(smk):
    spec = smk.params.spec
    if spec["source"] == "rm5":
        studies, published = steps.import_rm5(smk.input.rm5, spec)
    else:
        studies, published = steps.import_table(smk.input.studies, smk.input.published, spec)
    io.write_csv(studies, smk.output.studies)
    io.write_csv(published, smk.output.published)
    Path(smk.log[0]).write_text(f"{len(studies)} study rows, {len(published)} published figures\n")


io.run(main, snakemake)  # noqa: F821
