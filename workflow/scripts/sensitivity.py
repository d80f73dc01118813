"""Sensitivity stage: every configured re-analysis of one analysis, each in the primary's shape."""

from pathlib import Path

import pandas as pd

from ketamine_ma.engine import sensitivity as sens
from ketamine_ma.stages import analysis, io, steps

MULTI = {"leave_one_out": (analysis.leave_one_out, "omitted"), "cumulative": (analysis.cumulative, "added")}


def main(smk):
    p = smk.params
    config = {"zero_rule": p.settings["zero_rule"], "prediction_interval": p.settings["prediction_interval"],
              "prepost_correlation": p.settings["prepost_correlation"]}
    tables = {v: pd.read_csv(smk.input[v]) for v in smk.input.keys() if v != "code"}
    base = f"results/{p.review}/{p.outcome}"
    timepoint = p.spec.get("timepoint", {}).get("label", "any")
    primary = steps.settings_for(p.spec, p.overrides, config)
    log = []
    for name in p.analyses:
        if name in MULTI:
            fn, col = MULTI[name]
            studies, _ = steps.analyse(tables["main"], p.review, p.outcome, name, p.spec, primary)
            rows = [{**r, "review": p.review, "outcome": p.outcome, "analysis": name, "timepoint": timepoint}
                    for r in fn(tables["main"], primary)]
            pooled = pd.DataFrame(rows).reindex(columns=analysis.POOLED_COLUMNS + [col])
        else:
            table = tables[name] if name in tables else tables["main"]
            if name in analysis.DESIGN_FILTERS:
                column, keep = analysis.DESIGN_FILTERS[name]
                table = table[keep(table[column])]
            settings = steps.settings_for(p.spec, p.overrides, config, name)
            studies, pooled = steps.analyse(table, p.review, p.outcome, name, p.spec, settings)
        io.write_csv(studies, f"{base}/{name}/studies.csv")
        io.write_csv(pooled, f"{base}/{name}/pooled.csv")
        log.append(f"{name}: {len(pooled)} pooled row(s)")
    main_studies, _ = steps.analyse(tables["main"], p.review, p.outcome, "primary", p.spec, primary)
    d = main_studies.dropna(subset=["yi", "vi"])
    est = "FE" if primary["model"] == "fixed" else primary["tau2_estimator"]
    if p.small_study:
        io.write_csv(pd.DataFrame([sens.small_study(d.yi, d.vi, est)]).assign(review=p.review, outcome=p.outcome),
                     smk.output.small_study[0])
    if p.influence:
        rows = sens.influence(d.yi, d.vi, est) if len(d) >= 3 else []
        io.write_csv(pd.DataFrame(rows, columns=sens.INFLUENCE_COLUMNS).assign(trial_id=list(d.trial_id)[:len(rows)]),
                     smk.output.influence[0])
    Path(smk.log[0]).write_text("\n".join(log) + "\n")


io.run(main, snakemake)  # noqa: F821
