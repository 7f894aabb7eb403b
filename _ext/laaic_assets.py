"""Serve MathJax from the built site, so that the HTML book reads offline.

``tools/fetch_assets.py`` (``make assets``) unpacks a pinned MathJax 3 into
``_assets/mathjax``; this extension adds that folder to the site's
``_static`` and points Sphinx's ``mathjax_path`` at it. ``$LAAIC_ASSETS_DIR``
overrides the folder.

If the folder is missing, the build warns (so a strict ``-W`` build fails)
and says how to fetch it; a non-strict build falls back to the CDN.
"""

from __future__ import annotations

import os
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

MATHJAX_ENTRY = "mathjax/tex-mml-chtml.js"


def assets_dir(confdir) -> Path:
    env = os.environ.get("LAAIC_ASSETS_DIR")
    return Path(env).resolve() if env else Path(confdir).resolve() / "_assets"


def _use_local_assets(app, config):
    folder = assets_dir(app.confdir)
    if not (folder / MATHJAX_ENTRY).is_file():
        logger.warning(
            f"offline assets are missing: no {folder / MATHJAX_ENTRY}. Run `make assets` "
            "(python tools/fetch_assets.py) before building; MathJax comes from a CDN meanwhile.",
            type="laaic",
            subtype="assets",
        )
        return
    config.html_static_path = list(config.html_static_path) + [str(folder)]
    # a path relative to _static: Sphinx then adds it as a local script
    config.mathjax_path = MATHJAX_ENTRY


def setup(app):
    app.connect("config-inited", _use_local_assets, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
