"""Bad input to every public function of ``helpers.double_descent`` (see ``tests/badinput.py``)."""

import warnings

import numpy as np
import pytest
import torch
from badinput import INF, NAN, bad_cases, check_bad, check_good, good_cases, spec

from helpers import double_descent as dd
from helpers.data import ImageData

RNG = np.random.default_rng(0)
X = RNG.standard_normal((12, 5))
Y = np.arange(12) % 3
XT, YT = X[:6] + 0.1, Y[:6]
F = np.maximum(RNG.standard_normal((8, 10)), 0)
FIT = dd.SVDFit(F)
S = FIT.s

# labels: wrong type, shape, dtype, out of range
BAD_LABELS = [
    "abc",
    None,
    np.ones((12, 1), dtype=int),
    np.zeros(0, dtype=int),
    Y + 0.5,
    Y.astype(float),
    Y.astype(bool),
    Y + 1j,
    Y - 1,
    Y + 10,
    np.array(["a"] * 12),
]
BAD_INPUTS = ["abc", None, X[0], X[:0], np.full_like(X, NAN), X + 1j, X[None]]
WIDTHS = ["12", 3, [], [0], [2.5], [True], None, [4, -1]]
SEEDS = ["0", 0, [], [-1], [1.5], [True], None, [2**32]]
RIDGES = ["0.1", 0.1, [], [-0.1], [NAN], [INF], [1j], [True], None]
GEN = torch.Generator().manual_seed(0)
IMAGES = torch.rand(8, 1, 28, 28, generator=GEN)
LABELS = torch.arange(8) % 10
TEST = (IMAGES[:4], LABELS[:4])
TEST_DATA = ImageData(IMAGES[:4], LABELS[:4], tuple("0123456789"), "mnist", "test", "made up", True)


def _sweep():
    return {"images": IMAGES, "labels": LABELS, "test": TEST, "widths": [1], "epochs": 1, "device": "cpu"}


SPECS = [
    spec(
        dd.random_relu_features,
        {"x": X, "width": 4, "seed": 0, "weights": None},
        {"x": "matrix", "width": "pos_int", "seed": "seed"},
        says={"x": "inputs x", "width": "width N"},
        extra=[
            ("weights", np.ones((4, 3))),
            ("weights", "abc"),
            ("weights", np.ones(5)),
            ("weights", np.ones((5, 2)) * NAN),
        ],
    ),
    spec(
        dd.one_hot,
        {"labels": Y, "num_classes": 3},
        {"labels": BAD_LABELS, "num_classes": "pos_int"},
        extra=[("num_classes", 2), ("labels", [0, 1, 2, 3])],
        says={"num_classes": ("num_classes", "labels")},
    ),
    spec(
        dd.add_label_noise,
        {"labels": Y, "fraction": 0.2, "num_classes": 3, "seed": 0},
        {"labels": BAD_LABELS, "fraction": "prob", "num_classes": "pos_int", "seed": "seed"},
        says={"fraction": "noise fraction", "num_classes": ("num_classes", "labels")},
        extra=[("fraction", 1j), ("fraction", INF), ("num_classes", 1)],
    ),
    spec(
        dd.filter_factors,
        {"s": S, "lam": 0.1, "rcond": 1e-10},
        {"s": "vector", "lam": "nonneg", "rcond": "nonneg"},
        says={"s": "singular values", "lam": "ridge strength"},
        extra=[("s", np.array([1.0, 2.0])), ("s", np.array([1.0, -1.0])), ("lam", 0.0j)],
    ),
    spec(dd.SVDFit, {"features": F}, {"features": "matrix"}, extra=[("features", F[None]), ("features", [["a"]])]),
    spec(
        FIT.coefficients,
        {"targets": np.ones(8), "lam": 0.5},
        {"targets": "values", "lam": "nonneg"},
        says={"lam": "ridge strength"},
        extra=[("targets", np.ones(7)), ("targets", np.ones((8, 2, 2))), ("targets", np.ones((0, 2)))],
    ),
    spec(
        dd.tuned_ridge_curve,
        {
            "x_train": X,
            "y_train": Y,
            "x_val": XT,
            "y_val": YT,
            "x_test": XT,
            "y_test": YT,
            "widths": [4, 12],
            "ridges": [0.0, 1.0],
            "seeds": [0],
            "num_classes": 3,
        },
        {
            "x_train": BAD_INPUTS,
            "y_train": BAD_LABELS,
            "x_val": BAD_INPUTS + [XT[:, :4]],
            "y_val": BAD_LABELS[:4] + [YT[:5], YT + 3],
            "x_test": BAD_INPUTS + [XT[:, :4]],
            "y_test": BAD_LABELS[:4] + [YT[:5], YT - 1],
            "widths": WIDTHS,
            "ridges": RIDGES,
            "seeds": SEEDS,
            "num_classes": "pos_int",
        },
        says={
            "widths": ("widths", "width N"),
            "ridges": ("ridges", "ridge strength"),
            "num_classes": ("num_classes", "y_train"),
        },
    ),
    spec(
        dd.sweep_widths,
        {
            "x_train": X,
            "y_train": Y,
            "x_test": XT,
            "y_test": YT,
            "widths": [4, 12],
            "seeds": [0],
            "ridges": [0.0],
            "noises": [0.0, 0.2],
            "num_classes": 3,
        },
        {
            "x_train": BAD_INPUTS,
            "y_train": BAD_LABELS,
            "x_test": BAD_INPUTS + [XT[:, :4]],
            "y_test": BAD_LABELS[:4] + [YT[:5], YT + 3],
            "widths": WIDTHS,
            "seeds": SEEDS,
            "ridges": RIDGES,
            "noises": ["0.1", 0.1, [], [-0.1], [1.5], [NAN], [True], None],
            "num_classes": "pos_int",
        },
        says={
            "widths": ("widths", "width N"),
            "ridges": ("ridges", "ridge strength"),
            "noises": ("noises", "noise fraction"),
            "num_classes": ("num_classes", "y_train"),
        },
        extra=[("num_classes", 1), ("seeds", [2**32 - 1])],
    ),
    spec(
        dd.as_vectors,
        {"images": IMAGES},
        {"images": ["abc", None, np.ones(5), np.ones((0, 3)), torch.full((2, 3), NAN), torch.ones(2, 3) * 1j]},
        extra=[("images", np.ones((2, 2)) + 1j), ("images", [["a", "b"]]), ("images", np.ones((2, 0)))],
    ),
    spec(
        dd.log_widths,
        {"n": 100, "count": 5, "down": 20.0, "up": 10.0},
        {"n": "pos_int", "count": "pos_int", "down": "positive", "up": "positive"},
        says={"n": "training examples n", "count": "count of widths", "down": ("down", "up"), "up": ("up",)},
        extra=[("up", 0.01)],
    ),
    spec(
        dd.largest_rise,
        {"curve": [1.0, 0.5, 0.6]},
        {"curve": "vector"},
        extra=[("curve", [1.0]), ("curve", [1.0, 0.0]), ("curve", [1.0, -2.0]), ("curve", np.ones((2, 2)))],
    ),
    spec(
        dd.train_width_sweep,
        _sweep,
        {
            "images": [
                "abc",
                None,
                IMAGES.numpy(),
                IMAGES[0],
                IMAGES[:0],
                IMAGES.double().int(),
                IMAGES[:, :, :20, :20],
                torch.full_like(IMAGES, NAN),
            ],
            "labels": [
                "abc",
                None,
                LABELS[:5],
                LABELS.float() + 0.5,
                LABELS + 10,
                LABELS - 1,
                LABELS.view(-1, 1),
                LABELS.bool(),
            ],
            "test": [
                "abc",
                None,
                IMAGES,
                (IMAGES,),
                (IMAGES[:4, :, :20, :20], LABELS[:4]),
                (IMAGES[:4], LABELS[:3]),
                (IMAGES[:4], LABELS[:4] + 10),
            ],
            "widths": WIDTHS,
            "epochs": "pos_int",
            "device": ["gpu", 3, True, [0]],
            "verbose": "flag",
        },
        says={"widths": ("widths", "width"), "test": ("test",)},
        extra=[("config", "adam"), ("config", {"lr": 0.1})],
    ),
]


@pytest.mark.parametrize("s, arg, value", bad_cases(SPECS))
def test_bad_input_is_refused_by_name(s, arg, value):
    check_bad(s, arg, value)


@pytest.mark.parametrize("s", good_cases(SPECS))
def test_numpy_scalars_are_accepted(s):
    check_good(s)


def test_an_unknown_training_setting_is_refused():
    with pytest.raises(TypeError, match="did you mean 'batch_size'"):
        dd.train_width_sweep(IMAGES, LABELS, TEST, [1], epochs=1, device="cpu", batchsize=8)


def test_the_test_set_may_be_image_data_and_labels_an_array():
    rows = dd.train_width_sweep(IMAGES, LABELS.numpy(), TEST_DATA, [1], epochs=1, device="cpu")
    assert len(rows) == 1 and 0 <= rows[0]["test_err"] <= 1


def test_complex_images_are_refused_not_truncated():
    # np.asarray(...).astype(float64) dropped the imaginary part with a ComplexWarning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError, match="images must be real"):
            dd.as_vectors(np.ones((2, 3)) + 1j)
        with pytest.raises(TypeError, match="inputs x must be real"):
            dd.random_relu_features(X + 1j, 3)


def test_as_vectors_copies_and_reads_image_data_tensors_and_arrays_alike():
    before = TEST_DATA.images.clone()
    v = dd.as_vectors(TEST_DATA)
    assert np.array_equal(v, dd.as_vectors(TEST_DATA.images)) and np.array_equal(v, dd.as_vectors(IMAGES[:4].numpy()))
    v -= 1.0  # centring the vectors in place must leave the images alone
    assert torch.equal(TEST_DATA.images, before)
    t = torch.ones(2, 3, dtype=torch.float64)  # float64: no conversion, so only a copy keeps it apart
    dd.as_vectors(t)[0, 0] = 5.0
    assert float(t[0, 0]) == 1.0
    a = np.ones((2, 3))
    dd.as_vectors(a)[0, 0] = 5.0
    assert a[0, 0] == 1.0


def test_float_labels_are_refused_rather_than_used_as_indices():
    # np.eye(k)[labels] raised IndexError for float labels; truncating 1.5 to 1 would be silently wrong
    with pytest.raises(TypeError, match=r"labels must be integer class indices, got dtype float64"):
        dd.one_hot(np.array([0.0, 1.5]))


def test_unsorted_singular_values_are_refused():
    # the pseudo-inverse cut-off is relative to s[0], assumed the largest: unsorted input gave a wrong filter
    with pytest.raises(ValueError, match="descending order"):
        dd.filter_factors(np.array([1e-12, 1.0]), 0.0)


def test_one_class_cannot_be_flipped_to_another():
    # rng.integers(1, 1) raised a NumPy error for num_classes=1
    with pytest.raises(ValueError, match="num_classes must be an integer >= 2"):
        dd.add_label_noise(np.zeros(5, dtype=int), 0.5, num_classes=1)


def test_a_string_of_widths_is_not_iterated_digit_by_digit():
    with pytest.raises(TypeError, match="widths must be a list, got '12'"):
        dd.sweep_widths(X, Y, XT, YT, "12", num_classes=3)
