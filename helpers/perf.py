"""Speed-only settings, each opt-in: the C allocator, CPU threads, the channels-last layout.

Introduced in the chapter "Low-rank compression", whose timings fix the number
of CPU threads and compare two memory layouts of the same network. Every
setting here changes how fast a computation runs, never what it computes (a
convolution in another memory layout agrees to float rounding), and each is
switched on in one line by the code that wants it, never behind a reader's
back:

* :func:`tune_allocator` keeps the blocks that PyTorch's CPU tensors come
  from in glibc's heap instead of mapping them afresh for every batch. A
  chapter that trains on the CPU calls it once, after ``helpers.setup``;
  ``benchmarks/bench_allocator.py`` measures what it is worth.
  ``LAAIC_TUNE_MALLOC=0`` turns it off.
* :func:`threads` runs a block with a fixed number of PyTorch CPU threads and
  restores the previous count afterwards, also when the block fails:
  ``with perf.threads(2): ...``. :mod:`helpers.bench` times with it.
* :func:`channels_last` runs convolutional networks in the channels-last
  (NHWC) layout on the CPU for the duration of a block and restores the
  default layout afterwards. :func:`helpers.train.fit`, ``predict`` and the
  timings of :mod:`helpers.bench` use it (as ``helpers.models.cpu_layout``);
  ``benchmarks/bench_training.py`` measures both layouts.

Environment variable read here (optional):

``LAAIC_TUNE_MALLOC``  ``0``/``false``/``no``/``off`` makes :func:`tune_allocator`
                       leave the C allocator as it is; unset, blank or
                       ``1``/``true``/``yes``/``on`` lets it tune; anything else
                       is an error.

This module imports only the standard library, NumPy, PyTorch, :mod:`helpers.validate` and
:mod:`helpers.config`, so that every other helpers module may use it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import numbers
import sys
from collections.abc import Iterable, Iterator

import numpy as np
import torch
from torch import nn

from .config import env_flag, get_device
from .validate import describe

__all__ = ["tune_allocator", "allocator_tuned", "threads", "channels_last"]

# glibc's mallopt() parameters (malloc.h) and the values set by tune_allocator().
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 * 2**20  # the largest value glibc accepts on 64-bit machines
TRIM_THRESHOLD = 256 * 2**20
# None: not tried yet in this process; True/False: the outcome of the one try.
_allocator_tuned: bool | None = None


def _glibc_mallopt():
    """glibc's ``mallopt`` as a ctypes function, or ``None`` where there is none (macOS, Windows, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc
        return None
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return mallopt


def tune_allocator() -> bool:
    """Let glibc's ``malloc`` reuse freed memory for blocks of up to 32 MiB.

    Why: PyTorch's CPU tensors come straight from ``malloc``. By default glibc
    serves a large block (a CNN's activations or gradients, a few MiB to tens
    of MiB per batch) with a fresh ``mmap`` and hands it back to the kernel
    when the tensor is freed, so every batch pays a page fault and a zeroed
    page for every 4 KiB it touches: 3,000 to 16,000 faults per training step
    of the report's CNN at batch 128, none once tuned, and 1.2x to 1.4x more
    CPU time per step (``benchmarks/bench_allocator.py``, one thread, on the
    book's 2-core machine). TinyConvNet's smaller blocks do not fault either
    way; at width 6 only its inference batches of 256 do. Since glibc adapts
    its threshold to the blocks a process has freed before, the same forward
    pass could be fast or slow depending on what ran earlier (one run of the
    benchmark saw no faults for the 32x32 CNN untuned, the next 9,500).
    Raising the mmap threshold to 32 MiB and the trim threshold to 256 MiB
    keeps such blocks in the heap, where the next batch reuses them without
    faults. Tensors above 32 MiB (whole datasets) are still mapped and
    returned as before, so peak memory hardly changes.
    ``benchmarks/bench_allocator.py`` measures the effect.

    Opt-in: a chapter that trains or times networks on the CPU calls it once,
    right after ``helpers.setup``; :func:`helpers.setup` does not. The
    setting is process-wide and cannot be undone, so the call is idempotent:
    the first call decides, later calls return the same answer.

    Returns
    -------
    bool
        Whether the allocator is tuned. ``False`` off glibc (macOS, Windows,
        musl), and when ``$LAAIC_TUNE_MALLOC`` is ``0`` (then nothing is
        changed; a process tuned earlier stays tuned and ``True`` is returned).

    Raises
    ------
    ValueError
        If ``$LAAIC_TUNE_MALLOC`` holds something other than a yes/no value.
    """
    global _allocator_tuned
    if not env_flag("LAAIC_TUNE_MALLOC", default=True):
        return bool(_allocator_tuned)
    if _allocator_tuned is None:
        mallopt = _glibc_mallopt()
        # mallopt returns 1 on success; the mmap threshold must be set first,
        # since setting it also fixes the (otherwise dynamic) trim threshold.
        _allocator_tuned = bool(
            mallopt is not None
            and mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
            and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
        )
    return _allocator_tuned


def allocator_tuned() -> bool:
    """Whether :func:`tune_allocator` has tuned the allocator of this process (it changes nothing)."""
    return bool(_allocator_tuned)


def threads(n: int | None) -> contextlib.AbstractContextManager[int]:
    """Run a block with ``n`` PyTorch CPU threads, then restore the count it had.

    ``with perf.threads(2): ...`` fixes ``torch.set_num_threads`` for the
    block, so that timings compare like with like, and sets the previous count
    back when the block ends, also when it raises. The context value is the
    number of threads in use inside the block.

    Parameters
    ----------
    n : int or None
        A positive number of threads; ``None`` keeps the current count (and
        still restores it afterwards, should the block change it).

    Raises
    ------
    TypeError
        If ``n`` is not an integer (or ``None``).
    ValueError
        If ``n`` is zero or negative.
    """
    if n is not None:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"threads must be a positive integer or None, not {describe(n)}.")
        if n <= 0:
            raise ValueError(f"threads must be a positive integer, got {n}; use None to keep the current count.")
    return _threads(None if n is None else int(n))


@contextlib.contextmanager
def _threads(n: int | None) -> Iterator[int]:
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


def channels_last(
    models: nn.Module | Iterable[nn.Module], device: str | torch.device = "cpu", *, enabled: bool = True
) -> contextlib.AbstractContextManager:
    """Run convolutional networks in the channels-last memory layout while on the CPU, then restore it.

    PyTorch's CPU convolutions (oneDNN) are fastest on NHWC tensors: on a
    2-core CPU ``ReportCNN`` trains about 1.4x and infers about 2x faster
    channels-last than in the default NCHW layout
    (``benchmarks/bench_training.py`` prints both). :func:`helpers.train.fit`,
    :func:`helpers.train.predict` and the timings of :mod:`helpers.bench` all
    run models this way (``helpers.models.cpu_layout`` is this function).
    Only the layout in memory changes, not the tensors' shapes or values, so
    outputs agree to float rounding; the parameters are the same objects
    afterwards (an optimiser holding them stays valid), back in the default
    layout that the analysis chapters' ``view`` calls expect.

    Parameters
    ----------
    models : torch.nn.Module or iterable of them
        The network(s). Models without a ``Conv2d`` are left alone, and so is
        a model already channels-last (a nested call, such as ``evaluate``
        inside ``fit``, leaves the layout to the outer one).
    device : str or torch.device
        Where the models run; on any device but the CPU nothing changes.
    enabled : bool
        ``False`` changes nothing (the models run in whatever layout they are in).

    Returns
    -------
    context manager
        Its value is the model, or the list of models when several were given.

    Raises
    ------
    TypeError
        If ``models`` holds something that is not a ``torch.nn.Module``, or
        ``enabled`` is not a bool.
    """
    iterable = isinstance(models, Iterable) and not isinstance(models, (str, bytes, torch.Tensor))
    mods = [models] if isinstance(models, nn.Module) else list(models) if iterable else None
    if mods is None or not all(isinstance(m, nn.Module) for m in mods):
        raise TypeError(
            f"channels_last expects models: a torch.nn.Module or an iterable of them, got {describe(models)}."
        )
    if not isinstance(enabled, (bool, np.bool_)):
        raise TypeError(f"enabled must be True or False, not {describe(enabled)}.")
    enabled = bool(enabled)
    on_cpu = _device(device).type == "cpu"
    value = models if isinstance(models, nn.Module) else mods
    return _channels_last(value, mods if enabled and on_cpu else [])


def _device(device) -> torch.device:
    """``device`` as a torch.device: a torch.device, a name ('cpu', 'cuda', 'cuda:0', 'auto') or None ('auto')."""
    if isinstance(device, torch.device):
        return device
    if device is None:
        return get_device(None)
    if not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'cpu' or 'cuda', or a torch.device; got {describe(device)}.")
    if device.strip().lower() == "auto":
        return get_device("auto")
    try:
        return torch.device(device.strip().lower())
    except RuntimeError:
        raise ValueError(f"unknown device {device!r}; use 'auto', 'cpu', 'cuda' or 'cuda:N'.") from None


@contextlib.contextmanager
def _channels_last(value, mods: list[nn.Module]):
    converted = []
    try:
        for m in mods:
            weights = [c.weight for c in m.modules() if isinstance(c, nn.Conv2d)]
            if not all(w.is_contiguous(memory_format=torch.channels_last) for w in weights):
                m.to(memory_format=torch.channels_last)
                converted.append(m)
        yield value
    finally:
        for m in converted:
            m.to(memory_format=torch.contiguous_format)
