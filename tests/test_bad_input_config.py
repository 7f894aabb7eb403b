"""Bad input to every public function of ``helpers.config`` (see ``tests/badinput.py``)."""

import numpy as np
import pytest
import torch
from badinput import bad_cases, check_bad, check_good, good_cases, spec

import helpers
from helpers import config

CPU = torch.device("cpu")


# Device requests that are never valid, and "cuda" wherever there is no GPU to run it.
BAD_DEVICES = ["gpu", "cuda:x", "cuda:-1", "cpu:x", "CUDA 0", "", "  ", 3, 1.5, True, ["cpu"], np.int64(0)]
BAD_DEVICES += [torch.device("meta")]
if torch.cuda.is_available():
    BAD_DEVICES += ["cuda:99", torch.device("cuda", 99)]
else:
    BAD_DEVICES += ["cuda", "cuda:0", torch.device("cuda", 0)]

BAD_VARIABLE_NAMES = [3, None, True, "", "  ", "A=B", b"LAAIC_X"]

SPECS = [
    spec(
        config.env_flag,
        {"name": "LAAIC_SURELY_UNSET_VARIABLE", "default": False},
        {"name": BAD_VARIABLE_NAMES, "default": "flag"},
        says={"name": "environment variable name"},
    ),
    spec(config.is_quick, {"quick": True}, {"quick": "flag"}, skip={"quick": [None]}, extra=[("quick", np.ones(1))]),
    spec(config.get_device, {"device": "cpu"}, {"device": BAD_DEVICES}),
    spec(config.seed_everything, {"seed": 0}, {"seed": "seed"}, extra=[("seed", 2**32), ("seed", np.uint64(2**40))]),
    spec(
        config.set_cache_dir,
        {"path": None},
        {"path": ([3, True, 1.5, "", "   ", "a\0b", b"/tmp/x", ["/tmp"]])},
        says={"path": "cache directory"},
    ),
    spec(
        config.env_path,
        {"name": "LAAIC_X", "environ": {}},
        {"name": BAD_VARIABLE_NAMES, "environ": (["abc", 3, True, [("LAAIC_X", "a")], {"LAAIC_X": 3}])},
        says={"name": "environment variable name"},
    ),
    spec(
        config.Config,
        {"quick": True, "device": CPU, "seed": 0},
        {"quick": "flag", "device": (["cpu", None, 3]), "seed": "seed"},
        extra=[("seed", 2**32)],
    ),
    spec(
        config.setup,
        {"quick": True, "device": "cpu", "seed": 0},
        {"quick": "flag", "device": BAD_DEVICES, "seed": "seed"},
        skip={"quick": [None]},
        extra=[("seed", 2**32)],
    ),
]


@pytest.mark.parametrize("s", SPECS, ids=lambda s: s.name)
def test_valid_calls_succeed(s):
    # otherwise a bad value could be "refused" for the valid call's own fault
    s.fn(**(s.factory() if s.factory is not None else s.valid))


@pytest.mark.parametrize("s, arg, value", bad_cases(SPECS))
def test_bad_input_is_refused_by_name(s, arg, value):
    check_bad(s, arg, value)


@pytest.mark.parametrize("s", good_cases(SPECS))
def test_numpy_scalars_are_accepted(s):
    check_good(s)


# Regression tests for the bugs the battery found.


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "cuda:-1", "cpu:x"])
def test_malformed_device_strings_get_the_books_message_not_torchs(bad, monkeypatch):
    # "cuda:x" used to reach torch.device() on a GPU machine: "Invalid device string".
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ValueError, match=r"unknown device .*use 'auto', 'cpu', 'cuda' or 'cuda:N'") as err:
        config.get_device(bad)
    assert "Invalid device string" not in str(err.value)


def test_cuda_index_on_a_machine_with_one_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert config.get_device("cuda:0") == torch.device("cuda", 0)
    assert config.get_device(" CUDA ") == torch.device("cuda")
    with pytest.raises(ValueError, match="only 1 CUDA device"):
        config.get_device("cuda:3")


def test_cuda_without_a_gpu_is_refused_clearly(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for request in ("cuda", "cuda:0", torch.device("cuda", 0)):
        with pytest.raises(ValueError, match="no CUDA GPU on this machine.*device='auto'"):
            config.get_device(request)


def test_a_cpu_device_object_is_accepted_whatever_its_index():
    assert config.get_device(torch.device("cpu", 0)) == CPU
    assert config.get_device(torch.device("cpu")) == CPU


def test_a_bad_laaic_device_names_the_variable(monkeypatch):
    monkeypatch.setenv("LAAIC_DEVICE", "gpu")
    with pytest.raises(ValueError, match="LAAIC_DEVICE='gpu' is not usable: unknown device 'gpu'"):
        config.get_device("auto")


def test_env_helpers_refuse_a_name_that_is_not_a_string():
    # os.environ.get(3) used to fail inside os with "str expected, not int".
    with pytest.raises(TypeError, match="environment variable name must be a string"):
        config.env_flag(3)
    with pytest.raises(TypeError, match="environ must be a mapping"):
        config.env_path("LAAIC_X", environ="LAAIC_X=1")


def test_numpy_booleans_are_booleans():
    assert config.is_quick(np.bool_(True)) is True
    cfg = config.Config(quick=np.bool_(False), device=CPU, seed=np.int64(3))
    assert cfg.quick is False and cfg.seed == 3 and type(cfg.seed) is int


def test_blank_data_root_variable_is_unset_not_the_current_folder(monkeypatch, tmp_path):
    (tmp_path / "MNIST" / "raw").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    for blank in ("", " "):
        monkeypatch.setenv("LAAIC_DATA_ROOT", blank)
        assert config.env_path("LAAIC_DATA_ROOT") is None
        assert helpers.data.data_root() is None
