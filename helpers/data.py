"""MNIST, Fashion-MNIST and CIFAR-10 as in-memory tensors.

Introduced in the chapter "The datasets"; every chapter that trains a network
loads its data through :func:`load`.

Where the data comes from, in this order:

1. **A data root you set**: the ``root=`` argument, else the environment
   variable ``LAAIC_DATA_ROOT``. It must hold torchvision's layout
   (``MNIST/raw/``, ``FashionMNIST/raw/`` with the four IDX files, optionally
   gzipped; ``cifar-10-batches-py/`` for CIFAR-10) or, for CIFAR-10, the
   ImageFolder layout ``CIFAR10-jpeg/{train,test}/{class}/*.jpg`` of the
   offline mirror. When a root is set, nothing is downloaded: a missing file is
   an error that says which one.
2. **torchvision's download** into ``<cache>/datasets`` when no root is set.

The data root is only ever read. Decoding the 60,000 CIFAR-10 JPEGs of the
mirror happens once; the decoded arrays are cached under ``<cache>/datasets``.
CIFAR-10 from the JPEG mirror is a lossy re-encoding of the original, so
:attr:`ImageData.exact` is ``False`` and :attr:`ImageData.source` says so:
report it beside any CIFAR-10 result.
"""

from __future__ import annotations

import gzip
import os
import struct
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from .cache import atomic_write, cache_key, code_fingerprint, ensure_dir
from .config import REPO_ROOT, env_path, in_repository
from .validate import array, boolean, describe, image_batch, integer

__all__ = [
    "DATASETS",
    "ImageData",
    "DataUnavailableError",
    "canonical_name",
    "data_root",
    "load",
    "load_splits",
    "stratified_indices",
    "read_idx",
    "LUMA_BT601",
    "split_held_out",
    "to_grayscale",
    "split_summary",
    "class_balance_summary",
    "channel_stats",
    "weighted_channel_sum",
]

SPLITS = ("train", "test")


def _dataset(title: str, folder: str, classes, shape: tuple, n_train: int) -> dict:
    return {
        "title": title,
        "folder": folder,
        "classes": tuple(classes),
        "shape": shape,
        "sizes": {"train": n_train, "test": 10_000},
    }


# Canonical name -> title, torchvision folder, class names, image shape C,H,W, split sizes
_FASHION_CLASSES = "T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot"
_CIFAR10_CLASSES = "airplane,automobile,bird,cat,deer,dog,frog,horse,ship,truck"
DATASETS: dict[str, dict] = {
    "mnist": _dataset("MNIST", "MNIST", "0123456789", (1, 28, 28), 60_000),
    "fashion-mnist": _dataset("Fashion-MNIST", "FashionMNIST", _FASHION_CLASSES.split(","), (1, 28, 28), 60_000),
    "cifar10": _dataset("CIFAR-10", "cifar-10-batches-py", _CIFAR10_CLASSES.split(","), (3, 32, 32), 50_000),
}

_ALIASES = {
    "mnist": "mnist",
    "fashion-mnist": "fashion-mnist",
    "fashion_mnist": "fashion-mnist",
    "fashionmnist": "fashion-mnist",
    "fmnist": "fashion-mnist",
    "cifar10": "cifar10",
    "cifar-10": "cifar10",
    "cifar_10": "cifar10",
}

_IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

JPEG_FOLDER = "CIFAR10-jpeg"


class DataUnavailableError(FileNotFoundError):
    """A dataset could neither be found locally nor downloaded."""


def _check_finite(images: torch.Tensor, name: str) -> None:
    """Refuse NaN or infinite pixels, without a temporary as large as ``images`` (a sum is NaN/inf if any is)."""
    if not images.is_floating_point() or images.numel() == 0:
        return
    if bool(torch.isfinite(images.sum())):  # float64 would copy the whole tensor first
        return
    bad = int(images.numel() - int(torch.isfinite(images).sum()))
    if bad:
        raise ValueError(f"{name} contains {bad:,} NaN or infinite pixel value(s); clean them first.")


def _channel_values(values, name: str, channels: int, *, positive: bool = False) -> tuple:
    """Per-channel statistics as a tuple of floats: one value, or one per channel (``channels``)."""
    arr = array(values, name, ndim=1)
    if arr.shape[0] not in (1, channels):
        raise ValueError(
            f"{name} must hold one value per channel ({channels}) or a single value, got {arr.shape[0]} values."
        )
    if positive and (arr <= 0).any():
        raise ValueError(f"{name} must be positive (a standard deviation to divide by), got {tuple(arr.tolist())}.")
    return tuple(float(v) for v in arr)


@dataclass
class ImageData:
    """A split of a dataset held in memory.

    Attributes
    ----------
    images : torch.Tensor
        ``(N, C, H, W)`` float32; pixel values in [0, 1], or standardised
        per channel when loaded with ``normalize=True``.
    labels : torch.Tensor
        ``(N,)`` int64 class indices.
    classes : tuple of str
        Class names, indexed by label.
    name, split : str
        Canonical dataset name (``"mnist"``, ``"fashion-mnist"``, ``"cifar10"``)
        and ``"train"`` or ``"test"``.
    source : str
        Where the pixels came from, in words; quote it with results.
    exact : bool
        ``False`` when the pixels differ from the official release (the
        CIFAR-10 JPEG mirror).
    mean, std : tuple of float
        Per-channel statistics of the training split used for normalisation
        (``(0.0,)``/``(1.0,)`` per channel when not normalised).
    fingerprint : dict
        Everything that determines the content; used to key checkpoints.
    """

    images: torch.Tensor
    labels: torch.Tensor
    classes: tuple
    name: str
    split: str
    source: str
    exact: bool
    mean: tuple = (0.0,)
    std: tuple = (1.0,)
    fingerprint: dict = field(default_factory=dict)

    def __post_init__(self):
        # a mismatch here would otherwise surface much later, deep inside torch or as a wrong accuracy
        if not isinstance(self.images, torch.Tensor) or self.images.dim() != 4:
            got = tuple(self.images.shape) if hasattr(self.images, "shape") else type(self.images).__name__
            raise ValueError(f"ImageData images must be a tensor of shape (N, C, H, W), got {got}.")
        if not self.images.is_floating_point():
            raise TypeError(
                f"ImageData images must be floating point (pixels in [0, 1], e.g. float32), got "
                f"{self.images.dtype}; convert with images.float() / 255."
            )
        if not isinstance(self.labels, torch.Tensor) or self.labels.dim() != 1:
            got = tuple(self.labels.shape) if hasattr(self.labels, "shape") else type(self.labels).__name__
            raise ValueError(f"ImageData labels must be a tensor of shape (N,), got {got}.")
        if self.labels.dtype.is_floating_point or self.labels.dtype.is_complex or self.labels.dtype == torch.bool:
            raise TypeError(
                f"ImageData labels must be integer class indices, got dtype {self.labels.dtype}; "
                "convert with labels.long() if they are whole numbers."
            )
        if self.labels.shape[0] != self.images.shape[0]:
            raise ValueError(
                f"ImageData has {self.images.shape[0]} images but {self.labels.shape[0]} labels; "
                "give one label per image."
            )
        if self.images.shape[0] == 0:
            raise ValueError("ImageData images is empty (no images); it needs at least one image.")
        _check_finite(self.images, "ImageData images")
        if not isinstance(self.classes, (tuple, list)) or not self.classes:
            raise TypeError(
                f"ImageData classes must be a non-empty tuple of class names, got {describe(self.classes)}."
            )
        if not all(isinstance(c, str) for c in self.classes):
            raise TypeError(f"ImageData classes must be class names (strings), got {describe(self.classes)}.")
        self.classes = tuple(self.classes)
        low, high = int(self.labels.min()), int(self.labels.max())
        if low < 0 or high >= len(self.classes):
            raise ValueError(
                f"ImageData labels must be class indices from 0 to {len(self.classes) - 1} "
                f"({len(self.classes)} classes), got labels from {low} to {high}."
            )
        if not isinstance(self.name, str) or self.name.strip().lower() not in _ALIASES:
            raise ValueError(
                f"ImageData name must be a dataset name ({', '.join(map(repr, DATASETS))}), got {describe(self.name)}."
            )
        self.name = _ALIASES[self.name.strip().lower()]
        if not isinstance(self.split, str) or self.split not in SPLITS:
            raise ValueError(f"ImageData split must be 'train' or 'test', got {describe(self.split)}.")
        if not isinstance(self.source, str):
            raise TypeError(f"ImageData source must be a description in words (a string), got {describe(self.source)}.")
        self.exact = boolean(self.exact, "ImageData exact")
        channels = int(self.images.shape[1])
        self.mean = _channel_values(self.mean, "ImageData mean", channels)
        self.std = _channel_values(self.std, "ImageData std", channels, positive=True)
        if len(self.mean) != len(self.std):
            raise ValueError(
                f"ImageData mean and std must have one value per channel each, got {len(self.mean)} means "
                f"and {len(self.std)} standard deviations."
            )
        if not isinstance(self.fingerprint, dict):
            raise TypeError(f"ImageData fingerprint must be a dict, got {describe(self.fingerprint)}.")

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def __repr__(self) -> str:
        return (
            f"ImageData({self.title!r}, split={self.split!r}, n={len(self)}, "
            f"shape={tuple(self.images.shape[1:])}, source={self.source!r})"
        )

    @property
    def title(self) -> str:
        """Human-readable dataset name."""
        return DATASETS[self.name]["title"]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def class_counts(self) -> np.ndarray:
        """Number of examples per class, as a NumPy array of length ``num_classes``."""
        return np.bincount(self.labels.cpu().numpy(), minlength=self.num_classes)

    def denormalize(self, images: torch.Tensor | None = None) -> torch.Tensor:
        """Undo the normalisation, giving pixel values in [0, 1] (for display).

        ``images`` (default: this split's own) must be ``(N, C, H, W)`` floating
        point with this split's channel count: the statistics of one-channel
        data cannot undo the normalisation of colour images, nor the reverse.

        Raises
        ------
        TypeError, ValueError
            If ``images`` is not such a tensor.
        """
        if images is None:
            x = self.images
        else:
            x = image_batch(images, "images", channels=int(self.images.shape[1]))
            _check_finite(x, "images")
        mean = torch.tensor(self.mean, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
        std = torch.tensor(self.std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
        return x * std + mean


def canonical_name(name: str) -> str:
    """Map a dataset name such as ``"FashionMNIST"`` or ``"cifar-10"`` to its canonical form."""
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a string, not {type(name).__name__}.")
    key = name.strip().lower()
    if key not in _ALIASES:
        raise ValueError(f"unknown dataset {name!r}; choose one of 'mnist', 'fashion-mnist' or 'cifar10'.")
    return _ALIASES[key]


def _check_split(split: str) -> str:
    if not isinstance(split, str) or split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; use 'train' or 'test'.")
    return split


def data_root(root: str | os.PathLike | None = None) -> Path | None:
    """The data root to read from: ``root`` if given, else ``$LAAIC_DATA_ROOT``, else ``None``.

    A relative ``$LAAIC_DATA_ROOT`` is relative to the repository root (where
    the README's ``export LAAIC_DATA_ROOT=../shared/datasets`` is typed), then
    to the current directory; a relative ``root=`` argument is relative to the
    current directory (a chapter's kernel runs in ``book/``), then to the
    repository root. The first candidate that exists is used.

    Raises
    ------
    ValueError
        If ``root`` is an empty string (pass ``None`` to use the environment).
    FileNotFoundError
        If a root is set but no candidate exists or it is not a directory; the
        message lists every absolute path that was tried.
    """
    if root is None:
        candidates = env_path("LAAIC_DATA_ROOT")
        if candidates is None:
            return None
        where = f"the environment variable LAAIC_DATA_ROOT={os.environ['LAAIC_DATA_ROOT'].strip()!r}"
    else:
        if not isinstance(root, (str, os.PathLike)):
            raise TypeError(f"root must be a path or None, not {type(root).__name__}.")
        if isinstance(os.fspath(root), bytes):
            raise TypeError("root must be a text path (str or pathlib.Path), not bytes.")
        if "\0" in os.fspath(root):
            raise ValueError(
                f"root={os.fspath(root)!r} contains a NUL character; pass the folder that holds the datasets."
            )
        if not str(root).strip():
            raise ValueError(
                "root is an empty string; pass the folder that holds the datasets, or None to use "
                "$LAAIC_DATA_ROOT (or to download the datasets)."
            )
        path = Path(root).expanduser()
        where = f"the root= argument {str(root)!r}"
        if path.is_absolute():
            candidates = [path]
        else:
            bases = [Path.cwd()] + ([REPO_ROOT] if in_repository() else [])
            candidates = list(dict.fromkeys(Path(os.path.abspath(b / path)) for b in bases))
    found = next((p for p in candidates if p.exists()), None)
    if found is None:
        tried = " and ".join(repr(str(p)) for p in candidates)
        raise FileNotFoundError(
            f"the data root from {where} does not exist (tried {tried}). Set it to the folder "
            "that holds MNIST/, FashionMNIST/ and CIFAR10-jpeg/ (or cifar-10-batches-py/), "
            "for example an absolute path, or unset it to download the datasets instead."
        )
    if not found.is_dir():
        raise FileNotFoundError(
            f"the data root {str(found)!r} (from {where}) is a file, not a folder. Set it to "
            "the folder that holds MNIST/, FashionMNIST/ and CIFAR10-jpeg/."
        )
    return found.resolve()


# --------------------------------------------------------------------------- IDX


def read_idx(path: str | os.PathLike, ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (MNIST's format, optionally gzipped) into a uint8 array.

    The magic number, the data type and the size stated in the header are all
    checked, so a truncated or corrupt file is reported rather than misread.

    Raises
    ------
    ValueError
        If the file is not a well-formed unsigned-byte IDX file of ``ndim``
        dimensions.
    TypeError
        If ``path`` is not a path or ``ndim`` not a positive integer.
    """
    if not isinstance(path, (str, os.PathLike)) or isinstance(os.fspath(path), bytes):
        raise TypeError(f"path must be the path of an IDX file (str or pathlib.Path), got {describe(path)}.")
    if not os.fspath(path).strip() or "\0" in os.fspath(path):
        raise ValueError(f"path={os.fspath(path)!r} is not a file path; give the IDX file to read.")
    if ndim is not None:
        ndim = integer(ndim, "ndim", low=1)
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"path {str(path)!r} is a folder, not an IDX file.")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as err:  # gzip raises these on a damaged archive
        raise ValueError(f"cannot read IDX file {path}: {err}. Replace it with a fresh copy.") from None
    fix = "The file is truncated or corrupt; replace it with a fresh copy (e.g. delete it and download again)."
    if len(raw) < 4:
        raise ValueError(f"IDX file {path} is only {len(raw)} bytes long. {fix}")
    zero, dtype_code, dims = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(
            f"IDX file {path} has magic number 0x{raw[:4].hex()}, not an unsigned-byte IDX "
            f"magic number (0x00000801 for labels, 0x00000803 for images). {fix}"
        )
    if ndim is not None and dims != ndim:
        raise ValueError(
            f"IDX file {path} holds a {dims}-dimensional array where {ndim} dimensions were "
            f"expected (magic 0x{raw[:4].hex()}); are the image and label files swapped? {fix}"
        )
    header = 4 + 4 * dims
    if len(raw) < header:
        raise ValueError(f"IDX file {path} ends inside its header ({len(raw)} bytes). {fix}")
    shape = struct.unpack(">" + "I" * dims, raw[4:header])
    expected = header + int(np.prod(shape, dtype=np.int64))
    if len(raw) != expected:
        raise ValueError(
            f"IDX file {path} should be {expected:,} bytes for shape {shape} but is {len(raw):,} bytes. {fix}"
        )
    # bytearray: a writable buffer, so torch.from_numpy needs no copy and warns not
    return np.frombuffer(bytearray(raw), dtype=np.uint8, offset=header).reshape(shape)


def _find_idx(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / stem, folder / (stem + ".gz")):
        if candidate.is_file():
            return candidate
    return None


def _read_idx_split(raw_dir: Path, name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    stems = _IDX_FILES[split]
    found = [_find_idx(raw_dir, s) for s in stems]
    missing = [s for s, f in zip(stems, found) if f is None]
    if missing:
        raise FileNotFoundError(
            f"{DATASETS[name]['title']} {split} split: missing {', '.join(missing)} in {raw_dir}. "
            "The data root must follow torchvision's layout "
            f"(<root>/{DATASETS[name]['folder']}/raw/<file>, optionally .gz); copy the missing "
            "files there, or unset LAAIC_DATA_ROOT to download the dataset instead."
        )
    images = read_idx(found[0], ndim=3)
    labels = read_idx(found[1], ndim=1)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{found[0].name} holds {images.shape[0]:,} images but {found[1].name} holds "
            f"{labels.shape[0]:,} labels; one of them is corrupt or from another release. "
            "Replace both with fresh copies."
        )
    if images.shape[1:] != (28, 28):
        raise ValueError(f"{found[0]} holds images of shape {images.shape[1:]}, not 28x28. Replace it.")
    if labels.size and labels.max() >= 10:
        raise ValueError(f"{found[1]} holds label {labels.max()}; labels must be 0-9. Replace it.")
    return images[:, None, :, :], labels.astype(np.int64)


# ----------------------------------------------------------------------- sources


def _download(name: str, split: str) -> Path:
    """Download with torchvision into the cache and return the folder it used."""
    import torchvision

    target = ensure_dir("datasets")
    cls = {
        "mnist": torchvision.datasets.MNIST,
        "fashion-mnist": torchvision.datasets.FashionMNIST,
        "cifar10": torchvision.datasets.CIFAR10,
    }[name]
    try:
        cls(root=str(target), train=(split == "train"), download=True)
    except Exception as err:  # URLError, HTTPError, RuntimeError('Error downloading ...')
        raise DataUnavailableError(
            f"could not download {DATASETS[name]['title']} into {target} ({type(err).__name__}: "
            f"{err}). Without internet access, point the book at a local copy: set the "
            "environment variable LAAIC_DATA_ROOT (or pass root=) to a folder in torchvision's "
            "layout, such as the offline mirror ../shared/datasets."
        ) from None
    return target


def _load_cifar_batches(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    import torchvision

    try:
        ds = torchvision.datasets.CIFAR10(root=str(folder), train=(split == "train"), download=False)
    except RuntimeError as err:
        raise FileNotFoundError(
            f"CIFAR-10 in {folder / 'cifar-10-batches-py'} is incomplete or corrupt "
            f"(torchvision: {err}). Replace that folder with a fresh copy of the official "
            "python batches, or use the ImageFolder mirror CIFAR10-jpeg/."
        ) from None
    images = np.ascontiguousarray(ds.data.transpose(0, 3, 1, 2))
    return images, np.asarray(ds.targets, dtype=np.int64)


def _decode_jpeg_folder(folder: Path, classes: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Decode an ImageFolder tree of CIFAR-10 JPEGs, with the cache in front."""
    from concurrent.futures import ThreadPoolExecutor

    from PIL import Image

    present = sorted(p.name for p in folder.iterdir() if p.is_dir())
    if present != sorted(classes):
        missing = sorted(set(classes) - set(present))
        extra = sorted(set(present) - set(classes))
        raise FileNotFoundError(
            f"{folder} should hold one folder per CIFAR-10 class ({', '.join(classes)}); "
            f"missing: {missing or 'none'}, unexpected: {extra or 'none'}. Copy the mirror's "
            "CIFAR10-jpeg folder again."
        )
    files, labels = [], []
    for label, cls in enumerate(classes):  # CIFAR-10's order == alphabetical order
        these = sorted((folder / cls).glob("*.jpg"))
        files += these
        labels += [label] * len(these)
    if not files:
        raise FileNotFoundError(f"no .jpg files under {folder}; copy the mirror again.")
    stat = [(f.stat().st_size, int(f.stat().st_mtime)) for f in files]
    key = cache_key(folder=str(folder), n=len(files), stat=cache_key(s=stat), code=code_fingerprint(["data"]))
    cached = ensure_dir("datasets") / f"cifar10-jpeg-{folder.name}-{key}.npz"
    if cached.is_file():
        try:
            with np.load(cached) as z:
                return z["images"], z["labels"]
        except Exception:  # a damaged cache file is rebuilt, never trusted
            pass
    images = np.empty((len(files), 3, 32, 32), dtype=np.uint8)

    def decode(i: int) -> None:
        try:
            with Image.open(files[i]) as im:
                arr = np.asarray(im.convert("RGB"))
        except (OSError, SyntaxError) as err:  # PIL's errors for damaged files
            raise ValueError(f"{files[i]} could not be decoded ({err}); copy the mirror again.") from None
        if arr.shape != (32, 32, 3):
            raise ValueError(f"{files[i]} is {arr.shape[1]}x{arr.shape[0]}, not a 32x32 CIFAR-10 image.")
        images[i] = arr.transpose(2, 0, 1)

    # PIL releases the GIL while decoding, so threads use every core.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(decode, range(len(files)), chunksize=512))
    labels_arr = np.asarray(labels, dtype=np.int64)

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:  # a file object, so savez keeps our name
            np.savez(fh, images=images, labels=labels_arr)

    atomic_write(cached, write)
    return images, labels_arr


@lru_cache(maxsize=8)
def _raw(name: str, split: str, root: str | None) -> tuple[np.ndarray, np.ndarray, str, bool]:
    """uint8 images (N, C, H, W), int64 labels, a description and exactness."""
    title = DATASETS[name]["title"]
    if root is not None:
        base = Path(root)
        if name in ("mnist", "fashion-mnist"):
            raw_dir = base / DATASETS[name]["folder"] / "raw"
            if not raw_dir.is_dir():
                raise FileNotFoundError(
                    f"the data root {base} has no {DATASETS[name]['folder']}/raw folder for "
                    f"{title}. Copy it there in torchvision's layout, point LAAIC_DATA_ROOT at "
                    "a folder that has it (e.g. ../shared/datasets), or unset it to download."
                )
            images, labels = _read_idx_split(raw_dir, name, split)
            return images, labels, f"{title} IDX files from the data root {base}", True
        if (base / "cifar-10-batches-py").is_dir():
            images, labels = _load_cifar_batches(base, split)
            return images, labels, f"official CIFAR-10 python batches from the data root {base}", True
        jpeg = base / JPEG_FOLDER / split
        if jpeg.is_dir():
            images, labels = _decode_jpeg_folder(jpeg, DATASETS[name]["classes"])
            return (
                images,
                labels,
                f"the CIFAR-10 JPEG mirror at {base / JPEG_FOLDER} (a lossy re-encoding: "
                "pixel values differ slightly from the official release)",
                False,
            )
        raise FileNotFoundError(
            f"the data root {base} holds neither cifar-10-batches-py/ nor {JPEG_FOLDER}/{split}/ "
            "for CIFAR-10. Copy one of them there, point LAAIC_DATA_ROOT elsewhere, or unset it "
            "to download."
        )
    target = _download(name, split)
    if name == "cifar10":
        images, labels = _load_cifar_batches(target, split)
    else:
        images, labels = _read_idx_split(target / DATASETS[name]["folder"] / "raw", name, split)
    return images, labels, f"{title} downloaded by torchvision into {target}", True


# ------------------------------------------------------------------------ public


def stratified_indices(labels, n: int, seed: int = 0) -> np.ndarray:
    """Indices of a stratified random subset of ``n`` examples, sorted.

    Each class keeps (to within one example) its share of the whole.

    Raises
    ------
    TypeError, ValueError
        If ``labels`` are not a 1-D array of integer class indices, ``n`` is
        not an integer from 1 to ``len(labels)``, or no stratified subset of
        that size exists (fewer than one example per class inside it or left
        out of it, or a class with a single example).
    """
    from sklearn.model_selection import train_test_split

    labels = array(labels, "labels", ndim=1, dtype=None)
    if labels.dtype.kind not in "iu":
        raise TypeError(
            f"labels must be integer class indices, got dtype {labels.dtype}; "
            "convert with .astype(int) (or .long() for a tensor) if they are whole numbers."
        )
    total = labels.shape[0]
    n = integer(n, "subset size", low=1)
    seed = integer(seed, "seed", low=0, high=2**32 - 1)
    if n > total:
        raise ValueError(
            f"subset of {n:,} examples requested but the split has only {total:,}; "
            f"ask for at most {total:,} (or subset=None for all)."
        )
    if n == total:
        return np.arange(total)
    classes, counts = np.unique(labels, return_counts=True)
    n_classes = classes.size
    if n < n_classes:
        raise ValueError(
            f"a stratified subset needs at least one example per class: ask for at least {n_classes} examples, not {n}."
        )
    if total - n < n_classes:
        raise ValueError(
            f"a stratified subset of {n:,} of {total:,} examples would leave out fewer examples ({total - n}) than "
            f"there are classes ({n_classes}); ask for at most {total - n_classes:,}, or for all {total:,}."
        )
    if counts.min() < 2:
        rare = classes[counts < 2].tolist()
        raise ValueError(
            f"a stratified subset needs at least 2 examples of every class, but the labels have only one example "
            f"of class(es) {rare[:5]}; drop them, or take a plain random subset."
        )
    idx, _ = train_test_split(np.arange(total), train_size=n, stratify=labels, random_state=seed)
    return np.sort(idx)


def split_held_out(data: ImageData, n_select: int, seed: int = 0) -> tuple[ImageData, ImageData]:
    """Split held-out images into a *selection* part and a disjoint *report* part, both stratified.

    Introduced in the chapter "Low-rank compression": ranks (or any other
    choice) are picked on the selection part and the accuracy of what was
    picked is reported once, on the report part, so that the reported number
    is not the best of many tries on the same images.

    Returns
    -------
    select, report : ImageData
        ``n_select`` images and the rest, with class proportions kept.
    """
    if not isinstance(data, ImageData):
        raise TypeError(f"data must be an ImageData (from helpers.load), got {type(data).__name__}.")
    n = len(data)
    n_select = integer(n_select, "n_select")
    seed = integer(seed, "seed", low=0, high=2**32 - 1)
    if n < 2:
        raise ValueError(f"data holds {n} image(s); splitting it into two parts needs at least 2.")
    if not 0 < n_select < n:
        raise ValueError(
            f"n_select must be an integer between 1 and {n - 1} (the split has {n} images), got {n_select!r}."
        )
    first = stratified_indices(data.labels.cpu().numpy(), n_select, seed=seed)
    rest = np.setdiff1d(np.arange(n), first)
    parts = []
    for role, idx in (("select", first), ("report", rest)):
        index = torch.from_numpy(idx)
        parts.append(
            replace(
                data,
                images=data.images[index].contiguous(),
                labels=data.labels[index],
                fingerprint={**data.fingerprint, "held_out": role, "n_select": int(n_select), "split_seed": seed},
            )
        )
    return parts[0], parts[1]


# ITU-R BT.601 luma weights as torchvision rounds them (0.2989 for the exact 0.299).
LUMA_BT601 = (0.2989, 0.587, 0.114)


def to_grayscale(images: torch.Tensor) -> torch.Tensor:
    """Luma Y = 0.2989 R + 0.587 G + 0.114 B (ITU-R BT.601) of RGB images (..., 3, H, W) -> (..., 1, H, W).

    Introduced in the chapter "The datasets" and used wherever the book turns
    colour into gray (``load(..., grayscale=True)``, the chapter "CNNs
    against random projections"). It is torchvision's ``rgb_to_grayscale``,
    whose weights are :data:`LUMA_BT601`.
    """
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a torch.Tensor, got {type(images).__name__}.")
    if images.dim() < 3 or images.shape[-3] != 3:
        raise ValueError(f"images must have 3 colour channels in dimension -3, got shape {tuple(images.shape)}.")
    if not images.is_floating_point():
        raise TypeError(f"images must be floating point (values in [0, 1]), got {images.dtype}.")
    if images.numel() == 0:
        raise ValueError(f"images is empty (shape {tuple(images.shape)}); it needs at least one image.")
    _check_finite(images, "images")
    from torchvision.transforms.functional import rgb_to_grayscale

    return rgb_to_grayscale(images)


@lru_cache(maxsize=8)
def _train_stats(name: str, root: str | None, grayscale: bool) -> tuple[tuple, tuple]:
    images, *_ = _raw(name, "train", root)
    x = torch.from_numpy(images).float().div_(255)
    if grayscale and x.shape[1] == 3:
        x = to_grayscale(x)
    mean = x.mean(dim=(0, 2, 3))
    std = x.std(dim=(0, 2, 3))
    flat = [c for c, s in enumerate(std.tolist()) if not s > 0]  # also catches NaN (a single pixel)
    if flat:
        raise ValueError(
            f"normalize=True cannot standardise {DATASETS[name]['title']}: every pixel of channel(s) {flat} of "
            f"its training split has the same value ({float(mean[flat[0]]):.4g}), so the standard deviation "
            "is 0 and dividing by it would give NaN. The data root probably holds a blank or damaged copy; "
            "replace it, or load with normalize=False."
        )
    return tuple(float(m) for m in mean), tuple(float(s) for s in std)


def load(
    name: str,
    split: str = "train",
    *,
    root: str | os.PathLike | None = None,
    grayscale: bool = False,
    subset: int | None = None,
    normalize: bool = False,
    seed: int = 0,
) -> ImageData:
    """Load one split of a dataset as in-memory tensors.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist", "cifar10"}
        The dataset (aliases such as ``"FashionMNIST"`` and ``"cifar-10"`` work).
    split : {"train", "test"}
    root : path, optional
        A local copy of the datasets; defaults to ``$LAAIC_DATA_ROOT``, and to
        downloading with torchvision when neither is set.
    grayscale : bool
        Convert colour images to one luma channel (ITU-R 601, as
        ``torchvision.transforms.functional.rgb_to_grayscale``). No effect on
        MNIST and Fashion-MNIST.
    subset : int, optional
        Keep a stratified random subset of this many examples (chosen by
        ``seed``).
    normalize : bool
        Standardise each channel with the mean and standard deviation of the
        *training* split (so train and test share one transformation). A
        channel whose training pixels all have one value (standard deviation
        0, a blank or damaged copy) is refused with a ``ValueError`` rather
        than divided by zero into NaN.
    seed : int
        Seed of the subset choice (0 to 2**32 - 1).

    Returns
    -------
    ImageData

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type or value (the message names it).
    FileNotFoundError, DataUnavailableError
        If the data cannot be found or downloaded.
    """
    name = canonical_name(name)
    _check_split(split)
    grayscale = boolean(grayscale, "grayscale")
    normalize = boolean(normalize, "normalize")
    if subset is not None:
        subset = integer(subset, "subset size", low=1)
    seed = integer(seed, "seed", low=0, high=2**32 - 1)
    base = data_root(root)
    root_key = None if base is None else str(base)
    images, labels, source, exact = _raw(name, split, root_key)
    idx = None
    if subset is not None:
        idx = stratified_indices(labels, subset, seed=seed)
        images, labels = images[idx], labels[idx]
    gray = grayscale and images.shape[1] == 3
    if gray:
        # in chunks: the float colour copy of all 50,000 CIFAR-10 images (600 MB)
        # and to_grayscale's temporaries never exist all at once
        x = torch.empty((images.shape[0], 1) + tuple(images.shape[2:]))
        for i in range(0, images.shape[0], 4096):
            chunk = torch.from_numpy(np.ascontiguousarray(images[i : i + 4096])).float().div_(255)
            x[i : i + 4096] = to_grayscale(chunk)
    else:
        x = torch.from_numpy(np.ascontiguousarray(images)).float().div_(255)
    channels = x.shape[1]
    mean, std = (0.0,) * channels, (1.0,) * channels
    if normalize:
        mean, std = _train_stats(name, root_key, gray)
        x = (x - torch.tensor(mean).view(1, -1, 1, 1)) / torch.tensor(std).view(1, -1, 1, 1)
    fingerprint = {
        "dataset": name,
        "split": split,
        "exact": exact,
        "n_total": int(len(_raw(name, split, root_key)[1])),
        "subset": subset,
        "subset_seed": None if subset is None else seed,
        "grayscale": gray,
        "normalize": normalize,
    }
    return ImageData(
        images=_canonical_strides(x),
        labels=torch.from_numpy(np.array(labels, dtype=np.int64)),
        classes=DATASETS[name]["classes"],
        name=name,
        split=split,
        source=source,
        exact=exact,
        mean=tuple(mean),
        std=tuple(std),
        fingerprint=fingerprint,
    )


def _canonical_strides(x: torch.Tensor) -> torch.Tensor:
    """``x`` contiguous with the standard row-major strides, also on its size-1 dimensions.

    A (N, 1, H, W) tensor made by indexing or from NumPy can be contiguous
    with a stride of 1 on its channel dimension, which PyTorch reads as the
    channels-last layout: a convolution then silently takes another code path
    and runs at another speed. Rewriting the strides (no copy: for a size-1
    dimension the stride addresses nothing) makes every image tensor the book
    loads look the same to PyTorch, whatever subset it came from.

    This is part of what :func:`load` promises, not an opt-in speed setting
    (those live in :mod:`helpers.perf`): the other code path also rounds
    differently (a network's outputs on the same values differ in the last
    bits) and hands channels-last activations to the next layer, so without it
    a number could depend on which subset an image was loaded with.
    """
    x = x.contiguous()
    strides, step = [], 1
    for size in reversed(x.shape):
        strides.append(step)
        step *= size
    return x.as_strided(x.shape, tuple(reversed(strides)))


def load_splits(
    name: str, *, train_subset: int | None = None, test_subset: int | None = None, **kwargs
) -> tuple[ImageData, ImageData]:
    """Load the train and test splits with the same options; see :func:`load`."""
    for clash, instead in (("split", "it loads both"), ("subset", "use train_subset= and test_subset=")):
        if clash in kwargs:
            raise TypeError(f"load_splits takes no {clash}= argument: {instead}.")
    if train_subset is not None:
        train_subset = integer(train_subset, "train_subset (a subset size)", low=1)
    if test_subset is not None:
        test_subset = integer(test_subset, "test_subset (a subset size)", low=1)
    train = load(name, "train", subset=train_subset, **kwargs)
    test = load(name, "test", subset=test_subset, **kwargs)
    return train, test


def split_summary(datasets: dict) -> str:
    """A text table of loaded splits: examples, image shape, classes and dtype, one row per split.

    Introduced in the chapter "The datasets", which prints it for the three
    datasets it loads.

    Parameters
    ----------
    datasets : dict
        ``(name, split) -> ImageData`` (any keys; the rows follow their order).
    """
    splits = _image_data_values(datasets)
    lines = [f"{'dataset':<14}{'split':<7}{'examples':>9}  {'image shape':<13}{'classes':>8}  dtype"]
    for d in splits:
        shape = str(tuple(d.images.shape[1:]))
        lines.append(f"{d.title:<14}{d.split:<7}{len(d):>9,}  {shape:<13}{d.num_classes:>8}  {d.images.dtype}")
    return "\n".join(lines)


def class_balance_summary(datasets: dict) -> str:
    """A text table of the smallest and largest class of each split and their ratio.

    Introduced in the chapter "The datasets" ("Class counts"); ``datasets``
    maps any key to an :class:`ImageData`, one row per split in that order.
    """
    lines = []
    for d in _image_data_values(datasets):
        counts = d.class_counts()
        if counts.min() == 0:
            raise ValueError(f"{d.title} {d.split} has a class without examples; its imbalance is undefined.")
        lines.append(
            f"{d.title:<14}{d.split:<6} min {counts.min():>5,}  max {counts.max():>5,}  "
            f"imbalance max/min {counts.max() / counts.min():.3f}"
        )
    return "\n".join(lines)


def _image_data_values(datasets: dict) -> list:
    if not isinstance(datasets, dict) or not datasets:
        raise TypeError("datasets must be a non-empty dict mapping keys to ImageData, e.g. {('mnist', 'train'): d}.")
    bad = [key for key, d in datasets.items() if not isinstance(d, ImageData)]
    if bad:
        raise TypeError(f"every value of datasets must be an ImageData (from helpers.load); not the ones at {bad}.")
    return list(datasets.values())


def channel_stats(images: torch.Tensor) -> tuple[list[float], list[float]]:
    """Per-channel mean and standard deviation of ``(N, C, H, W)`` images, as two lists of C floats.

    Introduced in the chapter "The datasets": on a training split these are
    the numbers ``load(..., normalize=True)`` standardises with.
    """
    images = image_batch(images, "images")
    _check_finite(images, "images")
    per_channel = images.shape[0] * images.shape[2] * images.shape[3]
    if per_channel < 2:
        raise ValueError(
            f"images has only {per_channel} pixel per channel (shape {tuple(images.shape)}); "
            "a standard deviation needs at least 2."
        )
    return images.mean(dim=(0, 2, 3)).tolist(), images.std(dim=(0, 2, 3)).tolist()


def weighted_channel_sum(images: torch.Tensor, weights) -> torch.Tensor:
    """``Σ_c weights[c] · images[:, c]`` as ``(N, 1, H, W)``: a grayscale formula typed out by hand.

    Introduced in the chapter "The datasets", which checks
    :func:`to_grayscale` against it. The channels are added one by one in
    place, so no more than one set of gray images (200 MB for CIFAR-10's
    training split) is in memory at a time; ``(images * w).sum(1)`` would
    first build a 600 MB weighted copy of all 50,000.
    """
    images = image_batch(images, "images")
    _check_finite(images, "images")
    weights = array(weights, "weights", ndim=1).tolist()
    if len(weights) != images.shape[1]:
        raise ValueError(f"give one weight per channel: {images.shape[1]} channels, {len(weights)} weights.")
    out = torch.zeros_like(images[:, :1])
    for c, w in enumerate(weights):
        out.add_(images[:, c : c + 1], alpha=w)
    return out
