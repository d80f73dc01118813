"""The two test tiers: `make test-fast` runs `pytest -m "not workflow"`, so every test that runs Snakemake must
carry @pytest.mark.workflow. The guard in conftest.py enforces it as the tests run; these tests show it trips."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import UnmarkedWorkflowTest

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def test_an_unmarked_test_cannot_start_snakemake():
    with pytest.raises(UnmarkedWorkflowTest, match="mark it @pytest.mark.workflow"):
        subprocess.run([SNAKEMAKE, "--version"], capture_output=True)
    with pytest.raises(UnmarkedWorkflowTest):
        subprocess.run([sys.executable, "-m", "snakemake", "--version"], capture_output=True)


def test_other_processes_still_run():
    assert subprocess.run([sys.executable, "-c", "print(1)"], capture_output=True, text=True).stdout == "1\n"


def run_module(tmp_path, body, *args):
    """Run a test module beside a copy of conftest.py; its `snakemake` is a stand-in that only exits 0 (the guard
    goes by the program's name)."""
    fake = tmp_path / "bin" / "snakemake"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    body = body.replace("SNAKEMAKE", repr(str(fake)))
    (tmp_path / "conftest.py").write_text((ROOT / "tests/conftest.py").read_text())
    (tmp_path / "test_probe.py").write_text(textwrap.dedent(body))
    (tmp_path / "pytest.ini").write_text('[pytest]\naddopts = -q --strict-markers -p no:cacheprovider\n'
                                         'markers =\n    workflow: runs Snakemake\n')
    return subprocess.run([sys.executable, "-m", "pytest", *args, str(tmp_path)], cwd=tmp_path,
                          capture_output=True, text=True)


SHARED_FIXTURE = """
    import subprocess
    import pytest

    @pytest.fixture(scope="session")
    def run():
        return subprocess.run([SNAKEMAKE, "--version"]).returncode

    @pytest.mark.workflow
    def test_marked(run):
        assert run == 0

    def test_{name}(run):
        assert run == 0
"""


def test_a_shared_fixture_that_ran_snakemake_fails_an_unmarked_test_that_reuses_it(tmp_path):
    res = run_module(tmp_path, SHARED_FIXTURE.format(name="unmarked"))
    assert res.returncode == 1, res.stdout[-2000:]
    assert "1 passed, 1 error" in res.stdout, res.stdout[-2000:]
    assert "test_unmarked uses run, which runs Snakemake: mark it @pytest.mark.workflow" in res.stdout


def test_the_fast_tier_leaves_out_the_marked_test_and_stops_the_unmarked_one(tmp_path):
    res = run_module(tmp_path, SHARED_FIXTURE.format(name="fast"), "-m", "not workflow")
    assert res.returncode == 1
    assert "1 deselected, 1 error" in res.stdout, res.stdout[-2000:]
    assert "test_fast runs Snakemake: mark it @pytest.mark.workflow" in res.stdout
