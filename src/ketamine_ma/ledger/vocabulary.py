"""The ledger's controlled vocabulary (enumerations and id patterns) and its error type.

Kept apart from the pandera schemas so that reading the vocabulary does not import pandera.
"""

REVIEWS = ("orhurhu2019", "zhao2018", "pereira2022", "update16")
CONFORMANCE = ("fleiss1993", "bcg")
TABLES = ("trials", "membership", "extraction", "published", "conflicts")
TRIAL_ID = r"^[a-z][a-z0-9]*[0-9]{4}[a-z]?$"
STATISTICS = ("mean", "sd", "se", "pm", "ci_low", "ci_high", "median", "q1", "q3", "min", "max", "n", "events",
              "percent", "p_value", "t_value")
ARMS = ("ketamine", "control", "total", "baseline", "difference", "ketamine_2", "control_2")
SCALES = ("nrs_0_10", "vas_0_10", "vas_0_100", "percent_relief", "count", "percent", "other")


class LedgerError(ValueError):
    """A defect in a ledger table; the message names file, line and column."""
