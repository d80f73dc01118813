"""Jobs read and write only the files their rules declare (issue 22): the analyse and clean scripts write exactly
the paths their job's mapping names, the report reads only the paths it is given and stops on a declared one that
is missing (it showed an empty section), and the review page's leave-one-out and cumulative headings are the
analysis plan's labels. The scripts run here as Snakemake runs them, on BCG's tables from the shared pipeline run
copied under other names, so a path a script or the package builds for itself is written or read elsewhere."""

import dataclasses
import re
import runpy
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_pipeline import smk

from ketamine_ma.ledger import plan
from ketamine_ma.outputs import report
from ketamine_ma.stages import specs

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "workflow" / "scripts"
SETTINGS = {"prediction_interval": "metafor", "prepost_correlation": 0.5}


def spec_of(review):
    doc = specs.read_yaml(ROOT / "config/reviews" / f"{review}.yaml", ROOT)
    assert specs.validate(doc, specs.read_yaml(ROOT / "config/schemas/review.schema.yaml"), review) is None
    return doc


def run_script(name, cwd, monkeypatch, **job):
    """A workflow script run as Snakemake's ``script:`` runs it, with its ``snakemake`` object."""
    monkeypatch.chdir(cwd)
    smk = SimpleNamespace(**{k: SimpleNamespace(**v) if isinstance(v, dict) else v for k, v in job.items()})
    runpy.run_path(str(SCRIPTS / name), init_globals={"snakemake": smk}, run_name="__main__")


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*") if p.is_file())


@pytest.mark.workflow
def test_analyse_writes_exactly_the_files_its_job_declares(pipeline_run, tmp_path, monkeypatch):
    src = pipeline_run / "data/processed/bcg"
    (tmp_path / "in").mkdir()
    tables = {}
    for v in ("main", "candidates"):
        tables[v] = str(tmp_path / "in" / f"{v}-rr.csv")
        shutil.copy(src / v / "rr_dl.csv", tables[v])
    names = ["tau2_REML", "candidates", "leave_one_out"]
    results = {"primary": {f: f"out/p-{f}.csv" for f in ("studies", "pooled", "subgroups")},
               "sensitivity": {a: {f: f"out/{a}-{f}.csv" for f in ("studies", "pooled")} for a in names},
               "small_study": "out/egger.csv"}  # influence diagnostics not declared: not run
    analyses = {"rr_dl": {"spec": spec_of("bcg")["analyses"]["rr_dl"], "tables": tables, "results": results}}
    params = {"review": "bcg", "analyses": analyses, "overrides": {}, "settings": SETTINGS,
              "conventions": specs.conventions(spec_of("bcg"))}
    run_script("analyse.py", tmp_path, monkeypatch, params=params, log=["analyse.log"])
    assert files_under(tmp_path) == sorted(
        ["analyse.log", "in/main-rr.csv", "in/candidates-rr.csv", "out/p-studies.csv", "out/p-pooled.csv",
         "out/p-subgroups.csv", "out/egger.csv"] + [f"out/{a}-{f}.csv" for a in names for f in ("studies", "pooled")])
    # the same pool the pipeline wrote to its own name
    pooled = pipeline_run / "results/bcg/rr_dl/primary/pooled.csv"
    assert (tmp_path / "out/p-pooled.csv").read_bytes() == pooled.read_bytes()


@pytest.mark.workflow
def test_clean_writes_exactly_the_study_tables_its_job_declares(pipeline_run, tmp_path, monkeypatch):
    studies = tmp_path / "bcg-studies.csv"
    shutil.copy(pipeline_run / "data/processed/conformance/bcg/studies.csv", studies)
    variants = {"main": {}, "pm_alt": {}}
    tables = {v: {o: f"out/{v}/{o}-table.csv" for o in ("rr_dl", "or_dl")} for v in variants}
    run_script("clean.py", tmp_path, monkeypatch, input={"conformance_studies": str(studies)},
               output={"exclusions": "out/excluded.csv", "missing": "out/cells.csv",
                       "members": ["out/rr-members.csv", "out/or-members.csv"],
                       "member_exclusions": "out/members-excluded.csv", "member_missing": "out/members-cells.csv"},
               log=["clean.log"],
               params={"spec": spec_of("bcg"), "review": "bcg", "outcomes": ["rr_dl", "or_dl"],
                       "variants": variants, "tables": tables,
                       "members": {"rr_dl": "out/rr-members.csv", "or_dl": "out/or-members.csv"},
                       "method": None})  # no config override of the pooling method (clean.smk)
    assert files_under(tmp_path) == sorted(
        ["bcg-studies.csv", "clean.log", "out/excluded.csv", "out/cells.csv", "out/main/rr_dl-table.csv",
         "out/main/or_dl-table.csv", "out/pm_alt/rr_dl-table.csv", "out/pm_alt/or_dl-table.csv",
         "out/rr-members.csv", "out/or-members.csv", "out/members-excluded.csv", "out/members-cells.csv"])


@pytest.mark.workflow
def test_figures_draws_exactly_the_figures_its_job_declares(pipeline_run, tmp_path, monkeypatch):
    """The figures script names no file: every figure, in the formats the outputs list, and the captions go where
    the job's mapping says (here: names no rule would choose, one PNG beside one SVG)."""
    res = pipeline_run / "results/bcg/rr_dl"
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()  # Snakemake makes an output's folder before the job runs
    inputs = {k: str(shutil.copy(res / "primary" / f"{k}.csv", tmp_path / "in" / f"{k}.csv"))
              for k in ("studies", "pooled", "subgroups")}
    published = shutil.copy(pipeline_run / "data/processed/conformance/bcg/published.csv", tmp_path / "in")
    figures = {k: f"out/{k}-drawn.svg" for k in ("forest", "funnel", "sensitivity", "subgroups")}
    analyses = {"rr_dl": {"spec": spec_of("bcg")["analyses"]["rr_dl"], "inputs": inputs, "figures": figures,
                          "captions": "out/words.json"}}
    run_script("figures.py", tmp_path, monkeypatch, input={"published": str(published)},
               output=[*figures.values(), "out/forest-drawn.png", "out/words.json"], log=["figures.log"],
               params={"review": "bcg", "analyses": analyses, "members": {}, "arms": ["BCG", "Control"], "dpi": 72})
    assert files_under(tmp_path / "out") == sorted(
        ["words.json", "forest-drawn.png", *(Path(f).name for f in figures.values())])


@pytest.mark.workflow
def test_no_job_writes_an_undeclared_file_under_results_or_data(pipeline_run, pipeline_reviews):
    """Snakemake's own list of files no rule declares: only the selection record, written when a run succeeds."""
    res = smk(pipeline_run, "--list-untracked", "--config", f"reviews=[{','.join(pipeline_reviews)}]")
    assert res.returncode == 0, res.stderr[-2000:]
    untracked = [f for f in res.stdout.split() if f.startswith(("results/", "data/processed/"))
                 and "/screenshots/" not in f]  # tests/test_report.py's screenshots
    assert untracked == ["results/selection.json"]


def report_mapping(run, review, spec):
    """The report job's ``{key: path}`` mapping for one review of a finished run, written out here."""
    res, fig = run / "results" / review, run / "results/figures" / review
    analyses = {}
    for key in spec["analyses"]:
        d = res / key
        analyses[key] = {
            "studies": {v.name: v / "studies.csv" for v in sorted(d.iterdir()) if (v / "studies.csv").exists()},
            **{k: d / f"{k}.csv" for k in ("small_study", "influence")},
            "figures": {k: fig.parent / f"{review}/{key}.{k}.svg" for k in ("forest", "funnel", "sensitivity",
                                                                         "subgroups")},
            "captions": fig.parent / f"{review}/{key}.captions.json"}
    merged = run / "data/processed/merged"
    return {"pooled": run / "results/summary/pooled.csv", "reproduction": run / "results/reproduction.csv",
            "audit": run / "results/audit_published.csv", "audit_totals": run / "results/audit_totals.csv",
            "audit_percentages": run / "results/audit_percentages.csv",
            "coverage": run / "results/ledger/coverage.csv", "missing": run / "results/ledger/missing_cells.csv",
            "provenance": run / "data/processed/provenance_inputs.json",
            **{t: merged / f"{t}.csv" for t in ("trials", "membership", "extraction", "conflicts")},
            "published": run / "data/processed/ledger/published.csv", "review_extraction": [],
            "exclusions": [run / f"data/processed/{review}/exclusions.csv"],
            "reviews": {review: {"analyses": analyses,
                                 "figures_read": run / f"results/worksheets/{review}/figures.json"}}}


def copied(files, into, counter=None):
    """``files`` with every file copied to ``into`` under a name of its own (file-<n> with its suffix)."""
    counter = counter if counter is not None else [0]
    if isinstance(files, dict):
        return {k: copied(v, into, counter) for k, v in files.items()}
    if isinstance(files, list):
        return [copied(v, into, counter) for v in files]
    counter[0] += 1
    dst = into / f"file-{counter[0]}{Path(files).suffix}"
    shutil.copy(files, dst)
    return str(dst)


@pytest.fixture
def bcg_files(pipeline_run, tmp_path):
    spec = spec_of("bcg")
    (tmp_path / "elsewhere").mkdir()
    return copied(report_mapping(pipeline_run, "bcg", spec), tmp_path / "elsewhere"), {"bcg": spec}


@pytest.mark.workflow
def test_report_shows_what_its_mapping_names_wherever_it_is(bcg_files, tmp_path):
    files, spec = bcg_files
    pages = report.pages(files, spec, tmp_path / "site")
    page = pages["bcg.html"]
    assert "Egger&#39;s test: t = " in page and "Case-deletion diagnostics (influence), 13 trials" in page
    assert "<summary>Leave one trial out: 13 pools</summary>" in page
    forest = Path(files["reviews"]["bcg"]["analyses"]["rr_dl"]["figures"]["forest"]).name
    assert f'src="../elsewhere/{forest}"' in page
    assert 'id="rr_dl-tau2_REML"' in pages["bcg-studies.html"]


@pytest.mark.workflow
def test_a_declared_input_that_is_missing_stops_the_report_naming_it(bcg_files, tmp_path):
    files, spec = bcg_files
    gone = files["reviews"]["bcg"]["analyses"]["rr_dl"]["small_study"]
    Path(gone).unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(f"report: declared input {gone} does not exist")):
        report.pages(files, spec, tmp_path / "site")


@pytest.mark.workflow
def test_a_pool_without_a_declared_study_table_stops_the_report(bcg_files, tmp_path):
    files, spec = bcg_files
    del files["reviews"]["bcg"]["analyses"]["rr_dl"]["studies"]["knha"]
    with pytest.raises(KeyError, match="bcg/rr_dl has 'knha' pools"):
        report.pages(files, spec, tmp_path / "site")


@pytest.mark.workflow
def test_an_analysis_not_run_is_left_out_not_read(bcg_files, tmp_path):
    """Small-study tests switched off: the rule does not declare the table, and the page says they were not run."""
    files, spec = bcg_files
    for a in files["reviews"]["bcg"]["analyses"].values():
        del a["small_study"], a["influence"]
    page = report.pages(files, spec, tmp_path / "site")["bcg.html"]
    assert "Egger&#39;s test: t = " not in page and "Case-deletion diagnostics" not in page
    assert "<p>Not run: k = 13;" in page


@pytest.mark.workflow
def test_leave_one_out_and_cumulative_headings_are_the_plans_labels(bcg_files, tmp_path, monkeypatch):
    files, spec = bcg_files
    refit = {e.switch: e for e in plan.PLAN if e.kind == "refit"}
    assert set(refit) == {"leave_one_out", "cumulative"}
    monkeypatch.setattr(plan, "PLAN", tuple(
        dataclasses.replace(e, labels={k: f"{v} (the plan's)" for k, v in e.labels.items()}) if e.kind == "refit"
        else e for e in plan.PLAN))
    page = report.pages(files, spec, tmp_path / "site")["bcg.html"]
    assert "<summary>Leave one trial out (the plan&#39;s): 13 pools</summary>" in page
    assert "<summary>Cumulative, by publication year (the plan&#39;s): 13 pools</summary>" in page
