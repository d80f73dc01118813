"""Figure formats (issue 23): SVG by default, which the reports show; `figure_formats` adds PNG and PDF as outputs
of the same jobs (figures_<review>, flow_diagram, umbrella), with `figure_dpi` for the PNG."""

import re
import struct
import subprocess

import pytest
from test_pipeline import SNAKEMAKE, copy_project, smk

REVIEWS = "reviews=[zhao2018,bcg]"  # a ledger review (flow diagram, umbrella) and a conformance review with data
DPI = 150


def figure_files(root):
    return sorted(p for p in (root / "results/figures").rglob("*") if p.suffix in (".svg", ".png", ".pdf"))


@pytest.mark.workflow
def test_default_run_draws_svg_only(pipeline_run):
    figures = figure_files(pipeline_run)
    assert len(figures) > 50 and {p.suffix for p in figures} == {".svg"}


@pytest.fixture(scope="module")
def all_formats(tmp_path_factory):
    """The three figure jobs run with every format, PNG at 150 dpi."""
    work = copy_project(tmp_path_factory.mktemp("formats"))
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    res = smk(work, "figures_bcg", "figures_zhao2018", "flow_diagram", "umbrella", "--config", REVIEWS,
              "figure_formats=[svg,png,pdf]", f"figure_dpi={DPI}")
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    return work


def svg_size_pt(path):
    head = path.read_text()[:2000]
    w, h = re.search(r'<svg[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"', head, re.S).groups()
    return float(w), float(h)


def png_chunks(data):
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        yield data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length


@pytest.mark.workflow
def test_every_figure_is_also_a_real_png_and_pdf(all_formats):
    svgs = [p for p in figure_files(all_formats) if p.suffix == ".svg"]
    kinds = {re.sub(r"^.*?\.", "", p.name) for p in svgs}
    assert {"forest.svg", "funnel.svg", "sensitivity.svg", "subgroups.svg", "flow.svg"} <= kinds
    assert {"umbrella.forest.svg", "overlap.svg"} <= {p.name for p in svgs}
    for svg in svgs:
        w_pt, h_pt = svg_size_pt(svg)
        png = svg.with_suffix(".png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n", svg
        chunks = dict(png_chunks(png))
        width, height = struct.unpack(">II", chunks[b"IHDR"][:8])
        # the same figure: as many pixels as the SVG's size in points (1/72 inch) at the configured dpi (whole
        # pixels: within one)
        assert (width, height) == pytest.approx((w_pt / 72 * DPI, h_pt / 72 * DPI), abs=1), svg
        ppm_x, ppm_y, unit = struct.unpack(">IIB", chunks[b"pHYs"])
        assert unit == 1 and round(ppm_x * 0.0254) == round(ppm_y * 0.0254) == DPI, svg
        pdf = svg.with_suffix(".pdf").read_bytes()
        assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF"), svg
        box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf).groups()
        assert (float(box[0]), float(box[1])) == pytest.approx((w_pt, h_pt), abs=0.01), svg


def summary_targets(work, formats):
    res = subprocess.run([SNAKEMAKE, "--summary", "--cores", "1", "--config", REVIEWS, f"figure_formats={formats}"],
                         cwd=work, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    return {line.split("\t")[0] for line in res.stdout.splitlines()[1:] if line}


@pytest.mark.workflow
def test_switching_a_format_off_removes_exactly_its_outputs(tmp_path):
    work = copy_project(tmp_path)
    every, no_pdf, svg_only = (summary_targets(work, f) for f in ("[svg,png,pdf]", "[svg,png]", "[svg]"))
    svgs = {f for f in every if f.startswith("results/figures/") and f.endswith(".svg")}
    assert len(svgs) > 20
    assert every - no_pdf == {f.removesuffix(".svg") + ".pdf" for f in svgs} and no_pdf <= every
    assert no_pdf - svg_only == {f.removesuffix(".svg") + ".png" for f in svgs} and svg_only <= no_pdf


@pytest.mark.workflow
def test_switching_a_format_off_after_a_run_redraws_nothing(all_formats):
    res = smk(all_formats, "-n", "figures_bcg", "figures_zhao2018", "flow_diagram", "umbrella", "--config", REVIEWS,
              "figure_formats=[svg,png]", f"figure_dpi={DPI}")
    assert res.returncode == 0, res.stderr[-2000:]
    assert "Nothing to be done" in res.stdout + res.stderr


@pytest.mark.workflow
def test_figure_formats_must_keep_svg(tmp_path):
    work = copy_project(tmp_path)
    res = smk(work, "-n", "--config", REVIEWS, "figure_formats=[pdf]")
    assert res.returncode != 0 and "figure_formats" in res.stdout + res.stderr
