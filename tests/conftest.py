"""Shared fixtures and the test tiers. The engine is held to the committed metafor references
(tests/reference/*_reference.csv); the live_r tests regenerate them in R now and check the committed files still
match (`make test` runs those, `make test-fast` leaves them out)."""

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

# Examples per property test: 60 in `make test`; 20 in `make test-fast` (--hypothesis-profile=fast), which keeps
# the fast tier near a minute.
settings.register_profile("full", max_examples=60)
settings.register_profile("fast", max_examples=20)
settings.load_profile("full")

ROOT = Path(__file__).resolve().parents[1]
REF_DIR = ROOT / "tests" / "reference"
COMMITTED = REF_DIR / "metafor_reference.csv"


def read_reference(path):
    return pd.read_csv(path, comment="#", skipinitialspace=True)


def have_metafor():
    if not shutil.which("Rscript"):
        return False
    return subprocess.run(["Rscript", "-e", "library(metafor); library(metadat)"], capture_output=True).returncode == 0


def regenerate(script, out, cwd=ROOT):
    """Run one of tests/reference/generate_*.R now (the live_r tier), or skip when R/metafor is absent."""
    if not have_metafor():
        pytest.skip("Rscript with metafor is not installed; the committed reference was checked instead")
    subprocess.run(["Rscript", str(REF_DIR / script), str(out)], cwd=cwd, check=True, capture_output=True)
    return read_reference(out)


PIPELINE_REVIEWS = ["orhurhu2019", "zhao2018", "pereira2022", "update16", "fleiss1993", "bcg"]


@pytest.fixture(scope="session")
def pipeline_reviews():
    return PIPELINE_REVIEWS


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory):
    """The whole DAG run once, all six reviews, in a temporary copy of the project (tests/test_pipeline.py and
    tests/test_report.py read it)."""
    from test_pipeline import copy_project, smk

    work = copy_project(tmp_path_factory.mktemp("pipeline"))
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    res = smk(work, "--config", f"reviews=[{','.join(PIPELINE_REVIEWS)}]")
    assert res.returncode == 0, res.stderr[-4000:]
    return work


# --- test tiers: every test that runs Snakemake carries @pytest.mark.workflow (`make test-fast` leaves those out).
# Checked as the tests run, not by reading their source: a Snakemake process started while an unmarked test (or a
# fixture it asks for) is being set up or run stops that test, and an unmarked test that asks for a fixture an
# earlier test saw start Snakemake fails too, so a new slow test cannot slip into the fast tier under any spelling.

class UnmarkedWorkflowTest(RuntimeError):
    """A test without @pytest.mark.workflow started Snakemake."""


def runs_snakemake(args):
    argv = args.split() if isinstance(args, str) else [str(a) for a in args]
    return bool(argv) and (Path(argv[0]).name == "snakemake" or argv[1:3] == ["-m", "snakemake"])


_TIER = {"item": None, "fixtures": [], "ran_snakemake": set()}


def _guarded_popen(real):
    class Popen(real):
        def __init__(self, args, *a, **kw):
            item = _TIER["item"]
            if runs_snakemake(args):
                _TIER["ran_snakemake"].update(_TIER["fixtures"])
                if item is not None and item.get_closest_marker("workflow") is None:
                    raise UnmarkedWorkflowTest(f"{item.nodeid} runs Snakemake: mark it @pytest.mark.workflow")
            super().__init__(args, *a, **kw)

    return Popen


def pytest_configure(config):
    subprocess.Popen = _guarded_popen(subprocess.Popen)


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    _TIER["fixtures"].append(fixturedef.argname)
    try:
        yield
    finally:
        _TIER["fixtures"].pop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _TIER["item"] = item
    try:
        yield
    finally:
        _TIER["item"] = None


def pytest_runtest_setup(item):
    if item.get_closest_marker("workflow") is None:
        slow = sorted(set(item.fixturenames) & _TIER["ran_snakemake"])
        if slow:
            raise UnmarkedWorkflowTest(f"{item.nodeid} uses {', '.join(slow)}, which runs Snakemake: mark it "
                                       "@pytest.mark.workflow")


@pytest.fixture(autouse=True)
def jobs_end_in_the_test_process(monkeypatch):
    """A workflow script run inside the test process (``runpy``, tests/test_declared_files.py) ends through
    ``stages.io.run``, whose ``os._exit`` would end pytest itself, with exit status 0 and most tests never run. Here a
    job that succeeds returns, and one that stops on a user's mistake raises SystemExit(1) as a script would exit;
    tests that run a script in its own process (tests/test_job_exit.py) still see the real exit."""
    from ketamine_ma.stages import io

    def end(code):
        if code:
            raise SystemExit(code)

    monkeypatch.setattr(io, "_exit", end)
