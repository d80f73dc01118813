import hashlib
import json
from functools import cache
from pathlib import Path

from snakemake.utils import min_version

min_version("9.4")

ROOT = Path(workflow.basedir)
ENV = "../envs/pipeline.yaml"
# Priority of the jobs the notebooks wait for: the notebooks job (which needs every figure) is the longest at the
# end of a run, so the jobs only the report needs (worksheets, audit, flow diagrams, convergence, input
# checksums) keep the default 0 and run beside it instead of before it.
FIRST = 1
# The package's plain-Python modules (no numpy/pandas: imported at every start; checks.smk put src/ on the path)
# hold the analysis plan and the names of the tables, sheets and pages the rules declare, so the rules never
# retype them.
from ketamine_ma.ledger import plan, vocabulary
from ketamine_ma.ledger.contrib import route
from ketamine_ma.outputs import report_files
from ketamine_ma.stages import code_inputs


def code(script):
    """The code a job runs: its script and every package module it imports, transitively (an input of every
    rule, so an edit reruns exactly the jobs that run the edited code)."""
    return code_inputs.code(ROOT, script)


@cache  # one read per schema, not one per spec
def _schema(name):
    return _specs.read_yaml(ROOT / "config/schemas" / name)


def _validate(doc, schema, name):
    """Schema check (filling the schema's defaults), one line naming the file, analysis and key on a violation."""
    problem = _specs.validate(doc, _schema(schema), name)
    if problem:
        stop(problem)


_validate(config, "config.schema.yaml", "config (config/config.yaml and --config)")


# the review registry: every review with a spec file (a review name anywhere else must be one of these)
SPEC_NAMES = _specs.spec_names(ROOT)


def load_spec(review):
    path = ROOT / vocabulary.SPEC_DIR / f"{review}.yaml"
    name = path.relative_to(ROOT)
    if review not in SPEC_NAMES:
        stop(f"config 'reviews': {vocabulary.no_spec(review, SPEC_NAMES)}")
    try:
        spec = _specs.read_yaml(path, ROOT)
    except _specs.SpecError as e:
        stop(e)
    _validate(spec, "review.schema.yaml", str(name))
    if spec["review"] != review:
        stop(f"{name}: key 'review' is {spec['review']!r}, expected {review!r}")
    return spec


SPECS = {r: load_spec(r) for r in config["reviews"]}
# the selected reviews read from the evidence ledger (the others are conformance reviews read from their file)
LEDGER_REVIEWS = [r for r, s in SPECS.items() if s["source"] == "ledger"]


def _contributed_figures():
    """The figures the contributions' published sheets give (a spec may name them)."""
    units = route.discover(ROOT / config["contrib"])
    if not units:
        return set()
    # imported here: reading the worksheets needs pandas, which a run without contributions never pays for
    from ketamine_ma.ledger.contrib.read import published_ids

    return published_ids(units)


_checker = _specs.Checker(ROOT, _contributed_figures())
_problems = [
    p
    for r, s in SPECS.items()
    for p in _checker.problems(f"config/reviews/{r}.yaml", s)
] + _specs.unknown_reviews(ROOT, SPEC_NAMES)
if _problems:
    stop("\n".join(_problems))


wildcard_constraints:
    review="|".join(SPECS),


_known = sorted({k for s in SPECS.values() for k in s["analyses"]})
for _o in config["outcomes"]:
    if _o not in _known:
        stop(
            f"config 'outcomes': {_o!r} is not an analysis of the selected reviews; allowed: {', '.join(_known)}"
        )


def outcomes_of(review):
    keys = list(SPECS[review]["analyses"])
    return [k for k in keys if not config["outcomes"] or k in config["outcomes"]]


def _routed():
    """Contributions in the config's folder, each routed to the ledger reviews it touches (so a contribution
    reruns only those reviews' jobs), as paths relative to the project."""
    units = route.discover(ROOT / config["contrib"])
    if not units:
        return {r: [] for r in LEDGER_REVIEWS}
    # imported here: reading the worksheets needs pandas, which a run without contributions never pays for
    from ketamine_ma.ledger.contrib.read import routes

    found = routes(units, SPECS, LEDGER_REVIEWS, ROOT / "data/raw/membership.csv")
    return {r: [str(u.relative_to(ROOT)) for u in us] for r, us in found.items()}


CONTRIBUTIONS = _routed()


def contribution_files(review):
    """The files of the contributions routed to ``review`` (a folder of CSV twins: its sheets' CSV files)."""
    return [
        str(f.relative_to(ROOT))
        for unit in CONTRIBUTIONS.get(review, [])
        for f in route.unit_files(ROOT / unit)
    ]


def check_inputs():
    """What can be checked before any job runs is checked here, in Snakemake's own process: every contribution,
    read and validated once against the selected reviews, so a bad cell stops the run with one message before any
    job writes anything (each review's contribute job repeats it on its share). Repeated only when something it
    depends on changed (its fingerprint in .snakemake/inputs_checked.json, Snakemake's own state folder, so a run
    stopped by a later check leaves data/ untouched): contributions, the raw ledger, the selection and specs, the
    code. A new up-front check (full texts) joins this function and its fingerprint.

    Not a job that the others wait for: Snakemake skips evaluating the jobs below a job that reruns when the link
    is ancient(), so a new contribution would not have rerun its review, and without ancient() every rerun of the
    checks would rerun every result.
    """
    units = sorted({u for r in CONTRIBUTIONS for u in CONTRIBUTIONS[r]})
    if not units:
        return
    files = sorted({f for r in CONTRIBUTIONS for f in contribution_files(r)})
    files += sorted(str(p.relative_to(ROOT)) for p in (ROOT / "data/raw").glob("*.csv"))
    files += code("contribute.py")
    h = hashlib.sha256(json.dumps([units, SPECS], sort_keys=True, default=str).encode())
    for f in files:
        h.update(f.encode() + b"\0" + (ROOT / f).read_bytes())
    stamp = ROOT / ".snakemake/inputs_checked.json"
    if (
        stamp.exists()
        and json.loads(stamp.read_text()).get("fingerprint") == h.hexdigest()
    ):
        return
    from ketamine_ma.ledger.tables import load_ledger
    from ketamine_ma.stages import completion
    from ketamine_ma.stages.io import USER_ERRORS

    try:
        completion.contribute(
            load_ledger(ROOT / "data/raw", reviews=SPEC_NAMES),
            units,
            list(SPECS),
            SPECS,
        )
    except USER_ERRORS as e:
        stop(e)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(
        json.dumps({"fingerprint": h.hexdigest(), "contributions": units}, indent=2)
        + "\n"
    )


check_inputs()


def variants(review=None):
    """Study-table variants the clean stage builds: the main reading plus the plan's sensitivity readings (a
    review with contributions also gets the other reading of conflicts and its trials at low risk of bias).
    """
    return plan.readings(config, bool(CONTRIBUTIONS.get(review)))


def sensitivity_analyses(review, outcome):
    """Names of the sensitivity analyses that apply to one analysis of one review (``ketamine_ma.ledger.plan``)."""
    return plan.analyses(
        SPECS[review]["analyses"][outcome], config, bool(CONTRIBUTIONS.get(review))
    )


def table(review, variant, outcome):
    return f"data/processed/{review}/{variant}/{outcome}.csv"


def flat(files):
    """The paths of a ``{key: path}`` mapping, nested or with lists: the rule's input or output list of the
    mapping its script gets in ``params`` (a job that reads or writes a variable set of files).
    """
    if isinstance(files, dict):
        return [p for v in files.values() for p in flat(v)]
    return [p for v in files for p in flat(v)] if isinstance(files, list) else [files]


def clean_tables(review):
    """The study tables a review's clean job writes, ``{variant: {analysis: path}}``."""
    return {
        v: {o: table(review, v, o) for o in outcomes_of(review)}
        for v in variants(review)
    }


def analysis_results(review, outcome):
    """The files one analysis' analyse job writes (the one place for their names): the primary pool's studies,
    pooled and subgroups tables, ``sensitivity``: studies and pooled per sensitivity analysis of the plan, and the
    small-study and influence tables when config runs them (absent keys: not run, not declared).
    """
    base = f"results/{review}/{outcome}"
    files = {
        "primary": {
            f: f"{base}/primary/{f}.csv" for f in ("studies", "pooled", "subgroups")
        },
        "sensitivity": {
            a: {f: f"{base}/{a}/{f}.csv" for f in ("studies", "pooled")}
            for a in sensitivity_analyses(review, outcome)
        },
    }
    for kind in plan.diagnostics(config):
        files[kind] = f"{base}/{kind}.csv"
    return files


def analysis_figure(review, outcome, kind):
    """One analysis' figure as SVG (``kind``: forest, funnel, sensitivity, subgroups), or its captions.json."""
    name = kind if kind == "captions.json" else f"{kind}.svg"
    return f"results/figures/{review}/{outcome}.{name}"


def clean_reads(review):
    """A ledger review's main study tables and the processed ledger tables its clean stage read them from (the
    coverage job checks each table's citations against that ledger)."""
    return {
        "ledger": ledger_tables(review_ledger(review), ("extraction", "membership")),
        "tables": clean_tables(review)["main"],
    }


def final_outputs():
    out = [
        POOLED,
        REPRODUCTION,
        AUDIT,
        COVERAGE,
        PROVENANCE,
        REPORT_INDEX,
        CONVERGENCE,
    ]
    if LEDGER_REVIEWS:
        out.append(VERIFICATION)
    out += [worksheet(r) for r in SPECS]
    if LEDGER_REVIEWS:
        out += [UMBRELLA, CROSS_REVIEW_NOTEBOOK]
    out += [notebook_html(r) for r in SPECS]
    for r in SPECS:
        if r in LEDGER_REVIEWS:
            out.append(flow_figure(r))
        for o in outcomes_of(r):
            out.append(analysis_figure(r, o, "forest"))
    # Snakemake checks only the outputs something asks for: the other formats are asked for here.
    out += [f for svg in figure_svgs() for f in other_formats(svg)]
    return out


def figure_inputs(r, o):
    """Inputs of one analysis' figures: the primary pool plus whichever sensitivity outputs config enables."""
    res = analysis_results(r, o)
    files = dict(res["primary"])
    if "small_study" in res:
        files["small_study"] = res["small_study"]
    for name, key in (("leave_one_out", "loo"), ("cumulative", "cumulative")):
        if name in res["sensitivity"]:
            files[key] = res["sensitivity"][name]["pooled"]
    return files


def member_outputs(r):
    """What the clean stage writes of every confirmed or candidate member of review ``r`` under the main reading:
    per analysis the usable rows, and the reasons and missing cells of those without usable data.
    """
    return {
        "members": {o: f"data/processed/{r}/members/{o}.csv" for o in outcomes_of(r)},
        "member_exclusions": f"data/processed/{r}/member_exclusions.csv",
        "member_missing": f"data/processed/{r}/member_missing_cells.csv",
    }


def forest_gap_inputs(r):
    """The forest plot's published figure and, for ledger reviews, the clean stage's members its gap rows list."""
    if r not in LEDGER_REVIEWS:
        return {"published": conformance_table(r, "published")}
    m = member_outputs(r)
    return {
        "published": ledger_view("published"),
        **m,
        "members": flat(m["members"]),
    }


FIGURES = {
    "forest": ("forest.rst", "forest plot"),
    "funnel": ("funnel.rst", "funnel plot"),
    "sensitivity": ("sensitivity.rst", "leave-one-out and cumulative"),
    "subgroups": ("subgroups.rst", "subgroups"),
}


def other_formats(svg):
    """The figure ``svg`` in the other formats of config figure_formats (png, pdf): outputs of the job that draws
    the SVG (the reports show SVG), so switching a format off removes exactly its files and reruns nothing.
    """
    stem = svg.removesuffix(".svg")
    return [f"{stem}.{fmt}" for fmt in config["figure_formats"] if fmt != "svg"]


def flow_figure(review):
    """A ledger review's flow diagram (SVG)."""
    return f"results/figures/{review}.flow.svg"


UMBRELLA_FIGURES = {
    "forest": "results/figures/umbrella.forest.svg",
    "overlap": "results/figures/overlap.svg",
}


def figure_svgs():
    """Every figure of the run, as its SVG."""
    files = []
    for r in SPECS:
        if r in LEDGER_REVIEWS:
            files.append(flow_figure(r))
        files += [
            analysis_figure(r, o, kind) for o in outcomes_of(r) for kind in FIGURES
        ]
    if LEDGER_REVIEWS:
        files += list(UMBRELLA_FIGURES.values())
    return files


def figure_report(review, outcome, kind):
    """One analysis' SVG figure, marked for Snakemake's report under its review and analysis."""
    caption, label = FIGURES[kind]
    return report(
        analysis_figure(review, outcome, kind),
        caption=f"../report/{caption}",
        category=review,
        subcategory=outcome,
        labels={"analysis": outcome, "figure": label},
    )


def pooled_files():
    files = []
    for r in SPECS:
        for o in outcomes_of(r):
            res = analysis_results(r, o)
            files.append(res["primary"]["pooled"])
            files += [s["pooled"] for s in res["sensitivity"].values()]
    return files


def provenance_inputs():
    """Everything a successful run delivers (the results the report shows among them), so
    results/provenance.json is written last and records it."""
    files = [f for f in final_outputs() if f != PROVENANCE]
    shown = [f for f in flat(report_inputs()) if f.startswith("results/")]
    return sorted(set(files + shown + pooled_files()))


def small_study_tables():
    """``{review: {analysis: path}}`` of the small-study tables config runs (reproduction: small-study tests and
    trim-and-fill figures)."""
    return {
        r: {
            o: analysis_results(r, o)["small_study"]
            for o in outcomes_of(r)
            if "small_study" in analysis_results(r, o)
        }
        for r in SPECS
    }


def subgroup_tests():
    """``{review: {analysis: path}}`` of the subgroup tables of the analyses with subgroups (reproduction)."""
    return {
        r: {
            o: analysis_results(r, o)["primary"]["subgroups"]
            for o in outcomes_of(r)
            if SPECS[r]["analyses"][o].get("subgroups")
        }
        for r in SPECS
    }


def conformance_reviews():
    return [r for r, s in SPECS.items() if s["source"] in ("rm5", "table")]


def conformance_inputs(wildcards):
    spec = SPECS[wildcards.review]
    if spec["source"] == "rm5":
        return {"rm5": spec["rm5"]}
    return {"studies": spec["studies"], "published": spec["published_table"]}


def clean_inputs(review):
    if SPECS[review]["source"] in ("rm5", "table"):
        return {"conformance_studies": conformance_table(review, "studies")}
    return {
        "ledger": flat(ledger_tables(review_ledger(review), vocabulary.TABLES)),
        "checksums": LEDGER_CHECKSUMS,
        "risk_of_bias": f"{review_ledger(review)}/risk_of_bias.csv",
    }


# The merged ledger (ketamine_ma.ledger.merged): the union of the reviews' processed ledgers, which every output
# spanning reviews reads.
LEDGER_VIEW = vocabulary.MERGED_VIEW


VALIDATED_LEDGER = "data/processed/ledger"
LEDGER_CHECKSUMS = f"{VALIDATED_LEDGER}/checksums.json"
MERGED_LEDGER = "data/processed/merged"


def review_ledger(review):
    """The folder of a ledger review's processed ledger (``{review}``: the contribute rule's wildcard)."""
    return f"data/processed/{review}/ledger"


def clean_logs(review):
    """The clean stage's exclusion log and missing cells of ``review``."""
    return {
        "exclusions": f"data/processed/{review}/exclusions.csv",
        "missing": f"data/processed/{review}/missing_cells.csv",
    }


def ledger_tables(folder, tables):
    """``{table: path}`` of a ledger's tables in ``folder``."""
    return {t: f"{folder}/{t}.csv" for t in tables}


def ledger_view(table):
    """The merged ledger's table ``table``, every contribution in it (published figures: the raw table)."""
    return f"{MERGED_LEDGER if table in LEDGER_VIEW else VALIDATED_LEDGER}/{table}.csv"


def published_inputs():
    files = [ledger_view("published")]
    files += [conformance_table(r, "published") for r in conformance_reviews()]
    return files


def report_inputs():
    """What the HTML report reads and embeds, as ``{key: path}`` (the report job's params; its paths are the
    job's inputs): the run's tables, the merged ledger, the reviews' processed extraction tables, and per review
    its flow diagram and per analysis the study rows of every pool, its figures and their captions, and the
    small-study and influence tables, and what the worksheet job read from the review's PDFs. A key left out (a conformance review's flow, small-study tests switched
    off) is a section the report leaves out; a path given is a file it must read (ketamine_ma.outputs.report).
    The notebooks it links are not inputs: the run executes them beside the report, the last two jobs before
    provenance.json.
    """
    reviews = {}
    for r in SPECS:
        analyses = {}
        for o in outcomes_of(r):
            res = analysis_results(r, o)
            analyses[o] = {
                "studies": {
                    "primary": res["primary"]["studies"],
                    **{a: f["studies"] for a, f in res["sensitivity"].items()},
                },
                **{k: res[k] for k in plan.DIAGNOSTICS if k in res},
                "figures": {k: analysis_figure(r, o, k) for k in FIGURES},
                "captions": analysis_figure(r, o, "captions.json"),
            }
        # what the worksheet job read from the review's PDFs, for the report's page of it
        reviews[r] = {"analyses": analyses, "figures_read": figures_read(r)}
        if r in LEDGER_REVIEWS:
            reviews[r]["flow"] = flow_figure(r)
    files = {
        "pooled": POOLED,
        "reproduction": REPRODUCTION,
        "audit": AUDIT,
        "audit_totals": AUDIT_TOTALS,
        "audit_percentages": AUDIT_PERCENTAGES,
        "coverage": COVERAGE,
        "missing": MISSING_CELLS,
        "provenance": PROVENANCE_INPUTS,
        **{t: ledger_view(t) for t in LEDGER_VIEW},
        "published": ledger_view("published"),
        "review_extraction": [
            f"{review_ledger(r)}/extraction.csv" for r in LEDGER_REVIEWS
        ],
        "exclusions": [clean_logs(r)["exclusions"] for r in SPECS],
        "reviews": reviews,
    }
    if LEDGER_REVIEWS:
        files["verification"] = VERIFICATION
        files["umbrella"] = UMBRELLA_FIGURES
    return files


def worksheet_inputs(wildcards):
    """A worksheet is built from the review's processed ledger and missing cells (or its conformance studies)."""
    r = wildcards.review
    if r in LEDGER_REVIEWS:
        return {
            "ledger": flat(ledger_tables(review_ledger(r), vocabulary.MERGED)),
            # the rows contributed so far, carried into the next worksheet
            "contributions": f"{review_ledger(r)}/contributions.csv",
            **fulltext_inputs(),
            # the pictures of the PDFs' forest plots and tables, for the figures page
            "pictures": expand(
                FULLTEXT_PICTURES, sha=FULLTEXT_FILES if FULLTEXT_ON else []
            ),
            **clean_logs(r),
            # the candidates' reasons and missing cells, as the clean stage reads them
            "member_exclusions": member_outputs(r)["member_exclusions"],
            "member_missing": member_outputs(r)["member_missing"],
        }
    return {"studies": conformance_table(r, "studies")}


REPORT_ASSETS = ROOT / "src/ketamine_ma/outputs"


def report_worksheets(wildcards):
    """The extraction worksheets the landing page links, when a rule of this workflow writes them."""
    made = any(
        str(f).startswith(WORKSHEETS) for rule in workflow.rules for f in rule.output
    )
    return [worksheet(r) for r in SPECS] if made else []


# Full texts (workflow/rules/fulltext.smk)

FULLTEXT = ROOT / config["fulltext"]


def _fulltext_files():
    """{sha256: path} of the folder's PDFs, hashed at DAG build (milliseconds per paper) so that a job reads a
    PDF only when its content is new. Links out of the folder are not read here: the index job rejects them.
    """
    files = {}
    if not FULLTEXT.is_dir():
        return files
    inside = FULLTEXT.resolve()
    for p in sorted(FULLTEXT.rglob("*")):
        rel = p.relative_to(FULLTEXT)
        if p.suffix.lower() != ".pdf" or any(s.startswith(".") for s in rel.parts):
            continue
        if p.is_file() and p.resolve().is_relative_to(inside):
            sha = hashlib.sha256(p.read_bytes()).hexdigest()
            files.setdefault(sha, str(p.relative_to(ROOT)))
    return files


def _manifest_rows():
    path = FULLTEXT / "documents.csv"
    if not path.exists():
        return 0
    lines = [
        ln for ln in path.read_text(encoding="utf-8").splitlines()[1:] if ln.strip(" ,")
    ]
    return len(lines)


FULLTEXT_FILES = _fulltext_files()
FULLTEXT_ON = (
    bool(FULLTEXT_FILES)
    or _manifest_rows() > 0
    or (
        FULLTEXT.is_dir()
        and any(p.suffix.lower() == ".pdf" for p in FULLTEXT.rglob("*"))
    )
)


wildcard_constraints:
    sha="[0-9a-f]{64}",


def fulltext_inputs():
    """The index and page texts a job verifies or hints with ({} when the folder holds no full text)."""
    if not FULLTEXT_ON:
        return {}
    return {
        "documents": FULLTEXT_DOCUMENTS,
        "pages": expand(FULLTEXT_PAGES, sha=FULLTEXT_FILES),
    }


def verification_inputs():
    """Per ledger review the processed ledger tables the verification job reads and its primary study tables."""
    return {
        r: {
            **ledger_tables(review_ledger(r), ("extraction", "membership")),
            "studies": [
                analysis_results(r, o)["primary"]["studies"] for o in outcomes_of(r)
            ],
        }
        for r in LEDGER_REVIEWS
    }
