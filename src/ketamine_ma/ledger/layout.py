"""A PDF's layout as rows: forest plots and tables read the way a person reads them, row by row.

Plain text extraction returns a forest plot in drawing order, which for R, RevMan and most journals is column by
column (all study labels, then all event counts, ...). Here each page's characters are placed by their boxes
(pypdfium2's loose character boxes: one height per font, so one baseline gives one vertical centre): characters
whose centres share a line form a row, in x order; a gap wider than about one em starts a new cell, so a row keeps
its column boundaries. ``read`` gives every page's rows; ``tables`` finds on a page the blocks of rows that start
with a study label (``Author 2009``, ``Author (2009)``, ``Author et al. 2009a``) under a header that names the
columns, and gives each row's cells under the column they sit in (``Events``, ``Total``, ``Mean``, ``SD``,
``Weight``, the estimate and its CI), with the arm a column group names (``Experimental``, ``Control``, ...).
Summary rows (subtotals, totals, a prediction interval: a CI without estimate), heterogeneity and test lines are
kept as such and never read as a trial. See docs/forest-plots.md.
"""

from __future__ import annotations

import math
import re
import unicodedata

# A gap between two characters of one row wider than this share of the font height starts a new cell (a word
# space is about a quarter of it, a table's column gutter one height or more).
CELL_GAP = 0.75
WORD_GAP = 0.12
# A picture with fewer characters on it than this has no text layer there: an image of a plot, not a plot.
MIN_CHARS_IN_REGION = 20

# ------------------------------------------------------------------------------------------ page -> rows


def _chars(textpage):
    """Non-blank characters of a text page as ``(text, x0, y0, x1, y1)`` (loose boxes, PDF points) and the
    direction most of them run in (0, 90, 180 or 270 degrees counter-clockwise). pdfium's raw calls: the wrapped
    ones cost a 48-page paper about 2 s, these a quarter of it."""
    import pypdfium2.raw as pdfium_c

    out, rect, angles = [], pdfium_c.FS_RECTF(), {}
    for i in range(textpage.count_chars()):
        u = pdfium_c.FPDFText_GetUnicode(textpage, i)
        if u in (0, 2, 0xFFFE) or chr(u).isspace() or not pdfium_c.FPDFText_GetLooseCharBox(textpage, i, rect):
            continue
        out.append((chr(u), rect.left, rect.bottom, rect.right, rect.top))
        if len(out) % 8:
            continue  # the direction from every 8th character: enough to tell, at an eighth of the cost
        a = pdfium_c.FPDFText_GetCharAngle(textpage, i)
        if a >= 0:
            q = int(round(-math.degrees(a) / 90)) % 4 * 90  # pdfium measures clockwise, the turns here counter-
            angles[q] = angles.get(q, 0) + 1
    return out, max(sorted(angles), key=angles.get) if angles else 0


def _turn(chars, angle, width, height):
    """Character boxes turned so that text running at ``angle`` (a table set sideways on its page, shown upright
    by the page's /Rotate) reads left to right."""
    if angle == 0:
        return chars
    out = []
    for c, x0, y0, x1, y1 in chars:
        if angle == 90:
            box = (y0, width - x1, y1, width - x0)
        elif angle == 180:
            box = (width - x1, height - y1, width - x0, height - y0)
        else:
            box = (height - y1, x0, height - y0, x1)
        out.append((c, *box))
    return out


def rows_of(chars):
    """Rows of characters, top to bottom (PDF y grows upwards): ``{"box": [x0, y0, x1, y1], "words": [[x0, x1,
    text, cell], ...]}``, words left to right, ``cell`` 1 where a column gap (not a word space) precedes the word."""
    lines = []
    for ch in sorted(chars, key=lambda c: -(c[2] + c[4]) / 2):
        mid, h = (ch[2] + ch[4]) / 2, ch[4] - ch[2]
        if lines and abs(lines[-1]["mid"] - mid) <= 0.35 * max(h, lines[-1]["h"]):
            lines[-1]["chars"].append(ch)
        else:
            lines.append({"mid": mid, "h": h, "chars": [ch]})
    out = []
    for line in lines:
        cs = sorted(line["chars"], key=lambda c: c[1])
        h = max(c[4] - c[2] for c in cs)
        words, prev = [], None
        for c, x0, _, x1, _ in cs:
            gap = x0 - prev if prev is not None else None
            if gap is None or gap > WORD_GAP * h:
                words.append([x0, x1, c, int(gap is None or gap > CELL_GAP * h)])
            else:
                words[-1][2] += c
                words[-1][1] = max(words[-1][1], x1)
            prev = x1 if prev is None else max(prev, x1)
        box = [min(c[1] for c in cs), min(c[2] for c in cs), max(c[3] for c in cs), max(c[4] for c in cs)]
        out.append({"box": [round(v, 2) for v in box],
                    "words": [[round(a, 2), round(b, 2), unicodedata.normalize("NFKC", t), g] for a, b, t, g in words]})
    return out


def cells(row):
    """A row's cells ``[x0, x1, text]``: its words joined where no column gap separates them."""
    out = []
    for x0, x1, t, new in row["words"]:
        if new or not out:
            out.append([x0, x1, t])
        else:
            out[-1][1], out[-1][2] = x1, f"{out[-1][2]} {t}"
    return out


def read(path):
    """Every page's rows: ``[{"rotation": deg, "size": [w, h], "chars": n, "images": [...], "rows": [...]}, ...]``.
    A page whose text runs sideways is read in the direction its text runs (``rotation`` says by how much it was
    turned); ``images``: the boxes of pictures covering a tenth of the page or more with no text on them (a
    forest plot pasted as an image)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    doc = pdfium.PdfDocument(str(path))
    pages = []
    try:
        for i in range(len(doc)):
            page = doc[i]
            tp = page.get_textpage()
            try:
                w, h = page.get_width(), page.get_height()
                chars, angle = _chars(tp)
                images = []
                for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
                    x0, y0, x1, y1 = obj.get_bounds()
                    inside = sum(1 for c in chars if x0 <= c[1] and c[3] <= x1 and y0 <= c[2] and c[4] <= y1)
                    if (x1 - x0) * (y1 - y0) >= 0.1 * w * h and inside < MIN_CHARS_IN_REGION:
                        images.append([round(v, 2) for v in (x0, y0, x1, y1)])
                chars = _turn(chars, angle, w, h)
            finally:
                tp.close()
                page.close()
            size = [h, w] if angle in (90, 270) else [w, h]
            pages.append({"rotation": angle, "size": [round(v, 2) for v in size], "chars": len(chars),
                          "images": images, "rows": rows_of(chars)})
    finally:
        doc.close()
    return pages


def row_text(row, sep=" "):
    """A row as text: its words joined by spaces, or its cells by ``sep``."""
    return " ".join(w[2] for w in row["words"]) if sep == " " else sep.join(c[2] for c in cells(row))


def as_text(pages):
    """The rows as plain text, one line per row, cells separated by `` | ``, a heading line per page."""
    out = []
    for i, p in enumerate(pages, start=1):
        turned = f" (text runs at {p['rotation']} degrees: read turned upright)" if p["rotation"] else ""
        out.append(f"=== page {i}{turned}")
        out += [row_text(r, " | ") for r in p["rows"]]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------ rows -> tables

_NUM = r"[-\u2212]?\d+(?:[.\u00b7]\d+)?"
_YEAR = re.compile(r"^\(?((?:19|20)\d{2})([a-z]?)\)?[,;:.]?$")
_CAPTION = re.compile(r"^((?:Figure|Fig\.?|Table|Analysis)\s*\d+(?:\.\d+)*[A-Za-z]?)\b")
_SUMMARY = re.compile(r"^(Sub-?total|Total|Overall|RE Model|FE Model|Random[- ]effects? model|Common effects? model|"
                      r"Fixed[- ]effects? model|Prediction interval|Heterogeneity|Test for|I-V Overall|D\+L Overall|"
                      r"Not estimable)", re.I)
_WEIGHT = re.compile(rf"^{_NUM}%$")
_EST_CI = re.compile(rf"({_NUM})?\s*[\[(]\s*({_NUM})\s*(?:[,;]|to)\s*({_NUM})\s*[\])]")
# A column's name as printed (lower case) -> the statistic it holds; ``tpos``/``cpos`` (metafor's dat.bcg) and the
# like name the arm by their first letter.
STATISTICS = {"events": ("events", "event", "cases", "responders", "n events", "yes", "pos", "tb+", "+"),
              "nonevents": ("non-events", "nonevents", "no", "neg", "tb-", "-"),
              "n": ("total", "n", "no.", "size", "patients"),
              "mean": ("mean", "m"), "sd": ("sd", "s.d.", "std. dev.")}
_ARM_PREFIX = re.compile(r"^([tc])(pos|neg|n|mean|sd)$")
CONTROL_WORDS = ("control", "placebo", "comparator", "usual care", "sham", "saline", "unvaccinated", "non-vaccinated")
MEASURES = (("Std. Mean Difference", "SMD"), ("Standardi[sz]ed Mean Difference", "SMD"), ("SMD", "SMD"),
            ("Hedges", "SMD"), ("Mean Difference", "MD"), ("MD", "MD"), ("Risk Ratio", "RR"), ("Relative Risk", "RR"),
            ("RR", "RR"), ("Odds Ratio", "OR"), ("OR", "OR"), ("Risk Difference", "RD"), ("RD", "RD"))


def number(text):
    return float(text.replace("\u2212", "-").replace("\u00b7", "."))


def decimals(text):
    return len(text.split(".")[1]) if "." in text else 0


def label_of(row):
    """``(label, first word index after it)`` when the row starts with a study label (an optional trial number,
    then a capitalised name and a year: ``Author 2009``, ``Author (2009)``, ``Author et al. 2009a``), else None."""
    words = [w[2] for w in row["words"]]
    start = 1 if words and re.fullmatch(r"\d{1,3}\.?", words[0]) else 0
    if len(words) <= start or not re.match(r"[A-Z\u00c0-\u017f]", words[start]):
        return None
    for j in range(start + 1, min(len(words), start + 9)):
        if _YEAR.match(words[j]):
            if any(re.fullmatch(_NUM, w) for w in words[start:j]):
                return None
            return " ".join(words[start:j + 1]), j + 1
    return None


def fields(words):
    """A row's words after its label as typed fields ``{"kind", "x0", "x1", "text", ...}``: ``est_ci`` (an
    estimate and its CI), ``ci`` (a CI alone: a prediction interval), ``weight`` (a percentage), ``num``, ``text``."""
    out, i = [], 0
    while i < len(words):
        for n in range(7, 0, -1):  # "0.41 [0.13, 1.26]" is three words, "0.41 [ 0.13 , 1.26 ]" six
            chunk = " ".join(w[2] for w in words[i:i + n])
            m = _EST_CI.fullmatch(chunk)
            if m and i + n <= len(words):
                kind = "est_ci" if m.group(1) else "ci"
                out.append({"kind": kind, "x0": words[i][0], "x1": words[i + n - 1][1], "text": chunk,
                            "est": m.group(1), "lo": m.group(2), "hi": m.group(3)})
                i += n
                break
        else:
            w = words[i]
            kind = "weight" if _WEIGHT.match(w[2]) else "num" if re.fullmatch(_NUM, w[2]) else "text"
            out.append({"kind": kind, "x0": w[0], "x1": w[1], "text": w[2]})
            i += 1
    return out


def _columns(rows):
    """Numeric column spans of the study rows: the union of overlapping x ranges of their numbers."""
    spans = sorted((f["x0"], f["x1"]) for r in rows for f in r["fields"] if f["kind"] == "num")
    cols = []
    for x0, x1 in spans:
        if cols and x0 <= cols[-1][1]:
            cols[-1][1] = max(cols[-1][1], x1)
        else:
            cols.append([x0, x1])
    return cols


def _column_of(f, cols):
    for i, (a, b) in enumerate(cols):
        if f["x0"] <= b and f["x1"] >= a:
            return i
    return None


def _meaning(name, group, groups):
    """``(arm, statistic)`` of a column from its name and the group printed over it; arm 0 the experimental
    (treated) arm, 1 the control arm, None where neither is named."""
    low = name.lower().replace("\u2212", "-")
    m = _ARM_PREFIX.match(low)
    if m:
        stat = {"pos": "events", "neg": "nonevents"}.get(m.group(2), m.group(2))
        return (0 if m.group(1) == "t" else 1), stat
    stat = next((s for s, names in STATISTICS.items() if low in names or low.endswith(tuple(
        n for n in names if n in ("+", "-")))), None)
    if stat is None:
        return None, None
    if not group:
        return None, stat
    if any(w in group.lower() for w in CONTROL_WORDS):
        return 1, stat
    others = [g for g in groups if g != group]
    return (0 if not others or groups.index(group) < groups.index(others[0]) else 1), stat


def measure_of(text):
    """The effect measure an estimate column's header names (``RR``, ``OR``, ``MD``, ``SMD``, ``RD``) and its
    model (``random``/``fixed``) when printed."""
    measure = next((m for pat, m in MEASURES if re.search(rf"\b{pat}\b", text, re.I)), None)
    model = "random" if re.search(r"random", text, re.I) else "fixed" if re.search(r"fixed|common", text, re.I) \
        else None
    return measure, model


def _header(rows, first, pitch, left):
    """Header rows just above row ``first``: up to three short rows, each close to the row below it (no farther
    than two and a half of the block's row pitch), that are neither study rows nor a caption. A subgroup heading
    (words only left of the first column of numbers, ``left``) is passed over."""
    out, below = [], rows[first]
    for r in reversed(rows[max(0, first - 4):first]):
        text = row_text(r)
        if not out and max(w[1] for w in r["words"]) < left:
            below = r
            continue
        height = r["box"][3] - r["box"][1]
        running_head = re.fullmatch(r"(?:\d+ .{10,}|.{10,} \d+)", text)  # a journal's name and page number
        far = below["box"][3] - r["box"][3] > 2.5 * max(pitch, height)
        if label_of(r) or _CAPTION.match(text) or running_head or len(r["words"]) > 16 or far:
            break
        out.insert(0, r)
        below = r
    return out


_GROUP = re.compile(r"^[A-Za-z][\w .,'&/+-]{0,40}$")


def _names(words, cols):
    """Each column's name: the header word lying over it (the one overlapping it most), else the nearest word no
    other column took, within a word's width."""
    names = [None] * len(cols)
    free = []
    for w in words:
        over = [(min(w[1], b) - max(w[0], a), i) for i, (a, b) in enumerate(cols) if w[0] <= b and w[1] >= a]
        if over:
            i = max(over)[1]
            names[i] = w[2] if names[i] is None else f"{names[i]} {w[2]}"
        else:
            free.append(w)
    for i, (a, b) in enumerate(cols):
        if names[i] is None:
            near = [(max(a - w[1], w[0] - b), j) for j, w in enumerate(free)]
            near = [(d, j) for d, j in near if d < max(6.0, free[j][1] - free[j][0])]
            if near:
                names[i] = free.pop(min(near)[1])[2]
    return [n or "" for n in names]


def _caption(rows, first, last):
    """The caption printed for the block, ``(label, its line)`` ("Figure 2", "Figure 2. BCG vaccine ..."): the
    nearest caption above it, else below it."""
    near = list(reversed(rows[max(0, first - 8):first])) + rows[last + 1:last + 9]
    for r in near:
        m = _CAPTION.match(row_text(r))
        if m:
            return m.group(1).rstrip("."), row_text(r)
    return "", ""


def caption_measure(text):
    """The effect measure a caption names in full words ("risk ratios"), or None: its abbreviations are not read
    there, where "or" is a word."""
    return next((m for pat, m in MEASURES if " " in pat and re.search(rf"\b{pat}s?\b", text, re.I)), None)


def tables(page, number_=None):
    """The forest plots and tables of one page (``read``'s page): blocks of at least two study rows, each as
    ``{"label", "caption", "box", "header", "columns", "rows", "measure", "model", "problems"}``. A column is
    ``{"x0", "x1", "name", "group", "arm", "statistic"}``; each row ``{"label", "kind" (study / summary / other),
    "text", "box", "cells": {column index or "weight" / "estimate": field}}``."""
    rows = page["rows"]
    blocks, cur = [], []
    for i, r in enumerate(rows):
        lab = label_of(r)
        if lab:
            cur.append(i)
        elif cur and i - cur[-1] > 4:
            blocks.append(cur)
            cur = []
    if cur:
        blocks.append(cur)
    out = []
    for idx in blocks:
        if len(idx) < 2:
            continue
        first, last = idx[0], idx[-1]
        # the block's trailing summary lines (a total row, heterogeneity, a prediction interval)
        while last + 1 < len(rows) and _SUMMARY.match(row_text(rows[last + 1])):
            last += 1
        body = []
        for i in range(first, last + 1):
            r = rows[i]
            lab = label_of(r)
            words = r["words"][lab[1]:] if lab else r["words"]
            kind = "study" if lab else "summary" if _SUMMARY.match(row_text(r)) else "other"
            body.append({"label": lab[0] if lab else row_text(r), "kind": kind, "text": row_text(r),
                         "box": r["box"], "fields": fields(words if lab else r["words"]), "row": i})
        studies = [b for b in body if b["kind"] == "study"]
        studies_with_data = [b for b in studies if any(f["kind"] in ("num", "est_ci") for f in b["fields"])]
        if len(studies_with_data) < 2:
            continue
        cols = _columns(studies)
        tops = sorted(rows[i]["box"][3] for i in idx)
        pitch = sorted(b - a for a, b in zip(tops, tops[1:], strict=False))[len(tops) // 2 - 1]
        header = _header(rows, first, pitch, cols[0][0] if cols else float("inf"))
        problems = []
        groups = [None] * len(cols)
        est_header, name_words = [], []
        est = [f for b in studies for f in b["fields"] if f["kind"] == "est_ci"]
        ex0 = min((f["x0"] for f in est), default=None)
        ex1 = max((f["x1"] for f in est), default=None)
        for depth, h in enumerate(reversed(header)):
            for c in cells(h) if depth else []:
                if not _GROUP.match(c[2]) or len(c[2].split()) > 4:
                    continue
                centre = (c[0] + c[1]) / 2
                if not cols or not cols[0][0] - 20 <= centre <= cols[-1][1] + 20:
                    continue  # over the labels or the estimates: no arm
                for i, (a, b) in enumerate(cols):
                    d = abs(centre - (a + b) / 2)
                    if groups[i] is None or d < groups[i][1]:
                        groups[i] = (c[2], d)
            for w in h["words"]:
                if ex0 is not None and w[1] >= ex0 - 2 and w[0] <= ex1 + 2 and w[0] > (cols[-1][1] if cols else 0):
                    est_header.append(w[2])
                elif not depth:
                    name_words.append(w)
        names = _names(name_words, cols)
        groups = [g[0] if g else None for g in groups]
        order = [g for g in dict.fromkeys(g for g in groups if g)]
        columns = []
        for i, (a, b) in enumerate(cols):
            name = names[i]
            arm, stat = _meaning(name, groups[i], order)
            columns.append({"x0": a, "x1": b, "name": name, "group": groups[i] or "", "arm": arm, "statistic": stat})
        _unnamed_arms(columns)
        if cols and not header:
            problems.append("no header above the rows: its columns cannot be named")
        elif cols and not any(c["statistic"] for c in columns):
            problems.append(f"the header {' / '.join(row_text(h) for h in header)!r} names no column of arm data")
        measure, model = measure_of(" ".join(est_header) + " " + " ".join(row_text(h) for h in header))
        for b in body:
            b["cells"] = {}
            for f in b.pop("fields"):
                if f["kind"] in ("est_ci", "ci"):
                    b["cells"]["estimate"] = f
                elif f["kind"] == "weight":
                    b["cells"]["weight"] = f
                else:
                    i = _column_of(f, cols)
                    if i is not None and i not in b["cells"]:
                        b["cells"][i] = f
        boxes = [b["box"] for b in body] + [h["box"] for h in header]
        box = [min(x[0] for x in boxes), min(x[1] for x in boxes), max(x[2] for x in boxes), max(x[3] for x in boxes)]
        label, caption = _caption(rows, first, last)
        out.append({"label": label, "caption": caption, "page": number_, "box": box,
                    "header": [row_text(h, " | ") for h in header], "columns": columns, "rows": body,
                    "measure": measure, "model": model, "problems": problems})
    return out


def _unnamed_arms(columns):
    """Columns naming a statistic but no arm: where a statistic is printed twice, the left column is the
    experimental arm and the right the control arm (every layout here prints them in that order)."""
    for stat in {c["statistic"] for c in columns if c["statistic"] and c["arm"] is None}:
        same = [c for c in columns if c["statistic"] == stat]
        if len(same) == 2 and all(c["arm"] is None for c in same):
            same[0]["arm"], same[1]["arm"] = 0, 1


def column_words(col):
    """A column as a reader names it: ``'TB+' under 'Vaccinated'``, ``'tpos'``."""
    return f"{col['name'] or 'unnamed'!r}" + (f" under {col['group']!r}" if col["group"] else "")


def region_id(sha, page, index):
    """The name of a figure's picture: the document's checksum (8 digits), the page and the figure's place on it."""
    return f"{sha[:8]}-p{page}-{index}"
