"""The chapters as files: clean, parameterised, listed, and runnable by papermill.

Executing every chapter is nbval's job (`pytest --nbval-lax book`, part of
`make test`); this file checks what nbval does not.
"""

import json
import os
import subprocess
import sys

import nbformat
import pytest
import yaml
from conftest import REPO

CHAPTERS = sorted((REPO / "book").glob("*.ipynb"))
STANDARD_KNOBS = ("quick", "device", "seed")


def test_there_are_chapters():
    assert CHAPTERS, "no notebooks under book/"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [
        i
        for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, (
        f"{path.name}: cells {dirty} carry outputs or execution counts; clear them "
        "(e.g. `jupyter nbconvert --clear-output --inplace`) before committing"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_has_a_parameters_cell_with_the_standard_knobs(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"
    names = {
        line.split("=")[0].strip()
        for line in tagged[0].source.splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    for knob in STANDARD_KNOBS:
        assert knob in names, f"{path.name}: the parameters cell lacks `{knob}`"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0] is tagged[0], f"{path.name}: the parameters cell must be the first code cell"


def test_toc_lists_every_chapter_and_only_existing_files():
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [ch["file"] for ch in part["chapters"]]
    for f in files:
        assert any((REPO / (f + ext)).is_file() for ext in (".md", ".ipynb")), f"_toc.yml names missing {f}"
    listed = {f for f in files}
    for path in CHAPTERS:
        assert f"book/{path.stem}" in listed, f"{path.name} is not in _toc.yml"


def test_config_is_strict():
    cfg = yaml.safe_load((REPO / "_config.yml").read_text())
    assert cfg["execute"]["execute_notebooks"] == "cache"
    assert cfg["execute"].get("allow_errors", False) is False
    assert cfg["sphinx"]["config"]["nb_execution_raise_on_error"] is True


def test_papermill_runs_a_chapter_with_overridden_parameters(tmp_path, real_data):
    """The documented route for full-scale or GPU runs: papermill with -p overrides."""
    out = tmp_path / "out.ipynb"
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["LAAIC_QUICK"] = "0"
    cmd = [
        sys.executable,
        "-m",
        "papermill",
        str(REPO / "book" / "00_datasets.ipynb"),
        str(out),
        "-p",
        "quick",
        "True",
        "-p",
        "per_class",
        "2",
        "-p",
        "device",
        "cpu",
        "--cwd",
        str(REPO / "book"),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    nb = nbformat.read(out, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "per_class = 2" in injected[0].source
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "quick (CI) mode on CPU" in text
    figures = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert figures >= 5, "the chapter's figures did not render (is MPLBACKEND set to a non-inline backend?)"


def test_papermill_reports_a_bad_parameter(tmp_path, real_data):
    """device='cuda' without a GPU fails with the helpers' message, not a deep traceback."""
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    out = tmp_path / "out.ipynb"
    cmd = [
        sys.executable,
        "-m",
        "papermill",
        str(REPO / "book" / "00_datasets.ipynb"),
        str(out),
        "-p",
        "device",
        "cuda",
        "--cwd",
        str(REPO / "book"),
    ]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=600, env={k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    )
    assert proc.returncode != 0
    assert "no CUDA GPU" in proc.stderr + proc.stdout


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_glued_name_in_the_prose_is_glued_by_the_chapter(path):
    """A glued name in the prose ({eval}`helpers.glued("name")`, {glue:text}`name`) that no code cell glues
    renders as an error in the book; catch it early."""
    import re

    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    glued = set(re.findall(r'glue\(\s*f?"([^"]+)"', code)) | set(re.findall(r"glue\(\s*f?'([^']+)'", code))
    patterns = [re.compile("^" + re.sub(r"\\\{[^}]*\\\}", ".+", re.escape(g)) + "$") for g in glued if "{" in g]
    used = set()
    for c in nb.cells:
        if c.cell_type == "markdown":
            used |= set(re.findall(r"\{glue:(?:text|md)\}`([^`:]+)", c.source))
            used |= set(re.findall(r"```\{glue:md\}\s+(\S+)", c.source))
            # the form the chapters use: {eval}`helpers.glued("name:fmt")` (see _ext/laaic_eval.py)
            used |= set(re.findall(r'\{eval\}`helpers\.glued\("([^"`:]+)', c.source))
    missing = sorted(u for u in used if u not in glued and not any(p.match(u) for p in patterns))
    assert not missing, f"{path.name}: prose uses glue names that no code cell glues: {missing}"
