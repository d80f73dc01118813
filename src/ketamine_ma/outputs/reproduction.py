"""The reproduction report: every published figure against our estimate from the same spec.

A figure printed in several places (the abstract and a second copy of it, a news report quoting it) is one figure
with several sources: one row here, its sources listed. Each part the review printed is compared at its printed
precision (the estimate, both CI bounds, p, I² and k); a published test for subgroup differences is compared with
our test for subgroup differences under the review's subgroup definition (``subgroup_test`` in its spec), not with
the overall pool. The reason says which parts agree.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd


def decimals(text):
    """Decimals printed in a number as it appears in the ledger ("-1.83" → 2, "0.002" → 3, "69" → 0)."""
    text = str(text).strip()
    return len(text.split(".")[1]) if "." in text else 0


def within_rounding(ours, printed):
    """True when ``ours`` rounds to the published value: |ours − pub| ≤ half a unit of the last printed digit."""
    pub = float(printed)
    return abs(ours - pub) <= 0.5 * 10 ** (-decimals(printed)) + 1e-12


def printed(x) -> str:
    """A published cell as printed, "" when the source printed nothing there."""
    return "" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x).strip()


def p_agrees(ours, text) -> bool:
    """Does our p meet the printed p at its printed precision? "<.0001" is met by any p below 0.0001, ".213" by
    any p that rounds to 0.213."""
    m = re.match(r"^\s*([<>]=?)?\s*(\d*\.?\d+)\s*$", text)
    if not m:
        raise ValueError(f"cannot read the published p {text!r}")
    qualifier, value = m.group(1) or "", m.group(2)
    bound = float(value)
    return {"<": ours < bound, "<=": ours <= bound, ">": ours > bound, ">=": ours >= bound}.get(
        qualifier, within_rounding(ours, value) if not qualifier else False)


def p_text(p) -> str:
    """Our p as a reader sees it: four decimals, or "< 0.0001"."""
    return "< 0.0001" if p < 0.0001 else f"{p:.4f}"


COLUMNS = ["review", "result_id", "outcome", "analysis", "measure", "published_estimate", "published_ci_low",
           "published_ci_high", "published_p", "published_k", "published_n", "published_i2", "source_kind",
           "sources", "n_sources", "our_estimate", "our_ci_low", "our_ci_high", "our_p", "our_k", "our_n", "our_i2",
           "abs_diff_estimate", "status", "reason"]


def not_pooled(exclusions):
    """Each included trial that was not pooled, with the clean stage's reason (``ledger.studies.decide``)."""
    return "; ".join(f"{t} ({r})" for t, r in zip(exclusions.trial_id, exclusions.reason, strict=True))


def figures(published):
    """One row per published figure (review, result_id), in the table's order, with the review's own text as the
    figure's row and ``sources``: every place the figure is printed ("<where read> (<locator>)", the review's own
    text first, joined by " | "), and ``n_sources``."""
    rows = []
    for _, g in published.groupby(["review", "result_id"], sort=False):
        g = g.iloc[np.argsort((g.source_kind != "primary").to_numpy(), kind="stable")]
        where = [f"{printed(r.read_at) or printed(r.source)} ({printed(r.locator)})" for r in g.itertuples()]
        rows.append(g.iloc[0].to_dict() | {"sources": " | ".join(where), "n_sources": len(g)})
    return pd.DataFrame(rows, columns=[*published.columns, "sources", "n_sources"])


def _and(names, verb):
    """["p", "k"], "agree" → "p and k agree"; ["k"] → "k agrees"."""
    if len(names) == 1:
        return f"{names[0]} {verb}s"
    return f"{', '.join(names[:-1])} and {names[-1]} {verb}"


def compared(parts) -> tuple[bool, str]:
    """``parts``: (name, agrees, detail) of each printed part. Returns (all agree, "estimate and CI agree; p
    differs (…); k differs (ours 7 of 13 published)")."""
    agree = [n for n, ok, _ in parts if ok]
    differ = [f"{n} differs ({d})" for n, ok, d in parts if not ok]
    return not differ, "; ".join(([_and(agree, "agree")] if agree else []) + differ)


def _k_part(p, our_k):
    k_pub = printed(p.k)
    if not k_pub:
        return []
    return [("k", float(k_pub) == our_k, f"ours {int(our_k)} of {int(float(k_pub))} published")]


TEST_NAMES = {
    "separate_tau2": ("Chi²", "each subgroup pooled with its own τ² ({est}), fixed-effect Q across the subgroup "
                              "estimates (RevMan)"),
    "common_tau2": ("QM", "one meta-regression on the subgroups with a common τ² ({est}), Wald test QM (metafor)"),
}


def subgroup_tests(sub, model, tau2_estimator, common_tau2_estimator):
    """Our two tests for subgroup differences from one subgroups.csv block: the review's (``model``) first, the
    other beside it. Each: (label, statistic, df, p, how)."""
    r = sub.iloc[0]
    tests = {
        "separate_tau2": (r.q_between, r.q_between_df, r.q_between_p, tau2_estimator),
        "common_tau2": (r.get("qm", np.nan), r.get("qm_df", np.nan), r.get("qm_p", np.nan), common_tau2_estimator),
    }
    order = [model] + [m for m in tests if m != model]
    out = []
    for m in order:
        q, df, p, est = tests[m]
        label, how = TEST_NAMES[m]
        out.append((label, q, df, p, how.format(est=est)))
    return out


def _subgroup_figure(p, spec_a, sub, o, e, row):
    """Status and reason of a published test for subgroup differences, against ours."""
    by = p.analysis.split(":", 1)[1]
    if by not in spec_a.get("subgroups", []):
        have = ", ".join(spec_a.get("subgroups", [])) or "none"
        return "not_reproducible", (f"the review spec defines no subgroup analysis by {by} (its subgroups: {have}); "
                                    f"ours pools {int(o.k)} trial(s) overall")
    s = sub[sub.by == by] if len(sub) else sub
    if s.empty or "q_between" not in s or s.q_between.isna().all():
        note = printed(s.note.iloc[0]) if len(s) and "note" in s else f"no subgroup analysis by {by} was run"
        return "not_reproducible", (f"our test for subgroup differences by {by} cannot run: {note} (ours pools "
                                    f"{int(o.k)} trial(s) overall)")
    test = spec_a.get("subgroup_test", {})
    model = test.get("model", "separate_tau2")
    # the subgroup pools' own label of their τ² estimator (the fixed-effect label under a fixed effect)
    est = s.tau2_estimator.iloc[0] if "tau2_estimator" in s else spec_a.get("tau2_estimator", "DL")
    (label, q, df, ours_p, how), *alt = subgroup_tests(s, model, est, test.get("tau2_estimator", est))
    if pd.isna(ours_p):
        note = printed(s.qm_note.iloc[0]) if "qm_note" in s else ""
        return "not_reproducible", (f"our {label} test for subgroup differences by {by} could not be computed"
                                    + (f": {note}" if note else ""))
    our_k = float(s.k.sum())
    row.update(our_p=ours_p, our_k=our_k)
    ours = f"{label} = {q:.2f}, df = {int(df)}, p = {p_text(ours_p)}"
    beside = "; ".join(f"beside it, {how}: {a_label} = {a_q:.2f}, df = {int(a_df)}, p = {p_text(a_p)}"
                       for a_label, a_q, a_df, a_p, how in alt if not pd.isna(a_p))
    parts = []
    if printed(p.p):
        parts.append(("p", p_agrees(ours_p, printed(p.p)), f"ours {p_text(ours_p)}, published {printed(p.p)}"))
    parts += _k_part(p, our_k)
    head = f"test for subgroup differences by {by} as the review tested it ({how}): {ours}"
    if not parts:
        return "not_reproducible", (f"the review prints no p or k for this subgroup comparison, so there is "
                                    f"nothing to compare; {head}" + (f"; {beside}" if beside else ""))
    ok, agreement = compared(parts)
    lacking = f"; missing or unusable: {not_pooled(e)}" if len(e) and not ok else ""
    return ("reproduced" if ok else "partial"), (f"{head}; {agreement}" + (" at the printed precision" if ok else "")
                                                 + (f"; {beside}" if beside else "") + lacking)


def reproduce(published_raw, specs, pooled, exclusions, missing, subgroups=None):
    """One row per published figure of the selected reviews (``published_raw`` read as strings; ``subgroups``:
    every analysis' subgroups.csv with ``review`` and ``analysis`` columns)."""
    link = {(r, rid): key for r, spec in specs.items() for key, a in spec["analyses"].items()
            for rid in a.get("published", [])}
    subgroups = pd.DataFrame(columns=["review", "analysis", "by"]) if subgroups is None else subgroups
    rows = []
    for _, p in figures(published_raw[published_raw.review.isin(specs)]).iterrows():
        key = link.get((p.review, p.result_id))
        row = {"review": p.review, "result_id": p.result_id, "outcome": p.outcome, "analysis": key or "",
               "measure": p.measure, "published_estimate": p.estimate, "published_ci_low": p.ci_low,
               "published_ci_high": p.ci_high, "published_p": p.p, "published_k": p.k, "published_n": p.n,
               "published_i2": p.i2, "source_kind": p.source_kind, "sources": p.sources,
               "n_sources": p.n_sources}
        ours = pooled[(pooled.review == p.review) & (pooled.outcome == key) & (pooled.analysis == "primary")]
        if key is None:
            row.update(status="not_reproducible", reason="no analysis in the review spec pools this figure "
                       "(scope count, descriptive figure or subgroup test without a spec)")
            rows.append(row)
            continue
        o = ours.iloc[0]
        row.update({"our_estimate": o.estimate, "our_ci_low": o.ci_low, "our_ci_high": o.ci_high, "our_p": o.p,
                    "our_k": o.k, "our_n": o.n_participants, "our_i2": o.i2})
        e = exclusions[(exclusions.review == p.review) & (exclusions.analysis == key)]
        m = missing[(missing.review == p.review) & (missing.analysis == key)]
        if o.k == 0 or pd.isna(o.estimate):
            need = "; ".join(sorted({f"{t}: {a} {s}" for t, a, s in zip(m.trial_id, m.arm, m.statistic,
                                                                          strict=True)})[:12])
            if len(e):
                reason = f"no usable trial data: {not_pooled(e)}; needed: {need}"
            else:
                reason = ("no trial is confirmed as included in this review, so nothing can be pooled under the "
                          "membership policy; needed: the review's list of included trials")
            row.update(status="not_reproducible", reason=reason)
            rows.append(row)
            continue
        if str(p.analysis).startswith("subgroup:"):
            # ours is the test's p and k, not the overall pool
            row.update({c: np.nan for c in ("our_estimate", "our_ci_low", "our_ci_high", "our_p", "our_k", "our_n",
                                            "our_i2")})
            sub = subgroups[(subgroups.review == p.review) & (subgroups.analysis == key)]
            status, reason = _subgroup_figure(p, specs[p.review]["analyses"][key], sub, o, e, row)
            row.update(status=status, reason=reason)
            rows.append(row)
            continue
        scale = 100.0 if p.scale == "percent" else 1.0
        # a ratio printed on the log scale is compared there (ours is on the natural scale)
        ours_at = np.log if p.scale == "log" else (lambda v, s=scale: v * s)
        parts = []
        if printed(p.estimate):
            row["abs_diff_estimate"] = abs(ours_at(o.estimate) - float(p.estimate))
            parts.append(("estimate", within_rounding(ours_at(o.estimate), p.estimate),
                          f"ours {ours_at(o.estimate):.4g}, published {p.estimate}, difference "
                          f"{ours_at(o.estimate) - float(p.estimate):+.3g}"))
        bounds = [(ov, printed(pv)) for ov, pv in ((o.ci_low, p.ci_low), (o.ci_high, p.ci_high)) if printed(pv)]
        if bounds:
            parts.append(("CI", all(within_rounding(ours_at(ov), pv) for ov, pv in bounds),
                          f"ours {ours_at(o.ci_low):.4g} to {ours_at(o.ci_high):.4g}, published "
                          f"{printed(p.ci_low)} to {printed(p.ci_high)}"))
        if printed(p.p) and not pd.isna(o.p):
            parts.append(("p", p_agrees(o.p, printed(p.p)), f"ours {p_text(o.p)}, published {printed(p.p)}"))
        if printed(p.i2) and not pd.isna(o.i2):
            parts.append(("I²", within_rounding(o.i2, printed(p.i2)), f"ours {o.i2:.1f}%, published "
                                                                     f"{printed(p.i2)}%"))
        parts += _k_part(p, o.k)
        if not parts:
            row.update(status="not_reproducible", reason=f"the published figure prints no estimate, CI, p, I² or k "
                                                         f"to compare; ours pools {int(o.k)} trial(s)")
            rows.append(row)
            continue
        ok, agreement = compared(parts)
        if ok:
            row.update(status="reproduced", reason=f"{agreement} within the published rounding")
        else:
            k_pub = printed(p.k)
            lacking = not_pooled(e) or "trials not identified in the ledger"
            row.update(status="partial", reason=f"pooled {int(o.k)} trial(s)"
                       + (f" of {int(float(k_pub))} published" if k_pub else "")
                       + f"; {agreement}; missing or unusable: {lacking}")
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=COLUMNS)
