"""The reproduction report: every published figure against our statistic of the same kind from the same spec.

A figure printed in several places (the abstract and a second copy of it, a news report quoting it) is one figure
with several sources: one row here, its sources listed. Each figure says what it is (its ``kind``, one of
``ledger.vocabulary.FIGURE_KINDS``) and is compared only with our statistic of that kind: a pool with our pool, a
heterogeneity figure with our Q, df, p, I² and τ², a prediction interval with ours, a test for subgroup differences
with our test under the review's definition (``subgroup_test`` in its spec; the common-effect version when the
figure's ``test`` is ``fixed``), a subgroup's pool with ours, a small-study test with our Egger, Harbord or Peters
test, trim-and-fill with ours, a leave-one-out or cumulative row with ours. Each part the review printed is compared
at its printed precision. A figure of a kind this run does not compute says so (``not_computed``). The reason says
which parts agree, which differ and why where the review's conventions explain it (docs/conventions.md), and which
trials are missing only when some are.
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


STATUSES = ("reproduced", "partial", "not_reproducible", "not_computed")
COLUMNS = ["review", "result_id", "kind", "outcome", "analysis", "measure", "published_estimate", "published_ci_low",
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


def _num_part(name, ours, text, fmt="{:.4g}", absolute=False):
    """One printed number against ours at its printed precision (``absolute``: a statistic printed without its
    sign, as RevMan prints Z); [] when nothing is printed."""
    text = printed(text)
    if not text:
        return []
    if ours is None or pd.isna(ours):
        return [(name, False, f"published {text}, ours not computed")]
    value = abs(ours) if absolute and float(text) >= 0 else ours
    return [(name, within_rounding(value, text), f"ours {fmt.format(value)}, published {text}")]


def _p_part(name, ours, text):
    text = printed(text)
    if not text:
        return []
    if ours is None or pd.isna(ours):
        return [(name, False, f"published {text}, ours not computed")]
    return [(name, p_agrees(ours, text), f"ours {p_text(ours)}, published {text}")]


def _fixed():
    """The fixed-effect fit's label (engine.pooling.FIXED_LABEL), imported where used: the audit job imports this
    module for ``decimals`` and needs no SciPy."""
    from ..engine.pooling import FIXED_LABEL

    return FIXED_LABEL


def _i2_part(p, o, basis):
    """I² at its printed precision; where it differs and the other basis (Q or τ²) explains it, the reason says so
    and names the spec key that follows the review's software."""
    text = printed(p.i2)
    if not text or pd.isna(o.get("i2", np.nan)):
        return []
    ours = float(o["i2"])
    if within_rounding(ours, text):
        return [("I²", True, "")]
    from_q = _i2_from_q(o)
    detail = f"ours {ours:.1f}%, published {text}%"
    if basis == "tau2" and from_q is not None and within_rounding(from_q, text):
        detail = (f"{ours:.1f}% from τ² vs printed {text}% from Q: the review's software computes I² from Q; set "
                  f"`i2: q`")
    elif basis == "q" and o.get("tau2_estimator") not in ("DL", _fixed(), None):
        detail += (f": ours is computed from Q; with the {o['tau2_estimator']} estimator I² from τ² differs, which "
                   f"metafor prints (`i2: tau2`)")
    return [("I²", False, detail)]


def _i2_from_q(o):
    q, df = o.get("q", np.nan), o.get("q_df", np.nan)
    if pd.isna(q) or pd.isna(df) or df < 1:
        return None
    return max(0.0, 100 * (q - df) / q) if q > 0 else 0.0


def _heterogeneity_parts(p, o, basis):
    """τ², Q, its df and p, I² as printed beside a pool or alone (``q_p``, or ``p`` of a heterogeneity figure)."""
    parts = _num_part("τ²", o.get("tau2"), p.tau2) + _num_part("Q", o.get("q"), p.q)
    parts += _num_part("df", o.get("q_df"), p.q_df, "{:.0f}")
    q_p = p.q_p if printed(p.q_p) or p.kind != "heterogeneity" else p.p
    parts += _p_part("P(Q)", o.get("q_p"), q_p)
    return parts + _i2_part(p, o, basis)


def _estimate_parts(p, est, lo, hi, ours_at):
    """Estimate and CI on the printed scale (``ours_at`` maps ours there)."""
    parts = []
    if printed(p.estimate) and not pd.isna(est):
        parts.append(("estimate", within_rounding(ours_at(est), p.estimate),
                      f"ours {ours_at(est):.4g}, published {p.estimate}, difference "
                      f"{ours_at(est) - float(p.estimate):+.3g}"))
    bounds = [(ov, printed(pv)) for ov, pv in ((lo, p.ci_low), (hi, p.ci_high)) if printed(pv)]
    if bounds and not (pd.isna(lo) or pd.isna(hi)):
        parts.append(("CI", all(within_rounding(ours_at(ov), pv) for ov, pv in bounds),
                      f"ours {ours_at(lo):.4g} to {ours_at(hi):.4g}, published {printed(p.ci_low)} to "
                      f"{printed(p.ci_high)}"))
    return parts


def _scale(p):
    """Our natural-scale value → the figure's printed scale (a ratio printed on its log scale, a percent)."""
    scale = 100.0 if p.scale == "percent" else 1.0
    return np.log if p.scale == "log" else (lambda v, s=scale: v * s)


def _verdict(parts, p, our_k, e, what):
    """Status and reason from the compared parts; trials are named as missing only when some are."""
    if not parts:
        return "not_reproducible", f"the published figure prints nothing to compare with {what}"
    ok, agreement = compared(parts)
    if ok:
        return "reproduced", f"{agreement} within the published rounding"
    k_pub = printed(p.k)
    head = f"pooled {int(our_k)} trial(s)" + (f" of {int(float(k_pub))} published" if k_pub else "")
    missing = ""
    if len(e):
        missing = f"; missing or unusable: {not_pooled(e)}"
    elif k_pub and float(k_pub) > our_k:
        missing = f"; {int(float(k_pub) - our_k)} trial(s) the review pooled are not identified in the ledger"
    return "partial", f"{head}; {agreement}{missing}"


TEST_NAMES = {
    "separate_tau2": ("Chi²", "each subgroup pooled with its own τ² ({est}), fixed-effect Q across the subgroup "
                              "estimates (RevMan)"),
    "common_tau2": ("QM", "one meta-regression on the subgroups with a common τ² ({est}), Wald test QM (metafor)"),
    "fixed": ("Q", "each subgroup pooled under a common effect, Q across the subgroup estimates (R meta's common "
                   "effect test)"),
}


def subgroup_tests(sub, model, tau2_estimator, common_tau2_estimator):
    """Our tests for subgroup differences from one subgroups.csv block: the review's (``model``) first, the
    others beside it. Each: (label, statistic, df, p, how)."""
    r = sub.iloc[0]
    tests = {
        "separate_tau2": (r.q_between, r.q_between_df, r.q_between_p, tau2_estimator),
        "common_tau2": (r.get("qm", np.nan), r.get("qm_df", np.nan), r.get("qm_p", np.nan), common_tau2_estimator),
    }
    if model == "fixed" or (tau2_estimator != _fixed() and not pd.isna(r.get("q_fixed", np.nan))):
        tests["fixed"] = (r.get("q_fixed", np.nan), r.get("q_fixed_df", np.nan), r.get("q_fixed_p", np.nan),
                          _fixed())
    order = [model] + [m for m in tests if m != model]
    out = []
    for m in order:
        q, df, p, est = tests[m]
        label, how = TEST_NAMES[m]
        out.append((label, q, df, p, how.format(est=est)))
    return out


def _subgroup_figure(p, spec_a, sub, o, e, row):
    """Status and reason of a published test for subgroup differences, against ours."""
    by = p.analysis.split(":", 1)[1] if ":" in str(p.analysis) else ""
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
    # the subgroup pools' own label of their τ² estimator (the fixed-effect label under a fixed effect)
    est = s.tau2_estimator.iloc[0] if "tau2_estimator" in s else spec_a.get("tau2_estimator", "DL")
    # a figure printed as the common-effect test is compared with ours of that kind
    model = "fixed" if printed(p.test) == "fixed" and est != _fixed() else test.get("model", "separate_tau2")
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
    parts = _num_part("statistic", q, p.stat) + _num_part("df", df, p.stat_df, "{:.0f}") + _p_part("p", ours_p, p.p)
    parts += _k_part(p, our_k)
    head = f"test for subgroup differences by {by} as the review tested it ({how}): {ours}"
    if not parts:
        return "not_reproducible", (f"the review prints no statistic, p or k for this subgroup comparison, so "
                                    f"there is nothing to compare; {head}" + (f"; {beside}" if beside else ""))
    ok, agreement = compared(parts)
    lacking = f"; missing or unusable: {not_pooled(e)}" if len(e) and not ok else ""
    return ("reproduced" if ok else "partial"), (f"{head}; {agreement}" + (" at the printed precision" if ok else "")
                                                 + (f"; {beside}" if beside else "") + lacking)


def _natural(value, measure):
    """A value of a subgroups.csv or small_study.csv row (the analysis scale) on the natural scale."""
    from ..engine.effects import back_transform

    if measure == "PFT":  # its back-transformation needs the studies' sizes, which these rows do not carry
        return np.nan
    return float(back_transform(value, measure))


def _subgroup_pool(p, spec_a, sub, e, row):
    by = p.analysis.split(":", 1)[1] if ":" in str(p.analysis) else ""
    s = sub[sub.by == by] if len(sub) and "by" in sub else sub
    if s.empty or "subgroup" not in s:
        return "not_reproducible", f"no subgroup analysis by {by or '(none named)'} was run for this analysis"
    label = printed(p.subgroup)
    g = s[s.subgroup.astype(str).str.strip().str.lower() == label.lower()]
    if g.empty:
        have = ", ".join(map(str, s.subgroup))
        return "not_reproducible", (f"our {by} subgroups are {have}; none is the printed subgroup "
                                    f"{label or '(none named in `subgroup`)'}")
    r = g.iloc[0]
    m = spec_a["measure"]
    est, lo, hi = (_natural(r[c], m) for c in ("estimate", "ci_low", "ci_high"))
    row.update(our_estimate=est, our_ci_low=lo, our_ci_high=hi, our_p=r.p, our_k=r.k, our_i2=r.i2)
    parts = _estimate_parts(p, est, lo, hi, _scale(p)) + _p_part("p", r.p, p.p) + _k_part(p, r.k)
    parts += _heterogeneity_parts(p, r, None)
    return _verdict(parts, p, r.k, e, f"our {label} subgroup's pool")


def _small_study(p, spec_a, ss, e, row):
    test = printed(p.test) or "egger"
    if ss is None or ss.empty:
        return "not_computed", (f"small_study_test ({test}): the small-study tests did not run for this analysis "
                                f"(config sensitivity.small_study)")
    r = ss.iloc[0]
    if f"{test}_t" not in r.index:
        return "not_computed", (f"small_study_test ({test}): our {test.capitalize()} test needs the 2x2 tables of a "
                                f"binary outcome; this analysis pools {spec_a['measure']}")
    if pd.isna(r[f"{test}_t"]):
        return "not_computed", (f"small_study_test ({test}): our {test.capitalize()} test is not computed: "
                                f"{printed(r.get(f'{test}_note', np.nan)) or 'too few studies'}")
    k = r.k if test != "harbord" else r.get("harbord_df", np.nan) + 2
    row.update(our_p=r[f"{test}_p"], our_k=k)
    parts = (_num_part("statistic", r[f"{test}_t"], p.stat, absolute=True)
             + _num_part("df", r[f"{test}_df"], p.stat_df, "{:.0f}") + _p_part("p", r[f"{test}_p"], p.p))
    parts += _k_part(p, k)
    status, reason = _verdict(parts, p, k, e, f"our {test.capitalize()} test")
    ours = f"our {test.capitalize()} test: t = {r[f'{test}_t']:.2f}, df = {int(r[f'{test}_df'])}, p = " \
           f"{p_text(r[f'{test}_p'])}"
    note = printed(r.get(f"{test}_note", np.nan))
    return status, f"{ours}{f' ({note})' if note else ''}; {reason}"


def _trim_and_fill(p, spec_a, ss, e, row):
    if ss is None or ss.empty:
        return "not_computed", ("trim_and_fill: trim-and-fill did not run for this analysis (config "
                                "sensitivity.small_study)")
    r = ss.iloc[0]
    if pd.isna(r.get("trimfill_k0", np.nan)):
        return "not_reproducible", f"our trim-and-fill {printed(r.get('trimfill_note', np.nan)) or 'did not run'}"
    m = spec_a["measure"]
    est, lo, hi = (_natural(r[c], m) for c in ("trimfill_estimate", "trimfill_ci_low", "trimfill_ci_high"))
    row.update(our_estimate=est, our_ci_low=lo, our_ci_high=hi, our_k=r.k + r.trimfill_k0)
    parts = _num_part("k added", r.trimfill_k0, p.k_added, "{:.0f}") + _estimate_parts(p, est, lo, hi, _scale(p))
    # a k printed beside trim-and-fill counts the filled studies too
    parts += _k_part(p, r.k + r.trimfill_k0)
    status, reason = _verdict(parts, p, r.k + r.trimfill_k0, e, "our trim-and-fill")
    return status, f"our trim-and-fill adds {int(r.trimfill_k0)} ({r.trimfill_side}); {reason}"


def _refit_row(p, rows, e, row):
    """A printed leave-one-out or cumulative row against ours (the trial omitted or added named in ``subgroup``)."""
    what = "omitted" if p.kind == "leave_one_out" else "added"
    if rows.empty:
        return "not_computed", f"{p.kind}: this run has no {p.kind} analysis (config sensitivity.{p.kind})"
    trial = printed(p.subgroup)
    g = rows[rows[what].astype(str) == trial] if what in rows else rows.iloc[0:0]
    if g.empty:
        return "not_reproducible", (f"no {p.kind} row of ours has {what} trial {trial or '(none named in '}"
                                    + ("" if trial else "`subgroup`)") + f"; ours: {', '.join(map(str, rows[what]))}")
    r = g.iloc[0]
    row.update({"our_estimate": r.estimate, "our_ci_low": r.ci_low, "our_ci_high": r.ci_high, "our_p": r.p,
                "our_k": r.k, "our_i2": r.i2})
    parts = _estimate_parts(p, r.estimate, r.ci_low, r.ci_high, _scale(p)) + _p_part("p", r.p, p.p)
    parts += _k_part(p, r.k) + _heterogeneity_parts(p, r, None)
    return _verdict(parts, p, r.k, e, f"our {p.kind} row")


def _pooled_like(p, o, e, row, basis):
    """A pool, its heterogeneity printed alone, or its prediction interval, against our primary pool."""
    at = _scale(p)
    if p.kind == "heterogeneity":
        # a heterogeneity figure's CI is τ²'s (ours: the Q-profile CI)
        parts = _heterogeneity_parts(p, o, basis)
        bounds = [(ov, printed(pv)) for ov, pv in ((o.tau2_ci_low, p.ci_low), (o.tau2_ci_high, p.ci_high))
                  if printed(pv)]
        if bounds:
            parts.append(("τ² CI", all(not pd.isna(ov) and within_rounding(ov, pv) for ov, pv in bounds),
                          f"ours {o.tau2_ci_low:.4g} to {o.tau2_ci_high:.4g}, published {printed(p.ci_low)} to "
                          f"{printed(p.ci_high)}"))
        parts += _k_part(p, o.k)
        return _verdict(parts, p, o.k, e, "our heterogeneity")
    if p.kind == "prediction_interval":
        parts = _estimate_parts(p, o.estimate, o.pi_low, o.pi_high, at) + _k_part(p, o.k)
        parts = [("PI" if n == "CI" else n, ok, d) for n, ok, d in parts]
        if not pd.isna(o.pi_low):
            row.update(our_ci_low=o.pi_low, our_ci_high=o.pi_high)
        return _verdict(parts, p, o.k, e, "our prediction interval")
    parts = _estimate_parts(p, o.estimate, o.ci_low, o.ci_high, at)
    if printed(p.estimate):
        row["abs_diff_estimate"] = abs(at(o.estimate) - float(p.estimate))
    parts += _p_part("p", o.p, p.p) + _num_part("z", o.get("stat"), p.stat, absolute=True)
    parts += _heterogeneity_parts(p, o, basis) + _k_part(p, o.k)
    return _verdict(parts, p, o.k, e, f"ours, which pools {int(o.k)} trial(s)")


def reproduce(published_raw, specs, pooled, exclusions, missing, subgroups=None, small_study=None,
              conventions=None):
    """One row per published figure of the selected reviews (``published_raw`` read as strings; ``subgroups``:
    every analysis' subgroups.csv with ``review`` and ``analysis`` columns; ``small_study``: every small_study.csv
    with ``review`` and ``outcome``; ``conventions``: each review's resolved conventions, whose ``i2`` basis the
    reasons use)."""
    link = {(r, rid): key for r, spec in specs.items() for key, a in spec["analyses"].items()
            for rid in a.get("published", [])}
    subgroups = pd.DataFrame(columns=["review", "analysis", "by"]) if subgroups is None else subgroups
    conventions = conventions or {}
    rows = []
    for _, p in figures(published_raw[published_raw.review.isin(specs)]).iterrows():
        key = link.get((p.review, p.result_id))
        row = {"review": p.review, "result_id": p.result_id, "kind": p.kind, "outcome": p.outcome,
               "analysis": key or "", "measure": p.measure, "published_estimate": p.estimate,
               "published_ci_low": p.ci_low, "published_ci_high": p.ci_high, "published_p": p.p,
               "published_k": p.k, "published_n": p.n, "published_i2": p.i2, "source_kind": p.source_kind,
               "sources": p.sources, "n_sources": p.n_sources}
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
        spec_a = specs[p.review]["analyses"][key]
        basis = conventions.get(p.review, {}).get("i2")
        of_the_pool = p.kind in ("pooled", "heterogeneity", "prediction_interval")
        if not of_the_pool:  # ours is the figure's own statistic, not the overall pool
            row.update({c: np.nan for c in ("our_estimate", "our_ci_low", "our_ci_high", "our_p", "our_k", "our_n",
                                            "our_i2")})
        if of_the_pool:
            status, reason = _pooled_like(p, o, e, row, basis)
        elif p.kind == "subgroup_test":
            sub = subgroups[(subgroups.review == p.review) & (subgroups.analysis == key)]
            status, reason = _subgroup_figure(p, spec_a, sub, o, e, row)
        elif p.kind == "subgroup_pool":
            sub = subgroups[(subgroups.review == p.review) & (subgroups.analysis == key)]
            status, reason = _subgroup_pool(p, spec_a, sub, e, row)
        elif p.kind in ("small_study_test", "trim_and_fill"):
            ss = None if small_study is None else small_study[(small_study.review == p.review)
                                                              & (small_study.outcome == key)]
            status, reason = (_small_study if p.kind == "small_study_test" else _trim_and_fill)(p, spec_a, ss, e, row)
        elif p.kind in ("leave_one_out", "cumulative"):
            refits = pooled[(pooled.review == p.review) & (pooled.outcome == key) & (pooled.analysis == p.kind)]
            status, reason = _refit_row(p, refits, e, row)
        else:
            status, reason = "not_computed", f"{p.kind}: a figure of this kind is not computed here"
        row.update(status=status, reason=reason)
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=COLUMNS)
