"""Snakemake's own report (`snakemake --report`): after a run of the conformance reviews, the zip holds every
figure and the main tables, each under its review and analysis, with its caption and the job that made it."""

import json
import re
import subprocess
import zipfile

import pytest
import yaml
from test_pipeline import ROOT, copy_project, smk

REVIEWS = ["fleiss1993", "bcg"]
TABLES = ["results/summary/pooled.csv", "results/reproduction.csv", "results/ledger/coverage.csv",
          "results/ledger/missing_cells.csv"]


def _report_var(page, name):
    """A JSON object the report page defines as ``var <name> = {...};`` (its results and categories)."""
    return json.loads(re.search(rf"var {name} = (\{{.*?\}});\s*\n", page).group(1))


@pytest.mark.workflow
def test_snakemake_report_holds_the_figures_and_tables(tmp_path):
    work = copy_project(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    config = ["--config", f"reviews=[{','.join(REVIEWS)}]"]
    res = smk(work, *config)
    assert res.returncode == 0, res.stderr[-3000:]
    res = smk(work, *config, "--report", "results/snakemake-report.zip")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    with zipfile.ZipFile(work / "results/snakemake-report.zip") as z:
        page = z.read("snakemake-report/report.html").decode()
        results, categories = _report_var(page, "results"), _report_var(page, "categories")
        rules = _report_var(page, "rules")
        # every item is the run's own file, byte for byte
        for path, item in results.items():
            assert z.read(f"snakemake-report/{item['data_uri']}") == (work / path).read_bytes(), path
    # the analyses come from the review specs: each has its four figures under review / analysis, labelled with
    # the analysis, captioned from workflow/report/, with the job (rule, code, parameters) that made it
    caption = (ROOT / "workflow/report/forest.rst").read_text().split(" (")[0]
    for review in REVIEWS:
        spec = yaml.safe_load((ROOT / f"config/reviews/{review}.yaml").read_text())
        assert set(categories[review]) == set(spec["analyses"])
        for analysis in spec["analyses"]:
            figures = {f"results/figures/{review}/{analysis}.{kind}.svg"
                       for kind in ("forest", "funnel", "sensitivity", "subgroups")}
            assert set(categories[review][analysis]) == figures
            forest = results[f"results/figures/{review}/{analysis}.forest.svg"]
            assert forest["caption"].startswith(f"<p>{caption}")
            assert forest["labels"] == {"analysis": analysis, "figure": "forest plot"}
            assert forest["job_properties"]["rule"].startswith("figures")
    # the provenance view: the rule that drew the figures lists the plotting code among its inputs
    figure_rules = [r for name, r in rules.items() if name.startswith("figures")]
    assert figure_rules and all("src/ketamine_ma/outputs/plots.py" in r["input"] for r in figure_rules)
    summary = {f for files in categories["Summary"].values() for f in files}
    assert set(TABLES) <= summary
    assert results["results/reproduction.csv"]["caption"].startswith("<p>Every published figure against")
