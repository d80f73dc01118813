rule review_notebook:
    input:
        template="notebooks/review.ipynb",
        pooled="results/summary/pooled.csv",
        reproduction="results/reproduction.csv",
        coverage="results/ledger/coverage.csv",
        missing="results/ledger/missing_cells.csv",
        figures=lambda w: [
            f"results/figures/{w.review}/{o}.forest.svg" for o in outcomes_of(w.review)
        ],
        code=code("notebook.py"),
    output:
        ipynb="results/notebooks/{review}.ipynb",
        html="results/notebooks/{review}.html",
    log:
        "logs/notebooks/{review}.log",
    benchmark:
        "benchmarks/notebooks/{review}.tsv"
    conda:
        ENV
    params:
        parameters=lambda w: {"review": w.review, "results": "results"},
    script:
        "../scripts/notebook.py"


rule cross_review_notebook:
    input:
        template="notebooks/cross_review.ipynb",
        umbrella="results/umbrella/umbrella.csv",
        code=code("notebook.py"),
    output:
        ipynb="results/notebooks/cross_review.ipynb",
        html="results/notebooks/cross_review.html",
    log:
        "logs/notebooks/cross_review.log",
    benchmark:
        "benchmarks/notebooks/cross_review.tsv"
    conda:
        ENV
    params:
        parameters={"results": "results"},
    script:
        "../scripts/notebook.py"
