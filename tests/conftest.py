"""Shared fixtures: a private cache per test, tiny fake datasets, the real data."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest

import helpers
import helpers.data

REPO = Path(__file__).resolve().parents[1]


def write_idx(path: Path, array: np.ndarray) -> Path:
    """Write a uint8 array in MNIST's IDX format."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + array.tobytes())
    return path


def make_fake_mnist(root: Path, folder: str = "MNIST", n_train: int = 60, n_test: int = 30, seed: int = 0) -> Path:
    """A tiny dataset in torchvision's layout: balanced labels, random pixels."""
    rng = np.random.default_rng(seed)
    raw = root / folder / "raw"
    for split, n in (("train", n_train), ("t10k", n_test)):
        write_idx(raw / f"{split}-images-idx3-ubyte", rng.integers(0, 256, size=(n, 28, 28)))
        write_idx(raw / f"{split}-labels-idx1-ubyte", np.arange(n) % 10)
    return root


def snapshot(root: Path) -> dict:
    """Names, sizes and modification times of everything under root."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))}


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Each test writes derived files into its own cache and sees fresh in-memory caches."""
    path = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("LAAIC_CACHE_DIR", str(path))
    helpers.set_cache_dir(None)
    helpers.data._raw.cache_clear()
    helpers.data._train_stats.cache_clear()
    yield path
    helpers.set_cache_dir(None)
    helpers.data._raw.cache_clear()
    helpers.data._train_stats.cache_clear()


@pytest.fixture
def fake_root(tmp_path, monkeypatch):
    root = make_fake_mnist(tmp_path / "data")
    make_fake_mnist(root, folder="FashionMNIST", seed=1)
    monkeypatch.setenv("LAAIC_DATA_ROOT", str(root))
    return root


# The real datasets: CI points LAAIC_DATA_ROOT at the offline mirror; without
# it, the helpers download (and fail clearly where there is no network). The
# decoded CIFAR-10 arrays are worth sharing, so these tests use one
# session-wide cache.
@pytest.fixture(scope="session")
def real_root():
    root = os.environ.get("LAAIC_DATA_ROOT")
    return Path(root) if root else None


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("shared-cache")


@pytest.fixture
def real_data(real_root, shared_cache, monkeypatch):
    monkeypatch.setenv("LAAIC_CACHE_DIR", str(shared_cache))
    return real_root
