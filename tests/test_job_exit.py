"""Every pipeline script ends through ``stages.io.run``, which leaves without the interpreter's teardown (issue 33):
its outputs and log must be whole, what it printed must reach the terminal, and the exit code must say how it
went, on success and on a user's mistake."""

import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

JOB = """
import atexit, sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from ketamine_ma.stages import io

out, log, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
atexit.register(lambda: out.with_name("teardown-ran").write_text("yes"))


def main(smk):
    io.write_csv(pd.DataFrame({"i": range(200_000), "x": [0.1] * 200_000}), smk.output[0])
    print("printed by the job")  # stdout is a pipe here: block-buffered, as under Snakemake
    if mode == "user-error":
        raise io.SpecError("config/reviews/x.yaml: analyses.a.measure: 'XX' is not a measure")
    if mode == "bug":
        raise KeyError("a bug")
    Path(smk.log[0]).write_text("done\\n")


io.run(main, SimpleNamespace(output=[str(out)], log=[str(log)]))
print("not reached")
"""


def job(tmp_path, mode):
    out, log = tmp_path / "out.csv", tmp_path / "logs" / "job.log"
    log.parent.mkdir()  # as Snakemake makes it
    res = subprocess.run([sys.executable, "-c", JOB, str(out), str(log), mode], capture_output=True, text=True,
                         cwd=ROOT)
    return res, out, log


def test_a_job_ends_without_teardown_with_its_files_whole_and_exit_0(tmp_path):
    res, out, log = job(tmp_path, "ok")
    assert res.returncode == 0, res.stderr
    assert res.stdout == "printed by the job\n"  # flushed before leaving; nothing after run()
    table = pd.read_csv(out)
    assert len(table) == 200_000 and table.i.iloc[-1] == 199_999
    assert log.read_text() == "done\n"
    assert not (tmp_path / "teardown-ran").exists()  # the lever is in effect: no atexit, no teardown
    assert sorted(p.name for p in tmp_path.iterdir()) == ["logs", "out.csv"]  # no temporary file left


def test_a_users_mistake_ends_with_exit_1_and_the_message_in_the_log(tmp_path):
    res, out, log = job(tmp_path, "user-error")
    assert res.returncode == 1
    assert log.read_text() == "ERROR: config/reviews/x.yaml: analyses.a.measure: 'XX' is not a measure\n"
    assert res.stderr == ""  # printed once, by Snakemake under "Error in rule" (show-failed-logs)
    assert res.stdout == "printed by the job\n"
    assert not (tmp_path / "teardown-ran").exists()


def test_a_bug_ends_the_ordinary_way_with_its_traceback_and_a_nonzero_exit(tmp_path):
    res, out, log = job(tmp_path, "bug")
    assert res.returncode == 1
    assert "Traceback" in res.stderr and "KeyError: 'a bug'" in res.stderr
    assert not log.exists()
