"""Extract stage: a review's processed ledger, the validated raw ledger with the contributions merged in."""

from pathlib import Path

from ketamine_ma.ledger.tables import read_tables
from ketamine_ma.ledger.vocabulary import MERGED, TABLES
from ketamine_ma.stages import completion, io, steps


def main(smk):
    steps.verify_checksums(smk.input.checksums)
    ledger = read_tables(dict(zip(TABLES, smk.input.ledger, strict=True)))
    docs = completion.documents(smk.input.get("documents"), smk.input.get("pages", []), smk.params.fulltext)
    merged, log = completion.contribute(ledger, smk.params.units, smk.params.reviews, smk.params.specs, docs)
    for name, path in zip(MERGED, smk.output.tables, strict=True):
        io.write_csv(merged[name], path)
    io.write_csv(log, smk.output.contributions)
    Path(smk.log[0]).write_text(f"{len(smk.params.units)} contribution(s), {len(log)} filled row(s) merged; "
                                f"{len(merged['conflicts']) - len(ledger['conflicts'])} new conflict(s)\n")


io.run(main, snakemake)  # noqa: F821
