"""Publishing computed numbers to the prose: ``myst_nb.glue`` with a fallback.

Every chapter quotes its numbers through ``glue(name, value, display=False)``
and ``{eval}`helpers.glued("name")``` in its markdown (``DESIGN.md``, anatomy
of a chapter, point 4; see :func:`glued`). In the book build and in the repository's
environment this *is* ``myst_nb.glue``, so the HTML is unchanged. Where
``myst_nb`` is not installed (a chapter opened on Colab from its launch
button) the prose shows the raw ``{eval}`` call instead of the number, so the fallback
shows the value in the cell's output: ``name = value`` for a glued number or
string, the object itself for anything else (a figure, a table).
Introduced with the launch buttons; used by every chapter.
"""

from __future__ import annotations

import numpy as np
import torch

from .validate import boolean, describe

__all__ = ["glue", "glued"]

_MYST_GLUE = None

# Every value glued in this kernel, by name: what ``glued`` reads, so that
# JupyterLab's ``{eval}`` and the book's glued number come from one value.
_GLUED: dict = {}


def _myst_glue():
    """``myst_nb.glue`` if it can be imported, else ``False`` (looked up once)."""
    global _MYST_GLUE
    if _MYST_GLUE is None:
        try:
            from myst_nb import glue as myst_glue
        except ImportError:
            myst_glue = False
        _MYST_GLUE = myst_glue
    return _MYST_GLUE


def _fallback_glue(name, variable, display=True):
    """Show ``variable`` where ``myst_nb`` is absent; ``display=False`` values too, labelled."""
    from IPython.display import display as show

    if isinstance(variable, (bool, int, float, complex, str)):
        print(f"{name} = {variable!r}")
    else:
        if not display:
            print(f"{name}:")
        show(variable)


def glue(name, variable, display=True):
    """Glue ``variable`` under ``name`` for the prose, which quotes it as ``{eval}`helpers.glued("name:fmt")```.

    Parameters
    ----------
    name : str
        The key the markdown refers to, e.g. ``{eval}`helpers.glued("name:.2f")```
        (rendered from this glued output in the HTML book, evaluated by
        :func:`glued` in JupyterLab).
    variable : object
        The value. A NumPy scalar (``np.float64(0.5)``) or a one-number tensor
        or array is glued as the Python number it holds, so the prose shows
        ``0.5`` rather than ``np.float64(0.5)``.
    display : bool
        As in ``myst_nb.glue``: whether the cell's output shows the value in
        the book. Without ``myst_nb`` the value is always shown, because the
        prose cannot show it.

    Returns
    -------
    None

    Raises
    ------
    TypeError
        If ``name`` is not a string or ``display`` not True/False.
    ValueError
        If ``name`` is empty.
    """
    if not isinstance(name, str):
        raise TypeError(f'glue: the name must be a string, got {type(name).__name__}; write glue("name", value)')
    if not name.strip():
        raise ValueError(f'glue: the name must not be empty, got {name!r}; write glue("name", value)')
    display = boolean(display, "glue: display")
    variable = _python_scalar(variable)
    _GLUED[name] = variable
    myst_glue = _myst_glue()
    if myst_glue:
        myst_glue(name, variable, display=display)
    else:
        _fallback_glue(name, variable, display=display)


def _python_scalar(value):
    """A NumPy scalar, or a tensor/array holding one number, as the Python number it holds; anything else as is.

    ``myst_nb`` glues a value's text form, and ``np.float64(0.5)`` reads
    ``np.float64(0.5)`` (NumPy 2), ``torch.tensor(0.5)`` ``tensor(0.5000)``:
    the prose would show that text, and a format such as ``:.2f`` would fail.
    """
    if isinstance(value, (np.generic, np.ndarray)) and value.ndim == 0 and value.dtype.kind in "biufc":
        return value.item()
    if isinstance(value, torch.Tensor) and value.dim() == 0:
        return value.item()
    return value


class _Text(str):
    """A glued value as prose text: its repr is the text itself, so JupyterLab shows no quotes."""

    __slots__ = ()

    def __repr__(self):
        return str(self)


def _format_plain_text(text: str, fmt_spec: str) -> str:
    """``myst_nb``'s formatting of a glued ``text/plain`` value (``{glue:text}`name:fmt```)."""
    try:
        from myst_nb.core.variables import format_plain_text
    except ImportError:  # the same rules, where myst_nb is absent (tests compare the two)
        from ast import literal_eval

        def format_plain_text(text, fmt_spec):
            try:
                value = literal_eval(text)
            except (SyntaxError, ValueError):
                value = text
            if fmt_spec == "":
                return str(value)
            if fmt_spec[-1] == "s":
                value = str(value)
            elif fmt_spec[-1] in "bcdoxX":
                value = int(value)
            elif fmt_spec[-1] in "eEfFgGn%":
                value = float(value)
            return format(value, fmt_spec)

    return format_plain_text(text, fmt_spec)


def glued(key: str):
    """A glued value as the prose shows it: ``{eval}`helpers.glued("name:fmt")```.

    The chapters quote their numbers with the ``{eval}`` role. In JupyterLab
    (with ``jupyterlab-myst``) running a markdown cell evaluates this call in
    the kernel; in the HTML book the local Sphinx extension
    ``_ext/laaic_eval.py`` reads the same ``name:fmt`` from the notebook's
    glued outputs instead, exactly like ``{glue:text}`name:fmt```. Both format
    the value that :func:`glue` received, with ``myst_nb``'s rules.

    Parameters
    ----------
    key : str
        ``"name"`` or ``"name:format_spec"`` (a Python format spec ending in its
        type character, e.g. ``"test_acc:.2f"``, ``"n_params:,"``).

    Returns
    -------
    str or object
        The formatted text; a value glued for ``{glue:md}`` (one with a
        Markdown representation, e.g. a table) is returned as it is.

    Raises
    ------
    TypeError
        If ``key`` is not a string.
    ValueError
        If ``key`` is empty, or its format spec does not apply to the value
        (``"name:.2f"`` on a string, an unknown format).
    KeyError
        If nothing was glued under the name in this kernel yet (run the cells
        above first).
    """
    if not isinstance(key, str):
        raise TypeError(f'glued: the key must be a string such as "acc:.2f", got {type(key).__name__}.')
    if not key.strip():
        raise ValueError('glued: the key is empty; write glued("name") or glued("name:.2f").')
    parts = key.rsplit(":", 1)
    name, fmt_spec = (parts[0], parts[1]) if len(parts) == 2 else (key, "s")
    if name not in _GLUED:
        raise KeyError(
            f"nothing glued under {name!r} yet: run the cells above this one "
            "(Run > Run All Cells), then this markdown cell."
        )
    from IPython.core.formatters import format_display_data

    value = _GLUED[name]
    data = format_display_data(value)[0]
    if len(parts) == 1 and "text/markdown" in data:
        return value
    try:
        text = _format_plain_text(data["text/plain"], fmt_spec)
    except (ValueError, TypeError) as err:
        raise ValueError(
            f"glued({key!r}): the format {fmt_spec!r} does not apply to the value glued under {name!r}, "
            f"{describe(value)} ({err}); use a format for its type, e.g. ':.2f' for a number, or none."
        ) from None
    return _Text(text)
