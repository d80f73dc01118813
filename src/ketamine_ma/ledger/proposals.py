"""Numbers proposed from a review's forest plots and tables, each checked against what its own row prints.

For each study row of a figure or table (``layout.tables``) whose label names a trial of the review (first author
and year; accents, "et al." and co-authors aside), every arm cell the row prints is proposed with the document, the
page, the figure's label as printed, the row's text as quote and the row's box; a row printing only the trial's
estimate and CI proposes those (arm ``difference``: ``mean``, ``ci_low``, ``ci_high``) and the SE derived from the
CI as printed, which pools them. Every row is self-checked: the
trial's estimate and CI recomputed from the proposed arm data with the figure's measure (``engine.effects``,
metafor's ``escalc`` and RevMan's formulas) and compared with the printed ones at their printed precision; the
weight under the figure's model; the pool of the rows against the printed pooled row; the arm totals against the
total row. A disagreement is said in words. Nothing here enters a result: a reader accepts (see
docs/forest-plots.md).
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from ..engine import conversions, effects, tau2_estimators
from . import layout
from .vocabulary import ARMS

Z = 1.959963984540054  # the normal quantile of a 95% CI, as metafor and RevMan use it
UNCHECKED = "nothing printed to check against"


def _fold(text):
    text = re.sub(r"[\u2010-\u2015\u2212-]", " ", str(text))  # "Frimodt−Moller" as printed by R
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9 ]", " ", text)


def surname_year(label):
    """``(first author's surname, year with its letter)`` of a printed label: "Frimodt-Moller et al 1973" ->
    ("frimodt moller", "1973")."""
    m = re.search(r"\(?((?:19|20)\d{2}[a-z]?)\)?[,;:.]?\s*$", label.strip())
    if not m:
        return None
    name = label[:m.start()].strip().rstrip(",")
    name = re.split(r"\s+(?:et\.?\s*al\.?|and|&)\b|,", name)[0]
    return " ".join(_fold(name).split()), m.group(1)


def match(rows, trials):
    """Each study row's trial: ``{row index: trial_id}`` for labels naming exactly one trial and no other row
    naming it; ``unmatched``: labels naming no trial; ``twice``: trial ids two rows name (neither proposed)."""
    keys = {}
    for t in trials:
        key = (" ".join(_fold(t["first_author"]).split()), str(t["year"]).split(".")[0])
        keys.setdefault(key, []).append(t["trial_id"])
    prefix = {(n.split()[0], y): ids for (n, y), ids in keys.items() if n}
    found, unmatched = {}, []
    for i, r in enumerate(rows):
        if r["kind"] != "study":
            continue
        sy = surname_year(r["label"])
        ids = (keys.get(sy) or prefix.get((sy[0].split()[0], sy[1]), [])) if sy and sy[0] else []
        if len(ids) == 1:
            found[i] = ids[0]
        else:
            unmatched.append(r["label"])
    twice = {t for t in found.values() if list(found.values()).count(t) > 1}
    return {i: t for i, t in found.items() if t not in twice}, unmatched, sorted(twice)


def arm_data(table, row):
    """The row's arm cells: ``{(arm index, statistic): (value, printed text, derivation)}``; a total derived from
    events and non-events (metafor's ``tpos``/``tneg``) says so."""
    out = {}
    for i, c in enumerate(table["columns"]):
        cell = row["cells"].get(i)
        if c["arm"] is None or c["statistic"] is None or cell is None:
            continue
        out[(c["arm"], c["statistic"])] = (layout.number(cell["text"]), cell["text"], "")
    for arm in (0, 1):
        ev, non = out.get((arm, "events")), out.get((arm, "nonevents"))
        if ev and non and (arm, "n") not in out:
            out[(arm, "n")] = (ev[0] + non[0], f"{ev[0] + non[0]:g}", f"{ev[1]} + {non[1]}")
    return out


def _family(data):
    if all((a, s) in data for a in (0, 1) for s in ("mean", "sd", "n")):
        return "continuous"
    if all((a, s) in data for a in (0, 1) for s in ("events", "n")):
        return "binary"
    return None


def effect(data, measure):
    """``(yi, vi)`` of one row's arm data under ``measure`` (RevMan's and metafor's 0.5 for a zero cell)."""
    g = lambda a, s: data[(a, s)][0]  # noqa: E731
    if _family(data) == "binary":
        yi, vi, _ = effects.two_by_two([g(0, "events")], [g(0, "n")], [g(1, "events")], [g(1, "n")], measure)
    elif measure == "SMD":
        yi, vi = effects.smd(*([g(a, s)] for a in (0, 1) for s in ("mean", "sd", "n")))
    else:
        yi, vi = effects.md(*([g(a, s)] for a in (0, 1) for s in ("mean", "sd", "n")))
    return float(yi[0]), float(vi[0])


def ci_only(data, row):
    """Whether a row prints its estimate and CI and no arm data (a generic inverse-variance plot)."""
    est = row["cells"].get("estimate") or {}
    return not data and all(est.get(k) for k in ("est", "lo", "hi"))


def ci_effect(row, measure):
    """``(yi, vi, words)`` of a row printing only its estimate and CI: yi the printed estimate (its log for a
    ratio), vi the square of the SE derived from the CI as printed (``conversions.se_from_ci``), and the
    derivation in words."""
    est, ratio = row["cells"]["estimate"], effects.is_ratio(measure)
    value = layout.number(est["est"])
    se = conversions.se_from_ci(layout.number(est["lo"]), layout.number(est["hi"]), ratio)
    bounds = f"ln {est['hi']} \u2212 ln {est['lo']}" if ratio else f"{est['hi']} \u2212 {est['lo']}"
    words = (f"SE = ({bounds}) / (2 \u00d7 1.96) = {se:.6g}{' on the log scale' if ratio else ''}, from the 95% CI "
             "as printed (Cochrane Handbook v6.4 \u00a76.3.1\u20136.3.2)")
    return (float(np.log(value)) if ratio else value), se ** 2, words


_SE_WORDS = re.compile(r"^SE = \((ln )?(\S+) \u2212 (?:ln )?(\S+)\) / \(2 \u00d7 1\.96\)")


def se_words_ci(words):
    """``(lower, upper, ratio)`` of the CI an SE's derivation words (``ci_effect``'s) name, or None: a reader's
    check recomputes the SE from the printed bounds."""
    m = _SE_WORDS.match(str(words))
    return (layout.number(m.group(3)), layout.number(m.group(2)), bool(m.group(1))) if m else None


def row_effect(table, row, measure):
    """``(yi, vi)`` of a study row: from its arm data, or from its printed CI where it prints nothing else."""
    data = arm_data(table, row)
    return effect(data, measure) if _family(data) else ci_effect(row, measure)[:2]


def _centred(est, measure):
    """``(ok, words)``: a printed estimate against the middle of its printed CI (on the log scale for a ratio),
    each number known to within half its last printed digit; a misread digit moves one off the other."""
    ratio = effects.is_ratio(measure)
    f, g = (np.log, np.exp) if ratio else ((lambda x: x), (lambda x: x))

    def span(text):
        v, d = _printed(text)
        h = 0.5 * 10 ** -d * (1 + 1e-6)
        return max(v - h, 1e-12) if ratio else v - h, v + h

    (l0, l1), (h0, h1), (e0, e1) = span(est["lo"]), span(est["hi"]), span(est["est"])
    m0, m1 = g((f(l0) + f(h0)) / 2), g((f(l1) + f(h1)) / 2)
    where = "geometric middle" if ratio else "middle"
    if m0 <= e1 and m1 >= e0:
        return True, f"{measure} {est['text']}: the estimate is the {where} of its CI as printed"
    return False, (f"prints {measure} {est['text']}; the {where} of its CI is {_fmt(m0, est['est'])} to "
                   f"{_fmt(m1, est['est'])}")


def _printed(text):
    return layout.number(text), layout.decimals(text.replace("\u2212", "-"))


def _agrees(value, text):
    printed, d = _printed(text)
    return abs(value - printed) <= 0.5 * 10 ** -d * (1 + 1e-6) + 1e-12


def _fmt(x, text):
    return f"{x:.{_printed(text)[1]}f}"


def self_check(table, row, measure):
    """``(ok, words)``: the row's printed estimate and CI against the ones its arm data give; ok is None where
    the row prints nothing to check against (a data table without estimates)."""
    data = arm_data(table, row)
    est = row["cells"].get("estimate")
    if est is None or not est.get("est"):
        return None, "the row prints no estimate to check against"
    if measure is None:
        return False, "the figure's header names no effect measure"
    if ci_only(data, row):
        return _centred(est, measure)
    if not _family(data):
        return False, "the row prints no complete arm data for both arms"
    yi, vi = effect(data, measure)
    got = effects.study_intervals([yi], [vi], measure)
    got = [float(g[0]) for g in got]
    texts = [est["est"], est["lo"], est["hi"]]
    if all(_agrees(g, t) for g, t in zip(got, texts, strict=True)):
        return True, f"{measure} {est['text']} recomputed from the arm data"
    arms = (f"{data[(0, 'events')][1]}/{data[(0, 'n')][1]} vs {data[(1, 'events')][1]}/{data[(1, 'n')][1]}"
            if _family(data) == "binary" else
            " vs ".join(f"{data[(a, 'mean')][1]} ({data[(a, 'sd')][1]}, n = {data[(a, 'n')][1]})" for a in (0, 1)))
    gives = f"{_fmt(got[0], texts[0])} [{_fmt(got[1], texts[1])}, {_fmt(got[2], texts[2])}]"
    return False, f"prints {measure} {est['text']}; {arms} gives {gives}"


def pool_check(table, rows, measure, estimator):
    """``(ok, words)``: the random-effects pool of the rows' arm data against the printed pooled row (the last
    summary row printing an estimate), and each row's printed weight against its weight under that model."""
    summary = [r for r in table["rows"] if r["kind"] == "summary" and r["cells"].get("estimate", {}).get("est")]
    if not summary or not rows or measure is None:
        return None, "no pooled row to check against"
    yv = np.array([row_effect(table, r, measure) for r in rows])
    t2 = tau2_estimators.tau2(yv[:, 0], yv[:, 1], estimator)
    w = 1 / (yv[:, 1] + t2)
    mu, se = float((w * yv[:, 0]).sum() / w.sum()), float(np.sqrt(1 / w.sum()))
    got = [float(effects.back_transform(x, measure)) for x in (mu, mu - Z * se, mu + Z * se)]
    est = summary[-1]["cells"]["estimate"]
    texts = [est["est"], est["lo"], est["hi"]]
    gives = f"{_fmt(got[0], texts[0])} [{_fmt(got[1], texts[1])}, {_fmt(got[2], texts[2])}]"
    weights = [(r, 100 * wi / w.sum()) for r, wi in zip(rows, w, strict=True) if "weight" in r["cells"]]
    off = [f"{r['label']} prints weight {r['cells']['weight']['text']}, its weight is "
           f"{_fmt(x, r['cells']['weight']['text'].rstrip('%'))}%" for r, x in weights
           if not _agrees(x, r["cells"]["weight"]["text"].rstrip("%"))]
    weighed = f" and weigh the rows as printed ({len(weights)} weights)" if weights and not off else ""
    if all(_agrees(g, t) for g, t in zip(got, texts, strict=True)) and not off:
        return True, f"the {len(rows)} rows pool ({estimator}) to the printed {est['text']}{weighed}"
    return False, (f"prints {summary[-1]['label']!r}; the {len(rows)} rows pool ({estimator}) to {gives}"
                   + "".join(f"; {o}" for o in off))


def totals_check(table, rows):
    """``(ok, words)``: each arm total a summary row prints (RevMan's ``Total (95% CI)``) against the sum of the
    rows' totals; None where no summary row prints one."""
    said = []
    for s in (r for r in table["rows"] if r["kind"] == "summary"):
        for i, c in enumerate(table["columns"]):
            if c["statistic"] != "n" or i not in s["cells"]:
                continue
            total = sum(layout.number(r["cells"][i]["text"]) for r in rows if i in r["cells"])
            printed = layout.number(s["cells"][i]["text"])
            if total != printed:
                return False, (f"{s['label']!r} prints {s['cells'][i]['text']} under {layout.column_words(c)}; the "
                               f"rows sum to {total:g}")
            said.append(f"{printed:g}")
    return (True, f"the rows' totals sum to the printed {' and '.join(said)}") if said else (None, "")


def figure_measure(table, analyses):
    """``(measure, estimator, words)``: the effect measure of a figure and the tau2 estimator its pooled row is
    checked with, from its header, else from the review's ``analyses`` (the spec's), and how they were chosen in
    words ("" where the header names them). Where the header names no measure: the one the caption names in words
    ("risk ratios") among the review's, else the review's one measure, else the one of its measures the rows'
    printed estimates check against; None when several fit (a table printing no estimate needs none). The
    estimator: DerSimonian-Laird under a RevMan header ("M-H, Random", "IV, Random"), else the one random-effects
    estimator of the review's analyses of that measure, else metafor's default REML."""
    said = []
    measures = list(dict.fromkeys(a["measure"] for a in analyses.values()))
    measure = table["measure"]
    studies = [r for r in table["rows"] if r["kind"] == "study"]
    if measure is None and not any((r["cells"].get("estimate") or {}).get("est") for r in studies):
        return None, "REML", ""  # a data table: its arm data need no measure, nothing printed to check
    if measure is None:
        named = layout.caption_measure(table.get("caption", ""))
        fits = [m for m in measures if all(self_check(table, r, m)[0] is not False for r in studies)]
        if named in measures:
            measure, why = named, f"named by its caption {table['caption']!r}"
        elif len(measures) == 1:
            measure, why = measures[0], "the measure of the review's analyses"
        elif len(fits) == 1:
            measure, why = fits[0], (f"the one of the review's measures ({', '.join(measures)}) its rows' printed "
                                     "estimates check against")
        else:
            return None, None, (f"the figure's header names no effect measure and the review's analyses use "
                                f"{', '.join(measures)}, {len(fits) or 'none'} of which its rows check against: "
                                "nothing proposed; type its numbers in the numbers sheet")
        said.append(f"{why}; the figure's header names none")
    if re.search(r"\b(?:M-H|IV)\b", " ".join(table["header"])):
        return measure, "DL", "; ".join(said)
    own = {a["tau2_estimator"] for a in analyses.values() if a["measure"] == measure and a["model"] == "random"}
    if len(own) != 1:
        return measure, "REML", "; ".join(said)
    estimator = own.pop()
    said.append(f"its pooled row checked by {estimator}, the estimator of the review's random-effects analyses of "
                f"{measure}")
    return measure, estimator, "; ".join(said)


def figure_label(table):
    """A figure's or table's label as printed ("Figure 2"), or "Table" for a block printed without one: with the
    page, the locator of its proposals and its name in the worksheet's figures sheet."""
    return table["label"] or "Table"


def propose(table, trials, document, page_label, measure=None, estimator=None):
    """Proposals of one figure or table: ``{"cells": [...], "rows": [...], "unmatched", "twice", "pool"}``. Each
    cell: trial_id, arm, statistic, measure (of a between-arm estimate), value, derivation, source, locator, quote,
    figure, box, self_check, verdict. Each row: its label, trial (or why none), verdict and words; ``pool`` and
    ``totals``: the figure's checks. ``measure`` and ``estimator`` (``figure_measure``) where the header names none:
    a RevMan header ("M-H, Random", "IV, Random") means DerSimonian-Laird, else the given estimator, else
    metafor's default REML."""
    measure = table["measure"] or measure
    revman = re.search(r"\b(?:M-H|IV)\b", " ".join(table["header"]))
    estimator = "DL" if revman else estimator or "REML"
    matched, unmatched, twice = match(table["rows"], trials)
    cells, rows, checked = [], [], []
    figure = figure_label(table)
    for i, r in enumerate(table["rows"]):
        if r["kind"] != "study":
            continue
        ok, words = self_check(table, r, measure)
        tid = matched.get(i)
        verdict = {True: "passes", False: "fails", None: UNCHECKED}[ok]
        rows.append({"label": r["label"], "trial_id": tid or "", "self_check": verdict,
                     "words": words, "box": r["box"],
                     "why": "" if tid else ("two rows name this trial" if surname_year(r["label"]) and any(
                         surname_year(r["label"]) == surname_year(o["label"]) for j, o in enumerate(table["rows"])
                         if j != i and o["kind"] == "study") else "no trial of the review has this author and year")})
        if ok is not False:
            checked.append(r)
        if not tid:
            continue
        data = {(ARMS[arm], stat): v for (arm, stat), v in arm_data(table, r).items() if stat != "nonevents"}
        if ci_only(data, r) and measure is not None:
            # the trial's estimate and CI as printed, and the SE the analysis pools them with, derived
            est = r["cells"]["estimate"]
            _, vi, how = ci_effect(r, measure)
            data = {("difference", "mean"): (layout.number(est["est"]), est["est"], ""),
                    ("difference", "ci_low"): (layout.number(est["lo"]), est["lo"], ""),
                    ("difference", "ci_high"): (layout.number(est["hi"]), est["hi"], ""),
                    ("difference", "se"): (float(np.sqrt(vi)), "", how)}
        for (arm, stat), (value, _text, derivation) in sorted(data.items()):
            cells.append({"trial_id": tid, "arm": arm, "statistic": stat, "value": value,
                          "measure": measure if arm == "difference" else "",
                          "derivation": derivation, "source": document, "locator": f"{figure}, {page_label}",
                          "quote": r["text"], "figure": figure, "box": r["box"],
                          "self_check": verdict, "check_words": words})
    pool = pool_check(table, checked, measure, estimator) if len(checked) == sum(
        1 for r in table["rows"] if r["kind"] == "study") else (False, "a row fails its self-check: no pool checked")
    studies = [r for r in table["rows"] if r["kind"] == "study"]
    return {"cells": cells, "rows": rows, "unmatched": unmatched, "twice": twice, "pool": pool,
            "totals": totals_check(table, studies), "measure": measure, "estimator": estimator}
