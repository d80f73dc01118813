"""No result path is typed twice in the rules: a path that more than one rule names is a constant or function of
workflow/rules/paths.smk, so moving an output is one edit (a retyped copy would leave a rule reading the old
place). Lists every path the rules files type, with where."""

import re
from collections import defaultdict
from pathlib import Path

RULES = Path(__file__).resolve().parents[1] / "workflow" / "rules"
# A quoted path under results/ or data/processed/ (a plain or an f-string; a message with spaces is not a path).
PATH = re.compile(r"""f?(["'])((?:results|data/processed)/[^"'\s]*)\1""")


def typed_paths():
    where = defaultdict(list)
    for smk in sorted(RULES.glob("*.smk")):
        for n, line in enumerate(smk.read_text().splitlines(), 1):
            for m in PATH.finditer(line):
                where[m.group(2)].append(f"{smk.name}:{n}")
    return where


def test_the_scan_sees_the_paths_of_paths_smk():
    assert {"results/summary/pooled.csv", "results/reproduction.csv"} <= set(typed_paths())


def test_no_result_path_is_typed_twice_in_the_rules():
    twice = {p: w for p, w in typed_paths().items() if len(w) > 1}
    assert twice == {}, "\n".join(f"{p}: {', '.join(w)}" for p, w in sorted(twice.items()))
