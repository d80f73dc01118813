"""Worksheets: one review's extraction worksheet (.xlsx and a CSV twin per sheet) and its cell counts."""

import json
from pathlib import Path

import pandas as pd

from ketamine_ma.ledger.tables import read_tables
from ketamine_ma.ledger.vocabulary import MERGED
from ketamine_ma.outputs import workbook
from ketamine_ma.outputs import worksheets as ws
from ketamine_ma.stages import completion, io, worksheets


def main(smk):
    p = smk.params
    if p.spec["source"] == "ledger":
        ledger = read_tables(dict(zip(MERGED, smk.input.ledger, strict=True)))
        known = ws.Known(p.review, p.spec, ledger, pd.read_csv(smk.input.missing), p.policy, p.pm_reading,
                         contributed=pd.read_csv(smk.input.contributions, dtype=str, keep_default_na=False),
                         exclusions=pd.read_csv(smk.input.exclusions),
                         member_exclusions=pd.read_csv(smk.input.member_exclusions),
                         member_missing=pd.read_csv(smk.input.member_missing))
        docs = completion.documents(smk.input.get("documents"), smk.input.get("pages", []), p.fulltext)
        pictures = {k: v for f in smk.input.get("pictures", []) for k, v in json.loads(Path(f).read_text()).items()}
        sheets, counts, read = worksheets.worksheet(known, docs, pictures)
        outcomes = sorted({o for a in p.spec["analyses"].values() for o in a["outcomes"]})
    else:
        sheets, counts = ws.build_conformance(p.review, p.spec, pd.read_csv(smk.input.studies))
        outcomes = []
        read = ws.figures_read(p.review, {"documents": [], "figures": []}, {})
    for path in smk.output.csv:
        io.write_csv(workbook.csv_twin(sheets[Path(path).stem]), path)
    io.write_bytes(workbook.to_xlsx(sheets, outcomes, p.spec), smk.output.xlsx)
    io.write_json(counts, smk.output.counts)
    io.write_json(read, smk.output.read)
    io.write_text(ws.figures_page(read), smk.output.figures)
    Path(smk.log[0]).write_text("".join(f"{k}: {len(v)} row(s)\n" for k, v in sheets.items()))


io.run(main, snakemake)  # noqa: F821
