"""Key the execution cache on the helpers as well as on the notebooks.

Jupyter Book 1 caches executed notebooks with jupyter-cache, which decides
whether a notebook must run again from the notebook's own code cells only.
The chapters do their work in ``helpers/``, so a change there (a fixed bug, a
new default) would otherwise publish the old numbers without re-running
anything. This extension puts a fingerprint of the sources listed in
``laaic_cache_sources`` (default: ``["helpers"]``, relative to the book's
root) into the cache path: ``<cache>/helpers-<fingerprint>``. A changed helper
gives a new, empty cache, so every chapter runs again; caches for other
fingerprints are removed, since nothing can use them any more.

One execution per test run: ``make test`` executes the chapters once, under
nbval (``_ext/laaic_nbval.py``), which stores each fully executed notebook in
this cache with :func:`store_executed`, under the fingerprint of the helpers
it ran with. The strict build that follows runs with
``LAAIC_BUILD_EXECUTES=0``: it executes nothing, takes every notebook's
outputs from the cache, and a notebook it finds no outputs for (its nbval run
failed, or the helpers changed since) is a warning, so ``-W`` fails, instead
of a second execution or older outputs.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

PREFIX = "helpers-"


def fingerprint(sources: list[Path]) -> str:
    """A short hash of every file under ``sources`` (names and bytes; compiled files ignored)."""
    digest = hashlib.sha256()
    for source in sources:
        source = Path(source)
        if not source.exists():
            raise FileNotFoundError(f"laaic_cache_sources names {str(source)!r}, which does not exist.")
        files = (
            [source]
            if source.is_file()
            else sorted(
                p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
            )
        )
        for f in files:
            digest.update(f.relative_to(source.parent).as_posix().encode() + b"\0")
            digest.update(f.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def keyed_cache_path(root: Path, sources: list[Path], prune: bool = True) -> Path:
    """``root/helpers-<fingerprint>``; with ``prune``, other ``helpers-*`` caches under ``root`` are removed."""
    root = Path(root)
    path = root / f"{PREFIX}{fingerprint(sources)}"
    if prune and root.is_dir():
        for old in root.iterdir():
            if old.is_dir() and old.name.startswith(PREFIX) and old != path:
                logger.info(f"laaic_cache: the helpers changed; removing the stale execution cache {old}")
                shutil.rmtree(old, ignore_errors=True)
    return path


def _key_cache(app, config):
    root = config.nb_execution_cache_path or Path(app.outdir).parent / ".jupyter_cache"
    sources = [Path(app.confdir) / s for s in config.laaic_cache_sources]
    path = keyed_cache_path(Path(root), sources)
    config.nb_execution_cache_path = str(path)
    logger.info(f"laaic_cache: execution cache keyed on {', '.join(config.laaic_cache_sources)}: {path}")


# ``LAAIC_BUILD_EXECUTES=0``: the build executes nothing and shows only cached outputs.
BUILD_EXECUTES = "LAAIC_BUILD_EXECUTES"


def cache_root(path_output: Path) -> Path:
    """The folder of the execution caches of a build written to ``path_output``.

    ``path_output`` is jupyter-book's ``--path-output`` (the book's root by
    default): the HTML goes to ``<path_output>/_build/html`` and myst-nb's
    cache, which :func:`_key_cache` keys, to ``<path_output>/_build/.jupyter_cache``.
    """
    return Path(path_output) / "_build" / ".jupyter_cache"


def configured_sources(book_root: Path) -> list[Path]:
    """The sources the cache is keyed on, as the build reads them from ``<book_root>/_config.yml``."""
    import yaml

    config = yaml.safe_load((Path(book_root) / "_config.yml").read_text(encoding="utf-8")) or {}
    names = ((config.get("sphinx") or {}).get("config") or {}).get("laaic_cache_sources", ["helpers"])
    return [Path(book_root) / name for name in names]


def _read(path: Path):
    import nbformat

    return nbformat.read(str(path), as_version=4)


def store_executed(cache_path: Path, notebook: Path, outputs: list[list[dict]], seconds: float | None = None):
    """Put the outputs of one execution of ``notebook`` into the execution cache at ``cache_path``.

    ``outputs`` holds, for each code cell in order, the list of its outputs
    (nbformat output dicts). The cached notebook is the source file with
    those outputs and execution counts 1, 2, ..., so that the build matches it
    exactly as it matches a notebook it executed itself (same code, same cell
    metadata). A record for the same code is replaced. Returns the record.
    """
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    nb = _read(notebook)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    if len(outputs) != len(code):
        raise ValueError(
            f"{notebook} has {len(code)} code cells but {len(outputs)} lists of outputs were given; "
            "pass one list per code cell, in order."
        )
    for count, (cell, outs) in enumerate(zip(code, outputs), start=1):
        cell.outputs = [nbformat.from_dict(dict(o)) for o in outs]
        cell.execution_count = count
    nbformat.validate(nb)
    bundle = CacheBundleIn(nb, str(Path(notebook).resolve()), data={"execution_seconds": seconds})
    return get_cache(str(cache_path)).cache_notebook_bundle(bundle, check_validity=False, overwrite=True)


def forget(cache_path: Path, notebook: Path) -> bool:
    """Remove the cached outputs of ``notebook``'s current code, if any; True if there were some."""
    if not Path(cache_path).is_dir():
        return False
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_path))
    try:
        record = cache.match_cache_notebook(_read(notebook))
    except KeyError:
        return False
    cache.remove_cache(record.pk)
    return True


def uncached(cache_path: Path, notebooks: list[Path]) -> list[Path]:
    """The ``notebooks`` for which the cache at ``cache_path`` holds no outputs of their current code."""
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_path)) if Path(cache_path).is_dir() else None
    missing = []
    for path in notebooks:
        try:
            if cache is None:
                raise KeyError(path)
            cache.match_cache_notebook(_read(path))
        except KeyError:
            missing.append(Path(path))
    return missing


def _book_notebooks(srcdir: Path, exclude_patterns: list[str], build_dir: Path) -> list[Path]:
    """The notebooks the build reads: those under ``srcdir`` outside ``build_dir`` that no exclude pattern matches.

    A pattern excludes a file when it matches the file's path or a folder
    above it (``_build`` excludes everything in it), as for Sphinx.
    """
    from sphinx.util.matching import Matcher

    excluded = Matcher(exclude_patterns)
    found = []
    for name in glob.iglob(str(Path(srcdir) / "**" / "*.ipynb"), recursive=True):  # skips hidden folders
        path = Path(name)
        parts = path.relative_to(srcdir).parts
        if (
            path.is_file()
            and Path(build_dir).resolve() not in path.resolve().parents
            and not any(excluded("/".join(parts[: i + 1])) for i in range(len(parts)))
        ):
            found.append(path)
    return sorted(found)


def _execute_nothing(app, config):
    """With ``LAAIC_BUILD_EXECUTES=0``, no notebook is executed: one without cached outputs is a warning."""
    if os.environ.get(BUILD_EXECUTES, "1") != "0":
        return
    notebooks = _book_notebooks(Path(app.srcdir), list(config.exclude_patterns), Path(app.outdir).parent)
    missing = uncached(Path(config.nb_execution_cache_path), notebooks)
    logger.info(
        f"laaic_cache: {BUILD_EXECUTES}=0, so the build executes nothing; "
        f"{len(notebooks) - len(missing)} of {len(notebooks)} notebooks have outputs in the cache"
    )
    config.nb_execution_excludepatterns = list(config.nb_execution_excludepatterns or []) + [
        p.resolve().as_posix() for p in missing
    ]
    for path in missing:
        logger.warning(
            f"{path.relative_to(app.srcdir)} has no outputs from this test run in the execution cache "
            f"(its execution under nbval failed or did not run, or helpers/ changed since), and with "
            f"{BUILD_EXECUTES}=0 the build does not execute it: see the notebooks part of the run",
            type="laaic",
            subtype="not_executed",
        )


def setup(app):
    app.add_config_value("laaic_cache_sources", ["helpers"], "env")
    # after myst-nb registered nb_execution_cache_path, before it reads it (builder-inited)
    app.connect("config-inited", _key_cache, priority=900)
    # after the cache is keyed and sphinx-external-toc excluded the files outside _toc.yml (900)
    app.connect("config-inited", _execute_nothing, priority=950)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
