"""The ``{eval}`` role of the book: glued numbers that JupyterLab can show too.

The chapters quote their numbers as ``{eval}`helpers.glued("name:fmt")```
(``DESIGN.md``, anatomy of a chapter, point 4), not ``{glue:text}`name:fmt```:

* in JupyterLab, ``jupyterlab-myst`` evaluates the expression in the kernel
  when the markdown cell runs, and :func:`helpers.publish.glued` formats the
  value that ``glue(name, value)`` stored, with ``myst_nb``'s rules;
  JupyterLab has no notion of glue roles and would show ``name:fmt``;
* in the HTML book this role does **not** evaluate anything (the book is
  executed by jupyter-cache, and myst-nb's own ``{eval}`` needs a live kernel,
  ``nb_execution_mode: inline``). It reads ``name:fmt`` from the expression and
  hands it to myst-nb's ``{glue:text}`` role, so the page shows exactly what
  ``{glue:text}`name:fmt``` showed, from the notebook's glued outputs.

``helpers.glued("name")`` of a value glued as Markdown (a table) must stand
alone in its paragraph; it becomes the rendered Markdown, like the
``{glue:md}`` directive with ``:format: myst``.

Only this one expression form is accepted: anything else is a build warning
(an error in the strict build), because the HTML has no kernel to evaluate it.
"""

from __future__ import annotations

import re

from docutils import nodes
from docutils.transforms import Transform

# helpers.glued("key"): double quotes, no escapes, nothing else around it
EXPRESSION = re.compile(r'^\s*helpers\.glued\(\s*"(?P<key>[^"\\]+)"\s*\)\s*$')
BLOCK_CLASS = "laaic-glued-block"


def glued_key(expression: str) -> str | None:
    """The ``name[:fmt]`` of ``helpers.glued("name[:fmt]")``, or ``None`` for any other expression."""
    m = EXPRESSION.match(expression)
    return m.group("key") if m else None


class GluedEvalRole:
    """``{eval}`helpers.glued("name:fmt")``` rendered from the glued outputs, like ``{glue:text}``."""

    def __call__(self, name, rawtext, text, lineno, inliner, options=None, content=()):
        from docutils.utils import unescape
        from myst_nb.ext.glue.roles import PasteTextRole
        from myst_nb.ext.glue.utils import glue_warning

        document = inliner.document
        key = glued_key(unescape(text))
        if key is None:
            msg = glue_warning(
                f"{{eval}} `{text}`: the HTML book has no kernel, so {{eval}} only accepts "
                'helpers.glued("name:format") (see _ext/laaic_eval.py)',
                document,
                lineno,
            )
            return [], [msg]
        if ":" not in key:
            block = self._markdown_block(key, document, lineno)
            if block is not None:
                return [block], []
        return PasteTextRole()(name, rawtext, key, lineno, inliner, options or {}, content)

    @staticmethod
    def _markdown_block(key, document, lineno):
        """A glued Markdown value (a table) as block nodes in a marked container, or ``None``."""
        from myst_nb.core.render import MimeData
        from myst_nb.core.variables import RetrievalError
        from myst_nb.ext.glue.utils import retrieve_glue_data

        try:
            result = retrieve_glue_data(document, key)
        except RetrievalError:
            return None  # the {glue:text} role reports it
        if "text/markdown" not in result.data:
            return None
        cell_key = result.nb_renderer.config.cell_metadata_key
        mime = MimeData(
            "text/markdown",
            result.data["text/markdown"],
            cell_metadata={cell_key: {"markdown_format": "myst"}},
            output_metadata=result.metadata,
            line=lineno,
        )
        block = nodes.container(classes=[BLOCK_CLASS])
        block += result.nb_renderer.render_markdown(mime)
        block.line = lineno
        return block


class HoistGluedBlocks(Transform):
    """A glued table alone in its paragraph replaces the paragraph (a table cannot sit inside a <p>)."""

    default_priority = 100

    def apply(self, **kwargs):
        for block in list(self.document.findall(nodes.container)):
            if BLOCK_CLASS not in block["classes"]:
                continue
            para = block.parent
            alone = isinstance(para, nodes.paragraph) and all(
                child is block or (isinstance(child, nodes.Text) and not child.astext().strip())
                for child in para.children
            )
            if not alone:
                self.document.reporter.warning(
                    'a glued Markdown value (helpers.glued("name") of a table) must stand alone in its paragraph',
                    base_node=block,
                )
                continue
            para.replace_self(block.children)


def setup(app):
    # After myst_nb (local extensions load last), which registers its own "eval".
    app.add_role("eval", GluedEvalRole(), override=True)
    app.add_transform(HoistGluedBlocks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
