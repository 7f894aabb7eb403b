"""Bad input to every public function of ``helpers.cache`` (see ``tests/badinput.py``)."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from badinput import bad_cases, check_bad, spec

from helpers import cache, config

# Folders inside the cache: wrong types, empty, leaving the cache, unreadable names.
BAD_SUB = [3, True, 1.5, b"checkpoints", ["a"], "", "  ", ".", "..", "../elsewhere", "a/../../b", "/tmp/x", "a\0b"]
BAD_NAME = [None, 3, True, b"f.pt", "", "..", "../f.pt", "/etc/passwd", "x/../../f.pt", "f\0.pt"]


def _write(tmp: Path) -> None:
    tmp.write_bytes(b"x")


def _atomic_write_args():
    return {"path": config.cache_dir() / "f.bin", "write": _write}


def _address():
    return object()


SPECS = [
    spec(cache.ensure_dir, {"sub": "checkpoints"}, {"sub": BAD_SUB}),
    spec(
        cache.cache_path,
        {"sub": "checkpoints", "name": "net.pt"},
        {"sub": (BAD_SUB + [None]), "name": BAD_NAME},
    ),
    spec(
        cache.atomic_write,
        _atomic_write_args,
        {
            "path": ([None, 3, True, b"/tmp/f", "", "  ", ".", "/", "dir/", "f\0.bin", ["f.bin"]]),
            "write": "callable",
        },
        extra=[("write", b"bytes"), ("path", Path("."))],
    ),
    spec(
        cache.cache_key,
        {"model": "m", "seed": 0, "lr": 1e-3},
        {
            "seed": ([{1, "a"}, {None, 2}, {"x", (1, 2)}, _address(), lambda: 0, {1: "a", "b": 2}]),
            "model": ([[{object(), object()}], {"k": _address()}, np.array(["a", "b"], dtype=object)]),
        },
    ),
    spec(
        cache.code_fingerprint,
        {"modules": ["data"]},
        {"modules": (["data", b"data", 3, True, [3], [], ["../config"], ["data.py"], ["nope"], [None], {"a": 1}])},
        says={"modules": ("modules", "module")},
    ),
]


@pytest.mark.parametrize("s", SPECS, ids=lambda s: s.name)
def test_valid_calls_succeed(s):
    # otherwise a bad value could be "refused" for the valid call's own fault
    s.fn(**(s.factory() if s.factory is not None else s.valid))


@pytest.mark.parametrize("s, arg, value", bad_cases(SPECS))
def test_bad_input_is_refused_by_name(s, arg, value, private_cache):
    before = sorted(private_cache.rglob("*"))
    check_bad(s, arg, value)
    assert sorted(private_cache.rglob("*")) == before, "a refused call created something in the cache"


def test_good_calls_still_work(private_cache):
    assert cache.ensure_dir("a/b") == private_cache / "a" / "b"
    assert cache.cache_path(Path("x"), Path("f.pt")) == private_cache / "x" / "f.pt"
    target = cache.atomic_write(private_cache / "g.bin", _write)
    assert target.read_bytes() == b"x"
    assert cache.code_fingerprint(iter(["data", "train"])) == cache.code_fingerprint(["train", "data"])


# Regression tests for the bugs the battery found.


def test_cache_key_of_large_arrays_depends_on_every_value():
    # str() abbreviates a large array to "[0. 0. 0. ... 0. 0. 0.]": two different
    # arrays used to get the same key, and so one the other's cached result.
    a = np.zeros(5000)
    b = a.copy()
    b[2500] = 1.0
    assert str(a) == str(b)
    assert cache.cache_key(x=a) != cache.cache_key(x=b)
    assert cache.cache_key(x=torch.from_numpy(a)) != cache.cache_key(x=torch.from_numpy(b))
    assert cache.cache_key(x=a) == cache.cache_key(x=a.copy())
    assert cache.cache_key(x=a) != cache.cache_key(x=a.astype(np.float32))  # the dtype counts
    assert cache.cache_key(x=a) != cache.cache_key(x=a.reshape(50, 100))  # and the shape


def test_cache_key_reads_numpy_scalars_as_the_numbers_they_are():
    # np.int64(3) used to be keyed as the string "3", unlike 3.
    assert cache.cache_key(seed=np.int64(3)) == cache.cache_key(seed=3)
    assert cache.cache_key(lr=np.float32(0.5)) == cache.cache_key(lr=0.5)


def test_cache_key_refuses_what_changes_every_session():
    with pytest.raises(TypeError, match="argument 'fn' .*memory address"):
        cache.cache_key(fn=lambda x: x)
    with pytest.raises(TypeError, match="argument 'd' .*keys cannot be written in a stable order"):
        cache.cache_key(d={1: "a", "b": 2})


def test_atomic_write_refuses_a_folder_and_leaves_it_alone(tmp_path):
    (tmp_path / "keep").write_text("k")
    with pytest.raises(ValueError, match="is a folder, not a file"):
        cache.atomic_write(tmp_path, _write)
    with pytest.raises(ValueError, match="not a file path"):
        cache.atomic_write("", _write)
    with pytest.raises(TypeError, match="write must be a function"):
        cache.atomic_write(tmp_path / "f.bin", b"data")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep"]


def test_atomic_write_of_an_empty_path_does_not_touch_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for path in ("", ".", Path("")):
        with pytest.raises(ValueError):
            cache.atomic_write(path, _write)
    assert os.listdir(tmp_path) == []


def test_code_fingerprint_refuses_a_bare_string_and_paths():
    # "data" used to be read letter by letter: "helpers has no module 'a'".
    with pytest.raises(TypeError, match=r"modules must be a list of helpers module names such as \['data'\]"):
        cache.code_fingerprint("data")
    with pytest.raises(ValueError, match="module names such as 'data'"):
        cache.code_fingerprint(["../config"])
    with pytest.raises(ValueError, match="modules is empty"):
        cache.code_fingerprint([])
