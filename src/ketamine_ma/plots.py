"""Figures (matplotlib): RevMan-style forest plots with deterministic bytes (no dates or random ids)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from . import effects as ef  # noqa: E402

plt.rcParams.update({"svg.hashsalt": "ketamine-ma", "font.family": "DejaVu Sans", "font.size": 8,
                     "svg.fonttype": "path"})
RATIO = ("RR", "OR")


def _fmt(x, nd=2):
    return "" if pd.isna(x) else f"{x:.{nd}f}"


def _arm_text(r, measure):
    if measure in ("MD", "SMD"):
        return [f"{_fmt(r.m1)} ({_fmt(r.sd1)}) n={r.n1:g}", f"{_fmt(r.m2)} ({_fmt(r.sd2)}) n={r.n2:g}"]
    if measure in ("RR", "OR", "RD"):
        return [f"{r.ai:g}/{r.n1:g}", f"{r.ci:g}/{r.n2:g}"]
    if measure == "MC":
        return [f"{_fmt(r.m_pre)} ({_fmt(r.sd_pre)})", f"{_fmt(r.m_post)} ({_fmt(r.sd_post)}) n={r.ni:g}"]
    return [f"{r.xi:g}/{r.ni:g}", ""]


def _save(fig, svg, png):
    fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    fig.savefig(png, format="png", dpi=120, metadata={"Software": None})
    plt.close(fig)


def forest(studies: pd.DataFrame, pooled: pd.Series, label: str, svg, png, arms=("Ketamine", "Control"),
           lower_is_better=True):
    """Forest plot: per study the arm data, weight and estimate [95% CI]; squares sized by weight; the pooled
    diamond; heterogeneity and overall-effect lines; direction labels."""
    measure = pooled.measure
    s = studies.dropna(subset=["yi", "vi"]).reset_index(drop=True) if len(studies) else studies
    k = len(s)
    fig_h = 1.6 + 0.28 * max(k, 1)
    fig = plt.figure(figsize=(10, fig_h))
    ax = fig.add_axes([0.56, 0.22, 0.24, 0.62])
    txt = fig.add_axes([0.0, 0.22, 1.0, 0.62], frameon=False)
    txt.set_axis_off()
    title = f"{pooled.review}: {label}"
    fig.text(0.01, 0.95, title, fontsize=10, weight="bold", va="top")
    if k == 0:
        fig.text(0.01, 0.6, "No trial with usable data in the ledger: nothing to pool. "
                 "See results/ledger/missing_cells.csv for the cells needed.", fontsize=9)
        ax.set_axis_off()
        _save(fig, svg, png)
        return
    ratio = measure in RATIO
    z = 1.959963984540054
    est = np.exp(s.yi) if ratio else s.yi
    lo = np.exp(s.yi - z * np.sqrt(s.vi)) if ratio else s.yi - z * np.sqrt(s.vi)
    hi = np.exp(s.yi + z * np.sqrt(s.vi)) if ratio else s.yi + z * np.sqrt(s.vi)
    if measure in ("PLO", "PFT", "PAS"):
        ni = s.ni
        est, lo, hi = (ef.back_transform(v, measure, ni) for v in (s.yi, s.yi - z * np.sqrt(s.vi),
                                                                    s.yi + z * np.sqrt(s.vi)))
    y = np.arange(k, 0, -1, dtype=float)
    w = s.weight.fillna(0).to_numpy()
    ax.hlines(y, lo, hi, color="black", lw=0.8)
    ax.scatter(est, y, marker="s", s=20 + 180 * w / max(w.max(), 1e-9), color="#2b5d8a", zorder=3)
    pe, pl, ph = pooled.estimate, pooled.ci_low, pooled.ci_high
    ax.fill([pl, pe, ph, pe], [0, 0.25, 0, -0.25], color="black")
    ref = 1.0 if ratio else 0.0
    if measure not in ("PLO", "PFT", "PAS", "PR", "MC"):
        ax.axvline(ref, color="grey", lw=0.6)
    if ratio:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xticks([t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20) if lo.min() / 1.5 <= t <= hi.max() * 1.5])
    ax.set_ylim(-0.8, k + 0.8)
    ax.set_yticks([])
    ax.set_xlabel({"MD": "Mean difference (0-10)", "RR": "Risk ratio", "OR": "Odds ratio",
                   "MC": "Mean change from baseline"}.get(measure, "Proportion"))
    if measure in ("MD", "SMD", "RR", "OR", "RD"):
        left, right = (f"Favours {arms[0].lower()}", f"Favours {arms[1].lower()}")
        if not lower_is_better:
            left, right = right, left
        fig.text(0.60, 0.12, left, ha="center", fontsize=7)
        fig.text(0.76, 0.12, right, ha="center", fontsize=7)
    single = measure in ("MC", "PLO", "PFT", "PAS", "PR")
    heads = ["Study", "Baseline" if measure == "MC" else arms[0], "" if single and measure != "MC" else
             (arms[0] if measure == "MC" else arms[1]),
             "Weight", "Estimate [95% CI]"]
    xs = [0.01, 0.17, 0.36, 0.82, 0.88]
    ytop = 0.84 + 0.02
    for x, h in zip(xs, heads, strict=True):
        fig.text(x, ytop, h, weight="bold", va="bottom")
    to_fig = lambda yy: 0.22 + 0.62 * (yy + 0.8) / (k + 1.6)  # noqa: E731
    for i, r in s.iterrows():
        yy = to_fig(y[i])
        a1, a2 = _arm_text(r, measure)
        for x, t in zip(xs, [r.study_id, a1, a2, f"{w[i]:.1f}%", f"{est[i]:.2f} [{lo[i]:.2f}, {hi[i]:.2f}]"],
                        strict=True):
            fig.text(x, yy, t, va="center")
    fig.text(xs[0], to_fig(0), f"Total ({pooled.method}, {pooled.tau2_estimator}, {pooled.ci_method})",
             va="center", weight="bold")
    fig.text(xs[4], to_fig(0), f"{pe:.2f} [{pl:.2f}, {ph:.2f}]", va="center", weight="bold")
    het = (f"Heterogeneity: Tau² = {pooled.tau2:.2f}; Chi² = {pooled.q:.2f}, df = {pooled.q_df:g} "
           f"(P = {pooled.q_p:.2f}); I² = {pooled.i2:.0f}%") if k > 1 else "Heterogeneity: not applicable (k = 1)"
    fig.text(0.01, 0.08, het, fontsize=7)
    fig.text(0.01, 0.03, f"Test for overall effect: Z = {abs(pooled.stat):.2f} (P = {pooled.p:.2g})", fontsize=7)
    _save(fig, svg, png)


def _when(timepoint):
    """A short time-point tag for labels ("" when the review did not state one)."""
    t = "" if pd.isna(timepoint) else str(timepoint)
    return "" if not t or t.startswith("not stated") else f", {t[:28]}"


def umbrella_forest(table: pd.DataFrame, svg, png):
    """The reviews' own pooled figures side by side, one panel per measure (MD, ratios, event rates)."""
    panels = [("MD", "Mean difference (0-10 scale)", False), ("ratio", "Risk ratio (adverse effects, responders)",
                                                                True), ("proportion", "Event rate (%)", False)]
    t = table.assign(panel=np.where(table.measure.isin(RATIO), "ratio", table.measure))
    used = [p for p in panels if (t.panel == p[0]).any()]
    heights = [max(1, (t.panel == p[0]).sum()) for p in used]
    fig, axes = plt.subplots(len(used), 1, figsize=(9, 1.2 + 0.35 * sum(heights)),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, (key, xlabel, log) in zip(axes[:, 0], used, strict=True):
        d = t[t.panel == key].reset_index(drop=True)
        y = np.arange(len(d), 0, -1)
        ax.hlines(y, d.ci_low, d.ci_high, color="black", lw=0.8)
        ax.scatter(d.estimate, y, marker="D", color="#2b5d8a", zorder=3)
        ax.set_yticks(y)
        ax.set_yticklabels([f"{r.review}: {r.outcome}{_when(r.timepoint)} (review k = {r.k_review:g})"
                            for r in d.itertuples()])
        ax.set_ylim(0.4, len(d) + 0.6)
        if key != "proportion":
            ax.axvline(1.0 if log else 0.0, color="grey", lw=0.6)
        if log:
            ax.set_xscale("log")
        ax.set_xlabel(xlabel)
    fig.suptitle("Published pooled figures of the four reviews (as printed; see results/umbrella/umbrella.csv)")
    fig.tight_layout()
    _save(fig, svg, png)


def overlap_heatmap(mat: pd.DataFrame, cca: float, title: str, svg, png):
    """Trial × review overlap: shared trials per pair of reviews, with the corrected covered area."""
    import seaborn as sns

    fig, ax = plt.subplots(figsize=(5, 4))
    sns.heatmap(mat, annot=True, fmt="d", cmap="Blues", cbar=False, ax=ax)
    ax.set_title(f"{title}\nCCA = {cca:.3f}" if not np.isnan(cca) else title)
    fig.tight_layout()
    _save(fig, svg, png)
