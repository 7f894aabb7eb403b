"""One place for the checks every helper makes on what a reader passes in.

Each function takes the value and the *name* the reader knows it by (the
argument's name, or a phrase such as "rank k"), and either returns the value
in a canonical form or raises a ``TypeError``/``ValueError`` whose message
names the argument, says what was given and what is expected. The rules are
the book's, the same in every module:

* NumPy scalars count as numbers (``np.int64(3)`` is an integer,
  ``np.float32(0.9)`` a real number); ``True``/``False`` never do.
* Arrays are real: complex input is refused rather than silently losing its
  imaginary part; strings and objects are refused; NaN and infinities are
  refused wherever the result would be meaningless.
* Nothing here imports torch at module level beyond what helpers already do;
  :func:`tensor` accepts tensors and arrays alike.

Used by every module of ``helpers``; not a chapter's subject.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

__all__ = [
    "describe",
    "integer",
    "positive_int",
    "real",
    "fraction",
    "boolean",
    "choice",
    "array",
    "tensor",
    "image_batch",
    "shape",
    "seed",
    "function",
    "module",
    "device",
    "labels",
]


def describe(value: Any) -> str:
    """A short description of ``value`` for an error message: repr for scalars, shape for arrays."""
    if isinstance(value, torch.Tensor):
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    if isinstance(value, np.ndarray):
        return f"a {value.dtype} array of shape {value.shape}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    kind = type(value).__name__
    if isinstance(value, (bool, int, float, str, type(None))):
        return text
    return f"{text} ({kind})"


def _is_int(value) -> bool:
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value) -> bool:
    return (
        isinstance(value, (numbers.Real, np.integer, np.floating))
        and not isinstance(value, (bool, np.bool_))
        and not isinstance(value, torch.Tensor)
    )


def integer(value, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` as a Python ``int`` if it is an integer in ``[low, high]`` (either bound optional).

    A 0-d integer tensor or array counts; floats (even ``3.0``), strings and
    booleans do not.
    """
    if isinstance(value, torch.Tensor) and value.dim() == 0:
        if not (value.is_floating_point() or value.is_complex() or value.dtype == torch.bool):
            value = value.item()
    elif isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu":
        value = value.item()
    for bound, label in ((low, "low"), (high, "high")):
        if bound is not None and not _is_int(bound):
            raise TypeError(f"the bound {label} for {name} must be an integer or None, got {describe(bound)}.")
    if not _is_int(value):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            hint = f" (write {int(value)}, without the decimal point)"
        else:
            hint = ""
        raise TypeError(f"{name} must be an integer, got {describe(value)}{hint}.")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        if high is None:
            want = {1: "a positive integer", 0: "a non-negative integer"}.get(low, f"an integer >= {low}")
        elif low is None:
            want = f"an integer <= {high}"
        else:
            want = f"an integer from {low} to {high}"
        raise ValueError(f"{name} must be {want}, got {value}.")
    return value


def positive_int(value, name: str) -> int:
    """``value`` as an ``int`` if it is an integer of at least 1."""
    return integer(value, name, low=1)


def real(
    value,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    finite: bool = True,
) -> float:
    """``value`` as a Python ``float`` if it is a real number in the given range.

    ``low``/``high`` are inclusive unless ``low_open``/``high_open``. NaN is
    always refused; infinities unless ``finite=False``.
    """
    if isinstance(value, (np.ndarray, torch.Tensor)) and value.ndim == 0:
        if isinstance(value, torch.Tensor) and (value.dtype == torch.bool or value.is_complex()):
            pass
        elif isinstance(value, np.ndarray) and value.dtype.kind not in "iuf":
            pass
        else:
            value = value.item()
    for bound, label in ((low, "low"), (high, "high")):
        if bound is not None and (not _is_real(bound) or np.isnan(bound)):
            raise TypeError(f"the bound {label} for {name} must be a real number or None, got {describe(bound)}.")
    if not _is_real(value):
        kind = "a complex number" if isinstance(value, (complex, np.complexfloating)) else describe(value)
        raise TypeError(f"{name} must be a real number, got {kind}.")
    value = float(value)
    if np.isnan(value):
        raise ValueError(f"{name} must be a number, got NaN.")
    if finite and np.isinf(value):
        raise ValueError(f"{name} must be finite, got {value}.")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        if low is not None and high is not None:
            want = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        elif low is not None:
            want = f"a number {'>' if low_open else '>='} {low:g}"
        else:
            want = f"a number {'<' if high_open else '<='} {high:g}"
        raise ValueError(f"{name} must be {want}, got {value:g}.")
    return value


def fraction(value, name: str, *, zero: bool = False, one: bool = True) -> float:
    """A number in (0, 1] by default; ``zero=True`` admits 0, ``one=False`` excludes 1."""
    return real(value, name, low=0.0, high=1.0, low_open=not zero, high_open=not one)


def boolean(value, name: str) -> bool:
    """``value`` if it is ``True`` or ``False`` (a NumPy bool counts); 0, 1 and strings do not."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {describe(value)}.")


def choice(value, name: str, options: Iterable) -> Any:
    """``value`` if it is one of ``options`` (strings compare case-sensitively)."""
    if isinstance(options, (str, bytes)) or not isinstance(options, Iterable):
        raise TypeError(f"options for {name} must be a list of the allowed values, got {describe(options)}.")
    options = tuple(options)
    if not options:
        raise ValueError(f"options for {name} is empty: give at least one allowed value.")
    if isinstance(value, (np.ndarray, torch.Tensor, list, dict, set)):
        ok = False  # a container is never one of the options (and `in` would compare element-wise)
    else:
        try:
            ok = any(value == o and type(value) is not bool or value is o for o in options)
        except (TypeError, ValueError):
            ok = False
    if isinstance(value, bool) and not any(isinstance(o, bool) for o in options):
        ok = False
    if not ok:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {listed}; got {describe(value)}.")
    return value


def _ndims(ndim) -> tuple[int, ...] | None:
    if ndim is None:
        return None
    dims = (ndim,) if _is_int(ndim) else tuple(ndim) if isinstance(ndim, (tuple, list)) else None
    if not dims or not all(_is_int(d) and d >= 0 for d in dims):
        raise TypeError(f"ndim must be a number of dimensions (an int >= 0) or a tuple of them, got {describe(ndim)}.")
    return tuple(int(d) for d in dims)


def _shape_text(ndim: tuple[int, ...]) -> str:
    return " or ".join(f"{d}-D" for d in ndim)


def array(
    value,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    finite: bool = True,
    empty: bool = False,
    dtype=np.float64,
) -> np.ndarray:
    """``value`` as a real NumPy array of ``dtype`` after checking it.

    Tensors (moved to the CPU), lists and arrays are accepted. Refused, with a
    message naming ``name``: strings, objects and anything else NumPy cannot
    read as numbers; complex values; booleans when a float ``dtype`` is asked
    for as a *single* value (a boolean array is read as 0/1); the wrong number
    of dimensions (``ndim``); an empty array (unless ``empty``); NaN or
    infinite values (unless ``finite=False``).
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be an array of numbers, got {describe(value)}.")
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        if value.is_complex():
            raise TypeError(f"{name} must be real, got a complex tensor ({value.dtype}); pass its .real or .abs().")
        value = value.numpy() if value.dtype != torch.bfloat16 else value.float().numpy()
    try:
        raw = np.asarray(value)
    except (ValueError, TypeError) as err:
        raise TypeError(f"{name} must be an array of numbers, got {describe(value)} ({err}).") from None
    if raw.dtype.kind == "c":
        raise TypeError(f"{name} must be real, got a complex array ({raw.dtype}); pass its .real or np.abs() of it.")
    if raw.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be an array of numbers, got {describe(value)} of dtype {raw.dtype}.")
    arr = raw.astype(dtype, copy=False) if dtype is not None else raw
    want = _ndims(ndim)
    if want is not None and arr.ndim not in want:
        raise ValueError(f"{name} must be a {_shape_text(want)} array, got shape {arr.shape}.")
    if not empty and arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); it needs at least one value.")
    if finite and arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); clean or impute them first.")
    return arr


def tensor(
    value,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    finite: bool = True,
    empty: bool = False,
    floating: bool = True,
) -> torch.Tensor:
    """``value`` as a torch tensor after the checks of :func:`array`.

    Tensors keep their device and floating dtype; arrays and lists become
    ``float32`` tensors (``floating=True``) or keep their integer dtype.
    """
    if isinstance(value, torch.Tensor):
        if value.is_complex():
            raise TypeError(f"{name} must be real, got a complex tensor ({value.dtype}); pass its .real or .abs().")
        if floating and not value.is_floating_point():
            value = value.float()
        want = _ndims(ndim)
        if want is not None and value.dim() not in want:
            raise ValueError(f"{name} must be a {_shape_text(want)} tensor, got shape {tuple(value.shape)}.")
        if not empty and value.numel() == 0:
            raise ValueError(f"{name} is empty (shape {tuple(value.shape)}); it needs at least one value.")
        if finite and value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise ValueError(f"{name} contains NaN or infinite values; clean or impute them first.")
        return value
    arr = array(value, name, ndim=ndim, finite=finite, empty=empty, dtype=np.float32 if floating else None)
    return torch.from_numpy(np.ascontiguousarray(arr))


def image_batch(
    value,
    name: str,
    *,
    channels: int | None = None,
    size: int | tuple[int, int] | None = None,
) -> torch.Tensor:
    """A floating ``(N, C, H, W)`` batch with the given channels and size; checked before torch sees it.

    Used by the models so that a wrong channel count, image size or dtype
    gets a message in the book's words rather than a shape error from deep
    inside ``conv2d``.
    """
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch tensor of shape (N, C, H, W), got {describe(value)}.")
    if not value.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor (e.g. float32), got {value.dtype}; "
            "convert it with .float() (and scale pixels to [0, 1])."
        )
    if value.dim() != 4:
        raise ValueError(f"{name} must have shape (N, C, H, W), got shape {tuple(value.shape)}.")
    if value.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (shape {tuple(value.shape)}).")
    if channels is not None:
        channels = positive_int(channels, f"channels (the channel count expected of {name})")
    if size is not None:
        size = shape((size, size) if _is_int(size) else size, f"size (the image size expected of {name})", length=2)
    if channels is not None and value.shape[1] != channels:
        raise ValueError(f"{name} must have {channels} channel(s), got {value.shape[1]} (shape {tuple(value.shape)}).")
    if size is not None:
        hw = size
        if tuple(value.shape[2:]) != hw:
            raise ValueError(
                f"{name} must have {hw[0]} x {hw[1]} images, got {value.shape[2]} x {value.shape[3]} "
                f"(shape {tuple(value.shape)})."
            )
    return value


def shape(value, name: str, *, length: int | None = None, what: str = "shape") -> tuple[int, ...]:
    """A shape as a tuple of positive ints: a tuple, list, ``torch.Size`` or 1-D integer array.

    ``length`` fixes the number of entries (2 for an image's (H, W), 3 for one
    image's (C, H, W)); ``what`` describes them in the message, e.g.
    "image shape (H, W)".
    """
    if length is not None:
        length = positive_int(length, f"length (of the shape expected of {name})")
    if isinstance(value, torch.Size):
        value = tuple(value)
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = tuple(value.tolist())
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{name} must be a {what} given as a tuple of positive integers, got {describe(value)}.")
    if not value or (length is not None and len(value) != length):
        count = f"{length} positive integers" if length is not None else "at least one positive integer"
        raise ValueError(f"{name} must be a {what} of {count}, got {describe(value)}.")
    return tuple(positive_int(v, f"each entry of {name}") for v in value)


def seed(value, name: str = "seed") -> int:
    """A random seed: an integer from 0 to 2**32 - 1 (what NumPy and torch both accept)."""
    return integer(value, name, low=0, high=2**32 - 1)


def function(value, name: str, what: str = "") -> Any:
    """``value`` if it is callable; ``what`` says what it should do, e.g. "of x returning f(x)"."""
    if not callable(value):
        raise TypeError(f"{name} must be a function{' ' + what if what else ''}, got {describe(value)}.")
    return value


def module(value, name: str = "model") -> torch.nn.Module:
    """``value`` if it is a ``torch.nn.Module`` (a model or a layer)."""
    if not isinstance(value, torch.nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {describe(value)}.")
    return value


def device(value, name: str = "device") -> torch.device:
    """``value`` resolved by ``helpers.config.get_device`` ('auto', 'cpu', 'cuda', 'cuda:N', a torch.device,
    or None for 'auto'), with the argument named in any error."""
    from .config import get_device  # config uses this module: imported here to avoid a cycle

    try:
        return get_device(value)
    except (TypeError, ValueError) as err:
        message = str(err)
        raise type(err)(message if message.startswith(name) else f"{name}: {message}") from None


def labels(value, name: str, *, num_classes: int | None = None, n: int | None = None) -> np.ndarray:
    """``value`` as a 1-D integer array of class indices 0 … ``num_classes`` − 1, ``n`` of them if given.

    Floats are refused even when whole (``.astype(int)`` them on purpose), and
    so are booleans: a label is a class index, not a number to round.
    """
    if num_classes is not None:
        num_classes = positive_int(num_classes, f"num_classes (for {name})")
    if n is not None:
        n = integer(n, f"n (the number of examples for {name})", low=0)
    y = array(value, name, ndim=1, dtype=None)
    if y.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must be integer class indices, got dtype {y.dtype}; convert whole numbers with .astype(int)."
        )
    if y.min() < 0 or (num_classes is not None and y.max() >= num_classes):
        top = f"0..{num_classes - 1}" if num_classes is not None else "0 or more"
        raise ValueError(f"{name} must be class indices {top}, got values from {y.min()} to {y.max()}.")
    if n is not None and y.shape[0] != n:
        raise ValueError(f"{name} has {y.shape[0]} entries but there are {n} examples; give one label per example.")
    return y
