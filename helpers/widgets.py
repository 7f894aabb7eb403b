"""A slider with a static twin: live in JupyterLab, still visible in the HTML book.

Introduced in the chapter "SVD from scratch"; every later slider uses it.

A chapter writes the picture for one slider value as a plain function
``draw(fig, value)`` that draws onto an empty Matplotlib figure. That function
is what the tests call. :func:`slider` then shows it twice from the same
function:

* a **static twin**: the figure precomputed for a handful of values, with a
  scrubber (Matplotlib's JavaScript animation player). It needs no kernel, so
  a reader of the online book can move through the values;
* the **live slider** (``ipywidgets``), which redraws for any value when a
  kernel is running (JupyterLab, Binder, Colab).

Only the live slider needs a kernel; :func:`slider` with ``live=False`` gives
the twin alone.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

__all__ = ["frame_values", "static_twin", "live_slider", "slider"]


def frame_values(values: Sequence, frames: int) -> list:
    """At most ``frames`` values spread evenly over ``values`` (ends included)."""
    values = list(values)
    if not values:
        raise ValueError("the slider needs at least one value.")
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
        raise ValueError(f"frames must be a positive integer, got {frames!r}.")
    if len(values) <= frames:
        return values
    idx = np.unique(np.round(np.linspace(0, len(values) - 1, frames)).astype(int))
    return [values[i] for i in idx]


def static_twin(draw: Callable, values: Sequence, *, frames: int = 8, figsize=(8, 3.5),
                interval_ms: int = 800, dpi: int = 72, frame_format: str = "jpeg") -> str:
    """HTML of a scrubber over ``draw(fig, v)`` for up to ``frames`` values of ``values``.

    Uses :meth:`matplotlib.animation.Animation.to_jshtml`; the frames are
    embedded in the page (JPEG by default, to keep a chapter's HTML small), so
    the result works in a static web page.
    """
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    if frame_format not in ("jpeg", "png"):
        raise ValueError(f"frame_format must be 'jpeg' or 'png', not {frame_format!r}.")
    shown = frame_values(values, frames)
    fig = plt.figure(figsize=figsize, dpi=dpi)

    def update(i):
        fig.clear()
        draw(fig, shown[i])
        return []

    try:
        anim = FuncAnimation(fig, update, frames=len(shown), init_func=lambda: [], blit=False,
                             interval=interval_ms, repeat=False)
        with matplotlib.rc_context({"animation.frame_format": frame_format, "savefig.dpi": dpi}):
            html = anim.to_jshtml(default_mode="once")
    finally:
        plt.close(fig)
    labels = ", ".join(str(v) for v in shown)
    return (f'<div class="laaic-static-twin"><p style="margin:0;font-size:90%">'
            f"Precomputed frames for {labels}: use the controls to step through them.</p>{html}</div>")


def live_slider(draw: Callable, values: Sequence, *, name: str = "value", initial=None,
                figsize=(8, 3.5)):
    """An ``ipywidgets`` slider that calls ``draw(fig, value)`` on a new figure for each value."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    values = list(values)
    if not values:
        raise ValueError("the slider needs at least one value.")
    initial = values[len(values) // 2] if initial is None else initial
    if initial not in values:
        raise ValueError(f"initial value {initial!r} is not one of the slider's values.")
    if all(isinstance(v, (int, np.integer)) for v in values) and values == list(
            range(values[0], values[-1] + 1, (values[1] - values[0]) if len(values) > 1 else 1)):
        step = values[1] - values[0] if len(values) > 1 else 1
        control = widgets.IntSlider(value=initial, min=values[0], max=values[-1], step=step,
                                    description=name, continuous_update=False)
    else:
        control = widgets.SelectionSlider(options=values, value=initial, description=name,
                                          continuous_update=False)

    def show(value):
        fig = plt.figure(figsize=figsize)
        draw(fig, value)
        plt.show()

    return widgets.interactive(show, value=control)


def slider(draw: Callable, values: Sequence, *, name: str = "value", initial=None, frames: int = 8,
           figsize=(8, 3.5), live: bool = True) -> None:
    """Display the static twin and, when ``live``, the live slider, from one ``draw`` function.

    Parameters
    ----------
    draw : callable
        ``draw(fig, value)`` draws the picture for one value onto the empty
        figure ``fig``. Keep it a module-level helper so tests can call it.
    values : sequence
        The values the live slider offers (e.g. ``range(1, 101)``).
    name : str
        The slider's label.
    initial : optional
        Starting value of the live slider (default: the middle value).
    frames : int
        How many values the static twin precomputes.
    """
    from IPython.display import HTML, display

    if live:
        display(live_slider(draw, values, name=name, initial=initial, figsize=figsize))
    # The twin comes last: a cell whose final output is an ipywidgets Output
    # widget can stall nbclient (and so the book build) until its timeout.
    display(HTML(static_twin(draw, values, frames=frames, figsize=figsize)))
