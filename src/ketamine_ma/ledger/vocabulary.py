"""The ledger's controlled vocabulary (enumerations and id patterns) and its error type.

Kept apart from the pandera schemas so that reading the vocabulary does not import pandera.
"""

from ..engine.measures import MEASURES

# The review registry: a review exists when it has a spec file here (its name is the file's stem); the package
# keeps no list of review names. Every review name of data/raw, a contribution or the config is checked against it.
SPEC_DIR = "config/reviews"


def no_spec(review, known):
    """What to say of a review name that has no spec file: which file is missing, and the reviews that have one."""
    return (f"review {review!r} has no spec file {SPEC_DIR}/{review}.yaml (reviews with a spec: "
            f"{', '.join(sorted(known)) or 'none'}); add the spec (docs/adding-a-review.md) or correct the name")


TABLES = ("trials", "membership", "extraction", "published", "conflicts")
# A review's processed ledger: the raw tables with its contributions merged in, plus what readers marked not
# reported and their risk-of-bias judgements.
MERGED = (*TABLES, "not_reported", "risk_of_bias")
# The merged ledger (ledger.merged), the union of the reviews' processed ledgers: the tables a contribution can
# change (a review's printed figures come from its worksheet's published sheet too).
MERGED_VIEW = ("trials", "membership", "extraction", "conflicts", "published")
# The sheets of an extraction worksheet (and the CSV twins of a worksheet), in workbook order.
SHEETS = ("readme", "membership", "numbers", "trials", "risk_of_bias", "published", "figures", "proposals")
TRIAL_ID = r"^[a-z][a-z0-9]*[0-9]{4}[a-z]?$"
# What every review knows of a trial (data/raw/trials.csv), whichever its question: a study design, and whether it
# was randomised ("not reported" is an answer: such a trial is left out of the randomised-only sensitivity analysis).
DESIGNS = ("parallel", "crossover", "cohort", "single-arm", "case-series")
RANDOMISED = ("yes", "no", "not reported")
# A review's own trial attributes: optional in the ledger, declared by the reviews that use them (a spec's
# `trial_attributes`; config/schemas/review.schema.yaml lists the same names), each with its allowed values
# (None: free text or a number).
TRIAL_ATTRIBUTES = {"condition": None, "pain_type": ("neuropathic", "nociplastic", "nociceptive", "mixed", "cancer",
                                                     "unclear"),
                    "crps": ("yes", "no"), "route": None, "regimen": None, "dose_mg_kg": None}
STATISTICS = ("mean", "sd", "se", "pm", "ci_low", "ci_high", "median", "q1", "q3", "min", "max", "n", "events",
              "percent", "p_value", "t_value")
# The arms' roles in the ledger (extraction `arm`): a trial's experimental and control arms (a review's spec labels
# them, `arms`), all arms together, the pre-treatment value of a single-arm study, a between-arm or pre/post
# difference, and the second experimental or control arm of a multi-arm trial.
EXPERIMENTAL, CONTROL = "experimental", "control"
EXPERIMENTAL_2, CONTROL_2 = f"{EXPERIMENTAL}_2", f"{CONTROL}_2"
ARMS = (EXPERIMENTAL, CONTROL, "total", "baseline", "difference", EXPERIMENTAL_2, CONTROL_2)
# The names the experimental roles had before the ledger served reviews of other treatments: a worksheet (or its CSV
# twin) from an earlier round may still say them, in its numbers' arm and its trials' size columns (n_<role>).
FORMER_ARMS = {"ketamine": EXPERIMENTAL, "ketamine_2": EXPERIMENTAL_2}
# The effect measures a between-arm estimate (arm `difference`) can name in its `measure` column: the registry's
# two-group measures (engine.measures). An analysis of that measure pools such an estimate when the trial gives no arm
# data (ledger.studies); a difference row naming no measure (a risk difference in percent, a median difference, an
# unnamed effect size) is pooled by none.
ESTIMATE_MEASURES = tuple(n for n, m in MEASURES.items() if not m.single_group)
SCALES = ("nrs_0_10", "vas_0_10", "vas_0_100", "percent_relief", "count", "percent", "other")
# What the text a number was read from is (extraction `source_kind`), with the words the outputs say it in: the
# trial's own report read in full (its text, tables or figures) or on its abstract only (what the verification table
# counts as "read on an abstract"), a review's table or figure (an included-studies table, a forest plot, a review's
# RevMan data), the trial's registry record, a conference abstract, or another's account of the trial (a news
# report, a clinic's page, a letter quoting it).
SOURCE_KINDS = {"full_text": "trial report, full text", "abstract": "trial report, abstract only",
                "review": "review table or figure", "registry": "registry record",
                "conference": "conference abstract", "secondary": "secondary account"}
# The kinds that are the trial's own publication, the one trials.csv gives the DOI, PMID and PMCID of.
OWN_REPORT = ("full_text", "abstract")
# Outcomes that count participants, each as the source words it ("analysed", "completed the study", "received
# the drug", "were given"/"treated with", "randomised", "recruited"/"in N patients"). When an outcome's rows lack
# n, the arm size is taken from these in this order, closest to the number analysed first (ledger.studies).
FLOW_OUTCOMES = ("analysed", "completed", "received", "treated", "randomised", "enrolled")

# The membership policy (config ``membership``; config/schemas/config.schema.yaml lists the same names) → the
# membership statuses a review counts as its trials. ``counted_statuses`` is the one reading of it.
MEMBERSHIP_POLICIES = {"confirmed": ("confirmed",), "confirmed+candidate": ("confirmed", "candidate")}


def counted_statuses(policy):
    """The membership statuses a review counts under ``policy``; an unknown policy is an error naming the known."""
    if policy not in MEMBERSHIP_POLICIES:
        raise ValueError(f"membership policy {policy!r} is unknown; allowed: {', '.join(MEMBERSHIP_POLICIES)}")
    return MEMBERSHIP_POLICIES[policy]


# The "cell" of a time point the ledger states without its day count (time_days), which a worksheet asks for in a
# row of its own: every number at that time point takes it.
DAY_COUNT = "time_days"


def window_words(tp):
    """A time-point rule's window in plain words (the not-pooled reasons, worksheets and contributions say it so)."""
    return f"{tp['min_days']:g} to {tp['max_days']:g} days after the end of treatment"


# Canonical ids of a trial publication or registration (data/raw/trials.csv).
DOI = r"^10\.\d{4,9}/\S+$"
PMID = r"^\d{1,9}$"
PMCID = r"^PMC\d+$"
REGISTRY_ID = r"^(NCT\d{8}|ISRCTN\d{8}|ACTRN\d{14}|ChiCTR[-A-Za-z0-9]+|IRCT[A-Za-z0-9]+|CTRI/[0-9/]+|DRKS\d{8}|" \
              r"EUCTR[-0-9A-Z]+|NTR\d+|NL\d+|UMIN\d{9})$"
# A canonical record: the DOI resolver, PubMed, PMC or a trial registry. Any other host (a publisher's page, an
# aggregator, a mirror) is where a record was read (`read_at`), or a source in its own right when it is no
# record of the publication (a news page, a clinic's page, a book).
CANONICAL_SOURCE = (r"^https://(doi\.org/10\.|pubmed\.ncbi\.nlm\.nih\.gov/\d+/?$|pmc\.ncbi\.nlm\.nih\.gov/articles/PMC\d+|"
                    r"clinicaltrials\.gov/study/NCT\d{8}|www\.isrctn\.com/ISRCTN\d{8}|"
                    r"(www\.)?anzctr\.org\.au/|trialsearch\.who\.int/|www\.chictr\.org\.cn/|ctri\.nic\.in/|"
                    r"drks\.de/|www\.clinicaltrialsregister\.eu/)")


class LedgerError(ValueError):
    """A defect in a ledger table; the message names file, row and column."""

# The data each measure pools (the engine's registry, engine/measures.py), and the ledger statistics that record
# each kind of data: a spec whose measure does not fit what the ledger records for its outcomes is rejected when
# the workflow starts (ketamine_ma.stages.specs).
MEASURE_DATA = {name: m.data for name, m in MEASURES.items()}
DATA_STATISTICS = {"continuous": ("mean", "sd", "se", "pm", "median"), "dichotomous": ("events", "percent"),
                   "proportion": ("events", "percent")}
# Mantel-Haenszel pools 2x2 tables only.
MH_MEASURES = tuple(name for name, m in MEASURES.items() if m.mh)
# Subgroups a review may split its trials by beyond its own declared trial attributes (a ledger review's
# `trial_attributes`): per study source, what every study of it carries: a ledger trial's design, and its dose
# split at the spec's `dose_cut_mg_kg` (for a review that declares the `dose_mg_kg` attribute); a conformance
# table's allocation column. Checked when the workflow starts (ketamine_ma.stages.specs).
SOURCE_SUBGROUPS = {"ledger": ("design", "dose"), "table": ("alloc",), "rm5": ()}
# The columns of a worksheet's membership sheet; a review's own groupings (its spec's `groupings`) add two each,
# the grouping's value and the review's quote (GROUPING_QUOTE), so a grouping may not be named as one of these.
MEMBERSHIP_SHEET = ("review", "trial_id", "citation", "link", "criteria", "current_status", "current_evidence",
                    "status", "source", "locator", "quote")
GROUPING_QUOTE = "{}_quote"

# What a published figure is (the `kind` of a row of a published table, and of a worksheet's `published` sheet):
# each kind is compared with our statistic of the same kind, never with another (issue 27's data model, shared by
# the published table's schema, the worksheet's published sheet and the reproduction report).
FIGURE_KINDS = ("pooled", "heterogeneity", "prediction_interval", "subgroup_test", "subgroup_pool",
                "small_study_test", "trim_and_fill", "leave_one_out", "cumulative")
# The parts of a published figure as printed, beside its estimate, CI, p, k, n and I²: τ², Cochran's Q with its df
# and p, a test statistic with its df (z, t or χ² of the figure's own test), the studies trim-and-fill added, the
# subgroup a subgroup's pool belongs to, and which test (egger, harbord, peters; fixed or random for a test for
# subgroup differences).
FIGURE_PARTS = ("tau2", "q", "q_df", "q_p", "stat", "stat_df", "k_added", "subgroup", "test")
# The `test` part's values: a small-study test (Egger 1997, Harbord 2006, Peters 2006), or which test for subgroup
# differences the software printed (fixed: a fixed-effect Q across the subgroup estimates, RevMan's and R meta's
# "common effect" test; random: its random-effects version or metafor's QM of a meta-regression).
SMALL_STUDY_TESTS = ("egger", "harbord", "peters")
SUBGROUP_TESTS = ("fixed", "random")
