"""Figures (matplotlib): RevMan-style forest plots with deterministic bytes (no dates or random ids)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ..engine import effects as ef  # noqa: E402

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


def _log_ticks(ax, low, high):
    """Log axis with plain tick labels (0.5, 1, 2) as RevMan prints them."""
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xticks([t for t in (0.01, 0.1, 0.2, 0.5, 1, 2, 5, 10, 100) if low / 1.5 <= t <= high * 1.5])


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
        _log_ticks(ax, lo.min(), hi.max())
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


def _placeholder(fig, text):
    fig.text(0.5, 0.5, text, ha="center", va="center", fontsize=9, wrap=True)


def funnel(studies: pd.DataFrame, pooled: pd.Series, small_study: dict | None, label: str, svg, png):
    """Contour-enhanced funnel plot (Peters et al. 2008): estimates against their SE with the 90/95/99%
    significance contours around 0 (log scale for ratios), the pooled estimate, and Egger's line when k ≥ 10."""
    s = studies.dropna(subset=["yi", "vi"]) if len(studies) else studies
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    if len(s) < 2:
        ax.set_axis_off()
        _placeholder(fig, f"{label}\nFunnel plot needs at least 2 studies (k = {len(s)}).")
        _save(fig, svg, png)
        return
    se = np.sqrt(s.vi.to_numpy())
    top = se.max() * 1.1
    grid = np.linspace(0, top, 50)
    for z, shade in ((2.576, "#f0f0f0"), (1.96, "#d9d9d9"), (1.645, "#bdbdbd")):
        ax.fill_betweenx(grid, -z * grid, z * grid, color=shade, zorder=0)
    ax.scatter(s.yi, se, color="#2b5d8a", zorder=3)
    centre = pooled.estimate if pooled.measure not in RATIO else np.log(pooled.estimate)
    if pooled.measure in ("PLO", "PFT", "PAS"):
        centre = np.average(s.yi, weights=1 / s.vi)
    ax.plot([centre - 1.96 * top, centre, centre + 1.96 * top], [top, 0, top], color="black", lw=0.7, ls="--")
    if small_study and len(s) >= 10 and not pd.isna(small_study.get("egger_limit")):
        # Egger's regression line y = b0 + b1·SE, drawn from its limit b0 at SE = 0.
        b1 = small_study["egger_slope"]
        ax.plot([small_study["egger_limit"], small_study["egger_limit"] + b1 * top], [0, top], color="#b2182b",
                lw=0.8, label=f"Egger's line (p = {small_study['egger_p']:.2g})")
        ax.legend(fontsize=7)
    ax.set_ylim(top, 0)
    ax.set_ylabel("Standard error")
    ax.set_xlabel("log " + pooled.measure if pooled.measure in RATIO else f"{pooled.measure} (analysis scale)")
    ax.set_title(f"{label}\nshaded: p > 0.10, 0.05, 0.01 contours", fontsize=8)
    fig.tight_layout()
    _save(fig, svg, png)


def influence_plot(loo: pd.DataFrame, cumul: pd.DataFrame, pooled: pd.Series, label: str, svg, png):
    """Leave-one-out (left) and cumulative-by-year (right) pooled estimates with their CIs."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 1.8 + 0.3 * max(len(loo), len(cumul), 1)))
    for ax, df, col, title in ((axes[0], loo, "omitted", "Leave one out: omitting"),
                               (axes[1], cumul, "added", "Cumulative by year: adding")):
        df = df.dropna(subset=["estimate"]) if len(df) else df
        if df.empty:
            ax.set_axis_off()
            ax.text(0.5, 0.5, f"{title.split(':')[0]}: not available (too few studies)", ha="center",
                    transform=ax.transAxes, fontsize=8)
            continue
        y = np.arange(len(df), 0, -1)
        ax.hlines(y, df.ci_low, df.ci_high, color="black", lw=0.8)
        ax.scatter(df.estimate, y, marker="s", color="#2b5d8a", zorder=3)
        ax.axvline(pooled.estimate, color="grey", lw=0.6, ls="--")
        ax.set_yticks(y)
        ax.set_yticklabels(df[col].astype(str))
        if pooled.measure in RATIO:
            ax.set_xscale("log")
        ax.set_title(title, fontsize=8)
    fig.suptitle(label, fontsize=9)
    fig.tight_layout()
    _save(fig, svg, png)


def flow(counts: dict, review: str, svg, png):
    """A PRISMA 2020-style flow of trials: included by the review → found in the ledger → with usable data →
    pooled, one box per stage with its count and what is lost between stages."""
    fig, ax = plt.subplots(figsize=(7, 5.2))
    ax.set_axis_off()
    boxes = [
        f"Trials the review included (published k): {counts['published_k']}",
        f"Trials in the ledger for this review: {counts['confirmed'] + counts['candidate']}\n"
        f"({counts['confirmed']} confirmed, {counts['candidate']} candidate)",
        f"Counted under the membership policy ({counts['policy']}): {counts['members']}",
        f"With usable data for at least one analysis: {counts['usable']}",
        f"Pooled in the primary analyses: {counts['pooled_text']}",
    ]
    ys = np.linspace(0.9, 0.1, len(boxes))
    for y, text in zip(ys, boxes, strict=True):
        ax.text(0.5, y, text, ha="center", va="center", fontsize=8,
                bbox={"boxstyle": "round,pad=0.5", "fc": "#eef3f8", "ec": "#2b5d8a"}, transform=ax.transAxes)
    for y0, y1 in zip(ys[:-1], ys[1:], strict=True):
        ax.annotate("", xy=(0.5, y1 + 0.06), xytext=(0.5, y0 - 0.06), xycoords="axes fraction",
                    arrowprops={"arrowstyle": "->"})
    ax.set_title(f"{review}: from the review's trials to what could be pooled", fontsize=9)
    _save(fig, svg, png)


def subgroup_forest(sub: pd.DataFrame, pooled: pd.Series, label: str, svg, png):
    """Subgroup blocks as RevMan draws them: each subgroup's pooled estimate and CI (separate τ²), the overall
    pool, and the test for subgroup differences (Chi², df, P, I²)."""
    sub = sub.dropna(subset=["estimate"]) if "estimate" in sub else sub.iloc[0:0]
    fig, ax = plt.subplots(figsize=(8, 1.8 + 0.45 * max(len(sub), 1)))
    if sub.empty:
        ax.set_axis_off()
        _placeholder(fig, f"{label}\nNo subgroup analysis with at least two subgroups of data for this outcome.")
        _save(fig, svg, png)
        return
    ratio = pooled.measure in RATIO
    tf = np.exp if ratio else (lambda x: x)
    y = np.arange(len(sub), 0, -1, dtype=float)
    est, lo, hi = tf(sub.estimate.to_numpy()), tf(sub.ci_low.to_numpy()), tf(sub.ci_high.to_numpy())
    for yy, e, a, b in zip(y, est, lo, hi, strict=True):
        ax.fill([a, e, b, e], [yy, yy + 0.2, yy, yy - 0.2], color="#2b5d8a")
    ax.fill([pooled.ci_low, pooled.estimate, pooled.ci_high, pooled.estimate], [0, 0.2, 0, -0.2], color="black")
    ax.axvline(1.0 if ratio else 0.0, color="grey", lw=0.6)
    if ratio:
        _log_ticks(ax, min(lo.min(), pooled.ci_low), max(hi.max(), pooled.ci_high))
    labels = [f"{r.by} = {r.subgroup} (k = {int(r.k)}, Tau² = {r.tau2:.2f})" for r in sub.itertuples()]
    ax.set_yticks(list(y) + [0])
    ax.set_yticklabels(labels + ["Overall"])
    ax.set_ylim(-0.8, len(sub) + 0.8)
    r0 = sub.iloc[0]
    ax.set_title(f"{label}\nTest for subgroup differences: Chi² = {r0.q_between:.2f}, df = {int(r0.q_between_df)} "
                 f"(P = {r0.q_between_p:.2f})", fontsize=8)
    fig.tight_layout()
    _save(fig, svg, png)
