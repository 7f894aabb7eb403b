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
"""

from __future__ import annotations

import hashlib
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


def setup(app):
    app.add_config_value("laaic_cache_sources", ["helpers"], "env")
    # after myst-nb registered nb_execution_cache_path, before it reads it (builder-inited)
    app.connect("config-inited", _key_cache, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
