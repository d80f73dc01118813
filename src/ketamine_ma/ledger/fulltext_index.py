"""The full-text folder's index: its PDFs (config ``fulltext``, default ``data/fulltext/``) and the manifest
``documents.csv`` (``file``, ``doi``, ``pmid``, ``trials``, ``reviews``), one row per PDF saying which checksum, DOI
and PMID it is."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from .pdf_text import sha256
from .vocabulary import LedgerError

MANIFEST = "documents.csv"
MANIFEST_COLUMNS = ("file", "doi", "pmid", "trials", "reviews")


def doi_of(text):
    m = re.search(r"\b(10\.\d{4,9}/[^\s\"'<>]+)", text or "")
    return m.group(1).rstrip(".,;)").lower() if m else ""


def pmid_of(text):
    m = re.search(r"(?:pubmed\.ncbi\.nlm\.nih\.gov/|pmid:?\s*)(\d{1,9})", str(text or ""), re.I)
    return m.group(1) if m else (str(text).strip() if re.fullmatch(r"\d{1,9}", str(text or "").strip()) else "")


def inside(folder, name):
    """The manifest's ``file`` as a path inside ``folder``; LedgerError for one that leaves it."""
    folder = Path(folder)
    p = Path(name)
    if p.is_absolute() or ".." in p.parts:
        raise ValueError("an absolute path or one with '..' leaves the full-text folder")
    target = folder / p
    if target.is_symlink() or any(q.is_symlink() for q in target.parents if q.is_relative_to(folder)):
        if not target.resolve().is_relative_to(folder.resolve()):
            raise ValueError(f"a link to {target.resolve()}, outside the full-text folder")
    return target


def read_manifest(folder):
    """Rows of ``<folder>/documents.csv`` (empty list without one), each checked: its file is in the folder."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
        header = rows[0].keys() if rows else next(csv.reader(open(path, encoding="utf-8")), [])
    missing = [c for c in ("file",) if c not in header]
    if missing:
        raise LedgerError(f"{path}, row 1: missing column 'file'; expected {', '.join(MANIFEST_COLUMNS)}")
    out = []
    for i, r in enumerate(rows, start=2):
        r = {c: (r.get(c) or "").strip() for c in MANIFEST_COLUMNS}
        if not r["file"]:
            continue
        try:
            target = inside(folder, r["file"])
        except ValueError as e:
            raise LedgerError(f"{path}, row {i}, column 'file': {r['file']!r} is rejected: {e}; put the PDF in "
                              f"{folder} and name it relative to it") from None
        if not target.is_file():
            raise LedgerError(f"{path}, row {i}, column 'file': {r['file']!r} is not in {folder}; add the PDF or "
                              "remove the row")
        out.append({**r, "row": i})
    return out


def pdfs_in(folder):
    """PDF files of the folder (relative names), links out of it included (the index rejects those)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.suffix.lower() == ".pdf" and (p.is_file() or p.is_symlink())
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def index(folder, texts):
    """One row per PDF of ``folder``: ``file, sha256, doi, pmid, trials, reviews, pages`` (manifest first; a DOI
    looked for on the first two pages when the manifest gives none). ``texts``: ``{sha256: read_pdf result}``."""
    folder = Path(folder)
    manifest = {r["file"]: r for r in read_manifest(folder)}
    rows = []
    for name in pdfs_in(folder):
        try:
            target = inside(folder, name)
        except ValueError as e:
            raise LedgerError(f"{folder / name}: rejected: {e}") from None
        sha = sha256(target)
        if sha not in texts:
            raise LedgerError(f"{folder / name}: not extracted yet (rerun snakemake)")
        m = manifest.get(name, {})
        doi = doi_of(m.get("doi", "")) or doi_of(" ".join(texts[sha]["pages"][:2]))
        rows.append({"file": name, "sha256": sha, "doi": doi, "pmid": pmid_of(m.get("pmid", "")),
                     "trials": m.get("trials", ""), "reviews": m.get("reviews", ""),
                     "pages": len(texts[sha]["pages"])})
    return rows
