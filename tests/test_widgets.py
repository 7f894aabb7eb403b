import matplotlib

matplotlib.use("Agg")
import pytest  # noqa: E402

from helpers import widgets  # noqa: E402

calls = []


def draw(fig, value):
    calls.append(value)
    ax = fig.subplots()
    ax.plot([0, 1], [0, value])
    ax.set_title(f"value {value}")


def test_frame_values_spread_over_the_range():
    assert widgets.frame_values(range(1, 101), 5) == [1, 26, 51, 75, 100]
    assert widgets.frame_values([1, 2, 3], 8) == [1, 2, 3]
    with pytest.raises(ValueError, match="at least one value"):
        widgets.frame_values([], 3)
    with pytest.raises(ValueError, match="frames must be a positive integer"):
        widgets.frame_values([1, 2], 0)


def test_static_twin_embeds_one_frame_per_value():
    calls.clear()
    html = widgets.static_twin(draw, range(1, 11), frames=4)
    assert set(calls) == {1, 4, 7, 10}
    assert html.count("data:image/jpeg;base64") == 4
    assert "Precomputed frames for 1, 4, 7, 10" in html
    html_png = widgets.static_twin(draw, [1, 2], frames=2, frame_format="png")
    assert html_png.count("data:image/png;base64") == 2
    with pytest.raises(ValueError, match="frame_format"):
        widgets.static_twin(draw, [1], frame_format="gif")


def test_live_slider_calls_the_same_function():
    import ipywidgets

    calls.clear()
    w = widgets.live_slider(draw, list(range(1, 21)), name="k", initial=5)
    assert isinstance(w.children[0], ipywidgets.IntSlider)
    assert calls == [5]
    w.children[0].value = 12
    assert calls[-1] == 12
    sel = widgets.live_slider(draw, [0.01, 0.1, 0.3], initial=0.1)
    assert isinstance(sel.children[0], ipywidgets.SelectionSlider)
    with pytest.raises(ValueError, match="initial value 7 is not one of"):
        widgets.live_slider(draw, [1, 2, 3], initial=7)
