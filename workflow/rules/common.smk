from pathlib import Path

from snakemake.utils import min_version

min_version("9.4")

ROOT = Path(workflow.basedir)
ENV = "../envs/pipeline.yaml"
# Priority of the jobs the notebooks wait for: the notebooks job (which needs every figure) is the longest at the
# end of a run, so the jobs only the report needs (worksheets, audit, flow diagrams, convergence, input
# checksums) keep the default 0 and run beside it instead of before it.
FIRST = 1
# The package's plain-Python modules (no numpy/pandas: imported at every start; checks.smk put src/ on the path)
# hold the analysis plan and the names of the tables, sheets and pages the rules declare, so the rules never
# retype them.
from ketamine_ma.ledger import plan, vocabulary
from ketamine_ma.ledger.contrib import route
from ketamine_ma.outputs import report_files
from ketamine_ma.stages import code_inputs, startup
from ketamine_ma.stages.io import USER_ERRORS


def code(script):
    """The code a job runs: its script and every package module it imports, transitively (an input of every
    rule, so an edit reruns exactly the jobs that run the edited code)."""
    return code_inputs.code(ROOT, script)


# Start-up, before any job (dry runs included): the config against its schema (defaults filled in), each selected
# review's spec against its schema and for meaning, the contributions routed to the reviews they touch and validated
# (repeated only when their inputs changed), the full texts hashed (ketamine_ma.stages.startup). A problem stops
# the run with one line naming its file and key.
try:
    START = startup.load(config, ROOT)
except USER_ERRORS as e:
    stop(e)
SPEC_NAMES = list(START.spec_names)
SPECS = START.specs
LEDGER_REVIEWS = list(START.ledger_reviews)
CONTRIBUTIONS = START.contributions
contribution_files = START.contribution_files


wildcard_constraints:
    review="|".join(SPECS),


def outcomes_of(review):
    keys = list(SPECS[review]["analyses"])
    return [k for k in keys if not config["outcomes"] or k in config["outcomes"]]


def variants(review=None):
    """Study-table variants the clean stage builds: the main reading plus the plan's sensitivity readings (a
    review with contributions also gets the other reading of conflicts and its trials at low risk of bias).
    """
    return plan.readings(config, bool(CONTRIBUTIONS.get(review)))


def sensitivity_analyses(review, outcome):
    """Names of the sensitivity analyses that apply to one analysis of one review (``ketamine_ma.ledger.plan``)."""
    return plan.analyses(
        SPECS[review]["analyses"][outcome], config, bool(CONTRIBUTIONS.get(review))
    )


def flat(files):
    """The paths of a ``{key: path}`` mapping, nested or with lists: the rule's input or output list of the
    mapping its script gets in ``params`` (a job that reads or writes a variable set of files).
    """
    if isinstance(files, dict):
        return [p for v in files.values() for p in flat(v)]
    return [p for v in files for p in flat(v)] if isinstance(files, list) else [files]


def final_outputs():
    out = [
        POOLED,
        REPRODUCTION,
        AUDIT,
        COVERAGE,
        PROVENANCE,
        REPORT_INDEX,
        CONVERGENCE,
    ]
    if LEDGER_REVIEWS:
        out.append(VERIFICATION)
    out += [worksheet(r) for r in SPECS]
    if LEDGER_REVIEWS:
        out += [UMBRELLA, CROSS_REVIEW_NOTEBOOK]
    out += [notebook_html(r) for r in SPECS]
    for r in SPECS:
        if r in LEDGER_REVIEWS:
            out.append(flow_figure(r))
        for o in outcomes_of(r):
            out.append(analysis_figure(r, o, "forest"))
    # Snakemake checks only the outputs something asks for: the other formats are asked for here.
    out += [f for svg in figure_svgs() for f in other_formats(svg)]
    return out
