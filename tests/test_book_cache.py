"""The book's execution cache is keyed on helpers/ as well as on each notebook's code (_ext/laaic_cache.py).

Without it, ``make book`` after a change to ``helpers/*.py`` would publish the
old numbers from jupyter-cache without running anything.
"""

import os
import re
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


# One execution per test run: nbval executes, the build shows its outputs (_ext/laaic_nbval.py).

_TOKEN_CELL = (
    "import os, uuid\nimport mod\ntoken = uuid.uuid4().hex\n"
    "with open('runs.log', 'a') as log:\n    log.write(f'{name} {token}\\n')\n"
    "print('token', token, mod.VALUE, 'static', os.environ.get('LAAIC_STATIC_OUTPUTS'))"
)


def _two_notebook_book(path: Path) -> None:
    """Two pages; each run of a page appends its name and a fresh token to runs.log and prints the token."""
    _tiny_book(path, "v1")
    config = (path / "_config.yml").read_text()
    (path / "_config.yml").write_text("only_build_toc_files: true\nexclude_patterns: [out]\n" + config)
    (path / "_toc.yml").write_text("format: jb-book\nroot: a\nchapters:\n- file: b\n")
    (path / "page.ipynb").unlink()
    for name in "ab":
        nb = nbformat.v4.new_notebook(
            cells=[
                nbformat.v4.new_markdown_cell(f"# Page {name}"),
                nbformat.v4.new_code_cell(f"name = {name!r}\n" + _TOKEN_CELL),
                nbformat.v4.new_code_cell(
                    f"if os.environ.get('FAIL_{name.upper()}'):\n    raise RuntimeError('asked to')"
                ),
            ]
        )
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, path / f"{name}.ipynb")


def _nbval(path: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "_ext.laaic_nbval", "--nbval-lax"]
        + ["--nbval-cache-build", "out", "a.ipynb", "b.ipynb"],
        cwd=path,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )


def _build_from_cache(path: Path) -> subprocess.CompletedProcess:
    jb = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(jb), "build", ".", "--all", "--path-output", "out", "-W", "-n", "--keep-going"]
    return subprocess.run(
        cmd, cwd=path, capture_output=True, text=True, env={**os.environ, "LAAIC_BUILD_EXECUTES": "0"}
    )


def _runs(path: Path) -> list[list[str]]:
    return [line.split() for line in (path / "runs.log").read_text().splitlines()]


def test_each_page_is_executed_once_by_nbval_and_the_build_shows_those_outputs_or_fails(tmp_path):
    _two_notebook_book(tmp_path)
    done = _nbval(tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "kept the outputs of 2 notebooks for the build" in done.stdout
    runs = _runs(tmp_path)
    assert sorted(name for name, _ in runs) == ["a", "b"]
    built = _build_from_cache(tmp_path)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert "Executing notebook" not in built.stdout and "Using cached notebook" in built.stdout
    assert _runs(tmp_path) == runs, "the build executed a page again"
    for name, token in runs:
        html = (tmp_path / "out" / "_build" / "html" / f"{name}.html").read_text()
        # this run's outputs, produced as the build's own execution would (static slider twins)
        assert f"token {token} v1 static 1" in html

    # the next run: page b fails under nbval, is named, and is never shown with the outputs above
    (old_b,) = [token for name, token in runs if name == "b"]
    failed = _nbval(tmp_path, FAIL_B="1")
    assert failed.returncode != 0
    report = re.sub(r"\x1b\[[0-9;]*m", "", failed.stdout)  # the kernel's traceback is coloured
    assert "b.ipynb::Cell 1" in report and "RuntimeError: asked to" in report
    assert "NOT kept for the build: b.ipynb (1 of its 2 code cells failed" in failed.stdout
    runs = _runs(tmp_path)
    built = _build_from_cache(tmp_path)
    assert built.returncode != 0, "the strict build must fail on a page this run could not execute"
    log = built.stdout + built.stderr
    assert "b.ipynb has no outputs from this test run" in log and "a.ipynb has no outputs" not in log
    assert _runs(tmp_path) == runs, "the build executed a page again"
    assert old_b not in (tmp_path / "out" / "_build" / "html" / "b.html").read_text()
    (new_a,) = [token for name, token in runs[2:] if name == "a"]
    assert new_a in (tmp_path / "out" / "_build" / "html" / "a.html").read_text()


def test_stored_outputs_are_what_the_build_matches_and_merges(tmp_path):
    from jupyter_cache import get_cache
    from laaic_cache import cache_root, configured_sources, forget, store_executed, uncached

    _two_notebook_book(tmp_path)
    assert configured_sources(tmp_path) == [tmp_path / "mod.py"]
    assert cache_root(tmp_path / "out") == tmp_path / "out" / "_build" / ".jupyter_cache"
    cache_path = tmp_path / "cache"
    page = tmp_path / "a.ipynb"
    assert uncached(cache_path, [page]) == [page] and not forget(cache_path, page)
    printed = nbformat.v4.new_output("stream", name="stdout", text="hello\n")
    with pytest.raises(ValueError, match="2 code cells but 1 lists of outputs"):
        store_executed(cache_path, page, [[printed]])
    store_executed(cache_path, page, [[printed], []], seconds=1.5)
    assert uncached(cache_path, [page, tmp_path / "b.ipynb"]) == [tmp_path / "b.ipynb"]
    _, merged = get_cache(str(cache_path)).merge_match_into_notebook(nbformat.read(page, 4))
    code = [c for c in merged.cells if c.cell_type == "code"]
    assert code[0].outputs[0]["text"] == "hello\n" and [c.execution_count for c in code] == [1, 2]
    assert forget(cache_path, page) and uncached(cache_path, [page]) == [page]
