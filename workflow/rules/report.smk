rule reproduction:
    input:
        published=published_inputs(),
        pooled=POOLED,
        exclusions=[clean_logs(r)["exclusions"] for r in SPECS],
        missing=[clean_logs(r)["missing"] for r in SPECS],
        subgroups=flat(subgroup_tests()),
        small_study=flat(small_study_tables()),
        code=code("reproduction.py"),
    output:
        report(
            REPRODUCTION,
            caption="../report/reproduction.rst",
            category="Summary",
            subcategory="reproduction",
        ),
    log:
        "logs/report/reproduction.log",
    benchmark:
        "benchmarks/report/reproduction.tsv"
    priority: FIRST
    conda:
        ENV
    params:
        specs=SPECS,
        subgroups=subgroup_tests(),
        small_study=small_study_tables(),
        conventions={r: _specs.conventions(s) for r, s in SPECS.items()},
    script:
        "../scripts/reproduction.py"


rule coverage:
    input:
        ledger=[ledger_view(t) for t in vocabulary.TABLES],
        pooled=POOLED,
        exclusions=[clean_logs(r)["exclusions"] for r in SPECS],
        missing=[clean_logs(r)["missing"] for r in SPECS],
        tables=[table(r, "main", o) for r in LEDGER_REVIEWS for o in outcomes_of(r)],
        clean_ledgers=[
            f for r in LEDGER_REVIEWS for f in clean_reads(r)["ledger"].values()
        ],
        code=code("coverage.py"),
    output:
        coverage=report(
            COVERAGE,
            caption="../report/coverage.rst",
            category="Summary",
            subcategory="ledger coverage",
        ),
        missing=report(
            MISSING_CELLS,
            caption="../report/missing_cells.rst",
            category="Summary",
            subcategory="ledger coverage",
        ),
        exclusions="results/ledger/exclusions.csv",
        trial_exclusions="results/ledger/trial_exclusions.csv",
    log:
        "logs/report/coverage.log",
    benchmark:
        "benchmarks/report/coverage.tsv"
    priority: FIRST
    conda:
        ENV
    params:
        specs={r: SPECS[r] for r in LEDGER_REVIEWS},
        policy=config["membership"],
        cited={r: clean_reads(r) for r in LEDGER_REVIEWS},
    script:
        "../scripts/coverage.py"


rule record_inputs:
    input:
        raw=tree_files("data/raw"),
        config=tree_files("config"),
        # what readers gave the run: their contributions and the full texts their quotes are verified against
        contributions=sorted({f for r in CONTRIBUTIONS for f in contribution_files(r)}),
        fulltext=sorted(set(FULLTEXT_FILES.values())),
        code=code("record_inputs.py"),
    output:
        PROVENANCE_INPUTS,
    log:
        "logs/report/record_inputs.log",
    benchmark:
        "benchmarks/report/record_inputs.tsv"
    conda:
        ENV
    params:
        config=config,
    script:
        "../scripts/record_inputs.py"


# Last job of a run: a failed run leaves no provenance record behind.
rule provenance:
    input:
        inputs=PROVENANCE_INPUTS,
        outputs=provenance_inputs(),
        code=code("provenance.py"),
    output:
        PROVENANCE,
    log:
        "logs/report/provenance.log",
    benchmark:
        "benchmarks/report/provenance.tsv"
    conda:
        ENV
    script:
        "../scripts/provenance.py"


_REPORT_INPUTS = report_inputs()


rule report:
    input:
        files=flat(_REPORT_INPUTS),
        worksheets=report_worksheets,
        templates=sorted(
            str(p.relative_to(ROOT))
            for p in (REPORT_ASSETS / "templates").glob("*.j2")
        ),
        static=[
            str((REPORT_ASSETS / "static" / f).relative_to(ROOT))
            for f in report_files.STATIC_FILES
        ],
        code=code("report.py"),
    output:
        index=REPORT_INDEX,
        pages=[
            f"results/report/{p}"
            for p in report_files.page_names(SPECS)
            if p != "index.html"
        ],
        static=[f"results/report/static/{f}" for f in report_files.STATIC_FILES],
    log:
        "logs/report/report.log",
    benchmark:
        "benchmarks/report/report.tsv"
    conda:
        ENV
    params:
        files=_REPORT_INPUTS,
        specs=SPECS,
        notebooks=[n["html"] for n in _NOTEBOOKS.values()],
        fulltext=config["fulltext"],
    script:
        "../scripts/report.py"


rule audit_published:
    input:
        published=published_inputs(),
        extraction=ledger_view("extraction"),
        code=code("audit_published.py"),
    output:
        published=AUDIT,
        totals=AUDIT_TOTALS,
        percentages=AUDIT_PERCENTAGES,
    log:
        "logs/report/audit_published.log",
    benchmark:
        "benchmarks/report/audit_published.tsv"
    conda:
        ENV
    params:
        reviews=list(SPECS),
    script:
        "../scripts/audit_published.py"


rule umbrella:
    input:
        published=ledger_view("published"),
        membership=ledger_view("membership"),
        code=code("umbrella.py"),
    output:
        table=UMBRELLA,
        overlap=OVERLAP,
        forest_svg=report(
            UMBRELLA_FIGURES["forest"],
            caption="../report/umbrella.rst",
            category="Summary",
            subcategory="umbrella",
        ),
        overlap_svg=report(
            UMBRELLA_FIGURES["overlap"],
            caption="../report/overlap.rst",
            category="Summary",
            subcategory="umbrella",
        ),
        other=[f for svg in UMBRELLA_FIGURES.values() for f in other_formats(svg)],
    log:
        "logs/report/umbrella.log",
    benchmark:
        "benchmarks/report/umbrella.tsv"
    priority: FIRST
    conda:
        ENV
    params:
        reviews=LEDGER_REVIEWS,
        dpi=config["figure_dpi"],
    script:
        "../scripts/umbrella.py"
