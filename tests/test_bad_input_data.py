"""Bad input to every public function of ``helpers.data`` (see ``tests/badinput.py``).

The loading functions read a tiny fake MNIST (60 training and 30 test images,
see ``conftest.make_fake_mnist``) written into each test's private cache
folder; everything else works on ImageData made directly from small tensors.
"""

import numpy as np
import pytest
import torch
from badinput import INF, NAN, bad_cases, check_bad, check_good, good_cases, spec
from conftest import make_fake_mnist, snapshot, write_idx

from helpers import config, data
from helpers.data import ImageData

CLASSES = tuple("abcdefghij")
IMAGES = torch.rand(20, 1, 4, 4, generator=torch.Generator().manual_seed(0))
LABELS = torch.arange(20) % 10
RGB = torch.rand(6, 3, 4, 4, generator=torch.Generator().manual_seed(1))


def _data(**changes) -> ImageData:
    fields = {
        "images": IMAGES,
        "labels": LABELS,
        "classes": CLASSES,
        "name": "mnist",
        "split": "test",
        "source": "synthetic",
        "exact": True,
    }
    return ImageData(**{**fields, **changes})


DATA = _data()
NORMALISED = _data(images=(IMAGES - 0.5) / 0.25, mean=(0.5,), std=(0.25,))


def _fake_root():
    """A tiny MNIST and Fashion-MNIST in torchvision's layout, inside this test's cache folder."""
    root = config.cache_dir() / "fake-data"
    if not root.is_dir():
        make_fake_mnist(root)
        make_fake_mnist(root, folder="FashionMNIST", seed=1)
    return root


def _load_args():
    return {
        "name": "mnist",
        "split": "test",
        "root": _fake_root(),
        "subset": 20,
        "seed": 0,
        "grayscale": False,
        "normalize": False,
    }


def _load_splits_args():
    return {"name": "mnist", "train_subset": 20, "test_subset": 10, "root": _fake_root()}


def _idx_args():
    path = config.cache_dir() / "labels-idx1-ubyte"
    write_idx(path, np.arange(10))
    return {"path": path, "ndim": 1}


BAD_ROOT = [3, True, 1.5, b"/tmp", ["/tmp"], "", "   ", "a\0b"]
BAD_SPLIT = [3, None, True, "validation", "Train", ["train"]]
BAD_IMAGES_4D = [
    "abc",
    None,
    np.ones((2, 3, 4, 4)),
    torch.ones(3),
    torch.ones(2, 3, 4),
    torch.ones(0, 3, 4, 4),
    torch.full((2, 3, 4, 4), NAN),
    torch.full((2, 3, 4, 4), INF),
    torch.zeros(2, 3, 4, 4, dtype=torch.uint8),
    torch.ones(2, 3, 4, 4, dtype=torch.complex64),
]
BAD_DATASETS = [None, "abc", 3, {}, {"a": 3}, [DATA], {"a": DATA, "b": IMAGES}]

SPECS = [
    spec(data.canonical_name, {"name": "mnist"}, {"name": "name"}, says={"name": ("name", "dataset")}),
    spec(data.data_root, {"root": str(config.REPO_ROOT)}, {"root": BAD_ROOT}),
    spec(
        data.read_idx,
        _idx_args,
        {
            "path": ([None, 3, True, b"/tmp/x", "", "  ", "a\0b", "/", ["f"]]),
            "ndim": ([True, 0, -1, 1.5, "1", [1]]),
        },
        extra=[("ndim", 3)],  # a label file read as images
        says={"ndim": ("ndim", "dimension")},
    ),
    spec(
        data.load,
        _load_args,
        {
            "name": "name",
            "split": BAD_SPLIT,
            "root": BAD_ROOT,
            "subset": "count",
            "seed": "seed",
            "grayscale": "flag",
            "normalize": "flag",
        },
        skip={"subset": [None]},
        extra=[("subset", 31), ("subset", 10**6), ("subset", 5), ("seed", 2**32)],
        says={"name": ("name", "dataset"), "subset": "subset"},
    ),
    spec(
        data.load_splits,
        _load_splits_args,
        {"name": "name", "train_subset": "count", "test_subset": "count"},
        skip={"train_subset": [None], "test_subset": [None]},
        extra=[("train_subset", 61), ("test_subset", 31), ("subset", 5), ("split", "train"), ("root", "")],
        says={"name": ("name", "dataset"), "train_subset": "subset", "test_subset": "subset"},
    ),
    spec(
        data.stratified_indices,
        {"labels": np.arange(40) % 4, "n": 8, "seed": 0},
        {
            "labels": (
                [
                    "abc",
                    None,
                    3,
                    np.ones((4, 10), dtype=int),
                    np.array([], dtype=int),
                    np.arange(40) / 4,
                    np.array([0.0, NAN] * 20),
                    np.array([1 + 1j, 2] * 20),
                    [1, None] * 20,
                    np.array([0] * 30 + [1] * 9 + [2]),  # class 2 has one example
                ]
            ),
            "n": "count",
            "seed": "seed",
        },
        extra=[("n", 41), ("n", 3), ("n", 37), ("seed", 2**32)],
        says={"n": "subset", "labels": ("labels",)},
    ),
    spec(
        data.split_held_out,
        {"data": DATA, "n_select": 10, "seed": 0},
        {
            "data": ([None, "abc", 3, (IMAGES, LABELS), _data(images=IMAGES[:1], labels=LABELS[:1])]),
            "n_select": "count",
            "seed": "seed",
        },
        extra=[("n_select", 20), ("n_select", 25), ("n_select", 5), ("n_select", 15), ("seed", 2**32)],
        says={"n_select": ("n_select", "subset")},
    ),
    spec(data.to_grayscale, {"images": RGB}, {"images": (BAD_IMAGES_4D + [torch.ones(2, 1, 4, 4)])}),
    spec(
        data.channel_stats,
        {"images": RGB},
        {"images": (BAD_IMAGES_4D + [torch.ones(1, 3, 1, 1)])},
    ),
    spec(
        data.weighted_channel_sum,
        {"images": RGB, "weights": [0.2989, 0.587, 0.114]},
        {
            "images": BAD_IMAGES_4D,
            "weights": (
                [
                    "abc",
                    None,
                    3,
                    [0.5, 0.5],
                    [NAN, 0.5, 0.5],
                    [INF, 0, 0],
                    [[0.3, 0.6, 0.1]],
                    [1j, 0, 0],
                    ["a", "b", "c"],
                ]
            ),
        },
    ),
    spec(data.split_summary, {"datasets": {("mnist", "test"): DATA}}, {"datasets": BAD_DATASETS}),
    spec(
        data.class_balance_summary,
        {"datasets": {("mnist", "test"): DATA}},
        {"datasets": BAD_DATASETS},
        extra=[("datasets", {"x": _data(images=IMAGES[:5], labels=LABELS[:5])})],  # classes without examples
        says={"datasets": ("datasets", "class without examples")},
    ),
    spec(
        ImageData,
        {
            "images": IMAGES,
            "labels": LABELS,
            "classes": CLASSES,
            "name": "mnist",
            "split": "test",
            "source": "synthetic",
            "exact": True,
            "mean": (0.0,),
            "std": (1.0,),
            "fingerprint": {},
        },
        {
            "images": (
                [
                    "abc",
                    None,
                    np.ones((20, 1, 4, 4)),
                    torch.ones(20, 4, 4),
                    torch.ones(19, 1, 4, 4),
                    torch.zeros(20, 1, 4, 4, dtype=torch.uint8),
                    torch.full((20, 1, 4, 4), NAN),
                ]
            ),
            "labels": (
                [
                    None,
                    "abc",
                    np.arange(20) % 10,
                    torch.zeros(20),
                    torch.zeros(20, 1, dtype=torch.long),
                    torch.arange(20),  # label 19 with 10 classes
                    torch.full((20,), -1),
                    torch.zeros(20, dtype=torch.bool),
                ]
            ),
            "classes": ([None, "abcdefghij", 3, (), tuple(range(10)), ("a", "b")]),
            "name": ([3, None, True, "imagenet", ""]),
            "split": BAD_SPLIT,
            "source": ([3, None, b"synthetic"]),
            "exact": "flag",
            "mean": (["abc", None, (0.0, 0.0, 0.0), (NAN,), (), (1j,), ((0.0,),)]),
            "std": ([(0.0,), (-1.0,), (NAN,), (INF,), "abc", (1.0, 1.0, 1.0), None]),
            "fingerprint": ([None, "abc", 3, [("a", 1)]]),
        },
        extra=[("std", (1.0, 1.0))],
        says={"classes": ("classes",), "labels": ("labels",)},
    ),
    spec(
        NORMALISED.denormalize,
        {"images": NORMALISED.images[:4]},
        {"images": (BAD_IMAGES_4D + [RGB, torch.zeros(2, 1, 4, 4, dtype=torch.uint8), np.ones((2, 1, 4, 4))])},
        skip={"images": [None]},
    ),
]


@pytest.mark.parametrize("s", SPECS, ids=lambda s: s.name)
def test_valid_calls_succeed(s):
    # otherwise a bad value could be "refused" for the valid call's own fault
    s.fn(**(s.factory() if s.factory is not None else s.valid))


@pytest.mark.parametrize("s, arg, value", bad_cases(SPECS))
def test_bad_input_is_refused_by_name(s, arg, value):
    check_bad(s, arg, value)


@pytest.mark.parametrize("s", good_cases(SPECS))
def test_numpy_scalars_are_accepted(s):
    check_good(s)


def test_loading_bad_input_never_writes_into_the_root():
    root = _fake_root()
    before = snapshot(root)
    for bad in ({"subset": 0}, {"seed": -1}, {"normalize": "yes"}, {"split": "val"}):
        with pytest.raises((TypeError, ValueError)):
            data.load("mnist", **{"split": "train", "root": root, **bad})
    assert snapshot(root) == before


# Regression tests for the bugs the battery found (and those the issue named).


def test_normalize_on_constant_images_is_refused_not_nan(tmp_path):
    # Zero standard deviation used to divide by zero: every pixel NaN, silently.
    root = make_fake_mnist(tmp_path / "blank")
    raw = root / "MNIST" / "raw"
    write_idx(raw / "train-images-idx3-ubyte", np.zeros((60, 28, 28)))
    with pytest.raises(ValueError, match=r"normalize=True cannot standardise MNIST.*channel\(s\) \[0\].*same value"):
        data.load("mnist", "test", root=root, normalize=True)
    plain = data.load("mnist", "test", root=root)  # without normalize the images load
    assert bool(torch.isfinite(plain.images).all())


def test_image_data_refuses_a_zero_standard_deviation():
    with pytest.raises(ValueError, match="ImageData std must be positive"):
        _data(std=(0.0,))


def test_denormalize_refuses_images_with_another_channel_count():
    # Three means on one-channel images used to broadcast to three channels.
    with pytest.raises(ValueError, match=r"images must have 1 channel\(s\), got 3"):
        NORMALISED.denormalize(RGB)
    colour = ImageData(RGB, torch.arange(6) % 3, ("a", "b", "c"), "cifar10", "test", "s", True, (0.4,) * 3, (0.2,) * 3)
    with pytest.raises(ValueError, match=r"images must have 3 channel\(s\), got 1"):
        colour.denormalize(IMAGES)
    with pytest.raises(ValueError, match=r"ImageData mean must hold one value per channel \(1\) or a single value"):
        _data(mean=(0.4, 0.5, 0.6), std=(0.2, 0.2, 0.2))
    assert torch.allclose(NORMALISED.denormalize(), IMAGES, atol=1e-6)
    assert torch.allclose(colour.denormalize(RGB[:2]), RGB[:2] * 0.2 + 0.4)


def test_blank_data_root_is_never_the_current_folder(monkeypatch, tmp_path):
    make_fake_mnist(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LAAIC_DATA_ROOT", "")
    assert data.data_root() is None
    for blank in ("", " "):
        with pytest.raises(ValueError, match="root is an empty string"):
            data.data_root(blank)
        with pytest.raises(ValueError, match="root is an empty string"):
            data.load("mnist", root=blank)


def test_numpy_seed_and_subset_give_the_same_data_and_fingerprint():
    root = _fake_root()
    a = data.load("mnist", "train", root=root, subset=20, seed=3)
    b = data.load("mnist", "train", root=root, subset=np.int64(20), seed=np.int64(3))
    assert torch.equal(a.images, b.images) and a.fingerprint == b.fingerprint
    assert type(b.fingerprint["subset"]) is int and type(b.fingerprint["subset_seed"]) is int
    s1, _ = data.split_held_out(a, np.int64(10), seed=np.int64(1))
    s2, _ = data.split_held_out(a, 10, seed=1)
    assert s1.fingerprint == s2.fingerprint and type(s1.fingerprint["split_seed"]) is int


def test_stratified_indices_explains_what_sklearn_would_not():
    labels = np.array([0] * 30 + [1] * 9 + [2])
    with pytest.raises(ValueError, match=r"the labels have only one example of class\(es\) \[2\]"):
        data.stratified_indices(labels, 10)
    with pytest.raises(ValueError, match="would leave out fewer examples"):
        data.stratified_indices(np.arange(40) % 4, 38)
    with pytest.raises(TypeError, match="labels must be integer class indices, got dtype float64"):
        data.stratified_indices(np.arange(40) / 4, 8)
    assert len(data.stratified_indices(torch.arange(40) % 4, 8)) == 8  # tensors are labels too


def test_channel_stats_and_weighted_sum_refuse_what_torch_would_fail_on():
    with pytest.raises(TypeError, match="floating-point"):
        data.channel_stats(torch.zeros(2, 3, 4, 4, dtype=torch.uint8))  # was torch's "could not infer output dtype"
    with pytest.raises(ValueError, match="only 1 pixel per channel"):
        data.channel_stats(torch.ones(1, 3, 1, 1))  # was a NaN standard deviation
    with pytest.raises(TypeError, match="weights must be an array of numbers"):
        data.weighted_channel_sum(RGB, "abc")  # was "could not convert string to float"
    with pytest.raises(ValueError, match="weights contains 1 NaN"):
        data.weighted_channel_sum(RGB, [NAN, 0.5, 0.5])


def test_image_data_accepts_aliases_and_checks_labels_against_classes():
    assert _data(name="MNIST").name == "mnist"
    with pytest.raises(ValueError, match="labels must be class indices from 0 to 1"):
        _data(classes=("a", "b"))  # class_counts would have silently grown to 10 classes
    with pytest.raises(ValueError, match="name must be a dataset name"):
        _data(name="imagenet")  # .title used to fail with a KeyError


def test_read_idx_refuses_a_wrong_ndim_and_a_folder(tmp_path):
    path = write_idx(tmp_path / "labels", np.arange(10))
    assert data.read_idx(path, ndim=np.int64(1)).tolist() == list(range(10))
    with pytest.raises(TypeError, match="ndim must be an integer"):
        data.read_idx(path, ndim=True)  # True == 1 used to pass
    with pytest.raises(ValueError, match="is a folder, not an IDX file"):
        data.read_idx(tmp_path)
