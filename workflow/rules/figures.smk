rule forest_plot:
    input:
        studies="results/{review}/{outcome}/primary/studies.csv",
        pooled="results/{review}/{outcome}/primary/pooled.csv",
        code=PACKAGE_CODE,
    output:
        svg="results/figures/{review}/{outcome}.forest.svg",
        png="results/figures/{review}/{outcome}.forest.png",
    log:
        "logs/figures/{review}/{outcome}.log",
    benchmark:
        "benchmarks/figures/{review}/{outcome}.tsv"
    conda:
        ENV
    params:
        label=lambda w: SPECS[w.review]["analyses"][w.outcome]["label"],
        arms=lambda w: SPECS[w.review].get("arms", ["Ketamine", "Control"]),
        lower_is_better=lambda w: SPECS[w.review]["analyses"][w.outcome].get(
            "lower_is_better", True
        ),
    script:
        "../scripts/forest_plot.py"
