"""Extract stage: validate the evidence ledger and write its checked tables."""

from pathlib import Path

from ketamine_ma.ledger.tables import load_ledger
from ketamine_ma.ledger.vocabulary import TABLES
from ketamine_ma.stages import io, steps


def main(smk):
    tables = load_ledger(dict(zip(TABLES, smk.input.raw, strict=True)), as_printed=True,
                         reviews=smk.params.reviews)
    for name, path in zip(TABLES, smk.output.tables, strict=True):
        io.write_csv(tables[name], path)
    io.write_json({str(f): steps.sha256(f) for f in smk.input.raw}, smk.output.checksums)
    summary = "".join(f"{n}: {len(t)} rows valid\n" for n, t in tables.items())
    io.write_text("Ledger validation passed.\n" + summary, smk.output.report)
    Path(smk.log[0]).write_text(summary)


io.run(main, snakemake)  # noqa: F821
