LEDGER_TABLES = ["trials", "membership", "extraction", "published", "conflicts"]


rule extract_ledger:
    input:
        expand("data/raw/{table}.csv", table=LEDGER_TABLES),
        code=code("extract_ledger.py"),
    output:
        tables=expand("data/processed/ledger/{table}.csv", table=LEDGER_TABLES),
        report="results/ledger/validation.txt",
        checksums="data/processed/ledger/checksums.json",
    log:
        "logs/extract/ledger.log",
    benchmark:
        "benchmarks/extract/ledger.tsv"
    conda:
        ENV
    script:
        "../scripts/extract_ledger.py"


rule import_conformance:
    input:
        unpack(conformance_inputs),
        code=code("import_conformance.py"),
    output:
        studies="data/processed/conformance/{review}/studies.csv",
        published="data/processed/conformance/{review}/published.csv",
    log:
        "logs/extract/conformance_{review}.log",
    benchmark:
        "benchmarks/extract/conformance_{review}.tsv"
    conda:
        ENV
    params:
        spec=lambda w: SPECS[w.review],
    script:
        "../scripts/import_conformance.py"
