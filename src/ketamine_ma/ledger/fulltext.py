"""Full texts as sources: quotes proved on their page (the hints for a worksheet's empty cells: ``hints``).

The extract stage reads each PDF once per checksum into page text (``pdf_text.read_pdf``) and indexes the folder
(``fulltext_index.index``: which file, DOI and PMID each checksum is). A ledger or worksheet row whose ``source``
names a document (its file name, DOI or PMID) is verified against it (``Documents.verify``): its quote must be in
the text, on the page its locator names, and its value in the quote.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from .fulltext_index import doi_of, pmid_of
from .pdf_text import normalise
from .vocabulary import LedgerError

_PAGE = re.compile(r"\b(?:pp?\.|pages?)\s*(\d+)(?:\s*-\s*(\d+))?", re.I)


def cited_pages(locator):
    """Pages a locator names ("p. 9", "Table 2, p. 9", "pp. 9-10", "page 9"), or an empty set."""
    out = set()
    for a, b in _PAGE.findall(normalise(str(locator or ""))):
        out |= set(range(int(a), int(b or a) + 1))
    return out


def _key(text):
    """Comparison form and, per character, its position in ``text``: a hyphen inside a word is dropped (so a
    word hyphenated at a line end matches the word typed whole), and so is a space after a hyphen ending a word (a
    minus ending a table's line, "TB− Treated", is "TB-Treated" in the page's text); the rest is kept as
    normalised."""
    keep = [i for i, c in enumerate(text)
            if not (c == "-" and 0 < i < len(text) - 1 and text[i - 1].isalpha() and text[i + 1].islower())
            and not (c == " " and i > 1 and text[i - 1] == "-" and text[i - 2] != " ")]
    return "".join(text[i] for i in keep), keep


class Documents:
    """The full texts of a run: index rows and their page texts, looked up by a row's ``source``."""

    def __init__(self, rows, texts, folder):
        self.rows = [{**r, "pages": int(r["pages"])} for r in rows]
        self.texts, self.folder = texts, str(folder)
        self._keys, self._tables = {}, {}

    def __len__(self):
        return len(self.rows)

    def named(self, source):
        """The document a ``source`` names: its file name, DOI (bare, ``doi:`` or a doi.org URL) or PMID."""
        s = str(source or "").strip()
        if not s or s.lower() == "nan":
            return None
        doi, pmid = doi_of(s), pmid_of(s) if re.search(r"pubmed|pmid|^\d+$", s, re.I) else ""
        for r in self.rows:
            if s in (r["file"], Path(r["file"]).name) or (doi and doi == r["doi"]) or (pmid and pmid == r["pmid"]):
                return r
        return None

    def page_key(self, sha, page):
        if (sha, page) not in self._keys:
            self._keys[(sha, page)] = _key(self.texts[sha]["pages"][page - 1])
        return self._keys[(sha, page)]

    def find(self, doc, quote):
        """Pages (1-based) where ``quote`` occurs in ``doc``, each with the matched passage."""
        q, _ = _key(normalise(quote))
        hits = []
        for p in range(1, len(self.texts[doc["sha256"]]["pages"]) + 1):
            key, pos = self.page_key(doc["sha256"], p)
            at = key.find(q)
            if q and at >= 0:
                text = self.texts[doc["sha256"]]["pages"][p - 1]
                hits.append((p, text[pos[at]:pos[at + len(q) - 1] + 1]))
        return hits

    def printed(self, doc, page):
        return self.texts[doc["sha256"]]["printed"][page - 1]

    def label(self, doc, page):
        """"p. 9" (PDF page 9) or "p. 245 (PDF page 3)" where the journal numbers its pages otherwise."""
        printed = self.printed(doc, page)
        return f"p. {page}" if printed in (None, page) else f"p. {printed} (PDF page {page})"

    def closest(self, doc, quote, pages):
        """The passage most like ``quote`` on the given pages (all pages when none): similarity, page and text."""
        q = normalise(quote)
        best = (0.0, 1, "")
        texts = self.texts[doc["sha256"]]["pages"]
        for p in sorted(pages) or range(1, len(texts) + 1):
            if not 1 <= p <= len(texts):
                continue
            text = texts[p - 1]
            starts = [0] + [m.end() for m in re.finditer(r" ", text)]
            for s in starts:
                window = text[s:s + len(q)]
                m = difflib.SequenceMatcher(None, q, window, autojunk=False)
                if m.real_quick_ratio() > best[0] and m.quick_ratio() > best[0] and (r := m.ratio()) > best[0]:
                    best = (r, p, window)
        return best

    def not_found(self, doc, quote, cited, locator, name):
        """Why ``quote`` is not in ``doc``, for the message: the closest passage on the cited pages, and where a
        closer one is when it is on another page; a cited page the PDF does not have is named as such."""
        pages = doc["pages"]
        on_cited = {p for p in range(1, pages + 1) if p in cited or self.printed(doc, p) in cited}
        r_all, p_all, t_all = self.closest(doc, quote, set())
        if cited and not on_cited:
            return (f"the PDF has {pages} page{'s' if pages != 1 else ''}; the locator {locator!r} cites p. "
                    f"{', '.join(map(str, sorted(cited)))}; the closest passage is on {self.label(doc, p_all)}: "
                    f"{t_all!r}")
        if not cited:
            return f"the closest passage is on {self.label(doc, p_all)}: {t_all!r}"
        r, page, passage = self.closest(doc, quote, on_cited)
        text = f"the closest passage on the cited page is on {self.label(doc, page)}: {passage!r}"
        if p_all not in on_cited and r_all > r:
            text += f"; a closer one is on {self.label(doc, p_all)}: {t_all!r}"
        return text

    def tables(self, sha, page):
        """The forest plots and tables of one page, read from its rows (``layout.tables``)."""
        from . import layout

        if (sha, page) not in self._tables:
            pages = self.texts[sha].get("layout") or []
            self._tables[(sha, page)] = layout.tables(pages[page - 1], page) if page <= len(pages) else []
        return self._tables[(sha, page)]

    def find_rows(self, doc, quote):
        """Pages where ``quote`` is (a contiguous part of) one row of a forest plot or table: ``(page, table,
        row, matched passage)``."""
        from . import row_check

        q = _key(normalise(quote))[0]
        hits = []
        for p in range(1, len(self.texts[doc["sha256"]].get("layout") or []) + 1):
            got = row_check.find_row(self.tables(doc["sha256"], p), q, _compare)
            if got:
                text = normalise(got[1]["text"])
                key, pos = _key(text)
                at = key.find(q)
                hits.append((p, *got, text[pos[at]:pos[at + len(q) - 1] + 1]))
        return hits

    def verify(self, source, locator, quote, values, where, stats=None):
        """Prove one row against the document its ``source`` names: ``None`` when it names none, else
        ``(file, sha256, page)``. ``values``: ``{column: number}`` that must occur in the matched passage;
        ``where(column)`` names the cell in a message. A quote from a forest plot or table must be one row of it,
        and a value whose ``stats[column] = (arm index, statistic)`` is given must sit in that arm's column of
        that statistic. Raises ``LedgerError``."""
        from . import row_check

        doc = self.named(source)
        if doc is None:
            if re.fullmatch(r"[^/\\\s]+\.pdf", str(source or "").strip(), re.I):
                raise LedgerError(f"{where('source')}: {source!r} is not a PDF of the full-text folder "
                                  f"{self.folder}; put it there, or cite the document's DOI or URL")
            return None
        name = f"{self.folder.rstrip('/')}/{doc['file']}"
        cited = cited_pages(locator)
        hits, rows = self.find(doc, quote), self.find_rows(doc, quote)
        if not hits and not rows:
            raise LedgerError(f"{where('quote')}: the quote {quote!r} is not in {name}; "
                              f"{self.not_found(doc, quote, cited, locator, name)}")
        if cited:
            agree = [h for h in hits if h[0] in cited or self.printed(doc, h[0]) in cited]
            agree_rows = [h for h in rows if h[0] in cited or self.printed(doc, h[0]) in cited]
            if not agree and not agree_rows:
                at = ", ".join(self.label(doc, p) for p in sorted({h[0] for h in hits + rows}))
                raise LedgerError(f"{where('locator')}: the locator {locator!r} cites p. "
                                  f"{', '.join(map(str, sorted(cited)))}, but the quote is on {at} of {name}")
            hits, rows = agree, agree_rows
        from .rows import value_in_quote  # here: the extract jobs that only read PDFs need no pandas

        page, passage = (rows[0][0], rows[0][3]) if rows else hits[0]
        label = self.label(doc, page)
        tabs = self.tables(doc["sha256"], page)
        if not rows and (crossed := row_check.crosses_rows(tabs, passage, _compare)):
            table, named = crossed
            held = "".join(f"; {row_check.held_at(tabs, v, label)}" for v in values.values())
            raise LedgerError(f"{where('quote')}: the quote {quote!r} is not one row of {table['label'] or 'the table'}"
                              f" on {label} of "
                              f"{name}: it joins the words of several rows (the page's text runs column by "
                              f"column); the row of {named[0]['label']!r} reads {normalise(named[0]['text'])!r}"
                              f"{held}")
        for col, v in values.items():
            if not value_in_quote(v, passage):
                raise LedgerError(f"{where(col)}: {v:g} is not printed in the passage {passage!r} of {name}, "
                                  f"{label}")
        if rows:
            bad = row_check.check_in_row(rows[0][1], rows[0][2], values, stats or {}, label)
            for col, why in bad.items():
                raise LedgerError(f"{where(col)}: {why}, in {name}")
        return doc["file"], doc["sha256"], page


def _compare(text):
    """A layout row's text or a quote in the form quotes are compared in."""
    return _key(normalise(text))[0]


def load(index_rows, page_files, folder):
    """Documents from the index table (rows as dicts) and the page-text JSON files of their checksums."""
    import json

    texts = {}
    for f in page_files:
        data = json.loads(Path(f).read_text(encoding="utf-8"))
        texts[data["sha256"]] = data
    return Documents(index_rows, texts, folder)


# ------------------------------------------------------------------------------------ the ledger's rows

VERIFIED = ["verified_file", "verified_sha256", "verified_page"]
# What each table's row must print in its quote besides being there: the numbers the row states.
VALUES = {"extraction": ("value",), "published": ("estimate", "ci_low", "ci_high"), "membership": (),
          "trials": ()}


def _values(row, table):
    out = {}
    if table == "extraction" and row.get("status") not in (None, "verified"):
        return out  # derived and ambiguous rows quote the numbers they derive from, checked where they are read
    for c in VALUES[table]:
        v = row.get(c)
        try:
            v = float(v)
        except (TypeError, ValueError):
            continue
        if v == v:  # not NaN
            out[c] = v
    return out


def _stats(row, table):
    """``{"value": (arm index, statistic)}`` of an extraction row of the two compared arms: the column of a forest
    plot or table its value must sit in."""
    from .vocabulary import ARMS

    arm = row.get("arm")
    return {"value": (ARMS.index(arm), row.get("statistic"))} if table == "extraction" and arm in ARMS[:2] else {}


def verify_rows(rows, places, docs, table):
    """Verify each row (a dict with source, locator, quote) whose source names a document; set its ``verified_*``
    keys. ``places[i](column)`` names row i's cell in a message."""
    for row, where in zip(rows, places, strict=True):
        got = docs.verify(row.get("source"), row.get("locator"), str(row.get("quote") or ""), _values(row, table),
                          where, _stats(row, table))
        row.update(dict(zip(VERIFIED, got or (None, None, None), strict=True)))


def verify_table(df, docs, table, path):
    """A ledger table (DataFrame) with its rows verified; a defect names ``path``, row and column."""
    rows = df.to_dict("records")
    places = [lambda col, i=i: f"{path}, row {i + 2}, column '{col}'" for i in range(len(rows))]
    verify_rows(rows, places, docs, table)
    out = df.copy()
    for c in VERIFIED:
        out[c] = [r[c] for r in rows]
    return out


def level(row):
    """How far one ledger row is proved: ``full_text`` (its quote found in a document of the folder, on its page),
    ``abstract`` (read on an abstract: the PubMed record or a locator saying so) or ``none``."""
    sha = row.get("verified_sha256")
    if isinstance(sha, str) and sha:
        return "full_text"
    if re.search(r"pubmed\.ncbi\.nlm\.nih\.gov", str(row.get("source") or "")) or re.search(
            r"abstract", str(row.get("locator") or ""), re.I):
        return "abstract"
    return "none"


LEVELS = ("full_text", "abstract", "none")


def summary(review, extraction, membership, pooled_ids):
    """One row of ``results/ledger/verification.csv``: the review's numbers (extraction rows of its member
    trials) by verification level, and the same for the numbers its primary analyses pooled (``pooled_ids``)."""
    members = set(membership[membership.review == review].trial_id)
    x = extraction[extraction.trial_id.isin(members)]
    levels = x["verification"] if "verification" in x else [level(r) for r in x.to_dict("records")]
    counts = {lv: int((levels == lv).sum()) for lv in LEVELS} if len(x) else dict.fromkeys(LEVELS, 0)
    pooled = x[x.extract_id.isin(pooled_ids)]
    pooled_levels = pooled["verification"] if "verification" in pooled else []
    full = int((pooled_levels == "full_text").sum()) if len(pooled) else 0
    return {"review": review, "numbers": len(x), **{f"numbers_{lv}": counts[lv] for lv in LEVELS},
            "pooled_numbers": len(pooled), "pooled_full_text": full,
            "pooled_full_text_share": round(full / len(pooled), 4) if len(pooled) else None}
