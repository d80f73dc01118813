"""Time from dropping a review's PDF into the full-text folder to its worksheet holding every proposal.

A temporary copy of the project holds the BCG review reduced to its trials and membership (no numbers; as the
completion tests make it, tests/bcg_ledger.py) with its worksheet already built. Then a 20-page review PDF is
dropped in: the metafor paper's first 19 pages (installed with r-cran-metafor) and metafor's forest plot of dat.bcg
drawn by tests/reference/forest_plots.R. Measured: the Snakemake run that rebuilds the worksheet (wall and the CPU of
every process it started), the jobs it reran, and the proposals the worksheet then holds. Run it on a quiet machine:

    .venv/bin/python workflow/benchmarks/dropin.py [--runs 3]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pypdfium2 as pdfium

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).resolve().parents[2] / "tests")]
import bcg_ledger  # noqa: E402
import run_benchmarks as rb  # noqa: E402

ROOT = rb.ROOT


def review_pdf(out):
    """The 20-page review PDF: the metafor paper's first 19 pages and the BCG forest plot drawn by metafor."""
    subprocess.run(["Rscript", str(ROOT / "tests/reference/forest_plots.R"), str(out)], check=True,
                   capture_output=True, timeout=300)
    paper = subprocess.run(["Rscript", "-e", 'cat(system.file("doc", "metafor.pdf", package = "metafor"))'],
                           capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    doc = pdfium.PdfDocument.new()
    doc.import_pages(pdfium.PdfDocument(paper), list(range(19)))
    doc.import_pages(pdfium.PdfDocument(out / "bcg_forest.pdf"))
    path = out / "review.pdf"
    doc.save(path)
    return path, len(doc)


def one_run(tmp, pdf):
    work = rb.copy_project(ROOT, tmp / "work")
    bcg_ledger.reduce(work)
    rb.snakemake(work, "worksheets", "--config", "reviews=[bcg]")
    ft = work / "data/fulltext"
    ft.mkdir(parents=True, exist_ok=True)
    shutil.copy(pdf, ft / "review.pdf")
    (ft / "documents.csv").write_text("file,doi,pmid,trials,reviews\nreview.pdf,,,,bcg\n")
    got = rb.snakemake(work, "worksheets", "--config", "reviews=[bcg]")
    with open(work / "results/worksheets/bcg/proposals.csv", newline="") as f:
        got["proposals"] = sum(1 for _ in csv.DictReader(f))
    shutil.rmtree(work)
    return got


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        pdf, pages = review_pdf(tmp)
        runs = [one_run(tmp, pdf) for _ in range(args.runs)]
    print(f"A {pages}-page review PDF dropped in, {args.runs} runs, load average before/after: "
          f"{load0:.1f} / {os.getloadavg()[0]:.1f}")
    print("| run | wall | CPU | jobs rerun | proposals |\n|---|---|---|---|---|")
    for i, r in enumerate(runs, 1):
        print(f"| {i} | {r['wall']:.1f} s | {r['cpu']:.1f} s | {', '.join(sorted(r['jobs']))} | {r['proposals']} |")


if __name__ == "__main__":
    main()
