"""pandera schemas of the ledger tables (imported lazily by ``ledger.rows.check_schema``)."""

import pandera.pandas as pa

from .vocabulary import (
    ARMS,
    DESIGNS,
    DOI,
    ESTIMATE_MEASURES,
    FIGURE_KINDS,
    FIGURE_PARTS,
    PMCID,
    PMID,
    RANDOMISED,
    REGISTRY_ID,
    SCALES,
    SMALL_STUDY_TESTS,
    STATISTICS,
    SUBGROUP_TESTS,
    TRIAL_ATTRIBUTES,
    TRIAL_ID,
)
from .vocabulary import SOURCE_KINDS as KINDS


def _text(required=True, isin=None, regex=None, unique=False):
    checks = []
    if isin is not None:
        checks.append(pa.Check.isin(list(isin), error=f"must be one of: {', '.join(isin)}"))
    if regex is not None:
        checks.append(pa.Check.str_matches(regex, error=f"must match the pattern {regex}"))
    if required:
        checks.append(pa.Check(lambda s: s.str.strip() != "", element_wise=False, error="must not be empty"))
    return pa.Column(str, checks=checks, nullable=not required, unique=unique)


def _num(required=False, ge=None, le=None):
    checks = []
    if ge is not None:
        checks.append(pa.Check.ge(ge, error=f"must be >= {ge}"))
    if le is not None:
        checks.append(pa.Check.le(le, error=f"must be <= {le}"))
    return pa.Column(float, checks=checks, nullable=not required, coerce=True)


P_VALUE = r"^\s*[<>]?=?\s*\d*\.?\d+$"  # a p as printed: "0.03", "<.0001", "< 0.00001"
# The printed parts of a published figure beyond estimate, CI, p, k, n and I² (vocabulary.FIGURE_PARTS, in that
# order): the one definition of those columns, which the published table and a worksheet's published sheet share.
FIGURE_PART_COLUMNS = {
    "tau2": _num(ge=0),
    "q": _num(ge=0),
    "q_df": _num(ge=0),
    "q_p": _text(required=False, regex=P_VALUE),
    "stat": _num(),
    "stat_df": _num(ge=0),
    "k_added": _num(ge=0),
    "subgroup": _text(required=False),
    "test": _text(required=False, isin=SMALL_STUDY_TESTS + SUBGROUP_TESTS),
}
if tuple(FIGURE_PART_COLUMNS) != FIGURE_PARTS:
    raise ImportError("ledger.schemas: FIGURE_PART_COLUMNS must list vocabulary.FIGURE_PARTS in its order")

# One URL, or several separated by " ; " when the facts of one row were read on more than one page.
URL = r"^https?://\S+( ; https?://\S+)*$"
# A source is a URL or DOI; the project's design documents (shared/sources/seeds/) are allowed for headline
# figures found nowhere else, and then the row says source_kind "secondary". `source` is the canonical record
# (doi.org, PubMed, PMC, a registry) whenever the text read is that record; `read_at` is the URL where it was
# actually read when that is another page (a mirror, an aggregator, the publisher's site).
SOURCE = {
    # or the file name of a PDF in the full-text folder (ledger.fulltext verifies the row against it)
    "source": _text(regex=r"(https?://|doi:|10\.\d{4,}|shared/sources/seeds/|[^/\\\s]+\.pdf$)"),
    "read_at": _text(required=False, regex=URL),
    "locator": _text(),
    "quote": _text(),
}

SCHEMAS = {
    "trials": pa.DataFrameSchema(
        {
            "trial_id": _text(regex=TRIAL_ID, unique=True),
            "first_author": _text(),
            "year": _num(required=True, ge=1900, le=2030),  # 1900: conformance trials (BCG) are from the 1940s
            "title": _text(required=False),
            "journal": _text(required=False),
            "doi": _text(required=False, regex=DOI),
            "pmid": _text(required=False, regex=PMID),
            "pmcid": _text(required=False, regex=PMCID),
            "registry_id": _text(required=False, regex=REGISTRY_ID),
            "no_id_reason": _text(required=False),
            "id_source": _text(required=False),
            "design": _text(isin=DESIGNS),
            "randomised": _text(required=False, isin=RANDOMISED),
            # a review's own attributes (vocabulary.TRIAL_ATTRIBUTES): optional, declared in the specs that use them
            **{c: _text(required=False, isin=v) for c, v in TRIAL_ATTRIBUTES.items() if c != "dose_mg_kg"},
            "dose_mg_kg": _num(ge=0, le=50),
            "control": _text(required=False),
            "country": _text(required=False),
            **SOURCE,
        },
        strict=True,
        ordered=True,
    ),
    "membership": pa.DataFrameSchema(
        {
            # any review with a spec file (checked against the registry after the schema: ledger.tables)
            "review": _text(),
            "trial_id": _text(regex=TRIAL_ID),
            "status": _text(isin=("confirmed", "candidate")),
            **SOURCE,
            "reason": _text(),
            "review_says": _text(required=False),
        },
        strict=True,
        ordered=True,
        unique=["review", "trial_id"],
    ),
    "extraction": pa.DataFrameSchema(
        {
            "extract_id": _text(unique=True),
            "trial_id": _text(regex=TRIAL_ID),
            "outcome": _text(regex=r"^[a-z][a-z0-9_]*$"),
            "timepoint": _text(required=False),
            "time_days": _num(ge=-365, le=3650),
            "arm": _text(isin=ARMS),
            "statistic": _text(isin=STATISTICS),
            "measure": _text(required=False, isin=ESTIMATE_MEASURES),
            "qualifier": _text(required=False, isin=("<", ">", "<=", ">=")),
            "value": _num(required=True),
            "scale": _text(isin=SCALES),
            **SOURCE,
            "source_kind": _text(isin=tuple(KINDS)),
            "status": _text(isin=("verified", "derived", "ambiguous")),
            "derivation": _text(required=False),
            "notes": _text(required=False),
        },
        strict=True,
        ordered=True,
    ),
    "published": pa.DataFrameSchema(
        {
            "review": _text(),
            "result_id": _text(regex=r"^[a-z0-9_.]+$"),
            "kind": _text(isin=FIGURE_KINDS),
            "outcome": _text(),
            "timepoint": _text(required=False),
            "analysis": _text(),
            "measure": _text(required=False, isin=("MD", "SMD", "RR", "OR", "RD", "proportion", "mean_change",
                                                   "p_only")),
            "estimate": _num(),
            "ci_low": _num(),
            "ci_high": _num(),
            "scale": _text(required=False, isin=("natural", "percent", "log")),
            "p": _text(required=False, regex=P_VALUE),
            "k": _num(ge=1),
            "n": _num(ge=1),
            "i2": _num(ge=0, le=100),
            **FIGURE_PART_COLUMNS,
            "model": _text(required=False),
            **SOURCE,
            "source_kind": _text(isin=("primary", "secondary")),
        },
        strict=True,
        ordered=True,
        # A figure printed in several places is one result_id with one row per place it was read.
        unique=["review", "result_id", "source", "read_at", "locator"],
    ),
    "conflicts": pa.DataFrameSchema(
        {
            "conflict_id": _text(unique=True),
            "trial_id": _text(required=False, regex=TRIAL_ID),
            "field": _text(),
            "value_a": _text(),
            "source_a": _text(),
            "read_at_a": _text(required=False, regex=URL),
            "quote_a": _text(),
            "value_b": _text(),
            "source_b": _text(),
            "read_at_b": _text(required=False, regex=URL),
            "quote_b": _text(),
            "note": _text(required=False),
        },
        strict=True,
        ordered=True,
    ),
}
