"""Run-time configuration shared by every chapter.

Introduced in the chapter "The datasets" and used by all later ones. One place
decides four things:

* **quick mode** versus full mode. Full mode (the default) is what a reader
  runs; quick mode shrinks every chapter so that continuous integration stays
  inside its time limit. It is switched on by the environment variable
  ``LAAIC_QUICK=1`` or by passing ``quick=True`` to :func:`setup`.
* **the device**: ``"auto"`` picks CUDA when PyTorch sees a GPU, else the CPU.
  Asking for ``"cuda"`` on a machine without one is an error, not a silent
  fall-back, so that a timing labelled "GPU" always is one.
* **seeding**: :func:`seed_everything` is the only place that seeds Python,
  NumPy and PyTorch.
* **the cache directory** for derived files (decoded datasets, checkpoints):
  ``$LAAIC_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/laaic`` or
  ``~/.cache/laaic``; always outside the source tree unless you put it there.

Environment variables read here (all optional):

``LAAIC_QUICK``      ``1``/``true``/``yes`` turns quick mode on.
``LAAIC_DEVICE``     default device when a chapter says ``device="auto"``.
``LAAIC_CACHE_DIR``  where derived files go.
``LAAIC_DATA_ROOT``  a local copy of the datasets (read by :mod:`helpers.data`).

A variable set to an empty or blank string counts as unset (never as the
current directory).

(``LAAIC_TUNE_MALLOC`` is read by :func:`helpers.perf.tune_allocator`: speed
settings are not decided here but opted into by the chapters that want them.)

A relative ``LAAIC_CACHE_DIR`` or ``LAAIC_DATA_ROOT`` means relative to the
repository root, where the README's commands are typed, not to the folder a
kernel happens to run in (chapters run in ``book/``): see :func:`env_path`.
``make`` and ``tools/run_all.py`` make both absolute before starting kernels.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .validate import boolean, describe, integer

__all__ = [
    "Config",
    "setup",
    "is_quick",
    "get_device",
    "seed_everything",
    "cache_dir",
    "set_cache_dir",
    "env_flag",
    "in_repository",
    "env_path",
]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

# Set by set_cache_dir(); takes precedence over the environment.
_cache_dir_override: Path | None = None


def env_flag(name: str, default: bool = False) -> bool:
    """The yes/no environment variable ``name``: ``default`` when unset or blank.

    ``1``/``true``/``yes``/``on`` mean yes, ``0``/``false``/``no``/``off`` no
    (any case); anything else raises ``ValueError`` naming the variable, so
    that a typo is not read as "no".
    """
    _check_variable_name(name)
    default = boolean(default, "default")
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(
        f"environment variable {name}={os.environ[name]!r} is not understood; "
        f"use one of {sorted(_TRUE)} to switch it on, one of {sorted(_FALSE - {''})} "
        "to switch it off, or unset it."
    )


def is_quick(quick: bool | None = None) -> bool:
    """Return whether quick mode is on.

    Parameters
    ----------
    quick : bool or None
        ``True``/``False`` force the mode; ``None`` (the default in every
        chapter's ``parameters`` cell) follows ``$LAAIC_QUICK``.
    """
    if quick is None:
        return env_flag("LAAIC_QUICK")
    if not isinstance(quick, (bool, np.bool_)):
        raise TypeError(f"quick must be True, False or None, not {describe(quick)}.")
    return bool(quick)


def _check_variable_name(name) -> str:
    """``name`` if it can name an environment variable (a non-empty string without '=' or NUL)."""
    if not isinstance(name, str):
        raise TypeError(f"the environment variable name must be a string such as 'LAAIC_QUICK', got {describe(name)}.")
    if not name.strip() or "=" in name or "\0" in name:
        raise ValueError(
            f"the environment variable name must be a non-empty name without '=' such as 'LAAIC_QUICK', got {name!r}."
        )
    return name


# What get_device understands: "cpu", "cuda" or "cuda:N" (N a non-negative integer).
_DEVICE_NAME = re.compile(r"(cpu|cuda)(?::(\d+))?")
_DEVICE_HINT = "use 'auto', 'cpu', 'cuda' or 'cuda:N' (N = 0, 1, ...)"


def get_device(device: str | torch.device | None = "auto") -> torch.device:
    """Resolve a device request to a :class:`torch.device`.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda", "cuda:N"} or torch.device or None
        ``"auto"`` (or ``None``) uses ``$LAAIC_DEVICE`` when set, otherwise
        CUDA when available, otherwise the CPU.

    Raises
    ------
    TypeError
        If ``device`` is not a string, a ``torch.device`` or None.
    ValueError
        If the name is not one of those above (``"gpu"``, ``"cuda:x"``), CUDA
        is requested but not available, or the GPU index does not exist; a
        bad ``$LAAIC_DEVICE`` is named as such.
    """
    if device is None or (isinstance(device, str) and device.strip().lower() == "auto"):
        env = os.environ.get("LAAIC_DEVICE", "").strip()
        if env and env.lower() != "auto":
            try:
                return get_device(env)
            except ValueError as err:
                raise ValueError(f"the environment variable LAAIC_DEVICE={env!r} is not usable: {err}") from None
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if isinstance(device, torch.device):
        kind, index = device.type, device.index
        name = str(device)
        if kind not in ("cpu", "cuda"):
            raise ValueError(f"device {name!r} is not supported by the book; {_DEVICE_HINT}.")
    elif isinstance(device, str):
        name = device.strip().lower()
        match = _DEVICE_NAME.fullmatch(name)
        if match is None:
            raise ValueError(f"unknown device {device!r}; {_DEVICE_HINT}.")
        kind, index = match.group(1), None if match.group(2) is None else int(match.group(2))
    else:
        raise TypeError(f"device must be a string such as 'auto', 'cpu' or 'cuda', got {describe(device)}.")
    if kind == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise ValueError(
            f"device={name!r} was requested but PyTorch sees no CUDA GPU on this machine "
            "(torch.cuda.is_available() is False). Use device='auto' to fall back to the "
            "CPU, or device='cpu'."
        )
    if index is not None and index >= torch.cuda.device_count():
        raise ValueError(
            f"device={name!r} was requested but only {torch.cuda.device_count()} CUDA "
            "device(s) exist; use 'cuda' or 'cuda:0'."
        )
    return torch.device("cuda") if index is None else torch.device("cuda", index)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and PyTorch (CPU and CUDA) and return a generator.

    The returned :class:`torch.Generator` is seeded with the same value and is
    what helpers use for shuffling, so that a chapter run twice gives the same
    numbers.
    """
    seed = integer(seed, "seed", low=0, high=2**32 - 1)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    # Deterministic cuDNN kernels: a little slower, but reruns match.
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    return torch.Generator().manual_seed(seed)


# The checkout this package was imported from, when it was (an installed copy
# on Colab has no repository around it).
REPO_ROOT = Path(__file__).resolve().parents[1]


def in_repository() -> bool:
    """True when ``helpers`` is imported from a checkout of the book (not an installed copy)."""
    return (REPO_ROOT / "_config.yml").is_file() and (REPO_ROOT / "book").is_dir()


def env_path(name: str, environ=None) -> list[Path] | None:
    """The candidate absolute paths for the path in environment variable ``name``, best first.

    ``None`` when the variable is unset or blank. A relative path is taken
    relative to the repository root first (that is where ``export
    LAAIC_DATA_ROOT=../shared/datasets`` was typed, whatever folder a kernel
    later runs in), then relative to the current directory; outside a
    checkout only the current directory applies. ``~`` is expanded.
    """
    _check_variable_name(name)
    if environ is None:
        environ = os.environ
    elif not isinstance(environ, Mapping):
        raise TypeError(f"environ must be a mapping such as os.environ (or None), got {describe(environ)}.")
    raw = environ.get(name, "")
    if not isinstance(raw, str):
        raise TypeError(f"environ[{name!r}] must be a string (an environment variable), got {describe(raw)}.")
    raw = raw.strip()
    if not raw:
        return None
    path = Path(raw).expanduser()
    if path.is_absolute():
        return [path]
    bases = ([REPO_ROOT] if in_repository() else []) + [Path.cwd()]
    out: list[Path] = []
    for base in bases:
        cand = Path(os.path.abspath(base / path))
        if cand not in out:
            out.append(cand)
    return out


def _default_cache_dir() -> Path:
    env = env_path("LAAIC_CACHE_DIR")
    if env:
        # the first candidate: a cache that does not exist yet is created there
        return next((p for p in env if p.is_dir()), env[0])
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "laaic"


def cache_dir() -> Path:
    """The directory for derived files (it is not created here)."""
    return _cache_dir_override if _cache_dir_override is not None else _default_cache_dir()


def set_cache_dir(path: str | os.PathLike | None) -> Path:
    """Use ``path`` as the cache directory for this Python session.

    ``None`` goes back to the default (``$LAAIC_CACHE_DIR`` or ``~/.cache/laaic``).

    Raises
    ------
    ValueError
        If ``path`` is an empty or blank string (it would silently mean the
        current directory); pass ``None`` for the default.
    """
    global _cache_dir_override
    if path is None:
        _cache_dir_override = None
    elif isinstance(path, str) and "\0" in path:
        raise ValueError(f"cache directory {path!r} contains a NUL character; pass a folder path.")
    elif isinstance(path, str) and not path.strip():
        raise ValueError(
            f"cache directory {path!r} is an empty string, which would mean the current directory; "
            "pass the folder to use, or None to go back to the default ($LAAIC_CACHE_DIR or "
            "~/.cache/laaic)."
        )
    elif isinstance(path, (str, os.PathLike)):
        _cache_dir_override = Path(path).expanduser().resolve()
    else:
        raise TypeError(f"cache directory must be a path (str or pathlib.Path) or None, not {describe(path)}.")
    return cache_dir()


@dataclass(frozen=True)
class Config:
    """What :func:`setup` decided for a chapter run."""

    quick: bool
    device: torch.device
    seed: int

    def __post_init__(self):
        # normally made by setup(); a Config typed by hand gets the same checks
        object.__setattr__(self, "quick", boolean(self.quick, "quick"))
        if not isinstance(self.device, torch.device):
            raise TypeError(
                f"device must be a torch.device (use helpers.get_device('cpu')), got {describe(self.device)}."
            )
        object.__setattr__(self, "seed", integer(self.seed, "seed", low=0, high=2**32 - 1))

    def pick(self, full: Any, quick: Any) -> Any:
        """``full`` in full mode, ``quick`` in quick mode.

        Chapters write ``epochs = cfg.pick(epochs, quick=1)`` so that the
        parameters cell keeps the full-scale value a reader sees.
        """
        return quick if self.quick else full

    def describe(self) -> str:
        mode = "quick (CI) mode" if self.quick else "full mode"
        dev = self.device.type.upper()
        if self.device.type == "cuda":
            dev += f" ({torch.cuda.get_device_name(self.device)})"
        return f"{mode} on {dev}, seed {self.seed}, torch {torch.__version__}"


def setup(quick: bool | None = None, device: str | torch.device | None = "auto", seed: int = 0) -> Config:
    """Resolve the run configuration of a chapter and seed everything.

    Every chapter calls this right after its ``parameters`` cell::

        cfg = helpers.setup(quick=quick, device=device, seed=seed)

    It changes no speed setting: the C allocator, the CPU threads and the
    memory layout are :mod:`helpers.perf`'s, switched on by the chapters that
    want them.
    """
    quick = is_quick(quick)
    dev = get_device(device)
    seed_everything(seed)  # validates the seed too
    return Config(quick=quick, device=dev, seed=int(seed))
