"""Faults a real run meets (issue 10): Ctrl-C and a hard kill mid-run, a second Snakemake in the same directory,
a raw file edited behind the extract stage's back. Each runs the conformance review in a temporary copy."""

import contextlib
import hashlib
import os
import re
import signal
import subprocess
import time

import bcg_ledger
import pandas as pd
import pytest
import yaml
from test_pipeline import SNAKEMAKE, copy_project, smk
from test_worksheets import fill_csv

CONFIG = ("--config", "reviews=[fleiss1993]")
LOCKED = "Directory cannot be locked"
INCOMPLETE = "The files below seem to be incomplete"
# the user's own command line (background() below), as typed, then --rerun-incomplete
RESUME = ("Interrupted: results/ is as it was before this run. To finish the run: "
          f"{SNAKEMAKE} --cores 2 --config 'reviews=[fleiss1993]' --rerun-incomplete")


def digests(work):
    """sha256 of every file under results/. Nothing is left out: the run writes no time stamp, the copy has no
    git commit (provenance records None) and the Chromium screenshot is made only by test_pipeline.py."""
    return {str(p.relative_to(work)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((work / "results").rglob("*")) if p.is_file()}


@contextlib.contextmanager
def background(work, *args):
    """Snakemake in the background, in its own process group (as a shell runs a foreground job); a test that
    fails midway leaves no Snakemake or job running."""
    with open(work / "console.txt", "w") as console:
        proc = subprocess.Popen([SNAKEMAKE, "--cores", "2", *args, *CONFIG], cwd=work, stdout=console,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_for(proc, work, done, timeout=300):
    """Poll the console until ``done(text)``; fail if Snakemake ends first."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        text = (work / "console.txt").read_text()
        if done(text):
            return text
        assert proc.poll() is None, text[-3000:]
        time.sleep(0.2)
    pytest.fail(f"timed out waiting; console:\n{text[-3000:]}")


def running_after(n):
    """True once n jobs have finished and the next job has been started (so a job is cut off mid-run): the brief
    console's line "n of N jobs done: <rule>; running <rules>"."""
    def done(text):
        return re.search(rf"^{n} of \d+ jobs done: .*; running ", text, re.M) is not None
    return done


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The results of an uninterrupted run."""
    work = copy_project(tmp_path_factory.mktemp("clean"))
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    res = smk(work, *CONFIG)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    return work, digests(work)


@pytest.mark.workflow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_interrupted_run_completes_byte_identical(clean, tmp_path, sig):
    """Ctrl-C (SIGINT to the process group, as the terminal sends it) or a hard kill of Snakemake and its jobs
    (SIGKILL, as after an out-of-memory kill) while jobs run; `--rerun-incomplete` then completes the run with
    results identical to an uninterrupted run's."""
    work = copy_project(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    with background(work) as proc:
        wait_for(proc, work, running_after(4))
        os.killpg(proc.pid, sig)
        assert proc.wait(timeout=600) != 0
    assert not (work / "results/provenance.json").exists()
    if sig == signal.SIGINT:  # as a user sees it: no job's traceback, one line that says how to resume
        console = (work / "console.txt").read_text()
        assert "Traceback" not in console and "KeyboardInterrupt" not in console, console[-3000:]
        assert console.count(RESUME) == 1, console[-3000:]
        assert digests(work) == {}  # the copy started without results/: the interrupted run published nothing
    if sig == signal.SIGKILL:  # a killed Snakemake cannot release its lock; --unlock is the documented way out
        locked = smk(work, "--rerun-incomplete", *CONFIG)
        assert locked.returncode != 0 and LOCKED in locked.stdout + locked.stderr
        assert smk(work, "--unlock", *CONFIG).returncode == 0
    res = smk(work, "--rerun-incomplete", *CONFIG)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    assert "Traceback" not in res.stdout + res.stderr
    expected = clean[1]
    got = digests(work)
    assert sorted(got) == sorted(expected)
    assert [f for f in expected if got[f] != expected[f]] == []


@pytest.mark.workflow
def test_second_snakemake_is_refused_and_nothing_is_damaged(clean, tmp_path):
    """While one run holds the directory, a second `snakemake` is refused and the first run finishes with the
    clean run's results, byte for byte. Snakemake builds its DAG before it takes the lock, so which message
    refuses the second run depends on timing: the lock's, or (when a running job of the first run has already
    written an output) the list of incomplete files. Both stop it without a traceback."""
    work = copy_project(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    with background(work) as first:
        wait_for(first, work, running_after(2))
        second = smk(work, *CONFIG)
        out = second.stdout + second.stderr
        assert second.returncode != 0
        assert (LOCKED in out or INCOMPLETE in out) and "Traceback" not in out, out[-3000:]
        assert first.wait(timeout=900) == 0, (work / "console.txt").read_text()[-3000:]
    assert digests(work) == clean[1]


@pytest.mark.workflow
def test_raw_file_edited_after_extract_is_caught_by_its_checksum(tmp_path):
    """The extract stage validated data/raw/extraction.csv; the file then changes without its time stamp changing
    (copied back with `cp -p`, restored from an archive), so Snakemake sees nothing to rerun. The clean stage
    compares checksums and stops with a message naming the file, on the console."""
    work = copy_project(tmp_path)
    config = ("--config", "reviews=[zhao2018]")
    res = smk(work, "data/processed/ledger/checksums.json", *config)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    raw = work / "data/raw/extraction.csv"
    st = raw.stat()
    df = pd.read_csv(raw, dtype=str, keep_default_na=False)
    df.loc[0, "notes"] += " (edited)"
    df.to_csv(raw, index=False)
    os.utime(raw, ns=(st.st_atime_ns, st.st_mtime_ns))
    res = smk(work, *config)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "data/raw/extraction.csv: changed since the extract stage validated it" in out[out.rindex("Error in rule"):]
    assert "Traceback" not in out
    assert not (work / "results/summary/pooled.csv").exists() and not (work / "results/provenance.json").exists()


def quick_copy(tmp_path):
    """A copy with the sensitivity analyses off (tested elsewhere), so that its runs are short."""
    work = copy_project(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    cfg = work / "config/config.yaml"
    config = yaml.safe_load(cfg.read_text())
    config["sensitivity"] = {}
    cfg.write_text(yaml.safe_dump(config))
    return work


@pytest.mark.workflow
def test_a_bad_contribution_stops_the_run_before_any_job_writes_to_results(tmp_path):
    """Issue 20's case: with a contribution for a review the run does not select (here BCG as a ledger review,
    filled from its data table), `--config reviews=[zhao2018]` stops on it before any job (the umbrella job,
    whose inputs do not depend on contributions, ran beside the failing job): results/ is byte-identical."""
    work = quick_copy(tmp_path)
    bcg_ledger.reduce(work)
    res = smk(work, "--config", "reviews=[zhao2018,bcg]")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    before = digests(work)
    fill_csv(work / "results/worksheets/bcg", work / "data/contrib/bcg")
    res = smk(work, "--config", "reviews=[zhao2018]")
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "ERROR: data/contrib/bcg/" in out and "bcg" in out, out[-3000:]
    assert "rule " not in out and "Traceback" not in out  # stopped before any job
    assert digests(work) == before
    assert not (work / "deselected").exists()


@pytest.mark.workflow
def test_a_failure_in_a_late_job_publishes_nothing(tmp_path):
    """The report job fails (a template bug injected in the copy) after the new selection's analyses, figures and
    umbrella were written: results/ is byte-identical to before. Once fixed, the next run reruns what the failed
    run had made (Snakemake's records are put back with the files), so the umbrella shows the new selection."""
    work = quick_copy(tmp_path)
    res = smk(work, "--config", "reviews=[zhao2018,pereira2022]")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    before = digests(work)
    template = work / "src/ketamine_ma/outputs/templates/index.html.j2"
    good = template.read_text()
    template.write_text(good.replace("{% endblock %}", "{{ injected_failure }}{% endblock %}", 1))
    # the jobs import the copy's package (its template), not the checkout's installed one
    res = subprocess.run([SNAKEMAKE, "--cores", "2", "--config", "reviews=[zhao2018]"], cwd=work, text=True,
                         capture_output=True, env={**os.environ, "PYTHONPATH": str(work / "src")})
    out = res.stdout + res.stderr
    assert res.returncode != 0 and "Error in rule report" in out, out[-3000:]
    assert re.search(r"^\d+ of \d+ jobs done: umbrella", out, re.M)  # the umbrella was rewritten during the run
    assert out.count("results/ is as it was before this run: a failed run publishes nothing.") == 1
    assert digests(work) == before
    assert not (work / "deselected").exists() and not (work / ".snakemake/results-snapshot").exists()
    template.write_text(good)
    res = smk(work, "--config", "reviews=[zhao2018]")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    assert set(pd.read_csv(work / "results/umbrella/umbrella.csv").review) == {"zhao2018"}
    assert (work / "deselected/pereira2022/pereira2022").is_dir()
