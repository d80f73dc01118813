"""Extract stage: the merged ledger, the union of the reviews' processed ledgers over the raw one."""

from pathlib import Path

import pandas as pd

from ketamine_ma.ledger.merged import union
from ketamine_ma.stages import io


def read(path):
    """A ledger table as text, as printed (the raw tables keep "5.40")."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def main(smk):
    raw = {t: read(path) for t, path in smk.params.raw.items()}
    views = {r: {t: read(path) for t, path in tables.items()} for r, tables in smk.params.reviews.items()}
    merged = union(raw, views)
    for t, path in smk.params.merged.items():
        io.write_csv(merged[t], path)
    Path(smk.log[0]).write_text(
        "".join(f"{t}: {len(merged[t])} row(s) ({len(merged[t]) - len(raw[t]):+d} from contributions)\n"
                for t in smk.params.merged))


io.run(main, snakemake)  # noqa: F821
