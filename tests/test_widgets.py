import base64
import io
import re

import matplotlib

matplotlib.use("Agg")
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from helpers import widgets  # noqa: E402

calls = []


def draw(fig, value):
    calls.append(value)
    ax = fig.subplots()
    ax.plot([0, 1], [0, value])
    ax.set_title(f"value {value}")


def frames_of(html):
    """(format, decoded image) of every frame embedded in a twin's HTML."""
    found = re.findall(r'frames\[\d+\] = "data:image/(\w+);base64,(.*?)"', html, re.S)
    return [(fmt, Image.open(io.BytesIO(base64.b64decode(data.replace("\\\n", ""))))) for fmt, data in found]


def test_frame_values_spread_over_the_range():
    assert widgets.frame_values(range(1, 101), 5) == [1, 26, 51, 75, 100]
    assert widgets.frame_values([1, 2, 3], 8) == [1, 2, 3]
    with pytest.raises(ValueError, match="at least one value"):
        widgets.frame_values([], 3)
    with pytest.raises(ValueError, match="frames must be a positive integer"):
        widgets.frame_values([1, 2], 0)


def test_value_range_names_both_ends():
    assert widgets.value_range(range(1, 17)) == "1…16"
    assert (
        widgets.value_range(["layer 1 · component 1", "x", "layer 2 · component 16"])
        == "layer 1 · component 1…layer 2 · component 16"
    )
    assert widgets.value_range([0.5]) == "0.5"
    with pytest.raises(ValueError, match="at least one value"):
        widgets.value_range([])


def test_static_twin_embeds_one_readable_lossless_frame_per_value():
    calls.clear()
    html = widgets.static_twin(draw, range(1, 11), name="rank k", frames=4, figsize=(6, 3))
    assert set(calls) == {1, 4, 7, 10}
    frames = frames_of(html)
    assert [fmt for fmt, _ in frames] == ["webp"] * 4
    # 100 dpi: a 6 x 3 inch figure is 600 x 300 pixels, not 72-dpi's 432 x 216
    assert all(img.size == (600, 300) for _, img in frames)
    assert "jpeg" not in html
    assert 'data-dpi="100"' in html and 'data-frame-format="webp"' in html
    png = frames_of(widgets.static_twin(draw, [1, 2], frames=2, frame_format="png", figsize=(6, 3)))
    assert [(fmt, img.size) for fmt, img in png] == [("png", (600, 300))] * 2


def test_static_twin_caption_names_the_parameter_and_its_range():
    html = widgets.static_twin(draw, range(1, 17), name="rank k", frames=3)
    assert "<strong>rank k = 1…16</strong>" in html
    assert "frames precomputed for 1, 9, 16" in html
    assert 'alt="rank k = 1…16"' in html
    # TeX in a name is text, not a regular-expression template
    html = widgets.static_twin(draw, range(1, 4), name=r"$\sigma$ <k>", frames=2)
    assert 'alt="$\\sigma$ &lt;k&gt; = 1…3"' in html


def test_static_twin_needs_nothing_from_the_internet():
    html = widgets.static_twin(draw, [1, 2, 3], frames=3)
    assert "font-awesome" not in html and 'class="fa' not in html
    assert not re.search(r'(src|href)="(https?:)?//', html), "the player must not load anything from another host"
    # every control of Matplotlib's player is still there, labelled with text
    for title in ("First frame", "Previous frame", "Play", "Pause", "Next frame", "Last frame"):
        assert f'title="{title}"' in html
    assert html.count('<span aria-hidden="true">') == 9


def test_static_twin_webp_frames_are_lossless_copies_of_the_png_frames():
    png = frames_of(widgets.static_twin(draw, [1, 2], frames=2, frame_format="png"))
    webp = frames_of(widgets.static_twin(draw, [1, 2], frames=2, frame_format="webp"))
    assert [fmt for fmt, _ in webp] == ["webp", "webp"]
    for (_, a), (_, b) in zip(png, webp):
        assert a.size == b.size
        assert a.convert("RGB").tobytes() == b.convert("RGB").tobytes()


def test_static_twin_refuses_blurry_or_lossy_frames():
    with pytest.raises(ValueError, match="frame_format"):
        widgets.static_twin(draw, [1], frame_format="jpeg")
    with pytest.raises(ValueError, match="dpi must be a number >= 100"):
        widgets.static_twin(draw, [1], dpi=72)
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        widgets.static_twin(draw, [1], name="")


def test_text_controls_fail_loudly_if_matplotlib_changes_its_player():
    with pytest.raises(RuntimeError, match="Font Awesome"):
        widgets._text_controls('<div><i class="fa fa-rocket"></i></div>')


def test_live_slider_calls_the_same_function():
    import ipywidgets

    calls.clear()
    w = widgets.live_slider(draw, list(range(1, 21)), name="k", initial=5)
    assert isinstance(w.children[0], ipywidgets.IntSlider)
    assert w.children[0].style.description_width == "initial"
    assert calls == [5]
    w.children[0].value = 12
    assert calls[-1] == 12
    with pytest.raises(ValueError, match="initial value 7 is not one of"):
        widgets.live_slider(draw, [1, 2, 3], initial=7)


def test_selection_slider_shows_long_values_in_full():
    import ipywidgets

    options = ["layer 1 · component 1", "layer 2 · component 16"]
    calls.clear()
    w = widgets.live_slider(draw, options, name="component")
    row = w.children[0]
    assert isinstance(row, ipywidgets.HBox)
    control, readout = row.children
    assert isinstance(control, ipywidgets.SelectionSlider) and control.readout is False
    assert readout.value == options[1]
    control.value = options[0]
    assert readout.value == options[0] and calls[-1] == options[0]


def test_slider_output_holds_the_widget_and_the_twin_in_one_bundle():
    w = widgets.live_slider(draw, [1, 2, 3], name="k")
    twin = widgets.static_twin(draw, [1, 2, 3], name="k", frames=2)
    bundle = widgets.SliderWithTwin(w, twin)._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    # JupyterLab renders the widget view (it ranks above HTML); the book build ranks text/html first
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == w.model_id
    assert data["text/html"] == twin
    with pytest.raises(TypeError, match="static_twin"):
        widgets.SliderWithTwin(w, "<p>not a twin</p>")


def test_slider_bundle_with_ipywidgets_7():
    # ipywidgets 7 (Colab) widgets have no _repr_mimebundle_: the view is built from the model id
    class Widget7:
        model_id = "abc123"

        def __repr__(self):
            return "interactive(...)"

    twin = widgets.static_twin(draw, [1, 2, 3], name="k", frames=2)
    data = widgets.SliderWithTwin(Widget7(), twin)._repr_mimebundle_()
    assert data["application/vnd.jupyter.widget-view+json"] == {
        "version_major": 2,
        "version_minor": 0,
        "model_id": "abc123",
    }
    assert data["text/plain"] == "interactive(...)" and data["text/html"] == twin


def test_slider_displays_one_output(monkeypatch):
    import IPython.display

    monkeypatch.delenv(widgets.STATIC_ENV, raising=False)
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs: shown.extend(objs))
    calls.clear()
    widgets.slider(draw, [1, 2, 3], name="k", initial=2, frames=2)
    assert len(shown) == 1 and isinstance(shown[0], widgets.SliderWithTwin)
    # the live slider draws first, the twin's frames after it (see slider's comment on nbclient)
    assert calls == [2, 1, 3]
    shown.clear()
    widgets.slider(draw, [1, 2, 3], name="k", frames=2, live=False)
    assert len(shown) == 1 and 'class="laaic-static-twin"' in shown[0].data


def test_the_book_build_gets_the_twin_alone(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs: shown.extend(objs))
    monkeypatch.setenv(widgets.STATIC_ENV, "1")
    calls.clear()
    widgets.slider(draw, [1, 2, 3], name="k", initial=2, frames=2)
    assert len(shown) == 1 and isinstance(shown[0], IPython.display.HTML)
    assert 'class="laaic-static-twin"' in shown[0].data
    assert calls == [1, 3], "no live widget may be drawn in the book build"


def test_the_book_build_sets_the_static_switch_for_its_kernels(monkeypatch):
    import importlib.util
    import os
    from pathlib import Path
    from types import SimpleNamespace

    monkeypatch.setenv(widgets.STATIC_ENV, "0")  # restored (removed) after the test
    spec = importlib.util.spec_from_file_location(
        "laaic_html", Path(__file__).resolve().parents[1] / "_ext/laaic_html.py"
    )
    ext = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ext)
    ext.setup(SimpleNamespace(add_js_file=lambda *a, **k: None, connect=lambda *a, **k: None))
    assert os.environ[widgets.STATIC_ENV] == "1"


def test_book_html_build_prefers_the_twin():
    """_config.yml ranks text/html above the widget view for the HTML builder."""
    from pathlib import Path

    import yaml

    cfg = yaml.safe_load((Path(__file__).resolve().parents[1] / "_config.yml").read_text())["sphinx"]["config"]
    overrides = {(b, m): p for b, m, p in cfg["nb_mime_priority_overrides"]}
    assert overrides[("html", "application/vnd.jupyter.widget-view+json")] is None
    assert cfg["nb_ipywidgets_js"] == {}
