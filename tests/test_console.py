"""The console as a person reads it, and a run consistent with its selection whatever target it builds (issue 32).

The default profile's logger (src/snakemake_logger_plugin_brief) prints one line per finished job, the completion
summary and a failed job's one ERROR: line (tests/test_fulltext.py has the failure). A run of another target than
the default records no selection and moves nothing aside; it is refused before any job when it would rewrite an
output that spans the reviews for another selection than the one results/ holds (results/selection.json).
"""

import hashlib
import re
import shlex
import subprocess

import pytest
from test_pipeline import ROOT, SNAKEMAKE, copy_project, smk

from ketamine_ma.stages import publish

BOTH = ("--config", "reviews=[fleiss1993,bcg]")
BCG = ("--config", "reviews=[bcg]")


def digests(work, folder="results"):
    return {str(p.relative_to(work)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((work / folder).rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def cold(tmp_path_factory):
    """A cold run of the two conformance reviews (the default target) in a copy of the project: its console."""
    work = copy_project(tmp_path_factory.mktemp("console"))
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    res = smk(work, *BOTH)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    return work, res.stdout + res.stderr


@pytest.mark.workflow
def test_a_cold_run_of_the_conformance_reviews_prints_under_60_lines(cold):
    work, out = cold
    print(out)
    lines = out.strip().splitlines()
    assert len(lines) < 60, out
    done = [ln for ln in lines if re.match(r"\d+ of \d+ jobs done: ", ln)]
    total = int(done[-1].split(" of ")[1].split()[0])
    assert len(done) == total and done[-1].startswith(f"{total} of {total} jobs done: all"), out
    assert "Completion (cells from the full text; published figures re-run):" in out
    assert re.search(r"^  fleiss1993 +cells filled 28 of 28", out, re.M) and re.search(r"^  bcg +cells filled", out,
                                                                                      re.M), out
    assert re.search(r"^Full log: \.snakemake/log/\S+\.snakemake\.log$", out, re.M), out
    # the detail stays in the log file; what the notebooks' kernel process prints goes to that job's log
    assert "IPKernelApp" not in out and "WARNING" not in out, out
    assert "input:" not in out and "reason:" not in out and "Job stats" not in out
    log = next((work / ".snakemake/log").glob("*.snakemake.log")).read_text()
    assert "input:" in log and "reason:" in log


@pytest.mark.workflow
def test_a_clean_lint_says_so_on_the_console():
    res = subprocess.run([SNAKEMAKE, "--lint"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0 and "Congratulations, your workflow is in a good condition!" in res.stdout + res.stderr


@pytest.mark.workflow
def test_verbose_and_a_dry_run_bring_back_snakemakes_own_console(cold):
    work, _ = cold
    for args in (("--verbose",), ("-n",)):
        res = smk(work, *args, "--forcerun", "convergence", *BOTH)
        out = res.stdout + res.stderr
        assert res.returncode == 0 and "Job stats:" in out and "rule convergence:" in out and "reason:" in out, out


@pytest.mark.workflow
def test_a_worksheets_run_with_another_selection_leaves_results_as_selection_json_says(cold):
    """The worksheets target with another selection writes bcg's worksheet and nothing else: the selection of the
    run in results/ stays recorded, nothing moves to deselected/, the summary tables and the report stay that run's,
    and no completion block from that run is printed as if it were this one's."""
    work, _ = cold
    before = digests(work)
    res = smk(work, "worksheets", "--forcerun", "worksheet", *BCG)  # the worksheet job runs (a run that succeeds)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    assert "1 of 2 jobs done: worksheet (review=bcg)" in out, out
    assert digests(work) == before, "the worksheets run changed results/"
    assert publish.last_selection(work) == {"reviews": ["fleiss1993", "bcg"], "outcomes": []}
    assert not (work / "deselected").exists()
    assert "Completion" not in out and "fleiss1993" not in out, out


@pytest.mark.workflow
def test_a_target_spanning_the_reviews_with_another_selection_is_refused_before_any_job(cold):
    work, _ = cold
    before = digests(work)
    res = smk(work, "results/report/index.html", *BCG)
    out = res.stdout + res.stderr
    print(out)
    assert res.returncode != 0 and "Traceback" not in out
    assert ("ERROR: this run would rewrite results/audit_percentages.csv, results/audit_published.csv, "
            "results/audit_totals.csv ... for reviews=['bcg'], but results/ holds the run of reviews=['fleiss1993', "
            "'bcg'], outcomes=[] (results/selection.json); build the whole selection "
            f"(`{SNAKEMAKE} --cores 2 --config 'reviews=[bcg]'`) or give this target that run's --config") in out, out
    assert len(out.strip().splitlines()) < 5, out
    assert digests(work) == before


@pytest.mark.workflow
def test_the_report_hint_repeats_the_users_command_line(cold):
    work, _ = cold
    res = smk(work, "--report", "results/snakemake-report.zip", *BCG)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert f"run `{SNAKEMAKE} --cores 2 --config 'reviews=[bcg]'` first" in out, out
    assert "--cores 4" not in out


@pytest.mark.workflow
def test_a_review_selected_again_leaves_deselected(cold):
    """fleiss1993 deselected (moved aside), then selected again: its outputs are rebuilt in results/ and its copy
    in deselected/ is removed."""
    work, _ = cold
    res = smk(work, *BCG)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    assert (work / "deselected/fleiss1993/worksheets/fleiss1993.xlsx").is_file()
    assert "fleiss1993 is no longer selected: its outputs were moved to deselected/fleiss1993/" in res.stdout
    res = smk(work, *BOTH)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    assert not (work / "deselected").exists()
    assert (work / "results/worksheets/fleiss1993.xlsx").is_file()
    assert publish.last_selection(work) == {"reviews": ["fleiss1993", "bcg"], "outcomes": []}


def test_a_hint_repeats_the_command_as_typed():
    argv = ["/opt/x/bin/snakemake", "--cores", "2", "--report", "r.zip", "--config", "reviews=[bcg]", "outcomes=[]"]
    assert publish.command_line(argv, drop=("--report",)) == \
        "/opt/x/bin/snakemake --cores 2 --config 'reviews=[bcg]' 'outcomes=[]'"
    assert publish.command_line([".venv/bin/snakemake", "-c2", "--report=r.zip", "worksheets"],
                                drop=("--report", "worksheets")) == ".venv/bin/snakemake -c2"
    assert shlex.split(publish.command_line(argv))[1:] == argv[1:]
