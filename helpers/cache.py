"""The cache of derived files: decoded datasets and trained checkpoints.

Introduced in the chapter "Training TinyConvNet" (its checkpoint); the
datasets chapter already uses it silently for decoded CIFAR-10. Everything the book derives goes
under one directory (:func:`helpers.config.cache_dir`), and every file is
written atomically: first to a temporary file in the same directory, then
renamed over the final name. A run interrupted half-way (Ctrl-C, a killed
kernel, a full disk) therefore never leaves a half-written file that a later
run would load.
"""

from __future__ import annotations

import ast
import errno
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .config import cache_dir
from .validate import describe

__all__ = [
    "CacheError",
    "ensure_dir",
    "atomic_write",
    "cache_key",
    "cache_path",
    "code_fingerprint",
]


class CacheError(OSError):
    """The cache directory cannot be created or written to."""


_FIX = "Point the cache somewhere writable with the environment variable LAAIC_CACHE_DIR or helpers.set_cache_dir(path)"


def _explain(err: OSError, where: Path) -> CacheError:
    if err.errno == errno.ENOSPC:
        what = f"the disk holding the cache directory {where} is full"
        fix = "Free some space, or point the cache at another disk with LAAIC_CACHE_DIR or helpers.set_cache_dir(path)."
    elif err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        what = f"the cache directory {where} is not writable ({os.strerror(err.errno)})"
        fix = _FIX + "."
    elif err.errno in (errno.ENOTDIR, errno.EEXIST):
        what = f"the cache path {where} exists but is not a directory"
        fix = _FIX + ", or remove that file."
    else:
        what = f"could not write to the cache directory {where}: {err}"
        fix = _FIX + "."
    return CacheError(err.errno or 0, f"{what}. {fix}")


def _inside(rel: str | os.PathLike, what: str) -> Path:
    """``rel`` as a relative path that stays inside the cache folder, else a ValueError."""
    if not isinstance(rel, (str, os.PathLike)):
        raise TypeError(f"{what} must be a relative path inside the cache folder, not {type(rel).__name__}.")
    raw = os.fspath(rel)
    if not isinstance(raw, str):
        raise TypeError(f"{what} must be a text path, not {type(raw).__name__}.")
    path = Path(raw)
    if "\0" in raw:
        raise ValueError(f"{what}={raw!r} contains a NUL character; give a name such as 'checkpoints'.")
    if not raw.strip() or path == Path("."):
        raise ValueError(f"{what}={raw!r} is empty; give a name such as 'checkpoints'.")
    if path.is_absolute() or path.anchor or ".." in path.parts:
        raise ValueError(
            f"{what}={raw!r} would leave the cache folder: the path must stay inside the cache "
            "folder, so give a relative path without '..' (to move the cache itself, use "
            "LAAIC_CACHE_DIR or helpers.set_cache_dir(path))."
        )
    return path


def ensure_dir(sub: str | os.PathLike | None = None) -> Path:
    """Create (if needed) and return ``cache_dir()/sub``, checking it is writable.

    Raises
    ------
    ValueError
        If ``sub`` is empty, absolute or contains ``..``: the path must stay
        inside the cache folder.
    CacheError
        If the directory cannot be created or written to, with the fix.
    """
    path = cache_dir() if sub is None else cache_dir() / _inside(sub, "sub")
    try:
        path.mkdir(parents=True, exist_ok=True)
        if not path.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(path))
        # A probe file: mkdir succeeds on a read-only directory that exists.
        fd, probe = tempfile.mkstemp(dir=path, prefix=".probe-")
        os.close(fd)
        os.unlink(probe)
    except FileExistsError as err:
        raise _explain(err, path) from None
    except OSError as err:
        raise _explain(err, path) from None
    return path


def atomic_write(path: str | os.PathLike, write: Callable[[Path], Any]) -> Path:
    """Write a file atomically.

    ``write(tmp)`` must write the whole content to the temporary path ``tmp``;
    only when it returns without error is ``tmp`` renamed to ``path``. On any
    error (including KeyboardInterrupt) the temporary file is removed and the
    previous content of ``path``, if any, is left untouched.

    Raises
    ------
    TypeError
        If ``path`` is not a path or ``write`` is not callable.
    ValueError
        If ``path`` is empty, names a folder (an existing one, or ``"."``) or
        holds a NUL character.
    """
    if not isinstance(path, (str, os.PathLike)) or not isinstance(os.fspath(path), str):
        raise TypeError(f"path must be a file path (str or pathlib.Path), got {describe(path)}.")
    raw = os.fspath(path)
    if not raw.strip() or "\0" in raw:
        raise ValueError(f"path={raw!r} is not a file path; give the file to write, e.g. cache_path('sub', 'f.pt').")
    if not callable(write):
        raise TypeError(
            f"write must be a function that writes the file at the path it is given, got {describe(write)}."
        )
    path = Path(raw)
    if path.name in ("", ".", "..") or raw.endswith(("/", os.sep)) or path.is_dir():
        raise ValueError(f"path={raw!r} is a folder, not a file; give the file to write inside it.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as err:
        raise _explain(err, path.parent) from None
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        # mkstemp creates 0600; give the file the permissions a plain open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise _explain(err, path.parent) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


# How a set is written in the JSON that cache_key hashes.
_SET_TAG = "<set>"


def _key_json(value: Any, name: str) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=lambda o: _key_default(o, name))
    except TypeError as err:
        if "cache_key:" in str(err):
            raise
        raise TypeError(
            f"cache_key: argument {name!r} holds a dict whose keys cannot be written in a stable "
            f"order ({err}); use keys of one type (all str, or all int)."
        ) from None
    except ValueError as err:  # a container that holds itself
        raise ValueError(f"cache_key: argument {name!r} cannot be written as a key ({err}).") from None


# An object whose text form holds its memory address ("<function f at 0x7f...>")
# would give another key in every session.
_ADDRESS = " at 0x"


def _key_default(obj: Any, name: str) -> Any:
    """The JSON stand-in for a value JSON cannot write: sets sorted, arrays hashed, anything else ``str``."""
    if _is_array(obj):
        return _array_key(obj, name)
    if not isinstance(obj, (set, frozenset)):
        text = str(obj)
        if _ADDRESS in text:
            raise TypeError(
                f"cache_key: argument {name!r} holds {describe(obj)}, whose text form holds a memory "
                "address and so changes in every session; pass what determines it instead (a name, "
                "a number, a string)."
            )
        return text
    members = list(obj)
    try:
        sorted(members)
    except TypeError:
        kinds = sorted({type(m).__name__ for m in members})
        raise TypeError(
            f"cache_key: argument {name!r} holds a {type(obj).__name__} whose members cannot be "
            f"sorted (types: {', '.join(kinds)}), so it has no key that is the same in every "
            "session; use members of one comparable type (all str, all int, ...) or pass a "
            "sorted list instead."
        ) from None
    # Ordered by each member's own JSON, a total order even where ``<`` is only
    # partial (frozensets), and independent of the session's hash seed.
    members.sort(key=lambda m: _key_json(m, name))
    return {_SET_TAG: members}


def _is_array(obj: Any) -> bool:
    return isinstance(obj, (np.ndarray, np.generic, torch.Tensor))


def _array_key(obj: Any, name: str) -> Any:
    """A NumPy array or torch tensor by its content: ``str`` would abbreviate a large one to ``[0, 0, ..., 0]``."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, torch.Tensor):
        obj = obj.detach().cpu()
        if obj.dtype == torch.bfloat16:
            obj = obj.float()
        obj = obj.numpy()
    if obj.dtype.kind not in "biufc":
        raise TypeError(
            f"cache_key: argument {name!r} holds an array of dtype {obj.dtype}, which has no stable key; "
            "pass an array of numbers (or a list of strings)."
        )
    arr = np.ascontiguousarray(obj)
    digest = hashlib.sha256(arr.tobytes()).hexdigest()[:16]
    return {"<array>": [str(arr.dtype), list(arr.shape), digest]}


def cache_key(**parts: Any) -> str:
    """A short stable hash of everything that determines a derived file.

    The parts are serialised as sorted JSON (non-JSON values through ``str``,
    sets and frozensets, also nested, in sorted order; NumPy arrays and torch
    tensors by a hash of their dtype, shape and content, NumPy scalars as
    Python numbers), so the same inputs give the same key in every session.

    Raises
    ------
    TypeError
        If a set's members cannot be sorted (mixed types, objects without an
        order), a dict mixes key types, or a value's text form holds a memory
        address (a function, a plain object); the message names the argument.
    """
    for name, value in parts.items():  # a set error names its argument
        _key_json(value, name)
    blob = json.dumps(parts, sort_keys=True, default=lambda o: _key_default(o, "?"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


# The helpers modules that only present results (figures, sliders, prose,
# timing): editing them never changes a trained model or a decoded dataset.
PRESENTATION_MODULES = frozenset({"plotting", "widgets", "claims", "selfcheck", "publish", "bench"})


def _code_digest(path: Path) -> str:
    """A hash of a Python file's code, blind to comments, docstrings and formatting."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree, include_attributes=False).encode()).hexdigest()


def code_fingerprint(modules=None) -> str:
    """A short hash of the code of the ``helpers`` modules that produce derived files.

    Part of the key of every trained checkpoint and decoded dataset, so that
    a change to the code that made them (a fixed training loop, a new
    decoding step) makes them again instead of reloading stale ones. Only
    code counts: comments, docstrings and formatting do not.

    Parameters
    ----------
    modules : iterable of str, optional
        Module names inside ``helpers`` (e.g. ``["data"]``); default every
        module except the presentation ones (:data:`PRESENTATION_MODULES`).
    """
    package = Path(__file__).resolve().parent
    if modules is None:
        # __init__ only re-exports names and maps modules to chapters
        names = sorted(p.stem for p in package.glob("*.py") if p.stem not in PRESENTATION_MODULES | {"__init__"})
    else:
        if isinstance(modules, (str, bytes)) or not isinstance(modules, Iterable):
            raise TypeError(
                f"modules must be a list of helpers module names such as ['data'], got {describe(modules)}."
            )
        names = list(modules)
        names = sorted(set(names)) if all(isinstance(m, str) for m in names) else names
        for name in names:
            if not isinstance(name, str) or not name.isidentifier():
                raise ValueError(f"modules must hold helpers module names such as 'data', got {describe(name)}.")
        if not names:
            raise ValueError(
                "modules is empty; name at least one helpers module (e.g. ['data']), or pass None for all."
            )
    digest = hashlib.sha256()
    for name in names:
        path = package / f"{name}.py"
        if not path.is_file():
            raise ValueError(f"code_fingerprint: helpers has no module {name!r} ({path} does not exist).")
        digest.update(name.encode() + b"\0" + _code_digest(path).encode())
    return digest.hexdigest()[:16]


def cache_path(sub: str | os.PathLike, name: str | os.PathLike) -> Path:
    """``cache_dir()/sub/name``, with ``sub`` created and checked writable.

    Raises
    ------
    ValueError
        If ``sub`` or ``name`` is empty, absolute or contains ``..``: the path
        must stay inside the cache folder.
    """
    sub_path = _inside(sub, "sub")
    name_path = _inside(name, "name")  # checked before anything is created
    return ensure_dir(sub_path) / name_path
