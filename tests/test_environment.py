"""environment.yml and the conda env of the rules carry exactly the pip pins of requirements.txt; the optional
`slurm` extra (pyproject.toml) and its conda file environment-slurm.yml carry the same pin, which constraints.txt
agrees with."""

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def pins(lines):
    out = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            out[name.strip().lower()] = version.strip()
    return out


def conda_pip(path):
    env = yaml.safe_load(path.read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    return pins(pip)


def test_environment_yml_matches_requirements():
    req = pins((ROOT / "requirements.txt").read_text().splitlines())
    assert req, "requirements.txt has no pins"
    assert conda_pip(ROOT / "environment.yml") == req


def test_rule_env_is_a_subset_of_requirements():
    req = pins((ROOT / "requirements.txt").read_text().splitlines())
    env = conda_pip(ROOT / "workflow/envs/pipeline.yaml")
    assert env and all(req.get(k) == v for k, v in env.items())


def test_constraints_agree_with_requirements():
    req = pins((ROOT / "requirements.txt").read_text().splitlines())
    con = pins((ROOT / "constraints.txt").read_text().splitlines())
    assert all(con.get(k) == v for k, v in req.items() if k in con)
    assert set(req) <= set(con)


def test_slurm_extra_is_pinned_alike_and_not_in_the_default_install():
    extra = pins(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["slurm"])
    assert set(extra) == {"snakemake-executor-plugin-slurm"}
    assert conda_pip(ROOT / "environment-slurm.yml") == extra
    con = pins((ROOT / "constraints.txt").read_text().splitlines())
    assert all(con.get(k) == v for k, v in extra.items())
    req = pins((ROOT / "requirements.txt").read_text().splitlines())
    assert not set(extra) & set(req) and not set(extra) & set(conda_pip(ROOT / "environment.yml"))
    # the cluster path stays tested by default (tests/test_cluster.py runs the cluster-generic executor)
    assert "snakemake-executor-plugin-cluster-generic" in req
