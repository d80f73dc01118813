"""Per review, how many of its numbers are verified against a full text, only read on an abstract, or not at all
(results/ledger/verification.csv), for all its ledger rows and for those its primary analyses pooled."""

from pathlib import Path

import pandas as pd

from ketamine_ma.ledger import fulltext
from ketamine_ma.stages import io


def main(smk):
    rows = []
    for review, files in smk.params.reviews.items():
        extraction = pd.read_csv(files["extraction"], keep_default_na=True)
        membership = pd.read_csv(files["membership"], keep_default_na=True)
        ids = set()
        for f in files["studies"]:
            ids |= {i for s in pd.read_csv(f).get("extract_ids", pd.Series(dtype=str)).dropna()
                    for i in str(s).split(";")}
        rows.append(fulltext.summary(review, extraction, membership, ids))
    table = pd.DataFrame(rows, columns=["review", "numbers", *(f"numbers_{lv}" for lv in fulltext.LEVELS),
                                        "pooled_numbers", "pooled_full_text", "pooled_full_text_share"])
    io.write_csv(table, smk.output[0])
    Path(smk.log[0]).write_text(table.to_string(index=False) + "\n")


io.run(main, snakemake)  # noqa: F821
