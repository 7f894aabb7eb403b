"""Measuring wall-clock time honestly.

Introduced in the chapter "Parametric models and convolutions as structured
matrices" (FFT against direct convolution); the low-rank compression chapter
uses it for measured speed-ups. Speed is reported by the chapters and by
benchmark scripts, never asserted by tests: a slow machine is not a bug.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from . import validate

__all__ = [
    "median_time",
    "paired_times",
    "speedup",
    "inference_time",
    "module_times",
    "machine_description",
    "convolution_timings",
    "fft_crossover",
    "layout_times",
]


# The longest min_time accepted: a timing that runs each repeat for over an hour is a typo.
_MAX_MIN_TIME = 3600.0


def _callable(fn, name: str):
    if not callable(fn):
        raise TypeError(f"{name} must be a function to call with no arguments, got {validate.describe(fn)}.")
    return fn


def _timing(count, count_name: str, min_time, warmup) -> tuple[int, int, float]:
    """The shared timing settings, checked: a positive count of repeats/rounds, min_time > 0, warmup >= 0."""
    count = validate.positive_int(count, count_name)
    warmup = validate.integer(warmup, "warmup", low=0)
    min_time = validate.real(min_time, "min_time", low=0.0, low_open=True, high=_MAX_MIN_TIME)
    return count, warmup, min_time


def _model(model, name: str = "model"):
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {validate.describe(model)}.")
    return model


def _batch(inputs, name: str = "inputs", *, ndim=None):
    """A non-empty floating tensor batch (N, ...) without NaN."""
    import torch

    if not isinstance(inputs, torch.Tensor) or inputs.dim() < 2 or inputs.shape[0] < 1:
        raise ValueError(
            f"{name} must be a batch of examples as a tensor, e.g. test_images[:256]; got {validate.describe(inputs)}."
        )
    if ndim is not None and inputs.dim() != ndim:
        raise ValueError(
            f"{name} must be a batch of images as a (N, C, H, W) tensor, e.g. test_images[:256]; "
            f"got shape {tuple(inputs.shape)}."
        )
    if not inputs.is_floating_point():
        raise TypeError(f"{name} must be floating-point, got {inputs.dtype}; convert it with .float().")
    validate.tensor(inputs, name)
    return inputs


def _dry_run(model, x, name: str) -> None:
    """One call of ``model`` on ``x``, so that a batch it cannot take is refused in words, not timed."""
    from .models import _run

    _run(model, x, name)


def median_time(fn: Callable[[], object], *, repeats: int = 7, min_time: float = 0.02, warmup: int = 1) -> float:
    """Median over ``repeats`` of the seconds one call of ``fn`` takes.

    Each repeat calls ``fn`` enough times in a row to last at least
    ``min_time`` seconds (so fast functions are not swamped by timer
    resolution) and divides by the number of calls. ``warmup`` calls run first
    and are not timed (caches, lazy initialisation, thread pools).
    """
    _callable(fn, "fn")
    repeats, warmup, min_time = _timing(repeats, "repeats", min_time, warmup)
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


def paired_times(fns: dict, *, rounds: int = 7, min_time: float = 0.02, warmup: int = 1, samples: bool = False) -> dict:
    """Median seconds per call of several functions, timed in alternation.

    On a shared or thermally throttled machine the speed of the CPU drifts
    over seconds to minutes. Timing A for a while and then B for a while
    turns that drift into a false speed-up; here every round times each
    function once (for at least ``min_time``), so all of them see the same
    conditions, and the median over ``rounds`` is returned for each:
    ``{name: seconds}``. With ``samples=True`` the value is instead the list
    of the ``rounds`` per-round times, in order (round i of every function
    ran in the same minute).
    """
    if not isinstance(fns, dict):
        raise TypeError(f"fns must be a dict {{name: function}}, got {validate.describe(fns)}.")
    rounds, warmup, min_time = _timing(rounds, "rounds", min_time, warmup)
    samples = validate.boolean(samples, "samples")
    if not fns:
        raise ValueError("fns is empty: give at least one function to time.")
    for name, fn in fns.items():
        _callable(fn, f"fns[{name!r}]")
    numbers = {}
    for name, fn in fns.items():
        for _ in range(warmup):
            fn()
        start = time.perf_counter()
        fn()
        numbers[name] = max(1, int(np.ceil(min_time / max(time.perf_counter() - start, 1e-9))))
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(numbers[name]):
                fn()
            times[name].append((time.perf_counter() - start) / numbers[name])
    if samples:
        return {name: [float(t) for t in v] for name, v in times.items()}
    return {name: float(np.median(v)) for name, v in times.items()}


def speedup(
    baseline,
    candidate,
    inputs,
    *,
    device="cpu",
    threads: int | None = None,
    rounds: int = 7,
    min_time: float = 0.05,
    channels_last: bool = True,
) -> dict:
    """Measured speed-up of ``candidate`` over ``baseline`` (two models) on a batch ``inputs``, timed in alternation.

    On the CPU both models run channels-last, as :func:`helpers.train.fit` and
    ``predict`` run them (:func:`helpers.perf.channels_last`); ``channels_last=False``
    times them in whatever layout they are in. The layout, not the arithmetic,
    is what made the same network take 2.3x longer on one batch than on
    another of the same shape in an early version of this book: see the
    chapter "Low-rank compression".

    Returns ``{"baseline": s, "candidate": s, "speedup": r, "low": q25,
    "high": q75, "rounds": n}``: the median seconds per forward pass (eval
    mode, inference mode) of each model, and the median and quartiles of the
    per-round ratios baseline/candidate (each round times both models in the
    same minute). Call the candidate faster only when ``low > 1``, slower
    only when ``high < 1``: otherwise the difference is within the noise.
    """
    import torch

    from . import perf
    from .config import get_device

    _model(baseline, "baseline")
    _model(candidate, "candidate")
    _batch(inputs)
    rounds, _, min_time = _timing(rounds, "rounds", min_time, 0)
    channels_last = validate.boolean(channels_last, "channels_last")
    dev = get_device(device)
    x = inputs.to(dev)
    models = {"baseline": baseline.to(dev).eval(), "candidate": candidate.to(dev).eval()}

    def runner(m):
        def call():
            m(x)
            if dev.type == "cuda":
                torch.cuda.synchronize()

        return call

    layout = perf.channels_last(models.values(), dev, enabled=channels_last)
    with layout, perf.threads(threads), torch.inference_mode():
        for name, m in models.items():
            _dry_run(m, x, f"inputs (for the {name})")
        t = paired_times(
            {k: runner(m) for k, m in models.items()}, rounds=rounds, min_time=min_time, warmup=2, samples=True
        )
    ratios = np.array(t["baseline"]) / np.array(t["candidate"])
    base, cand = float(np.median(t["baseline"])), float(np.median(t["candidate"]))
    # the speed-up is the median of the per-round ratios, so that it always lies between its quartiles
    return {
        "baseline": base,
        "candidate": cand,
        "speedup": float(np.median(ratios)),
        "low": float(np.percentile(ratios, 25)),
        "high": float(np.percentile(ratios, 75)),
        "rounds": int(rounds),
    }


def inference_time(
    model,
    input_shape: tuple,
    batch_size: int,
    *,
    device="cpu",
    threads: int | None = None,
    repeats: int = 7,
    min_time: float = 0.05,
    warmup: int = 2,
    inputs=None,
    channels_last: bool = True,
) -> float:
    """Median seconds of one forward pass of ``model`` on a batch of ``batch_size`` inputs.

    ``inputs`` (a tensor batch) replaces the default random batch; its first
    ``batch_size`` examples are timed, so it must hold at least that many (a
    shorter batch is refused rather than timed as if it were the size asked
    for), and each must have shape ``input_shape``.
    ``channels_last`` as in :func:`speedup`.

    Runs in ``torch.inference_mode`` on ``device`` with the model in eval
    mode. ``threads`` fixes ``torch.set_num_threads`` for the measurement (and
    restores it afterwards: :func:`helpers.perf.threads`), so that runs compare
    like with like. On CUDA the
    device is synchronised after each call.
    """
    import torch

    from . import perf
    from .config import get_device

    _model(model)
    input_shape = validate.shape(input_shape, "input_shape", what="example shape such as (1, 28, 28)")
    batch_size = validate.positive_int(batch_size, "batch_size")
    repeats, warmup, min_time = _timing(repeats, "repeats", min_time, warmup)
    channels_last = validate.boolean(channels_last, "channels_last")
    if inputs is not None:
        _batch(inputs)
        if tuple(inputs.shape[1:]) != input_shape:
            raise ValueError(
                f"inputs hold examples of shape {tuple(inputs.shape[1:])}, but input_shape is {input_shape}; "
                "they must agree."
            )
        if inputs.shape[0] < batch_size:
            raise ValueError(
                f"inputs hold {inputs.shape[0]} examples but batch_size is {batch_size}: the timing would be of a "
                f"batch of {inputs.shape[0]}. Pass at least batch_size examples, or batch_size={inputs.shape[0]}."
            )
    dev = get_device(device)
    x = (torch.randn((batch_size, *input_shape)) if inputs is None else inputs[:batch_size]).to(dev)
    was = model.training
    model.to(dev).eval()

    def call():
        model(x)
        if dev.type == "cuda":
            torch.cuda.synchronize()

    try:
        with perf.channels_last(model, dev, enabled=channels_last), perf.threads(threads), torch.inference_mode():
            _dry_run(model, x, "inputs" if inputs is not None else "input_shape")
            return median_time(call, repeats=repeats, min_time=min_time, warmup=warmup)
    finally:
        model.train(was)


def module_times(
    *sequentials, x, threads: int | None = None, rounds: int = 7, min_time: float = 0.02, channels_last: bool = True
) -> list[list[tuple[str, float]]]:
    """Median seconds of each child of one or more ``torch.nn.Sequential``, each on its real input.

    ``x`` is the input of the first child; every child gets the output of the
    one before, as in a forward pass. Nested ``Sequential`` children (a
    factorized layer) are timed as one step. With several sequentials (an
    original and a compressed version with the same children names) the
    children at the same position are timed in alternation (see
    :func:`paired_times`). ``channels_last`` as in :func:`speedup` (on the CPU).
    Returns one ``[(name, seconds), ...]`` per sequential.
    """
    import torch

    from . import perf

    for seq in sequentials:
        if not isinstance(seq, torch.nn.Sequential):
            raise TypeError(f"module_times expects torch.nn.Sequential models, got {type(seq).__name__}.")
    if not sequentials:
        raise ValueError("give at least one torch.nn.Sequential.")
    _batch(x, "x")
    rounds, _, min_time = _timing(rounds, "rounds", min_time, 0)
    channels_last = validate.boolean(channels_last, "channels_last")

    names = [n for n, _ in sequentials[0].named_children()]
    for seq in sequentials[1:]:
        if [n for n, _ in seq.named_children()] != names:
            raise ValueError("the sequentials must have children with the same names, in the same order.")
    out = [[] for _ in sequentials]
    inputs = [x for _ in sequentials]
    was = [s.training for s in sequentials]
    for s in sequentials:
        s.eval()
    try:
        layout = perf.channels_last(sequentials, "cpu", enabled=channels_last)
        with layout, perf.threads(threads), torch.inference_mode():
            for s in sequentials:
                _dry_run(s, x, "x")
            for name in names:
                mods = [dict(s.named_children())[name] for s in sequentials]
                fns = {i: (lambda m=m, inp=inp: m(inp)) for i, (m, inp) in enumerate(zip(mods, inputs))}
                t = paired_times(fns, rounds=rounds, min_time=min_time)
                for i, m in enumerate(mods):
                    out[i].append((name, t[i]))
                    inputs[i] = m(inputs[i])
    finally:
        for s, w in zip(sequentials, was):
            s.train(w)
    return out


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
    return (
        f"{cpu}, {os.cpu_count()} logical cores, torch threads {torch.get_num_threads()}, {gpu}; "
        f"Python {platform.python_version()}, torch {torch.__version__}, NumPy {np.__version__}"
    )


def convolution_timings(image_sizes, kernel_sizes, *, repeats: int = 7, device="cpu", seed: int = 0) -> dict:
    """Median seconds of one circular 2-D convolution, direct and through the FFT, in PyTorch and SciPy.

    The sweep of the chapter "Parametric models and convolutions as
    structured matrices" (section "Speed"). For every image size n and kernel
    size k ≤ n it times, on one random n×n image and k×k kernel:

    * ``"torch direct"``: ``conv2d`` on the circularly padded image;
    * ``"torch FFT"``: the kernel placed in an n×n array, then ``irfft2(rfft2·rfft2)``;
    * ``"scipy direct"``: ``scipy.signal.convolve2d(boundary="wrap")``, skipped
      (NaN) for k > 15 on images above 256², where one call takes seconds;
    * ``"scipy FFT"``: ``scipy.signal.fftconvolve``.

    Returns
    -------
    dict of (len(image_sizes), len(kernel_sizes)) arrays of seconds; NaN where k > n.
    """
    import scipy.signal
    import torch
    import torch.nn.functional as F

    from .config import get_device

    sizes = {}
    for label, values in (("image_sizes", image_sizes), ("kernel_sizes", kernel_sizes)):
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"{label} must be a list of positive integers, got {validate.describe(values)}.")
        values = list(values)
        if not values:
            raise ValueError(f"{label} is empty; give at least one size.")
        sizes[label] = [validate.positive_int(v, f"each entry of {label}") for v in values]
    image_sizes, kernel_sizes = sizes["image_sizes"], sizes["kernel_sizes"]
    repeats = validate.positive_int(repeats, "repeats")
    seed = validate.integer(seed, "seed", low=0, high=2**63 - 1)
    dev = get_device(device)
    gen = torch.Generator().manual_seed(seed)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    timings = {
        key: np.full((len(image_sizes), len(kernel_sizes)), np.nan)
        for key in ("torch direct", "torch FFT", "scipy direct", "scipy FFT")
    }
    for a, n in enumerate(image_sizes):
        x = torch.randn(1, 1, n, n, generator=gen).to(dev)
        xs = x.cpu().numpy()[0, 0].astype(np.float64)
        for b, k in enumerate(kernel_sizes):
            if k > n:
                continue
            w = torch.randn(1, 1, k, k, generator=gen).to(dev)
            ws = w.cpu().numpy()[0, 0].astype(np.float64)

            def direct(x=x, w=w, k=k):
                out = F.conv2d(F.pad(x, (k // 2,) * 4, mode="circular"), w)
                sync()
                return out

            def via_fft(x=x, w=w, k=k, n=n):
                c = torch.zeros(n, n, device=dev)
                c[:k, :k] = w[0, 0].flip(0, 1)
                c = torch.roll(c, (-(k // 2), -(k // 2)), (0, 1))
                out = torch.fft.irfft2(torch.fft.rfft2(c) * torch.fft.rfft2(x[0, 0]), s=(n, n))
                sync()
                return out

            timings["torch direct"][a, b] = median_time(direct, repeats=repeats)
            timings["torch FFT"][a, b] = median_time(via_fft, repeats=repeats)
            if k <= 15 or n <= 256:  # direct SciPy on big kernels takes seconds per call
                timings["scipy direct"][a, b] = median_time(
                    lambda xs=xs, ws=ws: scipy.signal.convolve2d(xs, ws, mode="same", boundary="wrap"), repeats=repeats
                )
            timings["scipy FFT"][a, b] = median_time(
                lambda xs=xs, ws=ws: scipy.signal.fftconvolve(xs, ws, mode="same"), repeats=repeats
            )
    return timings


def fft_crossover(direct, via_fft, kernel_sizes) -> list:
    """Per image size (row), the smallest kernel size at which the FFT is faster; ``None`` if never in the range."""
    # NaN marks a kernel larger than the image (skipped), so NaN is allowed here
    direct = validate.array(direct, "direct", ndim=2, finite=False)
    via_fft = validate.array(via_fft, "via_fft", ndim=2, finite=False)
    if isinstance(kernel_sizes, (str, bytes)) or not hasattr(kernel_sizes, "__len__"):
        raise TypeError(f"kernel_sizes must be a list of positive integers, got {validate.describe(kernel_sizes)}.")
    kernel_sizes = [validate.positive_int(k, "each entry of kernel_sizes") for k in kernel_sizes]
    if direct.shape != via_fft.shape or direct.ndim != 2 or direct.shape[1] != len(kernel_sizes):
        raise ValueError(
            f"direct {direct.shape} and via_fft {via_fft.shape} must both be (image sizes, {len(kernel_sizes)})."
        )
    out = []
    for a in range(direct.shape[0]):
        faster = [k for b, k in enumerate(kernel_sizes) if np.isfinite(direct[a, b]) and via_fft[a, b] < direct[a, b]]
        out.append(faster[0] if faster else None)
    return out


def layout_times(model, inputs, *, threads: int | None = None, rounds: int = 7, min_time: float = 0.05) -> dict:
    """Median seconds of one forward pass of ``model`` in the NCHW and the NHWC (channels-last) layout, on the CPU.

    The chapter "Low-rank compression" shows with it that the memory layout
    alone, with the same weights and the same arithmetic, changes the time of
    a network. ``model`` runs as it is (NCHW, PyTorch's default) and a copy of
    it channels-last (:func:`helpers.perf.channels_last`), in alternation (see
    :func:`paired_times`), in inference mode, on the batch ``inputs``.
    ``threads`` sets ``torch.set_num_threads`` for the measurement only.

    Returns
    -------
    dict
        ``{"NCHW": seconds, "NHWC": seconds}``.
    """
    import copy

    import torch

    from . import perf

    _model(model)
    _batch(inputs, ndim=4)
    rounds, _, min_time = _timing(rounds, "rounds", min_time, 0)
    inputs = inputs.cpu()
    model = model.cpu().eval()
    nhwc = copy.deepcopy(model)  # the same weights, stored channels-last
    with perf.threads(threads), perf.channels_last(nhwc, "cpu"), torch.inference_mode():
        _dry_run(model, inputs, "inputs")
        return paired_times(
            {"NCHW": lambda: model(inputs), "NHWC": lambda: nhwc(inputs)}, rounds=rounds, min_time=min_time
        )
