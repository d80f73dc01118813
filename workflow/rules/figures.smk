rule figures:
    input:
        unpack(figure_inputs),
        unpack(forest_gap_inputs),
        code=code("figures.py"),
    output:
        forest_svg=report(
            "results/figures/{review}/{outcome}.forest.svg",
            caption="../report/forest.rst",
            category="{review}",
            subcategory="{outcome}",
            labels={"analysis": "{outcome}", "figure": "forest plot"},
        ),
        forest_png="results/figures/{review}/{outcome}.forest.png",
        funnel_svg=report(
            "results/figures/{review}/{outcome}.funnel.svg",
            caption="../report/funnel.rst",
            category="{review}",
            subcategory="{outcome}",
            labels={"analysis": "{outcome}", "figure": "funnel plot"},
        ),
        funnel_png="results/figures/{review}/{outcome}.funnel.png",
        sens_svg=report(
            "results/figures/{review}/{outcome}.sensitivity.svg",
            caption="../report/sensitivity.rst",
            category="{review}",
            subcategory="{outcome}",
            labels={"analysis": "{outcome}", "figure": "leave-one-out and cumulative"},
        ),
        sens_png="results/figures/{review}/{outcome}.sensitivity.png",
        sub_svg=report(
            "results/figures/{review}/{outcome}.subgroups.svg",
            caption="../report/subgroups.rst",
            category="{review}",
            subcategory="{outcome}",
            labels={"analysis": "{outcome}", "figure": "subgroups"},
        ),
        sub_png="results/figures/{review}/{outcome}.subgroups.png",
        captions="results/figures/{review}/{outcome}.captions.json",
    log:
        "logs/figures/{review}/{outcome}.log",
    benchmark:
        "benchmarks/figures/{review}/{outcome}.tsv"
    conda:
        ENV
    params:
        spec=lambda w: SPECS[w.review]["analyses"][w.outcome],
        arms=lambda w: SPECS[w.review].get("arms", ["Ketamine", "Control"]),
        reading=lambda w: variants(w.review)["main"],
    script:
        "../scripts/figures.py"


rule flow_diagram:
    input:
        membership="data/processed/ledger/membership.csv",
        published="data/processed/ledger/published.csv",
        pooled="results/summary/pooled.csv",
        code=code("flow_diagram.py"),
    output:
        svg=report(
            "results/figures/{review}.flow.svg",
            caption="../report/flow.rst",
            category="{review}",
            subcategory="flow of trials",
            labels={"analysis": "all", "figure": "flow diagram"},
        ),
        png="results/figures/{review}.flow.png",
    log:
        "logs/figures/{review}_flow.log",
    benchmark:
        "benchmarks/figures/{review}_flow.tsv"
    conda:
        ENV
    params:
        policy=config["membership"],
        analyses=lambda w: outcomes_of(w.review),
    script:
        "../scripts/flow_diagram.py"
