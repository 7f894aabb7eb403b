"""Small fixes to the HTML that Jupyter Book 1 generates, found by the browser tests (tests/browser).

* sphinx-thebe's configuration script (``const THEBE_JS_URL = ...``) is added
  to every page twice, and the second copy throws "Identifier 'THEBE_JS_URL'
  has already been declared": identical scripts are kept once per page.
* The theme's light/dark switch starts from an empty mode on a first visit
  and logs "Got invalid theme mode" as an error: an empty mode is set to
  "auto" (follow the reader's system setting) before the theme reads it.
* myst-nb embeds the notebook's ipywidgets state (``<script
  type="application/vnd.jupyter.widget-state+json">``) in every page with a
  slider. The HTML book renders no live widgets (each slider shows its static
  twin, see ``helpers.widgets``) and loads no widget manager, so nothing reads
  that script: it is dropped, which keeps the pages small.
* The kernels that execute the chapters for the build get
  ``LAAIC_STATIC_OUTPUTS=1``, so ``helpers.widgets.slider`` makes only the
  static twin: the HTML cannot use a live widget, and an executed cell whose
  Output widget is still syncing when the cell ends can leave nbclient
  waiting for a reply it missed (a stalled build).
"""

import os

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


# Runs in <head> before the theme's deferred script reads the mode.
_MODE_JS = 'if (!document.documentElement.dataset.mode) { document.documentElement.dataset.mode = "auto"; }'


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, keep = set(), []
    for js in scripts:
        # the same file or inline body, whatever priority it was added with
        # (an inline script's filename is None or "", depending on who added it)
        key = (getattr(js, "filename", None) or "", str(sorted(getattr(js, "attributes", {}).items())))
        if key in seen or getattr(js, "attributes", {}).get("type") == WIDGET_STATE:
            continue
        seen.add(key)
        keep.append(js)
    scripts[:] = keep


def setup(app):
    # inherited by the kernels myst-nb starts from this process
    os.environ["LAAIC_STATIC_OUTPUTS"] = "1"
    app.add_js_file(None, body=_MODE_JS, priority=1)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
