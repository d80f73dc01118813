"""Stage functions behind the Snakemake scripts: plain inputs (paths, dicts) in, DataFrames out."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from ..engine.rm5 import read_rm5
from ..ledger import studies as st
from ..ledger.rows import value_in_quote
from ..ledger.tables import QUOTED_PARTS, read_table, validate_table
from ..ledger.vocabulary import LedgerError
from .io import SpecError

PACKAGES = ("snakemake", "pandas", "numpy", "scipy", "PyMARE", "pandera", "matplotlib", "seaborn", "papermill")


def import_rm5(path, spec):
    """Conformance reviews (extract stage): a RevMan 5 file → its study rows and published figures."""
    analyses, studies = read_rm5(path)
    published = []
    for key, a in spec["analyses"].items():
        aid = a["rm5_analysis"]
        if aid not in set(analyses.analysis_id):
            raise SpecError(f"config/reviews/{spec['review']}.yaml, analyses.{key}.rm5_analysis: {aid!r} is not "
                            f"in {path}; allowed: {', '.join(analyses.analysis_id)}")
        meta = analyses.set_index("analysis_id").loc[aid]
        for rid in a.get("published", []):
            published.append(_rm5_figure(spec["review"], rid, key, meta, path, aid))
    norm = pd.DataFrame({"analysis_id": studies.analysis_id, "study_id": studies.study + " " + studies.year,
                         "trial_id": studies.study_ref, "year": studies.year.astype(int)})
    for ours, theirs in (("ai", "events_1"), ("n1", "total_1"), ("ci", "events_2"), ("n2", "total_2"),
                         ("m1", "mean_1"), ("sd1", "sd_1"), ("m2", "mean_2"), ("sd2", "sd_2")):
        norm[ours] = studies.get(theirs)
    norm["source"], norm["quote"] = str(path), "RevMan 5 file"
    from ..ledger.schemas import SCHEMAS  # the published table's columns, in its order

    return norm, pd.DataFrame(published).reindex(columns=list(SCHEMAS["published"].columns))


def _rm5_figure(review, rid, key, meta, path, aid):
    """The pooled figure RevMan stored for one analysis, with its Z and its heterogeneity as RevMan prints it under
    the pool (Chi², df, P, I², and Tau² under random effects), each attribute at the precision the file stores it,
    except P_CHI2: RevMan's chi-square routine differs from SciPy's in the 8th significant digit, so it is kept to
    6."""
    attrs = {"EFFECT_SIZE": meta.effect_size, "CI_START": meta.ci_start, "CI_END": meta.ci_end, "Z": meta.z,
             "P_Z": meta.p_z,
             "CHI2": meta.chi2, "DF": meta.df, "P_CHI2": meta.p_chi2, "I2": meta.i2, "TAU2": meta.tau2}
    return {"review": review, "result_id": rid, "kind": "pooled", "outcome": key, "timepoint": "",
            "analysis": "primary", "measure": meta.effect_measure, "estimate": repr(float(meta.effect_size)),
            "ci_low": repr(float(meta.ci_start)), "ci_high": repr(float(meta.ci_end)), "scale": "natural",
            "p": repr(float(meta.p_z)), "k": int(meta.studies), "n": int(meta.total_1 + meta.total_2),
            "i2": repr(float(meta.i2)), "tau2": repr(float(meta.tau2)) if meta.random else "",
            "q": repr(float(meta.chi2)), "q_df": int(meta.df), "q_p": f"{float(meta.p_chi2):.6g}",
            "stat": repr(float(meta.z)),
            "model": f"{meta.method} {'random' if meta.random else 'fixed'}", "source": str(path),
            "locator": f"<{meta.type} ID={aid}>",
            "quote": " ".join(f"{name}={float(v)!r}" for name, v in attrs.items()), "source_kind": "primary"}


def import_table(studies_path, published_path, spec):
    """Conformance reviews from a published data table: 2×2 counts per study (tpos/tneg/cpos/cneg), every
    value checked against its row's quote, and the published results checked like the ledger's."""
    raw = pd.read_csv(studies_path)
    for i, r in raw.iterrows():
        for col in ("tpos", "tneg", "cpos", "cneg"):
            if not value_in_quote(float(r[col]), str(r["quote"])):
                raise LedgerError(f"{studies_path}, row {i + 2}, column '{col}': {r[col]} is not in its quote")
    studies = pd.DataFrame({"analysis_id": "", "study_id": raw.study_id, "trial_id": raw.study_id,
                            "year": raw.year, "ai": raw.tpos, "n1": raw.tpos + raw.tneg, "ci": raw.cpos,
                            "n2": raw.cpos + raw.cneg, "alloc": raw.get("alloc"), "source": raw.source,
                            "quote": raw.quote})
    header_only = pd.read_csv(published_path).empty  # generated (benchmark) reviews publish nothing
    published = (pd.read_csv(published_path) if header_only
                 else validate_table(read_table(published_path), "published", published_path))
    for i, r in published.iterrows():
        for col in ("estimate", "ci_low", "ci_high", *QUOTED_PARTS):
            if not pd.isna(r[col]) and not value_in_quote(r[col], r["quote"]):  # a p-only figure prints none
                raise LedgerError(f"{published_path}, row {i + 2}, column '{col}': {r[col]} is not in its quote")
    published = pd.read_csv(published_path, dtype=str, keep_default_na=False)
    return studies, published[published.review == spec["review"]]


def conformance_tables(studies, spec):
    """Study tables (clean stage) of a conformance review from its imported rows."""
    out = {}
    for key, a in spec["analyses"].items():
        s = studies[studies.analysis_id == a["rm5_analysis"]] if a.get("rm5_analysis") else studies
        t = pd.DataFrame({"study_id": s.study_id, "trial_id": s.trial_id, "membership": "confirmed",
                          "design": "parallel", "randomised": "yes", "crps": None, "pain_type": None,
                          "dose_mg_kg": np.nan, "year": s.year.astype(int), "timepoint": "as published",
                          "time_days": np.nan})
        cols = ["ai", "n1", "ci", "n2"] if a["measure"] in st.BINARY else ["m1", "sd1", "n1", "m2", "sd2", "n2"]
        t = t.assign(**{c: s[c] for c in cols})
        if "alloc" in s and s["alloc"].notna().any():
            t["alloc"] = s["alloc"].to_numpy()
        out[key] = t.assign(extract_ids="conformance:" + key, conversions="").reset_index(drop=True)
    return out


def clean(ledger, review, spec, variants):
    """Per variant (``{"main": {...}, "candidates": {...}, ...}`` of membership/pm settings), the study table of
    every analysis, plus exclusions and missing cells (for the main variant)."""
    out, excl, miss = {}, [], []
    for variant, v in variants.items():
        view = {**ledger, "extraction": st.one_reading(ledger["extraction"], v.get("conflict"))}
        if v.get("risk_of_bias") == "low":  # RoB 2 sensitivity analysis: trials judged at low risk overall
            rob = ledger["risk_of_bias"]
            low = set(rob[(rob.review == review) & (rob.domain == "overall") & (rob.judgement == "low")].trial_id)
            view = {**view, "membership": view["membership"][view["membership"].trial_id.isin(low)]}
        for key, a in spec["analyses"].items():
            t, e, m = st.build(view, review, key, a, v["membership"], v["pm_reading"], v["multi_arm"])
            out[(variant, key)] = t
            if variant == "main":
                excl.append(e)
                miss.append(m)
    cols_e = ["review", "analysis", "trial_id", "membership", "reason"]
    cols_m = ["review", "analysis", "trial_id", "timepoint", "arm", "statistic"]
    excl = pd.concat(excl) if excl else pd.DataFrame(columns=cols_e)
    miss = pd.concat(miss) if miss else pd.DataFrame(columns=cols_m)
    return out, excl, miss


def members(ledger, review, spec, reading):
    """Under the main ``reading``, what each analysis makes of every confirmed or candidate member (``counted``
    says whether the membership policy counts it): ``({analysis: usable rows}, not-pooled reasons, missing cells)``.
    The forest plots and worksheets list the members not pooled from these."""
    view = {**ledger, "extraction": st.one_reading(ledger["extraction"], reading.get("conflict"))}
    tables, excl, miss = {}, [], []
    for key, a in spec["analyses"].items():
        tables[key], e, m = st.member_rows(view, review, key, a, reading["membership"], reading["pm_reading"],
                                           reading["multi_arm"])
        excl.append(e)
        miss.append(m)
    return tables, pd.concat(excl, ignore_index=True), pd.concat(miss, ignore_index=True)


def conformance_members(tables):
    """``members`` of a conformance review: complete from its source file, every study counted and usable."""
    return ({k: t.assign(counted=True) for k, t in tables.items()}, pd.DataFrame(columns=st.MEMBER_EXCLUSION_COLUMNS),
            pd.DataFrame(columns=st.MEMBER_MISSING_COLUMNS))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def provenance(files, config):
    """Checksums of inputs, package versions, git commit and the config (results/provenance.json)."""
    versions = {}
    for p in PACKAGES:
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            versions[p] = None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--", "data/raw", "config", "src", "workflow"],
                                    capture_output=True, text=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = None, None
    return {"inputs": {str(f): sha256(f) for f in sorted(map(str, files))}, "packages": versions,
            "python": platform.python_version(), "git_commit": commit, "git_dirty": dirty, "config": config}


def coverage(ledger, published, specs, exclusions, pooled):
    """Per review: published k and N, trials confirmed/candidate, and per analysis the trials with usable data."""
    rows = []
    mem = ledger["membership"]
    for review, spec in specs.items():
        m = mem[mem.review == review]
        pub = published[published.review == review]
        scope = pub[pub.measure.isna() & pub.k.notna()]
        for key in spec["analyses"]:
            p = pooled[(pooled.review == review) & (pooled.outcome == key) & (pooled.analysis == "primary")]
            e = exclusions[(exclusions.review == review) & (exclusions.analysis == key)]
            rows.append({"review": review, "analysis": key,
                         "published_k_review": scope.k.max() if len(scope) else np.nan,
                         "published_n_review": scope.n.max() if len(scope) else np.nan,
                         "trials_confirmed": int((m.status == "confirmed").sum()),
                         "trials_candidate": int((m.status == "candidate").sum()),
                         "trials_with_usable_data": int(p.k.iloc[0]) if len(p) else 0,
                         "trials_excluded": len(e)})
    return pd.DataFrame(rows, columns=["review", "analysis", "published_k_review", "published_n_review",
                                       "trials_confirmed", "trials_candidate", "trials_with_usable_data",
                                       "trials_excluded"])




def flow_counts(review, membership, published, pooled, policy, analyses, primary=()):
    """Counts for the flow diagram of one review. The review's published k: its scope row's, else the k printed
    with its primary analysis' figure (``primary``: that figure's result_id, the first its spec names)."""
    m = membership[membership.review == review]
    members = st.members(membership, review, policy)
    pub = published[(published.review == review) & published.k.notna()]
    scope = pub[pub.measure.isna()]
    if not len(scope):
        scope = pub[pub.result_id.isin(primary)]
    p = pooled[(pooled.review == review) & (pooled.analysis == "primary") & pooled.outcome.isin(analyses)]
    used = {t for ts in p.trials.dropna() for t in str(ts).split(";")}
    return {"published_k": int(scope.k.max()) if len(scope) else "not reported",
            "confirmed": int((m.status == "confirmed").sum()), "candidate": int((m.status == "candidate").sum()),
            "policy": policy, "members": len(members), "usable": len(used),
            "pooled_text": "; ".join(f"{o}: k = {int(k)}" for o, k in zip(p.outcome, p.k, strict=True)) or "none"}


def verify_checksums(path):
    """Before analysis: the raw tables must be the bytes the extract stage validated (sha256), or stop."""
    import json

    for f, digest in json.loads(Path(path).read_text()).items():
        if not Path(f).exists() or sha256(f) != digest:
            raise LedgerError(f"{f}: changed since the extract stage validated it (sha256 {digest[:12]}...); "
                              "rerun so the extract stage validates it again")
