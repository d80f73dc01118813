"""Deterministic, atomic output writing and the user-error exit used by every pipeline script."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine.rm5 import Rm5Error
from ..ledger.vocabulary import LedgerError

if TYPE_CHECKING:  # pandas is the caller's: the notebooks job, for one, never imports it
    import pandas as pd


class SpecError(ValueError):
    """A review spec or config value the pipeline cannot honour; the message names the file and key."""


USER_ERRORS = (LedgerError, Rm5Error, SpecError)


def _atomic(path, write, binary=False):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; results are meant to be read by others
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")) as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(df: pd.DataFrame, path):
    """Write ``df`` as CSV with full float precision, atomically (no half-written results)."""
    _atomic(path, lambda fh: df.to_csv(fh, index=False, lineterminator="\n", float_format="%.15g"))


def write_bytes(data, path):
    """Write binary content (a workbook) atomically."""
    _atomic(path, lambda fh: fh.write(data), binary=True)


def write_json(obj, path):
    _atomic(path, lambda fh: fh.write(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n"))


def write_text(text, path):
    _atomic(path, lambda fh: fh.write(text))


def run(main, snakemake):
    """Run a stage; a user's mistake ends with one clear message and exit 1, not a traceback.

    The message goes to the job's log, which every profile prints under Snakemake's "Error in rule" block
    (``show-failed-logs``): printed there once, not also on the job's stderr above the block. Either way the job
    ends by ``_exit``; an unexpected exception (a bug) ends it the ordinary way, with its traceback.
    """
    log = Path(snakemake.log[0]) if snakemake.log else None
    try:
        main(snakemake)
    except USER_ERRORS as e:
        msg = f"ERROR: {e}\n"
        if log:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(msg)
        else:
            sys.stderr.write(msg)
        _exit(1)
    _exit(0)


def _exit(code):
    """End the job's process now, skipping the interpreter's teardown (freeing every module's objects: 0.25 s of
    CPU after pandas and matplotlib, more after PyMARE, in a job whose work may take less). Safe here only: every
    output and log is written through a closed file by then (the writers above, ``Path.write_text``, matplotlib's
    and openpyxl's saves by file name), so only Python's own stdout and stderr buffers are left to flush."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
