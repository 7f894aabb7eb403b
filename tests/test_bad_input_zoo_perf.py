"""Bad input to every public function of ``helpers.zoo`` and ``helpers.perf`` (see ``tests/badinput.py``).

No zoo entry trains here except in the NumPy-scalar replays, which train on
the tiny fake MNIST of ``conftest.make_fake_mnist`` (60 images, one epoch)
inside the test's private cache: the book's cached models are never touched.
"""

import atexit
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from badinput import bad_cases, check_bad, check_good, good_cases, spec
from conftest import make_fake_mnist
from torch import nn

import helpers
from helpers import perf, zoo
from helpers.train import FitConfig

QUICK = helpers.setup(quick=True, device="cpu", seed=0)
CFG = ["cfg", None, 3, {"quick": True}]
SUBSET = [True, 0, -1, 2.5, "3", [1]]  # None means all of the training split
OVERRIDES = {"epochs": "pos_int", "lr": "positive", "batch_size": "pos_int", "train_subset": SUBSET}
KEEP = {"epochs": [None], "lr": [None], "batch_size": [None]}  # an override of None keeps the recipe's value
OVERRIDE_EXTRA = [("epoch", 1), ("seed", 1), ("optimizer", "rmsprop"), ("weight_decay", -1.0)]

_FAKE = {}


def fake_root() -> Path:
    """The tiny fake MNIST and Fashion-MNIST, written once per session into a temporary folder."""
    if "root" not in _FAKE:
        folder = tempfile.mkdtemp(prefix="laaic-fake-mnist-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        root = Path(folder) / "data"
        make_fake_mnist(root)
        make_fake_mnist(root, folder="FashionMNIST", seed=1)
        _FAKE["root"] = root
    return _FAKE["root"]


def zoo_call():
    """A valid zoo call: the fake data, every training image (60), one epoch of batches of 16."""
    return {
        "cfg": QUICK,
        "data_root": fake_root(),
        "progress": False,
        "retrain": False,
        "epochs": 1,
        "batch_size": 16,
        "lr": 1e-3,
        "train_subset": None,
    }


ZOO_KINDS = {"cfg": CFG, "progress": "flag", "retrain": "flag", **OVERRIDES}

SPECS = [
    # --- zoo ------------------------------------------------------------------------------------------
    spec(
        zoo.Recipe,
        {"fit": FitConfig(epochs=1), "train_subset": 100},
        {"fit": ["fit", None, 3, {"epochs": 1}], "train_subset": SUBSET},
    ),
    spec(
        zoo.TINYCONVNET_QUICK.with_overrides,
        {"what": "TinyConvNet", "epochs": 2, "lr": 1e-3, "train_subset": 100},
        {"what": [3, None, True], **OVERRIDES},
        extra=OVERRIDE_EXTRA,
        skip=KEEP,
        says={"epoch": "unknown TinyConvNet setting", "seed": "unknown TinyConvNet setting"},
    ),
    spec(
        zoo.tinyconvnet_recipe,
        {"cfg": QUICK, "epochs": 2, "lr": 1e-3, "train_subset": 100},
        {"cfg": CFG, **OVERRIDES},
        extra=OVERRIDE_EXTRA,
        skip=KEEP,
        says={"cfg": "Config", "epoch": "unknown TinyConvNet setting", "seed": "unknown TinyConvNet setting"},
    ),
    spec(
        zoo.tinyconvnet_settings,
        {"cfg": QUICK, "epochs": 2, "lr": 1e-3, "train_subset": 100},
        {"cfg": CFG, **OVERRIDES},
        extra=OVERRIDE_EXTRA,
        skip=KEEP,
        says={"cfg": "Config", "epoch": "unknown TinyConvNet setting", "seed": "unknown TinyConvNet setting"},
    ),
    spec(
        zoo.reportcnn_recipe,
        {"cfg": QUICK, "epochs": 2, "lr": 1e-3, "train_subset": 100},
        {"cfg": CFG, **OVERRIDES},
        extra=OVERRIDE_EXTRA,
        skip=KEEP,
        says={"cfg": "Config", "epoch": "unknown report CNN setting", "seed": "unknown report CNN setting"},
    ),
    spec(
        zoo.tinyconvnet_mnist,
        zoo_call,
        ZOO_KINDS,
        extra=[*OVERRIDE_EXTRA, ("data_root", 3), ("data_root", "")],
        skip=KEEP,
        says={"cfg": "Config", "epoch": "unknown TinyConvNet setting", "seed": "unknown TinyConvNet setting"},
    ),
    spec(
        zoo.reportcnn_fashion,
        zoo_call,
        ZOO_KINDS,
        extra=[*OVERRIDE_EXTRA, ("data_root", 3), ("data_root", "")],
        skip=KEEP,
        says={"cfg": "Config", "epoch": "unknown report CNN setting", "seed": "unknown report CNN setting"},
    ),
    # --- perf -----------------------------------------------------------------------------------------
    spec(perf.threads, {"n": 1}, {"n": [True, 0, -1, 2.5, "2", [2], np.float64(2.0)]}, says={"n": "threads"}),
    spec(
        perf.channels_last,
        {"models": nn.Conv2d(1, 1, 3), "device": "cpu", "enabled": True},
        {
            "models": ["model", None, 3, np.ones(3), [nn.Conv2d(1, 1, 3), 3], torch.zeros(2)],
            "device": ["gpu", "cuda:x", 3, True, ["cpu"]],
            "enabled": "flag",
        },
    ),
]


@pytest.mark.parametrize("s, arg, value", bad_cases(SPECS))
def test_bad_input_is_refused_by_name(s, arg, value):
    check_bad(s, arg, value)


@pytest.mark.parametrize("s", good_cases(SPECS))
def test_numpy_scalars_are_accepted(s):
    check_good(s)


# --- regression tests for the bugs the battery found ---------------------------------------------


def test_a_recipe_checks_its_fields():
    """Recipe(fit="x") and Recipe(train_subset=0) used to be accepted and fail later, inside training."""
    with pytest.raises(TypeError, match=r"fit must be a helpers.train.FitConfig \(e.g. FitConfig\(epochs=3\)\)"):
        zoo.Recipe({"epochs": 1})
    with pytest.raises(ValueError, match="train_subset must be a positive integer, got 0"):
        zoo.Recipe(FitConfig(), 0)
    with pytest.raises(ValueError, match="train_subset must be a positive integer"):
        zoo.tinyconvnet_recipe(QUICK, train_subset=-5)
    recipe = zoo.Recipe(FitConfig(), np.int64(100))
    assert type(recipe.train_subset) is int and recipe == zoo.Recipe(FitConfig(), 100)


def test_zoo_entries_check_their_flags_before_loading_data(monkeypatch):
    def no_loading(*a, **k):
        raise AssertionError("the data were loaded before the flags were checked")

    monkeypatch.setattr(zoo, "load_splits", no_loading)
    with pytest.raises(TypeError, match="progress must be True or False, got 'no'"):
        zoo.tinyconvnet_mnist(QUICK, progress="no")
    with pytest.raises(TypeError, match="retrain must be True or False, got 1"):
        zoo.reportcnn_fashion(QUICK, retrain=1)


def test_channels_last_names_a_bad_device_and_accepts_auto():
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        perf.channels_last(nn.Conv2d(1, 1, 3), "gpu")
    with pytest.raises(TypeError, match="device must be a string"):
        perf.channels_last(nn.Conv2d(1, 1, 3), 3)
    with pytest.raises(TypeError, match="channels_last expects models"):
        perf.channels_last("conv")
    for device in ("auto", None, torch.device("cpu"), "CPU"):
        with perf.channels_last(nn.Conv2d(1, 1, 3), device, enabled=np.bool_(True)):
            pass
