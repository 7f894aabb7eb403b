"""Bad input to every public function of ``helpers.svd`` (see ``tests/badinput.py``)."""

import numpy as np
import pytest
from badinput import bad_cases, check_bad, check_good, good_cases, spec

from helpers import svd

A = np.arange(12.0).reshape(3, 4) + np.eye(3, 4)
S = np.array([3.0, 2.0, 1.0])
IMG = np.linspace(0, 1, 64).reshape(8, 8)
X = np.random.default_rng(0).random((20, 5))
Y = np.arange(20) % 2

SPECS = [
    spec(svd.svd_via_eig, {"a": A}, {"a": "matrix"}, says={"a": "A"}),
    spec(
        svd.low_rank,
        {"a": A, "k": 2},
        {"a": "matrix", "k": "rank"},
        says={"a": "A", "k": "rank k"},
        skip={"a": [np.ones((3, 3)) * 1j]},
        extra=[("a", np.ones((3, 3)) * 1j)],
    ),
    spec(svd.rank_one_terms, {"a": A, "k": 2}, {"a": "matrix", "k": "rank"}, says={"a": "A", "k": "rank k"}),
    spec(
        svd.eckart_young_error,
        {"s": S, "k": 1},
        {"s": "vector", "k": "nonneg_int"},
        says={"k": "rank k"},
        extra=[("s", np.array([-1.0, 2.0])), ("s", np.array([1.0, 2.0])), ("k", 4)],
    ),
    spec(
        svd.storage,
        {"m": 8, "n": 9, "k": 2, "channels": 1},
        {"m": "pos_int", "n": "pos_int", "k": "rank", "channels": "pos_int"},
        says={"k": "rank k"},
    ),
    spec(
        svd.energy,
        {"s": S},
        {"s": "vector"},
        extra=[("s", np.array([-1.0, 0.5])), ("s", np.zeros(3))],
        says={"s": ("s ", "singular values")},
    ),
    spec(svd.rank_for_energy, {"s": S, "fraction": 0.9}, {"s": "vector", "fraction": "fraction"}),
    spec(svd.stable_rank, {"s": S}, {"s": "vector"}, says={"s": ("s ", "singular values")}),
    spec(
        svd.psnr,
        {"clean": IMG, "estimate": IMG * 0.9, "data_range": 1.0},
        {"clean": "image", "estimate": "image", "data_range": "positive"},
        extra=[("estimate", np.ones((4, 4)))],
        says={"estimate": ("estimate",)},
    ),
    spec(svd.add_noise, {"image": IMG, "sigma": 0.1, "seed": 0}, {"image": "image", "sigma": "nonneg", "seed": "seed"}),
    spec(svd.gavish_donoho_lambda, {"beta": 0.5}, {"beta": "fraction"}),
    spec(
        svd.gavish_donoho_rank,
        {"s": S, "shape": (3, 4), "sigma": 0.1},
        {"s": "vector", "sigma": "nonneg"},
        extra=[("shape", (3,)), ("shape", "34"), ("shape", (0, 4)), ("shape", (3.5, 4)), ("shape", None)],
        says={"s": ("s ", "singular values")},
    ),
    spec(svd.denoise, {"noisy": IMG, "k": 2}, {"noisy": "image", "k": "rank"}, says={"k": "rank k"}),
    spec(
        svd.denoising_study,
        {"clean": IMG, "sigma": 0.1, "energy_fraction": 0.9, "seed": 0},
        {"clean": "image", "sigma": "nonneg", "energy_fraction": "fraction", "seed": "seed"},
    ),
    spec(
        svd.bundled_image,
        {"name": "camera", "gray": True, "half": True},
        {"name": "name", "gray": "flag", "half": "flag"},
        says={"name": ("name", "bundled")},
        extra=[("name", "_fetch"), ("name", "download_all")],
    ),
    spec(
        svd.truncation_sweep,
        {"image": IMG, "ks": [1, 2], "s": None},
        {"image": "image", "ks": "rank_list"},
        says={"ks": ("ks", "rank k")},
        extra=[("s", np.ones(3)), ("s", np.array([1.0, -1, 0, 0, 0, 0, 0, 0])), ("s", "abc")],
    ),
    spec(
        svd.nearest_centroid_accuracies,
        {"train_x": X, "train_y": Y, "test_x": X[:6], "test_y": Y[:6], "ks": [1, 5]},
        {"train_x": "matrix", "test_x": "matrix", "ks": "rank_list"},
        says={"ks": ("ks", "rank k")},
        extra=[("train_y", Y[:5]), ("test_y", "abc"), ("test_x", X[:, :3])],
    ),
    spec(
        svd.subspace_bases,
        {"images": X, "labels": Y, "k_max": 3},
        {"images": "matrix", "k_max": "rank"},
        says={"k_max": "k_max"},
        extra=[("labels", Y[:5]), ("labels", Y + 0.5), ("labels", -Y), ("k_max", 11)],
    ),
    spec(
        svd.subspace_predict,
        {"bases": svd.subspace_bases(X, Y, 3), "images": X[:4], "ks": [1, 3]},
        {"images": "matrix", "ks": "rank_list"},
        says={"ks": ("ks", "rank k")},
        extra=[("bases", np.ones((2, 5))), ("bases", "abc"), ("images", X[:4, :3])],
    ),
    spec(svd.check_rank, {"k": 2, "top": 3, "what": "the test"}, {"k": "rank"}, says={"k": "rank k"}),
    spec(svd.positive_int, {"value": 2, "name": "the count"}, {"value": "pos_int"}, says={"value": "the count"}),
]


@pytest.mark.parametrize("s, arg, value", bad_cases(SPECS))
def test_bad_input_is_refused_by_name(s, arg, value):
    check_bad(s, arg, value)


@pytest.mark.parametrize("s", good_cases(SPECS))
def test_numpy_scalars_are_accepted(s):
    check_good(s)


def test_complex_input_is_refused_not_truncated():
    with pytest.raises(TypeError, match="complex"):
        svd.low_rank(A + 1j * A, 2)
    with pytest.raises(TypeError, match="complex"):
        svd.energy(S + 0j)
