"""Ledger coverage: what each review has, and the exact cells still missing."""

from pathlib import Path

import pandas as pd

from ketamine_ma import io, stages


def main(smk):
    ledger = stages.load_processed_ledger(dict(zip(stages.TABLES, smk.input.ledger, strict=True)))
    excl = pd.concat([pd.read_csv(f) for f in smk.input.exclusions])
    miss = pd.concat([pd.read_csv(f) for f in smk.input.missing])
    cov = stages.coverage(ledger, ledger["published"], smk.params.specs, excl, pd.read_csv(smk.input.pooled))
    io.write_csv(cov, smk.output.coverage)
    io.write_csv(miss, smk.output.missing)
    io.write_csv(excl, smk.output.exclusions)
    Path(smk.log[0]).write_text(f"{len(miss)} missing cells, {len(excl)} exclusions\n")


io.run(main, snakemake)  # noqa: F821
