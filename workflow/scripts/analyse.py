"""Analyse stage: the primary pool of one analysis, with its subgroups."""

from pathlib import Path

import pandas as pd

from ketamine_ma.stages import analysis, io, steps


def main(smk):
    w, spec = smk.wildcards, smk.params.spec
    config = {"zero_rule": smk.params.settings["zero_rule"],
              "prediction_interval": smk.params.settings["prediction_interval"],
              "prepost_correlation": smk.params.settings["prepost_correlation"]}
    settings = steps.settings_for(spec, smk.params.overrides, config)
    table = pd.read_csv(smk.input.table)
    studies, pooled = steps.analyse(table, w.review, w.outcome, "primary", spec, settings)
    io.write_csv(studies, smk.output.studies)
    io.write_csv(pooled, smk.output.pooled)
    rows = []
    for by in spec.get("subgroups", []):
        per, test = analysis.subgroups(studies, settings, by, spec.get("dose_cut_mg_kg"))
        if per is not None:
            rows.append(per.assign(by=by, q_between=test["q_between"], q_between_df=test["df"],
                                   q_between_p=test["p"]))
        else:
            rows.append(pd.DataFrame([{"by": by, "note": test["note"]}]))
    io.write_csv(pd.concat(rows) if rows else pd.DataFrame(columns=["by", "note"]), smk.output.subgroups)
    Path(smk.log[0]).write_text(pooled.to_csv(index=False))


io.run(main, snakemake)  # noqa: F821
