"""``helpers.validate``, the checks every helper uses: what it accepts, what it refuses, and its messages."""

import numpy as np
import pytest
import torch
from badinput import bad_cases, check_bad, check_good, good_cases, spec

from helpers import validate

SPECS = [
    spec(
        validate.integer,
        {"value": 3, "name": "the count", "low": 0, "high": 5},
        {"value": "nonneg_int"},
        says={"value": "the count"},
        extra=[("value", 6)],
    ),
    spec(validate.positive_int, {"value": 3, "name": "the count"}, {"value": "pos_int"}, says={"value": "the count"}),
    spec(
        validate.real,
        {"value": 0.5, "name": "lr", "low": 0, "low_open": True},
        {"value": "positive"},
        says={"value": "lr"},
    ),
    spec(
        validate.fraction, {"value": 0.5, "name": "the fraction"}, {"value": "fraction"}, says={"value": "the fraction"}
    ),
    spec(validate.boolean, {"value": True, "name": "gray"}, {"value": "flag"}),
    spec(
        validate.choice, {"value": "a", "name": "method", "options": ("a", "b")}, {"value": ["c", 1, None, True, ["a"]]}
    ),
    spec(validate.array, {"value": np.ones((2, 2)), "name": "A", "ndim": 2}, {"value": "matrix"}),
    spec(validate.tensor, {"value": torch.ones(1, 1, 4, 4), "name": "x", "ndim": 4}, {"value": "tensor4d"}),
    spec(
        validate.image_batch,
        {"value": torch.ones(2, 1, 4, 4), "name": "x", "channels": 1, "size": 4},
        {
            "value": [
                "abc",
                None,
                np.ones((2, 1, 4, 4)),
                torch.ones(2, 1, 4, 4, dtype=torch.uint8),
                torch.ones(1, 4, 4),
                torch.ones(0, 1, 4, 4),
                torch.ones(2, 3, 4, 4),
                torch.ones(2, 1, 5, 4),
            ]
        },
    ),
    spec(
        validate.shape,
        {"value": (1, 28, 28), "name": "input_shape", "length": 3},
        {"value": ["1,28,28", None, 3, (), (1, 28), (1, 0, 28), (1, 2.5, 28), (True, 28, 28)]},
    ),
    spec(validate.seed, {"value": 0}, {"value": "seed"}, extra=[("value", 2**32)]),
    spec(validate.function, {"value": print, "name": "f", "what": "of x"}, {"value": "callable"}),
    spec(validate.module, {"value": torch.nn.Linear(2, 2), "name": "model"}, {"value": "module"}),
    spec(validate.device, {"value": "cpu", "name": "device"}, {"value": ["gpu", "cuda:x", 3, True, ""]}),
    spec(
        validate.labels,
        {"value": np.array([0, 1, 2]), "name": "y", "num_classes": 3, "n": 3},
        {
            "value": [
                "abc",
                None,
                np.array([0.0, 1, 2]),
                np.array([True, False, True]),
                np.array([0, 1, 3]),
                np.array([-1, 0, 1]),
                np.array([0, 1]),
                np.zeros((3, 1), dtype=int),
                np.array([], dtype=int),
            ]
        },
    ),
]

for _s in SPECS:  # each message must name the argument as the caller named it
    _s.says.setdefault("value", _s.valid.get("name", "seed"))


@pytest.mark.parametrize("s, arg, value", bad_cases(SPECS))
def test_bad_input_is_refused_by_name(s, arg, value):
    check_bad(s, arg, value)


@pytest.mark.parametrize("s", good_cases(SPECS))
def test_numpy_scalars_are_accepted(s):
    check_good(s)


def test_canonical_forms():
    assert validate.integer(np.int64(3), "k") == 3 and type(validate.integer(np.int64(3), "k")) is int
    assert validate.integer(torch.tensor(4), "k") == 4
    assert validate.real(np.float32(0.5), "x") == 0.5 and type(validate.real(1, "x")) is float
    assert validate.boolean(np.bool_(True), "flag") is True
    assert validate.shape(torch.Size([1, 28, 28]), "s") == (1, 28, 28)
    assert validate.shape(np.array([2, 3]), "s", length=2) == (2, 3)
    assert validate.array([[1, 2]], "A").dtype == np.float64
    assert validate.tensor(np.ones(3), "x").dtype == torch.float32
    assert validate.device(None, "device").type in ("cpu", "cuda")
    assert validate.labels([0, 2, 1], "y").tolist() == [0, 2, 1]


def test_messages_say_what_was_given_and_what_is_expected():
    with pytest.raises(TypeError, match=r"rank k must be an integer, got 3.0 \(write 3, without the decimal point\)"):
        validate.integer(3.0, "rank k")
    with pytest.raises(ValueError, match=r"the fraction must be in \(0, 1\], got 1.5"):
        validate.fraction(1.5, "the fraction")
    with pytest.raises(TypeError, match=r"A must be real, got a complex array"):
        validate.array(np.ones(2) * 1j, "A")
    with pytest.raises(ValueError, match="A contains 1 NaN or infinite value"):
        validate.array([1.0, np.inf], "A")
    with pytest.raises(ValueError, match="x must have 1 channel"):
        validate.image_batch(torch.ones(2, 3, 4, 4), "x", channels=1)
    with pytest.raises(ValueError, match="device"):
        validate.device("gpu", "device")


def test_infinite_values_allowed_only_when_asked():
    assert validate.real(float("inf"), "x", finite=False) == float("inf")
    assert np.isinf(validate.array([1.0, np.inf], "A", finite=False)).any()
    with pytest.raises(ValueError, match="NaN"):
        validate.real(float("nan"), "x", finite=False)
