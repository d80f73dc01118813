"""What the workflow reads and checks before any job runs, as one call: ``load(config, root)`` validates the config
(filling the schema's defaults into it, as Snakemake's rules then read it), reads and checks each selected review's
spec, routes the contributions to the reviews they touch, validates them (cached: repeated only when what it
depends on changed) and hashes the full texts; it returns a frozen ``Startup`` that workflow/rules/common.smk
hands to the rules. A problem raises ``SpecError`` (or, for a contribution, the ledger's own error) with one line
naming its file and key; common.smk prints it and stops.

Cheap by design: Snakemake runs it at every start, the no-op included, so nothing here imports numpy or pandas
unless there are contributions to read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..ledger import vocabulary
from ..ledger.contrib import route
from . import code_inputs
from . import specs as _specs
from .io import SpecError

# Snakemake's own state folder: the stamp of the last contribution check lives there, so a run stopped by a later
# check leaves data/ untouched.
STAMP = ".snakemake/inputs_checked.json"


@dataclass(frozen=True)
class Startup:
    """What the rules need from the start-up checks (paths relative to ``root``)."""

    root: Path
    spec_names: tuple  # the review registry: every review with a spec file
    specs: dict  # {review: spec} of the selected reviews, in the config's order, schema defaults filled
    ledger_reviews: tuple  # the selected reviews read from the evidence ledger (the others: from their file)
    contributions: dict  # {ledger review: [contribution]} routed to the reviews each touches
    fulltext: Path  # the full-text folder (config 'fulltext')
    fulltext_files: dict  # {sha256: path} of its PDFs
    fulltext_on: bool  # the folder holds a PDF or a manifest row: the full-text jobs run

    def contribution_files(self, review):
        """The files of the contributions routed to ``review`` (a folder of CSV twins: its sheets' CSV files)."""
        return [
            str(f.relative_to(self.root))
            for unit in self.contributions.get(review, [])
            for f in route.unit_files(self.root / unit)
        ]


@cache  # one read per schema, not one per spec
def _schema(root, name):
    return _specs.read_yaml(Path(root) / "config/schemas" / name)


def _validate(root, doc, schema, name):
    """Schema check (filling the schema's defaults), one line naming the file, analysis and key on a violation."""
    problem = _specs.validate(doc, _schema(root, schema), name)
    if problem:
        raise SpecError(problem)


def _load_spec(root, review, names):
    path = root / vocabulary.SPEC_DIR / f"{review}.yaml"
    name = path.relative_to(root)
    if review not in names:
        raise SpecError(f"config 'reviews': {vocabulary.no_spec(review, names)}")
    spec = _specs.read_yaml(path, root)
    _validate(root, spec, "review.schema.yaml", str(name))
    if spec["review"] != review:
        raise SpecError(f"{name}: key 'review' is {spec['review']!r}, expected {review!r}")
    return spec


def _contributed_figures(units):
    """The figures the contributions' published sheets give (a spec may name them)."""
    if not units:
        return set()
    # imported here: reading the worksheets needs pandas, which a run without contributions never pays for
    from ..ledger.contrib.read import published_ids

    return published_ids(units)


def _routed(root, units, specs, ledger_reviews):
    """Contributions routed to the ledger reviews they touch (so a contribution reruns only those reviews' jobs),
    as paths relative to the project."""
    if not units:
        return {r: [] for r in ledger_reviews}
    from ..ledger.contrib.read import routes

    found = routes(units, specs, list(ledger_reviews), root / "data/raw/membership.csv")
    return {r: [str(u.relative_to(root)) for u in us] for r, us in found.items()}


def check_inputs(start):
    """What can be checked before any job runs is checked here, in Snakemake's own process: every contribution,
    read and validated once against the selected reviews, so a bad cell stops the run with one message before any
    job writes anything (each review's contribute job repeats it on its share). Repeated only when something it
    depends on changed (its fingerprint in ``STAMP``): contributions, the raw ledger, the selection and specs, the
    code. A new up-front check joins this function and its fingerprint.

    Not a job that the others wait for: Snakemake skips evaluating the jobs below a job that reruns when the link
    is ancient(), so a new contribution would not have rerun its review, and without ancient() every rerun of the
    checks would rerun every result.
    """
    root, contributions = start.root, start.contributions
    units = sorted({u for r in contributions for u in contributions[r]})
    if not units:
        return
    files = sorted({f for r in contributions for f in start.contribution_files(r)})
    files += sorted(str(p.relative_to(root)) for p in (root / "data/raw").glob("*.csv"))
    files += code_inputs.code(root, "contribute.py")
    h = hashlib.sha256(json.dumps([units, start.specs], sort_keys=True, default=str).encode())
    for f in files:
        h.update(f.encode() + b"\0" + (root / f).read_bytes())
    stamp = root / STAMP
    if stamp.exists() and json.loads(stamp.read_text()).get("fingerprint") == h.hexdigest():
        return
    from ..ledger.tables import load_ledger
    from . import completion

    completion.contribute(load_ledger(root / "data/raw", reviews=list(start.spec_names)), units,
                          list(start.specs), start.specs)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({"fingerprint": h.hexdigest(), "contributions": units}, indent=2) + "\n")


def _fulltext_files(root, folder):
    """{sha256: path} of the folder's PDFs, hashed at DAG build (milliseconds per paper) so that a job reads a
    PDF only when its content is new. Links out of the folder are not read here: the index job rejects them.
    """
    files = {}
    if not folder.is_dir():
        return files
    inside = folder.resolve()
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.suffix.lower() != ".pdf" or any(s.startswith(".") for s in rel.parts):
            continue
        if p.is_file() and p.resolve().is_relative_to(inside):
            sha = hashlib.sha256(p.read_bytes()).hexdigest()
            files.setdefault(sha, str(p.relative_to(root)))
    return files


def _manifest_rows(folder):
    path = folder / "documents.csv"
    if not path.exists():
        return 0
    return len([ln for ln in path.read_text(encoding="utf-8").splitlines()[1:] if ln.strip(" ,")])


def load(config, root):
    """Check the config (defaults filled into ``config``), the selected specs, the contributions and the full texts
    of the project at ``root``; the ``Startup`` the rules read. Raises ``SpecError`` (or the contributions'
    ``LedgerError``) with one line naming the file and key."""
    root = Path(root)
    _validate(root, config, "config.schema.yaml", "config (config/config.yaml and --config)")
    names = _specs.spec_names(root)
    specs = {r: _load_spec(root, r, names) for r in config["reviews"]}
    ledger_reviews = tuple(r for r, s in specs.items() if s["source"] == "ledger")

    units = route.discover(root / config["contrib"])
    checker = _specs.Checker(root, _contributed_figures(units))
    problems = [p for r, s in specs.items() for p in checker.problems(f"config/reviews/{r}.yaml", s)]
    problems += _specs.unknown_reviews(root, names)
    if problems:
        raise SpecError("\n".join(problems))
    known = sorted({k for s in specs.values() for k in s["analyses"]})
    for o in config["outcomes"]:
        if o not in known:
            raise SpecError(
                f"config 'outcomes': {o!r} is not an analysis of the selected reviews; allowed: {', '.join(known)}")

    folder = root / config["fulltext"]
    fulltext = _fulltext_files(root, folder)
    start = Startup(
        root=root,
        spec_names=tuple(names),
        specs=specs,
        ledger_reviews=ledger_reviews,
        contributions=_routed(root, units, specs, ledger_reviews),
        fulltext=folder,
        fulltext_files=fulltext,
        fulltext_on=bool(fulltext) or _manifest_rows(folder) > 0
        or (folder.is_dir() and any(p.suffix.lower() == ".pdf" for p in folder.rglob("*"))),
    )
    check_inputs(start)
    return start
