# results/ changes only when a run succeeds (ketamine_ma.stages.publish): a snapshot of hard links when the run
# starts, put back when a job fails or the run is interrupted; when a run of the whole selection succeeds, the
# outputs of reviews it no longer selects are moved aside to deselected/<review>/ and its selection is recorded for
# `snakemake --report`. A run of another target (worksheets, a file) records nothing.
import signal

from ketamine_ma.stages import publish as _publish

# Jobs ignore Ctrl-C: on Ctrl-C Snakemake starts no new job, lets the running ones end (seconds) and the onerror
# hook puts results/ back. A job that got the signal itself died mid-import with a traceback of ~40 lines.
# (set -euo pipefail: Snakemake's own prefix, which this one replaces.)
shell.prefix("set -euo pipefail; trap '' INT; ")

_RUN = {"interrupted": False, "whole": False, "completion": False}


def _interrupted(signum, frame):
    _RUN["interrupted"] = True
    raise KeyboardInterrupt


def deselected_groups():
    """Outputs of each review this run does not select (any review with a spec file or in the last selection),
    and the shared outputs of the ledger reviews when it selects none of them; as globs under results/.
    """
    last = _publish.last_selection(".") or {}
    known = {p.stem for p in (ROOT / "config/reviews").glob("*.yaml")}
    known |= set(last.get("reviews", []))
    # every file or folder under results/ named after the review: its folder, figures, worksheet and its CSV
    # twins, cells, notebook, report pages (the names every rule gives a review's outputs)
    groups = {
        r: [f"**/{r}", f"**/{r}.*", f"**/{r}-*"] for r in sorted(known - set(SPECS))
    }
    if not LEDGER_REVIEWS:
        groups["umbrella"] = [
            "umbrella",
            "figures/umbrella.forest.*",
            "figures/overlap.*",
            "notebooks/cross_review.*",
        ]
    return groups


SELECTION = {"reviews": list(SPECS), "outcomes": list(config["outcomes"])}

# `snakemake --report` packages the outputs of the DAG this config describes: with another selection than the
# run that made results/, it would package that run's leftovers beside this selection's tables.
if any(a == "--report" or a.startswith("--report=") for a in sys.argv[1:]):
    _last = _publish.last_selection(".")
    if _last != SELECTION:
        _was = (
            f"reviews={_last['reviews']}, outcomes={_last['outcomes']}"
            if _last
            else "no completed run"
        )
        stop(
            f"snakemake --report: results/ holds {_was}, not reviews={SELECTION['reviews']}, "
            f"outcomes={SELECTION['outcomes']}; give --report the same --config as that run, or run "
            f"`{_publish.command_line(sys.argv, drop=('--report',))}` first"
        )


onstart:
    _RUN["whole"] = any(j.rule.name == "all" for j in workflow.dag.targetjobs)
    _RUN["completion"] = any(
        j.rule.name == "convergence" for j in workflow.dag.jobs
    )
    _refused = _publish.refusal(
        _RUN["whole"],
        _publish.last_selection("."),
        SELECTION,
        [f for j in workflow.dag.needrun_jobs() for f in j.output],
        _publish.command_line(sys.argv, drop=workflow.dag_settings.targets),
    )
    if _refused:
        stop(_refused)
    signal.signal(signal.SIGINT, _interrupted)
    _publish.snapshot(".")


onerror:
    _publish.restore(".")
    if _RUN["interrupted"]:
        print(
            "Interrupted: results/ is as it was before this run. To finish the run: "
            f"{_publish.command_line(sys.argv, drop=('--rerun-incomplete', '--ri'))} --rerun-incomplete",
            file=sys.stderr,
        )
    else:
        print(
            "results/ is as it was before this run: a failed run publishes nothing.",
            file=sys.stderr,
        )


onsuccess:
    _publish.discard(".")
    remember_merged()
    if _RUN["whole"]:
        _rebuilt = list(SPECS) + (["umbrella"] if LEDGER_REVIEWS else [])
        for _name, _paths in _publish.move_aside(
            ".", deselected_groups(), SELECTION, _rebuilt
        ).items():
            print(
                f"{_name} is no longer selected: its outputs were moved to deselected/{_name}/"
            )
    # the completion block of this run's reviews, only when this run's DAG holds it (not a file of an earlier run)
    if _RUN["completion"]:
        print(Path(CONVERGENCE_TEXT).read_text(), end="")
