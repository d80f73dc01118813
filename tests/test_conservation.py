"""Every ledger row ends in an analysis or in the exclusion log, and the check fails when one does not."""

import pandas as pd
import pytest

from ketamine_ma.ledger.conservation import check, row_fates
from ketamine_ma.ledger.tables import LedgerError

X = pd.DataFrame({"extract_id": ["a", "b", "c", "d"], "trial_id": ["t1", "t1", "t2", "t3"],
                  "outcome": ["pain_intensity", "pain_intensity", "nausea", "pain_intensity"],
                  "statistic": ["mean", "p_value", "events", "mean"]})
MEM = pd.DataFrame({"review": ["r", "r"], "trial_id": ["t1", "t3"], "status": ["confirmed", "candidate"]})
SPECS = {"r": {"analyses": {"pain": {"outcomes": ["pain_intensity"]}}}}
EXCL = pd.DataFrame(columns=["review", "analysis", "trial_id", "membership", "reason"])


def test_every_row_gets_a_fate():
    fates = row_fates(X, MEM, SPECS, "confirmed", {"a"}, EXCL)
    reasons = dict(zip(fates.extract_id, fates.reason, strict=True))
    assert set(reasons) == {"b", "c", "d"}
    assert "kept as evidence" in reasons["b"]
    assert "not analysed" in reasons["c"]
    assert "not counted as included" in reasons["d"]
    check(X, {"a"}, fates)


def test_lost_or_double_counted_rows_fail():
    fates = row_fates(X, MEM, SPECS, "confirmed", {"a"}, EXCL)
    with pytest.raises(LedgerError, match="unaccounted"):
        check(X, {"a"}, fates.iloc[1:])
    with pytest.raises(LedgerError, match="both pooled and excluded"):
        check(X, {"a", "b"}, fates)
