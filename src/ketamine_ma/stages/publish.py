"""results/ changes only when a run succeeds: a snapshot of hard links when the run starts, put back when it fails
or is interrupted; outputs of reviews the run no longer selects moved aside when it succeeds.

Only a run that builds the whole selection (the default target) records a selection and moves outputs aside; a run
of another target writes its own outputs and records nothing, and is refused before any job when it would rewrite
an output spanning the reviews (the summary tables, the report's landing page) for another selection than the one
results/ holds (``spanning``).

A hard link costs no copy: the jobs replace their outputs (Snakemake deletes an output before its job runs, and
stages.io writes a new file and renames it), so the snapshot keeps the old bytes. Snakemake's metadata record of
each result (what decides a rerun) is copied beside it and put back too, so the next run sees the restored files
as what they are: the outputs of the run before. Only the standard library: this runs in Snakemake's process.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
from base64 import urlsafe_b64encode
from pathlib import Path

SNAPSHOT = ".snakemake/results-snapshot"
METADATA = ".snakemake/metadata"
SELECTION = "selection.json"


def _files(folder: Path) -> list[str]:
    return [str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() or p.is_symlink()]


def record_path(metadata: Path, path: str) -> Path:
    """Where Snakemake keeps the metadata record of output ``path`` (its persistence format: the path in URL-safe
    base64, split into folders of at most NAME_MAX characters, each but the last marked with '@')."""
    max_len = os.pathconf(metadata, "PC_NAME_MAX") if os.name == "posix" else 255
    b64 = urlsafe_b64encode(path.encode()).decode()
    parts = [b64[i:i + max_len - 1] for i in range(0, len(b64), max_len - 1)]
    return metadata.joinpath(*(["@" + s for s in parts[:-1]] + [parts[-1]]))


def _link(src: Path, dst: Path):
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:  # another file system (results/ a symlink elsewhere): copy
        shutil.copy2(src, dst)


def snapshot(root, results="results"):
    """Hard-link every file of results/ and copy its metadata record into the snapshot; returns the file count."""
    root = Path(root)
    store, res, meta = root / SNAPSHOT, root / results, root / METADATA
    shutil.rmtree(store, ignore_errors=True)
    store.mkdir(parents=True)
    files = _files(res) if res.is_dir() else []
    for rel in files:
        _link(res / rel, store / "files" / rel)
        rec = record_path(meta, f"{results}/{rel}") if meta.is_dir() else None
        if rec and rec.is_file():
            (store / "metadata" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(rec, store / "metadata" / rel)
    (store / "complete").touch()  # a snapshot cut short (a hard kill) is never restored
    return len(files)


def restore(root, results="results") -> list[str]:
    """Put results/ back as the snapshot has it (and the metadata records of what changed); drop the snapshot.
    Returns the paths put back or removed."""
    root = Path(root)
    store, res, meta = root / SNAPSHOT, root / results, root / METADATA
    if not (store / "complete").exists():
        return []
    saved = store / "files"
    before = set(_files(saved)) if saved.is_dir() else set()
    now = set(_files(res)) if res.is_dir() else set()
    changed = []
    for rel in sorted(now):
        if rel not in before or not os.path.samefile(res / rel, saved / rel):
            (res / rel).unlink()
            changed.append(rel)
    for rel in sorted(before):
        if not (res / rel).exists():
            _link(saved / rel, res / rel)
            changed.append(rel)
    for rel in sorted(set(changed)):
        rec, old = record_path(meta, f"{results}/{rel}"), store / "metadata" / rel
        if old.is_file():
            rec.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(old, rec)
        else:
            rec.unlink(missing_ok=True)
    if res.is_dir():  # folders the failed run created
        for d in sorted((p for p in res.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
            if not any(d.iterdir()):
                d.rmdir()
        if not before and not any(res.iterdir()):
            res.rmdir()
    shutil.rmtree(store, ignore_errors=True)
    return sorted(set(changed))


def discard(root):
    shutil.rmtree(Path(root) / SNAPSHOT, ignore_errors=True)


def last_selection(root, results="results"):
    """The selection ({"reviews": [...], "outcomes": [...]}) of the last run that succeeded, or None."""
    path = Path(root) / results / SELECTION
    return json.loads(path.read_text()) if path.exists() else None


def belongs(path, review, results="results") -> bool:
    """Whether an output path under results/ is one of ``review``'s: named after it (its folder, or a file
    ``<review>.*`` or ``<review>-*``, the names every rule gives a review's outputs)."""
    parts = Path(path).parts
    if not parts or parts[0] != results:
        return False
    return any(p == review or p.startswith((f"{review}.", f"{review}-")) for p in parts[1:])


def spanning(outputs, reviews, results="results") -> list[str]:
    """The outputs under results/ that belong to no review of ``reviews``: those that span the selection."""
    return sorted(str(f) for f in outputs
                  if Path(f).parts[:1] == (results,) and not any(belongs(f, r, results) for r in reviews))


def refusal(whole, last, selection, outputs, command) -> str | None:
    """Why a run may not go on, or None: a run of another target than the whole selection (``whole`` False) that
    would rewrite ``outputs`` spanning the reviews while results/ holds the run of another selection (``last``).
    ``command``: the user's command without its targets, to build the whole selection instead."""
    if whole or not last or last == selection:
        return None
    wide = spanning(outputs, selection["reviews"])
    if not wide:
        return None
    return (f"this run would rewrite {', '.join(wide[:3])}{' ...' if len(wide) > 3 else ''} for "
            f"reviews={selection['reviews']}, but results/ holds the run of reviews={last['reviews']}, "
            f"outcomes={last['outcomes']} (results/selection.json); build the whole selection (`{command}`) or give "
            "this target that run's --config")


def command_line(argv, drop=()) -> str:
    """The user's command as typed (``argv``: the Snakemake process's sys.argv), without the options and targets in
    ``drop`` (an option given as ``--opt value`` or ``--opt=value``); the program as the user can type it again."""
    prog = argv[0]
    if os.path.isabs(prog) and shutil.which(os.path.basename(prog)) == prog:  # found on PATH: typed bare
        prog = os.path.basename(prog)
    args, rest = [], list(argv[1:])
    while rest:
        a = rest.pop(0)
        if a in drop:
            if a.startswith("-") and rest and not rest[0].startswith("-"):
                rest.pop(0)
        elif a.split("=", 1)[0] not in drop:
            args.append(a)
    return shlex.join([prog, *args])


def move_aside(root, groups, selection, rebuilt=(), results="results", dest="deselected") -> dict[str, list[str]]:
    """After a run of the whole selection that succeeded: move each group of outputs (name -> glob patterns under
    results/) to ``dest/<name>/`` (replacing what an earlier run put there), remove ``dest/<name>/`` of each group
    ``rebuilt`` (selected again: this run rebuilt its outputs in results/), and record this run's selection.
    Returns what moved.
    """
    root = Path(root)
    for name in rebuilt:
        shutil.rmtree(root / dest / name, ignore_errors=True)
    if (root / dest).is_dir() and not any((root / dest).iterdir()):
        (root / dest).rmdir()
    moved = {}
    for name, patterns in groups.items():
        found = {p for pat in patterns for p in (root / results).glob(pat)}
        paths = sorted(p for p in found if not any(a in found for a in p.parents))  # a folder moves with its files
        if not paths:
            continue
        target = root / dest / name
        shutil.rmtree(target, ignore_errors=True)
        for p in paths:
            rel = p.relative_to(root / results)
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(p, target / rel)
        moved[name] = [str(p.relative_to(root)) for p in paths]
    out = root / results / SELECTION
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(selection, indent=2, sort_keys=True) + "\n")
    return moved
