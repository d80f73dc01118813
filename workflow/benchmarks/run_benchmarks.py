"""Measure the pipeline and the engine on this machine, today's layout beside a baseline commit, in one run.

Every pipeline measurement runs in a temporary copy of the project (never in the working tree) with
``snakemake --cores 2`` (``--cores``), and is taken for both layouts back to back, so the two columns share the
machine's state. Measured: a cold full run, a no-op rerun, a one-review spec edit, and synthetic scale (1 and more
generated reviews, each a copy of the BCG conformance review under a new name, so the slope is the cost of one
added review). Wall time is what a user waits; CPU time (user + system of every process the run started) is the
work done, and is the steadier number on a shared machine. The engine is timed against metafor when R is present.
Both layouts run with this tree's .venv, so what the venv holds (the executor plugins Snakemake loads at every
start, jsonschema's format checkers) is measured once, on its own rows.

    .venv/bin/python workflow/benchmarks/run_benchmarks.py                   # baseline 507274d, scale 1,5,10
    .venv/bin/python workflow/benchmarks/run_benchmarks.py --update-docs     # also refresh docs/benchmarks.md's table

The markdown table goes to stdout and to ``workflow/benchmarks/results.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PROJECT = ("Snakefile", "config", "workflow", "data/raw", "notebooks", "src")
RESULTS = ROOT / "workflow" / "benchmarks" / "results.md"
DOC = ROOT / "docs" / "benchmarks.md"
TABLE_START, TABLE_END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
EDITED = "zhao2018"  # the one-review edit: its pooled proportions switch from logit to Freeman-Tukey


def copy_project(src, dst):
    """The files a run needs (as tests/test_pipeline.py copies them), in a fresh git repository."""
    for name in PROJECT:
        s, d = src / name, dst / name
        d.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if s.is_dir() else shutil.copy)(s, d)
    subprocess.run(["git", "init", "-q"], cwd=dst, check=True)
    return dst


def snakemake(work, *args, cores=2):
    """Run Snakemake in ``work`` with that copy's package; returns wall s, CPU s (every process it started), the
    jobs of its 'Job stats' table (rule -> count), and its output."""
    env = {**os.environ, "PYTHONPATH": str(work / "src")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run([str(BIN / "snakemake"), "--cores", str(cores), *args], cwd=work, env=env,
                         capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = res.stdout + res.stderr
    if res.returncode != 0:
        raise SystemExit(f"snakemake {' '.join(args)} failed in {work}:\n{out[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "jobs": job_stats(out), "out": out}


def job_stats(out):
    """Rule -> number of jobs, from the first 'Job stats' table Snakemake prints (empty when nothing ran)."""
    if "Job stats:" not in out:
        return {}
    lines = out[out.index("Job stats:"):].splitlines()[3:]
    jobs = {}
    for ln in lines:
        parts = ln.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        jobs[parts[0]] = int(parts[1])
    jobs.pop("total", None)
    return jobs


def job_seconds(work):
    """Sum of the jobs' own wall times from their benchmark: files (what the jobs cost one after another)."""
    total = 0.0
    for f in (work / "benchmarks").rglob("*.tsv"):
        rows = f.read_text().splitlines()
        if len(rows) > 1:
            total += float(rows[-1].split("\t")[0])
    return total


def add_synthetic_reviews(work, n):
    """n copies of the BCG conformance review (4 analyses each) under new names, publishing nothing; returns
    their names. A baseline whose config schema lists the reviews gets them added, in this copy only."""
    bcg = yaml.safe_load((work / "config/reviews/bcg.yaml").read_text())
    header = (work / bcg["published_table"]).read_text().splitlines()[0]
    published = work / "data/raw/conformance/synthetic_published.csv"
    published.write_text(header + "\n")
    names = [f"synth{i:03d}" for i in range(1, n + 1)]
    for name in names:
        spec = {**bcg, "review": name, "published_table": str(published.relative_to(work)),
                "citation": f"Synthetic benchmark review: the BCG trials under the name {name}.",
                "analyses": {k: {f: v for f, v in a.items() if f != "published"} for k, a in bcg["analyses"].items()}}
        (work / f"config/reviews/{name}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    schema_path = work / "config/schemas/config.schema.yaml"
    schema = yaml.safe_load(schema_path.read_text())
    if "enum" in schema["properties"]["reviews"]["items"]:
        schema["properties"]["reviews"]["items"]["enum"] += names
        schema_path.write_text(yaml.safe_dump(schema, sort_keys=False))
    return names


def reviews_arg(names):
    return f"reviews=[{','.join(names)}]"


def measure_layout(label, src, tmp, scale, cores):
    """Every pipeline measurement for one layout (a project directory)."""
    tmp = tmp / re.sub(r"\W+", "-", label)
    print(f"[{label}] cold full run", file=sys.stderr, flush=True)
    work = copy_project(src, tmp / "default")
    m = {"cold": snakemake(work, cores=cores)}
    m["cold"]["job_seconds"] = job_seconds(work)
    print(f"[{label}] no-op rerun", file=sys.stderr, flush=True)
    m["noop"] = snakemake(work, cores=cores)
    print(f"[{label}] one-review edit ({EDITED})", file=sys.stderr, flush=True)
    spec = work / f"config/reviews/{EDITED}.yaml"
    spec.write_text(spec.read_text().replace("measure: PLO", "measure: PFT"))
    m["edit"] = snakemake(work, cores=cores)
    m["scale"] = {}
    for n in scale:
        print(f"[{label}] synthetic scale, {n} review(s)", file=sys.stderr, flush=True)
        work = copy_project(src, tmp / f"synthetic{n}")
        names = add_synthetic_reviews(work, n)
        m["scale"][n] = snakemake(work, "--config", reviews_arg(names), cores=cores)
    return m


def baseline_tree(rev, tmp):
    """A git worktree of the baseline commit (removed again at the end), with cc8235c's fix applied where the
    baseline predates it: its `workflow/scripts/notebook.py` shadows the `notebook` package nbconvert imports,
    so on a fresh setup (no Jupyter server) its notebook jobs fail. The rename changes no timing."""
    path = tmp / "baseline-src"
    subprocess.run(["git", "worktree", "add", "--detach", "-q", str(path), rev], cwd=ROOT, check=True)
    shadow = path / "workflow/scripts/notebook.py"
    if shadow.exists():
        shadow.rename(shadow.with_name("run_notebooks.py"))
        rules = path / "workflow/rules/notebooks.smk"
        rules.write_text(rules.read_text().replace('"notebook.py"', '"run_notebooks.py"')
                         .replace("scripts/notebook.py", "scripts/run_notebooks.py"))
    return path


def slope(points):
    """Least-squares seconds per added review, and the largest residual (how far from linear)."""
    xs, ys = zip(*points, strict=True)
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x in xs)
    a = my - b * mx
    return b, max(abs(y - (a + b * x)) for x, y in points)


def engine_benchmark(n_fits=2000, k=10, seed=1):
    """Random-effects fits of random k-study datasets: our engine one by one and in batch, and metafor's rma()."""
    sys.path.insert(0, str(ROOT / "src"))
    import numpy as np
    from batch import random_effects

    from ketamine_ma.engine import pooling

    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.01, 0.2, (n_fits, k))
    yi = rng.normal(0.3, np.sqrt(vi + 0.05))
    rows = {}
    for est in ("DL", "REML"):
        t0 = time.perf_counter()
        for y, v in zip(yi, vi, strict=True):
            pooling.inverse_variance(y, v, "random", est)
        one = (time.perf_counter() - t0) / n_fits
        t0 = time.perf_counter()
        random_effects(yi, vi, est)
        batch = (time.perf_counter() - t0) / n_fits
        rows[est] = {"one": one, "batch": batch, "metafor": metafor_per_fit(yi, vi, est)}
    return rows


def metafor_per_fit(yi, vi, est):
    if not shutil.which("Rscript"):
        return None
    with tempfile.TemporaryDirectory() as d:
        y, v = Path(d) / "y.csv", Path(d) / "v.csv"
        for path, a in ((y, yi), (v, vi)):
            path.write_text("\n".join(",".join(repr(float(x)) for x in row) for row in a) + "\n")
        code = (f"suppressMessages(library(metafor)); y <- as.matrix(read.csv('{y}', header=FALSE)); "
                f"v <- as.matrix(read.csv('{v}', header=FALSE)); t0 <- proc.time()[['elapsed']]; "
                f"for (i in seq_len(nrow(y))) try(rma(y[i, ], v[i, ], method='{est}'), silent=TRUE); "
                "cat(proc.time()[['elapsed']] - t0)")
        res = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True)
    return float(res.stdout) / len(yi) if res.returncode == 0 and res.stdout.strip() else None


def machine():
    cpu = ""
    if Path("/proc/cpuinfo").exists():
        found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = f", {found.group(1).strip()}" if found else ""
    return f"{platform.machine()}{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def jsonschema_import():
    """CPU seconds of `import jsonschema` (every Snakemake start pays it), and whether rfc3987_syntax is installed
    (jsonschema's format checker imports it when present, which builds a grammar at import time)."""
    t = min(cpu_of([sys.executable, "-c", "import jsonschema"]) for _ in range(3))
    has = subprocess.run([sys.executable, "-c", "import importlib.util as u; "
                          "raise SystemExit(u.find_spec('rfc3987_syntax') is None)"]).returncode == 0
    return t, has


def executor_plugins():
    """CPU seconds that loading the installed executor plugins adds to every Snakemake start (it imports each one
    to build its command line; the SLURM plugin imports pandas), and their names."""
    registry = "from snakemake_interface_executor_plugins.registry import ExecutorPluginRegistry as R"
    load = [sys.executable, "-c", f"{registry}; print(' '.join(sorted(R().plugins)))"]
    t = min(cpu_of(load) for _ in range(3)) - min(cpu_of([sys.executable, "-c", registry]) for _ in range(3))
    return max(t, 0.0), subprocess.run(load, capture_output=True, text=True, check=True).stdout.split()


def cpu_of(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def fmt_run(r):
    return f"{r['wall']:.1f} s ({r['cpu']:.0f} s CPU, {sum(r['jobs'].values())} jobs)"


def fmt_jobs(jobs):
    return ", ".join(f"{k}" + (f" x{v}" if v > 1 else "") for k, v in sorted(jobs.items())) or "none"


def table(results, args, load, engine, js, plugins):
    cols = list(results)
    head = f"| what | {' | '.join(cols)} | goal |"
    lines = [f"Measured {dt.date.today()} on {machine()}, `--cores {args.cores}`; load average before/after: "
             f"{load[0]:.1f} / {load[1]:.1f} (a loaded machine inflates wall times; CPU time is steadier). "
             f"Baseline: `{args.baseline}`.", "", head, "|---" * (len(cols) + 2) + "|"]

    def row(what, cells, goal):
        lines.append(f"| {what} | {' | '.join(cells)} | {goal} |")

    row("cold full run (default reviews)", [fmt_run(results[c]["cold"]) for c in cols], "<= 22 s")
    row("jobs' own wall times, summed", [f"{results[c]['cold']['job_seconds']:.0f} s" for c in cols], "")
    row("no-op rerun", [f"{results[c]['noop']['wall']:.1f} s" for c in cols], "<= 1.5 s")
    row(f"edit one review's spec ({EDITED})", [fmt_run(results[c]["edit"]) for c in cols],
        f"reruns only {EDITED}'s jobs and the shared summaries")
    row(f"jobs the {EDITED} edit reran", [fmt_jobs(results[c]["edit"]["jobs"]) for c in cols], "")
    for n in args.scale:
        row(f"synthetic scale: {n} generated review(s) x 4 analyses",
            [fmt_run(results[c]["scale"][n]) for c in cols], "")
    if len(args.scale) > 1:
        cells = []
        for c in cols:
            b, resid = slope([(n, results[c]["scale"][n]["wall"]) for n in args.scale])
            bc, _ = slope([(n, results[c]["scale"][n]["cpu"]) for n in args.scale])
            cells.append(f"{b:.1f} s per review ({bc:.1f} s CPU); largest deviation from a line {resid:.1f} s")
        row("cost per added review (least squares)", cells, "<= 3 s, linear")
    row("`import jsonschema` (each Snakemake start)",
        [f"{js[0]:.2f} s CPU, rfc3987_syntax {'installed' if js[1] else 'not installed'}"] * len(cols), "")
    row("executor plugins loaded (each Snakemake start)",
        [f"{plugins[0]:.2f} s CPU: {', '.join(plugins[1])}"] * len(cols), "SLURM plugin only with the extra [slurm]")
    for est, r in (engine or {}).items():
        ref = f"metafor rma(): {r['metafor'] * 1e6:.0f} us/fit" if r["metafor"] else "metafor: R not available"
        row(f"engine (this tree): random-effects fits, {est}, k = 10",
            [""] * (len(cols) - 1) + [f"batch {r['batch'] * 1e6:.1f} us/fit; one by one {r['one'] * 1e6:.0f} us/fit"],
            ref)
    return "\n".join(lines) + "\n"


def update_docs(text):
    body = DOC.read_text()
    if TABLE_START not in body or TABLE_END not in body:
        raise SystemExit(f"{DOC.relative_to(ROOT)} has no {TABLE_START} ... {TABLE_END} block to refresh")
    head, rest = body.split(TABLE_START, 1)
    _, tail = rest.split(TABLE_END, 1)
    DOC.write_text(f"{head}{TABLE_START}\n{text}{TABLE_END}{tail}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="507274d", help="commit measured as 'before' (default: %(default)s, the last "
                    "commit before issue 23)")
    ap.add_argument("--no-baseline", action="store_true", help="measure today's layout only")
    ap.add_argument("--scale", default="1,5,10", help="numbers of synthetic reviews (default: %(default)s)")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--no-engine", action="store_true", help="skip the engine-vs-metafor timing")
    ap.add_argument("--update-docs", action="store_true", help="write the table into docs/benchmarks.md")
    args = ap.parse_args()
    args.scale = sorted({int(x) for x in args.scale.split(",")})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))  # so the baseline worktree is removed
    load0 = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="ketamine-bench-"))
    baseline = None
    try:
        layouts = {}
        if not args.no_baseline:
            baseline = baseline_tree(args.baseline, tmp)
            layouts[f"before ({args.baseline})"] = baseline
        layouts["after (this tree)"] = ROOT
        results = {label: measure_layout(label, src, tmp, args.scale, args.cores)
                   for label, src in layouts.items()}
        engine = None if args.no_engine else engine_benchmark()
        text = table(results, args, (load0, os.getloadavg()[0]), engine, jsonschema_import(), executor_plugins())
    finally:
        if baseline is not None:
            subprocess.run(["git", "worktree", "remove", "--force", str(baseline)], cwd=ROOT)
        shutil.rmtree(tmp, ignore_errors=True)
    RESULTS.write_text(text)
    print(text)
    if args.update_docs:
        update_docs(text)


if __name__ == "__main__":
    main()
