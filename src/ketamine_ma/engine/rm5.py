"""Reader for RevMan 5 review files (``.rm5``, XML).

Returns tidy tables: one row per analysis (``DICH_OUTCOME`` / ``CONT_OUTCOME`` with RevMan's stored results:
EFFECT_SIZE, CI_START, CI_END, Z, P_Z, CHI2, DF, P_CHI2, I2, TAU2, METHOD, RANDOM, EFFECT_MEASURE …) and one row
per study in an analysis (``DICH_DATA``: events/totals; ``CONT_DATA``: means, SDs, totals), with the study's
name and year from ``INCLUDED_STUDIES``. Field names are RevMan's own. The one reader of a RevMan file: the
conformance reviews import theirs with it, and a review's own RevMan file dropped in as a contribution is read
with it too (``ledger.contrib.revman``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

NUMERIC_OUTCOME = ("EFFECT_SIZE", "CI_START", "CI_END", "Z", "P_Z", "CHI2", "DF", "P_CHI2", "I2", "TAU2", "Q",
                   "P_Q", "I2_Q", "STUDIES", "TOTAL_1", "TOTAL_2", "EVENTS_1", "EVENTS_2")
NUMERIC_STUDY = ("EVENTS_1", "TOTAL_1", "EVENTS_2", "TOTAL_2", "MEAN_1", "SD_1", "MEAN_2", "SD_2",
                 "EFFECT_SIZE", "CI_START", "CI_END", "SE", "VAR", "WEIGHT")


class Rm5Error(ValueError):
    """A malformed or unsupported .rm5 file; the message names the file and the element."""


def _num(value, path, where):
    if value is None or value == "":
        return float("nan")
    try:
        return float(value)
    except ValueError:
        raise Rm5Error(f"{path}: {where}: {value!r} is not a number") from None


def read_rm5(path, as_printed=False):
    """Parse ``path`` and return ``(analyses, studies)`` DataFrames.

    The study data's numbers are floats, or with ``as_printed`` the attributes' text (checked all the same), so
    that a ledger row can quote the attribute as the file stores it. Each analysis row carries the file's date of
    last change (``modified``, YYYY-MM-DD, or None)."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise Rm5Error(f"{path}: not a well-formed RevMan 5 XML file ({e})") from None
    if root.tag != "COCHRANE_REVIEW":
        raise Rm5Error(f"{path}: root element is <{root.tag}>, expected <COCHRANE_REVIEW>")
    names = {s.get("ID"): (s.get("NAME"), s.get("YEAR")) for s in root.iter("STUDY")}
    modified = (root.get("MODIFIED") or "")[:10] or None
    analyses, studies = [], []
    for comp in root.iter("COMPARISON"):
        comp_name = (comp.findtext("NAME") or "").strip()
        for kind, data_tag in (("DICH_OUTCOME", "DICH_DATA"), ("CONT_OUTCOME", "CONT_DATA")):
            for out in comp.iter(kind):
                oid = out.get("ID")
                if not oid:
                    raise Rm5Error(f"{path}: a <{kind}> element has no ID attribute")
                row = {"analysis_id": oid, "type": kind, "comparison": comp_name,
                       "name": (out.findtext("NAME") or "").strip(),
                       "group_label_1": out.findtext("GROUP_LABEL_1"), "group_label_2": out.findtext("GROUP_LABEL_2"),
                       "effect_measure": out.get("EFFECT_MEASURE"), "method": out.get("METHOD"),
                       "random": out.get("RANDOM") == "YES", "modified": modified}
                for f in NUMERIC_OUTCOME:
                    row[f.lower()] = _num(out.get(f), path, f"<{kind} ID={oid}> attribute {f}")
                analyses.append(row)
                for d in out.iter(data_tag):
                    sid = d.get("STUDY_ID")
                    if sid not in names:
                        raise Rm5Error(f"{path}: <{data_tag}> in {oid} names study {sid!r}, not in INCLUDED_STUDIES")
                    srow = {"analysis_id": oid, "study_ref": sid, "study": names[sid][0], "year": names[sid][1],
                            "estimable": d.get("ESTIMABLE") == "YES"}
                    for f in NUMERIC_STUDY:
                        if d.get(f) is not None:
                            value = _num(d.get(f), path, f"<{data_tag} STUDY_ID={sid}> attribute {f}")
                            srow[f.lower()] = d.get(f) if as_printed else value
                    studies.append(srow)
    if not analyses:
        raise Rm5Error(f"{path}: no DICH_OUTCOME or CONT_OUTCOME analyses found")
    import pandas as pd  # here: every job imports Rm5Error (stages.io), one job reads a RevMan file

    return pd.DataFrame(analyses), pd.DataFrame(studies)
