"""The workflow's start-up (ketamine_ma.stages.startup) built without Snakemake, from a copy of config/ and data/:
what it hands the rules, and one line naming the file and key when an input is wrong."""

import dataclasses
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ketamine_ma.stages import startup
from ketamine_ma.stages.io import SpecError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path):
    for folder in ("config", "data"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def config_of(project, **changes):
    config = yaml.safe_load((project / "config/config.yaml").read_text())
    return {**config, **changes}


def test_the_startup_holds_the_selection_its_specs_and_the_full_texts(project):
    pdf = b"%PDF-1.4 a full text"
    (project / "data/fulltext/paper.pdf").write_bytes(pdf)
    config = config_of(project, reviews=["orhurhu2019", "fleiss1993", "bcg"])
    del config["multi_arm"]  # left out: the schema's default is filled in, as the rules read it

    start = startup.load(config, project)

    assert list(start.specs) == ["orhurhu2019", "fleiss1993", "bcg"]
    assert start.specs["fleiss1993"]["rm5"] == "data/raw/conformance/Fleiss1993.rm5"
    assert start.specs["bcg"]["published_table"] == "data/raw/conformance/bcg_published.csv"
    assert start.ledger_reviews == ("orhurhu2019",)
    assert {"orhurhu2019", "zhao2018", "pereira2022", "update16", "fleiss1993", "bcg"} <= set(start.spec_names)
    assert start.contributions == {"orhurhu2019": []}
    assert start.contribution_files("orhurhu2019") == []
    assert config["multi_arm"] == "combine"
    assert start.fulltext_files == {hashlib.sha256(pdf).hexdigest(): "data/fulltext/paper.pdf"}
    assert start.fulltext_on
    assert not (project / startup.STAMP).exists()  # no contribution: nothing checked, nothing written
    with pytest.raises(dataclasses.FrozenInstanceError):
        start.specs = {}


@pytest.mark.parametrize("change, message", [
    ({"reviews": ["bcg", "nosuch"]}, "config 'reviews': review 'nosuch' has no spec file config/reviews/nosuch.yaml"),
    ({"multi_arm": "second"}, "config (config/config.yaml and --config), key 'multi_arm'"),
    ({"outcomes": ["nosuch"]}, "config 'outcomes': 'nosuch' is not an analysis of the selected reviews"),
])
def test_a_bad_config_stops_with_one_line_naming_the_key(project, change, message):
    with pytest.raises(SpecError) as e:
        startup.load(config_of(project, **{"reviews": ["bcg"], **change}), project)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_a_spec_naming_another_review_stops_naming_its_file_and_key(project):
    spec = project / "config/reviews/bcg.yaml"
    spec.write_text(spec.read_text().replace("review: bcg", "review: fleiss1993", 1))
    with pytest.raises(SpecError, match=r"^config/reviews/bcg.yaml: key 'review' is 'fleiss1993', expected 'bcg'$"):
        startup.load(config_of(project, reviews=["bcg"]), project)


def test_the_startup_imports_neither_numpy_nor_pandas(project):
    code = ("import sys, yaml; from pathlib import Path; from ketamine_ma.stages import startup; "
            f"root = Path({str(project)!r}); "
            "startup.load(yaml.safe_load((root / 'config/config.yaml').read_text()), root); "
            "print(sorted({'numpy', 'pandas', 'scipy'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
