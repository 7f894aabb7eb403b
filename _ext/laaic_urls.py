"""The online addresses in ``_config.yml``: say when they are still placeholders.

The repository was created before the book had a public home, so
``repository.url`` (behind the Binder, Colab, repository and issue buttons,
and the address each chapter's set-up cell installs from) and
``launch_buttons.jupyterhub_url`` hold placeholders until the team publishes
(see README.md, "Reading online"). At the start of every build this
extension checks them:

* A placeholder is reported as a highlighted message in the build output. It
  becomes a Sphinx warning, so that a ``-W`` build fails, when the
  environment variable ``LAAIC_STRICT_URLS`` is ``1``: set it in the build
  that publishes the book. CI builds with ``-W`` and must pass while the
  addresses are placeholders, hence a message by default.
* A chapter whose set-up cell no longer matches ``repository.url`` (changed
  without running ``tools/bootstrap_cell.py``) is always a warning: its Colab
  button would install from the old address.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sphinx.util import logging
from sphinx.util.console import colorize

logger = logging.getLogger(__name__)


def _bootstrap_cell(srcdir: Path):
    """``tools/bootstrap_cell.py``, the one place that knows the placeholders and the set-up cell."""
    tools = str(srcdir / "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    import bootstrap_cell

    return bootstrap_cell


def placeholders(config: dict, bootstrap_cell) -> list[str]:
    """The settings of ``config`` (``_config.yml`` as a dict) that still hold placeholders."""
    found = []
    if str((config.get("repository") or {}).get("url", "")).rstrip("/") == bootstrap_cell.PLACEHOLDER_REPOSITORY:
        found.append(f"repository.url is still the placeholder {bootstrap_cell.PLACEHOLDER_REPOSITORY}")
    if (
        str((config.get("launch_buttons") or {}).get("jupyterhub_url", "")).rstrip("/")
        == bootstrap_cell.PLACEHOLDER_JUPYTERHUB
    ):
        found.append(f"launch_buttons.jupyterhub_url is still the placeholder {bootstrap_cell.PLACEHOLDER_JUPYTERHUB}")
    return found


def _check(app):
    srcdir = Path(app.srcdir)
    bootstrap_cell = _bootstrap_cell(srcdir)
    config = bootstrap_cell.read_config(srcdir)
    hint = " (set it in _config.yml, see README.md 'Reading online')"
    for message in placeholders(config, bootstrap_cell):
        if os.environ.get("LAAIC_STRICT_URLS") == "1":
            logger.warning(message + hint, type="laaic", subtype="placeholder_url")
        else:
            logger.info(
                colorize("darkred", "laaic_urls: " + message + hint + "; LAAIC_STRICT_URLS=1 makes this a warning")
            )
    source = bootstrap_cell.cell_source(config)
    for path in bootstrap_cell.chapters(srcdir / "book").values():
        for problem in bootstrap_cell.problems(path, source):
            logger.warning(
                problem + "; run tools/bootstrap_cell.py (again after every change to repository.url)",
                type="laaic",
                subtype="setup_cell",
            )


def setup(app):
    app.connect("builder-inited", _check)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
