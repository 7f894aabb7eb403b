"""Bad input to every public function of ``helpers.projections`` (see ``tests/badinput.py``).

The data are tiny (20 images of 8 x 8 pixels, networks trained for one epoch),
and every bad value must be refused before any training starts.
"""

import warnings

import numpy as np
import pytest
import torch
from badinput import NAN, bad_cases, check_bad, check_good, good_cases, spec

from helpers import projections
from helpers.data import ImageData

N, SIDE = 20, 8
D = SIDE * SIDE


def _data(n=N, side=SIDE, seed=0, labels=None):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2 if labels is None else labels
    x = torch.rand(n, 1, side, side, generator=g) + y.view(-1, 1, 1, 1).float() / 4
    return ImageData(x, y, tuple("abcdefghijk"), "mnist", "train", "made up", True)


TRAIN, TEST = _data(), _data(10, seed=1)
OTHER_SIZE = _data(10, side=6, seed=2)
BIG_TRAIN, BIG_TEST = _data(side=28), _data(10, side=28, seed=1)  # the report's CNN takes 28 x 28 images
LABEL_TEN = _data(labels=torch.arange(N) % 11)
NAN_IMAGES = _data()
NAN_IMAGES.images[0, 0, 0, 0] = NAN
X = TRAIN.images.flatten(1)
Y = TRAIN.labels
PROJ = projections.random_projection(4, D, seed=0)
BIG_PROJ = projections.random_projection(4, 784, seed=0)
PCA = projections.pca_projection(X, 4)[0]
TINY = {"epochs": 1, "batch_size": 16}
FIT = {"cnn": TINY, "mlp": TINY}

BAD_DATA = ["abc", None, 3, X, TRAIN.images.numpy(), (X, Y), LABEL_TEN, NAN_IMAGES]
BAD_PROJECTION = ["random", None, 3, np.ones((4, D)), TRAIN]
BAD_DEVICE = ["gpu", 3, True, [0], "cpu:x"]
BAD_SETTINGS = [
    {"epoch": 1},  # a misspelt setting
    {"epochs": 0},
    {"epochs": 1.5},
    {"lr": "fast"},
    {"optimizer": "adamm"},
    {"seed": 1},  # reserved: seed is its own argument
    {"device": "cpu"},
    {"progress": True},
    {1: 2},
]
BAD_MODEL_SETTINGS = [
    TINY,  # not per network
    {"cnn": TINY},
    {"cnn": TINY, "mlp": TINY, "raw": TINY},
    *({"cnn": TINY, "mlp": bad} for bad in BAD_SETTINGS[:5]),
    *({"cnn": bad, "mlp": TINY} for bad in BAD_SETTINGS[5:]),
]
BAD_FEATURES = [
    "abc",
    None,
    X,  # features without labels
    (X,),
    (X, Y, Y),
    (X.numpy(), Y.numpy()),
    (X.view(N, 8, 8), Y),
    (X, Y[:5]),
    (X[:0], Y[:0]),
    (X, Y.float() + 0.5),
    (X, Y + 9),  # class 10 for a 10-class network
    (X, Y - 1),
    (X, Y.bool()),
    (X, Y.view(-1, 1)),
    (torch.full_like(X, NAN), Y),
    (X.to(torch.complex64), Y),
]


def _models():
    return {
        "train": BIG_TRAIN,
        "projection": BIG_PROJ,
        "k": 2,
        "settings": FIT,
        "seed": 0,
        "device": "cpu",
        "progress": False,
    }


SPECS = [
    spec(
        projections.random_projection,
        {"m": 4, "d": D, "seed": 0, "ensemble": "gaussian"},
        {"m": "pos_int", "d": "pos_int", "seed": "seed", "ensemble": "name"},
        says={"m": "dimension M", "d": "dimension D"},
        extra=[("m", D + 1), ("seed", 2**32), ("ensemble", "Gaussian"), ("d", 10**12)],
    ),
    spec(
        projections.pca_projection,
        {"train": X, "m": 3, "whiten": True},
        {"train": "matrix", "m": "rank", "whiten": "flag"},
        says={"train": "training data", "m": "M"},
        extra=[
            ("train", X.to(torch.complex64)),
            ("train", X.numpy() + 1j),
            ("train", [[1.0, 2.0], [3.0, 4.0]]),
            ("train", X[:1]),
            ("train", np.array([["a", "b"], ["c", "d"]])),
            ("train", torch.ones(N, 0)),
            ("m", N),  # more axes than N - 1 examples allow
            ("m", D + 1),
        ],
    ),
    spec(
        PROJ.__call__,
        {"images": X, "batch_size": 8},
        {"images": "matrix", "batch_size": "pos_int"},
        says={"images": "images"},
        extra=[
            ("images", X[:, :10]),
            ("images", OTHER_SIZE),
            ("images", X.to(torch.complex64)),
            ("images", torch.ones(0, D)),
            ("images", [[0.0] * D]),
        ],
    ),
    spec(PCA.top, {"m": 2}, {"m": "rank"}, extra=[("m", 5)]),
    spec(
        projections.Projection,
        {"matrix": PROJ.matrix, "centre": None, "scale": PROJ.scale, "kind": "random", "seed": 0},
        {"matrix": "matrix", "kind": "name", "seed": "seed"},
        skip={"seed": [None]},
        says={"matrix": "matrix R"},
        extra=[
            ("scale", torch.ones(3)),
            ("scale", -PROJ.scale),
            ("scale", "abc"),
            ("centre", torch.ones(D + 1)),
            ("centre", torch.full((D,), NAN)),
            ("centre", "abc"),
        ],
    ),
    spec(
        projections.project,
        {"projection": PROJ, "data": TRAIN},
        {"projection": BAD_PROJECTION, "data": ["abc", None, X, (X, Y), OTHER_SIZE]},
    ),
    spec(
        projections.mlp_accuracy,
        {"train": (X[:16], Y[:16]), "test": (X[16:], Y[16:]), "settings": TINY, "seed": 0, "device": "cpu"},
        {"train": BAD_FEATURES, "test": BAD_FEATURES[:-1], "settings": "dict", "seed": "seed", "device": BAD_DEVICE},
        says={"settings": "settings"},
        extra=[("settings", s) for s in BAD_SETTINGS] + [("test", (X[:, :5], Y))],
    ),
    spec(
        projections.compare_models,
        _models,
        {
            "train": BAD_DATA,
            "projection": BAD_PROJECTION + [PROJ],
            "k": [True, 1, 0, -2, 2.5, "2", None, N + 1],
            "settings": BAD_MODEL_SETTINGS + ["d", None, 3],
            "seed": "seed",
            "device": BAD_DEVICE,
            "progress": "flag",
        },
        says={"k": "fold", "projection": ("projection", "pixels")},
    ),
    spec(
        projections.sweep_dimensions,
        {"train": TRAIN, "test": TEST, "m_values": [2, 4], "settings": TINY, "seed": 0, "device": "cpu"},
        {
            "train": BAD_DATA,
            "test": BAD_DATA + [OTHER_SIZE],
            "m_values": "rank_list",
            "settings": "dict",
            "seed": "seed",
            "device": BAD_DEVICE,
        },
        says={"m_values": ("m_values", "dimension M")},
        extra=[("m_values", [4, N]), ("m_values", None), ("m_values", [4, D + 1])]
        + [("settings", s) for s in BAD_SETTINGS],
    ),
    spec(
        projections.epochs_for,
        {"settings": TINY, "n": 100, "min_steps": 10},
        {"settings": "dict", "n": "pos_int", "min_steps": "pos_int"},
        extra=[
            ("settings", {"epochs": 1}),
            ("settings", {"batch_size": 1}),
            ("settings", {"epochs": "2", "batch_size": 16}),
            ("settings", {"epochs": 1, "batch_size": 0}),
            ("settings", {"epochs": True, "batch_size": 16}),
        ],
    ),
    spec(
        projections.sweep_training_size,
        {
            "subsets": [BIG_TRAIN],
            "test": BIG_TEST,
            "projection": BIG_PROJ,
            "settings": FIT,
            "min_steps": 1,
            "seed": 0,
            "device": "cpu",
        },
        {
            "subsets": ["abc", None, 3, [], BIG_TRAIN, [X], [BIG_TRAIN, None], [TRAIN], [LABEL_TEN], [NAN_IMAGES]],
            "test": BAD_DATA + [TEST],
            "projection": BAD_PROJECTION + [PROJ],
            "settings": BAD_MODEL_SETTINGS + ["d", None, 3, {"cnn": {"epochs": 1}, "mlp": TINY}],
            "min_steps": "pos_int",
            "seed": "seed",
            "device": BAD_DEVICE,
        },
        says={"subsets": "subsets", "projection": ("projection", "pixels")},
    ),
    spec(
        projections.squared_distance_ratios,
        {"projection": PROJ, "points": X[:5]},
        {"projection": BAD_PROJECTION + [PCA], "points": "matrix"},
        says={"projection": ("projection", "random")},
        extra=[
            ("points", X[:1]),
            ("points", X[:5, :10]),
            ("points", torch.cat([X[:2], X[:1]])),
            ("points", X[:5].to(torch.complex64)),
        ],
    ),
]


@pytest.mark.parametrize("s, arg, value", bad_cases(SPECS))
def test_bad_input_is_refused_by_name(s, arg, value):
    check_bad(s, arg, value)


@pytest.mark.parametrize("s", good_cases(SPECS))
def test_numpy_scalars_are_accepted(s):
    check_good(s)


def test_complex_training_data_is_refused_not_truncated():
    # the bug: NumPy dropped the imaginary part with a ComplexWarning and PCA went on
    x = np.random.default_rng(0).standard_normal((10, 6))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError, match="training data must be real, got a complex array"):
            projections.pca_projection(x + 1j * x, 2)
        with pytest.raises(TypeError, match="training data must be real, got a complex tensor"):
            projections.pca_projection(torch.from_numpy(x + 1j * x), 2)
        with pytest.raises(TypeError, match="images must be real"):
            PROJ(torch.ones(2, D, dtype=torch.complex64))


def test_arrays_keep_their_precision_and_match_tensors():
    x = np.random.default_rng(1).standard_normal((12, 6))
    a, ea = projections.pca_projection(x, 3)
    b, eb = projections.pca_projection(torch.from_numpy(x), 3)
    assert np.array_equal(ea, eb) and torch.equal(a.matrix, b.matrix)
    # ImageData, its image tensor and the flattened vectors give the same projection
    c, ec = projections.pca_projection(TRAIN, 3)
    e, ee = projections.pca_projection(TRAIN.images.flatten(1), 3)
    assert np.array_equal(ec, ee) and torch.equal(c.matrix, e.matrix)
    assert torch.equal(c(TRAIN), c(TRAIN.images)) and torch.equal(c(TRAIN.images.numpy()), c(TRAIN.images))
    # integer and boolean images are read as numbers, as before
    assert PROJ(torch.ones(2, D, dtype=torch.int64)).shape == (2, 4)


def test_labels_outside_the_ten_classes_are_refused_before_training():
    with pytest.raises(ValueError, match="labels must be class indices from 0 to 9, got values from 0 to 10"):
        projections.compare_models(LABEL_TEN, BIG_PROJ, k=2, settings=FIT, device="cpu")


def test_a_misspelt_setting_is_refused_before_training_with_a_suggestion():
    with pytest.raises(TypeError, match=r"settings\['mlp'\]: unknown training setting.*did you mean 'epochs'"):
        projections.compare_models(BIG_TRAIN, BIG_PROJ, k=2, settings={"cnn": TINY, "mlp": {"epoch": 1}}, device="cpu")


def test_the_cnn_image_size_is_checked_before_training():
    with pytest.raises(ValueError, match="train has 8 x 8 images, but the report's CNN takes 28 x 28"):
        projections.compare_models(TRAIN, PROJ, k=2, settings=FIT, device="cpu")
