"""The book's execution cache is keyed on helpers/ as well as on each notebook's code (_ext/laaic_cache.py).

Without it, ``make book`` after a change to ``helpers/*.py`` would publish the
old numbers from jupyter-cache without running anything.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
from laaic_cache import fingerprint, keyed_cache_path  # noqa: E402


def test_the_book_uses_the_extension_on_helpers():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["sphinx"]["local_extensions"]["laaic_cache"] == "_ext"
    assert config["execute"]["execute_notebooks"] == "cache"
    assert config["sphinx"]["config"].get("laaic_cache_sources", ["helpers"]) == ["helpers"]


def test_fingerprint_follows_the_sources(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "__pycache__").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    first = fingerprint([pkg])
    assert fingerprint([pkg]) == first  # deterministic
    (pkg / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"compiled")
    assert fingerprint([pkg]) == first  # compiled files do not count
    (pkg / "a.py").write_text("x = 2\n")
    assert fingerprint([pkg]) != first  # an edit does
    second = fingerprint([pkg])
    (pkg / "b.py").write_text("")
    assert fingerprint([pkg]) != second  # so does a new module
    with pytest.raises(FileNotFoundError, match="laaic_cache_sources names .*nope.*does not exist"):
        fingerprint([tmp_path / "nope"])


def test_stale_caches_are_removed_and_nothing_else(tmp_path):
    src = tmp_path / "helpers.py"
    src.write_text("a = 1\n")
    root = tmp_path / "cache"
    old = keyed_cache_path(root, [src])
    old.mkdir(parents=True)
    (root / "unrelated").mkdir()
    src.write_text("a = 2\n")
    new = keyed_cache_path(root, [src])
    assert new != old and new.name.startswith("helpers-")
    assert not old.exists() and (root / "unrelated").is_dir()


def _tiny_book(path: Path, value: str) -> None:
    shutil.copytree(ROOT / "_ext", path / "_ext")
    (path / "_config.yml").write_text(
        "title: cache test\nexecute:\n  execute_notebooks: cache\n"
        "sphinx:\n  local_extensions:\n    laaic_cache: _ext\n  config:\n    laaic_cache_sources: [mod.py]\n"
    )
    (path / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    (path / "mod.py").write_text(f"VALUE = {value!r}\n")
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Page"),
            nbformat.v4.new_code_cell("import mod\nprint(mod.VALUE)"),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path / "page.ipynb")


def _build(path: Path) -> tuple[str, str]:
    jb = Path(sys.executable).parent / "jupyter-book"
    done = subprocess.run([str(jb), "build", ".", "-W", "-n"], cwd=path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return (path / "_build" / "html" / "page.html").read_text(), done.stdout


def test_a_changed_helper_re_executes_the_chapter(tmp_path):
    _tiny_book(tmp_path, "first-value")
    html, _ = _build(tmp_path)
    assert "first-value" in html
    html, log = _build(tmp_path)  # nothing changed: served from the cache
    assert "first-value" in html and "Executing notebook" not in log
    (tmp_path / "mod.py").write_text("VALUE = 'second-value'\n")  # the notebook itself is unchanged
    html, log = _build(tmp_path)
    assert "Executing notebook" in log
    assert "second-value" in html and "first-value" not in html
    assert len(list((tmp_path / "_build" / ".jupyter_cache").glob("helpers-*"))) == 1
