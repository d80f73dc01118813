# One job per review x analysis computes all of its sensitivity analyses (cheap fits; one interpreter start).
# The outputs depend on config, so these rules are generated per review and analysis.
for _review in SPECS:
    for _outcome in outcomes_of(_review):
        _names = sensitivity_analyses(_review, _outcome)
        _egger = bool(config["sensitivity"].get("small_study"))
        _influence = bool(config["sensitivity"].get("influence"))

        rule:
            name:
                f"sensitivity_{_review}_{_outcome}"
            input:
                unpack(
                    lambda w, r=_review, o=_outcome: {
                        v: table(r, v, o) for v in variants(r)
                    }
                ),
                code=code("sensitivity.py"),
            output:
                studies=[
                    f"results/{_review}/{_outcome}/{a}/studies.csv" for a in _names
                ],
                pooled=[f"results/{_review}/{_outcome}/{a}/pooled.csv" for a in _names],
                small_study=(
                    [f"results/{_review}/{_outcome}/small_study.csv"] if _egger else []
                ),
                influence=(
                    [f"results/{_review}/{_outcome}/influence.csv"]
                    if _influence
                    else []
                ),
            log:
                f"logs/sensitivity/{_review}/{_outcome}.log",
            benchmark:
                f"benchmarks/sensitivity/{_review}/{_outcome}.tsv"
            conda:
                ENV
            params:
                review=_review,
                outcome=_outcome,
                analyses=_names,
                small_study=_egger,
                influence=_influence,
                spec=SPECS[_review]["analyses"][_outcome],
                overrides=config["overrides"],
                settings={
                    k: config[k]
                    for k in (
                        "zero_rule",
                        "prediction_interval",
                        "prepost_correlation",
                    )
                },
            script:
                "../scripts/sensitivity.py"
