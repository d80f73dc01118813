"""Execute the narrative notebooks with papermill and strip what changes from run to run."""

from __future__ import annotations

import nbformat
import papermill as pm

VOLATILE = ("papermill", "execution", "widgets")
# Run before each notebook in a shared kernel: a new IPython session (empty namespace and history, execution count
# back to 1) and pandas' display options back to their defaults, so a notebook sees what a kernel of its own would
# show it; imported modules stay loaded, which is what sharing the kernel saves.
FRESH_SESSION = """
get_ipython().reset(new_session=True)
import sys, warnings
if "pandas" in sys.modules:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # resetting "all" also touches deprecated options, which warn
        sys.modules["pandas"].reset_option("all")
del sys, warnings
"""


def execute(template, output, parameters, cwd=".", km=None):
    """Run ``template`` with ``parameters`` into ``output`` (in kernel manager ``km``'s kernel when given, else in
    a kernel of its own); remove timings and other run-specific metadata so two runs write identical bytes."""
    # No save after every cell (papermill's default, for watching long runs): it rewrote each notebook once per
    # cell. A failing notebook is still saved, with its error, before papermill raises.
    nb = pm.execute_notebook(template, output, parameters=parameters, cwd=cwd, kernel_name="python3",
                             progress_bar=False, log_output=False, km=km, request_save_on_cell_execute=False)
    for key in VOLATILE:
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        for key in VOLATILE:
            cell.metadata.pop(key, None)
        cell.pop("id", None)
    nb.nbformat_minor = 4
    nbformat.write(nb, output)
    return nb


def execute_all(runs, cwd="."):
    """Execute several notebooks, ``runs`` = [(template, output_ipynb, output_html, parameters), ...], one after
    another in one kernel (a kernel start costs more than running these notebooks), each in a fresh IPython
    session (``FRESH_SESSION``), and write a static HTML copy of each
    (nbconvert's classic template, no JavaScript needed)."""
    from jupyter_client.manager import KernelManager
    from nbconvert import HTMLExporter

    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=cwd)
    kc = km.blocking_client()
    kc.start_channels()
    try:
        # One exporter for all (it loads its templates when created), made while the kernel starts.
        exporter = HTMLExporter(template_name="classic")
        kc.wait_for_ready(timeout=60)
        for template, ipynb, html, parameters in runs:
            reply = kc.execute_interactive(FRESH_SESSION, silent=True, store_history=False, timeout=60)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"could not reset the kernel before {template}: {reply['content']}")
            body, _ = exporter.from_notebook_node(execute(template, ipynb, parameters, cwd=cwd, km=km))
            with open(html, "w", encoding="utf-8") as fh:
                fh.write(body)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)

