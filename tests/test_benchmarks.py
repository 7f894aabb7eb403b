"""The benchmark scripts run and print their figures (their speeds are reported, never asserted)."""

import subprocess
import sys
from pathlib import Path

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
