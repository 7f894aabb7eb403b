"""Bad input to ``helpers.selfcheck`` and ``helpers.widgets`` (see ``tests/badinput.py``).

A self-check has two kinds of input. The *answer* is the reader's: a missing
or malformed one is "not yet", an ``AssertionError`` that says what ``answer``
should be (the module's convention, tested at the end). The *label* and the
*context* (data, models, labels) are the notebook's: they follow the book's
standard, a ``TypeError``/``ValueError`` naming the argument.
"""

import types

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from badinput import NAN, bad_cases, check_bad, check_good, good_cases, spec  # noqa: E402
from test_selfcheck import RIGHT  # noqa: E402

from helpers import selfcheck, widgets  # noqa: E402
from helpers.models import ReportCNN, TinyConvNet  # noqa: E402


def _context(label):
    """The valid call of a check: a right answer and its context (the tiny stand-ins of test_selfcheck)."""

    def make():
        right, context = RIGHT[label]()
        return {"label": label, "answer": right, **context}

    return make


TINY = TinyConvNet()
CNN = ReportCNN(1, 28)
NOT_A_MODEL = ["model", None, 3, np.ones(3), torch.nn.Linear(2, 2)]
LABELS = ["abc", None, np.ones((4, 2), dtype=int), np.array([0.5, 1.0]), np.array([0, 10]), np.array([-1, 2])]

CHECK_SPECS = [
    spec(
        selfcheck.check,
        {"label": "svd-ex-rank-one", "answer": 15.0},
        {"label": [3, None, True, 1.5, "no-such-exercise", "svd-ex-rank-on", "", ["svd-ex-rank-one"]]},
        extra=[("context", 1), ("model", TINY)],  # context the check does not take
    ),
    spec(
        selfcheck.check,
        _context("datasets-ex-gray"),
        {"data": ["data", 3, np.ones(3), types.SimpleNamespace(images="abc"), types.SimpleNamespace(images=None)]},
        extra=[("data", types.SimpleNamespace(images=torch.full((2, 1, 2, 2), NAN))), ("labels", [1])],
    ),
    spec(selfcheck.check, _context("datasets-ex-subset"), {"labels": LABELS + [np.arange(20) % 10]}),
    spec(selfcheck.check, {"label": "datasets-ex-normalise", "answer": 0.0, "root": None}, {"root": [3, 1.5, ["/"]]}),
    spec(
        selfcheck.check,
        _context("train-ex-confusion"),
        {"true": LABELS, "pred": LABELS + [np.array([4, 9])]},
    ),
    spec(
        selfcheck.check,
        _context("cs-ex-coherence"),
        {"shape": ["8x8", 8, (), (8, 0), (8, -1), (8, 2.5), (True, 8), [None]]},
        says={"shape": "shape"},
    ),
    spec(
        selfcheck.check,
        _context("cs-ex-jl"),
        {
            "points": [
                "abc",
                np.ones(3),
                np.ones((0, 784)),
                np.ones((1, 784)),
                np.full((3, 784), NAN),
                np.ones((3, 2)) * 1j,
            ]
        },
    ),
    spec(selfcheck.check, _context("convsvd-ex-null"), {"model": NOT_A_MODEL + [TinyConvNet(in_channels=3)]}),
    spec(selfcheck.check, _context("svd-ex-subspace"), {"true": LABELS, "pred": LABELS}),
    spec(selfcheck.check, _context("convsvd-ex-opnorm"), {"model": NOT_A_MODEL + [TinyConvNet(width=2), CNN]}),
    spec(
        selfcheck.check,
        _context("convsvd-ex-bias"),
        {
            "model": NOT_A_MODEL + [TinyConvNet(in_channels=3)],
            "data": [
                "data",
                3,
                types.SimpleNamespace(mean=(0.1,)),
                types.SimpleNamespace(mean=("a",), std=(1.0,)),
                types.SimpleNamespace(mean=(0.1,), std=(0.0,)),
                types.SimpleNamespace(mean=(), std=()),
                types.SimpleNamespace(mean=(NAN,), std=(1.0,)),
            ],
        },
        says={"data": "data"},
    ),
    spec(selfcheck.check, _context("lr-ex-energy"), {"model": NOT_A_MODEL + [TINY]}),
    spec(
        selfcheck.check,
        _context("lr-ex-data"),
        {
            "model": NOT_A_MODEL + [TINY],
            "images": ["abc", np.ones((2, 1, 28, 28)), torch.ones(2, 28, 28), torch.ones(2, 3, 28, 28)],
        },
    ),
    spec(
        selfcheck.check,
        _context("rp-ex-pca-random"),
        {
            "images": ["abc", torch.ones(3), torch.ones(1, 36), torch.full((4, 36), NAN), torch.ones(4, 35)],
            "projection": [
                "random",
                3,
                types.SimpleNamespace(matrix="abc"),
                types.SimpleNamespace(matrix=torch.ones(3)),
            ],
        },
        says={"images": ("images", "pixels")},
    ),
    spec(
        selfcheck.check,
        _context("dd-ex-sigma"),
        {"features": ["abc", np.ones(3), np.ones((0, 3)), np.full((3, 3), NAN)], "labels": LABELS + [np.arange(5)]},
    ),
]


def _draw(fig, value):
    fig.add_subplot().set_title(str(value))


WIDGET_SPECS = [
    spec(
        widgets.frame_values,
        {"values": [1, 2, 3], "frames": 2},
        {"values": ["abc", None, 3, [], np.ones((2, 2)), {"a": 1}], "frames": "pos_int"},
    ),
    spec(widgets.value_range, {"values": [1, 2, 3]}, {"values": ["abc", None, 3, [], {1, 2}]}),
    spec(
        widgets.static_twin,
        {"draw": _draw, "values": [1, 2], "name": "k", "frames": 2, "dpi": 100, "interval_ms": 500},
        {
            "draw": ["draw", None, 3, lambda fig: None, lambda: None, lambda fig, value, extra: None],
            "values": ["abc", None, 3, []],
            "name": [3, None, True, ""],
            "frames": "pos_int",
            "dpi": [True, 72, 10**6, NAN, "100", None],
            "interval_ms": "positive",
            "figsize": ["big", 8, (8,), (8, 0), (8, -1), (8, NAN), (8, "3"), (10**4, 3)],
            "frame_format": [3, None, "jpeg", ["png"]],
        },
    ),
    spec(
        widgets.live_slider,
        {"draw": _draw, "values": [1, 2, 3], "name": "k", "initial": 2},
        {
            "draw": ["draw", None, 3, lambda fig: None],
            "values": ["abc", None, 3, [], [3, 3], [1, 1, 2]],
            "name": [3, None, ""],
            "initial": [7, "2", 2.5],
            "figsize": ["big", (8,), (8, 0)],
        },
        says={"initial": "initial"},
    ),
    spec(
        widgets.SliderWithTwin,
        lambda: {"widget": widgets.live_slider(_draw, [1, 2]), "twin_html": widgets.static_twin(_draw, [1], frames=1)},
        {"widget": [None, "widget", 3], "twin_html": [None, 3, "<p>not a twin</p>"]},
        says={"twin_html": "twin_html"},
    ),
    spec(
        widgets.slider,
        {"draw": _draw, "values": [1, 2], "name": "k", "frames": 1, "live": False},
        {
            "draw": ["draw", None, 3, lambda fig: None],
            "values": ["abc", None, 3, []],
            "name": [3, None, ""],
            "frames": "pos_int",
            "live": "flag",
            "figsize": ["big", (8,), (8, 0)],
            "frame_format": [3, "jpeg"],
        },
    ),
]


@pytest.fixture(autouse=True)
def _no_display(monkeypatch):
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: None)
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.mark.parametrize("s, arg, value", bad_cases(CHECK_SPECS + WIDGET_SPECS))
def test_bad_input_is_refused_by_name(s, arg, value):
    check_bad(s, arg, value)


@pytest.mark.parametrize("s", good_cases(CHECK_SPECS + WIDGET_SPECS))
def test_numpy_scalars_are_accepted(s):
    check_good(s)


# --- the reader's answer: "not yet", with what `answer` should be


NOT_A_NUMBER = ["15", "many", True, np.bool_(False), 1j, np.ones(3), [1, 2], {"a": 1}, object(), torch.ones(2)]


@pytest.mark.parametrize("label", sorted(set(RIGHT) - {"train-ex-confusion", "datasets-ex-normalise"}))
@pytest.mark.parametrize("answer", NOT_A_NUMBER, ids=lambda a: type(a).__name__ + str(getattr(a, "shape", "")))
def test_an_answer_that_is_not_a_number_is_not_yet_right(label, answer):
    _, context = RIGHT[label]()
    with pytest.raises(AssertionError, match=rf"^{label}: `answer` should be a single number, got "):
        selfcheck.check(label, answer, **context)


@pytest.mark.parametrize("answer", [None, "49", 4, (4.5, 9), (True, 9), {"a": 1}, [None, 9], object()])
def test_an_answer_that_is_not_a_pair_of_digits_is_not_yet_right(answer):
    _, context = RIGHT["train-ex-confusion"]()
    with pytest.raises(
        AssertionError, match=r"^train-ex-confusion: (no answer yet|`answer` should be a pair of digits)"
    ):
        selfcheck.check("train-ex-confusion", answer, **context)


def test_a_string_answer_is_not_read_as_its_number():
    # np.asarray("15", dtype=float) is 15.0: the string used to pass as the right answer
    with pytest.raises(AssertionError, match="should be a single number, got str"):
        selfcheck.check("svd-ex-rank-one", "15")
    # and True used to count as 1
    with pytest.raises(AssertionError, match="should be a single number, got bool"):
        selfcheck.check("train-ex-params", True)


def test_numpy_and_torch_numbers_are_right_answers(capsys):
    assert selfcheck.check("svd-ex-rank-one", np.float32(15.0))
    assert selfcheck.check("svd-ex-rank-one", np.int64(15))
    assert selfcheck.check("svd-ex-rank-one", torch.tensor(15.0))
    assert selfcheck.check("svd-ex-rank-one", np.array([15.0]))
    assert selfcheck.check("train-ex-confusion", (np.int64(9), np.int64(4)), **RIGHT["train-ex-confusion"]()[1])


def test_a_fractional_digit_is_not_truncated():
    # int(4.5) == 4: (4.5, 9) used to pass as the pair (4, 9)
    _, context = RIGHT["train-ex-confusion"]()
    with pytest.raises(AssertionError, match="should be a pair of digits"):
        selfcheck.check("train-ex-confusion", (4.5, 9), **context)


def test_an_unknown_label_lists_the_close_ones():
    with pytest.raises(
        ValueError, match=r"no self-check for exercise 'svd-ex-enrgy' \(label\)\. Did you mean 'svd-ex-energy'"
    ):
        selfcheck.check("svd-ex-enrgy", 1)


def test_context_a_check_does_not_take_is_named():
    with pytest.raises(
        TypeError, match=r"check\('svd-ex-rank-one'\) got unexpected context model=; it takes no context"
    ):
        selfcheck.check("svd-ex-rank-one", 15.0, model=TINY)
    with pytest.raises(TypeError, match=r"got unexpected context image=; it takes only images=, projection="):
        selfcheck.check("rp-ex-pca-random", 1.0, image=1)


# --- widgets: a bad draw function or slider range


def test_duplicate_integer_values_do_not_crash_the_slider():
    # range(3, 4, 0) used to raise "range() arg 3 must not be zero" from inside live_slider
    with pytest.raises(ValueError, match="values must be distinct"):
        widgets.live_slider(_draw, [3, 3])


def test_a_draw_function_that_fails_says_for_which_value():
    def broken(fig, value):
        raise ZeroDivisionError("oops")

    with pytest.raises(ZeroDivisionError) as info:
        widgets.static_twin(broken, [1, 2], frames=2)
    assert any("for the value 1" in note for note in getattr(info.value, "__notes__", []))


def test_a_string_is_not_a_list_of_slider_values():
    # list("abc") used to make a slider over the letters
    with pytest.raises(TypeError, match="values must be a sequence of the slider's values"):
        widgets.frame_values("abc", 2)


def test_the_chapters_partial_draw_functions_are_accepted():
    from functools import partial

    def view(fig, k, *, image, s=None):
        _draw(fig, k)

    html = widgets.static_twin(partial(view, image=np.ones(3)), [1, 2], frames=1, dpi=np.int64(100))
    assert 'class="laaic-static-twin"' in html
