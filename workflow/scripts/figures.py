"""Figures of one review, per analysis: forest, funnel, leave-one-out/cumulative and subgroup plots, with their
captions (one job per review: importing matplotlib costs more than the drawing)."""

from pathlib import Path

import pandas as pd

from ketamine_ma.outputs import forest_rows, plots
from ketamine_ma.outputs.captions import analysis_caption
from ketamine_ma.stages import io


def analysis_figures(review, outcome, a, members, published, p, outputs):
    spec, files = a["spec"], a["inputs"]

    def drawn(kind):  # one figure, in every format the job declares
        return plots.drawn(outputs, a["figures"][kind])

    studies, pooled = pd.read_csv(files["studies"]), pd.read_csv(files["pooled"]).iloc[0]
    label = spec["label"]
    gaps = None
    if members is not None:  # a ledger review: its members not pooled, as the clean stage found them
        usable, excl, miss = members
        gaps = forest_rows.gap_rows(pd.read_csv(usable[outcome]), excl[excl.analysis == outcome],
                                    miss[miss.analysis == outcome], studies.trial_id)
    plots.forest(studies, pooled, label, drawn("forest"), p.dpi, p.arms,
                 spec.get("lower_is_better", True), gaps,
                 forest_rows.published_figure(published, review, spec.get("published", [])))
    small = pd.read_csv(files["small_study"]).iloc[0].to_dict() if "small_study" in files else None
    plots.funnel(studies, pooled, small, label, drawn("funnel"), p.dpi)
    loo = pd.read_csv(files["loo"]) if "loo" in files else pd.DataFrame()
    cumul = pd.read_csv(files["cumulative"]) if "cumulative" in files else pd.DataFrame()
    plots.influence_plot(loo, cumul, pooled, label, drawn("sensitivity"), p.dpi)
    sub = pd.read_csv(files["subgroups"])
    plots.subgroup_forest(sub, pooled, label, drawn("subgroups"), p.dpi)
    io.write_json(analysis_caption(review, outcome, spec, studies, pooled), a["captions"])
    return (f"{outcome}: {len(studies)} studies pooled; "
            f"{0 if gaps is None else len(gaps)} member trials listed without usable data")


def main(smk):
    p = smk.params
    members = None
    if p.members:
        members = (p.members, pd.read_csv(smk.input.member_exclusions), pd.read_csv(smk.input.member_missing))
    published = pd.read_csv(smk.input.published, dtype=str, keep_default_na=False, na_values=[""])
    log = [analysis_figures(p.review, outcome, a, members, published, p, smk.output)
           for outcome, a in p.analyses.items()]
    Path(smk.log[0]).write_text("\n".join(log) + "\n")


io.run(main, snakemake)  # noqa: F821
