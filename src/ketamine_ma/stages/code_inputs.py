"""The code a workflow job runs: its script and every module of the package the script imports, transitively, read
off the import statements. ``code()`` in workflow/rules/common.smk gives them to each rule as inputs, so an edit to
the plots reruns the figures and the report, not the pooling, and an edit to the engine reruns everything that
pools (tests/test_pipeline.py checks both with a dry run).

Plain Python (``re``, ``pathlib``): Snakemake imports it at every start.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

PACKAGE = "ketamine_ma"
# Import statements, top-level or inside a function, parenthesised over several lines or not. A regular
# expression, not ast: parsing ~50 files cost 0.15 s of every Snakemake start. Prose that looks like an import
# can only add an input (a needless rerun), never hide one.
_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)|import[ \t]+([^\n]*))",
    re.M,
)


def _names(text):
    """'a as b, c  # why' or '(a,\n b,)' -> ['a', 'c'] or ['a', 'b']."""
    text = re.sub(r"#[^\n]*", "", text).strip("() \n")
    return [n.split()[0] for n in text.split(",") if n.strip()]


@cache  # every generated rule asks for the same few files; read each once
def imports(path: Path, src: Path) -> frozenset[Path]:
    """Files of the package under ``src`` that the file ``path`` imports (absolute or relative imports)."""
    here = path.relative_to(src).parts[:-1] if path.is_relative_to(src) else ()
    names = []
    for dots, module, imported, modules in _IMPORT.findall(path.read_text()):
        if modules:
            names += [m.split(".") for m in _names(modules)]
            continue
        base = list(here[: len(here) - len(dots) + 1]) if dots else []
        base += module.split(".") if module else []
        names += [base] + [base + [a] for a in _names(imported)]
    files = set()
    for parts in (n for n in names if n and n[0] == PACKAGE):
        # importing a.b.c runs a/__init__.py and a/b/__init__.py too
        for i in range(1, len(parts) + 1):
            stem = src.joinpath(*parts[:i])
            files |= {f for f in (stem.with_suffix(".py"), stem / "__init__.py") if f.exists()}
    return frozenset(files)


def code(root: Path, script: str) -> list[str]:
    """``workflow/scripts/<script>`` and every package module it imports, transitively, relative to ``root``."""
    src = root / "src"
    todo, seen = [root / "workflow" / "scripts" / script], set()
    while todo:
        f = todo.pop()
        if f not in seen:
            seen.add(f)
            todo += imports(f, src)
    return sorted(str(f.relative_to(root)) for f in seen)
