"""data/processed/provenance_inputs.json: checksums of the inputs (raw ledger, config, contributions, full texts),
package versions, git commit, config (for the report and results/provenance.json)."""

from pathlib import Path

from ketamine_ma.stages import io, steps


def main(smk):
    files = [*smk.input.raw, *smk.input.config, *smk.input.contributions, *smk.input.fulltext]
    prov = steps.provenance(files, dict(smk.params.config))
    io.write_json(prov, smk.output[0])
    Path(smk.log[0]).write_text(f"{len(prov['inputs'])} input checksums\n")


io.run(main, snakemake)  # noqa: F821
