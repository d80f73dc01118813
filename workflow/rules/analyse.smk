# One job per review: the primary pool of each of its analyses and every configured sensitivity analysis (each fit
# takes milliseconds, starting Python and importing the engine seconds). The outputs depend on the review's
# analyses and on config, so the rules are generated per review; a spec edit reruns only that review's job.
_SMALL_STUDY = bool(config["sensitivity"].get("small_study"))
_INFLUENCE = bool(config["sensitivity"].get("influence"))

for _review in SPECS:
    _outcomes = outcomes_of(_review)

    rule:
        name:
            f"analyse_{_review}"
        input:
            tables=[table(_review, v, o) for v in variants(_review) for o in _outcomes],
            code=code("analyse.py"),
        output:
            primary=[
                f"results/{_review}/{o}/primary/{f}.csv"
                for o in _outcomes
                for f in ("studies", "pooled", "subgroups")
            ],
            sensitivity=[
                f"results/{_review}/{o}/{a}/{f}.csv"
                for o in _outcomes
                for a in sensitivity_analyses(_review, o)
                for f in ("studies", "pooled")
            ],
            small_study=(
                [f"results/{_review}/{o}/small_study.csv" for o in _outcomes]
                if _SMALL_STUDY
                else []
            ),
            influence=(
                [f"results/{_review}/{o}/influence.csv" for o in _outcomes]
                if _INFLUENCE
                else []
            ),
        log:
            f"logs/analyse/{_review}.log",
        benchmark:
            f"benchmarks/analyse/{_review}.tsv"
        priority: FIRST
        conda:
            ENV
        params:
            review=_review,
            analyses={
                o: {
                    "spec": SPECS[_review]["analyses"][o],
                    "sensitivity": sensitivity_analyses(_review, o),
                }
                for o in _outcomes
            },
            variants=list(variants(_review)),
            small_study=_SMALL_STUDY,
            influence=_INFLUENCE,
            overrides=config["overrides"],
            settings={
                k: config[k]
                for k in ("zero_rule", "prediction_interval", "prepost_correlation")
            },
        script:
            "../scripts/analyse.py"


rule summarise:
    input:
        pooled=pooled_files(),
        code=code("summarise.py"),
    output:
        report(
            "results/summary/pooled.csv",
            caption="../report/pooled.rst",
            category="Summary",
            subcategory="pooled estimates",
        ),
    log:
        "logs/analyse/summarise.log",
    benchmark:
        "benchmarks/analyse/summarise.tsv"
    priority: FIRST
    conda:
        ENV
    script:
        "../scripts/summarise.py"
