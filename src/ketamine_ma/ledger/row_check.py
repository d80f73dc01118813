"""A quote checked against the row of a forest plot or table it was read from (the rows ``layout.tables`` finds):
where a value is printed (``holders``, ``held_at``), which row holds a quote (``find_row``), a passage of running
text made of several rows' words (``crosses_rows``), and a value in its arm's column (``check_in_row``). The words
of the messages ``fulltext.Documents.verify`` raises.
"""

from __future__ import annotations

from .layout import column_words, number


def _same(v, text):
    try:
        return abs(number(text) - v) <= 1e-9 * max(1.0, abs(v))
    except ValueError:
        return False


def _cell_words(table, key):
    col = table["columns"][key] if isinstance(key, int) else None
    return column_words(col) if col else {"weight": "'Weight'", "estimate": "the estimate [95% CI]"}[key]


def holders(tabs, v):
    """Where ``v`` is printed in the study rows of ``tabs``: ``[(table, row, cell key)]``."""
    out = []
    for t in tabs:
        for r in t["rows"]:
            if r["kind"] != "study":
                continue
            for k, f in r["cells"].items():
                nums = [f["est"], f["lo"], f["hi"]] if k == "estimate" else [f["text"].rstrip("%")]
                if any(n and _same(v, n) for n in nums):
                    out.append((t, r, k))
    return out


def _what(table, page_label):
    return f"{table['label'] or 'the table'} on {page_label}"


def held_at(tabs, v, page_label):
    """Words naming where ``v`` is printed: "the row of 'Aronson 1948' under 'TB+' under 'Vaccinated'"."""
    got = holders(tabs, v)
    if not got:
        return f"{v:g} is in no study row of {page_label}"
    return "; ".join(f"{v:g} is printed in the row of {r['label']!r} under {_cell_words(t, k)} "
                     f"({_what(t, page_label)})" for t, r, k in got[:3])


def find_row(tabs, quote_key, key):
    """The table row whose text holds the quote (both in the comparison form ``key`` gives): ``(table, row)``."""
    for t in tabs:
        for r in t["rows"]:
            if quote_key and quote_key in key(r["text"]):
                return t, r
    return None


def crosses_rows(tabs, passage, key):
    """``(table, study rows whose labels it names)`` when a passage of the page's running text is made of a
    table's own words (a forest plot's text read column by column), else None."""
    for t in tabs:
        words = {key(w) for r in t["rows"] for w in r["text"].split()}
        words |= {key(w) for h in t["header"] for w in h.replace("|", " ").split()}
        tokens = [key(w) for w in passage.split()]
        named = [r for r in t["rows"] if r["kind"] == "study" and key(r["label"]) in key(passage)]
        if named and all(tok in words for tok in tokens):
            return t, named
    return None


def check_in_row(table, row, values, stats, page_label):
    """Messages for values of a quote matched to ``row``: each value must be printed in the row, and where its
    statistic is given (``stats[column] = (arm index, statistic)``), in the column holding that arm's statistic.
    Returns ``{column: message}`` for the values that fail."""
    bad = {}
    for col, v in values.items():
        want = stats.get(col)
        cols = [i for i, c in enumerate(table["columns"]) if want and (c["arm"], c["statistic"]) == want]
        if not cols:
            continue
        expected = cols[0]
        cell = row["cells"].get(expected)
        if cell is not None and _same(v, cell["text"]):
            continue
        arm = ("experimental", "control")[want[0]]
        prints = f"which prints {cell['text']}" if cell is not None else "empty in this row"
        here = [k for k, f in row["cells"].items() if k != expected and isinstance(k, int) and _same(v, f["text"])]
        if here:
            bad[col] = (f"{v:g} is printed in the row of {row['label']!r} under {_cell_words(table, here[0])}, not "
                        f"under the {arm} arm's {want[1]} ({_cell_words(table, expected)}, {prints}) "
                        f"({_what(table, page_label)})")
        else:
            bad[col] = (f"{v:g} is not the {arm} arm's {want[1]} of {row['label']!r}: "
                        f"{_cell_words(table, expected)} is {prints}")
    return bad
