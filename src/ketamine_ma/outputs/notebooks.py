"""Execute the narrative notebooks with papermill and strip what changes from run to run; ``table`` shows a
results table in a notebook as the report prints it."""

from __future__ import annotations

import html
import numbers
import re

from . import report_format

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
    import nbformat
    import papermill as pm

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


def execute_all(runs, cwd=".", log=None):
    """Execute several notebooks, ``runs`` = [(template, output_ipynb, output_html, parameters), ...], one after
    another in one kernel (a kernel start costs more than running these notebooks), each in a fresh IPython
    session (``FRESH_SESSION``), and write a static HTML copy of each
    (nbconvert's classic template, no JavaScript needed). ``log``: an open file for what the kernel process prints
    (its start-up warnings belong in the job's log, not on the user's console)."""
    from jupyter_client.manager import KernelManager
    from nbconvert import HTMLExporter

    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=cwd, stdout=log, stderr=log)
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



GAP = "\u2014"
COUNTS = ("k", "n", "our_k", "published_k", "our_n", "published_n", "k_review", "k_pooled", "n_participants",
          "trials_in_ledger", "q_df")
P_VALUES = ("p", "our_p", "published_p", "q_p")
I2 = ("i2", "our_i2", "published_i2")
# Wraps inside the page's width (long reasons and URLs break anywhere) instead of scrolling sideways.
STYLE = ("<style>table.km{border-collapse:collapse;width:100%;font-size:0.9em}"
         "table.km th,table.km td{border-bottom:1px solid #ccc;padding:2px 6px;text-align:left;"
         "vertical-align:top;overflow-wrap:anywhere}table.km td.num{text-align:right;white-space:nowrap}</style>")


def cell(column, value) -> tuple[str, bool]:
    """One cell as the report prints it: (text, is a number). Estimates with two decimals and a true minus, p as
    the report prints p, counts as integers, published figures as printed, "—" for a gap."""
    if report_format.missing(value):
        return GAP, False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if column in P_VALUES:
        return report_format.pval(value), True
    if column in COUNTS:
        return report_format.count(value), True
    if column in I2:
        return report_format.num(value, 0 if not isinstance(value, str) else 2), True
    if column == "tau2":
        return report_format.sig(value), True
    if isinstance(value, str):  # a published figure as printed, with a true minus
        return (report_format.num(value), True) if re.fullmatch(r"-?\d*\.?\d+", value.strip()) else (value, False)
    if isinstance(value, numbers.Integral):
        return report_format.count(value), True
    if isinstance(value, numbers.Real):
        return report_format.num(value), True
    return str(value), False


def table(df):
    """``df`` as an HTML table that reads like the report's (see ``cell``), for ``display`` in a notebook."""
    from IPython.display import HTML

    if df.empty:
        return HTML("<p>No rows.</p>")
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for r in df.itertuples(index=False):
        cells = (cell(c, v) for c, v in zip(df.columns, r, strict=True))
        rows.append("".join(f'<td class="num">{html.escape(t)}</td>' if isnum else f"<td>{html.escape(t)}</td>"
                            for t, isnum in cells))
    body = "".join(f"<tr>{r}</tr>" for r in rows)
    return HTML(f'{STYLE}<table class="km"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')
