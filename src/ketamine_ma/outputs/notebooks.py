"""Execute the narrative notebooks with papermill and strip what changes from run to run."""

from __future__ import annotations

import nbformat
import papermill as pm

VOLATILE = ("papermill", "execution", "widgets")


def execute(template, output, parameters, cwd="."):
    """Run ``template`` with ``parameters`` into ``output``; remove timings and other run-specific metadata so two
    runs write identical bytes."""
    pm.execute_notebook(template, output, parameters=parameters, cwd=cwd, kernel_name="python3",
                        progress_bar=False, log_output=False)
    nb = nbformat.read(output, as_version=4)
    for key in VOLATILE:
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        for key in VOLATILE:
            cell.metadata.pop(key, None)
        cell.pop("id", None)
    nb.nbformat_minor = 4
    nbformat.write(nb, output)
    return nb


def to_html(nb, output):
    """A static HTML copy for the report (nbconvert, no JavaScript needed)."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
    with open(output, "w", encoding="utf-8") as fh:
        fh.write(body)
