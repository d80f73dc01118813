# The inputs and params of the rules that read a variable set of files, one function per rule or stage (the
# paths they combine are those of paths.smk); functions only, as Snakemake's linter asks of a rules file.


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


def pooled_files():
    """The pooled table of every analysis, primary and sensitivity (the summary job's inputs)."""
    files = []
    for r in SPECS:
        for o in outcomes_of(r):
            res = analysis_results(r, o)
            files.append(res["primary"]["pooled"])
            files += [s["pooled"] for s in res["sensitivity"].values()]
    return files


FIGURES = {
    "forest": ("forest.rst", "forest plot"),
    "funnel": ("funnel.rst", "funnel plot"),
    "sensitivity": ("sensitivity.rst", "leave-one-out and cumulative"),
    "subgroups": ("subgroups.rst", "subgroups"),
}


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


REPORT_ASSETS = ROOT / "src/ketamine_ma/outputs"


def clean_reads(review):
    """A ledger review's main study tables and the processed ledger tables its clean stage read them from (the
    coverage job checks each table's citations against that ledger)."""
    return {
        "ledger": ledger_tables(review_ledger(review), ("extraction", "membership")),
        "tables": clean_tables(review)["main"],
    }


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


def published_inputs():
    files = [ledger_view("published")]
    files += [conformance_table(r, "published") for r in conformance_reviews()]
    return files


def report_inputs():
    """What the HTML report reads and embeds, as ``{key: path}`` (the report job's params; its paths are the
    job's inputs): the run's tables, the merged ledger, the reviews' processed extraction tables, and per review
    its flow diagram and per analysis the study rows of every pool, its figures and their captions, and the
    small-study and influence tables, and what the worksheet job read from the review's PDFs. A key left out (a
    conformance review's flow, small-study tests switched off) is a section the report leaves out; a path given is
    a file it must read (ketamine_ma.outputs.report). The notebooks it links are not inputs: the run executes them
    beside the report, the last two jobs before provenance.json.
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


def report_worksheets(wildcards):
    """The extraction worksheets the landing page links, when a rule of this workflow writes them."""
    made = any(
        str(f).startswith(WORKSHEETS) for rule in workflow.rules for f in rule.output
    )
    return [worksheet(r) for r in SPECS] if made else []
