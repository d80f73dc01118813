"""Extract stage: the full-text folder's index (file, checksum, DOI, PMID, trials, reviews), manifest checked."""

import json
from pathlib import Path

import pandas as pd

from ketamine_ma.ledger import fulltext_index
from ketamine_ma.stages import io


def main(smk):
    texts = {}
    for f in smk.input.pages:
        data = json.loads(Path(f).read_text(encoding="utf-8"))
        texts[data["sha256"]] = data
    rows = fulltext_index.index(smk.params.folder, texts)
    io.write_csv(pd.DataFrame(rows, columns=["file", "sha256", "doi", "pmid", "trials", "reviews", "pages"]),
                 smk.output[0])
    Path(smk.log[0]).write_text(f"{len(rows)} document(s) in {smk.params.folder}\n")


io.run(main, snakemake)  # noqa: F821
