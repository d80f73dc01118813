rule analyse:
    input:
        table=lambda w: table(w.review, "main", w.outcome),
        code=code("analyse.py"),
    output:
        studies="results/{review}/{outcome}/primary/studies.csv",
        pooled="results/{review}/{outcome}/primary/pooled.csv",
        subgroups="results/{review}/{outcome}/primary/subgroups.csv",
    log:
        "logs/analyse/{review}/{outcome}.log",
    benchmark:
        "benchmarks/analyse/{review}/{outcome}.tsv"
    conda:
        ENV
    params:
        spec=lambda w: SPECS[w.review]["analyses"][w.outcome],
        overrides=config["overrides"],
        settings=lambda w: {
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
        "results/summary/pooled.csv",
    log:
        "logs/analyse/summarise.log",
    benchmark:
        "benchmarks/analyse/summarise.tsv"
    conda:
        ENV
    script:
        "../scripts/summarise.py"
