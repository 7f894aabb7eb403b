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
