# One job per review x analysis computes all of its sensitivity analyses (cheap fits; one interpreter start).
# The outputs depend on config, so these rules are generated per review and analysis.
for _review in SPECS:
    for _outcome in outcomes_of(_review):
        _names = sensitivity_analyses(_review, _outcome)
        _loo = bool(config["sensitivity"].get("leave_one_out"))

        rule:
            name:
                f"sensitivity_{_review}_{_outcome}"
            input:
                unpack(
                    lambda w, r=_review, o=_outcome: {
                        v: table(r, v, o) for v in variants()
                    }
                ),
            output:
                studies=[
                    f"results/{_review}/{_outcome}/{a}/studies.csv" for a in _names
                ]
                + (
                    [f"results/{_review}/{_outcome}/leave_one_out/studies.csv"]
                    if _loo
                    else []
                ),
                pooled=[f"results/{_review}/{_outcome}/{a}/pooled.csv" for a in _names]
                + (
                    [f"results/{_review}/{_outcome}/leave_one_out/pooled.csv"]
                    if _loo
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
                leave_one_out=_loo,
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
