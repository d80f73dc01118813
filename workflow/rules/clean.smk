def clean_inputs(review):
    if SPECS[review]["source"] == "rm5":
        return {"rm5_studies": f"data/processed/conformance/{review}/studies.csv"}
    return {"ledger": expand("data/processed/ledger/{table}.csv", table=LEDGER_TABLES)}


def clean_outputs(review):
    return [table(review, v, o) for v in variants() for o in outcomes_of(review)]


for _review in SPECS:

    rule:
        name:
            f"clean_{_review}"
        input:
            unpack(lambda w, r=_review: clean_inputs(r)),
        output:
            tables=clean_outputs(_review),
            exclusions=f"data/processed/{_review}/exclusions.csv",
            missing=f"data/processed/{_review}/missing_cells.csv",
        params:
            review=_review,
            spec=SPECS[_review],
            outcomes=outcomes_of(_review),
            variants=variants(),
        log:
            f"logs/clean/{_review}.log",
        benchmark:
            f"benchmarks/clean/{_review}.tsv"
        conda:
            ENV
        script:
            "../scripts/clean.py"
