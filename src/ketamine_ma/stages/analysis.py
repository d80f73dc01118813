"""The analyse and sensitivity stages: one study table + one set of settings → the study-level table with
``yi, vi, weight`` and one pooled row in the output contract's shape (``results/summary/pooled.csv``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine import effects as ef
from ..engine import mantel_haenszel as mh
from ..engine import pooling as po
from ..engine import sensitivity as sens
from ..engine.subgroups import subgroup_analysis
from ..ledger import plan
from .summary import POOLED_COLUMNS


def effect_sizes(df, measure, zero_rule="revman", r_prepost=0.5):
    """Add ``yi, vi`` (log scale for ratios, transformed scale for proportions) to a study table, computed from
    the arm data; a trial the clean stage gives by its own estimate (``yi``, ``vi`` given, no arm data:
    ``ledger.studies.decide``) keeps them."""
    df = df.copy()
    for c in ("yi", "vi"):
        if c not in df:
            df[c] = np.nan
    own = df["yi"].notna()
    arms = df[~own]
    if df.empty:
        return df
    fam = ef.family(measure)
    if fam == "binary":
        df["estimable"] = True
    if arms.empty:
        return df
    if fam == "continuous":
        args = (arms.m1, arms.sd1, arms.n1, arms.m2, arms.sd2, arms.n2)
        yi, vi = ef.md(*args) if measure == "MD" else ef.smd(*args)
    elif fam == "binary":
        yi, vi, keep = ef.two_by_two(arms.ai, arms.n1, arms.ci, arms.n2, measure, zero_rule)
        df.loc[~own, "estimable"] = np.asarray(keep)
    elif fam == "proportion":
        yi, vi = ef.proportion(arms.xi, arms.ni, measure)
    else:
        yi, vi = ef.mean_change(arms.m_pre, arms.sd_pre, arms.m_post, arms.sd_post, arms.ni, r_prepost)
    df.loc[~own, "yi"], df.loc[~own, "vi"] = np.asarray(yi, float), np.asarray(vi, float)
    return df


TABLE_COLUMNS = ["ai", "n1", "ci", "n2"]


def two_by_two_tables(df):
    """The 2x2 tables Peters' and Harbord's tests read (binary outcomes), or None, and the tests' notes where a
    trial pooled by its own estimate has none: then neither test is run (over the trials with tables it would test
    other trials than the pool's)."""
    if not set(TABLE_COLUMNS) <= set(df.columns):
        return None, {}
    own = int(df[TABLE_COLUMNS].isna().any(axis=1).sum())
    if not own:
        return tuple(df[c] for c in TABLE_COLUMNS), {}
    note = f"not run: {own} trial(s) pooled by their own estimate and CI give no 2x2 table"
    return None, {f"{t}_{k}": v for t in ("peters", "harbord") for k, v in (("t", np.nan), ("note", note))}


def n_participants(df, measure):
    fam = ef.family(measure)
    if df.empty:
        return 0
    if fam in ("continuous", "binary"):
        return int(df.n1.sum() + df.n2.sum())
    return int(df.ni.sum())


def _natural(res_row, measure, ni):
    """Estimate, CI and PI on the natural scale (ratios exponentiated, proportions back-transformed)."""
    out = dict(res_row)
    for k in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high"):
        out[k] = float(ef.back_transform(res_row[k], measure if measure != "PR" else "MD", ni))
    return out


def _is_mh(settings):
    """Whether ``settings`` pool by Mantel–Haenszel: RevMan's M-H random effects is defined for DL with a Wald CI
    only; other estimators and Knapp-Hartung pool the study estimates by inverse variance instead, and the row
    says so (method "IV")."""
    revman_mh = settings["model"] == "fixed" or (settings["tau2_estimator"] == "DL" and settings["ci_method"] == "wald")
    return settings["method"] == "MH" and ef.family(settings["measure"]) == "binary" and revman_mh


def fit(est, settings):
    """The ``PoolResult`` of a study table with ``yi, vi`` (estimable rows only) under ``settings``."""
    if _is_mh(settings):
        return mh.mh_meta(est.ai, est.n1, est.ci, est.n2, settings["measure"], settings["model"],
                          zero_rule=settings.get("zero_rule", "revman"))
    return po.inverse_variance(est.yi, est.vi, settings["model"], settings["tau2_estimator"], settings["ci_method"],
                               pi_method=settings.get("pi_method", "metafor"), i2_from=settings.get("i2", "tau2"))


def pool(df, settings):
    """Pool one study table under ``settings`` (measure, method, model, tau2_estimator, ci_method, zero_rule, i2,
    pi_method). Returns ``(studies_with_weights, pooled_fields)``; k = 0 gives NaNs and a note."""
    measure = settings["measure"]
    own = df["yi"].notna() if "yi" in df else pd.Series(False, index=df.index)  # pooled by their own estimate
    df = effect_sizes(df, measure, settings.get("zero_rule", "revman"), settings.get("r_prepost", 0.5))
    est = df[df.get("estimable", pd.Series(True, index=df.index)).astype(bool)] if len(df) else df
    model = settings["model"]
    base = {"measure": measure, "method": settings["method"],
            "tau2_estimator": po.estimator_label(model, settings["tau2_estimator"]),
            "ci_method": settings["ci_method"], "scale": ef.scale(measure)}
    df["weight"] = np.nan
    if est.empty:
        base.update({"k": 0, "n_participants": 0, "note": "not estimable: no trial with usable data"})
        return df, base
    res = fit(est, settings)
    df.loc[est.index, "weight"] = res.weights
    row = res.as_row()
    ni = est.ni if "ni" in est else None
    row = _natural(row, measure, ni)
    row.update({k: v for k, v in base.items() if k in ("measure", "ci_method", "scale")})
    row["k"] = int(res.k)
    row["n_participants"] = n_participants(est, measure)
    if own[est.index].any():  # N counts the arm sizes given; an estimate and CI give none
        said = f"N counts the trials with arm sizes: {int(own[est.index].sum())} pooled by their own estimate give none"
        row["note"] = "; ".join(n for n in (row.get("note") or "", said) if n)
    row["trials"] = ";".join(est.trial_id)
    return df, row


def _fit(df, settings):
    """``pool`` of the study table's rows at some row numbers: the fit the engine's leave-one-out and cumulative
    analyses refit."""
    return lambda rows: pool(df.iloc[rows], settings)[1]


def leave_one_out(df, settings):
    """One pooled row per omitted trial (``engine.sensitivity.leave_one_out``), each pooled exactly as the
    primary analysis (Mantel-Haenszel included); needs k >= 3."""
    if len(df) < 3:
        return []
    fits = sens.leave_one_out(_fit(df, settings), len(df))
    return [{**r, "omitted": trial} for r, trial in zip(fits, df.trial_id, strict=True)]


def cumulative(df, settings):
    """Cumulative pooling by publication year (``engine.sensitivity.cumulative``, ties in table order): row j
    pools the first j trials."""
    idx, fits = sens.cumulative(_fit(df, settings), df.year)
    return [{**r, "added": df.trial_id.iloc[i]} for r, i in zip(fits, idx, strict=True)]


REFITS = {"leave_one_out": leave_one_out, "cumulative": cumulative}  # the plan's refits (plan.REFITS)


def subgroups(df, settings, by, dose_cut=None, common_tau2_estimator=None):
    """Per-subgroup pools, the RevMan test for subgroup differences (with its common-effect version) and the
    common-τ² test beside it (a random-effects meta-regression with ``common_tau2_estimator`` when given, else the
    analysis' own model), from a table that already has yi/vi. Each subgroup is pooled by the analysis' method:
    Mantel–Haenszel for an M-H analysis when ``settings["mh_subgroups"]`` (RevMan 5, R meta), else by inverse
    variance."""
    d = df.dropna(subset=["yi", "vi"]).copy()
    if by == "dose":
        d = d.dropna(subset=["dose_mg_kg"])
        d["group"] = np.where(d.dose_mg_kg < dose_cut, f"< {dose_cut:g} mg/kg", f">= {dose_cut:g} mg/kg")
    elif by not in d:  # a review's own grouping no trial has a value of yet (its worksheet gives them)
        return None, {"subgroup": by, "note": f"no trial's {by} is given yet"}
    else:
        d["group"] = d[by]
    if d.empty or d["group"].nunique() < 2:
        return None, {"subgroup": by, "note": f"fewer than two {by} subgroups with data"}
    by_method = {}
    if settings.get("mh_subgroups", False) and _is_mh(settings):
        by_method = {"fit": lambda rows: fit(d.iloc[rows], settings),
                     "fixed_fit": lambda rows: fit(d.iloc[rows], {**settings, "model": "fixed"})}
    per, test = subgroup_analysis(d.yi, d.vi, d.group.to_numpy(), settings["tau2_estimator"], settings["ci_method"],
                                  model=settings["model"], common_tau2_estimator=common_tau2_estimator, **by_method)
    return per, {"subgroup": by, **test}


def analyse(table, review, outcome, analysis, spec, settings):
    """Pool one study table; returns ``(studies, pooled_row_frame)`` in the output contract's shape."""
    studies, row = pool(table, settings)
    row.update({"review": review, "outcome": outcome, "analysis": analysis,
                "timepoint": spec.get("timepoint", {}).get("label", "any")})
    pooled = pd.DataFrame([row]).reindex(columns=POOLED_COLUMNS)
    return studies, pooled


def settings_for(spec, overrides, config, analysis="primary", conventions=None):
    """Effective pooling settings of one analysis: spec, then config overrides, then the review's conventions
    (``conventions``: the spec's preset resolved, ``stages.specs.conventions``), then the plan's change."""
    s = {k: spec[k] for k in ("measure", "method", "model", "tau2_estimator", "ci_method")}
    s.update(overrides or {})
    s.update({"pi_method": config["prediction_interval"], "r_prepost": config["prepost_correlation"]})
    s.update(settings_of(conventions or {}))
    s.update(plan.settings(analysis))
    return s


def settings_of(conventions):
    """The pooling settings a review's conventions set: the zero-cell rule (``engine.effects.ZeroRule``'s fields),
    the basis of I², and Mantel–Haenszel within subgroups."""
    out = {}
    if "zero_cell" in conventions:
        z = conventions["zero_cell"]
        out["zero_rule"] = {"add": z["add"], "to": z["to"], "drop00": conventions["double_zero"] == "exclude",
                            "mh_exact": not z["mh"]}
    for key in ("i2", "mh_subgroups"):
        if key in conventions:
            out[key] = conventions[key]
    return out


def sensitivity(name, tables, review, outcome, spec, overrides, config, conventions=None):
    """One sensitivity analysis of the plan (``ledger.plan``) → ``(studies, pooled)`` in the primary's shape.
    ``tables``: the analysis' study table per clean-stage reading (``"main"`` and the plan's readings)."""
    e = plan.entry(name)
    table = tables[name] if e.kind == "reading" else tables["main"]
    settings = settings_for(spec, overrides, config, name, conventions)
    left_out = None
    if e.kind == "filter":
        column, keep = e.change
        kept = keep(table[column])
        # no trial is dropped silently: the note names each one the filter leaves out and its value
        left_out = "; ".join(f"{t} ({column}: {v if isinstance(v, str) else 'not given'})"
                             for t, v in zip(table.trial_id[~kept], table[column][~kept], strict=True))
        table = table[kept]
    studies, pooled = analyse(table, review, outcome, name, spec, settings)
    if left_out:
        pooled["note"] = ["; ".join(n for n in (note if isinstance(note, str) else "", f"left out: {left_out}") if n)
                          for note in pooled["note"]]
    if e.kind == "refit":
        timepoint = spec.get("timepoint", {}).get("label", "any")
        rows = [{**r, "review": review, "outcome": outcome, "analysis": name, "timepoint": timepoint}
                for r in REFITS[name](table, settings)]
        pooled = pd.DataFrame(rows).reindex(columns=POOLED_COLUMNS + [e.change])
    return studies, pooled
