"""Linear maps from images to M-dimensional vectors: random and learned (PCA).

Introduced in the chapter "CNNs against random projections". A
:class:`Projection` is an affine map ``x ↦ ((x − centre) Rᵀ) / scale`` from
flattened images (D pixels) to M features, applied in one matrix product:

* :func:`random_projection` draws R with i.i.d. N(0, 1/M) entries (the
  ensemble of the compressive-sensing chapter, :func:`helpers.cs.measurement_matrix`),
  which preserves pairwise distances up to the Johnson–Lindenstrauss
  distortion. Its ``scale`` is the data-independent constant √(D/M), so that
  a normalised image (about unit variance per pixel) gives features of about
  unit variance, which suits the MLP that reads them. The constant changes no
  distance ratio.
* :func:`pca_projection` takes R to be the top-M right singular vectors of the
  centred training data (the principal axes), optionally whitened by the
  singular values: the learned projection that the SVD chapters predict is the
  best M-dimensional linear summary in squared error.

The chapter's experiments live here too, with their inputs as arguments:
:func:`compare_models` (the report's CNN, the MLP on projections and the MLP
on raw pixels, cross-validated, with their costs), :func:`sweep_dimensions`
(accuracy against M, random against principal components),
:func:`sweep_training_size` (accuracy against the size of the training set)
and :func:`squared_distance_ratios` (the Johnson–Lindenstrauss check).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from . import validate
from .cs import ENSEMBLES, measurement_matrix
from .data import ImageData
from .models import MLP, ReportCNN, count_macs, count_parameters
from .svd import energy
from .train import CVResult, FitConfig, cross_validate, evaluate, fit

__all__ = [
    "Projection",
    "random_projection",
    "pca_projection",
    "project",
    "MODELS",
    "ModelRun",
    "mlp_accuracy",
    "compare_models",
    "sweep_dimensions",
    "epochs_for",
    "sweep_training_size",
    "squared_distance_ratios",
]


#: The most entries a random projection matrix may have (float64 while drawn: 4 GB).
_MAX_ENTRIES = 500_000_000
#: The number of classes of every network here (MLP and ReportCNN): labels run from 0 to 9.
_NUM_CLASSES = 10


def _check_dims(m, d, what: str = "the projected dimension M") -> tuple[int, int]:
    d = validate.positive_int(d, "the input dimension D")
    m = validate.positive_int(m, what)
    if m > d:
        raise ValueError(
            f"{what}: M={m} is larger than the {d} pixels of an image: a projection is meant to reduce the "
            f"dimension; use M <= {d}."
        )
    return m, d


def _flat(x, what: str = "images") -> torch.Tensor:
    """``x`` (ImageData, tensor or array, batch first) as an (N, D) real tensor; complex, empty and NaN refused."""
    if isinstance(x, ImageData):
        x = x.images
    if isinstance(x, np.ndarray):
        # keep the array's precision (PCA works in float64); complex and non-numeric arrays are refused
        x = torch.from_numpy(np.ascontiguousarray(validate.array(x, what, dtype=None, empty=True)))
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{what} must be an ImageData, a tensor or an array, not {validate.describe(x)}.")
    if x.dim() < 2:
        raise ValueError(f"{what} must have a leading batch dimension, got shape {tuple(x.shape)}.")
    x = validate.tensor(x, what, floating=False)
    return x.reshape(x.shape[0], -1)


def _check_labels(y, what: str, n: int) -> torch.Tensor:
    """``y`` as (N,) int64 class indices from 0 to 9, one per example."""
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"{what}: labels must be a tensor of class indices, got {validate.describe(y)}.")
    if y.dim() != 1:
        raise ValueError(f"{what}: labels must have shape (N,), got {tuple(y.shape)}.")
    if y.dtype == torch.bool or y.is_complex():
        raise TypeError(f"{what}: labels must be integer class indices, got dtype {y.dtype}.")
    if y.is_floating_point():
        if not bool((torch.isfinite(y) & (y == y.round())).all()):
            raise ValueError(f"{what}: labels must be integer class indices, got non-integer floats.")
        y = y.long()
    if y.shape[0] != n:
        raise ValueError(f"{what}: {n} feature vectors but {y.shape[0]} labels; they must match.")
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= _NUM_CLASSES):
        raise ValueError(
            f"{what}: labels must be class indices from 0 to {_NUM_CLASSES - 1}, "
            f"got values from {int(y.min())} to {int(y.max())}."
        )
    return y


@dataclass
class Projection:
    """The affine map ``x ↦ ((x − centre) Rᵀ) / scale`` from D pixels to M features.

    Attributes
    ----------
    matrix : torch.Tensor
        R, shape (M, D), float32.
    centre : torch.Tensor or None
        Subtracted from every flattened image first (PCA), shape (D,).
    scale : torch.Tensor
        Divides each feature, shape (M,).
    kind : str
        ``"random"`` or ``"pca"``.
    seed : int or None
        The seed a random projection was drawn with.
    """

    matrix: torch.Tensor
    centre: torch.Tensor | None
    scale: torch.Tensor
    kind: str
    seed: int | None = None

    def __post_init__(self):
        self.matrix = validate.tensor(self.matrix, "matrix R", ndim=2)
        m, d = self.matrix.shape
        if self.centre is not None:
            self.centre = validate.tensor(self.centre, "centre", ndim=1)
            if self.centre.shape[0] != d:
                raise ValueError(f"centre must have D={d} entries (one per pixel), got {self.centre.shape[0]}.")
        self.scale = validate.tensor(self.scale, "scale", ndim=1)
        if self.scale.shape[0] != m or not bool((self.scale > 0).all()):
            raise ValueError(
                f"scale must hold M={m} positive numbers (one per feature), got {tuple(self.scale.shape)}."
            )
        self.kind = validate.choice(self.kind, "kind", ("random", "pca"))
        if self.seed is not None:
            self.seed = validate.seed(self.seed)

    @property
    def m(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def d(self) -> int:
        return int(self.matrix.shape[1])

    def __call__(self, images, batch_size: int = 8192) -> torch.Tensor:
        """Project images (N, C, H, W) or vectors (N, D) to an (N, M) float32 tensor."""
        batch_size = validate.positive_int(batch_size, "batch_size")
        x = _flat(images)
        if x.shape[1] != self.d:
            raise ValueError(
                f"this projection expects {self.d} pixels per image, but the images have {x.shape[1]}; "
                f"build it with D={x.shape[1]}."
            )
        r = self.matrix.to(x.device)
        out = []
        for i in range(0, x.shape[0], batch_size):
            xb = x[i : i + batch_size].float()
            if self.centre is not None:
                xb = xb - self.centre.to(x.device)
            out.append(xb @ r.T)
        return torch.cat(out) / self.scale.to(x.device)

    def top(self, m: int) -> Projection:
        """The projection onto the first ``m`` of its directions (for PCA: the top ``m`` principal axes)."""
        m = validate.integer(m, "m", low=1, high=self.m)
        return Projection(
            matrix=self.matrix[:m].clone(),
            centre=self.centre,
            scale=self.scale[:m].clone(),
            kind=self.kind,
            seed=self.seed,
        )

    def __repr__(self) -> str:
        seed = f", seed={self.seed}" if self.seed is not None else ""
        return f"Projection({self.kind}, D={self.d} -> M={self.m}{seed})"


def random_projection(m: int, d: int, *, seed: int = 0, ensemble: str = "gaussian") -> Projection:
    """A random M x D projection with N(0, 1/M) entries (or ±1/√M, ``ensemble="bernoulli"``).

    The same ``seed`` gives the same matrix on every machine (NumPy's PCG64).
    Features are divided by the constant √(D/M); see the module docstring.

    Raises
    ------
    ValueError
        If M or D is not a positive integer, or M > D.
    """
    m, d = _check_dims(m, d)
    if m * d > _MAX_ENTRIES:
        raise ValueError(
            f"an M x D = {m} x {d} projection has {m * d:,} entries, more than the {_MAX_ENTRIES:,} this "
            "book's machines hold; check the projected dimension M and the input dimension D (the pixels of one image)."
        )
    seed = validate.seed(seed)
    ensemble = validate.choice(ensemble, "ensemble", ENSEMBLES)
    r = torch.from_numpy(measurement_matrix(m, d, ensemble, seed)).float()
    scale = torch.full((m,), float(np.sqrt(d / m)))
    return Projection(matrix=r, centre=None, scale=scale, kind="random", seed=int(seed))


def pca_projection(train, m: int, *, whiten: bool = True) -> tuple[Projection, np.ndarray]:
    """Projection onto the top-M principal axes of ``train`` (images or vectors).

    Computed from the SVD of the centred (N, D) data matrix in float64:
    ``X − mean = U Σ Vᵀ``; R is the first M rows of Vᵀ. With ``whiten`` each
    feature is divided by σᵢ/√(N−1), its standard deviation on ``train``.

    Returns
    -------
    projection, explained
        ``explained[i]`` is the fraction of the training variance captured by
        the first ``i + 1`` axes (for every axis, not only the first M).

    Raises
    ------
    TypeError
        If ``train`` is complex (its imaginary part would be lost), not numbers, or ``whiten`` not a bool.
    ValueError
        If M exceeds D or the rank bound min(N − 1, D) of the centred data.
    """
    whiten = validate.boolean(whiten, "whiten")
    x = _flat(train, "training data").double()
    n, d = x.shape
    m, d = _check_dims(m, d)
    if n < 2:
        raise ValueError(f"PCA needs at least 2 training examples in the training data, got {n}.")
    if m > min(n - 1, d):
        raise ValueError(
            f"M={m} principal axes need at least M+1 training examples; got {n}, so use M <= {min(n - 1, d)}."
        )
    centre = x.mean(0)
    _, s, vt = torch.linalg.svd(x - centre, full_matrices=False)
    explained = energy(s.numpy())
    if whiten:
        std = s[:m] / np.sqrt(n - 1)
        if (std <= 1e-12 * s[0]).any():
            raise ValueError(f"the training data have fewer than M={m} non-degenerate directions; lower M.")
        scale = std.float()
    else:
        scale = torch.ones(m)
    proj = Projection(matrix=vt[:m].float().contiguous(), centre=centre.float(), scale=scale, kind="pca")
    return proj, explained


def project(projection: Projection, data: ImageData) -> tuple[torch.Tensor, torch.Tensor]:
    """``(features, labels)`` of a dataset, ready for :func:`helpers.train.fit`."""
    _check_projection(projection)
    if not isinstance(data, ImageData):
        raise TypeError(f"data must be an ImageData from helpers.data.load, not {validate.describe(data)}.")
    _check_pixels(data, "data", projection.d, "the projection expects")
    return projection(data.images), data.labels


# ---------------------------------------------------------------------------
# The chapter's experiments: cross-validated comparison and the two sweeps
# ---------------------------------------------------------------------------

#: What the comparison and the sweeps train on, in order: the report's CNN on
#: the images, the MLP on the M projected features, and the MLP on all D pixels.
MODELS = ("cnn", "mlp", "raw")
_RESERVED = ("seed", "device", "progress")


def _check_settings(settings, what: str) -> dict:
    if not isinstance(settings, dict):
        raise TypeError(
            f"{what} must be a dict of helpers.train.fit arguments (epochs, batch_size, lr, ...), "
            f"not {validate.describe(settings)}."
        )
    clash = [key for key in _RESERVED if key in settings]
    if clash:
        raise ValueError(f"{what} must not hold {clash}: pass seed and device as their own arguments; progress is off.")
    odd = [key for key in settings if not isinstance(key, str)]
    if odd:
        raise TypeError(f"{what} must have the names of training settings as keys, got {odd}.")
    try:
        # every setting checked now (unknown names, bad values), not after minutes of training
        FitConfig.build(**settings)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{what}: {err}") from None
    return settings


def _check_model_settings(settings) -> tuple[dict, dict]:
    if not isinstance(settings, dict) or set(settings) != {"cnn", "mlp"}:
        got = sorted(map(str, settings)) if isinstance(settings, dict) else validate.describe(settings)
        raise ValueError(
            f"settings must be a dict {{'cnn': ..., 'mlp': ...}} of helpers.train.fit arguments per network, got {got}."
        )
    return _check_settings(settings["cnn"], "settings['cnn']"), _check_settings(settings["mlp"], "settings['mlp']")


def _check_image_data(data, what: str) -> ImageData:
    if not isinstance(data, ImageData):
        raise TypeError(f"{what} must be an ImageData from helpers.data.load, not {validate.describe(data)}.")
    if len(data) == 0:
        raise ValueError(f"{what} is empty: it holds no images.")
    validate.tensor(data.images, f"{what}.images")
    _check_labels(data.labels, what, len(data))
    return data


def _check_projection(projection) -> Projection:
    if not isinstance(projection, Projection):
        raise TypeError(
            f"projection must be a Projection (random_projection, pca_projection), not {validate.describe(projection)}."
        )
    return projection


def _check_pixels(data: ImageData, what: str, d: int, source: str) -> None:
    have = data.images[0].numel()
    if have != d:
        raise ValueError(f"{what} has {have} pixels per image but {source} {d}; use images of the same size.")


def _check_cnn_images(data: ImageData, what: str) -> None:
    """The report's CNN takes square 28 x 28 or 32 x 32 images: say so before it is built."""
    h, w = data.images.shape[-2:]
    if h != w or h not in (28, 32):
        raise ValueError(
            f"{what} has {h} x {w} images, but the report's CNN takes 28 x 28 (MNIST, Fashion-MNIST) "
            "or 32 x 32 (CIFAR-10) images."
        )


def _features(data, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    if not (isinstance(data, (tuple, list)) and len(data) == 2 and all(isinstance(t, torch.Tensor) for t in data)):
        raise TypeError(f"{what} must be a tuple (features, labels) of tensors, not {validate.describe(data)}.")
    x, y = data
    if x.dim() != 2:
        raise ValueError(f"{what}: the features must be an (N, M) matrix, got shape {tuple(x.shape)}.")
    if x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ValueError(f"{what}: {x.shape[0]} feature vectors but {y.shape[0]} labels; they must match.")
    x = validate.tensor(x, f"{what} features")
    return x, _check_labels(y, what, x.shape[0])


def mlp_accuracy(train, test, *, settings: dict, seed: int = 0, device="auto") -> float:
    """Test accuracy of a fresh :class:`helpers.models.MLP` trained on feature vectors.

    Used by the chapter "CNNs against random projections" for every MLP of
    its sweeps: the network is initialised from ``seed``, trained with
    :func:`helpers.train.fit` and ``settings``, and evaluated on ``test``.

    Parameters
    ----------
    train, test : tuple of tensors
        ``(features, labels)``, features of shape (N, M).
    settings : dict
        Arguments of :func:`helpers.train.fit` (``epochs``, ``batch_size``,
        ``lr``, ``schedule``); not ``seed``, ``device`` or ``progress``.
    seed : int
        Seeds the initialisation and the training.
    device : {"auto", "cpu", "cuda"} or torch.device

    Returns
    -------
    float
        The fraction of ``test`` classified correctly.

    Raises
    ------
    TypeError, ValueError
        If the data are not (features, labels) pairs of matching length, the
        feature sizes differ, or ``settings`` is not a dict of fit arguments.
    """
    settings = _check_settings(settings, "settings")
    x, y = _features(train, "train")
    tx, ty = _features(test, "test")
    if tx.shape[1] != x.shape[1]:
        raise ValueError(f"train has {x.shape[1]} features per example but test has {tx.shape[1]}; project both alike.")
    seed = validate.seed(seed)
    device = validate.device(device)
    torch.manual_seed(seed)
    net = MLP(x.shape[1])
    fit(net, (x, y), None, device=device, progress=False, seed=seed, **settings)
    return evaluate(net, (tx, ty), device=device)["accuracy"]


@dataclass
class ModelRun:
    """One model of the cross-validated comparison, and what it costs.

    Attributes
    ----------
    cv : helpers.train.CVResult
        The held-out accuracy of every fold.
    params, macs : int
        Trainable parameters, and multiply–adds per input.
    epoch_s : float
        Seconds per training epoch, averaged over epochs and folds.
    train_n : int
        Training examples per fold.
    total_s : float
        Wall-clock seconds of the whole cross-validation.
    """

    cv: CVResult
    params: int
    macs: int
    epoch_s: float
    train_n: int
    total_s: float

    def row(self) -> dict:
        """The row of the chapter's two tables: accuracy (%), parameters, M multiply–adds, seconds per 10,000."""
        return {
            "mean": 100 * self.cv.mean,
            "std": 100 * self.cv.std,
            "params": self.params,
            "macs": self.macs / 1e6,
            "per10k": self.epoch_s / self.train_n * 1e4,
        }

    def __str__(self) -> str:
        return f"{self.cv}   ({self.total_s:.0f} s)"


def compare_models(
    train,
    projection: Projection,
    *,
    k: int,
    settings: dict,
    seed: int = 0,
    device="auto",
    progress: bool = False,
) -> dict[str, ModelRun]:
    """Cross-validate the report's CNN, the MLP on projections and the MLP on raw pixels.

    The comparison of the chapter "CNNs against random projections", for one
    dataset. The three models (:data:`MODELS`, in that order) are:

    * ``"cnn"``: :class:`helpers.models.ReportCNN` on the images;
    * ``"mlp"``: :class:`helpers.models.MLP` on ``projection`` of the images;
    * ``"raw"``: the same MLP on all D pixels (the control without projection).

    Each is scored by :func:`helpers.train.cross_validate` with ``k``
    stratified folds and ``seed`` (the same folds for all three).

    Parameters
    ----------
    train : ImageData
        The cross-validation pool.
    projection : Projection
        Maps the pool's D pixels to the MLP's M features.
    k : int
        Number of folds.
    settings : dict
        ``{"cnn": ..., "mlp": ...}``: the arguments of :func:`helpers.train.fit`
        for the CNN and for both MLPs.
    seed : int
    device : {"auto", "cpu", "cuda"} or torch.device
    progress : bool
        Show a progress bar per fold.

    Returns
    -------
    dict
        ``{"cnn": ModelRun, "mlp": ModelRun, "raw": ModelRun}``.

    Raises
    ------
    TypeError, ValueError
        If ``train`` is not an ImageData, the projection expects another
        number of pixels, or the settings are not dicts of fit arguments.
    """
    train = _check_image_data(train, "train")
    _check_projection(projection)
    channels, size = train.images.shape[1], train.images.shape[-1]
    d = train.images[0].numel()
    if projection.d != d:
        raise ValueError(f"the projection expects {projection.d} pixels but the images have {d}; build it with D={d}.")
    _check_cnn_images(train, "train")
    k = validate.integer(k, "k (the number of folds)", low=2)
    cnn_settings, mlp_settings = _check_model_settings(settings)
    seed = validate.seed(seed)
    device = validate.device(device)
    progress = validate.boolean(progress, "progress")
    models = {
        "cnn": (lambda: ReportCNN(channels, size), train.images, cnn_settings),
        "mlp": (lambda: MLP(projection.m), projection(train.images), mlp_settings),
        "raw": (lambda: MLP(d), train.images.flatten(1), mlp_settings),
    }
    runs = {}
    for model, (make, inputs, settings) in models.items():
        start = time.perf_counter()
        res = cross_validate(make, (inputs, train.labels), k=k, seed=seed, device=device, progress=progress, **settings)
        seconds = time.perf_counter() - start
        net = make()
        runs[model] = ModelRun(
            cv=res,
            params=count_parameters(net),
            macs=count_macs(net, tuple(inputs.shape[1:])),
            epoch_s=float(np.mean([np.mean(h.seconds) for h in res.histories])),
            train_n=int(len(inputs) * (k - 1) / k),
            total_s=seconds,
        )
    return runs


def sweep_dimensions(train, test, m_values, *, settings: dict, seed: int = 0, device="auto"):
    """Test accuracy of the MLP on random and on principal-component features, for every M.

    The sweep "accuracy against M, random against learned projections" of the
    chapter "CNNs against random projections". For each M of ``m_values`` the
    MLP trains (:func:`mlp_accuracy`) on ``train`` projected two ways:

    * ``"random"``: :func:`random_projection` (M, D) drawn from ``seed``;
    * ``"pca"``: the top M principal axes of ``train`` (one SVD for all M,
      unwhitened), divided by the random projection's constant √(D/M) so that
      both inputs have about the same overall size and only the directions
      differ.

    Parameters
    ----------
    train, test : ImageData
    m_values : sequence of int
        The projected dimensions, each at most D and below the number of
        training images.
    settings : dict
        Arguments of :func:`helpers.train.fit` for the MLPs.
    seed : int
    device : {"auto", "cpu", "cuda"} or torch.device

    Returns
    -------
    accuracy : dict
        ``{"random": [...], "pca": [...]}``, one float per M of ``m_values``.
    explained : numpy.ndarray
        ``explained[i]``: the fraction of the training variance held by the
        first ``i + 1`` principal axes.

    Raises
    ------
    TypeError, ValueError
        If the data are not ImageData or ``m_values`` is empty or holds an M
        that does not fit the data.
    """
    train = _check_image_data(train, "train")
    test = _check_image_data(test, "test")
    d = train.images[0].numel()
    _check_pixels(test, "test", d, "train has")
    if isinstance(m_values, (str, bytes)) or not hasattr(m_values, "__iter__"):
        raise TypeError(f"m_values must be a list of projected dimensions M, got {validate.describe(m_values)}.")
    m_values = list(m_values)
    if not m_values:
        raise ValueError("m_values is empty; give the projected dimensions M to sweep, e.g. [16, 64, 256].")
    m_values = [_check_dims(mm, d, f"m_values[{i}] (a projected dimension M)")[0] for i, mm in enumerate(m_values)]
    if max(m_values) > len(train) - 1:
        raise ValueError(
            f"m_values holds M={max(m_values)}, but {len(train)} training images have at most "
            f"{len(train) - 1} principal axes; use M <= {len(train) - 1} or more training images."
        )
    settings = _check_settings(settings, "settings")
    seed = validate.seed(seed)
    device = validate.device(device)
    # one SVD of the training images gives the principal axes for every M
    pca_all, explained = pca_projection(train, max(m_values), whiten=False)
    accuracy = {"random": [], "pca": []}
    for mm in m_values:
        rp = random_projection(mm, d, seed=seed)
        pp = pca_all.top(mm)
        gain = float(np.sqrt(d / mm))
        for kind, feats in (("random", rp), ("pca", lambda x, pp=pp, gain=gain: pp(x) / gain)):
            accuracy[kind].append(
                mlp_accuracy(
                    (feats(train.images), train.labels),
                    (feats(test.images), test.labels),
                    seed=seed,
                    settings=settings,
                    device=device,
                )
            )
    return accuracy, explained


def epochs_for(settings: dict, n: int, min_steps: int) -> int:
    """Epochs so that a run on ``n`` examples takes at least ``min_steps`` gradient steps.

    ``max(settings["epochs"], ceil(min_steps * batch_size / n))``: small
    training sets get more epochs, so that no network of the chapter "CNNs
    against random projections" stops after a handful of steps.

    Raises
    ------
    ValueError
        If ``n`` or ``min_steps`` is not a positive integer, or ``settings``
        lacks ``epochs`` or ``batch_size``.
    """
    n, min_steps = validate.positive_int(n, "n"), validate.positive_int(min_steps, "min_steps")
    if not isinstance(settings, dict):
        raise TypeError(
            f"settings must be a dict of fit settings with epochs and batch_size, not {validate.describe(settings)}."
        )
    missing = [key for key in ("epochs", "batch_size") if key not in settings]
    if missing:
        raise ValueError(f"settings lacks {missing}; give the fit settings with epochs and batch_size.")
    epochs = validate.positive_int(settings["epochs"], "settings['epochs']")
    batch_size = validate.positive_int(settings["batch_size"], "settings['batch_size']")
    return max(epochs, int(np.ceil(min_steps * batch_size / n)))


def sweep_training_size(
    subsets,
    test,
    projection: Projection,
    *,
    settings: dict,
    min_steps: int,
    seed: int = 0,
    device="auto",
) -> dict[str, list[float]]:
    """Test accuracy of the CNN and of the MLP on projections, for growing training sets.

    The sweep "accuracy against the size of the training set" of the chapter
    "CNNs against random projections". On every subset the report's CNN trains
    on the images and the MLP on ``projection`` of them, both for at least
    ``min_steps`` gradient steps (:func:`epochs_for`), and both are tested on
    ``test``.

    Parameters
    ----------
    subsets : sequence of ImageData
        The training sets, e.g. stratified subsets of growing size.
    test : ImageData
    projection : Projection
    settings : dict
        ``{"cnn": ..., "mlp": ...}``: the arguments of :func:`helpers.train.fit`
        for each network; their ``epochs`` is a minimum.
    min_steps : int
    seed : int
    device : {"auto", "cpu", "cuda"} or torch.device

    Returns
    -------
    dict
        ``{"cnn": [...], "mlp": [...]}``, one accuracy per subset, in order.

    Raises
    ------
    TypeError, ValueError
        If a subset or ``test`` is not an ImageData, ``subsets`` is empty, or
        the settings are not dicts of fit arguments.
    """
    if isinstance(subsets, ImageData):
        raise TypeError("subsets must be a list of ImageData (the training sets); wrap a single one as [subset].")
    if isinstance(subsets, (str, bytes)) or not hasattr(subsets, "__iter__"):
        raise TypeError(f"subsets must be a list of ImageData (the training sets), got {validate.describe(subsets)}.")
    subsets = list(subsets)
    if not subsets:
        raise ValueError("subsets is empty; give at least one training set.")
    test = _check_image_data(test, "test")
    _check_projection(projection)
    _check_pixels(test, "test", projection.d, "the projection expects")
    _check_cnn_images(test, "test")
    for i, sub in enumerate(subsets):
        _check_image_data(sub, f"subsets[{i}]")
        _check_pixels(sub, f"subsets[{i}]", projection.d, "the projection expects")
        if sub.images.shape[1:] != test.images.shape[1:]:
            raise ValueError(
                f"subsets[{i}] has images of shape {tuple(sub.images.shape[1:])} but test has "
                f"{tuple(test.images.shape[1:])}; the CNN needs the same shape."
            )
    cnn_settings, mlp_settings = _check_model_settings(settings)
    min_steps = validate.positive_int(min_steps, "min_steps")
    for key, fit_settings in (("cnn", cnn_settings), ("mlp", mlp_settings)):
        missing = [name for name in ("epochs", "batch_size") if name not in fit_settings]
        if missing:
            raise ValueError(
                f"settings[{key!r}] lacks {missing}: the sweep needs the epochs (a minimum) and the batch size."
            )
    seed = validate.seed(seed)
    device = validate.device(device)
    accuracy = {"cnn": [], "mlp": []}
    for sub in subsets:
        n = len(sub)
        torch.manual_seed(seed)
        cnn = ReportCNN(sub.images.shape[1], sub.images.shape[-1])
        cnn_epochs = epochs_for(cnn_settings, n, min_steps)
        fit(cnn, sub, None, device=device, progress=False, seed=seed, **dict(cnn_settings, epochs=cnn_epochs))
        accuracy["cnn"].append(evaluate(cnn, test, device=device)["accuracy"])
        accuracy["mlp"].append(
            mlp_accuracy(
                (projection(sub.images), sub.labels),
                (projection(test.images), test.labels),
                seed=seed,
                settings=dict(mlp_settings, epochs=epochs_for(mlp_settings, n, min_steps)),
                device=device,
            )
        )
    return accuracy


def squared_distance_ratios(projection: Projection, points) -> np.ndarray:
    """‖Rx − Ry‖² / ‖x − y‖² for every pair of ``points``, with R the projection's matrix.

    The Johnson–Lindenstrauss check of the chapter "CNNs against random
    projections": the constant feature scaling of :func:`random_projection`
    is undone, so that the ratios are those of R itself, whose N(0, 1/M)
    entries make their mean 1. Computed in float64.

    Returns
    -------
    numpy.ndarray
        The n(n − 1)/2 ratios, in the pair order of :func:`scipy.spatial.distance.pdist`.

    Raises
    ------
    ValueError
        If there are fewer than two points, two points coincide, or the
        projection is not a random one (PCA centres and rescales per feature).
    """
    from scipy.spatial.distance import pdist

    _check_projection(projection)
    if projection.kind != "random":
        raise ValueError(f"the ratios are defined for a random projection, got a {projection.kind} one.")
    x = _flat(points, "points")
    if x.shape[1] != projection.d:
        raise ValueError(f"points have {x.shape[1]} values each but the projection expects D={projection.d}.")
    if x.shape[0] < 2:
        raise ValueError(f"need at least two points to form a pair, got {x.shape[0]}.")
    before = pdist(x.double().numpy(), "sqeuclidean")
    if (before == 0).any():
        raise ValueError("two of the points coincide, so their ratio is undefined; remove duplicates.")
    after = pdist(projection(x).double().numpy() * float(projection.scale[0]), "sqeuclidean")
    return after / before
