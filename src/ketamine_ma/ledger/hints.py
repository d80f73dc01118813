"""Hints for a worksheet's empty cells: the passages of the full texts most likely to hold each one (the trial's
own documents searched for its outcome, arm and time-point words with numbers nearby; the review's documents for
the lines naming the trial), quoted in the numbers sheet's ``hints`` column. Nothing is filled in: a reader
checks the passage and types the value, which the rerun proves on its page (``ledger.fulltext``).
"""

from __future__ import annotations

import re

from .fulltext_index import doi_of, pmid_of
from .pdf_text import normalise
from .vocabulary import CONTROL, EXPERIMENTAL

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:[.,]\d+)?(?![\w])")
ARM_WORDS = {EXPERIMENTAL: ("treated", "vaccinated", "intervention", "active"),
             CONTROL: ("control", "placebo", "saline", "midazolam", "comparator", "usual care")}
STAT_WORDS = {"events": ("events", "patients", "cases", "positive"), "n": ("n =", "randomi", "patients", "total"),
              "mean": ("mean", "±", "average"), "sd": ("sd", "±", "standard deviation"),
              "se": ("se", "sem", "standard error"), "median": ("median",)}


def _passage(text, start, width=200, lead=20):
    s = max(0, start - lead)
    return s, text[s:s + width]


def hints(cell, trial, docs, review, limit=3):
    """Up to ``limit`` passages ``(file, page, text)`` most likely to hold one worksheet cell.

    ``cell``: the numbers-sheet row (trial_id, outcome, timepoint, arm, statistic); ``trial``: its ledger trial
    (first_author, year, doi, pmid). Documents of the trial (manifest ``trials``, or its DOI or PMID) are searched
    for outcome, arm and time-point words with numbers nearby; documents of the review (manifest ``reviews``) for
    lines naming the trial by first author and year (a table row, a forest-plot line).
    """
    tid = cell["trial_id"]
    own, reviews = [], []
    for d in docs.rows:
        trials = {t.strip() for t in re.split(r"[;,\s]+", d["trials"]) if t.strip()}
        if tid in trials or (trial.get("doi") and doi_of(str(trial["doi"])) == d["doi"] and d["doi"]) or (
                trial.get("pmid") and pmid_of(str(trial["pmid"]).split(".")[0]) == d["pmid"] and d["pmid"]):
            own.append(d)
        elif review in {r.strip() for r in re.split(r"[;,\s]+", d["reviews"])}:
            reviews.append(d)
    counting = cell["statistic"] in ("events", "n")
    scored = []
    surname = normalise(str(trial.get("first_author") or "")).split(" ")[0]
    year = str(trial.get("year") or "").split(".")[0]
    for d in reviews:
        if not surname or not year:
            break
        pat = re.compile(rf"\b{re.escape(surname)}\b[^.\d]{{0,40}}?\b{year}\b")
        for p, text in enumerate(docs.texts[d["sha256"]]["pages"], start=1):
            for m in pat.finditer(text):
                after = text[m.end():m.end() + 60]
                nums = _NUMBER.findall(after)
                score = 10 + sum(1 for n in nums if counting == ("." not in n))
                scored.append((score, d["file"], p, *_passage(text, m.start())))
    words = [w for w in re.split(r"[_\s]+", str(cell.get("outcome") or "")) if len(w) > 2]
    words += ARM_WORDS.get(cell["arm"], ()) + STAT_WORDS.get(cell["statistic"], ())
    words += [w for w in re.split(r"\W+", str(cell.get("timepoint") or "")) if len(w) > 2]
    for d in own:
        for p, text in enumerate(docs.texts[d["sha256"]]["pages"], start=1):
            low = text.lower()
            for s in range(0, max(1, len(text) - 100), 100):
                window = low[s:s + 200]
                hit = sum(1 for w in words if w.lower() in window)
                if hit:
                    score = hit + min(len(_NUMBER.findall(window)), 5) * 0.5
                    scored.append((score, d["file"], p, s, text[s:s + 200]))
    scored.sort(key=lambda h: (-h[0], h[1], h[2], h[3]))
    out, taken = [], []
    for _, f, p, s, text in scored:
        if any(f == f2 and p == p2 and abs(s - s2) < 100 for f2, p2, s2 in taken):
            continue
        taken.append((f, p, s))
        out.append((f, p, text))
        if len(out) == limit:
            break
    return out


def hint_text(found, docs):
    """The ``hints`` cell: one line per passage, ``p. N of file: "…"``."""
    out = []
    for f, p, text in found:
        doc = next(d for d in docs.rows if d["file"] == f)
        out.append(f'{docs.label(doc, p)} of {f}: "…{text}…"')
    return "\n".join(out)
