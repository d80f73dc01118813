"""Shared fixtures: the metafor reference table (regenerated live when R and metafor are installed)."""

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
REF_DIR = ROOT / "tests" / "reference"
COMMITTED = REF_DIR / "metafor_reference.csv"


def read_reference(path):
    return pd.read_csv(path, comment="#", skipinitialspace=True)


def have_metafor():
    if not shutil.which("Rscript"):
        return False
    return subprocess.run(["Rscript", "-e", "library(metafor); library(metadat)"], capture_output=True).returncode == 0


@pytest.fixture(scope="session")
def live_reference_path(tmp_path_factory):
    """Reference values regenerated now by metafor, or None when R/metafor is absent."""
    if not have_metafor():
        return None
    out = tmp_path_factory.mktemp("metafor") / "metafor_reference.csv"
    subprocess.run(["Rscript", "tests/reference/generate_metafor.R", str(out)], cwd=ROOT, check=True,
                   capture_output=True)
    return out


@pytest.fixture(scope="session")
def reference(live_reference_path):
    return read_reference(live_reference_path or COMMITTED)


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
