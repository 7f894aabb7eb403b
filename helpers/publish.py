"""Publishing computed numbers to the prose: ``myst_nb.glue`` with a fallback.

Every chapter quotes its numbers through ``glue(name, value, display=False)``
and the roles ``{glue:text}`name``` in its markdown (``DESIGN.md``, anatomy
of a chapter, point 4). In the book build and in the repository's
environment this *is* ``myst_nb.glue``, so the HTML is unchanged. Where
``myst_nb`` is not installed (a chapter opened on Colab from its launch
button) the prose shows the raw role instead of the number, so the fallback
shows the value in the cell's output: ``name = value`` for a glued number or
string, the object itself for anything else (a figure, a table).
Introduced with the launch buttons; used by every chapter.
"""

from __future__ import annotations

__all__ = ["glue"]

_MYST_GLUE = None


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
    """Glue ``variable`` under ``name`` for the prose's ``{glue:...}`` roles.

    Parameters
    ----------
    name : str
        The key the markdown refers to, e.g. ``{glue:text}`name:.2f```.
    variable : object
        The value; convert NumPy and torch scalars to Python numbers first.
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
        If ``name`` is not a string.
    """
    if not isinstance(name, str):
        raise TypeError(f"glue: the name must be a string, got {type(name).__name__}; "
                        "write glue(\"name\", value)")
    myst_glue = _myst_glue()
    if myst_glue:
        myst_glue(name, variable, display=display)
    else:
        _fallback_glue(name, variable, display=display)
