rule extract_ledger:
    input:
        raw=flat(ledger_tables("data/raw", vocabulary.TABLES)),
        code=code("extract_ledger.py"),
    output:
        tables=flat(ledger_tables(VALIDATED_LEDGER, vocabulary.TABLES)),
        report=f"{VALIDATED_LEDGER}/validation.txt",
        checksums=LEDGER_CHECKSUMS,
    log:
        "logs/extract/ledger.log",
    benchmark:
        "benchmarks/extract/ledger.tsv"
    priority: FIRST
    conda:
        ENV
    params:
        reviews=SPEC_NAMES,
    script:
        "../scripts/extract_ledger.py"


rule import_conformance:
    input:
        unpack(conformance_inputs),
        code=code("import_conformance.py"),
    output:
        studies=conformance_table("{review}", "studies"),
        published=conformance_table("{review}", "published"),
    log:
        "logs/extract/conformance_{review}.log",
    benchmark:
        "benchmarks/extract/conformance_{review}.tsv"
    priority: FIRST
    conda:
        ENV
    params:
        spec=lambda w: SPECS[w.review],
    script:
        "../scripts/import_conformance.py"


rule contribute:
    input:
        unpack(lambda w: fulltext_inputs()),
        ledger=flat(ledger_tables(VALIDATED_LEDGER, vocabulary.TABLES)),
        checksums=LEDGER_CHECKSUMS,
        contributions=lambda w: contribution_files(w.review),
        code=code("contribute.py"),
    output:
        tables=flat(ledger_tables(review_ledger("{review}"), vocabulary.MERGED)),
        contributions=f"{review_ledger('{review}')}/contributions.csv",
    log:
        "logs/extract/contribute_{review}.log",
    benchmark:
        "benchmarks/extract/contribute_{review}.tsv"
    priority: FIRST
    conda:
        ENV
    params:
        units=lambda w: CONTRIBUTIONS[w.review],
        # only a review with contributions depends on the selection and the specs it validates them against
        reviews=lambda w: list(SPECS) if CONTRIBUTIONS[w.review] else [],
        specs=lambda w: SPECS if CONTRIBUTIONS[w.review] else {},
        fulltext=config["fulltext"],
    script:
        "../scripts/contribute.py"


rule merge_ledgers:
    input:
        raw=flat(ledger_tables(VALIDATED_LEDGER, LEDGER_VIEW)),
        reviews=flat(
            {r: ledger_tables(review_ledger(r), LEDGER_VIEW) for r in LEDGER_REVIEWS}
        ),
        code=code("merge_ledgers.py"),
    output:
        tables=flat(ledger_tables(MERGED_LEDGER, LEDGER_VIEW)),
    log:
        "logs/extract/merge_ledgers.log",
    benchmark:
        "benchmarks/extract/merge_ledgers.tsv"
    priority: FIRST
    conda:
        ENV
    params:
        raw=ledger_tables(VALIDATED_LEDGER, LEDGER_VIEW),
        reviews={
            r: ledger_tables(review_ledger(r), LEDGER_VIEW) for r in LEDGER_REVIEWS
        },
        merged=ledger_tables(MERGED_LEDGER, LEDGER_VIEW),
    script:
        "../scripts/merge_ledgers.py"
