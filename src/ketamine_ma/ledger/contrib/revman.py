"""A review's own RevMan 5 file (``data/contrib/<review>.rm5``) as ledger rows: the mapping from the analyses
the review's spec names (``rm5_analysis``) to the ledger's trials, outcomes, arms and statistics. The file is
read by the one RevMan reader (``engine.rm5``); the contributions are gathered and checked in ``validate``.
"""

from __future__ import annotations

import re

from ...engine.rm5 import Rm5Error, read_rm5
from ..rows import time_key
from ..vocabulary import CONTROL, EXPERIMENTAL, LedgerError
from .read import arm_id, slug

RM5_CELLS = {"DICH_DATA": ((EXPERIMENTAL, "events", "EVENTS_1"), (EXPERIMENTAL, "n", "TOTAL_1"),
                            (CONTROL, "events", "EVENTS_2"), (CONTROL, "n", "TOTAL_2")),
             "CONT_DATA": ((EXPERIMENTAL, "mean", "MEAN_1"), (EXPERIMENTAL, "sd", "SD_1"),
                           (EXPERIMENTAL, "n", "TOTAL_1"),
                           (CONTROL, "mean", "MEAN_2"), (CONTROL, "sd", "SD_2"), (CONTROL, "n", "TOTAL_2"))}


def rm5_rows(path, ledger, selected, specs, out, places, seen):
    """A review's own RevMan 5 file (``data/contrib/<review>.rm5``), read by the one RevMan reader
    (``engine.rm5``): the study data of every analysis that the review's spec maps to a RevMan analysis
    (``rm5_analysis``), subgroups included, as ledger rows of the spec's outcome and time point. Each value is
    quoted as the XML attribute that stores it; studies are matched to ledger trials by name and year."""
    review = path.stem
    if review not in selected:
        raise LedgerError(f"{path}: a RevMan file is named after its review (e.g. zhao2018.rm5); {review!r} is not "
                          f"a selected review (config reviews: {', '.join(selected)})")
    spec = specs[review]
    mapped = {a["rm5_analysis"]: (k, a) for k, a in spec["analyses"].items() if a.get("rm5_analysis")}
    try:
        analyses, studies = read_rm5(path, as_printed=True)
    except Rm5Error as e:  # a contribution's defect is a LedgerError, whichever file it is in
        raise LedgerError(str(e)) from None
    if not mapped:
        listing = "; ".join(f"{i} {n}" for i, n in zip(analyses.analysis_id, analyses.name, strict=True))
        raise LedgerError(f"{path}: config/reviews/{review}.yaml maps no analysis to this file; add rm5_analysis: "
                          f"<ID> to the analyses it holds ({listing})")
    doi = re.search(r"10\.\d{4,9}/[^\s;,]+", spec["citation"])
    url = re.search(r"https?://\S+", spec["citation"])
    source = f"https://doi.org/{doi.group(0).rstrip('.')}" if doi else url.group(0) if url else None
    if source is None:
        raise LedgerError(f"config/reviews/{review}.yaml, citation: no DOI or URL, so the rows of {path} would have "
                          "no source; add the review's DOI to its citation")
    trials = ledger["trials"]
    surname = trials.first_author.astype(str).str.split().str[0].str.lower().str.replace(r"[^a-z]", "", regex=True)
    stamp = {"source_kind": "review", "contributor": f"RevMan file {path.name}",
             "contributed_on": analyses.modified.iloc[0]}
    tags = dict(zip(analyses.analysis_id, analyses.type.str.replace("_OUTCOME", "_DATA"), strict=True))
    for aid, (key, a) in sorted(mapped.items()):
        if aid not in tags:
            raise LedgerError(f"{path}: config/reviews/{review}.yaml, analyses.{key}.rm5_analysis: {aid!r} is not "
                              f"in the file; it has: {', '.join(tags)}")
        tp = a.get("timepoint") or {}
        tag = tags[aid]
        for d in studies[studies.analysis_id == aid].to_dict("records"):
            sid, name, year = d["study_ref"], d["study"] or "", d["year"] or ""
            where = f"{path}, <{tag} STUDY_ID={sid}> in {aid}"
            hit = trials[(surname == re.sub(r"[^a-z]", "", name.split()[0].lower() if name else ""))
                         & (trials.year.astype(float) == float(year or "nan"))]
            if len(hit) != 1:
                raise LedgerError(f"{where}: study {name} {year} matches {len(hit)} ledger trials by first author "
                                  "and year; add the trial to data/raw/trials.csv (or a worksheet's trials sheet)")
            tid = hit.trial_id.iloc[0]
            for arm, stat, attr in RM5_CELLS[tag]:
                text = d.get(attr.lower())
                if not isinstance(text, str) or text == "":  # the attribute is not in the file
                    continue
                quote = f'{attr}="{text}"'
                key_ = (tid, a["outcomes"][0], time_key(tp.get("label"), tp.get("target_days", tp.get("min_days"))),
                        arm, stat)
                if key_ in seen:
                    raise LedgerError(f"{where}, attribute {attr}: the same cell is already given at {seen[key_]}")
                seen[key_] = f"{where}, attribute {attr}"
                out["extraction"].append({
                    "extract_id": f"{tid}-{slug(a['outcomes'][0])}-{slug(aid)}-{arm_id(arm, spec)}-{stat}-revman",
                    "trial_id": tid, "outcome": a["outcomes"][0], "timepoint": tp.get("label"),
                    "time_days": tp.get("target_days", tp.get("min_days")), "arm": arm, "statistic": stat,
                    "qualifier": None, "value": float(text), "scale": "count" if tag == "DICH_DATA"
                    else "other", "source": source, "locator": f"{path.name}, <{tag} STUDY_ID={sid}> in {aid}",
                    "quote": quote, "status": "verified", "derivation": None,
                    "notes": f"the review's own RevMan data for analysis {key} ({aid})", **stamp})
                places["extraction"].append(lambda col, w=where, at=attr: f"{w}, attribute {at} ({col})")
                days = tp.get("target_days", tp.get("min_days"))
                out["log"].append({"origin": f"{where}, attribute {attr}", "became": f"extraction {tid} {arm} {stat}",
                                   "file": str(path), "sheet": "revman", "review": review, "trial_id": tid,
                                   "outcome": a["outcomes"][0], "timepoint": tp.get("label") or "",
                                   "time_days": "" if days is None else f"{days:g}", "arm": arm, "statistic": stat,
                                   "value": text})
