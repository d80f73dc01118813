"""The whole DAG, end to end, in a temporary copy of the project (issue 2's output contract), plus the
conformance review that must reproduce RevMan's stored results, and config errors that stop before any job."""

import hashlib
import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
CONTRACT_COLUMNS = ["review", "outcome", "timepoint", "analysis", "measure", "method", "tau2_estimator",
                    "ci_method", "k", "n_participants", "estimate", "ci_low", "ci_high", "se", "p", "tau2", "i2",
                    "q", "q_df", "q_p", "pi_low", "pi_high"]


def copy_project(dst):
    for name in ("Snakefile", "profiles", "config", "workflow", "data/raw", "notebooks", "src"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name)
        else:
            (dst / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dst / name)
    return dst


def smk(cwd, *args):
    cores = [] if "--workflow-profile" in args else ["--cores", "2"]
    return subprocess.run([SNAKEMAKE, *cores, *args], cwd=cwd, capture_output=True, text=True)


@pytest.fixture(scope="module")
def run(pipeline_run):
    """The full run (conftest.py), shared with tests/test_report.py."""
    return pipeline_run


@pytest.mark.workflow
def test_contract_files_exist_and_are_not_empty(run):
    for f in ("results/summary/pooled.csv", "results/provenance.json", "results/reproduction.csv",
              "results/audit_published.csv", "results/audit_totals.csv", "results/audit_percentages.csv",
              "results/ledger/coverage.csv", "results/ledger/missing_cells.csv", "results/report/index.html"):
        assert (run / f).stat().st_size > 0, f


@pytest.mark.workflow
def test_pooled_has_contract_columns_and_a_study_table_per_row(run):
    pooled = pd.read_csv(run / "results/summary/pooled.csv")
    assert set(CONTRACT_COLUMNS) <= set(pooled.columns)
    assert set(pooled.review) == {"orhurhu2019", "zhao2018", "pereira2022", "update16", "fleiss1993", "bcg"}
    for _, r in pooled.iterrows():
        studies = run / "results" / r.review / r.outcome / r.analysis / "studies.csv"
        t = pd.read_csv(studies)
        assert {"study_id", "yi", "vi"} <= set(t.columns), studies
        if r.analysis not in ("leave_one_out", "cumulative"):
            assert len(t.dropna(subset=["yi"])) == r.k, studies


@pytest.mark.workflow
def test_conformance_reviews_reproduce_every_figure(run):
    rep = pd.read_csv(run / "results/reproduction.csv")
    conf = rep[rep.review.isin(["fleiss1993", "bcg"])]
    # Fleiss 1993's RevMan figure and BCG's six (four metafor/Stata, the metafor paper's REML pool, metafor's
    # documented test for subgroup differences by allocation)
    assert len(conf) == 7 and (conf.status == "reproduced").all(), conf.to_dict("records")
    pooled = pd.read_csv(run / "results/summary/pooled.csv")
    row = pooled[(pooled.review == "fleiss1993") & (pooled.analysis == "primary")].iloc[0]
    # RevMan's stored values in data/raw/conformance/Fleiss1993.rm5 (CMP-001.01).
    assert row.estimate == pytest.approx(0.8968655609130709, rel=1e-12)
    assert row.ci_low == pytest.approx(0.8405144008917793, rel=1e-12)
    assert row.q == pytest.approx(9.946055983220074, rel=1e-12)
    assert row.i2 == pytest.approx(39.67458045558399, rel=1e-12)
    assert row.k == 7
    # metafor's documented DL result for dat.bcg (tau2 0.3088, I2 92.1173 in its metan comparison test).
    bcg = pooled[(pooled.review == "bcg") & (pooled.outcome == "rr_dl") & (pooled.analysis == "primary")].iloc[0]
    assert round(bcg.tau2, 4) == 0.3088 and round(bcg.i2, 4) == 92.1173


@pytest.mark.workflow
def test_every_published_figure_has_a_status(run):
    rep = pd.read_csv(run / "results/reproduction.csv")
    raw = pd.read_csv(ROOT / "data/raw/published.csv")
    # one row per figure: a figure read in several places is one figure
    assert len(rep[~rep.review.isin(["fleiss1993", "bcg"])]) == len(raw.drop_duplicates(["review", "result_id"]))
    assert set(rep.status) <= {"reproduced", "partial", "not_reproducible"}
    assert rep.reason.notna().all()


@pytest.mark.workflow
def test_provenance_records_checksums_versions_commit(run):
    prov = json.loads((run / "results/provenance.json").read_text())
    assert "data/raw/extraction.csv" in prov["inputs"] and "config/config.yaml" in prov["inputs"]
    assert all(len(v) == 64 for v in prov["inputs"].values())
    assert prov["packages"]["PyMARE"] == "0.0.12"
    assert prov["config"]["reviews"][0] == "orhurhu2019"


@pytest.mark.workflow
def test_rerun_has_nothing_to_do(run):
    res = smk(run, "-n", "--config", "reviews=[orhurhu2019,zhao2018,pereira2022,update16,fleiss1993,bcg]")
    assert res.returncode == 0
    assert "Nothing to be done" in res.stdout + res.stderr


@pytest.mark.workflow
def test_editing_one_review_reruns_only_that_review(run):
    spec = run / "config/reviews/zhao2018.yaml"
    original = spec.read_text()
    spec.write_text(original.replace("measure: PLO", "measure: PFT"))
    try:
        res = smk(run, "-n", "--config", "reviews=[orhurhu2019,zhao2018,pereira2022,update16,fleiss1993,bcg]")
    finally:
        spec.write_text(original)
    out = res.stdout + res.stderr
    assert "clean_zhao2018" in out
    for other in ("clean_orhurhu2019", "clean_pereira2022", "clean_update16", "analyse_update16"):
        assert other not in out



def dry_run_after_editing(run, relpath):
    """The jobs a dry run would rerun after one package file's content changes (restored afterwards).

    Snakemake skips an input that is newer but has the checksum it recorded, so the edit must change content."""
    f = run / relpath
    original = f.read_text()
    f.write_text(original + "\n# edited by the test\n")
    try:
        res = smk(run, "-n", "--config", "reviews=[orhurhu2019,zhao2018,pereira2022,update16,fleiss1993,bcg]")
    finally:
        f.write_text(original)
    assert res.returncode == 0, res.stderr[-3000:]
    return job_stats(res.stdout + res.stderr)


def job_stats(out):
    """Rule names in the 'Job stats' table of a dry run."""
    lines = out[out.index("Job stats:"):].splitlines()[3:]
    return {ln.split()[0] for ln in lines[: next(i for i, ln in enumerate(lines) if not ln.strip())]} - {"total"}


@pytest.mark.workflow
def test_editing_the_plots_reruns_figures_and_report_not_the_pooling(run):
    jobs = dry_run_after_editing(run, "src/ketamine_ma/outputs/plots.py")
    assert {"figures_zhao2018", "figures_bcg", "flow_diagram", "umbrella", "report"} <= jobs
    assert not [j for j in jobs if j.startswith(("analyse_", "summarise", "clean_", "extract"))]


@pytest.mark.workflow
def test_editing_the_engine_reruns_everything_that_pools(run):
    jobs = dry_run_after_editing(run, "src/ketamine_ma/engine/pooling.py")
    assert {"summarise", "figures_zhao2018", "figures_bcg", "report"} <= jobs
    for review in ("zhao2018", "bcg"):
        assert f"analyse_{review}" in jobs, review
    assert "extract_ledger" not in jobs

@pytest.mark.workflow
@pytest.mark.parametrize(
    "args,needle",
    [
        (["reviews=[orhurhu2019,nosuchreview]"], "nosuchreview"),
        (["reveiws=[zhao2018]"], "reveiws"),
        (["overrides={tau2_estimator: XX}"], "XX"),
        (["prepost_correlation=high"], "prepost_correlation"),
        (["outcomes=[no_such_outcome]"], "no_such_outcome"),
    ],
)
def test_bad_config_stops_before_any_job(tmp_path, args, needle):
    work = copy_project(tmp_path)
    res = smk(work, "-n", "--config", *args)
    assert res.returncode != 0
    err = res.stdout + res.stderr
    assert needle in err
    assert "Traceback" not in err
    assert not (work / "results").exists()


@pytest.mark.workflow
def test_one_review_via_command_line(tmp_path):
    work = copy_project(tmp_path)
    res = smk(work, "-n", "--config", "reviews=[zhao2018]")
    assert res.returncode == 0, res.stderr[-2000:]
    out = res.stdout + res.stderr
    assert "clean_zhao2018" in out and "clean_pereira2022" not in out


@pytest.mark.workflow
def test_processed_ledger_keeps_numbers_as_printed(run):
    """The reproduction check judges rounding by the printed digits: "5.40" must not become 5.4 on the way."""
    for name in ("published", "extraction"):
        raw = pd.read_csv(ROOT / f"data/raw/{name}.csv", dtype=str, keep_default_na=False)
        processed = pd.read_csv(run / f"data/processed/ledger/{name}.csv", dtype=str, keep_default_na=False)
        pd.testing.assert_frame_equal(processed, raw)
    pub = pd.read_csv(run / "data/processed/ledger/published.csv", dtype=str, keep_default_na=False)
    rr = pub[(pub.review == "orhurhu2019") & (pub.result_id == "responder_rr")].iloc[0]
    assert (rr.ci_low, rr.ci_high) == ("1.10", "5.40")  # as printed in Orhurhu 2019's abstract


@pytest.mark.workflow
def test_audit_covers_every_published_figure(run):
    audit = pd.read_csv(run / "results/audit_published.csv")
    assert set(audit.p_check) <= {"consistent", "inconsistent", "not_checkable"}
    fleiss = audit[audit.review == "fleiss1993"].iloc[0]
    assert fleiss.p_check == "consistent"


@pytest.mark.workflow
def test_switching_an_analysis_off_removes_exactly_its_outputs(tmp_path):
    work = copy_project(tmp_path)
    cfg = work / "config/config.yaml"

    def targets():
        res = subprocess.run([SNAKEMAKE, "--summary", "--cores", "1", "--config", "reviews=[zhao2018]"], cwd=work,
                             capture_output=True, text=True)
        assert res.returncode == 0, res.stderr[-2000:]
        return {line.split("\t")[0] for line in res.stdout.splitlines()[1:] if line}

    full = targets()
    cfg.write_text(cfg.read_text().replace("leave_one_out: true", "leave_one_out: false"))
    off = targets()
    removed = full - off
    assert removed and all("/leave_one_out/" in f for f in removed)
    assert off <= full


@pytest.mark.workflow
def test_forced_rerun_is_byte_identical(run):
    """snakemake --forceall twice gives identical files under results/ (figures and notebooks included)."""
    def digests():
        return {p.relative_to(run): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in (run / "results").rglob("*") if p.is_file() and "screenshots" not in p.parts}

    before = digests()
    res = smk(run, "--forceall", "--config", "reviews=[orhurhu2019,zhao2018,pereira2022,update16,fleiss1993,bcg]")
    assert res.returncode == 0, res.stderr[-3000:]
    after = digests()
    assert len(before) > 100 and before.keys() == after.keys()
    assert [str(p) for p in before if before[p] != after[p]] == []


@pytest.mark.workflow
def test_review_without_published_figures_runs(tmp_path):
    """A review that publishes nothing (here: BCG with its published table emptied, and no analysis naming a
    published figure, which a spec may not name when it does not exist) still runs to the report."""
    work = copy_project(tmp_path)
    pub = work / "data/raw/conformance/bcg_published.csv"
    pub.write_text(pub.read_text().splitlines()[0] + "\n")
    res = smk(work, "-n", "--config", "reviews=[bcg]")
    assert res.returncode != 0 and "'rr_fixed' is not a result_id of review 'bcg'" in res.stderr
    spec = work / "config/reviews/bcg.yaml"
    spec.write_text("\n".join(line for line in spec.read_text().splitlines() if "published: [" not in line) + "\n")
    res = smk(work, "--config", "reviews=[bcg]")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    assert pd.read_csv(work / "results/reproduction.csv").empty
    assert (work / "results/report/index.html").stat().st_size > 0


@pytest.mark.workflow
def test_subgroup_analysis_in_the_pipeline_matches_metafor(run):
    """BCG by allocation: per-subgroup DL pools and RevMan's test for subgroup differences, as metafor computes
    them (tests/reference/metafor_reference.csv, SUBGROUP_alloc_DL), and beside it the common-τ² test the spec
    names as the review's (subgroup_test: REML), as metafor's rma(yi, vi, mods = ~ factor(alloc)) computes it."""
    from conftest import COMMITTED, read_reference

    ref = read_reference(COMMITTED)
    ref = ref[ref.fixture == "dat_bcg"]
    dl, reml = (ref[ref.analysis == f"SUBGROUP_alloc_{m}"].set_index("quantity") for m in ("DL", "REML"))
    sub = pd.read_csv(run / "results/bcg/rr_dl/primary/subgroups.csv").sort_values("subgroup")
    assert list(sub.estimate) == pytest.approx(list(dl.loc["estimate"].sort_values("i").value), rel=1e-9)
    for ours, theirs, table in (("q_between", "q_between", dl), ("q_between_p", "q_between_p", dl),
                                ("qm", "qm", reml), ("qm_p", "qm_p", reml)):
        assert sub[ours].iloc[0] == pytest.approx(table.loc[theirs, "value"], rel=1e-6), ours
    assert sub.q_between_df.iloc[0] == dl.loc["q_between_df", "value"] == sub.qm_df.iloc[0] == 2
    assert (run / "results/figures/bcg/rr_dl.subgroups.svg").stat().st_size > 1000


def _svg_texts(path):
    """The strings a reader sees in one of our SVG figures (its <text> elements, one per line of a label)."""
    return [html.unescape(t) for t in re.findall(r"<text\b[^>]*>(.*?)</text>", path.read_text(), re.S)]


def _row(path, label):
    """The cells of the forest-plot row whose study is ``label``, by column (0 study, 1 and 2 the arms, 3 weight,
    4 estimate [95% CI]), from the ids the plot gives its cells."""
    rows = {}
    for r, c, g in re.findall(r'<g id="forest-r(-?\d+)c(\d)">(.*?)</g>', path.read_text(), re.S):
        # a cell wrapped over lines (a reason) is one <text> per line: read as one
        rows.setdefault(r, {})[int(c)] = " ".join(html.unescape(t) for t in re.findall(r"<text\b[^>]*>(.*?)</text>",
                                                                                     g, re.S))
    return next(row for row in rows.values() if row.get(0) == label)


@pytest.mark.workflow
@pytest.mark.parametrize("review, outcome", [("pereira2022", "pain_1week"), ("pereira2022", "psychedelic"),
                                             ("zhao2018", "responders_immediate"), ("zhao2018", "pain_prepost"),
                                             ("orhurhu2019", "responders")])
def test_ketamine_forest_lists_every_member_trial_and_the_published_diamond(run, review, outcome):
    """Every trial the review included or may have included (data/raw/membership.csv) is a row: drawn when it was
    pooled, otherwise "not available" with the clean stage's reason (or "not pooled" with its arm
    data, for a candidate with usable data: Noppers 2011 among Orhurhu's responders); the published pooled figure
    (data/raw/published.csv, the one config/reviews/<review>.yaml names) is printed and drawn beside ours."""
    import yaml

    svg = run / f"results/figures/{review}/{outcome}.forest.svg"
    texts = _svg_texts(svg)
    members = pd.read_csv(ROOT / "data/raw/membership.csv").query("review == @review")
    trials = pd.read_csv(ROOT / "data/raw/trials.csv").set_index("trial_id")
    pooled = set(pd.read_csv(run / f"results/{review}/{outcome}/primary/studies.csv").trial_id)
    excl = pd.read_csv(run / f"data/processed/{review}/exclusions.csv").query("analysis == @outcome")
    assert len(members) > 0
    members = members.assign(name=[f"{trials.at[t, 'first_author']} {int(trials.at[t, 'year'])}"
                                   for t in members.trial_id])
    for name, group in members.groupby("name"):
        # two trials of one author and year (kiefer2008a/b) are told apart by a letter; * marks a candidate
        labels = [t for t in texts if re.fullmatch(re.escape(name) + r"[a-z]?\*?", t)]
        assert len(labels) == len(group), (name, labels)
        assert sum(t.endswith("*") for t in labels) == (group.status == "candidate").sum(), labels
        rows = [_row(svg, t) for t in labels]
        assert sum(r[4] in ("not available", "not pooled") for r in rows) == (~group.trial_id.isin(pooled)).sum()
        for m in group.itertuples():
            if m.trial_id in pooled or len(group) > 1:
                continue
            for why in excl[excl.trial_id == m.trial_id].reason:  # the clean stage's, for counted members
                shown = rows[0][1]  # word for word, or its first two lines when longer ("…")
                assert shown == why or (shown.endswith("\u2026") and why.startswith(shown[:-1])), (shown, why)
    assert texts.count("not available") + texts.count("not pooled") == len(members) - len(pooled)
    spec = yaml.safe_load((ROOT / f"config/reviews/{review}.yaml").read_text())["analyses"][outcome]
    pub = pd.read_csv(ROOT / "data/raw/published.csv", dtype=str).query("review == @review")
    pub = pub.set_index("result_id").loc[spec["published"][0]]
    heading = next(t for t in texts if t.startswith("Published pooled figure"))
    assert heading.startswith(f"Published pooled figure ({spec['published'][0]}; ")
    if pd.isna(pub.estimate):
        assert "not printed" in texts[texts.index(heading) + 1]
        return
    unit = "%" if pub.scale == "percent" else ""
    assert f"{pub.estimate}{unit} [{pub.ci_low}{unit}, {pub.ci_high}{unit}]" in texts
    assert "stroke: #b2182b" in svg.read_text()


@pytest.mark.workflow
def test_conformance_forest_draws_every_study_and_the_published_diamond(run):
    """BCG (random effects, RR): the 13 trials of data/raw/conformance/bcg_studies.csv drawn with data, none "not
    available", and metafor's published 0.4896 [0.3449, 0.6950] (bcg_published.csv) beside our pool."""
    svg = run / "results/figures/bcg/rr_dl.forest.svg"
    texts = _svg_texts(svg)
    studies = pd.read_csv(ROOT / "data/raw/conformance/bcg_studies.csv")
    pub = pd.read_csv(ROOT / "data/raw/conformance/bcg_published.csv", dtype=str).set_index("result_id").loc["rr_dl"]
    for s in studies.iloc[:, 0]:
        assert s in texts
        assert re.fullmatch(r"\d+\.\d{2} \[\d+\.\d{2}, \d+\.\d{2}\]", _row(svg, s)[4]), _row(svg, s)
    assert "not available" not in texts and "Not in the pool" not in " ".join(texts)
    assert f"{pub.estimate} [{pub.ci_low}, {pub.ci_high}]" in texts
    assert f"Published pooled figure (rr_dl; k = {pub.k})" in texts
    assert "0.49 [0.34, 0.70]" in texts  # our pool, as printed by metafor for dat.bcg (0.4896 [0.3449, 0.6950])



@pytest.mark.workflow
def test_a_run_of_other_reviews_shows_and_keeps_only_its_own_outputs(tmp_path):
    """Issue 20: after a run of zhao2018, a run of bcg. Its report embeds nothing of zhao2018 (nor the umbrella
    view, which only the ledger reviews have), zhao2018's outputs are moved to deselected/, and `snakemake
    --report` with zhao2018's config stops, naming the selection results/ holds."""
    work = copy_project(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    cfg = work / "config/config.yaml"
    cfg.write_text(cfg.read_text().replace(": true", ": false"))  # sensitivity analyses are tested elsewhere
    res = smk(work, "--config", "reviews=[zhao2018]")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    assert (work / "results/figures/umbrella.forest.svg").exists()
    res = smk(work, "--config", "reviews=[bcg]")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    assert "zhao2018 is no longer selected: its outputs were moved to deselected/zhao2018/" in res.stdout
    index = (work / "results/report/index.html").read_text()
    assert "umbrella.forest.svg" not in index and "overlap.svg" not in index and "zhao2018" not in index
    pages = sorted(p.name for p in (work / "results/report").glob("*.html"))
    assert pages == sorted(["index.html", "bcg.html", "bcg-studies.html", "bcg-figures.html", "ledger.html",
                            "conflicts.html", "missing.html", "audit.html", "provenance.html"])
    assert not (work / "results/zhao2018").exists() and not (work / "results/umbrella").exists()
    assert not list((work / "results").rglob("zhao2018*"))
    assert (work / "deselected/zhao2018/zhao2018").is_dir()
    assert (work / "deselected/zhao2018/worksheets/zhao2018.xlsx").is_file()
    assert (work / "deselected/umbrella/umbrella/umbrella.csv").is_file()
    res = smk(work, "--report", "results/snakemake-report.zip", "--config", "reviews=[zhao2018]")
    out = res.stdout + res.stderr
    assert res.returncode != 0 and "Traceback" not in out
    assert "ERROR: snakemake --report: results/ holds reviews=['bcg'], outcomes=[], not reviews=['zhao2018']" in out
    assert not (work / "results/snakemake-report.zip").exists()
    res = smk(work, "--report", "results/snakemake-report.zip", "--config", "reviews=[bcg]")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
