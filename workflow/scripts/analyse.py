"""Analyse stage for one review: per analysis, the primary pool with its subgroups and every configured sensitivity
analysis in the primary's shape, plus the small-study tests and influence diagnostics. One job per review: each
fit takes milliseconds, starting Python and importing the engine takes seconds."""

from pathlib import Path

import pandas as pd

from ketamine_ma.engine import sensitivity as sens
from ketamine_ma.stages import analysis, io


def primary(table, review, outcome, spec, settings, out):
    studies, pooled = analysis.analyse(table, review, outcome, "primary", spec, settings)
    io.write_csv(studies, out["studies"])
    io.write_csv(pooled, out["pooled"])
    rows = []
    common = spec.get("subgroup_test", {}).get("tau2_estimator")
    for by in spec.get("subgroups", []):
        per, test = analysis.subgroups(studies, settings, by, spec.get("dose_cut_mg_kg"), common)
        if per is not None:
            rows.append(per.assign(by=by, q_between=test["q_between"], q_between_df=test["df"],
                                   q_between_p=test["p"], q_between_i2=test["i2"], q_fixed=test["q_fixed"],
                                   q_fixed_df=test["q_fixed_df"], q_fixed_p=test["q_fixed_p"], qm=test["qm"],
                                   qm_df=test["qm_df"], qm_p=test["qm_p"], qm_tau2=test["qm_tau2"],
                                   qm_note=test["qm_note"]))
        else:
            rows.append(pd.DataFrame([{"by": by, "note": test["note"]}]))
    io.write_csv(pd.concat(rows) if rows else pd.DataFrame(columns=["by", "note"]), out["subgroups"])
    return studies


def sensitivity(tables, review, outcome, spec, out, p):
    log = []
    for name, files in out.items():
        studies, pooled = analysis.sensitivity(name, tables, review, outcome, spec, p.overrides, p.settings,
                                               p.conventions)
        io.write_csv(studies, files["studies"])
        io.write_csv(pooled, files["pooled"])
        log.append(f"{outcome}/{name}: {len(pooled)} pooled row(s)")
    return log


def small_study_and_influence(studies, review, outcome, settings, out):
    """Each when the rule declares its file (config runs it)."""
    d = studies.dropna(subset=["yi", "vi"])
    model = (settings["model"], settings["tau2_estimator"])
    if "small_study" in out:
        tables, without = analysis.two_by_two_tables(d)
        row = {**sens.small_study(d.yi, d.vi, *model, tables=tables), **without}
        io.write_csv(pd.DataFrame([row]).assign(review=review, outcome=outcome), out["small_study"])
    if "influence" in out:
        rows = sens.influence(d.yi, d.vi, *model) if len(d) >= 3 else []
        io.write_csv(pd.DataFrame(rows, columns=sens.INFLUENCE_COLUMNS).assign(trial_id=list(d.trial_id)[:len(rows)]),
                     out["influence"])


def main(smk):
    p, review = smk.params, smk.params.review
    log = []
    for outcome, a in p.analyses.items():
        spec, out = a["spec"], a["results"]
        tables = {v: pd.read_csv(path) for v, path in a["tables"].items()}
        settings = analysis.settings_for(spec, p.overrides, p.settings, conventions=p.conventions)
        studies = primary(tables["main"], review, outcome, spec, settings, out["primary"])
        log += sensitivity(tables, review, outcome, spec, out["sensitivity"], p)
        small_study_and_influence(studies, review, outcome, settings, out)
    Path(smk.log[0]).write_text("\n".join(log) + "\n")


io.run(main, snakemake)  # noqa: F821
