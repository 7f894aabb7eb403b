"""helpers.publish: glue records a value for the prose, glued gives it back formatted.

How ``glued`` formats values against myst-nb's ``{glue:text}`` (over many
values and format specs) is tested in ``tests/test_glued.py``; this file tests
the rest of the module: where ``glue`` sends a value with and without
``myst_nb``, what ``glued`` returns, and the errors of both.
"""

import sys

import pytest

from helpers import publish
from helpers.publish import glue, glued


@pytest.fixture(autouse=True)
def fresh_store(monkeypatch):
    """Each test glues into an empty store, with myst_nb looked up afresh."""
    monkeypatch.setattr(publish, "_GLUED", {})
    monkeypatch.setattr(publish, "_MYST_GLUE", None)


@pytest.fixture
def recorder(monkeypatch):
    calls = []
    monkeypatch.setattr(publish, "_MYST_GLUE", lambda name, value, display=True: calls.append((name, value, display)))
    return calls


@pytest.fixture
def without_myst(monkeypatch):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # import myst_nb now raises ImportError


def test_glue_hands_the_value_to_myst_nb_and_remembers_it(recorder):
    assert glue("acc", 98.25, display=False) is None
    glue("n", 5234)
    assert recorder == [("acc", 98.25, False), ("n", 5234, True)]
    assert glued("acc:.1f") == "98.2" and glued("n:,") == "5,234"


def test_glue_again_replaces_the_value(recorder):
    glue("acc", 1.0, display=False)
    glue("acc", 2.0, display=False)
    assert glued("acc:.1f") == "2.0"


def test_myst_nb_is_looked_up_once():
    first = publish._myst_glue()
    assert publish._myst_glue() is first
    from myst_nb import glue as myst_glue

    assert first is myst_glue


def test_without_myst_nb_the_cell_output_shows_the_value(without_myst, capsys):
    assert publish._myst_glue() is False
    glue("acc", 98.25, display=False)
    glue("name", "seven", display=False)
    glue("shape", (3, 4), display=False)  # not a number or a string: labelled, then shown
    glue("table", [1, 2])  # display=True: shown, unlabelled
    out = capsys.readouterr().out.splitlines()
    assert out == ["acc = 98.25", "name = 'seven'", "shape:", "(3, 4)", "[1, 2]"]
    # and the prose (JupyterLab's {eval}) still reads the glued values
    assert glued("acc:.0f") == "98" and glued("name") == "seven"


def test_glued_text_has_no_quotes_in_its_repr(recorder):
    glue("label", "it's", display=False)
    text = glued("label")
    assert text == "it's" and repr(text) == "it's" and isinstance(text, str)


def test_glued_splits_the_format_at_the_last_colon(recorder):
    glue("ratio:raw", 0.5, display=False)
    assert glued("ratio:raw:.0%") == "50%"


def test_glued_returns_a_markdown_value_itself(recorder):
    from IPython.display import Markdown

    table = Markdown("| a |\n|---|\n| 1 |")
    glue("table", table, display=False)
    assert glued("table") is table
    assert glued("table:s") != table  # an explicit spec formats its text


def test_glue_and_glued_refuse_bad_names_and_explain_a_missing_one(recorder):
    with pytest.raises(TypeError, match=r'glue: the name must be a string, got int; write glue\("name", value\)'):
        glue(3, 1.0)
    with pytest.raises(TypeError, match='the key must be a string such as "acc:.2f", got float'):
        glued(1.5)
    with pytest.raises(KeyError, match=r"nothing glued under 'acc' yet: run the cells above"):
        glued("acc:.2f")
    assert recorder == []  # nothing was glued by the refused calls
