"""A pytest plugin: nbval's execution of the chapters is the one the book build shows.

``make test`` executes every chapter once, under nbval::

    python -m pytest -p _ext.laaic_nbval --nbval-lax book --nbval-cache-build _build/quick

and then builds the book strictly from those outputs, executing nothing
(``LAAIC_BUILD_EXECUTES=0``, see ``_ext/laaic_cache.py``). With
``--nbval-cache-build PATH`` (the build's ``--path-output``), this plugin

* starts the kernels with ``LAAIC_STATIC_OUTPUTS=1``, as the build's own
  execution would (``_ext/laaic_html.py``): each slider is its static twin;
* removes, before anything runs, the cached outputs of every collected
  notebook's current code, so that a notebook that fails now can never be
  shown with the outputs of an earlier run;
* after the session, stores each notebook whose every code cell ran and
  passed in the build's execution cache (``laaic_cache.store_executed``),
  under the fingerprint of the helpers it ran with. A notebook with a failed
  or skipped cell is not stored; nor is anything when ``helpers/`` changed
  during the run.

A failing cell fails as nbval reports it: the notebook, ``Cell N`` (N counts
code cells from 0), the cell's code and the traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from laaic_cache import cache_root, configured_sources, fingerprint, forget, keyed_cache_path, store_executed  # noqa: E402

# helpers.widgets.STATIC_ENV; _ext/laaic_html.py sets it for the build's own kernels
STATIC_OUTPUTS = "LAAIC_STATIC_OUTPUTS"


def book_root(notebook: Path) -> Path:
    """The folder of the book (the one holding ``_config.yml``) that ``notebook`` belongs to."""
    for folder in Path(notebook).resolve().parents:
        if (folder / "_config.yml").is_file():
            return folder
    raise pytest.UsageError(f"--nbval-cache-build: {notebook} is in no book (no _config.yml above it).")


def pytest_addoption(parser):
    parser.getgroup("nbval").addoption(
        "--nbval-cache-build",
        metavar="PATH_OUTPUT",
        default=None,
        help="store the executed notebooks in the execution cache of the book build written to PATH_OUTPUT "
        "(jupyter-book's --path-output), which then shows them without executing again",
    )


def pytest_configure(config):
    path_output = config.getoption("nbval_cache_build")
    if not path_output:
        return
    if not (config.option.nbval or config.option.nbval_lax):
        raise pytest.UsageError("--nbval-cache-build keeps what nbval executes: add --nbval-lax (or --nbval).")
    os.environ[STATIC_OUTPUTS] = "1"  # inherited by the kernels nbval starts
    config.pluginmanager.register(Keeper(Path(path_output).resolve()), "laaic-nbval-keeper")


class Keeper:
    """Collects each notebook's outputs cell by cell and stores the complete ones at the end."""

    def __init__(self, path_output: Path):
        self.path_output = path_output
        self.cells: dict[Path, int] = {}  # notebook -> number of code cells collected
        self.outputs: dict[Path, dict[int, list]] = {}  # notebook -> {cell number: outputs}
        self.seconds: dict[Path, float] = {}
        self.keys: dict[Path, tuple[str, Path]] = {}  # book root -> (fingerprint, cache path)
        self.stored: list[Path] = []
        self.left_out: list[tuple[Path, str]] = []

    def _key(self, root: Path) -> tuple[str, Path]:
        sources = configured_sources(root)
        return fingerprint(sources), keyed_cache_path(cache_root(self.path_output), sources)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        from nbval.plugin import IPyNbCell

        for item in items:
            if isinstance(item, IPyNbCell):
                path = Path(item.parent.path).resolve()
                self.cells[path] = self.cells.get(path, 0) + 1
        for path in self.cells:
            root = book_root(path)
            if root not in self.keys:
                self.keys[root] = self._key(root)
            forget(self.keys[root][1], path)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if call.when != "call" or not report.passed or getattr(item, "test_outputs", None) is None:
            return
        path = Path(item.parent.path).resolve()
        self.outputs.setdefault(path, {})[item.cell_num] = list(item.test_outputs)
        self.seconds[path] = self.seconds.get(path, 0.0) + call.duration

    def pytest_sessionfinish(self, session):
        for root, (key, cache_path) in self.keys.items():
            now = self._key(root)[0]
            for path, count in self.cells.items():
                if book_root(path) != root:
                    continue
                done = self.outputs.get(path, {})
                if now != key:
                    self.left_out.append((path, f"the files {cache_path.name} is keyed on changed during the run"))
                elif sorted(done) != list(range(count)):
                    self.left_out.append(
                        (path, f"{count - len(done)} of its {count} code cells failed or were skipped")
                    )
                else:
                    store_executed(cache_path, path, [done[i] for i in range(count)], self.seconds.get(path))
                    self.stored.append(path)

    def pytest_terminal_summary(self, terminalreporter):
        write = terminalreporter.write_line
        write(f"laaic_nbval: kept the outputs of {len(self.stored)} notebooks for the build in {self.path_output}")
        for path, why in self.left_out:
            write(f"laaic_nbval: NOT kept for the build: {path.name} ({why})")
