"""Figures of one analysis: forest, funnel and leave-one-out/cumulative plots, with their captions."""

from pathlib import Path

import pandas as pd

from ketamine_ma.outputs import forest_rows, plots
from ketamine_ma.outputs.captions import analysis_caption
from ketamine_ma.stages import io


def main(smk):
    w, spec = smk.wildcards, smk.params.spec
    studies, pooled = pd.read_csv(smk.input.studies), pd.read_csv(smk.input.pooled).iloc[0]
    label = spec["label"]
    gaps = None
    if "ledger" in smk.input.keys():
        ledger = {Path(f).stem: pd.read_csv(f) for f in smk.input.ledger}
        gaps = forest_rows.gap_rows(ledger, w.review, w.outcome, spec, studies.trial_id, smk.params.reading)
    published = pd.read_csv(smk.input.published, dtype=str, keep_default_na=False, na_values=[""])
    plots.forest(studies, pooled, label, smk.output.forest_svg, smk.output.forest_png, smk.params.arms,
                 spec.get("lower_is_better", True), gaps,
                 forest_rows.published_figure(published, w.review, spec.get("published", [])))
    small = pd.read_csv(smk.input.small_study).iloc[0].to_dict() if "small_study" in smk.input.keys() else None
    plots.funnel(studies, pooled, small, label, smk.output.funnel_svg, smk.output.funnel_png)
    loo = pd.read_csv(smk.input.loo) if "loo" in smk.input.keys() else pd.DataFrame()
    cumul = pd.read_csv(smk.input.cumulative) if "cumulative" in smk.input.keys() else pd.DataFrame()
    plots.influence_plot(loo, cumul, pooled, label, smk.output.sens_svg, smk.output.sens_png)
    sub = pd.read_csv(smk.input.subgroups)
    plots.subgroup_forest(sub, pooled, label, smk.output.sub_svg, smk.output.sub_png)
    io.write_json(analysis_caption(w.review, w.outcome, spec, studies, pooled), smk.output.captions)
    Path(smk.log[0]).write_text(f"{len(studies)} studies pooled; "
                                f"{0 if gaps is None else len(gaps)} member trials listed without usable data\n")


io.run(main, snakemake)  # noqa: F821
