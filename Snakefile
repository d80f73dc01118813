# Re-runs four meta-analyses of intravenous ketamine for chronic pain from the evidence ledger in data/raw/.
# Stages: extract -> clean -> analyse (primary and sensitivity analyses) -> figures -> report (one rules file each).


# Reads and checks the config and the review specs before anything runs: a mistake stops the run with one line
# naming its file and line, or its analysis and key (workflow/rules/checks.smk).
include: "workflow/rules/checks.smk"


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/paths.smk"
include: "workflow/rules/inputs.smk"
include: "workflow/rules/contributions.smk"
include: "workflow/rules/fulltext.smk"
include: "workflow/rules/extract.smk"
include: "workflow/rules/clean.smk"
include: "workflow/rules/analyse.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/notebooks.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/worksheets.smk"
include: "workflow/rules/publish.smk"


rule all:
    default_target: True
    input:
        final_outputs(),
