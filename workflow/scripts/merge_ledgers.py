"""Extract stage: the merged ledger, the union of the reviews' processed ledgers over the raw one."""

from pathlib import Path

import pandas as pd

from ketamine_ma.ledger.merged import MERGED_TABLES, union
from ketamine_ma.stages import io


def read(path):
    """A ledger table as text, as printed (the raw tables keep "5.40")."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def main(smk):
    raw = {t: read(f"data/processed/ledger/{t}.csv") for t in MERGED_TABLES}
    views = {r: {t: read(f"data/processed/{r}/ledger/{t}.csv") for t in MERGED_TABLES} for r in smk.params.reviews}
    merged = union(raw, views)
    for name, path in zip(MERGED_TABLES, smk.output.tables, strict=True):
        io.write_csv(merged[name], path)
    Path(smk.log[0]).write_text(
        "".join(f"{t}: {len(merged[t])} row(s) ({len(merged[t]) - len(raw[t]):+d} from contributions)\n"
                for t in MERGED_TABLES))


io.run(main, snakemake)  # noqa: F821
