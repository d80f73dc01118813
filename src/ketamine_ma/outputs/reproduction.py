"""The reproduction report: every published figure against our estimate from the same spec."""

from __future__ import annotations

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


COLUMNS = ["review", "result_id", "outcome", "analysis", "measure", "published_estimate", "published_ci_low",
           "published_ci_high", "published_p", "published_k", "published_n", "published_i2", "source_kind",
           "our_estimate", "our_ci_low", "our_ci_high", "our_p", "our_k", "our_n", "our_i2", "abs_diff_estimate",
           "status", "reason"]


def not_pooled(exclusions):
    """Each included trial that was not pooled, with the clean stage's reason (``ledger.studies.decide``)."""
    return "; ".join(f"{t} ({r})" for t, r in zip(exclusions.trial_id, exclusions.reason, strict=True))


def reproduce(published_raw, specs, pooled, exclusions, missing):
    """One row per published figure of the selected reviews (``published_raw`` read as strings)."""
    link = {(r, rid): key for r, spec in specs.items() for key, a in spec["analyses"].items()
            for rid in a.get("published", [])}
    rows = []
    for _, p in published_raw[published_raw.review.isin(specs)].iterrows():
        key = link.get((p.review, p.result_id))
        row = {"review": p.review, "result_id": p.result_id, "outcome": p.outcome, "analysis": key or "",
               "measure": p.measure, "published_estimate": p.estimate, "published_ci_low": p.ci_low,
               "published_ci_high": p.ci_high, "published_p": p.p, "published_k": p.k, "published_n": p.n,
               "published_i2": p.i2, "source_kind": p.source_kind}
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
        if pd.isna(p.estimate) or p.estimate == "":
            row.update(status="partial", reason=f"published figure has no estimate to compare (p {p.p}); ours "
                                                f"pools {int(o.k)} trial(s)")
            rows.append(row)
            continue
        scale = 100.0 if p.scale == "percent" else 1.0
        # a ratio printed on the log scale is compared there (ours is on the natural scale)
        ours_at = np.log if p.scale == "log" else (lambda v, s=scale: v * s)
        pairs = ((o.estimate, p.estimate), (o.ci_low, p.ci_low), (o.ci_high, p.ci_high))
        ok = all(within_rounding(ours_at(ov), pv) for ov, pv in pairs if not pd.isna(pv) and pv != "")
        row["abs_diff_estimate"] = abs(ours_at(o.estimate) - float(p.estimate))
        k_pub = float(p.k) if not (pd.isna(p.k) or p.k == "") else np.nan
        if ok and (np.isnan(k_pub) or k_pub == o.k):
            row.update(status="reproduced", reason="estimate and CI agree within the published rounding")
        else:
            lacking = not_pooled(e) or "trials not identified in the ledger"
            row.update(status="partial", reason=f"pooled {int(o.k)} trial(s)"
                       + (f" of {int(k_pub)} published" if not np.isnan(k_pub) else "")
                       + f"; estimate {ours_at(o.estimate):.4g} against {p.estimate} published (difference "
                       f"{ours_at(o.estimate) - float(p.estimate):+.3g}); missing or unusable: {lacking}")
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=COLUMNS)
