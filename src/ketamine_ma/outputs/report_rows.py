"""What the report's pages show: the numbers, words and links of every row and card, read from the pipeline's
outputs (``Run``) and prepared as plain data (dicts and lists) for the pages (``outputs.report``).

Every pooled number links to its study rows; every study row links each of its ledger rows (``extract_ids``); each
ledger row links its canonical record and the page of the full text it was verified on.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd

from ..engine import effects as ef
from ..ledger import plan
from ..ledger.rows import another_publication
from ..ledger.studies import study_id
from ..ledger.vocabulary import OWN_REPORT, SOURCE_KINDS
from .report_files import figures_page_name

MINUS = "\u2212"

PRINTED = ["published_estimate", "published_ci_low", "published_ci_high", "published_p", "published_k",
           "published_n", "published_i2"]  # published figures are shown as printed
STATUS_LABELS = {"reproduced": "reproduced", "partial": "partial", "not_reproducible": "not reproducible",
                 "not_computed": "not computed"}
# Arm-level columns of a study table (metafor's names) and their headings: {0} / {1} are the spec's arm labels.
ARM_COLUMNS = {"ai": "{0} events", "n1": "{0} n", "m1": "{0} mean", "sd1": "{0} SD",
               "ci": "{1} events", "n2": "{1} n", "m2": "{1} mean", "sd2": "{1} SD",
               "m_pre": "baseline mean", "sd_pre": "baseline SD", "m_post": "after mean", "sd_post": "after SD",
               "xi": "events", "ni": "n"}
COUNTS = ("ai", "n1", "ci", "n2", "xi", "ni")


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


# --- canonical records --------------------------------------------------------------------------------------------

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


# --- reading the results ------------------------------------------------------------------------------------------


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


# --- page data ----------------------------------------------------------------------------------------------------


def pooled_link(review, key, variant) -> str:
    return f"{review}-studies.html#{slug(key, variant)}"


def pool_row(r: dict, review, key) -> dict:
    est = r.get("estimate")
    return {
        "variant": r["analysis"], "label": plan.label(r["analysis"]), "k": count(r.get("k")),
        "n": count(r.get("n_participants")), "estimate": num(est), "ci_low": num(r.get("ci_low")),
        "ci_high": num(r.get("ci_high")), "p": pval(r.get("p")), "tau2": sig(r.get("tau2")),
        "i2": num(r.get("i2"), 0) if not missing(r.get("i2")) else "", "omitted": text(r.get("omitted")),
        "note": text(r.get("note")), "measure": text(r.get("measure")),
        "settings": " \u00b7 ".join(text(r.get(c)) for c in ("method", "tau2_estimator", "ci_method")
                                    if not missing(r.get(c))),
        "href": pooled_link(review, key, r["analysis"]), "has_estimate": not missing(est),
    }


def published_link(r: dict, known) -> str | None:
    """The ledger row of a published figure (its quote and source), when the ledger holds it."""
    key = (r.get("review"), r.get("result_id"))
    return f"ledger.html#{slug('p', *key)}" if key in known else None


def p_like(p, published) -> str:
    """Our p with at least the decimals of the published p it is compared with (0.4132 beside a printed 0.4132)."""
    p, printed = float(p), text(published).strip()
    places = max(3, len(printed.split(".")[1]) if "." in printed else 0)
    return "<0.0001" if p < 1e-4 else f"{p:.{places}f}"


def rep_row(r: dict, known=frozenset()) -> dict:
    status = text(r.get("status"))
    return {
        "published_href": published_link(r, known),
        "result_id": text(r.get("result_id")), "measure": text(r.get("measure")),
        "published": published_text(r) or "no estimate printed",
        "published_p": pval(r.get("published_p")), "published_k": count(r.get("published_k")),
        "source_kind": text(r.get("source_kind")),
        "n_sources": int(float(r.get("n_sources"))) if not missing(r.get("n_sources")) else 0,
        "ours": estimate_ci(r.get("our_estimate"), r.get("our_ci_low"), r.get("our_ci_high"))
        or (f"p = {p_like(r.get('our_p'), r.get('published_p'))}" if not missing(r.get("our_p")) else ""),
        "our_k": count(r.get("our_k")), "status": status, "status_label": STATUS_LABELS.get(status, status),
        "reason": text(r.get("reason")),
    }


def table_rows(df: pd.DataFrame, fmt=None) -> tuple[list[str], list[list[str]]]:
    """A small CSV as header + rows of display strings (numbers formatted, missing cells empty)."""
    fmt = fmt or {}
    cols = list(df.columns)
    rows = []
    for r in records(df):
        rows.append([fmt[c](r[c]) if c in fmt else (sig(r[c], 4) if isinstance(r[c], float) else text(r[c]))
                     for c in cols])
    return cols, rows


def small_study(run: Run, review, key, measure) -> dict | None:
    path = run.analysis(review, key).get("small_study")
    df = read(path) if path else pd.DataFrame()
    if not len(df):
        return None
    r = records(df)[0]
    k = int(r.get("k") or 0)
    tests = []
    # Peters' and Harbord's tests are in the table of a binary outcome only
    for name, prefix in (("Egger's", "egger"), ("Peters'", "peters"), ("Harbord's", "harbord")):
        if f"{prefix}_t" not in r:
            continue
        note = text(r.get(f"{prefix}_note"))
        if missing(r.get(f"{prefix}_t")):
            tests.append(f"{name} test: {note or 'not run'}")
        else:
            tests.append(f"{name} test: t = {num(r.get(f'{prefix}_t'))}, df = {count(r.get(f'{prefix}_df'))}, "
                         f"p = {pval(r.get(f'{prefix}_p'))}" + (f" ({note})" if note else ""))
    if not missing(r.get("trimfill_k0")):
        est = [r.get(c) for c in ("trimfill_estimate", "trimfill_ci_low", "trimfill_ci_high")]
        if ef.is_ratio(measure):  # trim-and-fill works on the log scale; a reader compares ratios
            est = [None if missing(x) else math.exp(x) for x in est]
        trim = (f"Trim-and-fill: {count(r['trimfill_k0'])} trial(s) imputed on the {text(r.get('trimfill_side'))}; "
                f"adjusted {measure} {estimate_ci(*est)}")
    else:
        trim = f"Trim-and-fill: {text(r.get('trimfill_note')) or 'not run'}"
    return {"k": k, "tests": tests, "trimfill": trim}


def influence(run: Run, review, key) -> dict | None:
    path = run.analysis(review, key).get("influence")
    df = read(path) if path else pd.DataFrame()
    if not len(df):
        return None
    cols = ["trial_id", "rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "q_del", "hat", "weight"]
    df = df[[c for c in cols if c in df]]
    head, rows = table_rows(df, {c: (lambda v: sig(v, 3)) for c in cols[1:]})
    return {"head": head, "rows": rows}


def svg_size(path) -> tuple[int, int] | None:
    """An SVG's size in CSS px (matplotlib writes points), so the page reserves its space before it loads."""
    head = Path(path).read_text(encoding="utf-8", errors="replace")[:2000]
    m = re.search(r'<svg[^>]*?width="([\d.]+)(pt|px)?"[^>]*?height="([\d.]+)(pt|px)?"', head, re.S)
    if not m:
        return None
    scale = 4 / 3 if m.group(2) == "pt" else 1
    return round(float(m.group(1)) * scale), round(float(m.group(3)) * scale)


def analysis_page(run: Run, review, key, a) -> dict:
    files = run.analysis(review, key)
    caps, fig = json.loads(declared(files["captions"]).read_text()), files["figures"]
    pools = run.pools(review, key)
    main = [pool_row(r, review, key) for r in records(pools[~pools.analysis.isin(plan.REFITS)])]
    main.sort(key=lambda r: r["variant"] != "primary")
    # one table per refit of the plan that has pools, in plan order, each row labelled by the plan
    refits = [rows for name in plan.REFITS
              if (rows := [pool_row(r, review, key) for r in records(pools[pools.analysis == name])])]
    primary = next((r for r in main if r["variant"] == "primary"), None)
    k_primary = int(primary["k"] or 0) if primary else 0
    return {
        "key": key, "id": slug("a", key), "label": a["label"], "primary": primary,
        "forest": run.figure(fig["forest"], f"Forest plot of {review}, {a['label']}", caps.get("forest", "")),
        "reproduction": [rep_row(r, run.published_ids) for r in run.rep_rows(review, key)],
        "pools": main, "refits": refits,
        "sensitivity_fig": run.figure(fig["sensitivity"], f"Leave-one-out and cumulative pools of {key}",
                                      caps.get("sensitivity", "")) if refits else None,
        "funnel": run.figure(fig["funnel"], f"Funnel plot of {key}", caps.get("funnel", ""))
        if k_primary >= 3 else None,
        "subgroups": run.figure(fig["subgroups"], f"Subgroups of {key}", caps.get("subgroups", ""))
        if a.get("subgroups") and k_primary >= 2 else None,
        "any_estimate": any(r["has_estimate"] for r in main + [r for rows in refits for r in rows]),
        "small_study": small_study(run, review, key, primary["measure"] if primary else ""),
        "influence": influence(run, review, key),
        "timepoint": a.get("timepoint", {}).get("label", "any reported") if isinstance(a.get("timepoint"), dict)
        else "any reported",
        "settings": " \u00b7 ".join(text(a.get(c)) for c in ("measure", "method", "model", "tau2_estimator",
                                                             "ci_method")
                                    if a.get(c) and not (c == "tau2_estimator" and a.get("model") == "fixed")),
    }


def headline(run: Run, review, spec) -> dict:
    """The review's headline figure: the first analysis (spec order) with a printed pooled estimate (a figure of
    kind ``pooled``), the review's own text preferred over secondary sources."""
    rows = [r for r in run.rep_rows(review) if r.get("analysis") and r.get("kind") == "pooled"
            and not missing(r.get("published_estimate"))]
    order = {k: i for i, k in enumerate(spec["analyses"])}
    rows.sort(key=lambda r: (r.get("source_kind") != "primary", order.get(r["analysis"], 99)))
    if rows:
        r = rows[0]
        key = r["analysis"]
        ours = estimate_ci(r.get("our_estimate"), r.get("our_ci_low"), r.get("our_ci_high"))
        return {"key": key, "label": spec["analyses"][key]["label"], "result_id": r["result_id"],
                "published": published_text(r), "published_k": count(r.get("published_k")),
                "source_kind": text(r.get("source_kind")),
                "ours": f"{r.get('measure') or ''} {ours}".strip() if ours else "",
                "our_k": count(r.get("our_k")), "status": text(r.get("status")),
                "why": "" if ours else short_reason(r.get("reason")), "href": f"{review}.html#{slug('a', key)}",
                "studies_href": pooled_link(review, key, "primary")}
    key = next(iter(spec["analyses"]))
    return {"key": key, "label": spec["analyses"][key]["label"], "published": "", "ours": "", "status": "",
            "why": "The sources read print no pooled estimate for this review, so there is nothing to compare.",
            "href": f"{review}.html#{slug('a', key)}", "result_id": "", "published_k": "", "our_k": "",
            "source_kind": "", "studies_href": pooled_link(review, key, "primary")}


def status_of(rows: list[dict]) -> dict:
    n = len(rows)
    c = {s: sum(r.get("status") == s for r in rows) for s in STATUS_LABELS}
    if n and c["reproduced"] == n:
        cls, label = "reproduced", "reproduced"
    elif c["reproduced"] or c["partial"]:
        cls, label = "partial", "partly reproduced"
    elif n:
        cls, label = "not_reproducible", "not reproducible yet"
    else:
        cls, label = "none", "no published figures"
    return {"class": cls, "label": label, "n": n, **c}


def coverage_of(run: Run, review) -> dict:
    """Trials with usable data (any primary pool) against the trials the review pooled (its printed k)."""
    p = run.pooled
    prim = p[(p.review == review) & (p.analysis == "primary")] if len(p) else p
    used = sorted({t for ts in prim.get("trials", pd.Series(dtype=str)).dropna() for t in str(ts).split(";") if t})
    cov = run.coverage[run.coverage.review == review] if len(run.coverage) else run.coverage
    total = cov.published_k_review.max() if len(cov) and cov.published_k_review.notna().any() else float("nan")
    if missing(total):  # no scope row: the k of the primary analysis' own figure (the first analysis' first
        # published figure), never a sensitivity figure's (a trim-and-fill k counts trials the review imputed)
        first = next(((k, a["published"][0]) for k, a in run.specs[review]["analyses"].items()
                      if a.get("published")), None)
        ks = [] if first is None else [float(r["published_k"]) for r in run.rep_rows(review, first[0])
                                       if r.get("result_id") == first[1] and not missing(r.get("published_k"))]
        total = ks[0] if ks else float("nan")
    known = "" if missing(total) else f"{float(total):g}"
    have = len(used)
    pct = 0 if missing(total) or not total else min(100, round(100 * have / float(total)))
    return {"have": have, "total": known, "pct": pct, "trials": used}


def top_missing(run: Run, review, n=3) -> tuple[list[dict], int]:
    """The cells that would help most: trials that need the fewest cells to enter an analysis, headline first."""
    m = run.missing
    if not len(m):
        return [], 0
    m = m[m.review == review]
    order = {k: i for i, k in enumerate(run.specs[review]["analyses"])}
    groups = []
    for (trial, key), g in m.groupby(["trial_id", "analysis"], sort=True):
        cells = sorted({f"{a} {s}" for a, s in zip(g.arm, g.statistic, strict=True)})
        groups.append({"trial": trial, "analysis": key, "cells": cells, "n": len(cells),
                       "href": f"ledger.html#{slug('t', trial)}" if trial in run.trial_by_id else None,
                       "timepoint": text(g.timepoint.iloc[0]), "order": order.get(key, 99)})
    groups.sort(key=lambda x: (x["n"], x["order"], x["trial"]))
    return groups[:n], len(m)


def kind_words(kind) -> str:
    """What a ledger row was read from (its ``source_kind``), in words; empty when the row does not say."""
    return "" if missing(kind) else SOURCE_KINDS.get(str(kind), str(kind))


def ledger_link(eid, known, verified=None, kinds=None) -> dict:
    """A ledger row's link; with ``verified`` (``Run.verified``), the page of the full text it was verified on; with
    ``kinds`` (``Run.source_kinds``), what it was read from."""
    return {"id": eid, "href": f"ledger.html#{slug('x', eid)}" if eid in known else None,
            "verified": (verified or {}).get(eid, {}).get("href") and verified[eid],
            "kind": (kinds or {}).get(eid, "")}


def study_rows(run: Run, df: pd.DataFrame, arms) -> tuple[list[str], list[dict]]:
    arm = [c for c in ARM_COLUMNS if c in df and df[c].notna().any()]
    cols = (["study", "membership", "design", "time point"] + [ARM_COLUMNS[c].format(*arms) for c in arm]
            + ["effect yi", "variance vi", "weight %", "ledger rows", "conversions"])
    rows = []
    for r in records(df):
        ids = [i for i in text(r.get("extract_ids")).split(";") if i]
        trial = r.get("trial_id")
        rows.append({
            "id": slug("s", r.get("study_id")), "study": text(r.get("study_id")),
            "trial_href": f"ledger.html#{slug('t', trial)}" if trial in run.trial_by_id else None,
            "cells": [text(r.get("membership")), text(r.get("design")), text(r.get("timepoint"))]
            + [count(r.get(c)) if c in COUNTS else sig(r.get(c), 4) for c in arm]
            + [sig(r.get("yi"), 4), sig(r.get("vi"), 4), num(r.get("weight"), 1)],
            "ledger": [ledger_link(i, run.ledger_ids, run.verified, run.source_kinds) for i in ids],
            "conversions": text(r.get("conversions")),
        })
    return cols, rows


def study_group(run: Run, review, key, spec) -> dict:
    """One analysis on the study-rows page: a section per pool, each with the study rows that pool used."""
    pools = {r["analysis"]: r for r in records(run.pools(review, key))
             if r["analysis"] not in plan.REFITS}
    sections = []
    for v in run.variants(review, key):
        df = run.studies(review, key, v)
        cols, rows = study_rows(run, df, spec["arms"])
        p = pools.get(v)
        if p:
            est = estimate_ci(p.get("estimate"), p.get("ci_low"), p.get("ci_high")) or "not estimable"
            summary = f"k = {count(p.get('k'))}; {p.get('measure')} {est}"
        else:
            each = "omitting" if v == "leave_one_out" else "adding"
            summary = f"{len(df)} trials; one pool {each} each trial in turn"
        sections.append({"id": slug(key, v), "variant": v, "label": plan.label(v), "summary": summary,
                         "cols": cols, "rows": rows, "open": v == "primary"})
    e = run.exclusions
    e = e[(e.review == review) & (e.analysis == key)] if len(e) else e
    not_pooled = [{"study": study_name(run, r["trial_id"]), "membership": text(r.get("membership")),
                   "trial_href": f"ledger.html#{slug('t', r['trial_id'])}" if r["trial_id"] in run.trial_by_id
                   else None, "reason": text(r.get("reason"))} for r in records(e)]
    return {"key": key, "label": spec["analyses"][key]["label"], "id": slug("a", key), "sections": sections,
            "not_pooled": not_pooled}


def study_name(run: Run, trial_id) -> str:
    """A trial as its study rows name it: first author and year (the trial id when the ledger lacks it)."""
    t = run.trial_by_id.get(trial_id)
    return study_id(t) if t else trial_id


def review_context(run: Run, review, spec) -> dict:
    rows = run.rep_rows(review)
    top, n_missing = top_missing(run, review)
    flow = run.figure(run.files["reviews"][review].get("flow"), f"Flow of {review}'s trials",
                  f"Flow of {review}'s trials from the review's own count to the trials pooled here.")
    nb = run.notebooks.get(review)
    ws = run.worksheets.get(review)
    return {
        "slug": review, "page": f"{review}.html", "studies_page": f"{review}-studies.html",
        "figures_page": figures_page_name(review),
        "citation": spec["citation"], "question": spec["question"], "methods": spec["methods"],
        "source": spec["source"], "conformance": spec["source"] != "ledger", "status": status_of(rows),
        "headline": headline(run, review, spec),
        "coverage": coverage_of(run, review), "top_missing": top, "n_missing": n_missing, "flow": flow,
        "notebook": run.rel(nb) if nb else None, "worksheet": run.rel(ws) if ws else None,
        "verification": verified_share(run.verification.get(review)),
        "analyses": [{"key": k, "label": a["label"], "id": slug("a", k)} for k, a in spec["analyses"].items()],
    }


def verified_share(v) -> dict | None:
    """The landing card's line: the share of the review's pooled numbers verified against a full text."""
    if not v or missing(v.get("pooled_numbers")) or not float(v["pooled_numbers"]):
        return None
    n, full = int(float(v["pooled_numbers"])), int(float(v.get("pooled_full_text") or 0))
    return {"n": n, "full": full, "pct": round(100 * full / n)}


def ledger_rows(run: Run) -> list[dict]:
    out = []
    for r in records(run.extraction):
        try:
            order = float(r.get("value"))
        except (TypeError, ValueError):
            order = ""
        out.append({
            "id": slug("x", r["extract_id"]), "extract_id": r["extract_id"], "trial": text(r.get("trial_id")),
            "trial_href": f"#{slug('t', r.get('trial_id'))}" if r.get("trial_id") in run.trial_by_id else None,
            "outcome": text(r.get("outcome")), "timepoint": text(r.get("timepoint")), "arm": text(r.get("arm")),
            "statistic": text(r.get("statistic")), "order": order,
            "value": f"{text(r.get('qualifier'))}{num(r.get('value'))}",
            "scale": text(r.get("scale")), "status": text(r.get("status")), "locator": text(r.get("locator")),
            "source_kind": kind_words(r.get("source_kind")), "quote": text(r.get("quote")),
            "source": record(r.get("source")), "read_at": record(r.get("read_at")),
            "records": own_records(r, run.trial_by_id.get(r.get("trial_id"))),
            "notes": " ".join(text(r.get(c)) for c in ("derivation", "notes") if not missing(r.get(c))),
            "verified": run.verified.get(r["extract_id"], NOT_VERIFIED),
        })
    return out


def trial_rows(run: Run) -> list[dict]:
    reviews = {}
    for r in records(run.membership):
        reviews.setdefault(r["trial_id"], []).append(f"{r['review']} ({r['status']})")
    return [{
        "id": slug("t", t["trial_id"]), "trial_id": t["trial_id"],
        "citation": ", ".join(text(t.get(c)) for c in ("first_author", "year", "journal") if not missing(t.get(c))),
        "title": text(t.get("title")), "design": text(t.get("design")), "condition": text(t.get("condition")),
        "records": trial_records(t), "no_id_reason": text(t.get("no_id_reason")),
        "reviews": "; ".join(reviews.get(t["trial_id"], [])), "source": record(t.get("source")),
        "read_at": record(t.get("read_at")), "locator": text(t.get("locator")), "quote": text(t.get("quote")),
    } for t in records(run.trials)]


def membership_rows(run: Run) -> list[dict]:
    return [{
        "review": r["review"], "trial": r["trial_id"], "trial_href": f"#{slug('t', r['trial_id'])}",
        "status": text(r.get("status")), "reason": text(r.get("reason")), "review_says": text(r.get("review_says")),
        "locator": text(r.get("locator")), "quote": text(r.get("quote")), "source": record(r.get("source")),
        "read_at": record(r.get("read_at")),
    } for r in records(run.membership)]


def published_rows(run: Run) -> list[dict]:
    """One row per published figure; a figure read in several places lists every place (its own text first)."""
    figures = {}
    for r in records(run.published):
        figures.setdefault((r["review"], r["result_id"]), []).append(r)
    out = []
    for (review, rid), rows in figures.items():
        rows.sort(key=lambda r: r.get("source_kind") != "primary")
        r = rows[0]
        out.append({
            "id": slug("p", review, rid), "review": review, "result_id": rid,
            "figure": " ".join(x for x in (text(r.get("measure")), estimate_ci(r.get("estimate"), r.get("ci_low"),
                                                                              r.get("ci_high"))) if x),
            "k": text(r.get("k")), "p": pval(r.get("p")),
            "sources": [{"source_kind": text(s.get("source_kind")), "locator": text(s.get("locator")),
                         "quote": text(s.get("quote")), "source": record(s.get("source")),
                         "read_at": record(s.get("read_at"))} for s in rows],
        })
    return out


def conflict_rows(run: Run) -> list[dict]:
    def side(r, s):
        return {"value": text(r.get(f"value_{s}")), "quote": text(r.get(f"quote_{s}")),
                "source": record(r.get(f"source_{s}")), "read_at": record(r.get(f"read_at_{s}"))}

    return [{"id": slug("c", r["conflict_id"]), "conflict_id": r["conflict_id"], "trial": text(r.get("trial_id")),
             "trial_href": f"ledger.html#{slug('t', r.get('trial_id'))}" if r.get("trial_id") in run.trial_by_id
             else None, "field": text(r.get("field")), "a": side(r, "a"), "b": side(r, "b"),
             "note": text(r.get("note"))} for r in records(run.conflicts)]
