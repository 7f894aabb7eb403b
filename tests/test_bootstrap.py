"""A chapter opened outside the repository (Colab's launch button) installs what it needs.

Every chapter carries the same set-up cell right after its parameters cell
(``tools/bootstrap_cell.py`` writes it from ``_config.yml``). These tests
check that the cells are identical and derive from the repository setting,
that the cell does nothing where ``helpers`` is importable, that the
``glue`` fallback shows values without ``myst_nb``, that Binder's and the
package's dependency lists agree with ``requirements.txt``, and, end to end,
that one chapter copied out of the repository runs in an environment
without ``helpers`` or ``myst_nb``, with a locally built wheel standing in
for the download.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import REPO
from packaging.requirements import Requirement

sys.path.insert(0, str(REPO / "tools"))
import bootstrap_cell  # noqa: E402

import helpers.publish  # noqa: E402

CHAPTERS = sorted((REPO / "book").glob("[0-9][0-9]_*.ipynb"))
# The chapter run end to end: no datasets, a few seconds in quick mode.
CHAPTER = REPO / "book" / "03_structured_matrices.ipynb"


def _requirements(path: Path) -> dict[str, Requirement]:
    """The named requirements of a requirements file, by lower-case name (options and `-e .` skipped)."""
    out = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith(("-", ".")):
            req = Requirement(line)
            out[req.name.lower()] = req
    return out


def _project() -> dict:
    """``pyproject.toml``'s [project] table (tomllib is Python 3.11+; on 3.10 these tests skip)."""
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11+")
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _setup_source() -> str:
    return bootstrap_cell.cell_source(bootstrap_cell.read_config())


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_chapter_has_the_generated_set_up_cell_after_its_parameters(path):
    assert not bootstrap_cell.problems(path, _setup_source()), bootstrap_cell.problems(path, _setup_source())


def test_every_chapter_in_the_toc_has_one_and_the_same_set_up_cell():
    import yaml

    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    listed = {c["file"] for part in toc["parts"] for c in part["chapters"] if Path(c["file"]).name[:2].isdigit()}
    assert {f"book/{p.stem}" for p in CHAPTERS} == listed
    cells = []
    for path in CHAPTERS:
        nb = json.loads(path.read_text())
        cells += ["".join(c["source"]) for c in nb["cells"] if c.get("id") == bootstrap_cell.CELL_ID]
    assert len(cells) == len(CHAPTERS) >= 9 and len(set(cells)) == 1


def test_the_cell_installs_from_the_configured_repository():
    config = bootstrap_cell.read_config()
    source = _setup_source()
    url = config["repository"]["url"].rstrip("/")
    assert f"{url}/archive/refs/heads/{config['repository'].get('branch', 'main')}.zip" in source
    assert f'f"{bootstrap_cell.DIST} @ {{archive}}"' in source
    name = _project()["name"]
    requirement = Requirement(bootstrap_cell.package_url(config))
    assert requirement.name == name, "the cell must name the package that pyproject.toml builds"
    assert requirement.url == f"{url}/archive/refs/heads/{config['repository'].get('branch', 'main')}.zip"
    assert len(source.splitlines()) <= 18, "the set-up cell is read by every reader: keep it short"


def test_package_url_refuses_a_repository_that_is_not_https():
    with pytest.raises(ValueError, match="repository.url"):
        bootstrap_cell.package_url({"repository": {"url": "git@github.com:a/b.git"}})


def test_the_set_up_cell_does_nothing_where_helpers_is_importable(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"the set-up cell ran a command inside the repository: {args}")

    monkeypatch.setattr(subprocess, "run", refuse)
    monkeypatch.setenv("LAAIC_PACKAGE", "/nonexistent/package.whl")
    exec(compile(_setup_source(), "set-up cell", "exec"), {})


def test_in_a_clone_opened_with_another_python_the_cell_uses_the_clones_helpers(monkeypatch, tmp_path):
    import importlib.util

    def refuse(*args, **kwargs):
        raise AssertionError(f"the set-up cell downloaded the package in a clone: {args}")

    monkeypatch.setattr(subprocess, "run", refuse)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)  # helpers not installed here
    monkeypatch.chdir(REPO / "book")  # where the chapters' kernels run
    monkeypatch.setattr(sys, "path", list(sys.path))
    exec(compile(_setup_source(), "set-up cell", "exec"), {})
    assert sys.path[0] == str(REPO)
    # outside a clone it installs, from LAAIC_PACKAGE when set
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    monkeypatch.setenv("LAAIC_PACKAGE", "/some/laaic_helpers.whl")
    monkeypatch.chdir(tmp_path)
    exec(compile(_setup_source(), "set-up cell", "exec"), {})
    assert calls == [[sys.executable, "-m", "pip", "install", "-q", "/some/laaic_helpers.whl"]]


def test_the_package_lists_what_requirements_txt_lists_for_running_the_chapters():
    deps = {Requirement(d).name.lower(): Requirement(d) for d in _project()["dependencies"]}
    reqs = _requirements(REPO / "requirements.txt")
    for name, dep in deps.items():
        assert name in reqs and reqs[name].specifier == dep.specifier, (
            f"pyproject.toml requires {dep}, requirements.txt {reqs.get(name)}: keep them the same"
        )
    for name in ("torch", "torchvision", "numpy", "scipy", "matplotlib", "scikit-learn", "scikit-image"):
        assert name in deps, f"the chapters import {name}; pyproject.toml's dependencies must list it"
    for name in ("myst-nb", "jupyter-book", "ipykernel", "ipywidgets"):
        # book-building tools are not needed on Colab, whose pinned Jupyter packages pip must not upgrade
        assert name not in deps, f"pyproject.toml's dependencies must leave {name} out"


def test_binder_installs_cpu_only_torch_in_the_tested_range_and_the_package():
    text = (REPO / "binder" / "requirements.txt").read_text()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in text
    binder, reqs = _requirements(REPO / "binder" / "requirements.txt"), _requirements(REPO / "requirements.txt")
    for name in ("torch", "torchvision", "ipywidgets", "jupyterlab-myst"):
        assert binder[name].specifier == reqs[name].specifier, f"binder/requirements.txt's {name} range differs"
    assert re.search(r"^\s*(-e\s+)?\.\s*$", text, re.M), "binder/requirements.txt must install the package (`.`)"


def test_glue_falls_back_to_showing_the_value_without_myst_nb(monkeypatch, capsys):
    monkeypatch.setattr(helpers.publish, "_MYST_GLUE", False)
    helpers.glue("acc", 0.25, display=False)
    helpers.glue("label", "MNIST")
    assert capsys.readouterr().out == "acc = 0.25\nlabel = 'MNIST'\n"
    with pytest.raises(TypeError, match="name must be a string"):
        helpers.glue(3, 0.25)


def test_glue_is_myst_nb_glue_when_myst_nb_is_installed(monkeypatch):
    calls = []
    monkeypatch.setattr(helpers.publish, "_MYST_GLUE", lambda *a, **k: calls.append((a, k)))
    helpers.glue("acc", 0.25, display=False)
    assert calls == [(("acc", 0.25), {"display": False})]


def _environment_without_helpers(tmp: Path) -> Path:
    """A venv that sees this environment's packages except helpers and myst_nb; returns its python.

    Its site-packages gets a .pth line naming a folder of links to our
    site-packages' entries. Python adds such a folder to sys.path without
    processing the .pth files in it, and the links leave out the editable
    install of helpers (its finder and metadata) and myst_nb, as on Colab.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp / "venv")], check=True)
    python = tmp / "venv" / "bin" / "python"
    ours = Path(sysconfig.get_paths()["purelib"])
    shared = tmp / "shared-site-packages"
    shared.mkdir()
    skip = re.compile(r"(__editable__|laaic_helpers|myst_nb|helpers$)", re.I)
    for entry in ours.iterdir():
        if not skip.search(entry.name) and not entry.name.endswith(".pth"):
            (shared / entry.name).symlink_to(entry)
    theirs = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (theirs / "laaic-shared.pth").write_text(f"{shared}\n")
    return python


def _wheel(tmp: Path) -> Path:
    """The package as a wheel built from the working tree (what the archive on GitHub would give)."""
    src = tmp / "src"
    src.mkdir()
    shutil.copy(REPO / "pyproject.toml", src)
    shutil.copytree(REPO / "helpers", src / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(tmp / "dist"),
            str(src),
        ],
        check=True,
    )
    (wheel,) = (tmp / "dist").glob("laaic_helpers-*.whl")
    return wheel


def test_a_chapter_outside_the_repository_installs_the_package_and_runs(tmp_path):
    python = _environment_without_helpers(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JUPYTER", "VIRTUAL_ENV"))}
    # our own venv's bin/ leaves PATH, so that no kernel can start this environment's python
    ours = Path(sys.executable).resolve()
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if Path(p, "python").resolve() != ours]
    env.update(
        LAAIC_QUICK="1",
        LAAIC_CACHE_DIR=str(tmp_path / "cache"),
        PIP_NO_INDEX="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        MPLBACKEND="Agg",
        PATH=os.pathsep.join([str(python.parent), *path]),
    )
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.util as u; import torch, papermill; "
            "print(u.find_spec('helpers'), u.find_spec('myst_nb'))",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert probe.returncode == 0 and probe.stdout.split() == ["None", "None"], (probe.stdout, probe.stderr)

    env["LAAIC_PACKAGE"] = str(_wheel(tmp_path))
    reader = tmp_path / "reader"
    reader.mkdir()
    shutil.copy(CHAPTER, reader)
    out = reader / "executed.ipynb"
    run = subprocess.run(
        [str(python), "-m", "papermill", CHAPTER.name, out.name, "--kernel", "python3", "--no-progress-bar"],
        cwd=reader,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    installed = subprocess.run(
        [str(python), "-c", "import helpers; print(helpers.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert str(tmp_path / "venv") in installed.stdout, "the set-up cell did not install helpers into the venv"
    texts = "".join(
        o.get("text", "") if isinstance(o.get("text", ""), str) else "".join(o["text"])
        for c in json.loads(out.read_text())["cells"]
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
    )
    assert re.search(r"^\w+ = [-0-9.e]+$", texts, re.M), "without myst_nb, glue should print the glued values"


def _laaic_urls():
    sys.path.insert(0, str(REPO / "_ext"))
    import laaic_urls

    return laaic_urls


class _Recorder:
    def __init__(self):
        self.info, self.warnings = [], []

    def info_(self, message, *args, **kwargs):
        self.info.append(message)

    def warning(self, message, *args, **kwargs):
        self.warnings.append((message, kwargs.get("subtype")))


@pytest.mark.parametrize("strict", ["0", "1"])
def test_the_build_reports_placeholder_addresses_as_a_message_or_in_strict_mode_a_warning(monkeypatch, strict):
    laaic_urls = _laaic_urls()
    config = {
        "repository": {"url": bootstrap_cell.PLACEHOLDER_REPOSITORY},
        "launch_buttons": {"jupyterhub_url": bootstrap_cell.PLACEHOLDER_JUPYTERHUB},
    }
    assert len(laaic_urls.placeholders(config, bootstrap_cell)) == 2
    assert (
        laaic_urls.placeholders(
            {
                "repository": {"url": "https://github.com/me/book"},
                "launch_buttons": {"jupyterhub_url": "https://hub.uni.edu"},
            },
            bootstrap_cell,
        )
        == []
    )

    rec = _Recorder()
    monkeypatch.setattr(laaic_urls.logger, "info", rec.info_)
    monkeypatch.setattr(laaic_urls.logger, "warning", rec.warning)
    monkeypatch.setattr(laaic_urls, "placeholders", lambda config, bc: ["repository.url is still the placeholder"])
    monkeypatch.setenv("LAAIC_STRICT_URLS", strict)
    laaic_urls._check(type("App", (), {"srcdir": str(REPO)})())
    if strict == "1":
        assert [s for _, s in rec.warnings] == ["placeholder_url"] and not rec.info
    else:
        assert not rec.warnings and "placeholder" in rec.info[0]


def test_the_build_warns_when_a_set_up_cell_does_not_match_the_repository_setting(monkeypatch, tmp_path):
    laaic_urls = _laaic_urls()
    (tmp_path / "book").mkdir()
    shutil.copy(CHAPTER, tmp_path / "book")
    config = bootstrap_cell.read_config()
    config["repository"] = dict(config["repository"], url="https://github.com/someone/else")
    (tmp_path / "_config.yml").write_text(json.dumps(config))  # JSON is YAML
    (tmp_path / "tools").symlink_to(REPO / "tools")
    rec = _Recorder()
    monkeypatch.setattr(laaic_urls.logger, "info", rec.info_)
    monkeypatch.setattr(laaic_urls.logger, "warning", rec.warning)
    laaic_urls._check(type("App", (), {"srcdir": str(tmp_path)})())
    assert [s for _, s in rec.warnings] == ["setup_cell"], rec.warnings


def _chapter_copy(tmp_path: Path, metadata: dict) -> Path:
    """A copy of CHAPTER whose set-up cell has the generated source and the given metadata."""
    nb = json.loads(CHAPTER.read_text())
    for cell in nb["cells"]:
        if cell.get("id") == bootstrap_cell.CELL_ID:
            cell["source"] = bootstrap_cell._lines(_setup_source())
            cell["metadata"] = metadata
    path = tmp_path / CHAPTER.name
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    return path


def test_the_set_up_cell_is_collapsed_in_the_html_and_the_check_requires_it(tmp_path):
    untagged = _chapter_copy(tmp_path, {})
    (problem,) = bootstrap_cell.problems(untagged, _setup_source())
    assert "lacks the tag(s) hide-input" in problem and CHAPTER.name in problem
    assert bootstrap_cell.write(untagged, _setup_source())  # the rewrite adds the tag
    assert bootstrap_cell.problems(untagged, _setup_source()) == []
    (cell,) = [c for c in json.loads(untagged.read_text())["cells"] if c.get("id") == bootstrap_cell.CELL_ID]
    assert cell["metadata"]["tags"] == ["hide-input"]
    assert not bootstrap_cell.write(untagged, _setup_source())  # and is then a no-op
    assert bootstrap_cell._new_cell("x = 1")["metadata"] == {"tags": ["hide-input"]}


def test_the_generated_cell_is_what_ruff_formats_at_the_chapters_88_columns(tmp_path):
    """Formatting a chapter (book/ruff.toml) must leave the set-up cell exactly as the tool writes it."""
    ruff = Path(sys.executable).parent / "ruff"
    cell = tmp_path / "cell.py"
    cell.write_text(_setup_source() + "\n")
    config = ["--config", str(REPO / "book" / "ruff.toml")]
    done = subprocess.run([str(ruff), "format", "--diff", *config, str(cell)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run([str(ruff), "check", *config, str(cell)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
