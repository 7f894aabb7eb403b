"""Bad input to every public function of ``helpers.bench`` (see ``tests/badinput.py``).

Timings are tiny (one repeat or round of at least 0.1 ms) and never asserted.
"""

import copy

import numpy as np
import pytest
import torch
from badinput import NAN, bad_cases, check_bad, check_good, good_cases, spec
from torch import nn

from helpers import bench

torch.manual_seed(0)
NET = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3)).eval()
NET2 = copy.deepcopy(NET)
BATCH = torch.randn(4, 1, 8, 8)
FAST = {"min_time": 1e-4}

BATCHES = [
    "abc",
    None,
    BATCH.numpy(),
    torch.randn(8, 8),  # one image, no batch or channel axis
    BATCH[:0],
    (BATCH * 255).to(torch.uint8),
    torch.full_like(BATCH, NAN),
    torch.randn(4, 3, 8, 8),  # channels the network does not take
    torch.randn(4, 1, 10, 10),  # a size the network does not take
]
THREADS = [True, 0, -1, 2.5, "2", [2]]  # None keeps the current count
DEVICE = ["gpu", 3, True]
TIMING = {"min_time": "positive"}
TOO_LONG = [("min_time", 1e6)]  # a typo: over an hour per repeat


def module_times(sequential, x, threads=None, rounds=1, min_time=1e-4, channels_last=True):
    """``bench.module_times`` with one sequential given by keyword, so that the battery can replace it."""
    return bench.module_times(
        sequential, x=x, threads=threads, rounds=rounds, min_time=min_time, channels_last=channels_last
    )


module_times.__module__ = bench.__name__

SPECS = [
    spec(
        bench.median_time,
        {"fn": lambda: None, "repeats": 1, "warmup": 0, **FAST},
        {"fn": "callable", "repeats": "pos_int", "warmup": "nonneg_int", **TIMING},
        extra=TOO_LONG,
    ),
    spec(
        bench.paired_times,
        {"fns": {"a": lambda: None, "b": lambda: None}, "rounds": 1, "warmup": 0, "samples": False, **FAST},
        {
            "fns": ["f", None, 3, {}, {"a": 3}, [lambda: None]],
            "rounds": "pos_int",
            "warmup": "nonneg_int",
            "samples": "flag",
            **TIMING,
        },
        extra=TOO_LONG,
    ),
    spec(
        bench.speedup,
        {"baseline": NET, "candidate": NET2, "inputs": BATCH, "device": "cpu", "rounds": 1, **FAST},
        {
            "baseline": "module",
            "candidate": "module",
            "inputs": BATCHES,
            "device": DEVICE,
            "threads": THREADS,
            "rounds": "pos_int",
            "channels_last": "flag",
            **TIMING,
        },
        extra=TOO_LONG,
    ),
    spec(
        bench.inference_time,
        {"model": NET, "input_shape": (1, 8, 8), "batch_size": 4, "device": "cpu", "repeats": 1, "warmup": 0, **FAST},
        {
            "model": "module",
            "input_shape": [(0, 8, 8), (1, 8.0, 8), (True, 8, 8), "188", None, (), (3, 8, 8), (1, 10, 10)],
            "batch_size": "pos_int",
            "device": DEVICE,
            "threads": THREADS,
            "repeats": "pos_int",
            "warmup": "nonneg_int",
            "inputs": [b for b in BATCHES if b is not None],  # None: a random batch
            "channels_last": "flag",
            **TIMING,
        },
        extra=TOO_LONG,
        says={"input_shape": ("input_shape",), "inputs": ("inputs",)},
    ),
    spec(
        bench.inference_time,
        {"model": NET, "input_shape": (1, 8, 8), "batch_size": 4, "inputs": BATCH, "repeats": 1, "warmup": 0, **FAST},
        {"batch_size": [5, 100]},  # more than the 4 examples given: the timing would be of 4
        says={"batch_size": ("batch_size", "inputs")},
    ),
    spec(
        module_times,
        {"sequential": NET, "x": BATCH},
        {
            "sequential": ["seq", None, 3, nn.Linear(2, 2)],
            "x": BATCHES,
            "threads": THREADS,
            "rounds": "pos_int",
            "channels_last": "flag",
            **TIMING,
        },
        says={"sequential": "torch.nn.Sequential"},
        extra=TOO_LONG,
    ),
    spec(
        bench.convolution_timings,
        {"image_sizes": [8], "kernel_sizes": [3], "repeats": 1, "device": "cpu", "seed": 0},
        {
            "image_sizes": [[0], [-8], [2.5], [True], ["8"], "8", 8, [], None],
            "kernel_sizes": [[0], [-3], [3.0], [True], ["3"], "3", 3, [], None],
            "repeats": "pos_int",
            "device": DEVICE,
            "seed": "seed",
        },
    ),
    spec(
        bench.fft_crossover,
        {
            "direct": np.array([[1.0, 2.0], [1.0, NAN]]),
            "via_fft": np.array([[2.0, 1.0], [2.0, 0.1]]),
            "kernel_sizes": [3, 5],
        },
        {
            "direct": ["abc", None, np.ones(2), np.ones((2, 3)), np.ones((2, 2)) * 1j, [["a", "b"], ["c", "d"]]],
            "via_fft": ["abc", None, np.ones(2), np.ones((3, 2)), np.ones((2, 2)) * 1j],
            "kernel_sizes": [[3], [3, 5, 7], [0, 5], [3, 2.5], [True, 5], "35", 3, None],
        },
        says={"kernel_sizes": ("kernel_sizes", "must both be")},
    ),
    spec(
        bench.layout_times,
        {"model": NET, "inputs": BATCH, "rounds": 1, **FAST},
        {"model": "module", "inputs": BATCHES, "threads": THREADS, "rounds": "pos_int", **TIMING},
        extra=[*TOO_LONG, ("inputs", torch.randn(4, 64))],
    ),
]


@pytest.mark.parametrize("s, arg, value", bad_cases(SPECS))
def test_bad_input_is_refused_by_name(s, arg, value):
    check_bad(s, arg, value)


@pytest.mark.parametrize("s", good_cases(SPECS))
def test_numpy_scalars_are_accepted(s):
    check_good(s)


# --- regression tests for the bugs the battery found ---------------------------------------------


def test_inference_time_refuses_a_batch_larger_than_its_inputs():
    """It used to time inputs[:batch_size], i.e. a batch of 4 when asked for 256, and report that as 256."""
    with pytest.raises(
        ValueError, match="inputs hold 4 examples but batch_size is 256: the timing would be of a batch of 4"
    ):
        bench.inference_time(NET, (1, 8, 8), 256, inputs=BATCH, repeats=1, min_time=1e-4)
    with pytest.raises(ValueError, match=r"inputs hold examples of shape \(1, 8, 8\), but input_shape is \(1, 9, 9\)"):
        bench.inference_time(NET, (1, 9, 9), 4, inputs=BATCH, repeats=1, min_time=1e-4)
    # more inputs than the batch: the first batch_size are timed, as documented
    assert bench.inference_time(NET, (1, 8, 8), np.int64(2), inputs=BATCH, repeats=1, min_time=1e-4) > 0


def test_timings_refuse_a_model_that_cannot_take_the_batch_before_timing():
    """A wrong batch used to fail inside the timing loop with torch's own shape error."""
    with pytest.raises(ValueError, match=r"Sequential cannot run on inputs of shape \(3, 8, 8\).*PyTorch said"):
        bench.layout_times(NET, torch.randn(2, 3, 8, 8), rounds=1, min_time=1e-4)
    with pytest.raises(ValueError, match=r"cannot run on input_shape of shape \(1, 9, 9\)"):
        bench.inference_time(NET, (1, 9, 9), 2, repeats=1, min_time=1e-4)
    with pytest.raises(TypeError, match=r"inputs must be floating-point, got torch.uint8"):
        bench.speedup(NET, NET2, (BATCH * 255).to(torch.uint8), rounds=1, min_time=1e-4)


def test_timing_settings_are_checked():
    with pytest.raises(ValueError, match="min_time must be finite, got inf"):
        bench.median_time(lambda: None, min_time=float("inf"))
    with pytest.raises(TypeError, match="fn must be a function to call with no arguments"):
        bench.median_time(3)
    with pytest.raises(TypeError, match=r"fns\['a'\] must be a function"):
        bench.paired_times({"a": 3})
    with pytest.raises(TypeError, match="each entry of image_sizes must be an integer, got True"):
        bench.convolution_timings([True], [3])
    assert bench.convolution_timings([np.int64(8)], [np.int64(3)], repeats=1)["torch FFT"].shape == (1, 1)
