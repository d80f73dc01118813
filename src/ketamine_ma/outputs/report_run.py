"""What the report reads: the pipeline's outputs that its job declares, read once (``Run``) for every page; a
declared file that is missing stops the job (``declared``), never an empty section.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd

from .report_format import PRINTED, kind_words, missing, text


def declared(path) -> Path:
    """A file the report job declares: missing is an error, never an empty section (a drifted path)."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"report: declared input {path} does not exist")
    return Path(path)


def read(path, **kw) -> pd.DataFrame:
    return pd.read_csv(declared(path), **kw)


def read_raw(path) -> pd.DataFrame:
    """A ledger table with every cell as written (a PMID stays 20495588, a value stays 0.54 as printed)."""
    return read(path, dtype=str, keep_default_na=False).replace("", None)


def records(df: pd.DataFrame) -> list[dict]:
    return [{k: (None if missing(v) else v) for k, v in r.items()} for r in df.to_dict("records")]


NOT_VERIFIED = {"level": "none", "file": None, "page": None, "href": None}


class Run:
    """Everything the pages show, read once from the pipeline's outputs.

    ``files`` is the report job's ``{key: path}`` mapping (``report_inputs()`` in ``workflow/rules/inputs.smk``;
    its paths are the job's inputs): the pages read and embed only these files, never one that merely exists on
    disk (a figure left by a run of other reviews, a table of a sensitivity analysis switched off since). A
    section whose key is absent was not run; a path that is given must exist. ``out`` is the report's folder, the
    base of every link.
    """

    def __init__(self, files, specs, out, worksheets=(), notebooks=(), fulltext="data/fulltext"):
        self.specs, self.files, self.out = specs, files, out
        self.pooled = read(files["pooled"]).drop_duplicates()
        self.rep = read(files["reproduction"], dtype={c: str for c in PRINTED})
        self.audit = read(files["audit"])
        self.audit_totals = read(files["audit_totals"])
        self.audit_percentages = read(files["audit_percentages"])
        self.coverage = read(files["coverage"])
        self.missing = read(files["missing"])
        # why each included trial was not pooled, as the clean stage decided it (ledger.studies.decide)
        exclusions = files["exclusions"]
        self.exclusions = pd.concat([read(f) for f in exclusions]) if exclusions else pd.DataFrame()
        self.prov = json.loads(declared(files["provenance"]).read_text())
        self.extraction = read_raw(files["extraction"])
        self.conflicts = read_raw(files["conflicts"])
        self.trials = read_raw(files["trials"])
        self.membership = read_raw(files["membership"])
        self.published = read_raw(files["published"])
        self.published_ids = {(r["review"], r["result_id"]) for r in records(self.published)}
        # Linked, not read: the worksheets are inputs of the job when a rule writes them; the notebooks job runs
        # beside the report job, and the run ends with both.
        self.worksheets = {Path(w).stem: w for w in worksheets}
        self.notebooks = {Path(n).stem: n for n in notebooks}
        self.trial_by_id = {r["trial_id"]: r for r in records(self.trials)} if len(self.trials) else {}
        self._fulltext(files, fulltext)
        self.ledger_ids = set(self.extraction.get("extract_id", pd.Series(dtype=str)))
        # what each ledger row was read from, in words (a review's figure and the trial's own paper told apart)
        self.source_kinds = {r["extract_id"]: kind_words(r.get("source_kind")) for r in records(self.extraction)}

    def rel(self, path) -> str:
        """A link from a report page to ``path``."""
        return os.path.relpath(path, self.out).replace(os.sep, "/")

    def _fulltext(self, files, folder):
        """Where each number was verified against a full text (the reviews' processed ledgers), and the numbers
        only those ledgers hold (contributions) added to the ledger page."""
        self.verified, self.verification = {}, {}
        for m in (read_raw(f) for f in files["review_extraction"]):
            new = m[~m.extract_id.isin(set(self.extraction.get("extract_id", pd.Series(dtype=str))))]
            if len(new):
                self.extraction = pd.concat([self.extraction, new], ignore_index=True)
            for r in records(m):
                page = r.get("verified_page")
                self.verified[r["extract_id"]] = {**NOT_VERIFIED, "level": text(r.get("verification")) or "none",
                                                  **({"file": r["verified_file"], "page": int(float(page)),
                                                      "href": f"{self.rel(Path(folder) / str(r['verified_file']))}"
                                                              f"#page={int(float(page))}"}
                                                     if not missing(page) else {})}
        if "verification" in files:  # absent when no review reads the ledger
            self.verification = {r["review"]: r for r in records(read(files["verification"]))}

    # -- per analysis

    def pools(self, review, key) -> pd.DataFrame:
        p = self.pooled
        return p[(p.review == review) & (p.outcome == key)] if len(p) else p

    def analysis(self, review, key) -> dict:
        """The files of one analysis: ``studies`` per pool, ``figures``, ``captions``, and ``small_study`` and
        ``influence`` when they were run."""
        return self.files["reviews"][review]["analyses"][key]

    def studies(self, review, key, variant) -> pd.DataFrame:
        tables = self.analysis(review, key)["studies"]
        if variant not in tables:
            raise KeyError(f"report: {review}/{key} has {variant!r} pools in {self.files['pooled']} but the report "
                           f"job declares no study table for them (it declares: {', '.join(tables)})")
        return read(tables[variant])

    def figure(self, path, alt, caption="") -> dict | None:
        """A figure this run made (None: not drawn in this run)."""
        if path is None:
            return None
        size = svg_size(declared(path)) if str(path).endswith(".svg") else None
        return {"src": self.rel(path), "alt": alt, "caption": caption, "href": self.rel(path),
                "width": size[0] if size else None, "height": size[1] if size else None}

    def variants(self, review, key) -> list[str]:
        p = self.pools(review, key)
        names = list(dict.fromkeys(p.analysis)) if len(p) else []
        return ["primary"] + [n for n in names if n != "primary"]

    def rep_rows(self, review, key=None) -> list[dict]:
        r = self.rep
        if not len(r):
            return []
        r = r[r.review == review]
        if key is not None:
            r = r[r.analysis.fillna("") == key]
        return records(r)


def svg_size(path) -> tuple[int, int] | None:
    """An SVG's size in CSS px (matplotlib writes points), so the page reserves its space before it loads."""
    head = Path(path).read_text(encoding="utf-8", errors="replace")[:2000]
    m = re.search(r'<svg[^>]*?width="([\d.]+)(pt|px)?"[^>]*?height="([\d.]+)(pt|px)?"', head, re.S)
    if not m:
        return None
    scale = 4 / 3 if m.group(2) == "pt" else 1
    return round(float(m.group(1)) * scale), round(float(m.group(3)) * scale)
