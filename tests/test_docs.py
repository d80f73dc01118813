"""The user documentation holds together: the README stays a front page, every relative link in README.md and
docs/*.md leads to a file (and heading) that exists, every page under docs/ is reachable, and every Snakemake
command the documentation shows plans a run (`snakemake -n`) in a copy of the project."""

import re
import shlex
from pathlib import Path

import pytest
from test_pipeline import copy_project, smk

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"```bash\n(.*?)```", re.S)
SPAN = re.compile(r"`((?:\.venv/bin/)?snakemake [^`]+)`")
# What a documented command may name in place of a real value, and what the test puts there.
PLACEHOLDERS = {"<review>": "bcg"}
# Commands that do not plan a run: a report of an earlier run, a lock, a plugin not in the default install.
NOT_PLANS = ("--report", "--unlock", "--workflow-profile")


def rel(path):
    return str(path.relative_to(ROOT))


def slug(heading):
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path):
    return {slug(h) for h in re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.M)}


def links(page):
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return [t for t in LINK.findall(text) if not re.match(r"[a-z]+:", t)]


def test_the_readme_is_a_front_page():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert 100 <= len(lines) <= 150, len(lines)


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_every_relative_link_resolves(page):
    broken = []
    for target in links(page):
        file, _, anchor = target.partition("#")
        dest = (page.parent / file).resolve() if file else page
        if not dest.exists():
            broken.append(f"{target}: no file {dest}")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no heading '#{anchor}' in {rel(dest)}")
    assert broken == [], f"{rel(page)}: " + "; ".join(broken)


def test_every_docs_page_is_linked_from_the_readme_or_the_index():
    linked = {(ROOT / p).resolve() for p in ("README.md", "docs/index.md")}
    for page in (ROOT / "README.md", ROOT / "docs/index.md"):
        linked |= {(page.parent / t.partition("#")[0]).resolve() for t in links(page)}
    assert [rel(p) for p in PAGES if p.resolve() not in linked] == []


def documented_commands():
    found = {}
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        lines = [ln.split("  #")[0].strip() for block in FENCE.findall(text) for ln in block.splitlines()]
        lines += SPAN.findall(text)
        for line in lines:
            words = shlex.split(line) if re.match(r"(\.venv/bin/)?snakemake ", line) else []
            if words and not any(w.startswith(NOT_PLANS) for w in words):
                found.setdefault(line, rel(page))
    return found


COMMANDS = documented_commands()


def test_the_documentation_shows_commands_to_check():
    assert len(COMMANDS) >= 8 and any("--config" in c for c in COMMANDS), COMMANDS


def template_spec():
    """The commented template spec of docs/adding-a-review.md (its first YAML block), as a reader saves it."""
    text = (ROOT / "docs/adding-a-review.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    return re.search(r"^review: (\w+)", block, re.M).group(1), block


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the project with the template spec saved under its name, as the how-to's first step says, so that
    the commands it documents for that review plan a run."""
    work = copy_project(tmp_path_factory.mktemp("docs"))
    name, block = template_spec()
    (work / "config/reviews" / f"{name}.yaml").write_text(block, encoding="utf-8")
    return work


@pytest.mark.workflow
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_documented_command_plans_a_run(project, command):
    line = command
    for placeholder, value in PLACEHOLDERS.items():
        line = line.replace(placeholder, value)
    args = shlex.split(line)[1:]
    if "--cores" in args:
        del args[args.index("--cores"):args.index("--cores") + 2]
    res = smk(project, "-n", *args)
    assert res.returncode == 0, f"{command} ({COMMANDS[command]}): {res.stderr[-2000:]}"
