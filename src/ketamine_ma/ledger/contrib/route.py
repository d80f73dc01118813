"""Which contributions there are and the files each consists of: asked by Snakemake at every start, so this
module imports neither pandas nor openpyxl (``read.routes`` reads the ones there are)."""

from __future__ import annotations

from pathlib import Path

from ..vocabulary import SHEETS


def discover(folder):
    """Contributions in ``folder``: ``.xlsx`` worksheets, ``.rm5`` files, and folders of CSV twins."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    out = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith((".", "~$")):
            continue
        if p.is_file() and p.suffix.lower() in (".xlsx", ".rm5"):
            out.append(p)
        elif p.is_dir() and any((p / f"{s}.csv").exists() for s in SHEETS):
            out.append(p)
    return out


def unit_files(unit):
    """The files a contribution consists of (a workflow input: editing any of them reruns its reviews)."""
    unit = Path(unit)
    return [unit] if unit.is_file() else [unit / f"{s}.csv" for s in SHEETS if (unit / f"{s}.csv").exists()]

