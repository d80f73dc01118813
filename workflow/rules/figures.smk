# One figures job per review draws every analysis' plots: importing matplotlib and pandas costs more than the
# drawing. The outputs depend on the review's analyses, so the rules are generated per review.
for _review in SPECS:
    _outcomes = outcomes_of(_review)

    rule:
        name:
            f"figures_{_review}"
        input:
            unpack(lambda w, r=_review: forest_gap_inputs(r)),
            analyses=[f for o in _outcomes for f in figure_inputs(_review, o).values()],
            code=code("figures.py"),
        output:
            svg=[figure_report(_review, o, k) for o in _outcomes for k in FIGURES],
            other=[
                f
                for o in _outcomes
                for k in FIGURES
                for f in other_formats(analysis_figure(_review, o, k))
            ],
            captions=[analysis_figure(_review, o, "captions.json") for o in _outcomes],
        log:
            f"logs/figures/{_review}.log",
        benchmark:
            f"benchmarks/figures/{_review}.tsv"
        priority: FIRST
        conda:
            ENV
        params:
            review=_review,
            analyses={
                o: {
                    "spec": SPECS[_review]["analyses"][o],
                    "inputs": figure_inputs(_review, o),
                    "figures": {k: analysis_figure(_review, o, k) for k in FIGURES},
                    "captions": analysis_figure(_review, o, "captions.json"),
                }
                for o in _outcomes
            },
            # a ledger review's members not pooled, per analysis, as the clean stage wrote them
            members=(
                member_outputs(_review)["members"] if _review in LEDGER_REVIEWS else {}
            ),
            arms=SPECS[_review]["arms"],
            dpi=config["figure_dpi"],
        script:
            "../scripts/figures.py"


# One job draws every ledger review's flow diagram: they all read the same three tables (the pooled summary
# included), so any change reran them all anyway.

if LEDGER_REVIEWS:

    rule flow_diagram:
        input:
            membership=ledger_view("membership"),
            published=ledger_view("published"),
            pooled=POOLED,
            code=code("flow_diagram.py"),
        output:
            svg=[
                report(
                    flow_figure(r),
                    caption="../report/flow.rst",
                    category=r,
                    subcategory="flow of trials",
                    labels={"analysis": "all", "figure": "flow diagram"},
                )
                for r in LEDGER_REVIEWS
            ],
            other=[f for r in LEDGER_REVIEWS for f in other_formats(flow_figure(r))],
        log:
            "logs/figures/flow.log",
        benchmark:
            "benchmarks/figures/flow.tsv"
        conda:
            ENV
        params:
            policy=config["membership"],
            analyses={r: outcomes_of(r) for r in LEDGER_REVIEWS},
            # the figure of each review's primary analysis (the first its spec names), whose k the flow shows
            # when the review prints no scope row
            primary={
                r: [
                    f
                    for o in outcomes_of(r)
                    for f in SPECS[r]["analyses"][o].get("published", [])
                ][:1]
                for r in LEDGER_REVIEWS
            },
            # each review's diagram (its SVG; the script draws every format its output has beside it)
            figures={r: flow_figure(r) for r in LEDGER_REVIEWS},
            dpi=config["figure_dpi"],
        script:
            "../scripts/flow_diagram.py"
