# Full texts (config "fulltext"): each PDF read once per checksum into page-indexed text and its rows as a person
# reads them (one line per row, for grep; docs/forest-plots.md), and the documents'
# index (file, checksum, DOI, PMID, trials, reviews). The contribute jobs verify every quote that cites one, the
# worksheets take their hints from them. A folder without PDFs and without manifest rows adds no job.
FULLTEXT = START.fulltext
# {sha256: path} of the folder's PDFs, hashed at start-up so that a job reads a PDF only when its content is new
FULLTEXT_FILES = START.fulltext_files
FULLTEXT_ON = START.fulltext_on


wildcard_constraints:
    sha="[0-9a-f]{64}",


rule extract_fulltext:
    input:
        pdf=lambda w: ancient(FULLTEXT_FILES[w.sha]),
        code=code("extract_fulltext.py"),
    output:
        pages=FULLTEXT_PAGES,
        rows="data/processed/fulltext/pages/{sha}.rows.txt",
        pictures=FULLTEXT_PICTURES,
    log:
        "logs/extract/fulltext_{sha}.log",
    benchmark:
        "benchmarks/extract/fulltext_{sha}.tsv"
    priority: FIRST
    conda:
        ENV
    params:
        label=lambda w: FULLTEXT_FILES[w.sha],
    script:
        "../scripts/extract_fulltext.py"


rule fulltext_index:
    input:
        pages=expand(FULLTEXT_PAGES, sha=FULLTEXT_FILES),
        manifest=[
            str(p.relative_to(ROOT))
            for p in [FULLTEXT / "documents.csv"]
            if p.exists()
        ],
        code=code("fulltext_index.py"),
    output:
        FULLTEXT_DOCUMENTS,
    log:
        "logs/extract/fulltext_index.log",
    benchmark:
        "benchmarks/extract/fulltext_index.tsv"
    priority: FIRST
    conda:
        ENV
    params:
        folder=lambda w: config["fulltext"],
    script:
        "../scripts/fulltext_index.py"


rule verification:
    input:
        reviews=flat(verification_inputs()),
        code=code("verification.py"),
    output:
        report(
            VERIFICATION,
            caption="../report/verification.rst",
            category="Summary",
            subcategory="ledger coverage",
        ),
    log:
        "logs/report/verification.log",
    benchmark:
        "benchmarks/report/verification.tsv"
    conda:
        ENV
    params:
        reviews=verification_inputs(),
    script:
        "../scripts/verification.py"
