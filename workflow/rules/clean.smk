for _review in SPECS:

    rule:
        name:
            f"clean_{_review}"
        input:
            unpack(lambda w, r=_review: clean_inputs(r)),
            code=code("clean.py"),
        output:
            **clean_logs(_review),
            # under the main reading, every confirmed or candidate member (counted or not): the forest plots'
            # and worksheets' members not pooled
            tables=flat(clean_tables(_review)),
            members=flat(member_outputs(_review)["members"]),
            member_exclusions=member_outputs(_review)["member_exclusions"],
            member_missing=member_outputs(_review)["member_missing"],
        log:
            f"logs/clean/{_review}.log",
        benchmark:
            f"benchmarks/clean/{_review}.tsv"
        priority: FIRST
        conda:
            ENV
        params:
            review=_review,
            spec=SPECS[_review],
            outcomes=outcomes_of(_review),
            # a method override decides whether a trial's own estimate can pool (not by Mantel-Haenszel)
            method=config["overrides"].get("method"),
            variants=variants(_review),
            tables=clean_tables(_review),
            members=member_outputs(_review)["members"],
        script:
            "../scripts/clean.py"
