"""The package's import direction: engine ← ledger ← outputs ← stages, and no import cycles (issue 11)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "ketamine_ma"
ORDER = ["engine", "ledger", "outputs", "stages"]


def module_of(path):
    return ".".join(("ketamine_ma",) + path.relative_to(PKG).with_suffix("").parts).removesuffix(".__init__")


def imports(path, text=None):
    """Absolute names of the ketamine_ma modules (or packages) one file imports."""
    pkg = module_of(path).split(".")
    if path.name != "__init__.py":
        pkg = pkg[:-1]
    out = set()
    for node in ast.walk(ast.parse(text if text is not None else path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = pkg[: len(pkg) - node.level + 1] if node.level else []
            base = base + (node.module.split(".") if node.module else [])
            for a in node.names:
                full = ".".join(base + [a.name])
                out.add(full if (PKG.parent / full.replace(".", "/")).with_suffix(".py").exists() else ".".join(base))
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return {m for m in out if m.startswith("ketamine_ma")}


MODULES = {module_of(p): p for p in PKG.rglob("*.py")}
GRAPH = {m: imports(p) for m, p in MODULES.items()}


def layer(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ORDER else None


def test_every_module_lives_in_a_layer():
    loose = [m for m in MODULES if m != "ketamine_ma" and layer(m) is None]
    assert not loose, f"modules outside engine/ledger/outputs/stages: {loose}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer(m)))
def test_imports_point_only_down_the_layers(module):
    upward = upward_imports(module, GRAPH[module])
    assert not upward, f"{module} imports {upward}: the direction is engine <- ledger <- outputs <- stages"


def upward_imports(module, targets):
    mine = ORDER.index(layer(module))
    return [t for t in targets if layer(t) and ORDER.index(layer(t)) > mine]


def test_subpackage_inits_import_nothing():
    # a rule's code inputs are the modules its script imports; an __init__ that imports would widen them all
    for sub in ORDER:
        assert not GRAPH[f"ketamine_ma.{sub}"], sub


def test_no_import_cycles():
    state = {}

    def visit(m, path):
        state[m] = "open"
        for t in GRAPH.get(m, ()):
            if state.get(t) == "open":
                raise AssertionError(f"import cycle: {' -> '.join(path + [t])}")
            if t not in state:
                visit(t, path + [t])
        state[m] = "done"

    for m in sorted(GRAPH):
        if m not in state:
            visit(m, [m])


def test_the_checker_sees_a_violation():
    # the direction check must be able to fail: an engine module importing the ledger is caught
    fake = imports(PKG / "engine" / "pooling.py", "from ..ledger import studies\nfrom . import effects\n")
    assert fake == {"ketamine_ma.ledger.studies", "ketamine_ma.engine.effects"}
    assert upward_imports("ketamine_ma.engine.pooling", fake) == ["ketamine_ma.ledger.studies"]



def private_imports(path, text=None):
    """``from <package module> import _name``: a private name of one module used by another."""
    out = []
    for node in ast.walk(ast.parse(text if text is not None else path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("ketamine_ma")):
            out += [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
    return out


def test_no_module_imports_a_private_name_of_another():
    # a name another module needs is public in the module that owns it (a private one may change unannounced)
    found = {m: names for m, p in MODULES.items() if (names := private_imports(p))}
    assert not found, f"private names imported across modules: {found}"
    assert private_imports(PKG / "engine" / "x.py", "from .pooling import NO_TAU2_CI, _note\n") == ["_note"]

@pytest.mark.parametrize("spelling", ['"FE"', '("RR", "OR")', '("MD", "SMD")'])
def test_the_engine_alone_spells_models_and_measure_families(spelling):
    # the fixed-effect label and the measure families live in the engine (pooling.estimator_label,
    # effects.family/is_ratio); a copy elsewhere would miss the next change
    files = [p for p in PKG.rglob("*.py") if layer(module_of(p)) != "engine"]
    files += sorted((PKG.parents[1] / "workflow" / "scripts").glob("*.py"))
    outside = [p for p in files if spelling in p.read_text()]
    assert not outside, f"{spelling} spelled outside the engine in {[p.name for p in outside]}"


def test_pooling_imports_neither_pymare_nor_scipy_stats_only_meta_regression_imports_pymare():
    # issue 33: every pool (DL and fixed effect in closed form) and its p values and quantiles (scipy.special)
    # import neither PyMARE (SymPy among it) nor scipy.stats, each a large part of an analyse job's CPU; the
    # meta-regression (common-tau2 subgroup test) is PyMARE's
    code = """import sys
import pandas as pd
from ketamine_ma.engine import mantel_haenszel, pooling, sensitivity, subgroups
from ketamine_ma.stages import analysis
empty = pd.DataFrame(columns=["trial_id", "ai", "n1", "ci", "n2"])
analysis.pool(empty, {"measure": "RR", "method": "IV", "model": "random", "tau2_estimator": "DL", "ci_method": "wald"})
y, v = [0.1, 0.5, 0.3, -0.2], [0.04, 0.05, 0.02, 0.03]
for model, est, ci in (("random", "DL", "wald"), ("random", "REML", "knha"), ("fixed", "DL", "wald")):
    pooling.inverse_variance(y, v, model, est, ci, pi_method="hts")
mantel_haenszel.mh_meta([2, 3, 1], [20, 30, 25], [5, 4, 6], [21, 29, 24], "OR", "random")
sensitivity.egger(y, v)
sensitivity.trim_and_fill(y, v, side="left")
print("pymare" in sys.modules, "scipy.stats" in sys.modules)
subgroups.meta_regression(y, v, [0, 1, 0, 1], "DL")
print("pymare" in sys.modules)
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PKG.parents[1])
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split() == ["False", "False", "True"]
