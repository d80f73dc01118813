"""The clean stage: from ledger rows to one study table per analysis.

For each trial a review includes (under the membership policy), pick the ledger rows of the analysis' outcome at
the time point its rule selects, harmonise scales, derive what pooling needs (SDs from SEs, CIs or unlabelled
"±" values read as config says), and either emit a study row or log why the trial could not be used together
with the exact cells still missing. Every derivation is logged per study (PyMetaAnalysis-style provenance).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from ..engine import conversions as cv
from ..engine.effects import BINARY_MEASURES as BINARY
from ..engine.effects import CONTINUOUS_MEASURES as CONTINUOUS
from ..engine.effects import PROPORTION_MEASURES as PROPORTION
from ..engine.effects import family
from ..engine.measures import measure as registry
from . import own_estimate
from .cells import COUNT, PAIN_SCALES, Assembly, required_cells
from .vocabulary import (
    CONTROL,
    DAY_COUNT,
    EXPERIMENTAL,
    FLOW_OUTCOMES,
    TRIAL_ATTRIBUTES,
    counted_statuses,
    window_words,
)

SPREADS = ("mean", "sd", "se", "pm", "ci_low", "ci_high")


def members(membership, review, policy):
    """The membership rows of ``review`` that count as its trials under the membership ``policy``."""
    m = membership[membership["review"] == review]
    return m[m["status"].isin(counted_statuses(policy))]


def one_reading(extraction, side):
    """The extraction rows of one reading of the contribution/ledger conflicts (``ledger`` or ``contribution``,
    config ``conflict_rule``): rows in no conflict (``reading`` empty) and that side's rows."""
    if "reading" not in extraction:
        return extraction
    r = extraction["reading"]
    return extraction[r.isna() | (r == "") | (r == side)]


def _n_fallback(rows_all, arm):
    """Arm size from the trial's participant-flow rows (``FLOW_OUTCOMES``, `analysed` first) when the outcome rows
    lack n."""
    for outcome in FLOW_OUTCOMES:
        r = rows_all[(rows_all["outcome"] == outcome) & (rows_all["arm"] == arm) & (rows_all["statistic"] == "n")]
        if len(r):
            return r.iloc[0]
    return None


def _put(a, measure, arm, scale, name, value, row, how=None):
    """Record one resolved cell, rescaling VAS 0-100 pain values to 0-10, and log how it was obtained."""
    v = float(value)
    if family(measure) in ("continuous", "change") and name in ("mean", "sd") and scale == "vas_0_100":
        v = cv.to_nrs(v, scale)
        how = (how + "; " if how else "") + "rescaled VAS 0-100 to 0-10 (/10)"
    a.cells[(arm, name)] = v
    a.rows.append(row["extract_id"])
    if how:
        a.log.append(f"{arm} {name} = {v:.6g}: {how} [{row['extract_id']}]")


def assemble(rows, rows_all, measure, pm_reading, multi_arm="combine"):
    """Resolve the cells of one trial at one time point; returns an ``Assembly``."""
    a = Assembly()
    arms = ("baseline", EXPERIMENTAL) if family(measure) == "change" else (EXPERIMENTAL, CONTROL)
    if measure in PROPORTION:
        arms = (EXPERIMENTAL,)
    arms += tuple(f"{b}_2" for b in arms if (rows["arm"] == f"{b}_2").any())
    for arm in arms:
        r = rows[rows["arm"] == arm]
        stat = {s: g.iloc[0] for s, g in r.groupby("statistic")}
        scale = next((x["scale"] for s, x in stat.items() if x["scale"] in PAIN_SCALES
                      or (x["scale"] == COUNT and s in SPREADS)), None)
        put = partial(_put, a, measure, arm, scale)

        if "n" in stat:
            put("n", stat["n"]["value"], stat["n"])
        elif family(measure) != "change" or arm == EXPERIMENTAL:
            nb = _n_fallback(rows_all, arm if arm != "baseline" else EXPERIMENTAL)
            if nb is not None:
                put("n", nb["value"], nb, f"n from the trial's {nb['outcome']} count")
        if measure in BINARY + PROPORTION:
            if "events" in stat:
                put("events", stat["events"]["value"], stat["events"])
            continue
        if "mean" in stat:
            put("mean", stat["mean"]["value"], stat["mean"])
        n = a.cells.get((arm, "n"), a.cells.get((EXPERIMENTAL, "n")) if arm == "baseline" else None)
        if "sd" in stat:
            put("sd", stat["sd"]["value"], stat["sd"])
        elif "se" in stat and n:
            put("sd", cv.sd_from_se(stat["se"]["value"], n), stat["se"], f"SD = SE x sqrt(n), n = {n:g}")
        elif "pm" in stat and n:
            row = stat["pm"]
            if pm_reading == "sd":
                put("sd", row["value"], row, "unlabelled '±' read as SD (config pm_reading: sd)")
            else:
                put("sd", cv.sd_from_se(row["value"], n), row,
                    f"unlabelled '±' read as SE (config pm_reading: se), SD = SE x sqrt({n:g})")
        elif "ci_low" in stat and "ci_high" in stat and n:
            put("sd", cv.sd_from_ci(stat["ci_low"]["value"], stat["ci_high"]["value"], n), stat["ci_low"],
                f"SD from 95% CI of the mean with t(n-1), n = {n:g}")
            a.rows.append(stat["ci_high"]["extract_id"])
        if scale is None and any(s in stat for s in ("mean", "sd")):
            a.cells.pop((arm, "mean"), None)
            on = next(x["scale"] for s, x in stat.items() if s in SPREADS)
            a.log.append(f"{arm}: scale {on!r} is not a 0-10 or 0-100 pain scale or a count; not pooled")
            a.unusable[(arm, "mean")] = f"on scale '{on}', not a 0-10 or 0-100 pain scale or a count"
    _merge_second_arms(a, measure, multi_arm)
    return a


def _merge_second_arms(a, measure, multi_arm):
    """Multi-arm trials (Cochrane Handbook v6.4 §23.3.4): combine a second experimental/control arm with the first
    into one group (events and n summed; means and SDs by Table 6.5.a), or keep only the first arm."""
    for base in (EXPERIMENTAL, CONTROL):
        second = {k[1]: v for k, v in a.cells.items() if k[0] == f"{base}_2"}
        if not second:
            continue
        for k in [k for k in a.cells if k[0] == f"{base}_2"]:
            del a.cells[k]
        first = {s: a.cells.get((base, s)) for s in ("n", "events", "mean", "sd")}
        if multi_arm == "first":
            a.log.append(f"second {base} arm not used (config multi_arm: first)")
            continue
        if measure in BINARY + PROPORTION and first["n"] and "n" in second and first["events"] is not None \
                and "events" in second:
            a.cells[(base, "events")] = first["events"] + second["events"]
            a.cells[(base, "n")] = first["n"] + second["n"]
            a.log.append(f"{base} arms combined (Handbook s23.3.4): events and n summed")
        elif all(first[s] is not None for s in ("n", "mean", "sd")) and all(s in second for s in ("n", "mean", "sd")):
            n, m, sd = cv.combine_arms(first["n"], first["mean"], first["sd"], second["n"], second["mean"],
                                       second["sd"])
            a.cells.update({(base, "n"): n, (base, "mean"): m, (base, "sd"): sd})
            a.log.append(f"{base} arms combined (Handbook Table 6.5.a): n = {n:g}, mean = {m:.4g}, SD = {sd:.4g}")
        else:
            a.log.append(f"second {base} arm incomplete; first arm used alone")


def _time_groups(rows, tp):
    """Candidate time points ``(label, days, rows)`` of a trial's rows inside the window of ``tp`` (all of them
    when the analysis has no time-point rule). Rows are at one time point when label and day count agree."""
    if tp is not None:
        d = rows["time_days"]
        rows = rows[(d >= tp["min_days"]) & (d <= tp["max_days"])]
    return [(label, days, g) for (label, days), g in rows.groupby(["timepoint", "time_days"], dropna=False,
                                                                    sort=False)]


STAT_WORDS = {"sd": "SD", "se": "SE", "pm": "\u00b1", "ci_low": "95% CI", "ci_high": "95% CI", "p_value": "p value",
              "t_value": "t value", "q1": "quartiles", "q3": "quartiles", "min": "range", "max": "range"}
# A statistic that stands in for a missing one when it sits at another time point (SD from SE, CI or "±").
STANDS_IN = {"sd": ("sd", "se", "pm", "ci_low", "ci_high")}
POOLABLE = ("mean", "sd", "se", "pm", "ci_low", "ci_high", "n", "events")
ALL_ARMS = "all arms"


def at_words(label, days):
    """Where a number sits in time, as the ledger states it: 'end of week 1', day 14, or 'week 2' (day 14)."""
    has_label = isinstance(label, str) and label.strip() != ""
    has_days = days is not None and not pd.isna(days)
    if has_label and has_days:
        return f"'{label}' (day {float(days):g})"
    if has_label:
        return f"'{label}'"
    return f"day {float(days):g}" if has_days else "an unstated time point"


def _stats_words(stats):
    words = list(dict.fromkeys(STAT_WORDS.get(s, s) for s in stats))
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def cells_words(cells, measure):
    """Cells ``(arm, statistic)`` in plain words: "SD" when every arm's SD is meant, else "control SD"."""
    need = {}
    for arm, stat in required_cells(measure):
        need.setdefault(stat, set()).add(arm)
    by_stat = {}
    for arm, stat in cells:
        by_stat.setdefault(stat, set()).add(arm)
    words = []
    for stat, arms in sorted(by_stat.items(), key=lambda kv: list(need).index(kv[0]) if kv[0] in need else 99):
        name = STAT_WORDS.get(stat, stat)
        words += [name] if arms >= need.get(stat, set()) else [f"{arm} {name}" for arm in sorted(arms)]
    return _stats_words(words)


def pm_words(pm_reading):
    """Why a trial whose spread is an unlabelled "±" rests on a reading (the worksheet asks what the paper means)."""
    other = "SE" if pm_reading == "sd" else "SD"
    return (f"\u00b1 not labelled SD or SE (primary reads it as {pm_reading.upper()}; pm_alt reads it as "
            f"{other})")


NOT_CONFIRMED = "usable data, but inclusion in the review is not confirmed"


def _undated_words(stats, label, tp):
    words = {STAT_WORDS.get(s, s) for s in stats}
    many = len(words) > 1 or words == {"events"}
    return (f"{_stats_words(stats)} at {at_words(label, None)} {'have' if many else 'has'} no day count "
            f"(time_days), so the time-point rule ({window_words(tp)}) cannot place {'them' if many else 'it'}")


def decide(rows, rows_all, base, measure, tp, outcomes, pm_reading="sd", multi_arm="combine", mh=False):
    """Whether one trial is usable for one analysis, and if not, why, in plain words.

    The one place that decides: the clean stage's study tables and exclusion log, the forest plot's rows, the
    study-rows page, ``reproduction.csv`` and the worksheet's ``why`` all print the reason given here. ``rows``:
    the trial's rows of the analysis' outcomes (without baseline rows, ``base``, for a mean change); ``rows_all``:
    all its rows (arm sizes from the participant flow). Returns ``(best, reason, missing)``: the selected
    candidate ``(label, days, Assembly)`` or None, the reason (None when usable), and the cells still missing as
    ``(timepoint, arm, statistic)``; a time point the ledger states without a day count misses the cell
    ``(label, "all arms", "time_days")``.

    A trial with usable arm data pools them; one without pools its own estimate of the analysis' measure where the
    ledger gives it (``own_estimate.estimate``: arm ``difference`` rows naming the measure, with a CI or SE),
    except under Mantel-Haenszel (``mh``), which pools 2x2 tables only; the reason then says why its estimate is
    not pooled.
    """
    best, why, missing = _from_arms(rows, rows_all, base, measure, tp, outcomes, pm_reading, multi_arm)
    if best is not None:
        return best, why, missing
    groups = _time_groups(rows, tp) if len(rows) else []
    if not mh:
        own = [(label, days, a) for label, days, g in groups
               if (a := own_estimate.estimate(g, measure)) is not None and ("difference", "yi") in a.cells]
        if own:
            return _select(own, tp, measure), None, []
    if family(measure) not in ("continuous", "binary"):  # a single group's analysis: no between-arm estimate
        return None, why, missing
    words = own_estimate.why_not(pd.concat([g for *_, g in groups]) if groups else rows, measure, mh)
    return None, why if words is None else f"{why}; {words}", missing


def _from_arms(rows, rows_all, base, measure, tp, outcomes, pm_reading, multi_arm):
    """``decide`` from the trial's arm data alone."""
    need = required_cells(measure)
    if rows.empty:
        return None, f"no {'/'.join(outcomes)} numbers for this trial in the ledger", [
            (tp["label"] if tp else "any", arm, stat) for arm, stat in need]
    cands = []
    for label, days, g in _time_groups(rows, tp):
        g2 = pd.concat([g, base]) if family(measure) == "change" else g
        cands.append((label, days, assemble(g2, rows_all, measure, pm_reading, multi_arm)))
    usable = [c for c in cands if not c[2].missing(measure)]
    if usable:
        return _select(usable, tp, measure), None, []
    groups = list(rows.groupby(["timepoint", "time_days"], dropna=False, sort=False))
    if not cands:
        # time points that hold only a p value or a range do not count: no analysis pools them
        groups = [(k, g[g.statistic.isin(POOLABLE)]) for k, g in groups if g.statistic.isin(POOLABLE).any()]
        if not groups:
            return None, (f"only {_stats_words(list(dict.fromkeys(rows.statistic)))} in the ledger, which the "
                          "pooled analyses do not use"), [(tp["label"], arm, stat) for arm, stat in need]
        undated = [(label, g) for (label, days), g in groups if pd.isna(days)]
        outside = [at_words(label, days) for (label, days), _ in groups if not pd.isna(days)]
        parts = [_undated_words(list(dict.fromkeys(g["statistic"])), label, tp) for label, g in undated]
        if outside:
            parts.append(f"reported {'' if undated else 'only '}at {', '.join(outside)}, outside the window "
                         f"({window_words(tp)})")
        if undated:  # the closest undated time point: its missing statistics and its day count
            label, g = max(undated, key=lambda lg: len(set(zip(lg[1].arm, lg[1].statistic, strict=True))))
            g2 = pd.concat([g, base]) if family(measure) == "change" else g
            a = assemble(g2, rows_all, measure, pm_reading, multi_arm)
            missing = [(label, arm, stat) for arm, stat in a.missing(measure)] + [(label, ALL_ARMS, DAY_COUNT)]
        else:
            missing = [(tp["label"], arm, stat) for arm, stat in need]
        return None, "; ".join(parts), missing
    label, days, a = min(cands, key=lambda c: len(c[2].missing(measure)))
    lacking = a.missing(measure)
    here = at_words(label, days)
    parts, unplaced, elsewhere = [], [], {}
    for arm, stat in lacking:
        if (arm, stat) in a.unusable:
            parts.append(f"{arm} {STAT_WORDS.get(stat, stat)} at {here} is {a.unusable[(arm, stat)]}")
            continue
        same = ((rows.timepoint.fillna("") == ("" if pd.isna(label) else label))
                & (rows.time_days.fillna(-1.0) == (-1.0 if pd.isna(days) else days)))
        found = rows[(rows.arm == arm) & rows.statistic.isin(STANDS_IN.get(stat, (stat,))) & ~same]
        if len(found):
            f = found.iloc[0]
            key = (None if pd.isna(f.timepoint) else f.timepoint, None if pd.isna(f.time_days) else f.time_days)
            elsewhere.setdefault(key, []).append((arm, stat))  # NaN is no dictionary key
        else:
            unplaced.append((arm, stat))
    given = [c for c in a.cells if c in set(need)]
    for (label2, days2), cells in elsewhere.items():
        parts.append(f"{cells_words(given, measure)} given at {here}, {cells_words(cells, measure)} at "
                     f"{at_words(label2, days2)}: time points differ")
        if tp is not None and days2 is None:
            parts.append(_undated_words([s for _, s in cells], label2, tp))
    if unplaced:
        parts.append(f"missing {cells_words(unplaced, measure)} at {here}")
    return None, "; ".join(parts), [(label, arm, stat) for arm, stat in lacking]


def build(tables, review, key, spec, policy="confirmed", pm_reading="sd", multi_arm="combine"):
    """Study table, exclusions and missing cells for analysis ``key`` of ``review``.

    Returns ``(studies, exclusions, missing)`` DataFrames. ``studies`` has one row per usable trial with the
    arm data, the ledger rows used (``extract_ids``) and the conversions applied (``conversions``); a trial pooled
    from its own estimate (``decide``) has empty arm columns and its ``yi`` and ``vi`` (``OWN_ESTIMATE``).
    """
    measure = spec["measure"]
    mh = spec["method"] == "MH" and registry(measure).mh
    tp = spec.get("timepoint")
    trials = tables["trials"].set_index("trial_id")
    x = tables["extraction"]
    # the review's own groupings its analysis splits by: columns of its membership rows (worksheet-given)
    groups = [g for g in spec.get("subgroups", []) if g in tables["membership"].columns]
    studies, excl, missing = [], [], []
    for _, mem in members(tables["membership"], review, policy).iterrows():
        tid = mem["trial_id"]
        rows_all = x[x["trial_id"] == tid]
        rows = rows_all[rows_all["outcome"].isin(spec["outcomes"])]
        if family(measure) == "change":
            base = rows[rows["arm"] == "baseline"]
            rows = rows[rows["arm"] != "baseline"]
        best, why, cells = decide(rows, rows_all, base if family(measure) == "change" else None, measure, tp,
                                  spec["outcomes"], pm_reading, multi_arm, mh)
        if best is None:
            excl.append({"review": review, "analysis": key, "trial_id": tid, "membership": mem["status"],
                         "reason": why})
            missing += [{"review": review, "analysis": key, "trial_id": tid, "timepoint": t, "arm": arm,
                         "statistic": stat} for t, arm, stat in cells]
            continue
        label, days, a = best
        t = trials.loc[tid]
        row = {"study_id": study_id(t), "trial_id": tid, "membership": mem["status"],
               "design": t["design"], "randomised": t["randomised"], **{c: t[c] for c in TRIAL_ATTRIBUTES},
               **{g: mem[g] for g in groups}, "year": int(t["year"]), "timepoint": label, "time_days": days}
        own = ("difference", "yi") in a.cells  # its own estimate, no arm data
        row.update(dict.fromkeys(ARM_COLUMNS[family(measure)]) if own else _arm_columns(a.cells, measure))
        row.update({"yi": a.cells[("difference", "yi")], "vi": a.cells[("difference", "vi")]} if own else {})
        if t["design"] == "crossover" and measure in CONTINUOUS + BINARY:
            a.log.append("crossover trial analysed as if parallel (Cochrane Handbook s23.2.7: conservative)")
        row["extract_ids"] = ";".join(sorted(set(a.rows)))
        row["conversions"] = " | ".join(a.log)
        studies.append(row)
    cols = ["study_id", "trial_id", "membership", "design", "randomised", *TRIAL_ATTRIBUTES, *groups, "year",
            "timepoint", "time_days", *ARM_COLUMNS[family(measure)], "extract_ids", "conversions", *OWN_ESTIMATE]
    return (pd.DataFrame(studies, columns=cols),
            pd.DataFrame(excl, columns=["review", "analysis", "trial_id", "membership", "reason"]),
            pd.DataFrame(missing, columns=["review", "analysis", "trial_id", "timepoint", "arm", "statistic"]))


def study_id(trial):
    """A trial's study id as every output prints it (study tables, report, worksheets): first author and year (a
    row of the trials table, its year a number or the text the ledger holds)."""
    return f"{trial['first_author']} {int(float(trial['year']))}"


def member_rows(tables, review, key, spec, policy, pm_reading="sd", multi_arm="combine"):
    """What one analysis makes of every confirmed or candidate member of ``review`` under one reading, for the
    outputs that list the members not pooled (forest plots, worksheets).

    Returns ``(studies, exclusions, missing)`` as ``build`` does with every member counted, each with a column
    ``counted``: whether the membership ``policy`` counts the member as one of the review's trials. The
    exclusions carry each trial's ``study_id``.
    """
    usable, excl, miss = build(tables, review, key, spec, "confirmed+candidate", pm_reading, multi_arm)
    statuses = counted_statuses(policy)
    trials = tables["trials"].set_index("trial_id")
    excl["study_id"] = [study_id(trials.loc[t]) for t in excl.trial_id]
    miss["membership"] = miss.trial_id.map(dict(zip(excl.trial_id, excl.membership, strict=True)))
    usable, excl, miss = (df.assign(counted=df.membership.isin(statuses)) for df in (usable, excl, miss))
    return usable, excl[MEMBER_EXCLUSION_COLUMNS], miss[MEMBER_MISSING_COLUMNS]


MEMBER_EXCLUSION_COLUMNS = ["review", "analysis", "trial_id", "study_id", "membership", "counted", "reason"]
MEMBER_MISSING_COLUMNS = ["review", "analysis", "trial_id", "membership", "counted", "timepoint", "arm", "statistic"]


# A trial's own estimate on the pooling scale (the log of a ratio) and its variance, for a trial without arm data:
# the analyse stage pools them as given (stages.analysis.effect_sizes).
OWN_ESTIMATE = ["yi", "vi"]
ARM_COLUMNS = {
    "continuous": ["m1", "sd1", "n1", "m2", "sd2", "n2"],
    "binary": ["ai", "n1", "ci", "n2"],
    "proportion": ["xi", "ni"],
    "change": ["m_pre", "sd_pre", "m_post", "sd_post", "ni"],
}


def _arm_columns(c, measure):
    fam = family(measure)
    if fam == "continuous":
        vals = [c[(EXPERIMENTAL, "mean")], c[(EXPERIMENTAL, "sd")], c[(EXPERIMENTAL, "n")],
                c[(CONTROL, "mean")], c[(CONTROL, "sd")], c[(CONTROL, "n")]]
    elif fam == "binary":
        vals = [c[(EXPERIMENTAL, "events")], c[(EXPERIMENTAL, "n")], c[(CONTROL, "events")], c[(CONTROL, "n")]]
    elif fam == "proportion":
        vals = [c[(EXPERIMENTAL, "events")], c[(EXPERIMENTAL, "n")]]
    else:
        vals = [c[("baseline", "mean")], c[("baseline", "sd")], c[(EXPERIMENTAL, "mean")], c[(EXPERIMENTAL, "sd")],
                c[(EXPERIMENTAL, "n")]]
    return dict(zip(ARM_COLUMNS[fam], vals, strict=True))


def _select(usable, tp, measure):
    """Apply the spec's time-point rule to the usable candidates of one trial."""
    if tp is None:
        return usable[0]
    rule = tp["select"]
    if rule == "lowest_mean" and measure in CONTINUOUS and all((EXPERIMENTAL, "mean") in c[2].cells for c in usable):
        return min(usable, key=lambda c: c[2].cells[(EXPERIMENTAL, "mean")])
    if rule == "nearest" and "target_days" in tp:
        return min(usable, key=lambda c: abs(c[1] - tp["target_days"]))
    return min(usable, key=lambda c: c[1] if not np.isnan(c[1]) else np.inf)
