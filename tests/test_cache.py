import errno
import os
import tempfile

import pytest

import helpers
from helpers import cache


def test_ensure_dir_creates_and_returns(private_cache):
    path = cache.ensure_dir("sub")
    assert path == private_cache / "sub" and path.is_dir()
    assert list(path.iterdir()) == []  # the writability probe cleans up


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "f.bin"
    cache.atomic_write(target, lambda tmp: tmp.write_bytes(b"first"))
    assert target.read_bytes() == b"first"
    assert oct(target.stat().st_mode & 0o777) != oct(0o600)  # readable like a normal file
    cache.atomic_write(target, lambda tmp: tmp.write_bytes(b"second"))
    assert target.read_bytes() == b"second"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_interrupted_write_leaves_old_file_and_no_debris(tmp_path):
    target = tmp_path / "f.bin"
    target.write_bytes(b"good")

    def dies_halfway(tmp):
        tmp.write_bytes(b"ha")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.atomic_write(target, dies_halfway)
    assert target.read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_full_disk_is_a_clear_error(tmp_path):
    def disk_full(tmp):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(cache.CacheError, match="is full.*LAAIC_CACHE_DIR"):
        cache.atomic_write(tmp_path / "f.bin", disk_full)
    assert list(tmp_path.iterdir()) == []


def test_read_only_cache_is_a_clear_error(private_cache, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(cache.CacheError, match="not writable.*LAAIC_CACHE_DIR"):
        cache.ensure_dir("datasets")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories anyway")
def test_read_only_cache_directory_for_real(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    helpers.set_cache_dir(ro)
    try:
        with pytest.raises(cache.CacheError, match="not writable"):
            cache.ensure_dir()
    finally:
        ro.chmod(0o700)


def test_cache_path_that_is_a_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    helpers.set_cache_dir(blocker)
    with pytest.raises(cache.CacheError, match="not a directory"):
        cache.ensure_dir("checkpoints")
    assert blocker.read_text() == "x"


def test_cache_key_is_stable_and_sensitive():
    a = cache.cache_key(model="m", seed=0, lr=1e-3)
    assert a == cache.cache_key(lr=1e-3, seed=0, model="m")
    assert a != cache.cache_key(model="m", seed=1, lr=1e-3)
    assert len(a) == 16


def test_code_digest_sees_code_not_comments_docstrings_or_formatting(tmp_path):
    f = tmp_path / "m.py"
    f.write_text('"""Module."""\n\ndef fit(x):\n    """Train."""\n    return x * 2  # double\n')
    base = cache._code_digest(f)
    f.write_text('"""Another docstring."""\n\n\ndef fit( x ):\n    # a new comment\n    return x*2\n')
    assert cache._code_digest(f) == base
    f.write_text('"""Module."""\n\ndef fit(x):\n    """Train."""\n    return x * 3\n')
    assert cache._code_digest(f) != base


def test_code_fingerprint_covers_the_modules_that_make_derived_files():
    everything = cache.code_fingerprint()
    assert everything == cache.code_fingerprint()  # stable
    assert cache.code_fingerprint(["data"]) != everything
    assert cache.code_fingerprint(["data", "train"]) == cache.code_fingerprint(["train", "data"])
    with pytest.raises(ValueError, match="helpers has no module 'nope'"):
        cache.code_fingerprint(["nope"])


def test_a_changed_training_code_gives_a_new_checkpoint(private_cache, monkeypatch):
    import torch

    from helpers import train

    model = torch.nn.Linear(2, 2)
    data = (torch.zeros(4, 2), torch.zeros(4, dtype=torch.long))
    before = train.checkpoint_path("net", model, data, epochs=1)
    assert train.checkpoint_path("net", model, data, epochs=1) == before
    monkeypatch.setattr(train, "code_fingerprint", lambda modules=None: "a-fixed-fit")
    assert train.checkpoint_path("net", model, data, epochs=1) != before


# Issue 20: a key of a set is the same in every session; unsortable sets are refused.

_KEY_OF_A_SET = (
    "from helpers.cache import cache_key; "
    "print(cache_key(classes={'cat', 'dog', 'ship', 'truck', 'frog', 'horse', 'bird', 'deer'}, "
    "nested={'a': [frozenset({'x', 'y', 'z'}), {frozenset({'p', 'q'}), frozenset({'r'})}]}))"
)


def test_cache_key_of_a_set_is_the_same_in_every_session():
    import subprocess
    import sys

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    keys = set()
    for seed in ("0", "1", "12345", "987654321"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", _KEY_OF_A_SET], cwd=repo, env=env, capture_output=True, text=True, check=True
        )
        keys.add(out.stdout.strip())
    assert len(keys) == 1 and len(keys.pop()) == 16


def test_cache_key_of_sets_ignores_order_and_tells_sets_from_lists():
    assert cache.cache_key(s={"b", "a", "c"}) == cache.cache_key(s=frozenset(["c", "a", "b"]))
    assert cache.cache_key(s={3, 10, 1}) == cache.cache_key(s={1, 3, 10})
    assert cache.cache_key(s={"a", "b"}) != cache.cache_key(s=["a", "b"])
    assert cache.cache_key(s={"a", "b"}) != cache.cache_key(s={"a", "c"})
    assert cache.cache_key(d={"k": [{2, 1}]}) == cache.cache_key(d={"k": [{1, 2}]})


@pytest.mark.parametrize("bad", [{1, "a"}, {None, 2}, {object(), object()}, {"x", (1, 2)}])
def test_cache_key_refuses_an_unsortable_set_naming_the_argument(bad):
    with pytest.raises(TypeError, match="argument 'labels'.*cannot be sorted"):
        cache.cache_key(seed=0, labels=bad)
    with pytest.raises(TypeError, match="argument 'cfg'.*cannot be sorted"):
        cache.cache_key(cfg={"inner": [bad]})


def test_cache_key_of_non_set_inputs_is_unchanged():
    # Checkpoints and decoded datasets are keyed on these: the set fix must not move them.
    from pathlib import Path

    assert cache.cache_key(model="m", seed=0, lr=1e-3) == "3c8b15721bf32b25"
    assert cache.cache_key(a=[1, 2, (3, 4)], b={"x": None, "y": [True, 1.5]}, p=Path("/tmp/x")) == "5bd7c46e28fd017b"
    assert cache.cache_key(nested={"k": {"z": 1, "a": [Path("q"), 2]}}, t=(1, "2")) == "da0752a23368cf4c"
    assert cache.cache_key(s=[(10, 3), (4, 5)], n=None, f=float("inf")) == "07c1981a289f7479"
    assert cache.cache_key(d={1: "a", 2: "b"}) == "75f656c5a919d51f"


# Issue 20: ensure_dir / cache_path never leave the cache folder.


@pytest.mark.parametrize("sub", ["..", "../elsewhere", "a/../../b", "a/..", "/tmp/evil", "/"])
def test_ensure_dir_refuses_paths_that_leave_the_cache(private_cache, sub):
    with pytest.raises(ValueError, match="must stay inside the cache folder"):
        cache.ensure_dir(sub)
    assert list(private_cache.iterdir()) == []


@pytest.mark.parametrize(
    "sub, name",
    [
        ("..", "f.pt"),
        ("/tmp", "f.pt"),
        ("checkpoints", "../f.pt"),
        ("checkpoints", "../../f.pt"),
        ("checkpoints", "/etc/passwd"),
        ("checkpoints", "x/../../f.pt"),
    ],
)
def test_cache_path_refuses_paths_that_leave_the_cache(private_cache, sub, name):
    with pytest.raises(ValueError, match="must stay inside the cache folder"):
        cache.cache_path(sub, name)
    assert list(private_cache.iterdir()) == []  # nothing created before refusing


def test_cache_path_accepts_nested_relative_paths_and_refuses_empty_or_wrong_types(private_cache):
    assert cache.cache_path("checkpoints/v2", "net.pt") == private_cache / "checkpoints" / "v2" / "net.pt"
    assert cache.ensure_dir("a/./b") == private_cache / "a" / "b"
    for sub in ("", "  ", "."):
        with pytest.raises(ValueError, match="is empty"):
            cache.ensure_dir(sub)
    with pytest.raises(ValueError, match="name='' is empty"):
        cache.cache_path("checkpoints", "")
    with pytest.raises(TypeError, match="sub must be a relative path"):
        cache.ensure_dir(3)
