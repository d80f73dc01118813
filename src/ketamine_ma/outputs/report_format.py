"""How the report prints a value and where it links: the printed forms of its numbers (``num``, ``sig``, ``pval``,
``count``, ``estimate_ci``, ...; a true minus sign, empty when missing, a published figure as printed) and the links
of its rows (a trial's canonical records, a source URL labelled by what it is, a ledger row, a pool's study rows).
Plain functions of plain values, shared by the report's pages (``report_rows``) and the notebooks.
"""

from __future__ import annotations

import math
import re
from urllib.parse import urlparse

from ..ledger.rows import another_publication
from ..ledger.vocabulary import OWN_REPORT, SOURCE_KINDS

MINUS = "\u2212"
PRINTED = ["published_estimate", "published_ci_low", "published_ci_high", "published_p", "published_k",
           "published_n", "published_i2"]  # published figures are shown as printed


def missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or (isinstance(x, str) and not x.strip())


def num(x, digits=2) -> str:
    """A number as a reader reads it: fixed decimals, a true minus sign, empty when missing."""
    if missing(x):
        return ""
    if isinstance(x, str):  # as printed, unless it is a stored full-precision value (RevMan's files)
        x = x.strip()
        if len(x.partition(".")[2]) <= 4 or not re.fullmatch(r"-?\d+\.\d+(e-?\d+)?", x):
            return x.replace("-", MINUS)
        x = float(x)
    v = float(x)
    if v.is_integer() and digits == 0:
        return f"{int(v)}".replace("-", MINUS)
    return f"{v:.{digits}f}".replace("-", MINUS)


def sig(x, n=3) -> str:
    if missing(x):
        return ""
    return f"{float(x):.{n}g}".replace("-", MINUS)


def pval(x) -> str:
    if missing(x):
        return ""
    if isinstance(x, str):  # as printed, unless it is a stored full-precision value
        if len(x.partition(".")[2]) <= 4 or not re.fullmatch(r"\d*\.\d+(e-?\d+)?", x.strip()):
            return x.strip().replace("-", MINUS)
        x = float(x)
    return "<0.0001" if x < 1e-4 else f"{x:.2g}" if x < 0.01 else f"{x:.3f}".rstrip("0").rstrip(".")


def count(x) -> str:
    """A count or id as an integer when it is one (13599 stays 13599, not 1.36e+04)."""
    if missing(x):
        return ""
    try:
        v = float(x)
    except ValueError:
        return str(x)
    return str(int(v)) if v.is_integer() else f"{v:.4g}"


def text(x) -> str:
    return "" if missing(x) else str(x)


def slug(*parts) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", "-".join(str(p) for p in parts)).strip("-")


def estimate_ci(est, low, high, digits=2) -> str:
    if missing(est):
        return ""
    ci = f" [{num(low, digits)}, {num(high, digits)}]" if not missing(low) else ""
    return f"{num(est, digits)}{ci}"


def published_text(r) -> str:
    est = estimate_ci(r.get("published_estimate"), r.get("published_ci_low"), r.get("published_ci_high"))
    return f"{r.get('measure') or ''} {est}".strip() if est else ""


def short_reason(reason) -> str:
    """The first clause of a reproduction reason, as a sentence (the cells needed are on the missing-cells page)."""
    first = text(reason).split("; needed:")[0]
    return f"{first[:1].upper()}{first[1:]}." if first else ""


def p_like(p, published) -> str:
    """Our p with at least the decimals of the published p it is compared with (0.4132 beside a printed 0.4132)."""
    p, printed = float(p), text(published).strip()
    places = max(3, len(printed.split(".")[1]) if "." in printed else 0)
    return "<0.0001" if p < 1e-4 else f"{p:.{places}f}"


def kind_words(kind) -> str:
    """What a ledger row was read from (its ``source_kind``), in words; empty when the row does not say."""
    return "" if missing(kind) else SOURCE_KINDS.get(str(kind), str(kind))


# --- canonical records and links ---------------------------------------------------------------------------------

REGISTRIES = [
    (re.compile(r"^NCT\d{8}$"), "https://clinicaltrials.gov/study/{}"),
    (re.compile(r"^ISRCTN\d+$"), "https://www.isrctn.com/{}"),
    (re.compile(r"^DRKS\d+$"), "https://drks.de/search/en/trial/{}"),
    (re.compile(r"^\d{4}-\d{6}-\d{2}$"), "https://www.clinicaltrialsregister.eu/ctr-search/search?query={}"),
]
ICTRP = "https://trialsearch.who.int/Trial2.aspx?TrialID={}"  # the WHO portal resolves every other registry's ids


def registry_url(rid: str) -> str:
    for pattern, url in REGISTRIES:
        if pattern.match(rid):
            return url.format(rid)
    return ICTRP.format(rid)


def trial_records(t) -> list[dict]:
    """A trial's canonical links: DOI, PubMed, PMC, registry (whichever ``trials.csv`` has)."""
    out = []
    if t is None:
        return out
    if not missing(t.get("doi")):
        out.append({"label": f"doi:{t['doi']}", "href": f"https://doi.org/{t['doi']}"})
    if not missing(t.get("pmid")):
        pmid = count(t["pmid"])
        out.append({"label": f"PMID {pmid}", "href": f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"})
    if not missing(t.get("pmcid")):
        out.append({"label": t["pmcid"], "href": f"https://pmc.ncbi.nlm.nih.gov/articles/{t['pmcid']}/"})
    if not missing(t.get("registry_id")):
        out.append({"label": t["registry_id"], "href": registry_url(t["registry_id"])})
    return out


def own_records(row, trial) -> list[dict]:
    """The trial's canonical links beside a ledger row read in the trial's own report; none beside a row read in
    another publication (a review's table, a letter, a follow-up paper), whose quote those records do not hold."""
    if trial is None or row.get("source_kind") not in OWN_REPORT or another_publication(row.get("locator"),
                                                                                         trial.get("year")):
        return []
    return trial_records(trial)


def record(url) -> dict | None:
    """A source URL labelled by what it is: a DOI, PubMed or PMC record, a registry entry, or a web page."""
    if missing(url):
        return None
    url = str(url)
    u = urlparse(url)
    host, path = u.netloc.lower(), u.path
    if host in ("doi.org", "dx.doi.org"):
        return {"label": f"doi:{path.lstrip('/')}", "href": url, "canonical": True}
    if host == "pubmed.ncbi.nlm.nih.gov":
        return {"label": f"PMID {path.strip('/').split('/')[0]}", "href": url, "canonical": True}
    m = re.search(r"(PMC\d+)(.*)", path)
    if host in ("pmc.ncbi.nlm.nih.gov", "www.ncbi.nlm.nih.gov") and m:
        where = m.group(2).strip("/").replace("/", " ")
        return {"label": f"{m.group(1)} {where}".strip(), "href": url, "canonical": True}
    if host.endswith("clinicaltrials.gov"):
        return {"label": path.rstrip("/").split("/")[-1], "href": url, "canonical": True}
    if u.scheme in ("http", "https"):
        return {"label": host.removeprefix("www."), "href": url, "canonical": False}
    return {"label": url, "href": None, "canonical": False}


def pooled_link(review, key, variant) -> str:
    return f"{review}-studies.html#{slug(key, variant)}"


def published_link(r: dict, known) -> str | None:
    """The ledger row of a published figure (its quote and source), when the ledger holds it."""
    key = (r.get("review"), r.get("result_id"))
    return f"ledger.html#{slug('p', *key)}" if key in known else None


def ledger_link(eid, known, verified=None, kinds=None) -> dict:
    """A ledger row's link; with ``verified`` (``Run.verified``), the page of the full text it was verified on; with
    ``kinds`` (``Run.source_kinds``), what it was read from."""
    return {"id": eid, "href": f"ledger.html#{slug('x', eid)}" if eid in known else None,
            "verified": (verified or {}).get(eid, {}).get("href") and verified[eid],
            "kind": (kinds or {}).get(eid, "")}
