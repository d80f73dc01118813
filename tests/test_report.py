"""The HTML report as a reader uses it: every page opened offline in headless Chromium (Debian's, installed by
scripts/setup.sh) at a desktop and a phone size, every image, link and anchor followed, the click paths a reviewer
takes, and axe-core (npm, pinned in package.json; `npm ci` in scripts/setup.sh) on every page. Screenshots of every
page at 1400x900 are written to results/report/screenshots/ of the test run."""

import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from ketamine_ma.outputs import report, report_format, report_rows
from ketamine_ma.outputs.report_files import page_names

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


def need(ok, what):
    if not ok:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is not installed; scripts/setup.sh installs it")
        pytest.skip(f"{what} not installed")


@pytest.fixture(scope="module")
def site(pipeline_run):
    return pipeline_run / "results" / "report"


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    need(chromium, "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=ARGS)
        yield b
        b.close()


class Visit:
    """One page opened in a fresh, offline browser context, with its console errors and outside requests."""

    def __init__(self, browser, url, viewport=DESKTOP):
        self.context = browser.new_context(viewport=viewport)
        self.errors, self.outside = [], []
        self.context.route(re.compile(r"^(?!file:)"), self._block)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        self.page.wait_for_load_state("load")

    def _block(self, route):
        self.outside.append(route.request.url)
        route.abort()

    def close(self):
        self.context.close()


def pages_of(site):
    return sorted(p.name for p in site.glob("*.html"))


# The report's pages for the six reviews of the pipeline run, written out (not asked of the module under test).
PAGES = ["index.html",
         "orhurhu2019.html", "orhurhu2019-studies.html", "zhao2018.html", "zhao2018-studies.html",
         "pereira2022.html", "pereira2022-studies.html", "update16.html", "update16-studies.html",
         "fleiss1993.html", "fleiss1993-studies.html", "bcg.html", "bcg-studies.html",
         "orhurhu2019-figures.html", "zhao2018-figures.html", "pereira2022-figures.html", "update16-figures.html",
         "fleiss1993-figures.html", "bcg-figures.html",
         "ledger.html", "conflicts.html", "missing.html", "audit.html", "provenance.html"]


@pytest.mark.workflow
def test_report_has_every_page(site, pipeline_reviews):
    assert pages_of(site) == sorted(PAGES)
    # and the rule's declared outputs (the module's list) are those pages
    assert sorted(page_names({r: {} for r in pipeline_reviews})) == sorted(PAGES)


@pytest.mark.workflow
def test_pages_load_offline_without_errors_fit_the_width_and_stay_short(site, browser):
    shots = site / "screenshots"
    shots.mkdir(exist_ok=True)
    problems = []
    for name in pages_of(site):
        for viewport in (DESKTOP, PHONE):
            v = Visit(browser, (site / name).as_uri(), viewport)
            size = v.page.evaluate("({w: document.documentElement.scrollWidth, h: document.documentElement"
                                   ".scrollHeight, vw: window.innerWidth})")
            if v.errors or v.outside:
                problems.append((name, viewport["width"], "console errors or outside requests", v.errors, v.outside))
            if size["w"] > size["vw"]:
                problems.append((name, viewport["width"], "scrolls sideways", size))
            if viewport is DESKTOP:
                if size["h"] > 20_000:
                    problems.append((name, "taller than 20,000 px", size["h"]))
                v.page.screenshot(path=str(shots / name.replace(".html", ".png")), full_page=True)
            v.close()
    assert problems == []
    assert sorted(p.name for p in shots.glob("*.png")) == [n.replace(".html", ".png") for n in pages_of(site)]


def collect(browser, site):
    """Per page (after its script ran): ids, links and images."""
    out = {}
    for name in pages_of(site):
        v = Visit(browser, (site / name).as_uri())
        out[name] = v.page.evaluate("""() => ({
            ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
            links: Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')),
            images: Array.from(document.images).map(i => ({src: i.getAttribute('src'),
                                                           ok: i.complete && i.naturalWidth > 0}))})""")
        v.close()
    return out


@pytest.fixture(scope="module")
def dom(browser, site):
    return collect(browser, site)


CANONICAL = ("https://doi.org/", "https://pubmed.ncbi.nlm.nih.gov/", "https://pmc.ncbi.nlm.nih.gov/articles/PMC",
             "https://clinicaltrials.gov/study/")


@pytest.mark.workflow
def test_every_image_link_and_anchor_resolves(site, dom):
    broken = []
    n_images = n_internal = 0
    for name, d in dom.items():
        for img in d["images"]:
            n_images += 1
            if not img["ok"]:
                broken.append((name, "image", img["src"]))
        for href in d["links"]:
            u = urlparse(href)
            if u.scheme in ("http", "https"):
                if not u.netloc:
                    broken.append((name, "url", href))
                continue
            n_internal += 1
            target = name if not u.path else unquote(u.path)
            path = (site / target).resolve()
            if not path.exists():
                broken.append((name, "file", href))
            elif u.fragment and target.endswith(".html") and unquote(u.fragment) not in dom[target]["ids"]:
                broken.append((name, "anchor", href))
    assert broken == []
    assert n_images > 20 and n_internal > 200


@pytest.mark.workflow
def test_study_rows_link_ledger_rows_to_their_canonical_records(dom):
    """Ledger pages link DOIs to doi.org, PMIDs to PubMed, PMCIDs to PMC and registry ids to the registry."""
    links = dom["ledger.html"]["links"]
    for prefix in CANONICAL[:3]:
        assert any(h.startswith(prefix) for h in links), prefix
    assert report_format.trial_records({"doi": "10.1213/ANE.0000000000004113", "pmid": 31166233.0,
                                      "pmcid": "PMC4173366", "registry_id": "NCT02467517"}) == [
        {"label": "doi:10.1213/ANE.0000000000004113", "href": "https://doi.org/10.1213/ANE.0000000000004113"},
        {"label": "PMID 31166233", "href": "https://pubmed.ncbi.nlm.nih.gov/31166233/"},
        {"label": "PMC4173366", "href": "https://pmc.ncbi.nlm.nih.gov/articles/PMC4173366/"},
        {"label": "NCT02467517", "href": "https://clinicaltrials.gov/study/NCT02467517"}]


def test_a_ledger_row_says_what_it_was_read_from_and_shows_the_trials_record_only_for_its_own_report():
    """A number read from a review's figure and one read in the trial's paper are told apart on the study rows (the
    kind beside each ledger row) and on the ledger page; a row read in another publication of the trial (the
    2019 one-year follow-up of nielsen2017) is not shown beside the 2017 paper's DOI."""
    from types import SimpleNamespace

    import pandas as pd

    trial = {"trial_id": "nielsen2017", "year": "2017", "doi": "10.1097/j.pain.0000000000000782"}
    paper = {"source_kind": "abstract", "locator": "abstract"}
    follow_up = {"source_kind": "abstract", "locator": "follow-up publication of the trial, abstract (Results): "
                                                       "Nielsen et al. Eur J Pain 2019;23(3):455-460"}
    assert [r["href"] for r in report_format.own_records(paper, trial)] == [
        "https://doi.org/10.1097/j.pain.0000000000000782"]
    assert report_format.own_records(follow_up, trial) == []
    assert report_format.own_records({"source_kind": "review", "locator": "review Table 2"}, trial) == []
    run = SimpleNamespace(ledger_ids={"a", "b"}, verified={}, trial_by_id={},
                          source_kinds={"a": report_format.kind_words("review"),
                                        "b": report_format.kind_words("full_text")})
    df = pd.DataFrame({"study_id": ["X 2001"], "trial_id": ["x2001"], "extract_ids": ["a;b"], "yi": [0.1],
                       "vi": [0.01], "weight": [100.0], "membership": ["confirmed"], "design": ["parallel"],
                       "timepoint": ["end of infusion"]})
    _, rows = report_rows.study_rows(run, df, ("Experimental", "Control"))
    assert [(x["id"], x["kind"]) for x in rows[0]["ledger"]] == [("a", "review table or figure"),
                                                                ("b", "trial report, full text")]


def in_view(page, selector):
    return page.evaluate("""(sel) => { const e = document.querySelector(sel); if (!e) return false;
        const r = e.getBoundingClientRect();
        return r.height > 0 && r.top >= -2 && r.top < window.innerHeight && r.left < window.innerWidth; }""",
                         selector)


@pytest.mark.workflow
def test_headline_forest_plot_is_one_click_from_the_landing_page(site, browser, pipeline_reviews):
    for review in pipeline_reviews:
        v = Visit(browser, (site / "index.html").as_uri())
        card = v.page.locator(f"article:has(#card-{review})")
        card.locator(".compare-title a").click()
        v.page.wait_for_load_state("load")
        url = urlparse(v.page.url)
        assert Path(url.path).name == f"{review}.html"
        section = f"#{url.fragment}"
        assert in_view(v.page, f"{section}"), review
        ok = v.page.evaluate(f"""() => {{ const s = document.getElementById('{url.fragment}').closest('section');
            const i = s.querySelector('figure.forest img'); return !!i && i.complete && i.naturalWidth > 0; }}""")
        assert ok, review
        v.close()


@pytest.mark.workflow
def test_ledger_quotes_are_two_clicks_from_every_pooled_number(site, browser, dom):
    """Every pooled number links to its study rows; each study row's ledger rows open on the ledger page with their
    quote in view. Clicked through for the pooled numbers whose rows come from the ledger (the conformance reviews'
    rows come from their published data files)."""
    pooled = sorted({(name, h) for name, d in dom.items() if "-studies" not in name
                     for h in d["links"] if re.match(r"^[a-z0-9]+-studies\.html#", h)})
    assert len(pooled) > 20
    ledger_backed = []
    for name, href in pooled:
        page, frag = href.split("#")
        assert frag in dom[page]["ids"], href
        studies = (site / page).read_text()
        section = re.search(rf'<details id="{re.escape(frag)}".*?</details>', studies, re.S).group(0)
        if 'href="ledger.html#x-' in section:
            ledger_backed.append((name, href))
    assert ledger_backed, "no pooled number is built from ledger rows"
    for name, href in ledger_backed:
        v = Visit(browser, (site / name).as_uri())
        v.page.locator(f'a[href="{href}"]').first.click()
        v.page.wait_for_load_state("load")
        frag = href.split("#")[1]
        assert v.page.evaluate(f"document.getElementById('{frag}').open"), href
        link = v.page.locator(f'details[id="{frag}"] a[href^="ledger.html#x-"]').first
        target = link.get_attribute("href").split("#")[1]
        link.click()
        v.page.wait_for_load_state("load")
        assert urlparse(v.page.url).fragment == target
        v.page.wait_for_function(f"document.getElementById('{target}').classList.contains('targeted')")
        assert in_view(v.page, f'tr[id="{target}"] td.quote'), target
        quote = v.page.locator(f'tr[id="{target}"] td.quote').inner_text()
        assert len(quote.strip()) > 10, target
        v.close()


@pytest.mark.workflow
def test_long_tables_sort_filter_and_scroll_inside_themselves_by_keyboard(site, browser):
    from playwright.sync_api import expect

    v = Visit(browser, (site / "ledger.html").as_uri())
    p = v.page
    n = p.locator("table.ledger tbody tr").count()
    assert n > 100
    first = p.locator("table.ledger tbody tr").first.get_attribute("id")
    rows = "document.querySelectorAll('table.ledger tbody tr').length"
    # DataTables filters and sorts in a setTimeout (its "processing" step): wait for the table, not a fixed time
    p.get_by_role("searchbox").first.fill(first.removeprefix("x-"))
    p.wait_for_function(f"{rows} >= 1 && {rows} < {n}")
    p.get_by_role("searchbox").first.fill("")
    p.wait_for_function(f"{rows} === {n}")
    header = p.locator("table.ledger thead th").nth(1)
    header.click()
    expect(header).to_have_attribute("aria-sort", re.compile(r"^(ascending|descending)$"))
    box = p.locator(".table-scroll").first
    assert box.get_attribute("tabindex") == "0"
    dims = box.evaluate("e => [e.scrollHeight, e.clientHeight]")
    assert dims[0] > dims[1]
    box.focus()
    p.keyboard.press("PageDown")
    p.wait_for_function("document.querySelector('.table-scroll').scrollTop > 0")
    v.close()


@pytest.mark.workflow
def test_axe_finds_no_serious_or_critical_violation(site, browser):
    need(AXE.exists(), "axe-core (node_modules; npm ci)")
    found = {}
    for name in pages_of(site):
        v = Visit(browser, (site / name).as_uri())
        v.page.add_script_tag(path=str(AXE))
        res = v.page.evaluate("async () => (await axe.run(document)).violations"
                              ".map(x => ({id: x.id, impact: x.impact, n: x.nodes.length}))")
        bad = [x for x in res if x["impact"] in ("serious", "critical")]
        if bad:
            found[name] = bad
        v.close()
    assert found == {}, json.dumps(found, indent=1)


def test_vendored_datatables_is_the_pinned_npm_package():
    pins = json.loads((ROOT / "package.json").read_text())["devDependencies"]
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in pins.values()), pins
    static = Path(report.__file__).parent / "static"
    assert f"DataTables {pins['datatables.net']}" in (static / "dataTables.min.js").read_text()[:200]
    mods = ROOT / "node_modules"
    need(mods.exists(), "node_modules (npm ci)")
    assert (static / "dataTables.min.js").read_bytes() == (mods / "datatables.net/js/dataTables.min.js").read_bytes()
    assert ((static / "dataTables.dataTables.min.css").read_bytes()
            == (mods / "datatables.net-dt/css/dataTables.dataTables.min.css").read_bytes())


@pytest.mark.workflow
def test_a_review_whose_sources_print_no_figure_shows_its_re_run_beside_none_printed(tmp_path, browser):
    """A review before anyone entered its printed figures: the BCG trials (metafor's dat.bcg) with an empty table
    of published figures and no `published` ids in the spec. The landing card says nothing is printed, shows the
    re-run of the first analysis (metafor's fixed-effect RR of dat.bcg, 0.6503 [0.6007, 0.7040], as the committed
    table prints it) and says the review's trial count was not found; the review page says no published figure is
    linked to each analysis."""
    import csv

    import yaml
    from test_pipeline import copy_project, smk

    work = copy_project(tmp_path)
    table = work / "data/raw/conformance/bcg_published.csv"
    with open(table, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    metafor = next(r for r in rows if r["result_id"] == "rr_fixed")
    table.write_text(",".join(rows[0]) + "\n", encoding="utf-8")
    spec_file = work / "config/reviews/bcg.yaml"
    spec = yaml.safe_load(spec_file.read_text())
    for a in spec["analyses"].values():
        a.pop("published", None)
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    res = smk(work, "results/report/index.html", "--config", "reviews=[bcg]")
    assert res.returncode == 0, res.stderr[-4000:]
    site = work / "results" / "report"
    v = Visit(browser, (site / "index.html").as_uri())
    card = v.page.locator("article.card").filter(has_text="BCG").first
    text = " ".join(card.inner_text().split())
    v.close()
    ours = "RR {} [{}, {}]".format(*(f"{float(metafor[c]):.2f}" for c in ("estimate", "ci_low", "ci_high")))
    assert "The sources read print no figures to reproduce." in text
    assert "none printed" in text.lower()
    assert f"{ours} k = {metafor['k']}" in text
    assert "The sources read print no pooled estimate for this review, so there is nothing to compare." in text
    assert "(the review's own trial count was not found)" in text
    page = (site / "bcg.html").read_text(encoding="utf-8")
    assert page.count("No published figure is linked to this analysis in the review spec.") == len(spec["analyses"])
