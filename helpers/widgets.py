"""A slider with a static twin: live in JupyterLab, still visible in the HTML book.

Introduced in the chapter "SVD from scratch"; every later slider uses it.

A chapter writes the picture for one slider value as a plain function
``draw(fig, value)`` that draws onto an empty Matplotlib figure. That function
is what the tests call. :func:`slider` then shows it twice from the same
function:

* a **static twin**: the figure precomputed for a handful of values, with a
  scrubber (Matplotlib's JavaScript animation player). It needs no kernel, so
  a reader of the online book can move through the values. Its frames are
  lossless WebP (or PNG) at 100 dpi or more, so axis labels stay readable, and its
  controls are plain text, so it needs nothing from the internet;
* the **live slider** (``ipywidgets``), which redraws for any value when a
  kernel is running (JupyterLab, Binder, Colab).

Both go into **one** output, a MIME bundle with the live widget
(``application/vnd.jupyter.widget-view+json``) and the twin (``text/html``).
A front end with a kernel shows the richest type it can render, the live
widget; the book's HTML build is told to prefer ``text/html``
(``nb_mime_priority_overrides`` in ``_config.yml``), so it shows the twin.
So JupyterLab shows only the slider and the HTML book only the twin.
When the book build itself executes a chapter (``$LAAIC_STATIC_OUTPUTS=1``,
set by ``_ext/laaic_html.py``), nobody can move a slider, so :func:`slider`
makes the twin alone: no widget state, and no Output widget for the
executor to track.

:func:`slider` with ``live=False`` gives the twin alone.
"""

from __future__ import annotations

import base64
import html as _html
import inspect
import io
import re
from collections.abc import Callable, Sequence

import numpy as np

from . import validate

__all__ = [
    "frame_values",
    "value_range",
    "static_twin",
    "live_slider",
    "slider",
    "SliderWithTwin",
    "TWIN_MIN_DPI",
    "FRAME_FORMATS",
    "STATIC_ENV",
]

#: The lowest resolution a static twin accepts: below it, axis labels blur.
TWIN_MIN_DPI = 100
#: Set to "1" in the environment of the kernels that the book build starts
#: (``_ext/laaic_html.py``): the static HTML can only show the twin, so
#: :func:`slider` makes no live widget there.
STATIC_ENV = "LAAIC_STATIC_OUTPUTS"
#: Lossless formats only: JPEG smears the text of axis labels.
FRAME_FORMATS = ("webp", "png")

# Matplotlib's player draws its buttons with Font Awesome 4.4 icons loaded from
# a CDN (broken offline). Each icon is replaced by a character every font has.
_ICON_TEXT = {
    "fa fa-minus": "\u2212",  # decrease speed
    "fa fa-fast-backward": "\u21e4",  # first frame
    "fa fa-step-backward": "\u2190",  # previous frame
    "fa fa-play fa-flip-horizontal": "\u25c0",  # play backwards
    "fa fa-pause": "\u2016",  # pause
    "fa fa-play": "\u25b6",  # play
    "fa fa-step-forward": "\u2192",  # next frame
    "fa fa-fast-forward": "\u21e5",  # last frame
    "fa fa-plus": "+",  # increase speed
}
_FA_LINK = re.compile(r'<link\s+rel="stylesheet"\s+href="[^"]*font-awesome[^"]*"\s*/?>\s*', re.S)
_FRAME = re.compile(r'(frames\[\d+\] = ")data:image/png;base64,(.*?)(")', re.S)


#: The largest figure side (inches) and resolution a slider accepts: beyond them a frame is a memory hazard.
_MAX_INCHES = 50
_MAX_DPI = 1000


def _values(values) -> list:
    """The slider's values as a list: a sequence (list, tuple, range, 1-D array), not a string or a number."""
    if isinstance(values, (str, bytes, dict, set, frozenset)) or values is None or not hasattr(values, "__iter__"):
        raise TypeError(
            f"values must be a sequence of the slider's values, e.g. range(1, 11) or [0.1, 0.2], "
            f"got {validate.describe(values)}."
        )
    if getattr(values, "ndim", 1) != 1:
        raise ValueError(f"values must be one-dimensional (one value per slider position), got shape {values.shape}.")
    values = list(values)
    if not values:
        raise ValueError("values is empty: the slider needs at least one value.")
    return values


def _check_draw(draw) -> Callable:
    """``draw`` if it is a function that can be called as ``draw(fig, value)``."""
    if not callable(draw):
        raise TypeError(f"draw must be a function draw(fig, value) that draws onto fig, got {validate.describe(draw)}.")
    try:
        signature = inspect.signature(draw)
    except (TypeError, ValueError):  # a builtin without a signature: it will say so itself
        return draw
    try:
        signature.bind(None, None)
    except TypeError:
        name = getattr(draw, "__name__", type(draw).__name__)
        raise TypeError(
            f"draw must take two arguments, draw(fig, value); {name} has the signature {signature}."
        ) from None
    return draw


def _check_name(name) -> str:
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string (the slider's label), got {validate.describe(name)}.")
    return name


def _check_figsize(figsize) -> tuple[float, float]:
    if isinstance(figsize, (str, bytes)) or not isinstance(figsize, (tuple, list)) or len(figsize) != 2:
        raise TypeError(f"figsize must be a pair (width, height) in inches, got {validate.describe(figsize)}.")
    return tuple(
        validate.real(v, "figsize (width, height in inches)", low=0.0, high=_MAX_INCHES, low_open=True) for v in figsize
    )


def _draw(draw, fig, value) -> None:
    try:
        draw(fig, value)
    except Exception as err:
        err.add_note(f"(raised by the slider's draw function for the value {value!r})")
        raise


def frame_values(values: Sequence, frames: int) -> list:
    """At most ``frames`` values spread evenly over ``values`` (ends included)."""
    values = _values(values)
    frames = validate.positive_int(frames, "frames")
    if len(values) <= frames:
        return values
    idx = np.unique(np.round(np.linspace(0, len(values) - 1, frames)).astype(int))
    return [values[i] for i in idx]


def value_range(values: Sequence) -> str:
    """The range of a slider's values as a caption writes it: ``"1…16"``, or ``"0.1"`` for one value."""
    values = _values(values)
    first, last = str(values[0]), str(values[-1])
    return first if len(values) == 1 else f"{first}\u2026{last}"


def _text_controls(player: str) -> str:
    """Matplotlib's player without Font Awesome: text buttons and no CDN stylesheet."""
    player, n_links = _FA_LINK.subn("", player)
    for icon, text in _ICON_TEXT.items():
        player = player.replace(f'<i class="{icon}"></i>', f'<span aria-hidden="true">{text}</span>')
    if n_links != 1 or "font-awesome" in player or 'class="fa ' in player:
        # a Matplotlib release changed its template: fail here, not silently in a reader's browser
        raise RuntimeError(
            "could not replace the Font Awesome icons of Matplotlib's animation player; "
            "update helpers.widgets._ICON_TEXT for this Matplotlib version."
        )
    return player


def _png_to_webp(player: str) -> str:
    from PIL import Image

    def convert(match):
        png = base64.b64decode(match.group(2).replace("\\\n", ""))
        out = io.BytesIO()
        Image.open(io.BytesIO(png)).save(out, format="WEBP", lossless=True, method=6)
        return f"{match.group(1)}data:image/webp;base64,{base64.b64encode(out.getvalue()).decode()}{match.group(3)}"

    return _FRAME.sub(convert, player)


def static_twin(
    draw: Callable,
    values: Sequence,
    *,
    name: str = "value",
    frames: int = 8,
    figsize=(8, 3.5),
    interval_ms: int = 800,
    dpi: int = TWIN_MIN_DPI,
    frame_format: str = "webp",
) -> str:
    """HTML of a scrubber over ``draw(fig, v)`` for up to ``frames`` values of ``values``.

    Uses :meth:`matplotlib.animation.Animation.to_jshtml`; the frames are
    embedded in the page, so the result works in a static web page with no
    network. The caption names the slider and its range ("rank k = 1…16")
    and lists the precomputed values.

    Parameters
    ----------
    draw, values, name, frames, figsize
        As for :func:`slider`.
    interval_ms : int
        Time between frames when playing.
    dpi : int
        Resolution of the frames, at least :data:`TWIN_MIN_DPI` (100).
    frame_format : {"webp", "png"}
        Lossless WebP (the default: the same pixels as PNG in about half the
        bytes, which keeps a chapter with several sliders over photographs
        within the book's page budget) or PNG.
    """
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    if not isinstance(frame_format, str) or frame_format not in FRAME_FORMATS:
        raise ValueError(
            f"frame_format must be one of {FRAME_FORMATS}, not {validate.describe(frame_format)} "
            "(JPEG blurs the text of axis labels)."
        )
    dpi = validate.real(dpi, "dpi", high=_MAX_DPI)
    if dpi < TWIN_MIN_DPI:
        raise ValueError(f"dpi must be a number >= {TWIN_MIN_DPI} so that axis labels stay readable, got {dpi:g}.")
    name = _check_name(name)
    draw = _check_draw(draw)
    figsize = _check_figsize(figsize)
    interval_ms = validate.real(interval_ms, "interval_ms (milliseconds between frames)", low=0.0, low_open=True)
    shown = frame_values(values, frames)
    fig = plt.figure(figsize=figsize, dpi=dpi)

    def update(i):
        fig.clear()
        _draw(draw, fig, shown[i])
        return []

    try:
        anim = FuncAnimation(
            fig, update, frames=len(shown), init_func=lambda: [], blit=False, interval=interval_ms, repeat=False
        )
        with matplotlib.rc_context({"animation.frame_format": "png", "savefig.dpi": dpi}):
            player = anim.to_jshtml(default_mode="once")
    finally:
        plt.close(fig)
    player = _text_controls(player)
    if frame_format == "webp":
        player = _png_to_webp(player)
    caption = f"{name} = {value_range(values)}"
    labels = ", ".join(str(v) for v in shown)
    # the player's <img> has no alt text: give it the caption
    alt = f' alt="{_html.escape(caption)}"'
    player = re.sub(r'(<img id="_anim_img[^"]*")', lambda m: m.group(1) + alt, player, count=1)
    return (
        f'<div class="laaic-static-twin" data-dpi="{dpi:g}" data-frame-format="{frame_format}">'
        f'<p class="laaic-static-twin-caption" style="margin:0;font-size:90%">'
        f"<strong>{_html.escape(caption)}</strong>: frames precomputed for {_html.escape(labels)}; "
        "step through them with the controls.</p>"
        f"{player}</div>"
    )


def live_slider(draw: Callable, values: Sequence, *, name: str = "value", initial=None, figsize=(8, 3.5)):
    """An ``ipywidgets`` slider that calls ``draw(fig, value)`` on a new figure for each value.

    Integer ranges get an ``IntSlider``; anything else a ``SelectionSlider``,
    whose current value is shown in a label beside it (the slider's own
    readout cuts long labels such as "layer 2 · component 16").
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    draw = _check_draw(draw)
    values = _values(values)
    name = _check_name(name)
    figsize = _check_figsize(figsize)
    if len({repr(v) for v in values}) != len(values):
        raise ValueError(
            f"values must be distinct: each is one position of the slider, got {validate.describe(values)}."
        )
    initial = values[len(values) // 2] if initial is None else initial
    try:
        known = any(initial is v or bool(initial == v) for v in values)
    except (TypeError, ValueError):  # an array compared with a value
        known = False
    if not known:
        raise ValueError(f"initial value {initial!r} is not one of the slider's values.")
    style = {"description_width": "initial"}  # the name in full, not cut at 80 px
    integers = all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in values)
    step = values[1] - values[0] if integers and len(values) > 1 else 1
    if integers and step > 0 and values == list(range(values[0], values[-1] + 1, step)):
        control = widgets.IntSlider(
            value=initial,
            min=values[0],
            max=values[-1],
            step=step,
            description=name,
            continuous_update=False,
            style=style,
        )
        readout = None
    else:
        control = widgets.SelectionSlider(
            options=values,
            value=initial,
            description=name,
            continuous_update=False,
            readout=False,
            style=style,
            layout=widgets.Layout(width="min(60%, 420px)"),
        )
        readout = widgets.Label(value=str(initial), layout=widgets.Layout(margin="0 0 0 10px"))
        widgets.dlink((control, "value"), (readout, "value"), transform=str)

    def show(value):
        fig = plt.figure(figsize=figsize)
        _draw(draw, fig, value)
        plt.show()

    w = widgets.interactive(show, value=control)
    if readout is not None:
        w.children = (widgets.HBox([control, readout]),) + tuple(w.children[1:])
    return w


class SliderWithTwin:
    """One output holding the live slider and its static twin; each front end shows the one it prefers.

    ``_repr_mimebundle_`` returns the widget's own bundle (its view and a
    text fallback) plus the twin as ``text/html``. JupyterLab, Notebook,
    VS Code and Colab render the widget view, which ranks above HTML; the
    book's HTML build ranks ``text/html`` first (``_config.yml``), so the
    reader of the static page gets the twin.
    """

    def __init__(self, widget, twin_html: str):
        if not isinstance(twin_html, str) or 'class="laaic-static-twin"' not in twin_html:
            raise TypeError("twin_html must be the HTML returned by helpers.widgets.static_twin.")
        if not (hasattr(widget, "_repr_mimebundle_") or hasattr(widget, "model_id")):
            raise TypeError(
                f"widget must be the ipywidgets widget returned by helpers.widgets.live_slider, "
                f"got {validate.describe(widget)}."
            )
        self.widget = widget
        self.twin_html = twin_html

    def _repr_mimebundle_(self, include=None, exclude=None):
        own = getattr(self.widget, "_repr_mimebundle_", None)
        if own is None:
            # ipywidgets 7 (Colab's) displays widgets through _ipython_display_
            # and has no bundle of its own: build the view reference it sends
            bundle = {
                "application/vnd.jupyter.widget-view+json": {
                    "version_major": 2,
                    "version_minor": 0,
                    "model_id": self.widget.model_id,
                },
                "text/plain": repr(self.widget),
            }
        else:
            bundle = own(include=include, exclude=exclude) or {}
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        data = dict(data)
        data["text/html"] = self.twin_html
        return (data, metadata) if metadata else data


def slider(
    draw: Callable,
    values: Sequence,
    *,
    name: str = "value",
    initial=None,
    frames: int = 8,
    figsize=(8, 3.5),
    live: bool = True,
    frame_format: str = "webp",
) -> None:
    """Display the live slider and its static twin, from one ``draw`` function, as one output.

    Parameters
    ----------
    draw : callable
        ``draw(fig, value)`` draws the picture for one value onto the empty
        figure ``fig``. Keep it a module-level helper so tests can call it.
    values : sequence
        The values the live slider offers (e.g. ``range(1, 101)``).
    name : str
        The slider's label; the twin's caption names it with its range.
    initial : optional
        Starting value of the live slider (default: the middle value).
    frames : int
        How many values the static twin precomputes.
    live : bool
        ``False`` shows the twin alone (as HTML everywhere).
    frame_format : {"webp", "png"}
        Format of the twin's lossless frames (see :func:`static_twin`).
    """
    import os

    from IPython.display import HTML, display

    live = validate.boolean(live, "live")
    # every argument checked before anything is drawn
    _check_draw(draw)
    _values(values)
    _check_name(name)
    _check_figsize(figsize)
    validate.positive_int(frames, "frames")
    if not isinstance(frame_format, str) or frame_format not in FRAME_FORMATS:
        raise ValueError(f"frame_format must be one of {FRAME_FORMATS}, not {validate.describe(frame_format)}.")
    if os.environ.get(STATIC_ENV) == "1":
        # The book build runs this cell (see the module docstring): make only the twin.
        live = False
    # The live slider is made (and first drawn) before the twin, so that its
    # Output widget has finished long before the cell does: nbclient (papermill,
    # the book build) could miss the cell's reply when the two coincide, and
    # wait for its timeout.
    widget = live_slider(draw, values, name=name, initial=initial, figsize=figsize) if live else None
    twin = static_twin(draw, values, name=name, frames=frames, figsize=figsize, frame_format=frame_format)
    display(HTML(twin) if widget is None else SliderWithTwin(widget, twin))
