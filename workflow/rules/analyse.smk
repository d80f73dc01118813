# One job per review: the primary pool of each of its analyses and every configured sensitivity analysis (each fit
# takes milliseconds, starting Python and importing the engine seconds). The outputs depend on the review's
# analyses and on config, so the rules are generated per review; a spec edit reruns only that review's job.
for _review in SPECS:
    _outcomes = outcomes_of(_review)

    rule:
        name:
            f"analyse_{_review}"
        input:
            tables=flat(clean_tables(_review)),
            code=code("analyse.py"),
        output:
            results=flat([analysis_results(_review, o) for o in _outcomes]),
        log:
            f"logs/analyse/{_review}.log",
        benchmark:
            f"benchmarks/analyse/{_review}.tsv"
        priority: FIRST
        conda:
            ENV
        params:
            review=_review,
            # per analysis its study table of each variant and the files it writes (the rule's input and output)
            analyses={
                o: {
                    "spec": SPECS[_review]["analyses"][o],
                    "tables": {v: t[o] for v, t in clean_tables(_review).items()},
                    "results": analysis_results(_review, o),
                }
                for o in _outcomes
            },
            overrides=config["overrides"],
            # the software conventions the review's spec names (its preset, with its own keys over it)
            conventions=_specs.conventions(SPECS[_review]),
            settings={
                k: config[k] for k in ("prediction_interval", "prepost_correlation")
            },
        script:
            "../scripts/analyse.py"


rule summarise:
    input:
        pooled=pooled_files(),
        code=code("summarise.py"),
    output:
        report(
            POOLED,
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
