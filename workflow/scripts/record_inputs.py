"""data/processed/provenance_inputs.json: input checksums, package versions, git commit, config (for the report and
results/provenance.json)."""

from pathlib import Path

from ketamine_ma.stages import io, steps


def main(smk):
    prov = steps.provenance(list(smk.input.raw) + list(smk.input.config), dict(smk.params.config))
    io.write_json(prov, smk.output[0])
    Path(smk.log[0]).write_text(f"{len(prov['inputs'])} input checksums\n")


io.run(main, snakemake)  # noqa: F821
