"""helpers.bench: timing harnesses and the convolution benchmark's tables (speeds are never asserted)."""

import numpy as np
import pytest

from helpers.bench import convolution_timings, fft_crossover


def test_convolution_timings_and_the_fft_crossover():
    t = convolution_timings([8, 16], [3, 9, 17], repeats=1)
    assert set(t) == {"torch direct", "torch FFT", "scipy direct", "scipy FFT"}
    for arr in t.values():
        assert arr.shape == (2, 3)
        assert np.isnan(arr[0, 1]) and np.isnan(arr[:, 2]).all()  # a kernel larger than the image is skipped
        assert (arr[1, :2] > 0).all()
    direct = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, np.nan]])
    via_fft = np.array([[1.5, 1.0, 0.5], [2.0, 2.0, 0.1]])
    assert fft_crossover(direct, via_fft, [3, 5, 7]) == [5, None]
    with pytest.raises(ValueError, match="must both be"):
        fft_crossover(direct, via_fft[:, :2], [3, 5, 7])
    with pytest.raises(ValueError, match="positive integer"):
        convolution_timings([8], [0])


# The timing harnesses: what they call, in which order, what they return and refuse (never how fast).


def _counter():
    calls = []
    return calls, lambda: calls.append(1)


def test_median_time_warms_up_then_times_repeats_of_at_least_min_time():
    import time

    from helpers.bench import median_time

    calls, fn = _counter()
    t = median_time(fn, repeats=3, min_time=1e-4, warmup=2)
    assert t > 0 and len(calls) >= 2 + 1 + 3  # warm-up, the sizing call, three repeats
    slow = median_time(lambda: time.sleep(0.002), repeats=2, min_time=1e-4, warmup=0)
    assert slow >= 0.002
    for bad, message in (
        (dict(repeats=0), "repeats must be a positive integer"),
        (dict(repeats=True), "repeats must be an integer, got True"),
        (dict(warmup=-1), "warmup must be a non-negative integer"),
        (dict(min_time=0), "min_time must be in \\(0, 3600\\]"),
    ):
        with pytest.raises((TypeError, ValueError), match=message):
            median_time(fn, **bad)


def test_paired_times_alternates_the_functions_every_round():
    from helpers.bench import paired_times

    order = []
    fns = {"a": lambda: order.append("a"), "b": lambda: order.append("b")}
    t = paired_times(fns, rounds=3, min_time=1e-9, warmup=0)
    assert set(t) == {"a", "b"} and all(v > 0 for v in t.values())
    # one sizing call each, then a, b, a, b, a, b (one call per round when min_time is tiny)
    assert order == ["a", "b"] + ["a", "b"] * 3
    per_round = paired_times(fns, rounds=4, min_time=1e-9, samples=True)
    assert {k: len(v) for k, v in per_round.items()} == {"a": 4, "b": 4}
    with pytest.raises(ValueError, match="rounds must be a positive integer"):
        paired_times(fns, rounds=0)
    with pytest.raises(ValueError, match="at least one function"):
        paired_times({})


def _tiny_cnn():
    import torch
    from torch import nn

    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))


def test_inference_time_and_speedup_time_eval_passes_and_restore_the_model():
    import torch

    from helpers.bench import inference_time, speedup

    model = _tiny_cnn().train()
    t = inference_time(model, (1, 8, 8), 4, repeats=2, min_time=1e-4)
    assert t > 0 and model.training  # put back in training mode
    assert all(p.is_contiguous() for p in model.parameters())  # channels-last only while timing
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        inference_time(model, (1, 8, 8), 0)
    r = speedup(model, _tiny_cnn(), torch.randn(4, 1, 8, 8), rounds=3, min_time=1e-4)
    assert set(r) == {"baseline", "candidate", "speedup", "low", "high", "rounds"} and r["rounds"] == 3
    assert r["low"] <= r["speedup"] <= r["high"] and r["baseline"] > 0 and r["candidate"] > 0
    with pytest.raises(ValueError, match="inputs must be a batch of examples as a tensor"):
        speedup(model, model, [1, 2, 3])


def test_module_times_times_every_child_on_its_real_input():
    import copy

    import torch
    from torch import nn

    from helpers.bench import module_times

    a = _tiny_cnn()
    b = copy.deepcopy(a)
    times_a, times_b = module_times(a, b, x=torch.randn(2, 1, 8, 8), rounds=2, min_time=1e-4)
    names = [n for n, _ in a.named_children()]
    assert [n for n, _ in times_a] == names == [n for n, _ in times_b]
    assert all(t > 0 for _, t in times_a + times_b)
    assert a.training and b.training
    with pytest.raises(TypeError, match="expects torch.nn.Sequential models, got Linear"):
        module_times(nn.Linear(2, 2), x=torch.zeros(1, 2))
    with pytest.raises(ValueError, match="at least one torch.nn.Sequential"):
        module_times(x=torch.zeros(1, 2))
    with pytest.raises(ValueError, match="children with the same names"):
        module_times(a, nn.Sequential(nn.Identity()), x=torch.randn(2, 1, 8, 8))


def test_machine_description_names_the_libraries():
    import torch

    from helpers.bench import machine_description

    text = machine_description()
    assert f"torch {torch.__version__}" in text and f"NumPy {np.__version__}" in text and "logical cores" in text


def test_layout_times_times_both_layouts_and_restores_threads_and_layout():
    import torch

    from helpers.bench import layout_times
    from helpers.models import ReportCNN

    net = ReportCNN(1, 28)
    before = torch.get_num_threads()
    t = layout_times(net, torch.randn(4, 1, 28, 28), threads=1, rounds=2, min_time=1e-4)
    assert set(t) == {"NCHW", "NHWC"} and all(v > 0 for v in t.values())
    assert torch.get_num_threads() == before
    assert net.conv1.weight.is_contiguous()  # the model itself stays in the default layout
    with pytest.raises(ValueError, match=r"\(N, C, H, W\) tensor"):
        layout_times(net, torch.randn(28, 28))
    with pytest.raises(TypeError, match="torch.nn.Module"):
        layout_times(lambda x: x, torch.randn(1, 1, 28, 28))
