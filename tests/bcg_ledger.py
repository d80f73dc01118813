"""The BCG conformance review reduced to its trials and membership (numbers removed), for the completion tests.

Writes into a temporary copy of the project: the 13 BCG trials into data/raw/trials.csv, their membership in
review ``bcg`` into data/raw/membership.csv, the published figures into data/raw/published.csv, and a spec that
reads the review from the ledger. No number of the BCG table enters data/raw/extraction.csv: the worksheet asks
for all of them, and ``fill`` answers from the BCG data table (data/raw/conformance/bcg_studies.csv), each value
with its verbatim data row as the quote (n = tpos + tneg is given as a derivation of two printed numbers).
"""

import re
import shutil
from pathlib import Path

import pandas as pd
import yaml

from ketamine_ma.ledger.tables import load_ledger

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "data/raw/conformance/bcg_studies.csv"


def trial_id(study_id, year):
    return re.sub(r"[^a-z]", "", study_id.split()[0].lower()) + str(year)


def studies():
    t = pd.read_csv(TABLE)
    t["trial_id"] = [trial_id(s, y) for s, y in zip(t.study_id, t.year, strict=True)]
    return t


def reduce(work):
    """Turn the copy's BCG review into a ledger review with trials and membership but no numbers."""
    t = studies()
    raw = work / "data/raw"
    trials = pd.read_csv(raw / "trials.csv", dtype=str, keep_default_na=False)
    new = pd.DataFrame({"trial_id": t.trial_id, "first_author": [s.split()[0] for s in t.study_id],
                        "year": t.year.astype(str), "no_id_reason": "the BCG data table names trials by author and "
                        "year only", "design": "parallel",
                        "randomised": ["yes" if a == "random" else "no" for a in t.alloc],
                        "condition": "tuberculosis (BCG vaccine trial)", "pain_type": "unclear", "crps": "no",
                        "route": "not stated in the data table", "regimen": "BCG vaccine", "source": t.source,
                        "locator": t.locator, "quote": t.quote})
    pd.concat([trials, new]).fillna("").to_csv(raw / "trials.csv", index=False)
    mem = pd.read_csv(raw / "membership.csv", dtype=str, keep_default_na=False)
    new = pd.DataFrame({"review": "bcg", "trial_id": t.trial_id, "status": "confirmed", "source": t.source,
                        "locator": t.locator, "quote": t.quote, "reason": "one of the 13 trials of dat.bcg"})
    pd.concat([mem, new]).fillna("").to_csv(raw / "membership.csv", index=False)
    pub = pd.read_csv(raw / "published.csv", dtype=str, keep_default_na=False)
    bcg = pd.read_csv(ROOT / "data/raw/conformance/bcg_published.csv", dtype=str, keep_default_na=False)
    bcg = bcg[~bcg.analysis.str.startswith("subgroup:")]  # the subgroups go below
    pd.concat([pub, bcg]).fillna("").to_csv(raw / "published.csv", index=False)
    spec_path = work / "config/reviews/bcg.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["source"] = "ledger"
    spec["criteria"] = "trials of BCG vaccine against tuberculosis (the 13 trials of Colditz et al. 1994)"
    for key in ("studies", "published_table"):
        spec.pop(key)
    for a in spec["analyses"].values():
        a.pop("subgroups", None)  # allocation is a column of the data table, not of the ledger
        a.pop("subgroup_test", None)
        a["published"] = [r for r in a.get("published", []) if r in set(bcg.result_id)]
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return t


METAFOR_DOI = "10.18637/jss.v036.i03"  # Viechtbauer 2010, the metafor paper: dat.bcg's table (p. 9) and its pool


def with_pdf(work, pdf, doi=""):
    """The reduced review in the project copy ``work`` run as a reader would, with ``pdf`` as the review's PDF in
    the full-text folder (its manifest row giving ``doi``): the review's scope as the metafor paper states it (the
    umbrella view needs each ledger review's k) and no sensitivity analyses."""
    reduce(work)
    pub = pd.read_csv(work / "data/raw/published.csv", dtype=str, keep_default_na=False)
    scope = {c: "" for c in pub.columns} | {
        "review": "bcg", "result_id": "scope", "kind": "pooled", "outcome": "tuberculosis", "analysis": "primary",
        "k": "13", "source": f"https://doi.org/{METAFOR_DOI}", "locator": "Section 3.2, p. 9",
        "source_kind": "primary", "quote": "the data set object dat.bcg with the results from 13 studies"}
    pd.concat([pub, pd.DataFrame([scope])]).to_csv(work / "data/raw/published.csv", index=False)
    cfg = work / "config/config.yaml"
    config = yaml.safe_load(cfg.read_text())
    config["sensitivity"] = {}
    cfg.write_text(yaml.safe_dump(config))
    ft = work / "data/fulltext"
    ft.mkdir(parents=True)
    shutil.copy(pdf, ft / pdf.name)
    (ft / "documents.csv").write_text(f"file,doi,pmid,trials,reviews\n{pdf.name},{doi},,,bcg\n")


def reduced_ledger(work):
    """``data/raw`` and ``config`` copied into ``work`` with BCG reduced: its validated ledger and BCG's spec."""
    shutil.copytree(ROOT / "data/raw", work / "data/raw")
    shutil.copytree(ROOT / "config", work / "config")
    reduce(work)
    return load_ledger(work / "data/raw"), yaml.safe_load((work / "config/reviews/bcg.yaml").read_text())


def answer(row, t):
    """The BCG table's answer to one worksheet row: value, derivation, quote."""
    s = t.set_index("trial_id").loc[row["trial_id"]]
    pos, neg = ("cpos", "cneg") if row["arm"] in ("control", "Control") else ("tpos", "tneg")  # ledger or spec
    if row["statistic"] == "events":
        return int(s[pos]), "", s.quote
    return int(s[pos] + s[neg]), f"{int(s[pos])} + {int(s[neg])}", s.quote


def fill(numbers, trials=None, contributor="Test Reader", date="2026-12-02"):
    """Fill a numbers sheet (DataFrame of text) from the BCG table, for the given trials (default: all)."""
    t = studies()
    out = numbers.copy()
    for i, row in out.iterrows():
        if trials is not None and row["trial_id"] not in trials:
            continue
        value, derivation, quote = answer(row, t)
        out.loc[i, ["value", "derivation", "locator", "quote", "source"]] = [
            str(value), derivation, t.set_index("trial_id").loc[row["trial_id"], "locator"], quote,
            t.set_index("trial_id").loc[row["trial_id"], "source"]]
    return out
