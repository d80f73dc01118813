"""The workflow under snakemake-executor-plugin-cluster-generic with a local submit command: every job runs as
its own detached process, so nothing may rely on shared in-process state (issue 7)."""

import importlib.util

import pandas as pd
import pytest
from test_pipeline import copy_project, smk

# The SLURM executor plugin is an optional extra (pyproject.toml `slurm`), absent from the default install.
HAS_SLURM = importlib.util.find_spec("snakemake_executor_plugin_slurm") is not None


@pytest.mark.workflow
def test_cluster_generic_executor_runs_the_dag(tmp_path):
    work = copy_project(tmp_path)
    res = smk(work, "--workflow-profile", "workflow/profiles/cluster-generic", "--config", "reviews=[fleiss1993,bcg]")
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    assert "cluster-generic" in res.stdout + res.stderr
    rep = pd.read_csv(work / "results/reproduction.csv")
    assert len(rep) == 7 and (rep.status == "reproduced").all()


@pytest.mark.workflow
@pytest.mark.skipif(not HAS_SLURM, reason="the optional extra [slurm] is not installed")
def test_slurm_profile_plans_the_dag(tmp_path):
    """The SLURM profile loads with its executor plugin and plans every job (no cluster here: a dry run)."""
    work = copy_project(tmp_path)
    res = smk(work, "--workflow-profile", "workflow/profiles/slurm", "-n", "--config", "reviews=[fleiss1993,bcg]")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    assert "slurm_partition" in res.stdout + res.stderr


@pytest.mark.workflow
@pytest.mark.skipif(HAS_SLURM, reason="the optional extra [slurm] is installed")
def test_slurm_profile_without_its_plugin_says_how_to_install_it(tmp_path):
    """Without the plugin, Snakemake would reject `executor: slurm` with its whole usage text; the profile says
    instead, in one line, how to install the extra (pip and conda), and the run stops before anything is done."""
    work = copy_project(tmp_path)
    res = smk(work, "--workflow-profile", "workflow/profiles/slurm", "-n", "--config", "reviews=[fleiss1993,bcg]")
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert "Traceback" not in out and "usage:" not in out, out[-3000:]
    lines = [ln for ln in out.splitlines() if ln.strip() and not ln.startswith("Using workflow specific profile")]
    assert len(lines) == 1, out
    assert "pip install -e '.[slurm]' -c constraints.txt" in lines[0]
    assert "conda env update -n ketamine-ma -f environment-slurm.yml" in lines[0]
    assert not (work / ".snakemake").exists() and not (work / "results").exists()
