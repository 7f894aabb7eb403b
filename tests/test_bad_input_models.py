"""Bad input to every public function and model of ``helpers.models`` (see ``tests/badinput.py``)."""

import numpy as np
import pytest
import torch
from badinput import NAN, bad_cases, check_bad, check_good, good_cases, spec
from torch import nn

from helpers import models
from helpers.models import MLP, ReportCNN, TinyConvNet

TINY = TinyConvNet().eval()
REPORT28 = ReportCNN(1, 28).eval()
REPORT32 = ReportCNN(3, 32).eval()
SMALL_MLP = MLP(12, hidden=(8,), dropout=(0.1,)).eval()
SHAPE = (1, 28, 28)


# Wrong batches for a model taking (N, C, size, size) float32 images of `channels` channels.
def image_batches(channels: int, size: int) -> list:
    other = 3 if channels == 1 else 1
    return [
        "abc",
        None,
        np.zeros((2, channels, size, size), dtype=np.float32),  # an array, not a tensor
        torch.zeros(channels, size, size),  # one image without the batch axis
        torch.zeros(2, channels * size * size),
        torch.zeros(0, channels, size, size),  # empty batch
        torch.zeros(2, other, size, size),  # wrong number of channels
        torch.zeros(2, channels, size + 4, size + 4),  # wrong image size
        torch.zeros(2, channels, size, size - 1),
        torch.zeros(2, channels, size, size, dtype=torch.uint8),  # raw pixels
        torch.zeros(2, channels, size, size, dtype=torch.long),
        torch.zeros(2, channels, size, size, dtype=torch.bool),
        torch.zeros(2, channels, size, size, dtype=torch.float64),  # weights are float32
        torch.zeros(2, channels, size, size, dtype=torch.complex64),
    ]


POS = [True, 0, -1, 2.5, "3", None, [1, 2]]

SPECS = [
    # --- the models: constructors --------------------------------------------------------------
    spec(
        TinyConvNet,
        {"width": 1, "in_channels": 1, "num_classes": 10},
        {"width": "pos_int", "in_channels": "pos_int", "num_classes": "pos_int"},
    ),
    spec(
        ReportCNN,
        {"in_channels": 1, "image_size": 28, "num_classes": 10, "padding": "same"},
        {
            "in_channels": "pos_int",
            "image_size": [True, 0, -28, 64, 28.0, "28", None, (28, 28)],
            "num_classes": "pos_int",
            "padding": ["valid", "SAME", None, 1, True],
        },
    ),
    spec(
        MLP,
        {"in_features": 12, "num_classes": 3, "hidden": (8, 4), "dropout": (0.1, 0.2)},
        {
            "in_features": "pos_int",
            "num_classes": "pos_int",
            "hidden": [[0, 4], [2.5, 4], [True, 4], ["8", 4], "84", 8, None],
            "dropout": [[1.0, 0.2], [-0.1, 0.2], [NAN, 0.2], ["0.1", 0.2], [True, 0.2], 0.1, None],
        },
        extra=[("dropout", (0.1,)), ("hidden", (8,))],
    ),
    # --- the models: forward passes ---------------------------------------------------------------
    spec(TINY.forward, {"x": torch.zeros(2, *SHAPE)}, {"x": image_batches(1, 28)}),
    spec(TINY.features, {"x": torch.zeros(2, *SHAPE)}, {"x": image_batches(1, 28)}),
    spec(
        TinyConvNet(in_channels=3).forward,
        {"x": torch.zeros(2, 3, 28, 28)},
        {"x": image_batches(3, 28)},
        extra=[("x", torch.zeros(2, 1, 28, 28))],
    ),
    spec(REPORT28.forward, {"x": torch.zeros(2, 1, 28, 28)}, {"x": image_batches(1, 28)}),
    spec(REPORT32.forward, {"x": torch.zeros(2, 3, 32, 32)}, {"x": image_batches(3, 32)}),
    spec(
        SMALL_MLP.forward,
        {"x": torch.zeros(2, 12)},
        {
            "x": [
                "abc",
                None,
                np.zeros((2, 12), dtype=np.float32),
                torch.zeros(12),  # one example without the batch axis
                torch.zeros(0, 12),
                torch.zeros(2, 13),
                torch.zeros(2, 3, 5),
                torch.zeros(2, 12, dtype=torch.uint8),
                torch.zeros(2, 12, dtype=torch.float64),
                torch.zeros(2, 12, dtype=torch.bool),
            ]
        },
    ),
    # --- functions ---------------------------------------------------------------------------------
    spec(
        models.count_parameters,
        {"model": TINY, "trainable_only": True},
        {"model": "module", "trainable_only": "flag"},
    ),
    spec(
        models.count_macs,
        {"model": TINY, "input_shape": SHAPE},
        {
            "model": "module",
            "input_shape": [
                (0, 28, 28),
                (1, -28, 28),
                (1.0, 28, 28),
                (True, 28, 28),
                ("1", 28, 28),
                (),
                "1x28x28",
                28,
                None,
            ],
        },
        extra=[("input_shape", (1, 32, 32)), ("input_shape", (3, 28, 28)), ("input_shape", (28, 28))],
    ),
    spec(
        models.probe_forward,
        {"model": TINY, "input_shape": SHAPE, "hooks": {nn.Conv2d: lambda m, i, o: None}},
        {
            "model": "module",
            "input_shape": [(0, 28, 28), (1.5, 28, 28), None, "128", ()],
            "hooks": ["h", None, 3, [nn.Conv2d], {nn.Conv2d: 3}, {"Conv2d": print}, {int: print}],
        },
        extra=[("input_shape", (1, 30, 30))],
    ),
    spec(
        models.conv_input_sizes,
        {"model": REPORT28, "input_shape": SHAPE},
        {"model": "module", "input_shape": [(0, 28, 28), (1, 2.5, 28), None, "128", (), (True, 28, 28)]},
        extra=[("input_shape", (1, 32, 32)), ("input_shape", (2, 28, 28))],
    ),
    spec(
        models.tap_reach,
        {"conv": nn.Conv2d(1, 1, 3, padding=1), "input_size": 4},
        {
            "conv": "conv",
            "input_size": [0, -1, 2.5, "4", None, True, (4,), (4, 0), (4, 4, 4), (True, 4), (4.0, 4)],
        },
        extra=[("conv", nn.Conv2d(1, 1, 3, dilation=2)), ("conv", nn.Conv2d(1, 1, 3, padding="same"))],
    ),
    spec(
        models.tap_reach,
        {"conv": nn.Conv2d(1, 1, 3), "input_size": (5, 3)},
        {"input_size": [(2, 2), (5, 2)]},  # the kernel does not fit
    ),
    spec(
        models.dead_parameters,
        {"model": SMALL_MLP, "input_shape": (12,), "batch": 2, "seed": 0},
        {"model": "module", "input_shape": [(0,), (12.0,), None, "12", ()], "batch": "pos_int", "seed": "seed"},
        extra=[("input_shape", (13,)), ("model", nn.ReLU())],
        says={"model": ("model", "parameters")},
    ),
    spec(
        models.replace_submodule,
        lambda: {"model": ReportCNN(1, 28), "name": "relu2", "module": nn.Identity()},
        {"model": "module", "name": [3, None, True, "", "conv9", "relu2.weight"], "module": "module"},
    ),
]


@pytest.mark.parametrize("s, arg, value", bad_cases(SPECS))
def test_bad_input_is_refused_by_name(s, arg, value):
    check_bad(s, arg, value)


@pytest.mark.parametrize("s", good_cases(SPECS))
def test_numpy_scalars_are_accepted(s):
    check_good(s)


# --- regression tests for the bugs the battery found ---------------------------------------------


def test_models_refuse_a_wrong_batch_before_torch_does():
    """Each message says what the model takes, instead of a shape or dtype error from inside conv2d."""
    with pytest.raises(ValueError, match=r"TinyConvNet's input x must have 1 channel\(s\), got 3"):
        TINY(torch.zeros(2, 3, 28, 28))
    with pytest.raises(ValueError, match="ReportCNN's input x must have 32 x 32 images, got 28 x 28"):
        REPORT32(torch.zeros(2, 3, 28, 28))
    with pytest.raises(TypeError, match=r"floating-point tensor.*got torch.uint8; convert it with .float\(\)"):
        TINY(torch.zeros(2, 1, 28, 28, dtype=torch.uint8))
    with pytest.raises(TypeError, match=r"is torch.float64 but the model's weights are torch.float32.*x.float\(\)"):
        REPORT28(torch.zeros(2, 1, 28, 28, dtype=torch.float64))
    with pytest.raises(TypeError, match="MLP's input x is torch.float64"):
        SMALL_MLP(torch.zeros(2, 12, dtype=torch.float64))


def test_a_float64_model_takes_float64_input():
    net = TinyConvNet().double().eval()
    assert net(torch.zeros(2, 1, 28, 28, dtype=torch.float64)).dtype == torch.float64
    with pytest.raises(TypeError, match=r"convert it with x.to\(torch.float64\)"):
        net(torch.zeros(2, 1, 28, 28))


def test_numpy_integers_build_the_same_models():
    """np.int64 sizes (e.g. from an array of widths) used to be refused; image_size is stored as an int."""
    assert count(TinyConvNet(width=np.int64(2))) == count(TinyConvNet(width=2))
    net = ReportCNN(np.int64(1), np.int64(32))
    assert type(net.image_size) is int and net(torch.zeros(1, 1, 32, 32)).shape == (1, 10)
    assert models.tap_reach(nn.Conv2d(1, 1, 3), np.int64(5)).tolist() == [[9] * 3] * 3
    assert models.count_macs(MLP(np.int64(4)), (np.int64(4),)) > 0


def count(net):
    return models.count_parameters(net)


def test_probe_functions_refuse_shapes_the_model_cannot_take_in_words():
    """A generic network given the wrong input_shape: a ValueError naming it, not torch's matmul error."""
    seq = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    with pytest.raises(ValueError, match=r"cannot run on input_shape of shape \(5,\).*PyTorch said"):
        models.count_macs(seq, (5,))
    with pytest.raises(ValueError, match=r"cannot run on input_shape of shape \(5,\)"):
        models.dead_parameters(seq, (5,))


def test_mlp_refuses_bad_layer_settings():
    with pytest.raises(ValueError, match=r"each dropout probability in dropout must be in \[0, 1\)"):
        MLP(4, hidden=(8,), dropout=(1.5,))
    with pytest.raises(ValueError, match="hidden and dropout must have the same length, got 1 widths and 2"):
        MLP(4, hidden=(8,), dropout=(0.1, 0.2))


@pytest.mark.parametrize(
    "make, shape",
    [(TinyConvNet, (2, 1, 28, 28)), (lambda: ReportCNN(3, 32), (2, 3, 32, 32)), (lambda: MLP(12), (2, 12))],
    ids=["TinyConvNet", "ReportCNN", "MLP"],
)
def test_forward_checks_read_no_values(make, shape):
    """The checks in forward look at shape, dtype and device only, never at the data (which would synchronise
    CUDA in every training step): on the 'meta' device, where tensors have no values, a forward pass runs."""
    net = make().to("meta").eval()
    assert net(torch.empty(shape, device="meta")).shape == (2, 10)
    with pytest.raises(ValueError, match="is on cpu but the model is on meta"):
        net(torch.zeros(shape))
