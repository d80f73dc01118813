"""The import scanner that gives every rule its code inputs (ketamine_ma.stages.code_inputs), without Snakemake:
each way of writing an import finds its module, and the transitive closure reaches what a script really runs."""

from pathlib import Path

from ketamine_ma.stages import code_inputs

ROOT = Path(__file__).resolve().parents[1]


def package(tmp_path, files):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_every_spelling_of_an_import_is_found(tmp_path):
    root = package(tmp_path, {
        "workflow/scripts/job.py": "from ketamine_ma.a import (\n    x,  # why\n    y,\n)\n"
                                   "def f():\n    import ketamine_ma.b as bee\n",
        "src/ketamine_ma/__init__.py": "",
        "src/ketamine_ma/a/__init__.py": "",
        "src/ketamine_ma/a/x.py": "from . import z\nfrom ..c import w\n",
        "src/ketamine_ma/a/y.py": "",
        "src/ketamine_ma/a/z.py": "",
        "src/ketamine_ma/b.py": "",
        "src/ketamine_ma/c/__init__.py": "",
        "src/ketamine_ma/c/w.py": "",
        "src/ketamine_ma/unused.py": "",
    })
    assert code_inputs.code(root, "job.py") == [
        "src/ketamine_ma/__init__.py", "src/ketamine_ma/a/__init__.py", "src/ketamine_ma/a/x.py",
        "src/ketamine_ma/a/y.py", "src/ketamine_ma/a/z.py", "src/ketamine_ma/b.py", "src/ketamine_ma/c/__init__.py",
        "src/ketamine_ma/c/w.py", "workflow/scripts/job.py"]


def test_the_figures_job_runs_the_plots_and_not_the_pooling():
    figures = code_inputs.code(ROOT, "figures.py")
    assert "src/ketamine_ma/outputs/plots.py" in figures
    assert "src/ketamine_ma/engine/pooling.py" in code_inputs.code(ROOT, "analyse.py")
    assert "src/ketamine_ma/outputs/plots.py" not in code_inputs.code(ROOT, "analyse.py")
