"""Bad input to every public function of ``helpers.plotting`` (see ``tests/badinput.py``).

Each figure function gets one valid call with tiny inputs (a factory, so that
every call draws on a fresh figure) and, for each argument, the bad values of
its kind: a wrong-shaped image, a sweep dict missing a key, mismatched lengths,
NaN, a boolean where a number is meant, a string where an array is meant.
"""

import matplotlib

matplotlib.use("Agg")

from types import SimpleNamespace  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from badinput import NAN, bad_cases, check_bad, check_good, good_cases, spec  # noqa: E402

from helpers import plotting  # noqa: E402
from helpers.conv_svd import layer_svd  # noqa: E402
from helpers.data import DATASETS, ImageData, to_grayscale  # noqa: E402
from helpers.double_descent import sweep_widths  # noqa: E402
from helpers.models import ReportCNN, TinyConvNet  # noqa: E402
from helpers.projections import random_projection  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------------------ tiny valid inputs

RNG = np.random.default_rng(0)
IMG = RNG.random((8, 8))
RGB = RNG.random((8, 8, 3))
S_IMG = np.linalg.svd(IMG, compute_uv=False)


def _data(name="mnist", n=20, channels=1, split="train"):
    images = torch.rand(n, channels, 6, 6, generator=torch.Generator().manual_seed(0))
    labels = torch.arange(n) % 10
    return ImageData(images, labels, DATASETS[name]["classes"], name, split, "made up for a test", True)


MNIST = _data()
COLOUR = _data("cifar10", channels=3)
GRAY = _data("cifar10")
GRAY.images = to_grayscale(COLOUR.images)
# the same shape, but labels out of range for its classes / integer pixels: no ImageData check refuses them
BAD_LABELS = _data()
BAD_LABELS.labels = BAD_LABELS.labels + 10
UINT8 = _data()
UINT8.images = (UINT8.images * 255).to(torch.uint8)
NOT_PIXELS = _data()  # standardised values, but mean (0,) and std (1,) say they are pixels
NOT_PIXELS.images = NOT_PIXELS.images * 10 - 5
NOT_PIXELS_COLOUR = _data("cifar10", channels=3)
NOT_PIXELS_COLOUR.images = NOT_PIXELS_COLOUR.images * 10 - 5

torch.manual_seed(0)
TINY = TinyConvNet().eval()
SVD1, SVD2 = layer_svd(TINY.conv1), layer_svd(TINY.conv2)
DIGIT = torch.rand(1, 1, 28, 28, dtype=torch.float64)

WIDTHS, SEEDS, RIDGES, NOISES = [5, 20, 40], (0, 1), (0.0, 1.0), (0.0, 0.2)
_x, _y = RNG.standard_normal((20, 6)), RNG.integers(0, 3, 20)
_xt, _yt = RNG.standard_normal((15, 6)), RNG.integers(0, 3, 15)
DD = sweep_widths(_x, _y, _xt, _yt, WIDTHS, seeds=SEEDS, ridges=RIDGES, noises=NOISES, num_classes=3)
RATIO = np.array(WIDTHS) / 20
TUNED = {"test_mse": DD["test_mse"][:, :, 1, 0]}

CS_IMAGES = {"a": RNG.random((8, 8)), "b": RNG.random((8, 8))}
CS_RESULTS = {(n, m): {"x_hat": CS_IMAGES[n] * 0.9, "mse": 1.0 / m, "mae": 0.5 / m} for n in "ab" for m in (10, 20)}
CS_BASE = {(n, m): {"x_hat": CS_IMAGES[n] * 0.5, "mse": 2.0 / m, "mae": 1.0 / m} for n in "ab" for m in (10, 20)}

PROJ = random_projection(8, 64, seed=0)
RATIOS = {"a": RNG.normal(1, 0.1, 45)}

REPORT = {"a": {"cnn": (0.8, 0.01), "mlp": (0.7, 0.02)}}
RUN = SimpleNamespace(train_n=1000, cv=SimpleNamespace(mean=0.35, std=0.02))


def _measure(acc, t256, macs=0.5):
    return {"acc": acc, "t256": t256, "t1": 1.0, "macs": macs, "t256_low": t256 - 0.1, "t256_high": t256 + 0.1}


LAYER_SWEEP = {
    ("conv2", 4): {"acc": 0.8, "layer_macs": 0.1, "net_macs": 0.5, "speedup": 1.5},
    ("conv2", 8): {"acc": 0.85, "layer_macs": 0.2, "net_macs": 0.6, "speedup": 1.3},
}
WHOLE = {0.25: _measure(0.85, 1.8, 0.3), 0.5: _measure(0.89, 1.3, 0.6)}
K1S, K2S = [1, 8], [1, 16]
ACC_GRID = {(a, b): (a + b) / 30 for a in K1S for b in K2S}
HISTORY = SimpleNamespace(train_loss=[1.0, 0.5], test_loss=[0.9, 0.6], train_acc=[0.8, 0.9], test_acc=[0.8, 0.85])
TIMINGS = {f"{lib} {kind}": np.ones((2, 3)) * 1e-3 for lib in ("torch", "scipy") for kind in ("direct", "FFT")}
TAYLOR = {"h": np.geomspace(1, 1e-3, 4), "e0": np.geomspace(1, 1e-3, 4), "e1": np.geomspace(1, 1e-6, 4)}
WIDTH_ROWS = [
    {"width": 1, "parameters": 100, "train_err": 0.5, "test_err": 0.6},
    {"width": 2, "parameters": 400, "train_err": 0.0, "test_err": 0.4},
]

# ------------------------------------------------------------------ kinds of bad values of this module

FIG = ["fig", None, 3, np.ones(3)]
AX = ["ax", 3, np.ones(3)]
DICT = ["d", None, 3, [1, 2], {}]
FIGSIZE = [(0, 3), (3,), "big", (NAN, 3), (True, 3), None, (-1.0, 2.0), ("4", 3)]
TEXT = [3, None, ["a"], True]
OPT_TEXT = [3, ["a"], 2.5]
INTS = ["12", 3, None, [], [2.5], [True], [0], np.ones((2, 2), dtype=int), ["a"]]
REALS = ["0.1", 3, None, [], [NAN], [True], ["a"], [-1.0]]
LABELS = ["abc", None, 3, [1, 2], []]
SQUARE = ["abc", None, np.ones(3), np.ones((0, 4)), np.full((4, 4), NAN), np.ones((4, 4)) * 1j]
UNIT_IMAGE = [*SQUARE, np.ones((4, 4)) * 255, np.ones((4, 4, 2)), np.ones(4)]
CURVE = ["abc", None, np.ones((2, 2)), np.ones(0), np.array([1.0, NAN]), np.array([1j, 2.0])]
IMAGE_DATA = ["data", None, np.ones((2, 1, 4, 4)), torch.ones(2, 1, 4, 4), BAD_LABELS, UINT8]
CONV = ["conv", None, torch.nn.Linear(2, 2), 3]
TENSOR4 = ["abc", None, np.ones((1, 1, 28, 28)), torch.ones(3), torch.ones(1, 1, 28, 28, dtype=torch.int64)]


def fig():
    return plt.figure()


def _wrong_len(values, n):
    return list(values)[:n]


SPECS = [
    # ------------------------------------------------------------ shared pieces
    spec(
        plotting.to_display,
        {"images": torch.rand(2, 1, 4, 4)},
        {"images": "tensor4d"},
        extra=[
            ("images", torch.rand(2, 2, 4, 4)),
            ("images", (torch.rand(2, 1, 4, 4) * 255).to(torch.uint8)),
            ("images", np.ones((2, 1, 4, 4))),
            ("images", torch.full((1, 3, 2, 2), float("inf"))),
        ],
    ),
    spec(
        plotting.image_grid,
        {"data": MNIST, "per_class": 2, "seed": 0, "title": "t", "ax_size": 0.5},
        {"data": IMAGE_DATA, "per_class": "pos_int", "seed": "seed", "title": OPT_TEXT, "ax_size": "positive"},
        extra=[("data", _data(n=5))],
    ),
    spec(
        plotting.class_count_bars,
        lambda: {"datasets": {"train": MNIST, "test": _data(split="test", n=10)}, "ax": None},
        {"datasets": DICT, "ax": AX},
        extra=[("datasets", {"train": np.ones(3)}), ("datasets", {"train": MNIST, "c": COLOUR})],
    ),
    spec(
        plotting.compression_view,
        lambda: {"fig": fig(), "image": IMG, "k": 2, "s": S_IMG},
        {"fig": FIG, "image": UNIT_IMAGE, "k": "rank"},
        says={"k": "rank k", "s": "singular values"},
        extra=[("s", S_IMG[:3]), ("s", -S_IMG), ("s", "abc"), ("s", np.full(8, NAN)), ("k", 9)],
    ),
    spec(
        plotting.denoising_view,
        lambda: {"fig": fig(), "clean": IMG, "sigma": 0.1, "energy_fraction": 0.9, "seed": 0},
        {"fig": FIG, "clean": "image", "sigma": "nonneg", "energy_fraction": "fraction", "seed": "seed"},
    ),
    spec(
        plotting.reconstruction_view,
        lambda: {"fig": fig(), "originals": {"a": IMG}, "reconstructions": {"a": IMG * 0.5}, "label": "M = 3"},
        {"fig": FIG, "originals": DICT, "reconstructions": DICT, "label": TEXT},
        extra=[
            ("reconstructions", {"b": IMG}),
            ("reconstructions", {"a": IMG[:4]}),
            ("reconstructions", {"a": "abc"}),
            ("reconstructions", {"a": np.full((8, 8), NAN)}),
            ("originals", {"a": IMG * 255}),
            ("originals", {"a": RGB}),
        ],
    ),
    spec(
        plotting.component_options,
        {"svd1": SVD1, "svd2": SVD2},
        {"svd1": DICT, "svd2": DICT},
        extra=[("svd1", {"S": SVD1["S"]}), ("svd2", {**SVD2, "S": np.ones(3)}), ("svd1", {**SVD1, "S": SVD2["S"]})],
    ),
    spec(
        plotting.component_view,
        lambda: {
            "fig": fig(),
            "option": "layer 1 · component 2",
            "model": TINY,
            "svd1": SVD1,
            "svd2": SVD2,
            "digit": DIGIT,
        },
        {"fig": FIG, "option": TEXT, "model": "module", "svd1": DICT, "svd2": DICT, "digit": TENSOR4},
        extra=[
            ("option", "layer 3 · component 1"),
            ("option", "layer 1 · component 99"),
            ("option", "layer 1 · component 0"),
            ("option", "component one"),
            ("svd1", SVD2),
            ("svd2", SVD1),
            ("digit", torch.rand(1, 1, 6, 6, dtype=torch.float64)),
            ("digit", torch.rand(2, 1, 28, 28, dtype=torch.float64)),
            ("digit", torch.full((1, 1, 28, 28), NAN, dtype=torch.float64)),
            ("digit", torch.rand(1, 1, 28, 20, dtype=torch.float64)),
        ],
    ),
    spec(
        plotting.measurements_view,
        lambda: {"fig": fig(), "m": 10, "originals": CS_IMAGES, "results": CS_RESULTS},
        {"fig": FIG, "m": "pos_int", "originals": DICT, "results": DICT},
        extra=[("m", 30), ("results", {("a", 10): {"mse": 1.0}, ("b", 10): {"mse": 1.0}})],
    ),
    spec(
        plotting.band,
        lambda: {"ax": plt.subplots()[1], "x": RATIO, "values": np.ones((2, 3)), "label": "l", "color": "C0"},
        {"ax": FIG, "x": CURVE, "values": "matrix", "label": TEXT, "color": ["not-a-colour", None, 3, (1, 2), True]},
        extra=[("values", np.ones(3)), ("values", np.ones((2, 4))), ("x", RATIO[:2])],
    ),
    spec(
        plotting.spectrum_view,
        lambda: {"fig": fig(), "width": 20, "sweep": DD, "widths": WIDTHS, "seeds": SEEDS, "n": 20},
        {
            "fig": FIG,
            "width": [50, "20", None, True, 20.5],
            "sweep": DICT,
            "widths": INTS,
            "seeds": INTS,
            "n": "pos_int",
        },
        skip={"seeds": [[0]]},
        extra=[
            ("sweep", {"spectra": DD["spectra"]}),
            ("sweep", {**DD, "test_mse": DD["test_mse"][:, :2]}),
            ("sweep", {**DD, "spectra": {}}),
            ("seeds", [7]),
            ("widths", [5, 20, 40, 80]),
        ],
    ),
    spec(
        plotting.noise_view,
        lambda: {"fig": fig(), "noise": 0.2, "sweep": DD, "ratio": RATIO, "ridges": RIDGES, "noises": NOISES},
        {
            "fig": FIG,
            "noise": [0.5, "0.2", None, True],
            "sweep": DICT,
            "ratio": CURVE,
            "ridges": REALS,
            "noises": REALS,
        },
        says={"noise": "noise level"},
        extra=[
            ("ratio", RATIO[:2]),
            ("ratio", -RATIO),
            ("ridges", [0.0, 1.0, 2.0]),
            ("sweep", {"test_mse": DD["test_mse"][..., 0]}),
            ("sweep", {"test_mse": -DD["test_mse"]}),
        ],
    ),
    # ------------------------------------------------------------ "The datasets"
    spec(
        plotting.class_count_panels,
        {"groups": {"MNIST": {"train": MNIST}}, "figsize": (6, 2)},
        {"groups": DICT, "figsize": FIGSIZE},
        extra=[
            ("groups", {"MNIST": MNIST}),
            ("groups", {"MNIST": {"train": np.zeros(3)}}),
            ("groups", {"MNIST": {}}),
            ("groups", {"MNIST": {"train": MNIST, "c": COLOUR}}),
            ("groups", {"MNIST": {"train": BAD_LABELS}}),
        ],
    ),
    spec(
        plotting.pixel_histograms,
        {"datasets": [MNIST], "max_images": 5, "bins": 8, "figsize": (4, 2)},
        {
            "datasets": ["abc", None, 3, [], [np.ones(3)], MNIST, [BAD_LABELS]],
            "max_images": "pos_int",
            "bins": "pos_int",
        },
        extra=[*[("figsize", f) for f in FIGSIZE], ("datasets", [NOT_PIXELS])],
    ),
    spec(
        plotting.class_mean_images,
        {"datasets": [MNIST], "figsize": (6, 2)},
        {"datasets": ["abc", None, 3, [], [np.ones(3)], MNIST, [UINT8]], "figsize": FIGSIZE},
        extra=[("datasets", [_data(n=5)]), ("datasets", [NOT_PIXELS])],
    ),
    spec(
        plotting.colour_and_gray,
        {"colour": COLOUR, "gray": GRAY, "indices": [0, 3], "figsize": (4, 2)},
        {"colour": IMAGE_DATA, "gray": IMAGE_DATA, "indices": INTS, "figsize": FIGSIZE},
        skip={"indices": [[0]]},
        extra=[
            ("gray", COLOUR),
            ("gray", _data("cifar10", n=10)),
            ("colour", GRAY),
            ("colour", NOT_PIXELS_COLOUR),
            ("indices", [20]),
            ("indices", [-1]),
        ],
    ),
    # ------------------------------------------------------------ "SVD from scratch"
    spec(
        plotting.singular_value_errors,
        {"s_true": S_IMG, "errors": {"a": np.zeros(8)}, "floor": 1e-17, "figsize": (4, 3)},
        {"s_true": "vector", "errors": DICT, "floor": "positive", "figsize": FIGSIZE},
        says={"s_true": "s_true"},
        extra=[
            ("errors", {"a": np.zeros(3)}),
            ("errors", {"a": "abc"}),
            ("errors", {"a": np.full(8, NAN)}),
            ("errors", {"a": -np.ones(8)}),
            ("errors", {3: np.zeros(8)}),
            ("s_true", -S_IMG),
        ],
    ),
    spec(
        plotting.rank_one_figure,
        {"image": IMG, "terms": np.zeros((2, 8, 8)), "s": S_IMG, "ks": [1, 8], "figsize": (4, 3)},
        {"image": UNIT_IMAGE, "terms": ["abc", None, np.ones((8, 8)), np.full((2, 8, 8), NAN)], "s": CURVE, "ks": INTS},
        says={"s": "singular values"},
        extra=[
            ("ks", [1, 2, 3]),
            ("ks", [1, 9]),
            ("terms", np.zeros((2, 4, 4))),
            ("s", S_IMG[:1]),
            ("s", -S_IMG),
            ("image", RGB),
            *[("figsize", f) for f in FIGSIZE],
        ],
    ),
    spec(
        plotting.truncation_panels,
        {
            "s": S_IMG,
            "sweep": {
                "ks": [1, 2],
                "rel_err": [0.5, 0.3],
                "predicted": [0.5, 0.3],
                "psnr": [20.0, 25.0],
                "ratio": [2.0, 1.5],
            },
            "marks": {"90%": 2},
            "figsize": (6, 4),
        },
        {"s": CURVE, "sweep": ["d", None, 3, [1, 2], {}], "marks": ["d", None, 3, [1, 2]], "figsize": FIGSIZE},
        says={"s": "singular values"},
        extra=[
            ("sweep", {"ks": [1, 2], "rel_err": [0.5], "predicted": [0.5, 0.3], "psnr": [20.0, 25.0], "ratio": [2, 1]}),
            (
                "sweep",
                {"ks": [1, 2], "rel_err": [0.5, NAN], "predicted": [0.5, 0.3], "psnr": [20, 25], "ratio": [2, 1]},
            ),
            ("sweep", {"ks": "ab", "rel_err": [0.5, 0.3], "predicted": [0.5, 0.3], "psnr": [20, 25], "ratio": [2, 1]}),
            (
                "sweep",
                {"ks": [1, 2], "rel_err": [0.5, 0.3], "predicted": [0.5, 0.3], "psnr": [NAN, 2], "ratio": [2, 1]},
            ),
            ("marks", {"90%": 0}),
            ("marks", {"90%": 2.5}),
            ("marks", {"90%": 99}),
            ("marks", {"90%": True}),
            ("marks", {3: 2}),
        ],
    ),
    spec(
        plotting.eigenimages,
        {"vt": np.eye(16), "shape": (4, 4), "count": 3, "cols": 2, "figsize": (4, 3)},
        {
            "vt": "matrix",
            "shape": [(4,), "44", None, (0, 16), (4.0, 4), (True, 16), (3, 3)],
            "count": "pos_int",
            "cols": "pos_int",
            "figsize": FIGSIZE,
        },
        extra=[("count", 17)],
    ),
    # ------------------------------------------------------------ "Training TinyConvNet"
    spec(
        plotting.learning_curves,
        {"history": HISTORY, "reference": {"report": 90.0}, "figsize": (6, 3)},
        {
            "history": ["h", None, 3, {"train_loss": [1.0]}],
            "reference": ["d", 3, [1, 2], {"report": "90"}, {"report": NAN}, {"report": True}, {"report": 900.0}],
            "figsize": FIGSIZE,
        },
        extra=[
            ("history", SimpleNamespace(train_loss=[1.0], test_loss=[], train_acc=[0.5], test_acc=[0.5])),
            ("history", SimpleNamespace(train_loss=[1.0], test_loss=[1.0], train_acc=[85.0], test_acc=[0.5])),
            ("history", SimpleNamespace(train_loss=[NAN], test_loss=[1.0], train_acc=[0.5], test_acc=[0.5])),
            ("history", SimpleNamespace(train_loss="a", test_loss="b", train_acc="c", test_acc="d")),
            ("history", SimpleNamespace(train_loss=["a"], test_loss=[1.0], train_acc=[0.5], test_acc=[0.5])),
        ],
    ),
    spec(
        plotting.confusion_panels,
        {"cm": np.array([[5, 1], [0, 4]]), "classes": ["a", "b"], "figsize": (6, 3)},
        {"cm": "matrix", "classes": LABELS, "figsize": FIGSIZE},
        says={"cm": "cm"},
        extra=[
            ("cm", np.array([[5.5, 1], [0, 4]])),
            ("cm", np.array([[-1, 1], [0, 4]])),
            ("cm", np.ones((2, 3), dtype=int)),
            ("cm", np.eye(2, dtype=bool)),
            ("classes", ["a", "b", "c"]),
        ],
    ),
    spec(
        plotting.image_gallery,
        {"images": np.zeros((2, 4, 4)), "titles": ["x", "y"], "cols": 2, "title": "t", "figsize": (4, 3)},
        {
            "images": ["abc", None, np.ones((4, 4)), np.ones((0, 4, 4)), np.full((2, 4, 4), NAN)],
            "titles": LABELS,
            "cols": "pos_int",
            "title": OPT_TEXT,
            "figsize": FIGSIZE,
        },
        extra=[("titles", ["x"]), ("titles", ["x", 3])],
    ),
    # ------------------------------------------------------------ "CNNs against random projections"
    spec(
        plotting.projection_view,
        {"projection": PROJ, "ratios": RATIOS, "eps": 0.3, "image_shape": (8, 8), "n_points": 10, "rows": 2},
        {
            "projection": ["p", None, 3, np.ones((8, 64))],
            "ratios": DICT,
            "eps": [True, 0, -1.0, NAN, "0.3", None, 1j],
            "image_shape": [(8,), "88", None, (7, 9), (8.0, 8), (True, 64), (0, 64)],
            "n_points": "pos_int",
            "rows": "pos_int",
        },
        extra=[("rows", 9), ("ratios", {"a": "abc"}), ("ratios", {"a": [NAN]}), ("ratios", {"a": [-1.0]})],
    ),
    spec(
        plotting.tap_gradients_view,
        lambda: {
            "nets": {"same": ReportCNN(1, 28)},
            "images": torch.rand(2, 1, 28, 28),
            "labels": torch.tensor([0, 1]),
        },
        {
            "nets": DICT,
            "images": [*TENSOR4, torch.ones(0, 1, 28, 28)],
            "labels": ["abc", None, torch.tensor([0.0, 1.0]), torch.tensor([0]), np.array([0, 1])],
        },
        extra=[
            ("nets", {"x": torch.nn.Linear(2, 2)}),
            ("nets", {"x": 3}),
            ("images", torch.rand(2, 3, 28, 28)),
            ("images", torch.full((2, 1, 28, 28), NAN)),
            ("labels", torch.tensor([0, 10])),
        ],
    ),
    spec(
        plotting.accuracy_vs_m_view,
        {
            "m_values": [16, 64],
            "accuracy": {"a": {"random": [0.5, 0.6], "pca": [0.6, 0.65]}},
            "report": REPORT,
            "titles": {"a": "A"},
        },
        {"m_values": INTS, "accuracy": DICT, "report": DICT, "titles": DICT},
        extra=[
            ("accuracy", {"a": {"random": [0.5, 0.6]}}),
            ("accuracy", {"a": {"random": [0.5], "pca": [0.5]}}),
            ("accuracy", {"a": {"random": [50.0, 60.0], "pca": [0.6, 0.65]}}),
            ("accuracy", {"a": {"random": [0.5, NAN], "pca": [0.6, 0.65]}}),
            ("accuracy", {"a": {"random": "ab", "pca": [0.6, 0.65]}}),
            ("accuracy", {"a": [0.5, 0.6]}),
            ("report", {"b": REPORT["a"]}),
            ("report", {"a": {"mlp": 0.7}}),
            ("report", {"a": {"mlp": (70.0, 1.0)}}),
            ("report", {"a": {"cnn": (0.7, 0.1)}}),
            ("titles", {"b": "B"}),
            ("titles", {"a": 3}),
        ],
    ),
    spec(
        plotting.accuracy_vs_size_view,
        {
            "sizes": [100, 200],
            "accuracy": {"a": {"cnn": [0.2, 0.3], "mlp": [0.15, 0.2]}},
            "cross_validated": {"a": {"cnn": RUN, "mlp": RUN}},
            "report": REPORT,
            "titles": {"a": "A"},
            "m": 64,
        },
        {"sizes": INTS, "accuracy": DICT, "cross_validated": DICT, "report": DICT, "titles": DICT, "m": "pos_int"},
        extra=[
            ("accuracy", {"a": {"cnn": [0.2], "mlp": [0.2]}}),
            ("accuracy", {"a": {"cnn": [20.0, 30.0], "mlp": [0.15, 0.2]}}),
            ("cross_validated", {"a": {"cnn": RUN}}),
            ("cross_validated", {"a": {"cnn": 0.3, "mlp": RUN}}),
            ("cross_validated", {"a": {"cnn": SimpleNamespace(train_n=0, cv=RUN.cv), "mlp": RUN}}),
            (
                "cross_validated",
                {"a": {"cnn": SimpleNamespace(train_n=10, cv=SimpleNamespace(mean=35.0, std=1.0)), "mlp": RUN}},
            ),
            ("report", {"a": {"cnn": (0.8, 0.01)}}),
        ],
    ),
    # ------------------------------------------------------------ "Low-rank compression"
    spec(
        plotting.eckart_young_figure,
        {"curves": {"conv1": {"k": [1, 2], "measured": [0.5, 0.0], "formula": [0.5, 0.0], "energy": [0.8, 1.0]}}},
        {"curves": DICT},
        extra=[
            ("curves", {"conv1": {"k": [1, 2]}}),
            ("curves", {"conv1": {"k": [1, 2], "measured": [0.5], "formula": [0.5, 0.0], "energy": [0.8, 1.0]}}),
            ("curves", {"conv1": {"k": [1, 2], "measured": [0.5, NAN], "formula": [0.5, 0], "energy": [0.8, 1]}}),
            ("curves", {"conv1": {"k": [1, 2], "measured": [0.5, 0.0], "formula": [0.5, 0], "energy": [80, 100]}}),
            ("curves", {"conv1": [1, 2]}),
        ],
    ),
    spec(
        plotting.rank_grid_figure,
        {"acc": ACC_GRID, "k1s": K1S, "k2s": K2S, "base": 0.9},
        {"acc": DICT, "k1s": INTS, "k2s": INTS, "base": "prob"},
        says={"base": "base"},
        extra=[("k2s", [1, 2]), ("acc", {**ACC_GRID, (1, 1): 50.0}), ("acc", {**ACC_GRID, (1, 1): "a"})],
    ),
    spec(
        plotting.truncated_filters_view,
        lambda: {"fig": fig(), "k": 2, "conv": TINY.conv1, "accuracy": {1: 0.5, 2: 0.8, 8: 0.95}},
        {"fig": FIG, "k": "pos_int", "conv": CONV, "accuracy": DICT},
        says={"k": "rank k"},
        extra=[
            ("k", 3),
            ("conv", TINY.conv2),
            ("accuracy", {1: 0.5, 2: 80.0}),
            ("accuracy", {1: 0.5, 2: NAN}),
            ("accuracy", {"2": 0.5, 2: 0.8}),
        ],
    ),
    spec(
        plotting.conv2_rank_view,
        lambda: {"fig": fig(), "k": 16, "acc": ACC_GRID, "k1s": K1S, "base": 0.9, "sigma": np.linspace(2, 0.1, 16)},
        {"fig": FIG, "k": "pos_int", "acc": DICT, "k1s": INTS, "base": "prob", "sigma": CURVE},
        says={"k": "rank k"},
        extra=[("k", 4), ("sigma", -np.ones(16)), ("acc", {**ACC_GRID, (1, 16): 80.0})],
    ),
    spec(
        plotting.breakeven_figure,
        {"layers": {"a": (torch.nn.Conv2d(1, 4, 3), 10)}},
        {"layers": DICT},
        extra=[
            ("layers", {"a": torch.nn.Conv2d(1, 4, 3)}),
            ("layers", {"a": (torch.nn.Linear(2, 2), 10)}),
            ("layers", {"a": (torch.nn.Conv2d(1, 4, 3), 0)}),
            ("layers", {"a": (torch.nn.Conv2d(1, 4, 3), 2.5)}),
            ("layers", {"a": (torch.nn.Conv2d(1, 4, 3), True)}),
            ("layers", {3: (torch.nn.Conv2d(1, 4, 3), 10)}),
        ],
    ),
    spec(
        plotting.layer_sweep_figure,
        {"sweep": LAYER_SWEEP, "base": 0.9, "max_drop": 1.0},
        {"sweep": DICT, "base": "prob", "max_drop": "nonneg"},
        extra=[
            ("sweep", {"conv2": LAYER_SWEEP["conv2", 4]}),
            ("sweep", {("conv2", 0): LAYER_SWEEP["conv2", 4]}),
            ("sweep", {("conv2", 4): {"acc": 0.8}}),
            ("sweep", {("conv2", 4): {**LAYER_SWEEP["conv2", 4], "acc": 80.0}}),
            ("sweep", {("conv2", 4): {**LAYER_SWEEP["conv2", 4], "speedup": NAN}}),
        ],
    ),
    spec(
        plotting.fraction_sweep_figure,
        {"whole": WHOLE, "base": 0.9, "max_drop": 1.0},
        {"whole": DICT, "base": "prob", "max_drop": "nonneg"},
        extra=[
            ("whole", {0.5: {"acc": 0.8}}),
            ("whole", {0.5: {**WHOLE[0.5], "macs": 0.0}}),
            ("whole", {0.5: {**WHOLE[0.5], "acc": 89.0}}),
            ("whole", {"0.5": WHOLE[0.5]}),
            ("whole", {2.0: WHOLE[0.5]}),
        ],
    ),
    spec(
        plotting.scheme_figure,
        {"schemes": {"svd": WHOLE, "none": {}}, "base": 0.9, "max_drop": 1.0},
        {"schemes": DICT, "base": "prob", "max_drop": "nonneg"},
        extra=[
            ("schemes", {"svd": [1, 2]}),
            ("schemes", {"svd": {0.5: {"acc": 0.8}}}),
            ("schemes", {"svd": {0.5: {**WHOLE[0.5], "t256": "fast"}}}),
            ("schemes", {3: WHOLE}),
        ],
    ),
    # ------------------------------------------------------------ "Compressive sensing"
    spec(
        plotting.dct_spectra,
        lambda: {"fig": fig(), "images": CS_IMAGES},
        {"fig": FIG, "images": DICT},
        extra=[("images", {"a": i}) for i in UNIT_IMAGE] + [("images", {"a": RGB}), ("images", {3: IMG})],
    ),
    spec(
        plotting.measurement_patterns,
        lambda: {"fig": fig(), "phi": np.ones((3, 16)), "shape": (4, 4)},
        {"fig": FIG, "phi": "matrix", "shape": [(4,), "44", None, (3, 3), (4.0, 4), (True, 16), (0, 16)]},
    ),
    spec(
        plotting.lasso_convergence,
        lambda: {"fig": fig(), "gaps": {"ISTA": np.geomspace(1, 1e-3, 5)}, "f_star": 2.0, "level": 1e-3, "title": ""},
        {"fig": FIG, "gaps": DICT, "f_star": "positive", "level": "positive", "title": TEXT},
        says={"f_star": "f_star"},
        extra=[("gaps", {"ISTA": "abc"}), ("gaps", {"ISTA": [1.0, NAN]}), ("gaps", {"ISTA": [-1.0]})],
    ),
    spec(
        plotting.error_curves,
        lambda: {
            "fig": fig(),
            "m_values": [10, 20],
            "results": CS_RESULTS,
            "baseline": CS_BASE,
            "names": ["a", "b"],
            "report": {"a": {10: (0.2, 0.1), 20: (0.1, 0.05)}},
        },
        {"fig": FIG, "m_values": INTS, "results": DICT, "baseline": DICT, "names": LABELS},
        skip={"m_values": [[0]]},
        extra=[
            ("m_values", [10, 30]),
            ("names", ["c"]),
            ("results", {k: {"x_hat": v["x_hat"]} for k, v in CS_RESULTS.items()}),
            ("results", {k: {**v, "mse": NAN} for k, v in CS_RESULTS.items()}),
            ("baseline", {k: {**v, "mae": "x"} for k, v in CS_BASE.items()}),
            ("report", "abc"),
            ("report", {"a": {10: (0.2, 0.1)}}),
            ("report", {"a": {10: 0.2, 20: 0.1}}),
            ("report", {"a": {10: (NAN, 0.1), 20: (0.1, 0.05)}}),
        ],
    ),
    spec(
        plotting.reconstruction_grid,
        lambda: {"fig": fig(), "images": CS_IMAGES, "m_shown": [10], "results": CS_RESULTS, "baseline": CS_BASE},
        {"fig": FIG, "images": DICT, "m_shown": INTS, "results": DICT, "baseline": DICT},
        extra=[
            ("m_shown", [30]),
            ("images", {"a": IMG * 255, "b": IMG}),
            ("images", {"a": np.ones((4, 4)), "b": IMG}),
            ("results", {k: {"mse": 1.0} for k in CS_RESULTS}),
            ("baseline", {k: {"x_hat": "abc"} for k in CS_BASE}),
        ],
    ),
    spec(
        plotting.mse_curves,
        lambda: {"fig": fig(), "m_values": [1, 2, 3], "curves": {"G": [3, 2, 1]}, "title": "t"},
        {"fig": FIG, "m_values": INTS, "curves": DICT, "title": TEXT},
        extra=[
            ("curves", {"G": [3, 2]}),
            ("curves", {"G": "abc"}),
            ("curves", {"G": [1, NAN, 2]}),
            ("curves", {3: [1, 2, 3]}),
        ],
    ),
    spec(
        plotting.phase_transition,
        lambda: {
            "fig": fig(),
            "prob": np.tril(np.ones((4, 4))),
            "deltas": (np.arange(4) + 0.5) / 4,
            "rhos": (np.arange(4) + 0.5) / 4,
            "theory": ((np.arange(4) + 0.5) / 4, np.full(4, 0.5)),
            "crossing": [0.25] * 4,
        },
        {"fig": FIG, "prob": "matrix", "deltas": CURVE, "rhos": CURVE, "crossing": CURVE},
        extra=[
            ("prob", np.ones((3, 4))),
            ("prob", np.full((4, 4), 2.0)),
            ("deltas", np.array([0.5, 0.25, 0.75, 0.9])),
            ("rhos", np.array([0.0, 0.25, 0.5, 0.75])),
            ("crossing", [0.2]),
            ("theory", None),
            ("theory", "ab"),
            ("theory", (np.ones(3), np.ones(4))),
            ("theory", (np.ones(3), np.full(3, NAN))),
        ],
    ),
    spec(
        plotting.jl_distortion,
        lambda: {
            "fig": fig(),
            "sweep": {"M": [10, 100], "worst": [0.9, 0.3], "q99": [0.5, 0.1], "bound": [float("inf"), 0.8]},
            "n_points": 1000,
        },
        {"fig": FIG, "sweep": DICT, "n_points": "pos_int"},
        extra=[
            ("sweep", {"M": [10, 100]}),
            ("sweep", {"M": [10, 100], "worst": [0.9], "q99": [0.5, 0.1], "bound": [1.0, 0.8]}),
            ("sweep", {"M": [10, 100], "worst": [0.9, NAN], "q99": [0.5, 0.1], "bound": [1.0, 0.8]}),
            ("sweep", {"M": [10, 100], "worst": [0.9, 0.3], "q99": [0.5, 0.1], "bound": [NAN, 0.8]}),
            ("sweep", {"M": "ab", "worst": [0.9, 0.3], "q99": [0.5, 0.1], "bound": [1.0, 0.8]}),
        ],
    ),
    # ------------------------------------------------------------ "Parametric models and convolutions"
    spec(
        plotting.taylor_curves,
        lambda: {"fig": fig(), "checks": {"sin": TAYLOR}, "title": "t"},
        {"fig": FIG, "checks": DICT, "title": TEXT},
        extra=[
            ("checks", {"sin": {"h": [1.0]}}),
            ("checks", {"sin": [1, 2]}),
            ("checks", {"sin": {**TAYLOR, "e0": TAYLOR["e0"][:2]}}),
            ("checks", {"sin": {**TAYLOR, "h": -TAYLOR["h"]}}),
            ("checks", {"sin": {**TAYLOR, "e1": np.full(4, NAN)}}),
        ],
    ),
    spec(
        plotting.matrix_images,
        lambda: {"fig": fig(), "matrices": {"m": np.eye(3)}},
        {"fig": FIG, "matrices": DICT},
        extra=[("matrices", {"m": v}) for v in SQUARE] + [("matrices", {3: np.eye(2)})],
    ),
    spec(
        plotting.convolution_timing_curves,
        lambda: {"fig": fig(), "timings": TIMINGS, "image_sizes": [8, 16], "kernel_sizes": [3, 5, 7]},
        {"fig": FIG, "timings": DICT, "image_sizes": INTS, "kernel_sizes": INTS},
        skip={"image_sizes": [[0]], "kernel_sizes": [[0]]},
        extra=[
            ("image_sizes", [8, 16, 32]),
            ("timings", {**TIMINGS, "torch FFT": np.full((2, 3), NAN)}),
            ("timings", {**TIMINGS, "torch FFT": np.full((2, 3), np.inf)}),
            ("timings", {**TIMINGS, "torch FFT": "abc"}),
            ("timings", {**TIMINGS, "torch FFT": -np.ones((2, 3))}),
            ("timings", {"torch direct": TIMINGS["torch direct"]}),
        ],
    ),
    # ------------------------------------------------------------ "Every convolutional layer is an SVD"
    spec(
        plotting.layer_spectra,
        {"spectra": {"l": np.array([2.0, 1.0])}, "levels": (0.9,), "figsize": (6, 3)},
        {"spectra": DICT, "levels": [*REALS, [1.5], [0.0]], "figsize": FIGSIZE},
        extra=[
            ("spectra", {"l": np.ones((2, 2))}),
            ("spectra", {"l": "abc"}),
            ("spectra", {"l": [NAN]}),
            ("spectra", {"l": [-1.0, 2.0]}),
            ("spectra", {"l": [0.0, 0.0]}),
            ("spectra", {3: [1.0]}),
        ],
        says={"spectra": ("spectra", "singular values")},
    ),
    spec(
        plotting.operator_spectra,
        {"layers": {"l": (np.array([3.0, 2.0, 1.0]), np.array([1.0, 0.5]))}, "bins": 5, "figsize": (6, 3)},
        {"layers": DICT, "bins": [True, 1, 0, 2.5, "5", None, 10**6], "figsize": FIGSIZE},
        extra=[
            ("layers", {"l": np.ones(3)}),
            ("layers", {"l": (np.ones(3),)}),
            ("layers", {"l": (np.ones((2, 2)), np.ones(2))}),
            ("layers", {"l": ("abc", np.ones(2))}),
            ("layers", {"l": (np.ones(3), [NAN])}),
            ("layers", {"l": (-np.ones(3), np.ones(2))}),
            ("layers", {"l": (np.zeros(3), np.ones(2))}),
            ("layers", {3: (np.ones(3), np.ones(2))}),
        ],
        says={"layers": ("layers", "singular values")},
    ),
    spec(
        plotting.relu_mask_growth,
        {"sizes": [100, 1000], "counts": [10, 30], "channels": 8, "report": (500, 40), "figsize": (5, 3)},
        {
            "sizes": INTS,
            "counts": ["12", 3, None, [], [2.5], [True], [-1, 2], ["a"]],
            "channels": "pos_int",
            "report": ["ab", 3, (500,), (500, NAN), (True, 40), (0, 40), (500, -1)],
            "figsize": FIGSIZE,
        },
        skip={"sizes": [[0]]},
        extra=[("counts", [10]), ("counts", [10, 300]), ("channels", 1000)],
    ),
    spec(
        plotting.coordinate_spread,
        {"coords": np.ones((3, 20)), "every": 5, "figsize": (5, 3)},
        {"coords": "matrix", "every": "pos_int", "figsize": FIGSIZE},
    ),
    spec(
        plotting.eigenfilters_and_filters,
        {
            "eigenfilters": torch.randn(2, 1, 3, 3),
            "singular_values": [2.0, 1.0],
            "weights": torch.randn(2, 1, 3, 3),
            "figsize": (4, 3),
        },
        {
            "eigenfilters": ["abc", None, torch.ones(3), torch.full((2, 1, 3, 3), NAN), torch.ones(2, 2, 3, 3)],
            "singular_values": ["abc", None, [1.0], [NAN, 1.0], [-1.0, 1.0]],
            "weights": ["abc", None, torch.ones(3, 1, 3, 3), torch.full((2, 1, 3, 3), NAN)],
            "figsize": FIGSIZE,
        },
        says={"singular_values": ("singular_values", "singular values")},
    ),
    # ------------------------------------------------------------ "Over-parameterisation and double descent"
    spec(
        plotting.double_descent_curves,
        {"ratio": RATIO, "sweep": DD, "figsize": (6, 3)},
        {"ratio": CURVE, "sweep": DICT, "figsize": FIGSIZE},
        says={"ratio": ("ratio", "values")},
        extra=[
            ("ratio", RATIO[:2]),
            ("ratio", -RATIO),
            ("sweep", {"test_mse": DD["test_mse"]}),
            ("sweep", {**DD, "train_err": DD["train_err"][..., 0]}),
            ("sweep", {**DD, "test_mse": np.full_like(DD["test_mse"], NAN)}),
        ],
    ),
    spec(
        plotting.sigma_min_and_norm,
        {"ratio": RATIO, "sweep": DD, "figsize": (6, 3)},
        {"ratio": CURVE, "sweep": DICT, "figsize": FIGSIZE},
        says={"ratio": ("ratio", "values")},
        extra=[
            ("ratio", RATIO[:2]),
            ("sweep", {"norm": DD["norm"]}),
            ("sweep", {**DD, "sigma_min": DD["norm"]}),
            ("sweep", {**DD, "sigma_min": -DD["sigma_min"]}),
        ],
    ),
    spec(
        plotting.ridge_curves,
        {"ratio": RATIO, "sweep": DD, "ridges": RIDGES, "figsize": (6, 3)},
        {"ratio": CURVE, "sweep": DICT, "ridges": REALS, "figsize": FIGSIZE},
        says={"ratio": ("ratio", "values")},
        extra=[("ridges", (0.0, 1.0, 2.0)), ("sweep", {"train_mse": DD["train_mse"]})],
    ),
    spec(
        plotting.tuned_ridge_curves,
        {"ratio": RATIO, "sweep": DD, "tuned": TUNED, "figsize": (6, 3)},
        {"ratio": CURVE, "sweep": DICT, "tuned": DICT, "figsize": FIGSIZE},
        says={"ratio": ("ratio", "values")},
        extra=[("tuned", {"test_mse": DD["test_mse"]}), ("tuned", {"test_mse": TUNED["test_mse"][:, :2]})],
    ),
    spec(
        plotting.network_width_curves,
        {"rows": WIDTH_ROWS, "n_train": 50, "figsize": (5, 3)},
        {"rows": ["rows", None, 3, [], {"a": 1}, [{"width": 1}], [1, 2]], "n_train": "pos_int", "figsize": FIGSIZE},
        extra=[
            ("rows", [{**WIDTH_ROWS[0], "train_err": 50.0}]),
            ("rows", [{**WIDTH_ROWS[0], "parameters": 0}]),
            ("rows", [{**WIDTH_ROWS[0], "test_err": NAN}]),
            ("rows", [{**WIDTH_ROWS[0], "parameters": "many"}]),
        ],
    ),
]


def test_every_public_function_has_a_spec():
    covered = {s.fn.__name__ for s in SPECS}
    assert set(plotting.__all__) <= covered, sorted(set(plotting.__all__) - covered)


def _drawn(figure) -> int:
    """How many things are drawn on ``figure`` (lines, images, bars, collections) beyond empty axes."""
    return sum(len(ax.lines) + len(ax.images) + len(ax.patches) + len(ax.collections) for ax in figure.axes)


@pytest.mark.parametrize("s, arg, value", bad_cases(SPECS))
def test_bad_input_is_refused_by_name(s, arg, value):
    before = set(plt.get_fignums())
    check_bad(s, arg, value)
    # refused before drawing: no half-drawn figure is left behind (a figure the call was given stays empty),
    # and no figure of its own is left open (only band's factory makes axes for it)
    new = [plt.figure(n) for n in plt.get_fignums() if n not in before]
    assert not [f for f in new if _drawn(f)], f"{s.name}({arg}=...) drew on a figure before refusing the value"
    allowed = 1 if "ax" in s.kinds else 0
    assert all(len(f.axes) <= allowed for f in new), f"{s.name}({arg}=...) left a figure open after refusing"


@pytest.mark.parametrize("s", good_cases(SPECS))
def test_numpy_scalars_are_accepted(s):
    check_good(s)


@pytest.mark.parametrize("s", SPECS, ids=lambda s: s.name)
def test_the_valid_call_draws(s):
    kwargs = s.factory() if s.factory is not None else dict(s.valid)
    s.fn(**kwargs)


# ------------------------------------------------------------------ regressions: bugs the battery found


def test_integer_pixels_are_refused_not_drawn_white():
    # to_display clamped 0..255 pixels to [0, 1]: every image came out white
    with pytest.raises(TypeError, match="floating-point"):
        plotting.to_display((torch.rand(2, 1, 4, 4) * 255).to(torch.uint8))
    # compression_view drew a 0..255 image white and reported a PSNR for data range 1
    with pytest.raises(ValueError, match=r"image must hold pixel values in \[0, 1\]"):
        plotting.compression_view(plt.figure(), IMG * 255, 2)


def test_percent_accuracies_are_refused_not_multiplied_again():
    history = SimpleNamespace(train_loss=[1.0], test_loss=[1.0], train_acc=[85.0], test_acc=[80.0])
    with pytest.raises(ValueError, match="history.train_acc must hold accuracies as fractions"):
        plotting.learning_curves(history)
    with pytest.raises(ValueError, match="fractions in"):
        plotting.accuracy_vs_m_view(
            [16, 64], {"a": {"random": [50, 60], "pca": [60, 65]}}, report=REPORT, titles={"a": "A"}
        )


def test_positions_and_ranks_are_not_truncated_silently():
    # indices [2.5] drew image 2 and [True] image 1; a mark at rank 2.5 or beyond the spectrum was drawn anyway
    with pytest.raises(TypeError, match="each of indices must be an integer"):
        plotting.colour_and_gray(COLOUR, GRAY, [2.5])
    with pytest.raises(TypeError, match="each of indices must be an integer"):
        plotting.colour_and_gray(COLOUR, GRAY, [True])
    sweep = {"ks": [1], "rel_err": [0.5], "predicted": [0.5], "psnr": [20.0], "ratio": [2.0]}
    with pytest.raises(ValueError, match=r"marks\['90%'\] must be an integer from 1 to 8"):
        plotting.truncation_panels(S_IMG, sweep, marks={"90%": 99})
    # a spectrum of the wrong length was drawn as if it belonged to the image
    with pytest.raises(ValueError, match="s \\(the singular values\\) must hold 8 values"):
        plotting.compression_view(plt.figure(), IMG, 2, s=S_IMG[:3])


def test_component_view_reads_only_well_formed_options_and_matching_svds():
    # "x 1 y 2" used to be read as layer 1, component 2; an SVD of the other layer failed inside reshape
    kwargs = {"model": TINY, "svd1": SVD1, "svd2": SVD2, "digit": DIGIT}
    with pytest.raises(ValueError, match="option must read 'layer L · component I'"):
        plotting.component_view(plt.figure(), "x 1 y 2", **kwargs)
    with pytest.raises(ValueError, match="svd1 is not the SVD of this layer"):
        plotting.component_view(plt.figure(), "layer 1 · component 1", **{**kwargs, "svd1": SVD2})


def test_a_missing_sweep_entry_names_the_argument_not_a_key_error():
    with pytest.raises(ValueError, match=r"report\['a'\] must give an \(MSE, MAE\) pair for every M"):
        plotting.error_curves(
            plt.figure(), [10, 20], results=CS_RESULTS, baseline=CS_BASE, names=["a"], report={"a": {10: (0.2, 0.1)}}
        )
    with pytest.raises(ValueError, match="noise level 0.5 was not swept"):
        plotting.noise_view(plt.figure(), 0.5, sweep=DD, ratio=RATIO, ridges=RIDGES, noises=NOISES)
    with pytest.raises(ValueError, match="it does not match 3 ridges and 2 noise levels"):
        plotting.noise_view(plt.figure(), 0.2, sweep=DD, ratio=RATIO, ridges=(0.0, 1.0, 2.0), noises=NOISES)


def test_the_chapters_ways_of_passing_arguments_still_work():
    # indices as a range (chapter 07), an array (chapter 00's stratified_indices) or a tensor
    for indices in (range(2), np.array([0, 3]), torch.tensor([1, 2])):
        plotting.colour_and_gray(COLOUR, GRAY, indices)
    # names as the dict of images (chapter 02), a confusion matrix of floats that are whole numbers
    plotting.error_curves(plt.figure(), [10, 20], results=CS_RESULTS, baseline=CS_BASE, names=CS_IMAGES)
    plotting.confusion_panels(np.array([[5.0, 1.0], [0.0, 4.0]]), ("a", "b"))
    # normalised images are drawn as pixels again (their mean and std undo the normalisation)
    normed = _data()
    normed.mean, normed.std = (0.5,), (0.25,)
    normed.images = (normed.images - 0.5) / 0.25
    fig = plotting.pixel_histograms([normed], max_images=5, bins=4)
    assert sum(bar.get_height() for bar in fig.axes[0].patches) == 5 * 6 * 6
    plotting.class_mean_images([normed])
    # tensors with gradients (chapter 05), an RGB colour tuple, a sub-figure, an infinite JL band
    plotting.eigenfilters_and_filters(torch.randn(2, 1, 3, 3), torch.tensor([2.0, 1.0]), TINY.conv1.weight[:2])
    plotting.band(plt.subplots()[1], RATIO, np.ones((1, 3)), "one seed", (0.1, 0.2, 0.3))
    plotting.dct_spectra(plt.figure().subfigures(1, 2)[0], CS_IMAGES)
    plotting.projection_view(PROJ, RATIOS, float("inf"), image_shape=(8, 8), n_points=10)
    # skipped timings are NaN (helpers.bench.convolution_timings): drawn as gaps, as in chapter 03
    skipped = {**TIMINGS, "scipy direct": np.where(np.eye(2, 3) > 0, np.nan, 1e-3)}
    plotting.convolution_timing_curves(plt.figure(), skipped, [8, 16], [3, 5, 7])
    plotting.measurements_view(plt.figure(), np.int64(10), originals=CS_IMAGES, results=CS_RESULTS)
    plotting.spectrum_view(plt.figure(), np.int64(20), sweep=DD, widths=np.array(WIDTHS), seeds=SEEDS, n=np.int64(20))
    plotting.noise_view(plt.figure(), np.float64(0.2), sweep=DD, ratio=RATIO, ridges=RIDGES, noises=NOISES)
    plt.close("all")
    # NumPy scalars wherever a number is meant, including arguments whose bad values are lists of their own
    plotting.projection_view(
        PROJ, RATIOS, np.float32(0.3), image_shape=(np.int64(8), np.int64(8)), n_points=10, rows=np.int64(2)
    )
    plotting.truncation_panels(
        S_IMG,
        {
            "ks": np.array([1, 2]),
            "rel_err": [0.5, 0.3],
            "predicted": [0.5, 0.3],
            "psnr": [20.0, np.inf],
            "ratio": [2, 1],
        },
        marks={"90%": np.int64(2)},
        figsize=(np.float32(6), np.int64(4)),
    )
    plotting.learning_curves(HISTORY, reference={"report": np.float32(90.0)})
    plotting.colour_and_gray(COLOUR, GRAY, [np.int64(1), np.int32(2)])
    plotting.eigenimages(np.eye(16), np.array([4, 4]).tolist(), count=np.int64(3), cols=np.int64(2))
    plotting.relu_mask_growth(np.array([100, 1000]), np.array([10, 30]), channels=np.int64(8), report=(np.int64(5), 4))
    plotting.band(plt.subplots()[1], RATIO, np.ones((2, 3)), "l", np.str_("C1"))
    # a float32 slider value finds the swept 0.2 (it is 0.2000000030 as a float)
    fig = plotting.noise_view(plt.figure(), np.float32(0.2), sweep=DD, ratio=RATIO, ridges=RIDGES, noises=NOISES)
    assert "20% of the training labels flipped" in fig.axes[0].get_title()
