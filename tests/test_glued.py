"""Glued numbers in the prose: ``{eval}`helpers.glued("name:fmt")```, the same text in the book and in JupyterLab.

The HTML book renders the role from the glued outputs with myst-nb's
``{glue:text}`` (``_ext/laaic_eval.py``); JupyterLab evaluates
``helpers.glued`` in the kernel. These tests check that both format a value
the same way and that the chapters only use the form the HTML understands.
tests/lab checks the chapters in a real JupyterLab.
"""

import json
import re
import sys

import pytest
from conftest import REPO
from IPython.core.formatters import format_display_data
from IPython.display import Markdown

import helpers
from helpers import publish

sys.path.insert(0, str(REPO / "_ext"))
import laaic_eval  # noqa: E402

CHAPTERS = sorted((REPO / "book").glob("*.ipynb"))
VALUES = [98.123456, 0.5, 1e-7, -3.25, 5234, 0, True, "7 → 1", "none", "it's", 2.0, 12345678.9]
SPECS = ["", "s", ".2f", ".0f", "+.1f", ",", ",.0f", ".0%", ".1%", ".3g", "g", ".2e", ".4f"]


def _myst_text(value, spec):
    """What {glue:text}`name:spec` shows for glue(name, value), by myst-nb's own code."""
    from myst_nb.core.variables import format_plain_text

    return format_plain_text(format_display_data(value)[0]["text/plain"], spec or "s")


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_glued_shows_what_glue_text_shows(value):
    helpers.glue("v", value, display=False)
    for spec in SPECS:
        try:
            want = _myst_text(value, spec)
        except (ValueError, TypeError):
            with pytest.raises((ValueError, TypeError)):
                helpers.glued(f"v:{spec}" if spec else "v")
            continue
        got = helpers.glued(f"v:{spec}" if spec else "v")
        assert got == want, (value, spec)
        assert repr(got) == want, "JupyterLab shows the repr: it must be the text, without quotes"


def test_the_fallback_formatting_is_myst_nbs(monkeypatch):
    """Without myst_nb (on Colab) glued() uses a copy of its rules: the copy must not drift."""
    import builtins

    real_import = builtins.__import__

    def no_myst(name, *args, **kwargs):
        if name.startswith("myst_nb"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    expected = {}
    for value in VALUES:
        for spec in SPECS:
            try:
                expected[value, spec] = publish._format_plain_text(format_display_data(value)[0]["text/plain"], spec)
            except (ValueError, TypeError):
                expected[value, spec] = "error"
    monkeypatch.setattr(builtins, "__import__", no_myst)
    for (value, spec), want in expected.items():
        try:
            got = publish._format_plain_text(format_display_data(value)[0]["text/plain"], spec)
        except (ValueError, TypeError):
            got = "error"
        assert got == want, (value, spec)


def test_glued_markdown_is_returned_as_it_is():
    table = Markdown("| a |\n|---|\n| 1 |")
    helpers.glue("table", table, display=False)
    assert helpers.glued("table") is table


def test_glued_explains_a_missing_name_and_a_bad_key():
    with pytest.raises(KeyError, match="run the cells above"):
        helpers.glued("never_glued_anywhere:.2f")
    with pytest.raises(TypeError, match="must be a string"):
        helpers.glued(3)


@pytest.mark.parametrize(
    "expression, key",
    [
        ('helpers.glued("acc:.2f")', "acc:.2f"),
        (' helpers.glued( "n_params:," ) ', "n_params:,"),
        ('helpers.glued("worst_pair")', "worst_pair"),
        ("helpers.glued('acc')", None),
        ("acc * 100", None),
        ('helpers.glued("a") + 1', None),
        ('glued("acc")', None),
    ],
)
def test_the_html_role_reads_only_glued_calls(expression, key):
    assert laaic_eval.glued_key(expression) == key


def _markdown_cells(path):
    return [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "markdown"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_prose_quotes_numbers_in_a_form_both_jupyterlab_and_the_book_show(path):
    """JupyterLab shows {glue:text}`acc:.2f` as 'acc:.2f', and the book cannot evaluate other {eval} code."""
    for cell in _markdown_cells(path):
        src = "".join(cell["source"])
        assert "{glue:" not in src and "{glue}" not in src, (
            f'{path.name}: JupyterLab cannot show glue roles; write {{eval}}`helpers.glued("name:fmt")` '
            f"instead:\n{src[:300]}"
        )
        for expression in re.findall(r"\{eval\}`([^`]*)`", src):
            assert laaic_eval.glued_key(expression), (
                f"{path.name}: {{eval}}`{expression}` - the HTML book has no kernel; "
                'only {eval}`helpers.glued("name:fmt")` is supported'
            )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_committed_without_evaluated_expressions(path):
    """jupyterlab-myst stores {eval} results in the markdown cell's metadata; they are outputs."""
    stale = [c.get("id") for c in _markdown_cells(path) if "user_expressions" in c.get("metadata", {})]
    assert not stale, (
        f"{path.name}: markdown cells {stale} carry jupyterlab-myst's user_expressions "
        "(values from a run); remove that metadata before committing"
    )
