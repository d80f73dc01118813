"""The floor under the pipeline's speed (issue 33): what one job's process costs before any work, and what
Snakemake's DAG costs per output, in CPU seconds (the fastest of ``--repeat`` runs; CPU time is the steadier number
on a shared machine).

    .venv/bin/python workflow/benchmarks/floor.py            # prints a markdown table

Process: the interpreter alone; with the imports of Snakemake's script preamble (it unpickles the job's
``snakemake`` object); with pandas, which every job imports; with matplotlib (the figures jobs); each ended by the
interpreter's teardown and by ``os._exit`` (what ``stages.io.run`` does). DAG: dry runs in a temporary copy of the
project of the BCG review alone and with 5 synthetic copies of it (run_benchmarks.add_synthetic_reviews); the
difference in CPU over the difference in outputs is the DAG's cost per output.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from run_benchmarks import BIN, ROOT, add_synthetic_reviews, copy_project, cpu_of, reviews_arg

PREAMBLE = "import pickle, snakemake.logging, snakemake.iocontainers, snakemake.io"
PROCESSES = [
    ("interpreter alone", "pass"),
    ("+ Snakemake's script preamble imports", PREAMBLE),
    ("+ pandas (every job)", f"{PREAMBLE}; import pandas"),
    ("+ pandas, matplotlib (figures jobs)", f"{PREAMBLE}; import pandas, matplotlib.pyplot"),
    ("+ pandas, scipy.stats (analyse, before issue 33)", f"{PREAMBLE}; import pandas, scipy.stats"),
    ("+ pandas, scipy.stats, PyMARE (analyse, before issue 33)", f"{PREAMBLE}; import pandas, pymare"),
    ("+ pandas, scipy.special, scipy.optimize (analyse, this tree)",
     f"{PREAMBLE}; import pandas, scipy.special, scipy.optimize"),
]


def fastest(cmd, repeat):
    return min(cpu_of(cmd) for _ in range(repeat))


def processes(repeat):
    rows = []
    for label, code in PROCESSES:
        torn = fastest([sys.executable, "-c", code], repeat)
        cut = fastest([sys.executable, "-c", f"{code}; import os; os._exit(0)"], repeat)
        rows.append((label, torn, cut))
    return rows


def dry_run(work, names, repeat):
    """CPU of a dry run of ``names`` and the number of its jobs' outputs (from --detailed-summary)."""
    env_args = ["--config", reviews_arg(names)]
    cmd = [str(BIN / "snakemake"), "--cores", "2", "-n", "-q", *env_args]
    cpu = min(cpu_in(work, cmd) for _ in range(repeat))
    summary = subprocess.run([str(BIN / "snakemake"), "--cores", "2", "--detailed-summary", *env_args], cwd=work,
                             capture_output=True, text=True, check=True).stdout
    outputs = sum(1 for ln in summary.splitlines()[1:] if ln.strip())  # below its header line, one per output
    return cpu, outputs


def cpu_in(work, cmd):
    return cpu_of(["sh", "-c", f'cd "{work}" && PYTHONPATH="{work / "src"}" exec "$0" "$@"', *cmd])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    lines = ["| one job's process, before any work | CPU, ended by teardown | CPU, ended by os._exit |",
             "|---|---|---|"]
    lines += [f"| {label} | {a:.2f} s | {b:.2f} s |" for label, a, b in processes(args.repeat)]
    with tempfile.TemporaryDirectory(prefix="ketamine-floor-") as tmp:
        work = copy_project(ROOT, Path(tmp) / "p")
        names = add_synthetic_reviews(work, 5)
        small = dry_run(work, ["bcg"], args.repeat)
        large = dry_run(work, ["bcg", *names], args.repeat)
    per = (large[0] - small[0]) / (large[1] - small[1])
    lines += ["", "| Snakemake dry run (DAG, no job run) | outputs | CPU |", "|---|---|---|",
              f"| bcg alone | {small[1]} | {small[0]:.2f} s |",
              f"| bcg + 5 synthetic copies | {large[1]} | {large[0]:.2f} s |",
              f"| per output (difference) | | {per * 1000:.1f} ms |"]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
