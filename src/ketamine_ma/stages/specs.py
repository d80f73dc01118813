"""The config and the review specs as the workflow reads them at every start: YAML with file, line and column,
a schema error as one line naming the file, analysis and key, and the checks of meaning a schema cannot express
(day windows, a measure that fits the outcome's data, subgroups the source carries, published figures that
exist). Cheap by design: it runs before every Snakemake run, the no-op included (no pandas, no pandera)."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import yaml

from ..ledger.vocabulary import (
    DATA_STATISTICS,
    MEASURE_DATA,
    MEMBERSHIP_SHEET,
    MH_MEASURES,
    SOURCE_SUBGROUPS,
    SPEC_DIR,
    TRIAL_ATTRIBUTES,
    no_spec,
)
from .io import SpecError

# The conventions of the software a review used, each preset setting every key together (docs/conventions.md names
# each default and where the software documents it; config/schemas/review.schema.yaml lists the same names and
# keys): the basis of I² (from Q, or from τ²), the zero-cell correction (the value added, to which tables, and
# whether the Mantel-Haenszel estimate uses the corrected counts), studies with no events in either arm (excluded
# from RR and OR, or kept) and Mantel-Haenszel pooling within subgroups of an M-H analysis.
PRESETS = {
    "revman5": {"i2": "q", "zero_cell": {"add": 0.5, "to": "only0", "mh": True}, "double_zero": "exclude",
                "mh_subgroups": True},
    "r_meta": {"i2": "q", "zero_cell": {"add": 0.5, "to": "only0", "mh": True}, "double_zero": "exclude",
               "mh_subgroups": True},
    "metafor": {"i2": "tau2", "zero_cell": {"add": 0.5, "to": "only0", "mh": False}, "double_zero": "keep",
                "mh_subgroups": True},
    "stata_metan": {"i2": "q", "zero_cell": {"add": 0.5, "to": "only0", "mh": True}, "double_zero": "exclude",
                    "mh_subgroups": True},
}


def conventions(spec):
    """A review's conventions: its preset's, with the keys the spec sets itself over them (``zero_cell`` key by
    key)."""
    own = spec.get("conventions", {})
    base = PRESETS[own.get("preset", "revman5")]
    out = {**base, **{k: v for k, v in own.items() if k not in ("preset", "zero_cell")}}
    out["zero_cell"] = {**base["zero_cell"], **own.get("zero_cell", {})}
    return {"preset": own.get("preset", "revman5"), **out}


# libyaml's safe loader when PyYAML was built with it: parsing the config, the schemas and every spec at each start
# took ~0.1 s of pure-Python parsing (same errors, with line and column).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path, root=None):
    """A YAML file's content; a syntax error names the file, line and column (no traceback)."""
    name = Path(path).relative_to(root) if root else Path(path)
    try:
        return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        context = f" ({e.context} at line {e.context_mark.line + 1})" if e.context and e.context_mark else ""
        raise SpecError(f"{name}{where}: YAML syntax error: {e.problem}{context}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise SpecError(f"{name}: not readable as YAML: {e}") from None


@cache  # one class per schema dialect, not one per document
def _filling_defaults(cls):
    """A validator class that also sets each missing property that has a schema ``default`` (as Snakemake's
    validate() does, in the same single pass over the document)."""
    import jsonschema

    check = cls.VALIDATORS["properties"]

    def properties(validator, props, instance, schema):
        if isinstance(instance, dict):
            for key, sub in props.items():
                if isinstance(sub, dict) and "default" in sub:
                    instance.setdefault(key, sub["default"])
        yield from check(validator, props, instance, schema)

    return jsonschema.validators.extend(cls, {"properties": properties})


def validate(doc, schema, name):
    """Check ``doc`` against ``schema`` and fill its defaults; the first violation as one line naming ``name``,
    the analysis and the key (a missing key: in the first line, not under a dump of the schema), or None."""
    import jsonschema  # Snakemake imports it at every start anyway

    cls = _filling_defaults(jsonschema.validators.validator_for(schema))
    err = jsonschema.exceptions.best_match(cls(schema).iter_errors(doc))
    if err is None:
        return None
    path = [str(p) for p in err.absolute_path]
    where = name
    if len(path) >= 2 and path[0] == "analyses":
        where += f", analysis {path[1]!r}"
        path = path[2:]
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return f"{where}: missing required key {'.'.join(path + [missing])!r}"
    if path:
        where += f", key {'.'.join(path)!r}"
    return f"{where}: {err.message}"


def spec_names(root):
    """The review registry: the name of every review with a spec file under ``root`` (sorted)."""
    return sorted(p.stem for p in (Path(root) / SPEC_DIR).glob("*.yaml"))


def unknown_reviews(root, known, tables=("membership", "published")):
    """One line per row of the raw ledger's ``tables`` that names a review with no spec file (file and row named);
    read with the csv module, so that the check runs at every start for the price of reading two small files."""
    out = []
    for name in tables:
        path = Path(root) / "data/raw" / f"{name}.csv"
        if not path.exists():
            continue  # the extract stage reports a missing table
        with open(path, encoding="utf-8", newline="") as fh:
            for line, row in enumerate(csv.DictReader(fh), start=2):
                review = row.get("review")
                if review and review not in known:
                    out.append(f"data/raw/{name}.csv, row {line}, column 'review': {no_spec(review, known)}")
    return out


def _ledger_statistics(raw):
    """Ledger outcome name -> the statistics data/raw/extraction.csv records for it."""
    out = {}
    with open(Path(raw) / "extraction.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["outcome"], set()).add(row["statistic"])
    return out


def _result_ids(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return {(r["review"], r["result_id"]) for r in csv.DictReader(fh)}


class Checker:
    """Checks of meaning for the review specs of one run, reading the raw ledger at most once."""

    def __init__(self, root, contributed=()):
        """``contributed``: ``(review, result_id)`` of the figures the contributions' published sheets give."""
        self.root = Path(root)
        self.contributed = set(contributed)
        self._stats = None
        self._published = {}

    def stats(self):
        if self._stats is None:
            self._stats = _ledger_statistics(self.root / "data/raw")
        return self._stats

    def published(self, path):
        if path not in self._published:
            self._published[path] = _result_ids(self.root / path)
        return self._published[path]

    def problems(self, name, spec):
        """Every problem of meaning in one spec, each a line naming ``name``, the analysis and the key."""
        source = spec["source"]
        table = {"ledger": "data/raw/published.csv", "table": spec.get("published_table")}.get(source)
        out = [f"{name}, {p}" for p in self._conventions(spec.get("conventions"))]
        carried = {*SOURCE_SUBGROUPS[source], *TRIAL_ATTRIBUTES, "design", "randomised", *MEMBERSHIP_SHEET}
        out += [f"{name}, key 'groupings.{g}': {g!r} is already a column the ledger carries; name the grouping "
                "otherwise" for g in spec["groupings"] if g in carried]
        for key, a in spec["analyses"].items():
            where = f"{name}, analysis {key!r}"
            out += [f"{where}, {p}" for p in self._window(a.get("timepoint"))]
            out += [f"{where}, {p}" for p in self._measure(a, source)]
            allowed = self.subgroups(spec)
            for by in a.get("subgroups", []):
                if by not in allowed:
                    out.append(f"{where}, key 'subgroups': {by!r} is not a grouping this spec declares (a review "
                               f"whose source is {source!r} with trial_attributes "
                               f"[{', '.join(spec['trial_attributes'])}] and groupings "
                               f"[{', '.join(spec['groupings'])}] splits by: {', '.join(allowed) or 'none'})")
            if "dose" in a.get("subgroups", []) and a.get("dose_cut_mg_kg") is None:
                out.append(f"{where}, key 'dose_cut_mg_kg': the 'dose' subgroup needs the dose that splits it")
            if table and (self.root / table).exists():
                known = self.published(table)
                for rid in a.get("published", []):
                    if (spec["review"], rid) not in known | self.contributed:
                        out.append(f"{where}, key 'published': {rid!r} is not a result_id of review "
                                   f"{spec['review']!r} in {table}"
                                   + (" nor in a worksheet's published sheet" if source == "ledger" else ""))
        return out

    @staticmethod
    def _conventions(own):
        """Conventions that contradict themselves, or the software their preset names (RevMan 5 offers no other)."""
        if not own:
            return []
        out, z = [], own.get("zero_cell", {})
        if z.get("add") == 0 and z.get("to", "only0") != "none":
            out.append("key 'conventions.zero_cell.add': adding 0 corrects nothing; say 'to: none'")
        if z.get("to") == "none" and z.get("add", 0) > 0:
            out.append(f"key 'conventions.zero_cell.add': {z['add']:g} is added to no table under 'to: none'")
        if own["preset"] == "revman5":
            fixed = {"i2": ("q", "RevMan 5 computes I² from Q only"),
                     "double_zero": ("exclude", "RevMan 5 excludes studies with no events in either arm"),
                     "zero_cell.mh": (True, "RevMan 5 pools the corrected counts by Mantel-Haenszel")}
            given = {**{k: own[k] for k in ("i2", "double_zero") if k in own},
                     **({"zero_cell.mh": z["mh"]} if "mh" in z else {})}
            out += [f"key 'conventions.{k}': {v!r} is not RevMan 5's ({fixed[k][1]}); name the software that "
                    f"computed the review's figures in 'preset'" for k, v in given.items() if v != fixed[k][0]]
        return out

    @staticmethod
    def subgroups(spec):
        """What a review can split its trials by: what its source carries, and (a ledger review) the trial
        attributes and groupings it declares (the worksheet's membership sheet gives a trial's grouping); the dose
        split only for a review that declares the dose."""
        ledger = spec["source"] == "ledger"
        declared = spec["trial_attributes"] if ledger else []
        carried = [b for b in SOURCE_SUBGROUPS[spec["source"]] if b != "dose" or "dose_mg_kg" in declared]
        return carried + [c for c in declared if c != "dose_mg_kg"] + (list(spec["groupings"]) if ledger else [])

    @staticmethod
    def _window(tp):
        if not tp:
            return []
        lo, hi, target = tp["min_days"], tp["max_days"], tp.get("target_days")
        out = [f"key 'timepoint.{k}': {tp[k]:g} days is negative" for k in ("min_days", "max_days", "target_days")
               if tp.get(k) is not None and tp[k] < 0]
        if lo > hi:
            out.append(f"key 'timepoint': min_days {lo:g} is after max_days {hi:g}")
        elif target is not None and not lo <= target <= hi:
            out.append(f"key 'timepoint.target_days': {target:g} is outside the window {lo:g} to {hi:g} days")
        return out

    def _measure(self, a, source):
        measure, data = a["measure"], MEASURE_DATA[a["measure"]]
        out = []
        if a["method"] == "MH" and measure not in MH_MEASURES:
            out.append(f"key 'method': Mantel-Haenszel pools 2x2 tables ({', '.join(MH_MEASURES)}), not {measure}")
        if source != "ledger":
            return out
        kinds = {}  # data kind -> what the ledger records for the analysis' outcomes that says so
        for o in a["outcomes"]:
            for kind, stats in DATA_STATISTICS.items():
                said = sorted(self.stats().get(o, set()) & set(stats))
                if said:
                    kinds.setdefault(kind, []).append(f"{o} ({', '.join(said)})")
        if kinds and data not in kinds:
            fits = sorted(m for m, d in MEASURE_DATA.items() if d in kinds)
            said = "; ".join(f"{kind} data: {', '.join(v)}" for kind, v in kinds.items() if kind != "proportion")
            out.append(f"key 'measure': {measure} pools {data} data, but the ledger records {said}; a measure "
                       f"that fits: {', '.join(fits)}")
        return out
