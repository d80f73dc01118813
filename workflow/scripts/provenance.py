"""results/provenance.json, written last: the run's input record plus the sha256 of every result it delivered."""

import json
from pathlib import Path

from ketamine_ma.stages import io, steps


def main(smk):
    prov = json.loads(Path(smk.input.inputs).read_text())
    prov["outputs"] = {f: steps.sha256(f) for f in sorted(smk.input.outputs)}
    io.write_json(prov, smk.output[0])
    Path(smk.log[0]).write_text(f"{len(prov['inputs'])} input and {len(prov['outputs'])} output checksums\n")


io.run(main, snakemake)  # noqa: F821
