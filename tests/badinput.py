"""The bad-input battery shared by the ``tests/test_bad_input_*.py`` files.

A module's battery is a list of :func:`spec` entries: a public function, one
valid call (keyword arguments) and, for each argument, the *kind* of value it
takes. :func:`bad_cases` expands every argument into the bad values of its
kind (wrong type, wrong shape, NaN, booleans, out-of-range numbers, complex
input, ...), and :func:`check_bad` asserts the book's standard for each: a
``TypeError``/``ValueError`` whose message names the argument. :func:`good_cases`
replays the valid call with NumPy scalars in place of Python numbers, which
must be accepted.

Kinds are named by what the argument means, so a reader of a test sees
``"k": "rank"`` and knows which bad values were tried. Add a kind here when a
module needs one; keep the lists short and pointed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import torch

NAN = float("nan")
INF = float("inf")

# Values every argument should refuse, whatever its kind: wrong Python type.
_NOT_A_NUMBER = ["3", None, [1, 2]]
_NOT_AN_ARRAY = ["abc", None, {"a": 1}]

BAD: dict[str, list] = {
    # integers
    "pos_int": [True, 0, -1, 2.5, *_NOT_A_NUMBER],  # 1, 2, 3 ...
    "count": [True, 0, -3, 1.5, "2", None],  # a size or number of things
    "nonneg_int": [True, -1, 2.5, *_NOT_A_NUMBER],  # 0, 1, 2 ...
    "seed": [True, -1, 1.5, "0", None],
    "rank": [True, 0, -1, 10**6, 2.5, "3", None],  # 1 ... full rank
    "rank_list": [[0], [1, 10**6], [2.5], "12", 3, [], [True]],
    # real numbers
    "real": [True, NAN, 1j, "0.5", None],
    "finite": [True, NAN, INF, -INF, 1j, "0.5", None],
    "positive": [True, 0, -1.0, NAN, INF, 1j, "1", None],
    "nonneg": [True, -1e-3, NAN, INF, 1j, "0", None],
    "fraction": [True, 0.0, -0.1, 1.5, NAN, 1j, "0.5", None],  # (0, 1]
    "prob": [True, -0.1, 1.5, NAN, "0.5", None],  # [0, 1]
    # flags and choices
    "flag": [1, 0, "yes", None, 2.0],
    "name": [3, None, True, "no-such-name"],
    # arrays (float)
    "vector": ["abc", None, np.ones((2, 2)), np.ones(0), np.array([1.0, NAN]), np.array([1 + 1j, 2.0])],
    "matrix": ["abc", None, np.ones(3), np.ones((0, 3)), np.full((3, 3), NAN), np.ones((3, 3)) * 1j],
    "image": ["abc", None, np.ones(3), np.ones((0, 4)), np.full((4, 4), NAN), np.ones((4, 4)) * (1 + 1j)],
    "values": ["abc", None, np.ones(0), np.array([1.0, NAN]), np.array([1j, 2.0])],  # any shape, non-empty
    "tensor4d": ["abc", None, torch.ones(3), torch.ones(0, 1, 4, 4), torch.full((1, 1, 4, 4), NAN)],
    # objects
    "module": ["model", None, 3, np.ones(3)],
    "conv": ["conv", None, torch.nn.Linear(2, 2), 3],
    "callable": ["f", None, 3],
    "dict": ["d", None, 3, [1, 2]],
    "path": [None, 3, ""],
}

# A NumPy scalar standing in for a valid Python value; must be accepted.
_NUMPY_LIKE: dict[str, Callable[[Any], Any]] = {
    "pos_int": np.int64,
    "count": np.int64,
    "nonneg_int": np.int64,
    "seed": np.int64,
    "rank": np.int64,
    "real": np.float32,
    "finite": np.float32,
    "positive": np.float32,
    "nonneg": np.float32,
    "fraction": np.float32,
    "prob": np.float32,
}


@dataclass
class Spec:
    fn: Callable
    valid: dict
    kinds: dict  # arg -> a kind named in BAD, or a list of bad values of its own
    says: dict = field(default_factory=dict)  # arg -> text its message must contain, if not its name
    skip: dict = field(default_factory=dict)  # arg -> values of its kind that are legitimate here
    extra: list = field(default_factory=list)  # (arg, bad value) pairs beyond the kinds
    factory: Callable | None = None  # valid() is called through this when arguments are expensive

    @property
    def name(self) -> str:
        mod = self.fn.__module__.rsplit(".", 1)[-1]
        return f"{mod}.{getattr(self.fn, '__qualname__', self.fn.__name__)}"


def spec(fn, valid: dict | Callable, kinds: dict, **more) -> Spec:
    """One function's entry: ``valid`` keyword arguments (or a function returning them)."""
    if callable(valid):
        return Spec(fn, {}, kinds, factory=valid, **more)
    return Spec(fn, valid, kinds, **more)


def _valid(s: Spec) -> dict:
    return dict(s.factory()) if s.factory is not None else dict(s.valid)


def _short(value) -> str:
    if isinstance(value, (np.ndarray, torch.Tensor)):
        kind = "t" if isinstance(value, torch.Tensor) else "a"
        dtype = str(value.dtype).replace("torch.", "")
        return f"{kind}{tuple(value.shape)}{dtype}"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    text = repr(value)
    return text if len(text) <= 20 else text[:17] + "..."


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, (np.ndarray, torch.Tensor)):
        return False
    try:
        return bool(a == b) or (isinstance(a, float) and math.isnan(a) and math.isnan(b))
    except Exception:
        return False


def bad_cases(specs: list[Spec]) -> list:
    """Every (spec, argument, bad value) triple, as pytest params with readable ids."""
    out = []
    for s in specs:
        for arg, kind in s.kinds.items():
            skips = s.skip.get(arg, ())
            for value in BAD[kind] if isinstance(kind, str) else kind:
                if any(_same(value, ok) for ok in skips):
                    continue
                out.append(pytest.param(s, arg, value, id=f"{s.name}-{arg}-{_short(value)}"))
        for arg, value in s.extra:
            out.append(pytest.param(s, arg, value, id=f"{s.name}-{arg}-{_short(value)}-extra"))
    return out


def good_cases(specs: list[Spec]) -> list:
    """Each spec with a numeric argument, replayed with NumPy scalars."""
    out = []
    for s in specs:
        if any(isinstance(kind, str) and kind in _NUMPY_LIKE for kind in s.kinds.values()):
            out.append(pytest.param(s, id=s.name))
    return out


def check_bad(s: Spec, arg: str, value) -> None:
    """The standard: a TypeError or ValueError that names the argument."""
    kwargs = _valid(s)
    kwargs[arg] = value
    try:
        result = s.fn(**kwargs)
    except (TypeError, ValueError) as err:
        says = s.says.get(arg, arg)
        options = says if isinstance(says, (tuple, list)) else (says,)
        message = str(err)
        assert any(o.lower() in message.lower() for o in options), (
            f"{s.name}({arg}={_short(value)}) raised {type(err).__name__} without naming "
            f"{' or '.join(map(repr, options))}: {message}"
        )
        assert "Traceback" not in message
        return
    except Exception as err:  # noqa: BLE001 - the point is to report which
        pytest.fail(f"{s.name}({arg}={_short(value)}) raised a library-internal {type(err).__name__}: {err}")
    pytest.fail(f"{s.name}({arg}={_short(value)}) accepted the bad value and returned {_short(result)}")


def check_good(s: Spec) -> None:
    """The valid call still works with ``np.int64``/``np.float32`` in place of numbers."""
    kwargs = _valid(s)
    for arg, kind in s.kinds.items():
        if (
            isinstance(kind, str)
            and kind in _NUMPY_LIKE
            and isinstance(kwargs.get(arg), (int, float))
            and not isinstance(kwargs[arg], bool)
        ):
            kwargs[arg] = _NUMPY_LIKE[kind](kwargs[arg])
    s.fn(**kwargs)
