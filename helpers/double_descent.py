"""Random-feature regression and double descent, explained with the SVD.

Introduced in the chapter "Over-parameterisation and double descent".

A random-feature model maps an input x ∈ ℝᵈ to N features
φ(x) = ReLU(Wᵀx / √d) with a fixed random W (d x N) and fits only the output
weights β by least squares on one-hot targets. With the SVD of the n x N
feature matrix F = UΣVᵀ, every fit is a filter on the singular values:

    β_λ = V diag(σᵢ / (σᵢ² + λ)) Uᵀ Y,

λ = 0 giving the minimum-norm least-squares solution (pseudo-inverse). Its
norm, and the test error, blow up where the smallest non-zero σᵢ collapses,
at the interpolation threshold N ≈ n.
"""

from __future__ import annotations

import numpy as np
import torch

from . import validate
from .data import ImageData

__all__ = [
    "network_recipe",
    "random_relu_features",
    "tuned_ridge_curve",
    "one_hot",
    "add_label_noise",
    "filter_factors",
    "SVDFit",
    "sweep_widths",
    "as_vectors",
    "log_widths",
    "largest_rise",
    "train_width_sweep",
]


def _check_ridge(lam, name: str = "ridge strength λ") -> float:
    return validate.real(lam, name, low=0.0)


def _num_classes(num_classes, low: int = 1) -> int:
    return validate.integer(num_classes, "num_classes", low=low)


def _inputs(x, name: str, d: int | None = None) -> np.ndarray:
    """``x`` as an (n, d) float64 array (one example per row), ``d`` columns if given."""
    x = validate.array(x, name, ndim=2)
    if d is not None and x.shape[1] != d:
        raise ValueError(f"{name} has {x.shape[1]} features per example but the training inputs have {d}.")
    return x


def _list(values, name: str, check) -> list:
    """A non-empty list of checked values; a string or a single number is refused, not iterated."""
    if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a list, got {validate.describe(values)}.")
    values = list(values)
    if not values:
        raise ValueError(f"{name} is empty; give at least one value.")
    return [check(v) for v in values]


def random_relu_features(x: np.ndarray, width: int, seed: int = 0, weights: np.ndarray | None = None):
    """ReLU(x W / √d) for a Gaussian W (d x width), seeded; returns (features, W).

    Pass ``weights`` to reuse the same W on test data.
    """
    x = validate.array(x, "inputs x", ndim=2)
    if weights is None:
        width = validate.positive_int(width, "width N")
        weights = np.random.default_rng(validate.seed(seed)).standard_normal((x.shape[1], width))
    else:
        weights = validate.array(weights, "weights", ndim=2)
        if weights.shape[0] != x.shape[1]:
            raise ValueError(f"weights have {weights.shape[0]} rows but inputs have {x.shape[1]} features.")
    return np.maximum(x @ weights / np.sqrt(x.shape[1]), 0.0), weights


def one_hot(labels, num_classes: int = 10) -> np.ndarray:
    """One-hot targets (n, num_classes) as float64."""
    num_classes = _num_classes(num_classes)
    labels = validate.labels(labels, "labels", num_classes=num_classes)
    return np.eye(num_classes)[labels]


def add_label_noise(labels, fraction: float, num_classes: int = 10, seed: int = 0) -> np.ndarray:
    """Replace a random ``fraction`` of the labels by a different, uniformly random class."""
    fraction = validate.fraction(fraction, "noise fraction", zero=True)
    num_classes = _num_classes(num_classes, low=2)
    labels = np.array(validate.labels(labels, "labels", num_classes=num_classes), copy=True)
    rng = np.random.default_rng(validate.seed(seed))
    flip = rng.choice(labels.size, size=int(round(fraction * labels.size)), replace=False)
    labels[flip] = (labels[flip] + rng.integers(1, num_classes, size=flip.size)) % num_classes
    return labels


def filter_factors(s: np.ndarray, lam: float, rcond: float = 1e-10) -> np.ndarray:
    """σ/(σ² + λ); for λ = 0 the pseudo-inverse 1/σ, with σ below rcond·σ₁ treated as zero.

    ``s`` are singular values: non-negative and in descending order (as the SVD gives them).
    """
    lam = _check_ridge(lam)
    rcond = validate.real(rcond, "rcond", low=0.0)
    s = validate.array(s, "singular values s", ndim=1)
    if np.any(s < 0) or np.any(np.diff(s) > 0):
        raise ValueError("singular values s must be non-negative and in descending order, as the SVD returns them.")
    if lam == 0:
        keep = s > rcond * s[0]
        out = np.zeros_like(s)
        out[keep] = 1.0 / s[keep]
        return out
    return s / (s**2 + lam)


class SVDFit:
    """All least-squares fits of one feature matrix from a single SVD.

    Parameters
    ----------
    features : (n, N) array
    """

    def __init__(self, features: np.ndarray):
        f = validate.array(features, "features", ndim=2)
        self.u, self.s, self.vt = np.linalg.svd(f, full_matrices=False)

    @property
    def sigma_min(self) -> float:
        """Smallest non-zero singular value (relative cut-off 1e-10)."""
        nz = self.s[self.s > 1e-10 * self.s[0]]
        return float(nz[-1]) if nz.size else 0.0

    def coefficients(self, targets: np.ndarray, lam: float = 0.0) -> np.ndarray:
        """β_λ = V diag(σ/(σ²+λ)) Uᵀ Y, for a target vector (n,) or matrix (n, k)."""
        y = validate.array(targets, "targets", ndim=(1, 2))
        if y.shape[0] != self.u.shape[0]:
            raise ValueError(f"targets must have {self.u.shape[0]} rows (one per example), got shape {y.shape}.")
        y2 = y[:, None] if y.ndim == 1 else y
        beta = self.vt.T @ (filter_factors(self.s, lam)[:, None] * (self.u.T @ y2))
        return beta[:, 0] if y.ndim == 1 else beta


def tuned_ridge_curve(
    x_train, y_train, x_val, y_val, x_test, y_test, widths, ridges, *, seeds=(0,), num_classes: int = 10
) -> dict:
    """Test error of random-feature ridge regression with λ tuned per width on validation data.

    Introduced in the chapter "Over-parameterisation and double descent", after
    Nakkiran et al. (2020), "Optimal regularization can mitigate double
    descent". For every (seed, width) one SVD of the training features serves
    every λ in ``ridges``; the λ with the lowest validation MSE is chosen, and
    the test MSE and error are reported at that λ only (the test data never
    influence the choice).

    Returns
    -------
    dict of arrays indexed [seed, width]: ``lam`` (the chosen λ), ``test_mse``,
    ``test_err``; and [seed, width, ridge]: ``val_mse``.
    """
    x_train = _inputs(x_train, "x_train")
    x_val, x_test = _inputs(x_val, "x_val", x_train.shape[1]), _inputs(x_test, "x_test", x_train.shape[1])
    num_classes = _num_classes(num_classes)
    y_train = validate.labels(y_train, "y_train", num_classes=num_classes, n=len(x_train))
    y_val = validate.labels(y_val, "y_val", num_classes=num_classes, n=len(x_val))
    y_test = validate.labels(y_test, "y_test", num_classes=num_classes, n=len(x_test))
    widths = _list(widths, "widths", lambda w: validate.positive_int(w, "width N"))
    if isinstance(ridges, (list, tuple)) and not ridges:
        raise ValueError("give at least one ridge strength λ to choose from.")
    ridges = _list(ridges, "ridges", _check_ridge)
    seeds = _list(seeds, "seeds", lambda s: validate.seed(s, "each seed in seeds"))
    yv, yt = one_hot(y_val, num_classes), one_hot(y_test, num_classes)
    ytr = one_hot(y_train, num_classes)
    out = {k: np.zeros((len(seeds), len(widths))) for k in ("lam", "test_mse", "test_err")}
    out["val_mse"] = np.zeros((len(seeds), len(widths), len(ridges)))
    for a, seed in enumerate(seeds):
        f_train_all, w = random_relu_features(x_train, max(widths), seed=seed)
        f_val_all, _ = random_relu_features(x_val, 0, weights=w)
        f_test_all, _ = random_relu_features(x_test, 0, weights=w)
        for b, width in enumerate(widths):
            fit = SVDFit(f_train_all[:, :width])
            betas = [fit.coefficients(ytr, lam) for lam in ridges]
            for c, beta in enumerate(betas):
                out["val_mse"][a, b, c] = np.mean(np.sum((f_val_all[:, :width] @ beta - yv) ** 2, 1))
            best = int(np.argmin(out["val_mse"][a, b]))
            pred = f_test_all[:, :width] @ betas[best]
            out["lam"][a, b] = ridges[best]
            out["test_mse"][a, b] = np.mean(np.sum((pred - yt) ** 2, 1))
            out["test_err"][a, b] = np.mean(pred.argmax(1) != y_test)
    return out


def sweep_widths(
    x_train, y_train, x_test, y_test, widths, *, seeds=(0,), ridges=(0.0,), noises=(0.0,), num_classes: int = 10
) -> dict:
    """Random-feature regression over widths, seeds, ridge strengths and label-noise levels.

    One SVD per (seed, width) serves every ridge strength and noise level.
    Features for all widths of a seed are nested (the first N columns of one
    random W), so a curve is a single model family growing in width.

    Returns
    -------
    dict of arrays indexed [seed, width, ridge, noise]: ``test_mse``,
    ``test_err`` (classification error), ``train_mse``, ``train_err``,
    ``norm`` (‖β‖_F); and [seed, width]: ``sigma_min``; plus ``spectra``
    {(seed, width): singular values}.
    """
    x_train = _inputs(x_train, "x_train")
    x_test = _inputs(x_test, "x_test", x_train.shape[1])
    num_classes = _num_classes(num_classes, low=2)
    y_train = validate.labels(y_train, "y_train", num_classes=num_classes, n=len(x_train))
    y_test = validate.labels(y_test, "y_test", num_classes=num_classes, n=len(x_test))
    widths = _list(widths, "widths", lambda w: validate.positive_int(w, "width N"))
    ridges = _list(ridges, "ridges", _check_ridge)
    noises = _list(noises, "noises", lambda nf: validate.fraction(nf, "noise fraction", zero=True))
    seeds = _list(seeds, "seeds", lambda s: validate.seed(s, "each seed in seeds"))
    if max(seeds) + 1 > 2**32 - 1:
        raise ValueError(f"seeds must be below 2**32 - 1 (seed + 1 seeds the label noise), got {max(seeds)}.")
    shape = (len(seeds), len(widths), len(ridges), len(noises))
    out = {k: np.zeros(shape) for k in ("test_mse", "test_err", "train_mse", "train_err", "norm")}
    out["sigma_min"] = np.zeros((len(seeds), len(widths)))
    out["spectra"] = {}
    yte = one_hot(y_test, num_classes)
    for a, seed in enumerate(seeds):
        f_train_all, w = random_relu_features(x_train, max(widths), seed=seed)
        f_test_all, _ = random_relu_features(x_test, 0, weights=w)
        noisy = [add_label_noise(y_train, nf, num_classes, seed=seed + 1) for nf in noises]
        targets = [one_hot(lbl, num_classes) for lbl in noisy]
        for b, width in enumerate(widths):
            fit = SVDFit(f_train_all[:, :width])
            out["sigma_min"][a, b] = fit.sigma_min
            out["spectra"][seed, width] = fit.s
            ftest = f_test_all[:, :width]
            for c, lam in enumerate(ridges):
                for d, ytr in enumerate(targets):
                    beta = fit.coefficients(ytr, lam)
                    ptr = f_train_all[:, :width] @ beta
                    pte = ftest @ beta
                    out["train_mse"][a, b, c, d] = np.mean(np.sum((ptr - ytr) ** 2, 1))
                    out["test_mse"][a, b, c, d] = np.mean(np.sum((pte - yte) ** 2, 1))
                    out["train_err"][a, b, c, d] = np.mean(ptr.argmax(1) != noisy[d])
                    out["test_err"][a, b, c, d] = np.mean(pte.argmax(1) != y_test)
                    out["norm"][a, b, c, d] = np.linalg.norm(beta)
    return out


def as_vectors(images) -> np.ndarray:
    """Images (n, ...) as an (n, d) float64 array, one flattened image per row.

    Introduced in the chapter "Over-parameterisation and double descent",
    where the random features act on flattened, centred MNIST digits.
    ``images`` may be a tensor, an array or an ImageData (its images);
    complex, NaN and infinite values are refused.
    """
    if isinstance(images, ImageData):
        images = images.images
    a = validate.array(images, "images", empty=True)
    if a.ndim < 2 or a.shape[0] == 0 or a.size == 0:
        raise ValueError(f"images must be a non-empty array of shape (n, ...), got shape {a.shape}.")
    # a copy: the result must never share memory with the reader's images (or an ImageData's tensor)
    return np.array(a.reshape(a.shape[0], -1), dtype=np.float64, copy=True)


def log_widths(n: int, count: int, *, down: float = 20, up: float = 10) -> list[int]:
    """Feature counts N log-spaced from n/``down`` to ``up``·n, with N = n itself included.

    Introduced in the chapter "Over-parameterisation and double descent": the
    widths of its sweeps. Rounding down can merge neighbouring widths, so the
    list may hold fewer than ``count + 1`` values; it is sorted and has no
    repeats, and every width is at least 1.
    """
    n = validate.positive_int(n, "number of training examples n")
    count = validate.positive_int(count, "count of widths")
    down = validate.real(down, "down (the widths start at n/down)", low=0.0, low_open=True)
    up = validate.real(up, "up (the widths end at up·n)", low=0.0, low_open=True)
    if not up * down > 1:
        raise ValueError(
            f"the widths run from n/down to up·n: need down > 0, up > 0 and up·down > 1 "
            f"(a range that is not empty), got down={down}, up={up}."
        )
    grid = np.maximum(np.geomspace(n / down, up * n, count).astype(int), 1)
    return sorted(set(np.unique(grid).tolist() + [n]))


def largest_rise(curve) -> float:
    """The largest relative rise of ``curve`` above its running minimum (0 for a curve that never rises).

    Introduced in the chapter "Over-parameterisation and double descent": a
    curve without a second peak has a largest rise near 0; 0.05 means that at
    some width the curve is 5% above the best value seen at smaller widths.
    """
    c = validate.array(curve, "curve", ndim=1)
    if c.size < 2 or not np.all(c > 0):
        raise ValueError(f"curve must be a 1-D array of at least two positive values, got shape {c.shape}.")
    return float(max(np.max(c[1:] / np.minimum.accumulate(c)[:-1]) - 1, 0))


def network_recipe():
    """The training recipe of the chapter's networks (section "A network"): Adam, batch 64, lr 2e-3, cosine.

    A :class:`helpers.train.FitConfig`; :func:`train_width_sweep` takes the
    epochs and any change (e.g. the seed) on top of it.
    """
    from .train import FitConfig

    return FitConfig(batch_size=64, lr=2e-3, schedule="cosine")


def train_width_sweep(
    images,
    labels,
    test,
    widths,
    *,
    epochs: int,
    device="auto",
    verbose: bool = False,
    config=None,
    **settings,
) -> list[dict]:
    """Train TinyConvNet at several widths on (possibly noisy) labels; training and test error of each.

    Introduced in the chapter "Over-parameterisation and double descent"
    ("A network"). Every width starts from the same seed, trains with Adam on
    ``images`` and ``labels`` and is evaluated on ``test``.

    Parameters
    ----------
    images : tensor (n, C, 28, 28)
        The training images.
    labels : tensor (n,)
        The labels fitted (e.g. with label noise from :func:`add_label_noise`).
    test : ImageData or (inputs, labels)
        Where the test error is measured (clean labels).
    widths : sequence of int
        Channel multipliers of :class:`helpers.models.TinyConvNet`.
    epochs : int
        Passes over the training images.
    device
        Passed to :func:`helpers.train.fit`.
    config : helpers.train.FitConfig, optional
        The training recipe; ``None`` is :func:`network_recipe` (batch 64,
        learning rate 2e-3, cosine schedule, Adam).
    **settings
        Changes to the recipe (e.g. ``seed=1``), as :meth:`FitConfig.build`
        takes them; an unknown setting is refused.
    verbose : bool
        Print one line per width as it finishes.

    Returns
    -------
    list of dict
        One per width, in order: ``width``, ``parameters``, ``train_err``
        (on ``labels``, last epoch), ``test_err`` (fractions, not percent).
    """
    from .config import get_device, seed_everything
    from .models import TinyConvNet, count_parameters
    from .train import FitConfig, evaluate, fit

    recipe = FitConfig.build(network_recipe() if config is None else config, epochs=epochs, **settings)
    if isinstance(widths, (list, tuple)) and not widths:
        raise ValueError("give at least one width to train.")
    widths = _list(widths, "widths", lambda w: validate.positive_int(w, "width"))
    images = validate.image_batch(images, "images", size=28)
    validate.tensor(images, "images")  # NaN and infinities
    labels = validate.labels(labels, "labels", num_classes=10)
    if len(labels) != len(images):
        raise ValueError(f"labels has {len(labels)} entries but there are {len(images)} training images.")
    labels = torch.from_numpy(labels)
    if isinstance(test, ImageData):
        test_x, test_y = test.images, test.labels
    elif isinstance(test, (tuple, list)) and len(test) == 2:
        test_x, test_y = test
    else:
        raise TypeError(f"test must be an ImageData or a tuple (inputs, labels), got {validate.describe(test)}.")
    validate.image_batch(test_x, "test inputs", channels=images.shape[1], size=28)
    validate.labels(test_y, "test labels", num_classes=10, n=len(test_x))
    verbose = validate.boolean(verbose, "verbose")
    try:
        device = get_device(device)
    except (TypeError, ValueError) as err:
        raise type(err)(str(err) if "device" in str(err) else f"device: {err}") from None
    rows = []
    for w in widths:
        seed_everything(recipe.seed)
        net = TinyConvNet(width=w, in_channels=images.shape[1])
        hist = fit(net, (images, labels), config=recipe, device=device, progress=False)
        test_acc = evaluate(net, test, device=device)["accuracy"]
        row = {"width": w, "parameters": count_parameters(net), "train_err": 1 - hist.train_acc[-1]}
        row["test_err"] = 1 - test_acc
        rows.append(row)
        if verbose:
            print(
                f"width x{w}: {row['parameters']:>7,} parameters, training error {100 * row['train_err']:5.1f}%, "
                f"test error {100 * row['test_err']:5.1f}%"
            )
    return rows
