# One job executes every narrative notebook, one after another in one kernel: starting a kernel costs more than
# running these notebooks, and they all read the shared summaries, so any change reruns them all anyway.
_NOTEBOOKS = {
    **(
        {
            "cross_review": {
                "template": "notebooks/cross_review.ipynb",
                "parameters": {"results": "results"},
            }
        }
        if any(s["source"] == "ledger" for s in SPECS.values())
        else {}
    ),
    **{
        r: {
            "template": "notebooks/review.ipynb",
            "parameters": {"review": r, "results": "results"},
        }
        for r in SPECS
    },
}


rule notebooks:
    input:
        templates=sorted({n["template"] for n in _NOTEBOOKS.values()}),
        pooled="results/summary/pooled.csv",
        reproduction="results/reproduction.csv",
        coverage="results/ledger/coverage.csv",
        missing="results/ledger/missing_cells.csv",
        figures=[
            f"results/figures/{r}/{o}.forest.svg"
            for r in SPECS
            for o in outcomes_of(r)
        ],
        umbrella=(
            ["results/umbrella/umbrella.csv"] if "cross_review" in _NOTEBOOKS else []
        ),
        code=code("run_notebooks.py"),
    output:
        ipynb=[f"results/notebooks/{n}.ipynb" for n in _NOTEBOOKS],
        html=[f"results/notebooks/{n}.html" for n in _NOTEBOOKS],
    log:
        "logs/notebooks/notebooks.log",
    benchmark:
        "benchmarks/notebooks/notebooks.tsv"
    priority: FIRST
    conda:
        ENV
    params:
        notebooks=_NOTEBOOKS,
    script:
        "../scripts/run_notebooks.py"
