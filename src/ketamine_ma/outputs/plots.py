"""Figures (matplotlib): RevMan-style forest plots with deterministic bytes (no dates or random ids)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import matplotlib.transforms  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.textpath import text_to_path  # noqa: E402

from ..engine import effects as ef  # noqa: E402
from ..engine import measures  # noqa: E402
from ..ledger.studies import ARM_COLUMNS  # noqa: E402

# SVG text stays text (selectable and searchable in the report, a fifth of the size, and drawn in about two
# thirds of the time of one path per glyph), set in DejaVu Sans with the viewer's sans-serif as fallback. PDFs
# embed the font as TrueType (Type 42), which journals' checks accept and editors can edit, not as Type 3.
plt.rcParams.update({"svg.hashsalt": "ketamine-ma", "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"],
                     "font.size": 8, "svg.fonttype": "none", "pdf.fonttype": 42})


def _fmt(x, nd=2):
    return "" if pd.isna(x) else f"{x:.{nd}f}"


def _arm_text(r, measure):
    """A row's arm columns; blank for a trial pooled by its own estimate and CI (no arm data)."""
    fam = ef.family(measure)
    if all(pd.isna(getattr(r, c, np.nan)) for c in ARM_COLUMNS[fam]):
        return ["", ""]
    if fam == "continuous":
        return [f"{_fmt(r.m1)} ({_fmt(r.sd1)}) n={r.n1:g}", f"{_fmt(r.m2)} ({_fmt(r.sd2)}) n={r.n2:g}"]
    if fam == "binary":
        return [f"{r.ai:g}/{r.n1:g}", f"{r.ci:g}/{r.n2:g}"]
    if fam == "change":
        return [f"{_fmt(r.m_pre)} ({_fmt(r.sd_pre)})", f"{_fmt(r.m_post)} ({_fmt(r.sd_post)}) n={r.ni:g}"]
    return [f"{r.xi:g}/{r.ni:g}", ""]


def _log_ticks(ax, low, high):
    """Log axis with plain tick labels (0.5, 1, 2) as RevMan prints them. Called once the x data are drawn: the
    minor ticks are fixed to those inside the view, as matplotlib's log locator would draw them, because it
    proposes whole decades beyond the view and matplotlib builds (and then hides) a tick object for each."""
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xticks([t for t in (0.01, 0.1, 0.2, 0.5, 1, 2, 5, 10, 100) if low / 1.5 <= t <= high * 1.5])
    lo, hi = ax.get_xlim()
    minor = ax.xaxis.get_minor_locator().tick_values(lo, hi)
    ax.xaxis.set_minor_locator(matplotlib.ticker.FixedLocator(minor[(minor >= lo) & (minor <= hi)]))


# Fixed margins in place of tight_layout, which measures every artist with a renderer of its own before the SVG
# backend measures them again. Heights are the same whatever the data (one line per title, tick label or axis
# label); widths follow the tick labels, measured once with the SVG backend's own text metrics.
PAD_IN = 1.08 * 8 / 72  # tight_layout's padding: 1.08 font sizes around the panels and between them
TICK_IN = 7 / 72  # a tick (3.5 pt) and the pad to its label (3.5 pt)
LABEL_IN = (9.3 + 4) / 72  # an axis label's line (1.164 em of DejaVu Sans at 8 pt) and its pad (4 pt)
# what tight_layout left below the panels (tick labels; tick labels and an axis label) and above them (a two-line
# title; a one-line title under the figure's title), padding included
BOTTOM_IN_TICKS, BOTTOM_LABELLED_IN = 0.328, 0.501
TOP_TITLE2_IN, TOP_SUPTITLE_IN = 0.443, 0.553


def _width_in(texts, size=8):
    """Width in inches of the widest of ``texts`` at ``size`` pt, as the SVG backend sets it."""
    prop = FontProperties(size=size)
    return max((text_to_path.get_text_width_height_descent(t, prop, ismath=False)[0] for t in texts), default=0) / 72


def _tick_labels(axis):
    """The tick labels ``axis`` will draw inside its view (what the formatter makes of the locator's ticks)."""
    locs = axis.get_majorticklocs()
    lo, hi = sorted(axis.get_view_interval())
    return [t for x, t in zip(locs, axis.get_major_formatter().format_ticks(locs), strict=True) if lo <= x <= hi]


def _margins(fig, left, bottom, top, right=PAD_IN, gap=0.0):
    """Place a row of panels with the given margins and ``gap`` between the panels (inches)."""
    w, h = fig.get_size_inches()
    n = len(fig.axes)
    panel = (w - left - right - gap * (n - 1)) / n
    fig.subplots_adjust(left=left / w, right=1 - right / w, bottom=bottom / h, top=1 - top / h, wspace=gap / panel)


# Every format a figure can be written in (config figure_formats), SVG first: the reports show the SVG. Metadata
# that would differ between two runs (dates, software versions) is left out, so a rerun gives the same bytes.
FORMATS = {"svg": {"Date": None, "Creator": None}, "png": {"Software": None},
           "pdf": {"CreationDate": None, "Creator": None, "Producer": None}}


def drawn(outputs, svg) -> list[str]:
    """The figure ``svg`` in every format among a job's output files (its SVG and the other formats beside it)."""
    stem = Path(svg).with_suffix("")
    return [str(f) for f in outputs if Path(f).with_suffix("") == stem and Path(f).suffix[1:] in FORMATS]


def _save(fig, files, dpi):
    """Write the figure to each file in the format its suffix names; ``dpi`` sets the PNG's resolution."""
    for f in files:
        fmt = Path(f).suffix[1:]
        fig.savefig(f, format=fmt, metadata=FORMATS[fmt], **({} if fmt == "svg" else {"dpi": dpi}))
    plt.close(fig)


ROW_IN, TOP_IN, BOTTOM_IN = 0.24, 0.75, 1.2  # forest plot: row height, space above and below the rows (inches)
PUBLISHED = "#b2182b"
REASON_CHARS, REASON_LINES = 125, 2  # a not-pooled trial's reason: characters per line, lines in its row


def _reason_lines(reason):
    """The ledger's reason why a trial is not pooled (``ledger.studies.decide``), wrapped to fit its row; the
    study-rows page and the exclusion tables print it whole."""
    lines = textwrap.wrap(str(reason), REASON_CHARS) or [""]
    if len(lines) > REASON_LINES:
        lines = lines[:REASON_LINES]
        lines[-1] = lines[-1][: REASON_CHARS - 1] + "\u2026"
    return "\n".join(lines)


def forest(studies: pd.DataFrame, pooled: pd.Series, label: str, files, dpi, arms,
           lower_is_better=True, gaps: pd.DataFrame | None = None, published: dict | None = None):
    """Forest plot as RevMan draws it (per study the arm data, weight and estimate [95% CI]; squares sized by weight;
    the pooled diamond; heterogeneity and overall-effect lines; direction labels), plus the gap: every trial the
    review included or may have included without usable data (``gaps``, from ``forest_rows.gap_rows``) listed as
    "not available" with its missing cells, and the published pooled diamond (``published``, from
    ``forest_rows.published_figure``) drawn beside ours."""
    measure = pooled.measure
    entry = measures.measure(measure)
    ratio, single = entry.ratio, entry.single_group
    change = entry.family == "change"  # one group's baseline and follow-up fill the two arm columns
    gaps = gaps if gaps is not None else pd.DataFrame(columns=["study_id", "membership", "status", "reason",
                                                                "missing"])
    s = studies.reset_index(drop=True)
    ok = (s.yi.notna() & s.vi.notna()).to_numpy() if len(s) else np.zeros(0, bool)
    k = int(ok.sum())
    rows = [("study", i) for i in range(len(s))]
    if len(gaps):
        rows += [("section", None)] + [("gap", i) for i in range(len(gaps))]
    rows += [("blank", None), ("total", None)] + ([("published", None)] if published else [])
    n = len(rows)
    height = TOP_IN + n * ROW_IN + BOTTOM_IN
    fig = plt.figure(figsize=(11, height))
    ax = fig.add_axes([0.50, BOTTOM_IN / height, 0.24, n * ROW_IN / height])
    ax.set_ylim(n - 0.5, -0.5)
    at = matplotlib.transforms.blended_transform_factory(fig.transFigure, ax.transData)
    below = lambda inches: (BOTTOM_IN - inches) / height  # noqa: E731  (figure y of a line `inches` under the rows)

    xs = [0.01, 0.18, 0.34, 0.76, 0.81]  # columns: study, arm 1, arm 2, weight, estimate [95% CI]

    def cell(col, y, text, **kw):
        # the id names row and column, so a reader of the SVG (and the tests) can tell which cell is which
        fig.text(xs[col], y, text, va="center", transform=at, gid=f"forest-r{y}c{col}", **kw)

    fig.text(0.01, 1 - 0.12 / height, f"{pooled.review}: {label}", fontsize=10, weight="bold", va="top")
    heads = ["Study", "Baseline" if change else arms[0], arms[0] if change else ("" if single else arms[1]),
             "Weight", "Estimate [95% CI]"]
    for col, h in enumerate(heads):
        cell(col, -1, h, weight="bold")
    est, lo, hi = ef.study_intervals(s.get("yi", []), s.get("vi", []), measure, s.ni if "ni" in s and len(s) else None)
    w = s.weight.fillna(0).to_numpy() if len(s) else np.zeros(0)
    pe, pl, ph = pooled.estimate, pooled.ci_low, pooled.ci_high
    xvals = list(lo[ok]) + list(hi[ok]) + [v for v in (pl, ph) if not pd.isna(v)]
    if published and not pd.isna(published["ci_low"]):
        xvals += [published["ci_low"], published["ci_high"]]
    elif published and not pd.isna(published["estimate"]):
        xvals.append(published["estimate"])
    shaded = []  # the gap rows' grey bands, across the axes
    for y, (kind, i) in enumerate(rows):
        if kind == "study":
            r = s.iloc[i]
            a1, a2 = _arm_text(r, measure)
            right = [f"{w[i]:.1f}%", f"{est[i]:.2f} [{lo[i]:.2f}, {hi[i]:.2f}]"] if ok[i] else ["", "Not estimable"]
            for col, t in enumerate([r.study_id, a1, a2, *right]):
                cell(col, y, t)
        elif kind == "section":
            cell(0, y, f"Not in the pool ({len(gaps)} trials)", weight="bold", style="italic")
        elif kind == "gap":
            g = gaps.iloc[i]
            grey = {"color": "#555555", "fontsize": 7}
            cell(0, y, g.study_id + ("*" if g.membership == "candidate" else ""))
            if g.status == "not_pooled":
                for col, t in zip((1, 2), _arm_text(g, measure), strict=True):
                    cell(col, y, t, **grey)
            else:
                cell(1, y, _reason_lines(g.reason), **{**grey, "fontsize": 6, "linespacing": 1.0})
            cell(3, y, "—", **grey)
            cell(4, y, "not pooled" if g.status == "not_pooled" else "not available", style="italic", **grey)
            shaded.append([(0, y - 0.5), (1, y - 0.5), (1, y + 0.5), (0, y + 0.5)])
        elif kind == "total":
            cell(0, y, f"Total, this re-analysis: k = {k} of {len(s) + len(gaps)} trials listed "
                           f"({pooled.method}, {pooled.tau2_estimator}, {pooled.ci_method})", weight="bold")
            cell(4, y, f"{pe:.2f} [{pl:.2f}, {ph:.2f}]" if not pd.isna(pe) else "not estimable", weight="bold")
            if not pd.isna(pe):
                ax.fill([pl, pe, ph, pe], [y, y - 0.3, y, y + 0.3], color="black")
        elif kind == "published":
            p = published
            cell(0, y, f"Published pooled figure ({p['result_id']}; "
                           f"{'k = ' + p['k'] if p['k'] else 'k not printed'})", weight="bold", color=PUBLISHED)
            text = p["text"] or ("not printed" + (f" ({p['p']})" if p["p"] else ""))
            cell(4, y, text, weight="bold", color=PUBLISHED)
            if not pd.isna(p["ci_low"]):
                ax.fill([p["ci_low"], p["estimate"], p["ci_high"], p["estimate"]], [y, y - 0.3, y, y + 0.3],
                        facecolor="white", edgecolor=PUBLISHED, lw=1.2, zorder=3)
            if not pd.isna(p["estimate"]):
                ax.axvline(p["estimate"], color=PUBLISHED, lw=0.6, ls=":", zorder=1)
    if shaded:
        ax.add_collection(PolyCollection(shaded, transform=ax.get_yaxis_transform(), color="#f2f2f2", zorder=0,
                                         lw=0), autolim=False)
    if xvals:
        ax.hlines(np.flatnonzero(ok), lo[ok], hi[ok], color="black", lw=0.8)
        ax.scatter(est[ok], np.flatnonzero(ok), marker="s", s=20 + 180 * w[ok] / max(w.max(initial=0), 1e-9),
                   color="#2b5d8a", zorder=3)
        if not single:
            ax.axvline(1.0 if ratio else 0.0, color="grey", lw=0.6)
        if ratio:
            _log_ticks(ax, min(xvals + [1.0]), max(xvals + [1.0]))
        ax.set_yticks([])
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.set_xlabel(entry.axis)
        if not single:
            left, right = (f"Favours {arms[0].lower()}", f"Favours {arms[1].lower()}")
            if not lower_is_better:
                left, right = right, left
            fig.text(0.54, below(0.62), left, ha="center", fontsize=7)
            fig.text(0.70, below(0.62), right, ha="center", fontsize=7)
    else:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no estimate to draw", ha="center", va="center", transform=ax.transAxes,
                color="#555555", style="italic")
    if k > 1:
        het = (f"Heterogeneity: Tau² = {pooled.tau2:.2f}; Chi² = {pooled.q:.2f}, df = {pooled.q_df:g} "
               f"(P = {pooled.q_p:.2f}); I² = {pooled.i2:.0f}%")
    else:
        het = "Heterogeneity: " + ("not applicable (k = 1)" if k else "not estimable (no trial with usable data)")
    fig.text(0.01, below(0.78), het, fontsize=7)
    effect = f"Z = {abs(pooled.stat):.2f} (P = {pooled.p:.2g})" if k else "not estimable"
    fig.text(0.01, below(0.93), f"Test for overall effect: {effect}", fontsize=7)
    if len(gaps):
        fig.text(0.01, below(1.08), "* candidate: the review may have included this trial (inclusion not confirmed).",
                 fontsize=7, color="#555555")
    _save(fig, files, dpi)


def _when(timepoint):
    """A short time-point tag for labels ("" when the review did not state one)."""
    t = "" if pd.isna(timepoint) else str(timepoint)
    return "" if not t or t.startswith("not stated") else f", {t[:28]}"


def umbrella_forest(table: pd.DataFrame, files, dpi):
    """The reviews' own pooled figures side by side, one panel per measure (MD, ratios, event rates)."""
    panels = [("MD", "Mean difference", False), ("ratio", "Risk ratio or odds ratio", True),
              ("proportion", "Event rate (%)", False)]
    t = table.assign(panel=np.where(table.measure.map(ef.is_ratio), "ratio", table.measure))
    used = [p for p in panels if (t.panel == p[0]).any()]
    if not used:  # reviews new to the project: no published figure given yet
        fig = plt.figure(figsize=(9, 1.5))
        _placeholder(fig, "No published pooled figure of the selected reviews yet (a worksheet's published sheet "
                          "gives them).")
        _save(fig, files, dpi)
        return
    heights = [max(1, (t.panel == p[0]).sum()) for p in used]
    fig, axes = plt.subplots(len(used), 1, figsize=(9, 1.2 + 0.35 * sum(heights)),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, (key, xlabel, log) in zip(axes[:, 0], used, strict=True):
        d = t[t.panel == key].reset_index(drop=True)
        y = np.arange(len(d), 0, -1)
        ax.hlines(y, d.ci_low, d.ci_high, color="black", lw=0.8)
        ax.scatter(d.estimate, y, marker="D", color="#2b5d8a", zorder=3)
        ax.set_yticks(y)
        # a review that prints no count of its trials (the BCG review read from the ledger) says so
        ax.set_yticklabels([f"{r.review}: {r.outcome}{_when(r.timepoint)} ("
                            + ("review k not printed" if pd.isna(r.k_review) else f"review k = {r.k_review:g}") + ")"
                            for r in d.itertuples()])
        ax.set_ylim(0.4, len(d) + 0.6)
        if key != "proportion":
            ax.axvline(1.0 if log else 0.0, color="grey", lw=0.6)
        if log:
            _log_ticks(ax, d.ci_low.min(), d.ci_high.max())
        ax.set_xlabel(xlabel)
    fig.suptitle("Published pooled figures of the reviews (as printed; see results/umbrella/umbrella.csv)")
    fig.tight_layout()
    _save(fig, files, dpi)


def overlap_heatmap(mat: pd.DataFrame, cca: float, title: str, files, dpi):
    """Trial × review overlap: shared trials per pair of reviews, with the corrected covered area."""
    import seaborn as sns

    fig, ax = plt.subplots(figsize=(5, 4))
    sns.heatmap(mat, annot=True, fmt="d", cmap="Blues", cbar=False, ax=ax)
    ax.set_title(f"{title}\nCCA = {cca:.3f}" if not np.isnan(cca) else title)
    fig.tight_layout()
    _save(fig, files, dpi)


def _placeholder(fig, text):
    fig.text(0.5, 0.5, text, ha="center", va="center", fontsize=9, wrap=True)


def funnel(studies: pd.DataFrame, pooled: pd.Series, small_study: dict | None, label: str, files, dpi):
    """Contour-enhanced funnel plot (Peters et al. 2008): estimates against their SE with the 90/95/99%
    significance contours around 0 (log scale for ratios), the pooled estimate, and Egger's line when k ≥ 10."""
    s = studies.dropna(subset=["yi", "vi"]) if len(studies) else studies
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    if len(s) < 2:
        ax.set_axis_off()
        _placeholder(fig, f"{label}\nFunnel plot needs at least 2 studies (k = {len(s)}).")
        _save(fig, files, dpi)
        return
    se = np.sqrt(s.vi.to_numpy())
    top = se.max() * 1.1
    grid = np.linspace(0, top, 50)
    for z, shade in ((2.576, "#f0f0f0"), (1.96, "#d9d9d9"), (1.645, "#bdbdbd")):
        ax.fill_betweenx(grid, -z * grid, z * grid, color=shade, zorder=0)
    ax.scatter(s.yi, se, color="#2b5d8a", zorder=3)
    centre = pooled.estimate if not ef.is_ratio(pooled.measure) else np.log(pooled.estimate)
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
    ax.set_xlabel("log " + pooled.measure if ef.is_ratio(pooled.measure) else f"{pooled.measure} (analysis scale)")
    ax.set_title(f"{label}\nshaded: p > 0.10, 0.05, 0.01 contours", fontsize=8)
    _margins(fig, PAD_IN + LABEL_IN + _width_in(_tick_labels(ax.yaxis)) + TICK_IN, BOTTOM_LABELLED_IN, TOP_TITLE2_IN)
    _save(fig, files, dpi)


def influence_plot(loo: pd.DataFrame, cumul: pd.DataFrame, pooled: pd.Series, label: str, files, dpi):
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
        if ef.is_ratio(pooled.measure):
            _log_ticks(ax, df.ci_low.min(), df.ci_high.max())
        ax.set_title(title, fontsize=8)
    fig.suptitle(label, fontsize=9)
    left, right = (_width_in(_tick_labels(ax.yaxis)) + TICK_IN if ax.axison else 0 for ax in axes)
    _margins(fig, PAD_IN + left, BOTTOM_IN_TICKS, TOP_SUPTITLE_IN, gap=PAD_IN + right)
    _save(fig, files, dpi)


def flow(counts: dict, review: str, files, dpi):
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
    _save(fig, files, dpi)


def subgroup_forest(sub: pd.DataFrame, pooled: pd.Series, label: str, files, dpi):
    """Subgroup blocks as RevMan draws them: each subgroup's pooled estimate and CI (separate τ²), the overall
    pool, and the test for subgroup differences (Chi², df, P, I²)."""
    sub = sub.dropna(subset=["estimate"]) if "estimate" in sub else sub.iloc[0:0]
    fig, ax = plt.subplots(figsize=(8, 1.8 + 0.45 * max(len(sub), 1)))
    if sub.empty:
        ax.set_axis_off()
        _placeholder(fig, f"{label}\nNo subgroup analysis with at least two subgroups of data for this outcome.")
        _save(fig, files, dpi)
        return
    ratio = ef.is_ratio(pooled.measure)
    tf = np.exp if ratio else (lambda x: x)
    y = np.arange(len(sub), 0, -1, dtype=float)
    est, lo, hi = tf(sub.estimate.to_numpy()), tf(sub.ci_low.to_numpy()), tf(sub.ci_high.to_numpy())
    # the subgroups' diamonds as one collection (one artist, not one per subgroup)
    ax.add_collection(PolyCollection([[(a, yy), (e, yy + 0.2), (b, yy), (e, yy - 0.2)]
                                      for yy, e, a, b in zip(y, est, lo, hi, strict=True)], color="#2b5d8a"))
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
    _margins(fig, PAD_IN + _width_in(_tick_labels(ax.yaxis)) + TICK_IN, BOTTOM_IN_TICKS, TOP_TITLE2_IN)
    _save(fig, files, dpi)
