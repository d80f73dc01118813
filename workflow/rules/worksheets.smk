# Completing a review from the full text: per review an extraction worksheet of what is still missing, and the
# convergence summary printed when a run ends. Contributions come back through the extract stage (extract.smk).


rule worksheet:
    input:
        unpack(worksheet_inputs),
        code=code("worksheet.py"),
    output:
        xlsx=report(worksheet(), category="Worksheets"),
        csv=expand("results/worksheets/{{review}}/{sheet}.csv", sheet=vocabulary.SHEETS),
        counts=worksheet_cells(),
        figures="results/worksheets/{review}/figures.html",
        read=figures_read(),
    log:
        "logs/worksheets/{review}.log",
    benchmark:
        "benchmarks/worksheets/{review}.tsv"
    conda:
        ENV
    params:
        review=lambda w: w.review,
        spec=lambda w: SPECS[w.review],
        policy=config["membership"],
        fulltext=config["fulltext"],
        pm_reading=config["pm_reading"],
    script:
        "../scripts/worksheet.py"


rule worksheets:
    input:
        expand(worksheet(), review=list(SPECS)),


rule convergence:
    input:
        counts=expand(worksheet_cells(), review=list(SPECS)),
        reproduction=REPRODUCTION,
        code=code("convergence.py"),
    output:
        table=CONVERGENCE,
        text=CONVERGENCE_TEXT,
    log:
        "logs/worksheets/convergence.log",
    benchmark:
        "benchmarks/worksheets/convergence.tsv"
    conda:
        ENV
    script:
        "../scripts/convergence.py"
