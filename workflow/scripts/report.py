"""The HTML report (results/report/): its pages from the Jinja2 templates, and the static files beside them."""

from pathlib import Path

from ketamine_ma.outputs import report
from ketamine_ma.stages import io


def main(smk):
    out = Path(smk.output.index).parent
    pages = report.pages(smk.params.files, smk.params.specs, out, smk.input.worksheets, smk.params.notebooks,
                         smk.params.fulltext)
    files = {**pages, **report.static_files()}
    expected = {str(Path(f).relative_to(out)) for f in smk.output}
    assert set(files) == expected, f"report pages and rule outputs differ: {sorted(set(files) ^ expected)}"
    for name, content in sorted(files.items()):
        io.write_text(content, out / name)
    Path(smk.log[0]).write_text(f"{len(files)} report files written to {out}\n")


io.run(main, snakemake)  # noqa: F821
