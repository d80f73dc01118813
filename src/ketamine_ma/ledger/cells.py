"""The cells an analysis needs from each trial (``required_cells``) and what the clean stage could assemble of them
for one trial at one time point (``Assembly``), shared by the arm data (``studies``) and a trial's own estimate
(``own_estimate``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..engine.effects import BINARY_MEASURES as BINARY
from ..engine.effects import CONTINUOUS_MEASURES as CONTINUOUS
from ..engine.effects import PROPORTION_MEASURES as PROPORTION
from ..engine.effects import family
from .vocabulary import CONTROL, EXPERIMENTAL

PAIN_SCALES = ("nrs_0_10", "vas_0_10", "vas_0_100")
# Means and spreads pooled as they are: a count's (days off work, a number of events), whose unit the outcome names.
COUNT = "count"


def required_cells(measure):
    """(arm, statistic) cells an analysis of ``measure`` needs from each trial."""
    if measure in CONTINUOUS:
        return [(a, s) for a in (EXPERIMENTAL, CONTROL) for s in ("mean", "sd", "n")]
    if measure in BINARY:
        return [(a, s) for a in (EXPERIMENTAL, CONTROL) for s in ("events", "n")]
    if measure in PROPORTION:
        return [(EXPERIMENTAL, "events"), (EXPERIMENTAL, "n")]
    if family(measure) == "change":
        return [("baseline", "mean"), ("baseline", "sd"), (EXPERIMENTAL, "mean"), (EXPERIMENTAL, "sd"),
                (EXPERIMENTAL, "n")]
    raise ValueError(f"unknown measure {measure!r}")


@dataclass
class Assembly:
    """What could be assembled for one trial at one time point."""

    cells: dict = field(default_factory=dict)
    rows: list = field(default_factory=list)
    log: list = field(default_factory=list)
    unusable: dict = field(default_factory=dict)  # (arm, statistic) -> why the ledger's value cannot be used

    def missing(self, measure):
        return [c for c in required_cells(measure) if c not in self.cells]
