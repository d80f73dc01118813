"""Sensitivity stage: every configured re-analysis of one analysis, each in the primary's shape."""

from pathlib import Path

import pandas as pd

from ketamine_ma import analysis, io, stages


def main(smk):
    p = smk.params
    config = {"zero_rule": p.settings["zero_rule"], "prediction_interval": p.settings["prediction_interval"],
              "prepost_correlation": p.settings["prepost_correlation"]}
    tables = {v: pd.read_csv(smk.input[v]) for v in smk.input.keys()}
    base = f"results/{p.review}/{p.outcome}"
    log = []
    for name in p.analyses:
        variant = name if name in tables else "main"
        settings = stages.settings_for(p.spec, p.overrides, config, name)
        studies, pooled = stages.analyse(tables[variant], p.review, p.outcome, name, p.spec, settings)
        io.write_csv(studies, f"{base}/{name}/studies.csv")
        io.write_csv(pooled, f"{base}/{name}/pooled.csv")
        log.append(f"{name}: k={pooled.k.iloc[0]}")
    if p.leave_one_out:
        settings = stages.settings_for(p.spec, p.overrides, config)
        studies, _ = stages.analyse(tables["main"], p.review, p.outcome, "primary", p.spec, settings)
        rows = analysis.leave_one_out(tables["main"], settings) if len(tables["main"]) >= 3 else []
        for r in rows:
            r.update({"review": p.review, "outcome": p.outcome, "analysis": "leave_one_out",
                      "timepoint": p.spec.get("timepoint", {}).get("label", "any")})
        cols = analysis.POOLED_COLUMNS + ["omitted"]
        io.write_csv(studies, f"{base}/leave_one_out/studies.csv")
        io.write_csv(pd.DataFrame(rows).reindex(columns=cols), f"{base}/leave_one_out/pooled.csv")
        log.append(f"leave_one_out: {len(rows)} pools (needs k >= 3)")
    Path(smk.log[0]).write_text("\n".join(log) + "\n")


io.run(main, snakemake)  # noqa: F821
