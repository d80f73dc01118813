# One job executes every narrative notebook, one after another in one kernel: starting a kernel costs more than
# running these notebooks, and they all read the shared summaries, so any change reruns them all anyway.
# Per notebook its template, parameters and the two files it is executed into (the rule's outputs).
_NOTEBOOKS = {
    **(
        {
            "cross_review": {
                "template": "notebooks/cross_review.ipynb",
                "parameters": {"results": "results"},
                "ipynb": "results/notebooks/cross_review.ipynb",
                "html": CROSS_REVIEW_NOTEBOOK,
            }
        }
        if LEDGER_REVIEWS
        else {}
    ),
    **{
        r: {
            "template": "notebooks/review.ipynb",
            "parameters": {
                "review": r,
                "question": SPECS[r]["question"],
                "arms": SPECS[r]["arms"],
                "results": "results",
            },
            "ipynb": f"results/notebooks/{r}.ipynb",
            "html": notebook_html(r),
        }
        for r in SPECS
    },
}


rule notebooks:
    input:
        templates=sorted({n["template"] for n in _NOTEBOOKS.values()}),
        pooled=POOLED,
        reproduction=REPRODUCTION,
        coverage=COVERAGE,
        missing=MISSING_CELLS,
        figures=[analysis_figure(r, o, "forest") for r in SPECS for o in outcomes_of(r)],
        # what cross_review.ipynb reads (the notebooks read under their `results` parameter)
        umbrella=(
            [
                UMBRELLA,
                OVERLAP,
                UMBRELLA_FIGURES["forest"],
            ]
            if "cross_review" in _NOTEBOOKS
            else []
        ),
        code=code("run_notebooks.py"),
    output:
        ipynb=[n["ipynb"] for n in _NOTEBOOKS.values()],
        html=[n["html"] for n in _NOTEBOOKS.values()],
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
