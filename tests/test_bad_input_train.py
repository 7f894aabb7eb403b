"""Bad input to every public function of ``helpers.train`` (see ``tests/badinput.py``).

Every training call here is tiny: 12 two-dimensional points in 3 classes, one
epoch, batches of 4. The autouse ``private_cache`` fixture gives each test its
own checkpoint folder.
"""

import numpy as np
import pytest
import torch
from badinput import BAD, NAN, bad_cases, check_bad, check_good, good_cases, spec
from torch import nn

from helpers import train as T
from helpers.models import MLP, TinyConvNet

X = torch.randn(12, 2, generator=torch.Generator().manual_seed(0))
Y = torch.arange(12) % 3
IMAGES = torch.rand(6, 1, 28, 28, generator=torch.Generator().manual_seed(0))
LABELS = torch.arange(6) % 3


def make_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))


# (inputs, labels) pairs that no function may train, evaluate or fingerprint
BAD_DATA = [
    "abc",
    None,
    X,  # inputs without labels
    (X,),
    (X, Y, Y),
    (X.numpy(), Y),  # an array where a tensor is expected
    (X, Y.numpy()),
    (X, Y[:11]),  # mismatched lengths
    (X[:0], Y[:0]),  # empty
    (X.long(), Y),  # integer inputs (raw pixels)
    (torch.full_like(X, NAN), Y),
    (X, Y + 0.5),  # non-integer float labels
    (X, Y.bool()),
    (X, Y[:, None]),
    (X, Y - 1),  # a negative label
    (X, Y + 3),  # labels beyond the model's 3 outputs
    (torch.randn(12, 5), Y),  # inputs the model cannot take
]
NOT_NONE = [v for v in BAD_DATA if v is not None]  # test=None means no test set
DEVICE = ["gpu", "cuda:x", 3, True]
CONFIG = ["cfg", 3, {"epochs": 1}]
TINY_FIT = {"epochs": 1, "batch_size": 4, "lr": 1e-2}
FIT_KINDS = {"epochs": "pos_int", "batch_size": "pos_int", "lr": "positive"}
FIT_EXTRA = [("epoch", 1), ("optimizer", "rmsprop"), ("seed", -1), ("momentum", -0.5), ("weight_decay", NAN)]

SPECS = [
    spec(
        T.FitConfig,
        {"epochs": 1, "batch_size": 4, "lr": 1e-3, "weight_decay": 0.0, "momentum": 0.9, "seed": 0},
        {
            "epochs": "pos_int",
            "batch_size": "pos_int",
            "lr": "positive",
            "weight_decay": "nonneg",
            "momentum": "nonneg",
            "seed": "seed",
            "optimizer": ["rmsprop", None, 3, True, ["adam"]],
            "schedule": ["step", 3, True, ""],
        },
        extra=[("seed", 2**32)],
    ),
    spec(T.FitConfig.build, {"config": None, **TINY_FIT}, {"config": CONFIG, **FIT_KINDS}, extra=FIT_EXTRA),
    spec(T.FitConfig().replace, dict(TINY_FIT), dict(FIT_KINDS), extra=FIT_EXTRA),
    spec(T.History.from_dict, {"d": {"train_loss": [1.0]}}, {"d": "dict"}),
    spec(
        T.CVResult,
        {"scores": [0.5, 0.75], "histories": [T.History(), T.History()]},
        {"scores": [*BAD["vector"], [1.5, 0.5], [-0.1, 0.5]], "histories": [None, "h", [T.History()]]},
    ),
    spec(
        T.fit,
        lambda: {
            "model": make_model(),
            "train": (X, Y),
            "test": (X, Y),
            "device": "cpu",
            "progress": False,
            **TINY_FIT,
        },
        {
            "model": "module",
            "train": BAD_DATA,
            "test": NOT_NONE,  # None: no test set
            "device": DEVICE,
            "progress": "flag",
            "desc": [3, None],
            "config": CONFIG,
            **FIT_KINDS,
        },
        says={"train": ("train", "inputs"), "test": ("test",)},
        extra=FIT_EXTRA,
    ),
    spec(
        T.evaluate,
        {"model": make_model().eval(), "data": (X, Y), "batch_size": 4, "device": "cpu"},
        {"model": "module", "data": BAD_DATA, "batch_size": "pos_int", "device": DEVICE},
        says={"data": ("data", "inputs")},
    ),
    spec(
        T.predict,
        {"model": make_model().eval(), "inputs": X, "batch_size": 4, "device": "cpu"},
        {
            "model": "module",
            "inputs": [
                "abc",
                None,
                X.numpy(),
                X[:0],
                X.long(),
                X.bool(),
                torch.full_like(X, NAN),
                torch.tensor(1.0),
                torch.randn(12, 5),
            ],
            "batch_size": "pos_int",
            "device": DEVICE,
        },
    ),
    spec(
        T.cross_validate,
        {"make_model": make_model, "data": (X, Y), "k": 2, "device": "cpu", "progress": False, **TINY_FIT},
        {
            "make_model": ["f", None, 3, make_model(), lambda: 3],
            "data": BAD_DATA,
            "k": [True, 1, 0, -2, 2.5, "2", None, 5],  # 5 folds: more than the 4 examples of each class
            "device": DEVICE,
            "progress": "flag",
            "curves": "flag",
            "config": CONFIG,
            **FIT_KINDS,
        },
        says={"data": ("data", "inputs"), "k": ("k", "folds")},
        extra=FIT_EXTRA,
    ),
    spec(
        T.stratified_folds,
        {"labels": Y, "k": 2, "seed": 0},
        {
            "labels": [
                "abc",
                None,
                np.ones((4, 3)),
                np.ones(0),
                np.array([0.5, 1.5, 0.5, 1.5]),
                np.array([True, False, True, False]),
                np.array([1j, 2, 1j, 2]),
                np.array([0, 1, NAN, 1]),
                ["a", "b", "a", "b"],
            ],
            "k": [True, 1, 0, 2.5, "2", None, 5],
            "seed": "seed",
        },
        says={"k": ("k", "folds")},
        extra=[("seed", 2**32)],
    ),
    spec(
        T.train_or_load,
        {"make_model": make_model, "train": (X, Y), "name": "blobs", "device": "cpu", "progress": False, **TINY_FIT},
        {
            "make_model": ["f", None, 3, make_model(), lambda: "model"],
            "train": BAD_DATA,
            "test": NOT_NONE,
            "name": [None, 3, "", " ", "a/b", True],
            "retrain": "flag",
            "device": DEVICE,
            "progress": "flag",
            "config": CONFIG,
            **FIT_KINDS,
        },
        says={"train": ("train", "inputs"), "test": ("test",), "name": "checkpoint name"},
        extra=FIT_EXTRA,
    ),
    spec(
        T.checkpoint_path,
        {"name": "blobs", "model": make_model(), "train": (X, Y), **TINY_FIT},
        {
            "name": [None, 3, "", "a/b", True],
            "model": "module",
            "train": BAD_DATA[:-2],  # the labels and inputs a model cannot take are for training to refuse
            "test": NOT_NONE[:-2],
            "config": CONFIG,
            **FIT_KINDS,
        },
        says={"name": "checkpoint name", "train": ("train", "data"), "test": ("test", "data")},
        extra=FIT_EXTRA,
    ),
    spec(
        T.tap_gradient_norms,
        lambda: {"model": TinyConvNet(num_classes=3), "images": IMAGES, "labels": LABELS},
        {
            "model": ["model", None, 3, MLP(784)],
            "images": [
                "abc",
                None,
                IMAGES.numpy(),
                IMAGES[:0],
                IMAGES[:, :, :20, :20],
                IMAGES.repeat(1, 3, 1, 1),
                (IMAGES * 255).to(torch.uint8),
                IMAGES.double(),
                torch.full_like(IMAGES, NAN),
                IMAGES[:3],
            ],
            "labels": ["abc", None, LABELS[:3], LABELS + 0.5, LABELS - 1, LABELS + 3, LABELS.bool()],
        },
        says={"images": ("images", "input"), "model": ("model", "Conv2d")},
    ),
]


@pytest.mark.parametrize("s, arg, value", bad_cases(SPECS))
def test_bad_input_is_refused_by_name(s, arg, value):
    check_bad(s, arg, value)


@pytest.mark.parametrize("s", good_cases(SPECS))
def test_numpy_scalars_are_accepted(s):
    check_good(s)


# --- regression tests for the bugs the battery found ---------------------------------------------


def quiet(**more):
    return {"device": "cpu", "progress": False, **TINY_FIT, **more}


def test_labels_beyond_the_models_outputs_are_refused_before_training():
    """Used to be an IndexError ('Target 5 is out of bounds') from inside cross_entropy, mid-epoch."""
    model = make_model()
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"train: labels go up to 5 but the model has 3 outputs \(classes 0 to 2\)"):
        T.fit(model, (X, Y + 3), **quiet())
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # refused before any step
    with pytest.raises(ValueError, match="test: labels go up to 5"):
        T.fit(make_model(), (X, Y), (X, Y + 3), **quiet())
    with pytest.raises(ValueError, match="data: labels go up to 5"):
        T.evaluate(make_model(), (X, Y + 3), device="cpu")
    with pytest.raises(ValueError, match=r"labels must be class indices 0, 1, 2, \.\.\., got -1"):
        T.evaluate(make_model(), (X, Y - 1), device="cpu")


def test_inputs_the_model_cannot_take_are_refused_in_words():
    """Used to be torch's 'mat1 and mat2 shapes cannot be multiplied' from the first batch."""
    with pytest.raises(ValueError, match=r"Sequential cannot run on train inputs of shape \(5,\)"):
        T.fit(make_model(), (torch.randn(12, 5), Y), **quiet())
    with pytest.raises(ValueError, match=r"cannot run on inputs of shape \(5,\)"):
        T.predict(make_model(), torch.randn(12, 5), device="cpu")
    with pytest.raises(
        TypeError, match=r"inputs must be floating-point, got torch.int64; convert them with .float\(\)"
    ):
        T.predict(make_model(), X.long(), device="cpu")
    with pytest.raises(TypeError, match="train: inputs must be floating-point, got torch.uint8"):
        T.fit(TinyConvNet(), ((IMAGES * 255).to(torch.uint8), LABELS), **quiet())


def test_bad_test_data_is_refused_before_the_first_epoch():
    model = make_model()
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError, match="test: 12 inputs but 11 labels"):
        T.fit(model, (X, Y), (X, Y[:11]), **quiet())
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_empty_or_nan_inputs_are_refused():
    with pytest.raises(ValueError, match="inputs is empty"):
        T.predict(make_model(), X[:0], device="cpu")
    with pytest.raises(ValueError, match="train inputs contains NaN"):
        T.fit(make_model(), (torch.full_like(X, NAN), Y), **quiet())


def test_cross_validate_and_train_or_load_check_make_model_and_their_flags():
    with pytest.raises(TypeError, match="make_model must be a function that returns a new model"):
        T.cross_validate(make_model(), (X, Y), k=2, **quiet())
    with pytest.raises(TypeError, match="make_model must return a torch.nn.Module, but it returned 3"):
        T.cross_validate(lambda: 3, (X, Y), k=2, **quiet())
    with pytest.raises(TypeError, match="retrain must be True or False, got 'yes'"):
        T.train_or_load(make_model, (X, Y), name="blobs", retrain="yes", **quiet())
    with pytest.raises(ValueError, match="checkpoint name must be a non-empty string"):
        T.train_or_load(make_model, (X, Y), name=" ", **quiet())


def test_stratified_folds_refuses_float_and_boolean_labels_and_a_bad_seed():
    with pytest.raises(ValueError, match="non-integer floats"):
        T.stratified_folds(np.array([0.5, 1.5, 0.5, 1.5]), 2)
    with pytest.raises(TypeError, match="labels must be integer class indices, got booleans"):
        T.stratified_folds(np.array([True, False, True, False]), 2)
    with pytest.raises(ValueError, match="seed must be an integer from 0 to 4294967295, got -1"):
        T.stratified_folds(Y, 2, seed=-1)
    # whole-number float labels (and numpy integers) are fine
    assert len(T.stratified_folds(Y.float(), np.int64(2), seed=np.int64(1))) == 2
