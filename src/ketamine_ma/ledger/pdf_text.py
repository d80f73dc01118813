"""Full texts read: a PDF read once into normalised, page-indexed text with its printed page numbers and its forest
plots' and tables' rows (pypdfium2: the metafor paper's 48 pages in ~0.12 s, against ~2.2 s for pdfminer.six and
~3.7 s for pdfplumber); ``normalise`` is the form quotes and page texts are compared in."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from .vocabulary import LedgerError

# Fewer non-blank characters per page than this: no text layer (a scan), not a short page.
MIN_CHARS_PER_PAGE = 20

# ------------------------------------------------------------------------------------------ normalisation

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"), "-")
_QUOTES = {ord(a): b for a, b in zip("\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2032\u2033",
                                     "''''\"\"\"\"'\"", strict=True)}
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\u2004\u2005\u2006\u2008\t\f\v"), " ")
_PLUS_MINUS = re.compile(r"\+\s?/\s?-|\+\s?-(?=\s?\d)")


def normalise(text):
    """One line of comparable text from a PDF page or a typed quote.

    Ligatures and other compatibility forms unfolded (NFKC: "ﬁ" -> "fi", no-break spaces -> spaces); a word broken
    across a line end by pdfium's generated hyphen (U+FFFE or U+0002, which pdfium puts in place of the printed
    hyphen and the line break), a soft hyphen or a plain hyphen joined ("neg-\\native" -> "negative"); before a
    capital or digit the printed hyphen stays ("Mantel-\\nHaenszel" -> "Mantel-Haenszel", "TB−" ending a table's
    line stays "TB-"); Unicode minus and dashes -> "-"; "+/-" and "+-" -> "±"; curly quotes -> straight; tabs, line
    breaks inside a sentence or table row and repeated spaces -> one space, none at either end.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # pdfium's generated hyphen (U+FFFE in a page's text, U+0002 in a bounded region's text) ends a line: mark it so
    text = re.sub("[\ufffe\x02][ ]*\n?", "\u00ad\n", text)
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_DASHES).translate(_QUOTES).translate(_SPACES)
    # a hyphen (generated, soft or plain) at a line end: a word broken across lines, or a compound or a minus
    text = re.sub(r"(?<=\w)[\u00ad-][ ]*\n[ ]*(?=[a-z])", "", text)
    text = re.sub(r"(?<=\w)[\u00ad-][ ]*\n[ ]*", "-", text)
    text = text.replace("\u00ad", "")
    text = _PLUS_MINUS.sub("±", text)
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------------------------------------- reading

def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _printed_numbers(raw_pages):
    """The page number the journal prints on each page (a number alone at the top or bottom of most pages, at a
    constant offset from the PDF's page index), or None where it prints none."""
    offsets = {}
    for i, page in enumerate(raw_pages, start=1):
        lines = [ln.strip() for ln in page.replace("\r", "\n").split("\n") if ln.strip()]
        ends = lines[:1] + lines[-1:]
        seen = set()
        for ln in ends:
            for tok in re.findall(r"(?:^|\s)(\d{1,5})(?=\s|$)", ln):
                seen.add(int(tok) - i)
        for d in seen:
            offsets[d] = offsets.get(d, 0) + 1
    if not offsets:
        return [None] * len(raw_pages)
    d, hits = max(sorted(offsets.items()), key=lambda kv: kv[1])
    if hits < max(2, len(raw_pages) // 2):
        return [None] * len(raw_pages)
    return [i + d for i in range(1, len(raw_pages) + 1)]


def _gutter(rects, width):
    """The x of a column gutter: a vertical line in the middle of the page that at most a third of the lines of
    text cross (titles, an abstract, full-width tables), with lines on both sides; else None. Only wide segments
    count as lines: a table's narrow cells on either side of the middle are no columns."""
    wide = [r for r in rects if r[2] - r[0] >= 0.25 * width]
    if len(wide) < 6:
        return None
    ok = {}
    for x in range(int(width * 0.3), int(width * 0.7) + 1, 2):
        cross = sum(1 for r in wide if r[0] < x < r[2])
        if cross <= len(wide) / 3 and min(sum(1 for r in wide if r[2] <= x), sum(1 for r in wide if r[0] >= x)) >= 3:
            ok[x] = cross
    if not ok:
        return None
    least = [x for x, c in ok.items() if c == min(ok.values())]
    return least[len(least) // 2]  # the middle of the gutter, not its edge


def _lines(textpage, rects):
    """Text of the segments ``rects`` in reading order: top to bottom, a line's segments left to right."""
    lines = []
    for r in sorted(rects, key=lambda r: -r[3]):
        middle = (r[1] + r[3]) / 2
        if lines and lines[-1][0] <= middle <= lines[-1][1]:
            lines[-1][2].append(r)
        else:
            lines.append([r[1], r[3], [r]])
    return "\n".join(" ".join(textpage.get_text_bounded(*r).replace("\r\n", " ").replace("\n", " ")
                               for r in sorted(segs, key=lambda r: r[0])) for _, _, segs in lines)


def _page_text(page):
    """A page's text in reading order: pdfium's order, or column by column where the page has two columns."""
    textpage = page.get_textpage()
    try:
        rects = [textpage.get_rect(i) for i in range(textpage.count_rects())]
        g = _gutter(rects, page.get_width())
        if g is None:
            return textpage.get_text_range()
        # bands between segments crossing the gutter; in each band the left column, then the right
        parts, band = [], []
        for r in sorted(rects, key=lambda r: -r[3]):
            if r[0] < g < r[2]:
                parts += [_lines(textpage, [b for b in band if b[2] <= g]),
                          _lines(textpage, [b for b in band if b[0] >= g]), _lines(textpage, [r])]
                band = []
            else:
                band.append(r)
        parts += [_lines(textpage, [b for b in band if b[2] <= g]), _lines(textpage, [b for b in band if b[0] >= g])]
        return "\n".join(p for p in parts if p)
    finally:
        textpage.close()


def read_pdf(path, label=None):
    """Page-indexed normalised text of one PDF: ``{"sha256", "pages": [...], "printed": [...]}``.

    Raises ``LedgerError`` naming ``label`` (the path as the user gave it) for an unreadable or encrypted file and
    for a PDF without a text layer.
    """
    import pypdfium2 as pdfium

    label = label or str(path)
    try:
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        why = "encrypted (password-protected): save an unprotected copy" if "password" in str(e).lower() \
            else f"not a readable PDF ({e})"
        raise LedgerError(f"{label}: {why}, then rerun") from None
    try:
        raw = []
        for i in range(len(doc)):
            page = doc[i]
            raw.append(_page_text(page))
            page.close()
    finally:
        doc.close()
    chars = sum(len(re.sub(r"\s", "", p)) for p in raw)
    if chars < MIN_CHARS_PER_PAGE * max(1, len(raw)):
        raise LedgerError(f"{label}: no text layer ({chars} characters on {len(raw)} page(s): an image-only PDF, "
                          f"such as a scan); OCR it first, e.g. `ocrmypdf {label} {label}`, then rerun")
    from . import layout

    return {"sha256": sha256(path), "pages": [normalise(p) for p in raw], "printed": _printed_numbers(raw),
            "layout": layout.read(path)}
