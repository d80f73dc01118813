"""Extract stage: one PDF of the full-text folder read once into normalised page-indexed text, its layout rows and
the pictures of its forest plots and tables."""

from pathlib import Path

from ketamine_ma.ledger import layout, pdf_text, pictures
from ketamine_ma.stages import io


def main(smk):
    data = pdf_text.read_pdf(smk.input.pdf, label=smk.params.label)
    io.write_json(data, smk.output.pages)
    Path(smk.output.rows).write_text(layout.as_text(data["layout"]), encoding="utf-8")
    io.write_json(pictures.pictures(smk.input.pdf, data["layout"], data["sha256"]), smk.output.pictures)
    Path(smk.log[0]).write_text(f"{smk.params.label}: {len(data['pages'])} page(s), sha256 {data['sha256']}\n")


io.run(main, snakemake)  # noqa: F821
