import os
from pathlib import Path

import numpy as np
import pytest
import torch

import helpers
from helpers import config


def test_quick_mode_follows_environment(monkeypatch):
    monkeypatch.delenv("LAAIC_QUICK", raising=False)
    assert config.is_quick() is False
    for value in ("1", "true", "YES", "on"):
        monkeypatch.setenv("LAAIC_QUICK", value)
        assert config.is_quick() is True
    monkeypatch.setenv("LAAIC_QUICK", "0")
    assert config.is_quick() is False
    # an explicit argument wins over the environment
    monkeypatch.setenv("LAAIC_QUICK", "1")
    assert config.is_quick(False) is False


def test_quick_mode_rejects_garbage(monkeypatch):
    monkeypatch.setenv("LAAIC_QUICK", "maybe")
    with pytest.raises(ValueError, match="LAAIC_QUICK='maybe'.*not understood"):
        config.is_quick()
    with pytest.raises(TypeError, match="quick must be True, False or None"):
        config.is_quick("yes")


def test_auto_device_picks_cuda_only_when_present(monkeypatch):
    monkeypatch.delenv("LAAIC_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert config.get_device("auto").type == expected
    assert config.get_device(None).type == expected
    assert config.get_device("cpu") == torch.device("cpu")


def test_cuda_without_gpu_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU.*device='auto'"):
        config.get_device("cuda")
    with pytest.raises(ValueError, match="no CUDA GPU"):
        config.get_device("cuda:0")
    assert config.get_device("auto") == torch.device("cpu")


def test_device_environment_default(monkeypatch):
    monkeypatch.setenv("LAAIC_DEVICE", "cpu")
    assert config.get_device("auto") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("LAAIC_DEVICE", "cuda")
    with pytest.raises(ValueError, match="no CUDA GPU"):
        config.get_device("auto")


def test_unknown_device():
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        config.get_device("tpu")
    with pytest.raises(TypeError, match="device must be a string"):
        config.get_device(3)


def test_seeding_makes_runs_repeatable():
    g1 = config.seed_everything(123)
    a = (np.random.rand(3), torch.rand(3), torch.randperm(10, generator=g1))
    g2 = config.seed_everything(123)
    b = (np.random.rand(3), torch.rand(3), torch.randperm(10, generator=g2))
    assert np.array_equal(a[0], b[0])
    assert torch.equal(a[1], b[1]) and torch.equal(a[2], b[2])
    config.seed_everything(124)
    assert not torch.equal(torch.rand(3), b[1])


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "0", True])
def test_bad_seed(bad):
    with pytest.raises((TypeError, ValueError), match="seed must be"):
        config.seed_everything(bad)


def test_cache_dir_default_is_outside_the_repo(monkeypatch, tmp_path):
    monkeypatch.delenv("LAAIC_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert config.cache_dir() == tmp_path / "laaic"
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert not str(config.cache_dir()).startswith(repo)


def test_cache_dir_is_settable(monkeypatch, tmp_path):
    monkeypatch.setenv("LAAIC_CACHE_DIR", str(tmp_path / "env"))
    assert config.cache_dir() == tmp_path / "env"
    helpers.set_cache_dir(tmp_path / "arg")
    assert config.cache_dir() == (tmp_path / "arg").resolve()
    helpers.set_cache_dir(None)
    assert config.cache_dir() == tmp_path / "env"
    with pytest.raises(TypeError):
        helpers.set_cache_dir(42)


def test_setup_and_pick(monkeypatch):
    monkeypatch.setenv("LAAIC_QUICK", "1")
    cfg = helpers.setup(device="cpu", seed=7)
    assert cfg.quick and cfg.device.type == "cpu" and cfg.seed == 7
    assert cfg.pick(20, quick=1) == 1
    assert "quick" in cfg.describe()
    cfg = helpers.setup(quick=False, device="cpu")
    assert cfg.pick(20, quick=1) == 20
    assert "full mode" in cfg.describe()


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("", None),
        ("  ", None),
        ("1", True),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("0", False),
        ("Off", False),
    ],
)
def test_env_flag_reads_yes_and_no_and_falls_back_to_the_default(monkeypatch, raw, expected):
    monkeypatch.setenv("LAAIC_X", raw)
    for default in (False, True):
        assert config.env_flag("LAAIC_X", default=default) is (default if expected is None else expected)
    monkeypatch.delenv("LAAIC_X")
    assert config.env_flag("LAAIC_X", default=True) is True and config.env_flag("LAAIC_X") is False


def test_env_flag_refuses_garbage(monkeypatch):
    monkeypatch.setenv("LAAIC_X", "2")
    with pytest.raises(ValueError, match="LAAIC_X='2'.*not understood"):
        config.env_flag("LAAIC_X", default=True)


# The allocator tuning moved to helpers.perf (tests/test_perf.py); setup leaves it alone.


def test_relative_cache_dir_is_relative_to_the_repository(monkeypatch, tmp_path):
    # `export LAAIC_CACHE_DIR=_cache` typed in the repository root must not put
    # a second cache under book/ when a chapter's kernel runs there.
    monkeypatch.setenv("LAAIC_CACHE_DIR", "some-cache")
    for cwd in (config.REPO_ROOT, config.REPO_ROOT / "book"):
        monkeypatch.chdir(cwd)
        assert config.cache_dir() == config.REPO_ROOT / "some-cache"


def test_env_path(monkeypatch, tmp_path):
    assert config.env_path("LAAIC_X", {}) is None
    assert config.env_path("LAAIC_X", {"LAAIC_X": "  "}) is None
    assert config.env_path("LAAIC_X", {"LAAIC_X": str(tmp_path)}) == [tmp_path]
    monkeypatch.chdir(tmp_path)
    assert config.env_path("LAAIC_X", {"LAAIC_X": "a/b"}) == [config.REPO_ROOT / "a" / "b", tmp_path / "a" / "b"]
    assert config.env_path("LAAIC_X", {"LAAIC_X": "~/x"}) == [Path.home() / "x"]


# Issue 20: an empty string never silently means the current directory.


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_set_cache_dir_refuses_an_empty_string(monkeypatch, tmp_path, blank):
    monkeypatch.setenv("LAAIC_CACHE_DIR", str(tmp_path / "env"))
    helpers.set_cache_dir(tmp_path / "arg")
    try:
        with pytest.raises(ValueError, match="empty string.*None"):
            helpers.set_cache_dir(blank)
        assert config.cache_dir() == (tmp_path / "arg").resolve()  # the refused call changed nothing
    finally:
        helpers.set_cache_dir(None)
    assert config.cache_dir() == tmp_path / "env"  # None still means the default


@pytest.mark.parametrize("blank", ["", "  "])
def test_blank_environment_paths_count_as_unset(monkeypatch, tmp_path, blank):
    # As the module docstring says: never the current directory.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("LAAIC_CACHE_DIR", blank)
    helpers.set_cache_dir(None)
    assert config.cache_dir() == tmp_path / "xdg" / "laaic"
    monkeypatch.setenv("LAAIC_DATA_ROOT", blank)
    assert helpers.data.data_root() is None  # as if unset: no local copy
    with pytest.raises(ValueError, match="root is an empty string"):
        helpers.data.data_root(blank)
