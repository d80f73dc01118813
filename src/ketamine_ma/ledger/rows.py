"""One validation for every ledger row, wherever it comes from: ``data/raw/`` (``ledger.tables``), a worksheet or a
RevMan file (``ledger.contrib.validate``).

Each rule is written once and reports at the place its caller names: ``where(index, column)`` is the row's cell as
its source shows it (``data/raw/extraction.csv, row 5, column 'value'``; ``<file>, sheet 'numbers', row 3, column
'value'``; ``<file>.rm5, <DICH_DATA STUDY_ID=...> in CMP-001.01, attribute TOTAL_1 (value)``). Any failure raises
``LedgerError`` with one message.
"""

from __future__ import annotations

import re

import pandas as pd

from ..engine import measures
from .vocabulary import CANONICAL_SOURCE, OWN_REPORT, REGISTRY_ID, LedgerError

_NUM = re.compile(r"(?<![\d.])([-\u2212\u2013]?)(\d+(?:[.,]\d+)*|\.\d+)")


def numbers_in(text):
    """All numbers printed in ``text``, as floats, reading a comma every way ("0,15" → 0.15; "1,080" → 1080 and
    1.08; "4,119" also → 4 and 119). A leading minus (ASCII, Unicode minus or en dash) adds a signed reading."""
    out = set()
    for sign, tok in _NUM.findall(text):
        # A comma may be a thousands separator, a decimal comma, or a list/CSV separator: read all three ways.
        readings = {tok.replace(",", ""), tok.replace(",", "."), *tok.split(",")} if "," in tok else {tok}
        for r in readings:
            try:
                v = float(r)
            except ValueError:
                continue
            out.add(v)
            if sign:
                out.add(-v)
    return out


def value_in_quote(value, quote):
    """True when ``value`` is printed in ``quote`` (to 1e-9, sign included when negative)."""
    return any(abs(value - v) <= 1e-9 * max(1.0, abs(value)) for v in numbers_in(quote))


def time_key(timepoint, days):
    """Cells at the same time: equal time_days when both give one, else the same words."""
    if days is not None and not pd.isna(days):
        return f"d{float(days):g}"
    return "t:" + ("" if timepoint is None or pd.isna(timepoint) else str(timepoint).strip().lower())


def same_label(frame, trial_id, outcome, label):
    """Rows of ``frame`` of one trial and outcome at the time point worded ``label`` (case and spaces aside)."""
    t = frame.timepoint.fillna("").astype(str).str.strip().str.lower()
    return (frame.trial_id == trial_id) & (frame.outcome == outcome) & (t == str(label).strip().lower())


def _given(v):
    return v is not None and not pd.isna(v)


_CHECK_WORDS = {"not_nullable": "must not be empty", "field_uniqueness": "is a duplicate (must be unique)",
                "multiple_fields_uniqueness": "duplicates another row's key"}


def check_schema(df, name, where, scope=None):
    """``df`` (text cells, missing as None) validated against table ``name``'s pandera schema; the coerced table,
    or ``LedgerError`` at the first failing cell. ``scope`` ("in this file") adds how many more problems there are.
    """
    # pandera is imported only by the stages that validate tables (it adds ~0.5 s to every interpreter start).
    from pandera.errors import SchemaErrors

    from .schemas import SCHEMAS

    schema = SCHEMAS[name]
    try:
        return schema.validate(df, lazy=True)
    except SchemaErrors as err:
        fc = err.failure_cases
        first = fc.iloc[0]
        index = int(first.get("index")) if _given(first.get("index")) else None
        column = first.get("column") if _given(first.get("column")) else None
        check = str(first.get("check"))
        check = _CHECK_WORDS.get(check, check)
        if check.startswith("coerce_dtype") and column is not None and schema.columns[column].dtype.type is not str:
            check = "is not a number"
        value = df.loc[index, column] if column is not None and index is not None else first.get("failure_case")
        more = f" ({len(fc) - 1} more problem(s) {scope})" if scope and len(fc) > 1 else ""
        raise LedgerError(f"{where(index, column)}: value {value!r} {check}{more}") from None


def check_trials(trials, where):
    """Every trial has a canonical id (doi, pmid, pmcid, registry_id) or says in no_id_reason why not, not both."""
    for i, row in trials.iterrows():
        has_id = any(_given(row[c]) and row[c] for c in ("doi", "pmid", "pmcid", "registry_id"))
        if has_id == bool(_given(row["no_id_reason"]) and row["no_id_reason"]):
            problem = ("has a canonical id and a no_id_reason: give one or the other, not both" if has_id else
                       "has no doi, pmid, pmcid or registry_id: give one or say why in no_id_reason")
            raise LedgerError(f"{where(i, 'no_id_reason')}: trial {row['trial_id']!r} {problem}")


def check_extraction(x, where, context=None):
    """The rules of extraction rows (typed by the schema). Each row: a verified value is printed in its quote, a
    derived one says how; sd, se and pm are > 0, n >= 1, events and percent >= 0. Per trial, outcome, time and
    arm: events <= n, CI lower bound <= upper bound.

    ``context``: other rows of the same ledger (the raw ledger beside contributed rows), which take part in the
    per-cell rules only; a row of ``x`` stands in for a ``context`` row of the same statistic, a later row for an
    earlier one. A failure is reported at a row of ``x``."""
    for i, row in x.iterrows():
        stat, v = row["statistic"], row["value"]
        if row["status"] == "verified" and not value_in_quote(v, row["quote"]):
            raise LedgerError(f"{where(i, 'value')}: verified value {v:g} does not appear in its quote "
                              f"{row['quote']!r}")
        if stat in ("sd", "se", "pm") and v <= 0:
            raise LedgerError(f"{where(i, 'value')}: {stat} must be > 0, got {v:g}")
        if stat == "n" and v < 1:
            raise LedgerError(f"{where(i, 'value')}: n must be >= 1, got {v:g}")
        if stat in ("events", "percent") and v < 0:
            raise LedgerError(f"{where(i, 'value')}: {stat} must be >= 0, got {v:g}")
        if row["status"] == "derived" and not (_given(row["derivation"]) and row["derivation"]):
            raise LedgerError(f"{where(i, 'derivation')}: a derived value must say how")
        _check_measure(row, where(i, "measure"), where(i, "value"))
    cols = ["trial_id", "outcome", "timepoint", "time_days", "arm", "statistic", "value"]
    mine = x[cols].assign(_at=list(x.index))
    both = mine if context is None or context.empty else pd.concat([context[cols].assign(_at=None), mine])
    both = both.assign(_t=[time_key(t, d) for t, d in zip(both.timepoint, both.time_days, strict=True)])
    for _, g in both.groupby(["trial_id", "outcome", "_t", "arm"], dropna=False, sort=False):
        if g._at.isna().all():
            continue  # no row of x: the context's own rules are its source's business
        cell = {s: (v, at) for s, v, at in zip(g.statistic, g.value, g._at, strict=True)}  # later rows win
        for lo, hi, what in (("events", "n", "events {:g} exceed n {:g}"),
                             ("ci_low", "ci_high", "CI lower bound {:g} exceeds the upper bound {:g}")):
            if lo in cell and hi in cell and cell[lo][0] > cell[hi][0]:
                at = cell[lo][1] if _given(cell[lo][1]) else cell[hi][1]
                raise LedgerError(f"{where(at, 'value')}: {what.format(cell[lo][0], cell[hi][0])} for the same "
                                  "trial, outcome, time and arm")


def _check_measure(row, at_measure, at_value):
    """A row's ``measure`` names the effect measure of a between-arm estimate (arm ``difference``: its estimate as
    ``mean``, its CI, its SE); an arm's own numbers have none. A ratio's estimate and CI bounds are > 0."""
    m = row.get("measure")
    if not (_given(m) and m):
        return
    if row["arm"] != "difference":
        raise LedgerError(f"{at_measure}: {m!r} names the effect measure of a between-arm estimate (arm "
                          f"'difference'); the {row['arm']} arm's own {row['statistic']} has none: leave it empty")
    if measures.measure(m).ratio and row["statistic"] in ("mean", "ci_low", "ci_high") and row["value"] <= 0:
        raise LedgerError(f"{at_value}: a {m} (a ratio) and its CI bounds are > 0, got {row['value']:g}")


# A locator that marks its quote as from another publication of the trial than the one trials.csv describes (whose
# ids it gives): a follow-up paper, a letter, or a citation of another year ("Nielsen et al. Eur J Pain 2019").
_ANOTHER_PUBLICATION = re.compile(r"follow-up publication|correspondence|letter to the editor", re.I)
_CITED_YEAR = re.compile(r"et al\.?[^;()]*?\b((?:19|20)\d\d)\b")
_RECORDS = (("doi", re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)?(10\.\d{4,9}/\S+)$", re.I)),
            ("pmid", re.compile(r"^https?://pubmed\.ncbi\.nlm\.nih\.gov/(\d+)/?$")),
            ("pmcid", re.compile(r"^https?://pmc\.ncbi\.nlm\.nih\.gov/articles/(PMC\d+)")),
            ("registry_id", re.compile(r"^https?://\S*?(" + REGISTRY_ID.strip("^$") + r")(?:[/?#]|$)")))
# The canonical record of each id, as a message names it (a registry id other than an NCT id by its id).
_URL = {"doi": "https://doi.org/{}", "pmid": "https://pubmed.ncbi.nlm.nih.gov/{}/",
        "pmcid": "https://pmc.ncbi.nlm.nih.gov/articles/{}/", "registry_id": "https://clinicaltrials.gov/study/{}"}


def another_publication(locator, year):
    """True when ``locator`` marks the quote as from another publication of the trial than its main one (year
    ``year``): a follow-up publication, a letter, or a citation (``... et al. <journal> <year>``) of another year."""
    loc = "" if not _given(locator) else str(locator)
    if _ANOTHER_PUBLICATION.search(loc):
        return True
    return _given(year) and any(int(y) != int(float(year)) for y in _CITED_YEAR.findall(loc))


def cited_record(source):
    """``(id kind, id)`` of the canonical record ``source`` names (a DOI as a doi.org URL, ``doi:`` or bare; a
    PubMed, PMC or registry URL), or None for any other page or a PDF's file name."""
    text = "" if not _given(source) else str(source).strip()
    if re.match(r"^https?://", text) and not re.match(CANONICAL_SOURCE, text):
        return None
    for kind, pattern in _RECORDS:
        m = pattern.match(text)
        if m:
            return kind, m.group(1)
    return None


def _same(kind, a, b):
    return str(a).lower() == str(b).lower() if kind == "doi" else str(a) == str(b)


def check_sources(x, trials, where):
    """Each extraction row cites the publication its quote is from, by its canonical record where one is known.

    - A row of the trial's own report (``source_kind`` full_text or abstract) cites the trial's record that
      ``trials`` gives (DOI, PMID or PMCID), not another record of that kind, and not a mirror page while one is
      known (the page read goes in ``read_at``).
    - A row whose locator marks it as from another publication of the trial (a follow-up paper, a letter:
      ``another_publication``) does not cite the trial's own record: it cites that publication's record, or the page
      read when no page read prints its id.
    - A review's table or figure, a conference abstract and a secondary account are publications of their own: they
      do not cite the trial's record either.
    - A registry row cites the trial's registry record when ``trials`` gives its id."""
    ids = trials.set_index("trial_id")
    for i, row in x.iterrows():
        kind, source = row["source_kind"], row["source"]
        if row["trial_id"] not in ids.index:
            continue
        t = ids.loc[row["trial_id"]]
        known = {k: t[k] for k in ("doi", "pmid", "pmcid", "registry_id") if _given(t[k]) and str(t[k]).strip()}
        rec = cited_record(source)
        mine = rec is not None and rec[0] in known and _same(rec[0], rec[1], known[rec[0]])
        if kind == "registry":
            if "registry_id" in known and not (mine and rec[0] == "registry_id"):
                reg = known["registry_id"]
                record = _URL["registry_id"].format(reg) if reg.startswith("NCT") else f"the record of {reg}"
                raise LedgerError(f"{where(i, 'source')}: {source} is not {row['trial_id']}'s registry record: "
                                  f"cite {record} (trials.csv) as source and the page read in read_at")
            continue
        known.pop("registry_id", None)
        if kind not in OWN_REPORT or another_publication(row["locator"], t["year"]):
            if mine:
                what = (f"a {kind} source is a publication of its own" if kind not in OWN_REPORT else
                        f"the locator ({row['locator']!r}) marks the quote as from another publication of the trial")
                raise LedgerError(f"{where(i, 'source')}: {what}, but source is {row['trial_id']}'s own record "
                                  f"{source}: cite that publication's record, or the page read (read_at empty) when "
                                  "no page read prints its DOI or PMID")
            continue
        own = ", ".join(_URL[k].format(v) for k, v in known.items())
        if rec is None and re.match(r"^https?://", str(source)) and known:
            raise LedgerError(f"{where(i, 'source')}: {source} is no canonical record, but trials.csv gives "
                              f"{row['trial_id']}'s ({own}): cite the record as source and the page read in read_at "
                              "(a mirror source only where no canonical record is known)")
        if rec is not None and rec[0] in known and not mine:
            raise LedgerError(f"{where(i, 'source')}: {source} is not {row['trial_id']}'s record ({own} in "
                              "trials.csv): the quote's publication is the one source names; a quote from another "
                              "publication of the trial says so in its locator")
