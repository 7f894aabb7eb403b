"""The benchmark scripts run and print their figures (their speeds are reported, never asserted)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_fft_benchmark_checks_both_routes_agree_and_prints_a_crossover():
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_fft.py"), "--threads", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert lines[0].startswith("# ") and "device cpu" in lines[0]
    assert len([ln for ln in lines if ln[:1].isdigit()]) == 8
    assert "FFT faster from kernel size" in lines[-1] or "direct faster throughout" in lines[-1]


def test_benchmarks_refuse_a_missing_gpu():
    import pytest
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_fft.py"), "--device", "cuda"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode != 0 and "cuda" in out.stderr.lower()


def test_convolution_timings_and_the_fft_crossover():
    from helpers.bench import convolution_timings, fft_crossover

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
