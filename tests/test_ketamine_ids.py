"""The four ketamine reviews' ledger ids do not change when reviews become spec-defined (issue 28): the clean
stage's study tables (study, trial and the extraction ids behind every pooled row), its not-pooled trials and its
missing cells, built by this tree and by the tree before issue 28 (commit 65a9b0e, taken from git history) from the
same raw ledger, are identical."""

import json
import re
import shutil
import subprocess
import sys
import tarfile
from io import BytesIO

import pytest
from test_pipeline import ROOT

BEFORE = "65a9b0e"  # main just before issue 28 merged: arms, trial attributes and subgroups fixed in the package
KETAMINE = ("orhurhu2019", "zhao2018", "pereira2022", "update16")
MAIN = {"main": {"membership": "confirmed+candidate", "pm_reading": "sd", "multi_arm": "combine",
                 "conflict": "contribution"}}
IDS = """
import json, sys
import yaml
from ketamine_ma.ledger.tables import load_ledger
from ketamine_ma.stages import steps
raw, specs, main = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
ledger = load_ledger(raw)
out = {}
for review in sys.argv[4:]:
    spec = yaml.safe_load(open(f"{specs}/{review}.yaml"))
    tables, excl, miss = steps.clean(ledger, review, spec, main)
    out[review] = {"studies": sorted([k[1], s, t, e] for k, tab in tables.items()
                                     for s, t, e in zip(tab.study_id, tab.trial_id, tab.extract_ids.fillna("")))
                   , "excluded": sorted(map(list, zip(excl.analysis, excl.trial_id, excl.reason))),
                   "missing": sorted(map(list, zip(miss.analysis, miss.trial_id, miss.arm, miss.statistic)))}
import ketamine_ma
print(json.dumps({"package": ketamine_ma.__file__, "reviews": out}))
"""


def ids(src, raw, specs):
    res = subprocess.run([sys.executable, "-c", IDS, str(raw), str(specs), json.dumps(MAIN), *KETAMINE],
                         capture_output=True, text=True, env={"PYTHONPATH": str(src)})
    if res.returncode and "LedgerError" in res.stderr and str(src) != str(ROOT / "src"):
        pytest.fail(f"the raw ledger has changed its layout since {BEFORE}: give the tree before the ledger as it "
                    f"was then (as the measure column is dropped): {res.stderr.splitlines()[-1]}")
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout)
    assert out["package"].startswith(str(src)), out["package"]  # the tree asked for, not the installed one
    return out["reviews"]


@pytest.fixture(scope="module")
def before(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("before")
    archive = subprocess.run(["git", "archive", BEFORE, "src", "config"], cwd=ROOT, capture_output=True)
    if archive.returncode:
        pytest.skip(f"commit {BEFORE} is not in this clone's history")
    tarfile.open(fileobj=BytesIO(archive.stdout)).extractall(tmp, filter="data")
    return tmp


# added since: an estimate's stated measure (column measure of the extraction table, empty on every ketamine row)
MEASURE_CLAUSE = ("; its between-arm estimate (arm difference) names no effect measure (column measure), so it is "
                  "not pooled")


def test_the_ketamine_reviews_ledger_ids_are_those_of_the_tree_before(before, tmp_path):
    import pandas as pd

    from ketamine_ma.ledger.vocabulary import FORMER_ARMS

    # the tree before reads the raw ledger as it was then: without the measure column, which no ketamine row fills,
    # and with the experimental arms by their former names (the arm's role, not part of any id)
    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "data/raw", raw)
    x = pd.read_csv(raw / "extraction.csv", dtype=str, keep_default_na=False)
    assert (x.pop("measure") == "").all()
    former = {new: old for old, new in FORMER_ARMS.items()}
    assert x.arm.isin(former).sum() > 0
    x["arm"] = x.arm.replace(former)
    x.to_csv(raw / "extraction.csv", index=False)
    old = ids(before / "src", raw, before / "config/reviews")
    new = ids(ROOT / "src", ROOT / "data/raw", ROOT / "config/reviews")
    # the tree before's missing cells and reasons by today's role names (ids and all else unchanged)
    role = re.compile(rf"\b({'|'.join(FORMER_ARMS)})\b")
    for review in KETAMINE:
        old[review]["missing"] = sorted([a, t, FORMER_ARMS.get(arm, arm), s] for a, t, arm, s in old[review]["missing"])
        old[review]["excluded"] = [[a, t, role.sub(lambda m: FORMER_ARMS[m[1]], why)]
                                   for a, t, why in old[review]["excluded"]]
    # the ledger holds few usable ketamine numbers yet: most trials are not pooled, each with its missing cells
    assert all(sum(len(old[r][part]) for r in KETAMINE) for part in ("studies", "excluded", "missing"))
    said = 0
    for review in KETAMINE:
        for row in new[review]["excluded"]:
            said += row[2].endswith(MEASURE_CLAUSE)
            row[2] = row[2].removesuffix(MEASURE_CLAUSE)
        assert new[review] == old[review], review
    assert said  # nielsen2017's median differences name no measure, and its reason now says so


def test_a_contributed_row_of_a_ketamine_review_keeps_its_id_and_a_new_review_names_its_own_arms():
    """Contributed rows name their arms in their ids by the review's arm labels: the ketamine reviews' labels
    (Ketamine, Control) give the names their ids always had (the ledger's roles were once named so), whatever the
    ledger calls the roles now; "BCG vaccine" gives bcg-vaccine."""
    import yaml

    from ketamine_ma.ledger.contrib.read import arm_id
    from ketamine_ma.ledger.vocabulary import ARMS

    for review in KETAMINE:
        spec = yaml.safe_load((ROOT / f"config/reviews/{review}.yaml").read_text())
        assert [arm_id(a, spec) for a in ARMS] == ["ketamine", "control", "total", "baseline", "difference",
                                                   "ketamine_2", "control_2"], review
    bcg = {"arms": ["BCG vaccine", "no vaccine"]}
    assert [arm_id(a, bcg) for a in ("experimental", "control", "experimental_2", "baseline")] == [
        "bcg-vaccine", "no-vaccine", "bcg-vaccine_2", "baseline"]
