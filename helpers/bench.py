"""Measuring wall-clock time honestly.

Introduced in the chapter "Parametric models and convolutions as structured
matrices" (FFT against direct convolution); the low-rank compression chapter
uses it for measured speed-ups. Speed is reported by the chapters and by
benchmark scripts, never asserted by tests: a slow machine is not a bug.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

__all__ = ["median_time", "inference_time", "machine_description"]


def median_time(fn: Callable[[], object], *, repeats: int = 7, min_time: float = 0.02,
                warmup: int = 1) -> float:
    """Median over ``repeats`` of the seconds one call of ``fn`` takes.

    Each repeat calls ``fn`` enough times in a row to last at least
    ``min_time`` seconds (so fast functions are not swamped by timer
    resolution) and divides by the number of calls. ``warmup`` calls run first
    and are not timed (caches, lazy initialisation, thread pools).
    """
    for label, value in (("repeats", repeats), ("warmup", warmup)):
        if isinstance(value, bool) or not isinstance(value, int) or value < (1 if label == "repeats" else 0):
            raise ValueError(f"{label} must be a {'positive' if label == 'repeats' else 'non-negative'} integer, got {value!r}.")
    if not min_time > 0:
        raise ValueError(f"min_time must be positive, got {min_time!r}.")
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-9)
    number = max(1, int(np.ceil(min_time / once)))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return float(np.median(samples))


def inference_time(model, input_shape: tuple, batch_size: int, *, device="cpu", threads: int | None = None,
                   repeats: int = 7, min_time: float = 0.05, warmup: int = 2) -> float:
    """Median seconds of one forward pass of ``model`` on a batch of ``batch_size`` inputs.

    Runs in ``torch.inference_mode`` on ``device`` with the model in eval
    mode. ``threads`` fixes ``torch.set_num_threads`` for the measurement (and
    restores it afterwards), so that runs compare like with like. On CUDA the
    device is synchronised after each call.
    """
    import torch

    from .config import get_device

    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    dev = get_device(device)
    x = torch.randn((batch_size,) + tuple(input_shape), device=dev)
    was = model.training
    model.to(dev).eval()
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(int(threads))

    def call():
        model(x)
        if dev.type == "cuda":
            torch.cuda.synchronize()

    try:
        with torch.inference_mode():
            return median_time(call, repeats=repeats, min_time=min_time, warmup=warmup)
    finally:
        torch.set_num_threads(before)
        model.train(was)


def machine_description() -> str:
    """A one-line description of the machine: CPU model, cores, threads, GPU, library versions."""
    import os
    import platform

    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (f"{cpu}, {os.cpu_count()} logical cores, torch threads {torch.get_num_threads()}, {gpu}; "
            f"Python {platform.python_version()}, torch {torch.__version__}, NumPy {np.__version__}")
