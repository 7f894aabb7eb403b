import gzip
import os
import shutil
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import make_fake_mnist, snapshot, write_idx

import helpers
from helpers import data
from helpers.data import data_root

# ----------------------------------------------------------------- real data

EXPECTED = {
    "mnist": ((1, 28, 28), 60_000, 10_000),
    "fashion-mnist": ((1, 28, 28), 60_000, 10_000),
    "cifar10": ((3, 32, 32), 50_000, 10_000),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_real_datasets_shapes_and_counts(real_data, name):
    shape, n_train, n_test = EXPECTED[name]
    before = snapshot(real_data) if real_data is not None and name != "cifar10" else None
    train, test = helpers.load_splits(name)
    assert len(train) == n_train and len(test) == n_test
    for d in (train, test):
        assert tuple(d.images.shape[1:]) == shape
        assert d.images.dtype == torch.float32 and d.labels.dtype == torch.int64
        assert 0.0 <= float(d.images.min()) and float(d.images.max()) <= 1.0
        assert d.num_classes == 10 and set(d.labels.unique().tolist()) == set(range(10))
    if name != "mnist":  # Fashion-MNIST and CIFAR-10 are balanced
        assert set(train.class_counts().tolist()) == {n_train // 10}
        assert set(test.class_counts().tolist()) == {n_test // 10}
    if before is not None:
        assert snapshot(real_data) == before, "loading wrote into the data root"


def test_real_mnist_known_statistics(real_data):
    train = helpers.load("mnist", "train")
    assert train.class_counts().tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert float(train.images.mean()) == pytest.approx(0.1307, abs=1e-4)
    assert float(train.images.std()) == pytest.approx(0.3081, abs=1e-4)


def test_cifar_mirror_says_so_and_caches_its_decoding(real_data, shared_cache):
    if real_data is None or not (real_data / data.JPEG_FOLDER).is_dir():
        pytest.skip("the CIFAR-10 JPEG mirror is not the data root here")
    test = helpers.load("cifar10", "test")
    assert test.exact is False and "JPEG" in test.source and "lossy" in test.source
    cached = sorted((shared_cache / "datasets").glob("cifar10-jpeg-test-*.npz"))
    assert len(cached) == 1
    stamp = cached[0].stat().st_mtime_ns
    data._raw.cache_clear()
    again = helpers.load("cifar10", "test")
    assert cached[0].stat().st_mtime_ns == stamp, "decoded twice instead of reusing the cache"
    assert torch.equal(again.images, test.images)


def test_cifar_grayscale_and_normalisation(real_data):
    gray = helpers.load("cifar10", "test", grayscale=True)
    colour = helpers.load("cifar10", "test")
    assert tuple(gray.images.shape) == (10_000, 1, 32, 32)
    luma = (colour.images * torch.tensor([0.2989, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    assert torch.allclose(luma, gray.images, atol=1e-6)
    norm = helpers.load("cifar10", "train", grayscale=True, normalize=True, subset=5000)
    assert abs(float(norm.images.mean())) < 0.05 and abs(float(norm.images.std()) - 1) < 0.05
    assert torch.allclose(
        norm.denormalize()[:5], helpers.load("cifar10", "train", grayscale=True, subset=5000).images[:5], atol=1e-5
    )


# ---------------------------------------------------------------- fake data


def test_fake_root_loads(fake_root):
    d = helpers.load("MNIST", "train")
    assert len(d) == 60 and d.exact and str(fake_root) in d.source
    assert d.fingerprint["dataset"] == "mnist"
    t = helpers.load("fashion_mnist", "test")
    assert len(t) == 30 and t.classes[0] == "T-shirt/top"


def test_gzipped_idx_files_are_read(tmp_path):
    root = make_fake_mnist(tmp_path / "gz")
    raw = root / "MNIST" / "raw"
    for f in list(raw.iterdir()):
        with open(f, "rb") as src, gzip.open(str(f) + ".gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
        f.unlink()
    assert len(helpers.load("mnist", "train", root=root)) == 60


def test_loading_never_writes_into_the_root(fake_root):
    before = snapshot(fake_root)
    helpers.load("mnist", "train", subset=20, normalize=True)
    helpers.load("fashion-mnist", "test")
    assert snapshot(fake_root) == before


def test_subset_is_stratified_and_deterministic(fake_root):
    a = helpers.load("mnist", "train", subset=20, seed=3)
    b = helpers.load("mnist", "train", subset=20, seed=3)
    c = helpers.load("mnist", "train", subset=20, seed=4)
    assert a.class_counts().tolist() == [2] * 10
    assert torch.equal(a.images, b.images)
    assert not torch.equal(a.images, c.images)
    assert a.fingerprint != c.fingerprint


def test_normalize_uses_training_statistics(fake_root):
    train = helpers.load("mnist", "train", normalize=True)
    test = helpers.load("mnist", "test", normalize=True)
    assert abs(float(train.images.mean())) < 1e-5
    assert train.mean == test.mean and train.std == test.std
    raw_test = helpers.load("mnist", "test")
    assert torch.allclose(test.denormalize(), raw_test.images, atol=1e-6)


# ----------------------------------------------------------- bad input


def test_unknown_dataset():
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'.*'mnist', 'fashion-mnist' or 'cifar10'"):
        helpers.load("imagenet")


def test_unknown_split(fake_root):
    with pytest.raises(ValueError, match="unknown split 'validation'.*'train' or 'test'"):
        helpers.load("mnist", "validation")


def test_data_root_that_does_not_exist(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match="data root from the root= argument .*nowhere.* does not exist"):
        helpers.load("mnist", root=missing)
    monkeypatch.setenv("LAAIC_DATA_ROOT", str(missing))
    with pytest.raises(FileNotFoundError, match="LAAIC_DATA_ROOT.*does not exist.*unset it to download"):
        helpers.load("mnist")


def test_relative_data_root_from_the_environment_is_relative_to_the_repository(tmp_path, monkeypatch):
    # The README's `export LAAIC_DATA_ROOT=../shared/datasets` is typed in the
    # repository root; a chapter's kernel runs in book/. Both must find it.
    from helpers.config import REPO_ROOT

    target = tmp_path / "datasets"
    target.mkdir()
    rel = os.path.relpath(target, REPO_ROOT)
    monkeypatch.setenv("LAAIC_DATA_ROOT", rel)
    for cwd in (REPO_ROOT, REPO_ROOT / "book", tmp_path):
        monkeypatch.chdir(cwd)
        assert data_root() == target.resolve()


def test_relative_data_root_error_names_the_absolute_paths_tried(tmp_path, monkeypatch):
    from helpers.config import REPO_ROOT

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LAAIC_DATA_ROOT", "no/such/datasets")
    with pytest.raises(FileNotFoundError) as err:
        data_root()
    msg = str(err.value)
    assert str(REPO_ROOT / "no" / "such" / "datasets") in msg
    assert str(tmp_path / "no" / "such" / "datasets") in msg
    assert "LAAIC_DATA_ROOT='no/such/datasets'" in msg


def test_relative_root_argument_is_relative_to_the_current_folder_first(tmp_path, monkeypatch):
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path)
    assert data_root("here") == (tmp_path / "here").resolve()
    assert data_root(Path("here")) == (tmp_path / "here").resolve()


def test_empty_or_wrongly_typed_root_argument(monkeypatch):
    monkeypatch.delenv("LAAIC_DATA_ROOT", raising=False)
    with pytest.raises(ValueError, match="root is an empty string.*None"):
        data_root("")
    with pytest.raises(ValueError, match="root is an empty string"):
        data_root("  ")
    with pytest.raises(TypeError, match="root must be a path or None, not int"):
        data_root(3)
    monkeypatch.setenv("LAAIC_DATA_ROOT", "   ")
    assert data_root() is None  # a blank variable counts as unset


def test_data_root_that_is_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("")
    with pytest.raises(FileNotFoundError, match="is a file, not a folder"):
        helpers.load("mnist", root=f)


def test_data_root_missing_a_dataset(tmp_path):
    root = make_fake_mnist(tmp_path / "only-mnist")
    with pytest.raises(FileNotFoundError, match="no FashionMNIST/raw folder for Fashion-MNIST"):
        helpers.load("fashion-mnist", root=root)
    with pytest.raises(FileNotFoundError, match="neither cifar-10-batches-py/ nor CIFAR10-jpeg/train/"):
        helpers.load("cifar10", root=root)


def test_data_root_missing_some_files(tmp_path):
    root = make_fake_mnist(tmp_path / "partial")
    (root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").unlink()
    assert len(helpers.load("mnist", "train", root=root)) == 60  # the complete split still loads
    with pytest.raises(FileNotFoundError, match="test split: missing t10k-labels-idx1-ubyte in .*MNIST/raw"):
        helpers.load("mnist", "test", root=root)


def test_truncated_idx_file(tmp_path):
    root = make_fake_mnist(tmp_path / "trunc")
    f = root / "MNIST" / "raw" / "train-images-idx3-ubyte"
    f.write_bytes(f.read_bytes()[:-100])
    with pytest.raises(ValueError, match="should be .* bytes .* but is .*truncated or corrupt"):
        helpers.load("mnist", "train", root=root)


def test_corrupt_magic_number(tmp_path):
    root = make_fake_mnist(tmp_path / "magic")
    f = root / "MNIST" / "raw" / "train-labels-idx1-ubyte"
    f.write_bytes(b"\x12\x34" + f.read_bytes()[2:])
    with pytest.raises(ValueError, match="magic number 0x1234.*not an unsigned-byte IDX"):
        helpers.load("mnist", "train", root=root)


def test_swapped_idx_files(tmp_path):
    root = make_fake_mnist(tmp_path / "swap")
    raw = root / "MNIST" / "raw"
    img, lab = raw / "train-images-idx3-ubyte", raw / "train-labels-idx1-ubyte"
    a, b = img.read_bytes(), lab.read_bytes()
    img.write_bytes(b)
    lab.write_bytes(a)
    with pytest.raises(ValueError, match="1-dimensional array where 3 dimensions were expected"):
        helpers.load("mnist", "train", root=root)


def test_mismatched_image_and_label_counts(tmp_path):
    root = make_fake_mnist(tmp_path / "count")
    write_idx(root / "MNIST" / "raw" / "train-labels-idx1-ubyte", np.arange(59) % 10)
    with pytest.raises(ValueError, match="60 images but .* 59 labels"):
        helpers.load("mnist", "train", root=root)


def test_empty_idx_file(tmp_path):
    root = make_fake_mnist(tmp_path / "empty")
    (root / "MNIST" / "raw" / "train-images-idx3-ubyte").write_bytes(b"")
    with pytest.raises(ValueError, match="only 0 bytes long"):
        helpers.load("mnist", "train", root=root)


def test_damaged_gzip(tmp_path):
    root = make_fake_mnist(tmp_path / "badgz")
    raw = root / "MNIST" / "raw"
    (raw / "train-images-idx3-ubyte").unlink()
    (raw / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(ValueError, match="cannot read IDX file .*fresh copy"):
        helpers.load("mnist", "train", root=root)


def test_subset_too_large(fake_root):
    with pytest.raises(ValueError, match="subset of 61 examples requested but the split has only 60"):
        helpers.load("mnist", "train", subset=61)


@pytest.mark.parametrize("n", [0, -5])
def test_subset_not_positive(fake_root, n):
    with pytest.raises(ValueError, match=f"subset size must be a positive integer, got {n}"):
        helpers.load("mnist", "train", subset=n)


def test_subset_smaller_than_number_of_classes(fake_root):
    with pytest.raises(ValueError, match="at least one example per class.*at least 10"):
        helpers.load("mnist", "train", subset=5)
    with pytest.raises(TypeError, match="subset size must be an integer"):
        helpers.load("mnist", "train", subset=2.5)


def test_download_failure_is_explained(monkeypatch):
    import torchvision

    monkeypatch.delenv("LAAIC_DATA_ROOT", raising=False)

    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(torchvision.datasets, "MNIST", offline)
    with pytest.raises(data.DataUnavailableError, match="could not download MNIST.*LAAIC_DATA_ROOT"):
        helpers.load("mnist")


def test_read_only_cache_when_downloading(monkeypatch, tmp_path):
    import errno
    import tempfile

    monkeypatch.delenv("LAAIC_DATA_ROOT", raising=False)

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(helpers.CacheError, match="not writable.*LAAIC_CACHE_DIR"):
        helpers.load("mnist")


def test_cifar_jpeg_folder_missing_classes(tmp_path):
    (tmp_path / "CIFAR10-jpeg" / "train" / "cat").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="one folder per CIFAR-10 class.*missing: \\['airplane'"):
        helpers.load("cifar10", root=tmp_path)


def test_bad_flags(fake_root):
    with pytest.raises(TypeError, match="grayscale must be True or False"):
        helpers.load("mnist", grayscale="yes")
    with pytest.raises(TypeError, match="normalize must be True or False"):
        helpers.load("mnist", normalize=1)


@pytest.mark.parametrize("subset", [None, 20])
def test_images_have_the_standard_strides_whatever_the_subset(fake_root, subset):
    # A (N, 1, H, W) tensor with stride 1 on its channel dimension looks
    # channels-last to PyTorch and sends convolutions down another code path.
    x = helpers.load("mnist", "train", root=fake_root, subset=subset).images
    n, c, h, w = x.shape
    assert x.stride() == (c * h * w, h * w, w, 1)
    assert x.is_contiguous()


def test_standard_strides_do_not_move_the_data():
    from helpers.data import _canonical_strides

    x = torch.arange(24.0).reshape(4, 1, 3, 2, 1).squeeze(-1)  # contiguous, arbitrary size-1 stride
    odd = x.as_strided(x.shape, (6, 1, 2, 1))
    y = _canonical_strides(odd)
    assert y.stride() == (6, 6, 2, 1) and y.data_ptr() == odd.data_ptr() and torch.equal(y, odd)


def test_to_grayscale_is_bt601_luma():
    import torch

    from helpers.data import LUMA_BT601, to_grayscale

    x = torch.rand(4, 3, 5, 5)
    w = torch.tensor(LUMA_BT601).view(1, 3, 1, 1)
    assert torch.allclose(to_grayscale(x), (x * w).sum(1, keepdim=True), atol=1e-6)
    assert LUMA_BT601 == (0.2989, 0.587, 0.114)
    with pytest.raises(ValueError, match="3 colour channels"):
        to_grayscale(torch.rand(2, 1, 5, 5))
    with pytest.raises(TypeError, match="floating point"):
        to_grayscale(torch.zeros(2, 3, 5, 5, dtype=torch.uint8))


def test_split_held_out_is_disjoint_stratified_and_complete():
    import torch

    from helpers.data import ImageData, split_held_out

    labels = torch.arange(100) % 10
    images = torch.arange(100, dtype=torch.float32).view(100, 1, 1, 1)
    data = ImageData(images, labels, tuple("abcdefghij"), "mnist", "test", "synthetic", True)
    select, report = split_held_out(data, 40, seed=1)
    assert len(select) == 40 and len(report) == 60
    seen = set(select.images.flatten().tolist()) | set(report.images.flatten().tolist())
    assert len(seen) == 100 and not set(select.images.flatten().tolist()) & set(report.images.flatten().tolist())
    assert select.class_counts().tolist() == [4] * 10 and report.class_counts().tolist() == [6] * 10
    assert select.fingerprint["held_out"] == "select" and report.fingerprint["held_out"] == "report"
    again, _ = split_held_out(data, 40, seed=1)
    assert torch.equal(again.images, select.images)
    with pytest.raises(ValueError, match="n_select must be an integer between 1 and 99"):
        split_held_out(data, 100)
    with pytest.raises(TypeError, match="ImageData"):
        split_held_out((images, labels), 10)


def test_split_and_balance_summaries(fake_root):
    splits = {
        (name, split): helpers.load(name, split) for name in ("mnist", "fashion-mnist") for split in ("train", "test")
    }
    table = data.split_summary(splits).splitlines()
    assert len(table) == 1 + 4 and table[0].split()[:3] == ["dataset", "split", "examples"]
    assert table[1].split()[:3] == ["MNIST", "train", "60"] and "(1, 28, 28)" in table[1]
    assert table[4].startswith("Fashion-MNIST") and " 30 " in table[4]
    balance = data.class_balance_summary(splits).splitlines()
    assert len(balance) == 4
    assert balance[0].split()[-1] == "1.000"  # the fake data is balanced


def test_summaries_refuse_what_is_not_image_data(fake_root):
    with pytest.raises(TypeError, match="non-empty dict"):
        data.split_summary({})
    with pytest.raises(TypeError, match="must be an ImageData"):
        data.class_balance_summary({"mnist": np.zeros(3)})


def test_channel_stats_match_torch():
    x = torch.rand(6, 3, 4, 5)
    mean, std = data.channel_stats(x)
    assert len(mean) == len(std) == 3
    assert np.allclose(mean, [float(x[:, c].mean()) for c in range(3)], atol=1e-6)
    assert np.allclose(std, [float(x[:, c].std()) for c in range(3)], atol=1e-6)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        data.channel_stats(torch.rand(3, 4, 5))


def test_weighted_channel_sum_is_the_weighted_sum():
    x = torch.rand(5, 3, 4, 4)
    w = [0.2989, 0.587, 0.114]
    got = data.weighted_channel_sum(x, w)
    assert got.shape == (5, 1, 4, 4)
    assert torch.allclose(got, (x * torch.tensor(w).view(1, 3, 1, 1)).sum(1, keepdim=True), atol=1e-6)
    assert (got - data.to_grayscale(x)).abs().max() < 1e-6  # torchvision's luma, typed out
    assert torch.equal(data.weighted_channel_sum(x, w), got)  # deterministic
    with pytest.raises(ValueError, match="one weight per channel"):
        data.weighted_channel_sum(x, [0.5, 0.5])
    with pytest.raises(TypeError, match="floating-point"):
        data.weighted_channel_sum(x.to(torch.uint8), w)


@pytest.mark.parametrize(
    "images, labels, error, match",
    [
        (torch.zeros(5, 1, 4, 4), torch.zeros(3, dtype=torch.long), ValueError, "5 images but 3 labels"),
        (torch.zeros(5, 4, 4), torch.zeros(5, dtype=torch.long), ValueError, r"shape \(N, C, H, W\), got \(5, 4, 4\)"),
        (np.zeros((5, 1, 4, 4)), torch.zeros(5, dtype=torch.long), ValueError, "images must be a tensor"),
        (torch.zeros(5, 1, 4, 4), torch.zeros(5, 1, dtype=torch.long), ValueError, r"shape \(N,\), got \(5, 1\)"),
        (torch.zeros(5, 1, 4, 4), torch.zeros(5), TypeError, "integer class indices, got dtype torch.float32"),
        (torch.zeros(5, 1, 4, 4), torch.zeros(5, dtype=torch.bool), TypeError, "integer class indices"),
    ],
)
def test_image_data_refuses_mismatched_or_malformed_images_and_labels(images, labels, error, match):
    from helpers.data import ImageData

    with pytest.raises(error, match=match):
        ImageData(images, labels, tuple("abcdefghij"), "mnist", "test", "synthetic", True)
