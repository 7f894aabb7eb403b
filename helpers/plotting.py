"""Figures shared by several chapters.

Introduced in the chapter "The datasets". Functions return the Matplotlib
figure so a chapter can save or further annotate it.
"""

from __future__ import annotations

import numbers
import re

import numpy as np
import torch

from .data import ImageData
from .validate import array, describe, fraction, image_batch, integer, positive_int, real
from .validate import shape as shape_of

__all__ = [
    "to_display",
    "image_grid",
    "class_count_bars",
    "compression_view",
    "denoising_view",
    "reconstruction_view",
    "component_options",
    "component_view",
    "measurements_view",
    "band",
    "spectrum_view",
    "noise_view",
    "class_count_panels",
    "pixel_histograms",
    "class_mean_images",
    "colour_and_gray",
    "singular_value_errors",
    "rank_one_figure",
    "truncation_panels",
    "eigenimages",
    "learning_curves",
    "confusion_panels",
    "image_gallery",
    "projection_view",
    "tap_gradients_view",
    "accuracy_vs_m_view",
    "accuracy_vs_size_view",
    "eckart_young_figure",
    "rank_grid_figure",
    "truncated_filters_view",
    "conv2_rank_view",
    "breakeven_figure",
    "layer_sweep_figure",
    "fraction_sweep_figure",
    "scheme_figure",
    "dct_spectra",
    "measurement_patterns",
    "lasso_convergence",
    "error_curves",
    "reconstruction_grid",
    "mse_curves",
    "phase_transition",
    "jl_distortion",
    "taylor_curves",
    "matrix_images",
    "convolution_timing_curves",
    "layer_spectra",
    "operator_spectra",
    "relu_mask_growth",
    "coordinate_spread",
    "eigenfilters_and_filters",
    "double_descent_curves",
    "sigma_min_and_norm",
    "ridge_curves",
    "tuned_ridge_curves",
    "network_width_curves",
]


# ------------------------------------------------------------------ checks on what a reader passes in
#
# Small private helpers on top of :mod:`helpers.validate`, shared by every figure below, so that a
# wrong argument is refused by name before Matplotlib or NumPy sees it.


def _figure(fig, name: str = "fig"):
    """``fig`` if it is a Matplotlib figure (or sub-figure) to draw on."""
    from matplotlib.figure import FigureBase

    if not isinstance(fig, FigureBase):
        raise TypeError(f"{name} must be a Matplotlib figure to draw on (e.g. plt.figure()), got {describe(fig)}.")
    return fig


def _axes(ax, name: str = "ax"):
    """``ax`` if it is a Matplotlib ``Axes``."""
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise TypeError(f"{name} must be a Matplotlib Axes (e.g. from plt.subplots()), got {describe(ax)}.")
    return ax


def _mapping(value, name: str, what: str, *, empty: bool = False) -> dict:
    """``value`` if it is a dict (non-empty unless ``empty``); ``what`` says what it maps, for the message."""
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a non-empty dict {what}, got {describe(value)}.")
    if not value and not empty:
        raise ValueError(f"{name} is empty; it must be a non-empty dict {what}.")
    return value


def _keys(value, name: str, keys, source: str) -> dict:
    """``value`` if it is a dict holding every one of ``keys`` (``source`` says where such a dict comes from)."""
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be {source} (a dict with keys {', '.join(keys)}), got {describe(value)}.")
    missing = [k for k in keys if k not in value]
    if missing:
        raise ValueError(f"{name} lacks the key(s) {', '.join(map(str, missing))}; it must be {source}.")
    return value


def _text(value, name: str, *, optional: bool = False) -> str | None:
    """``value`` if it is a string (or ``None`` when ``optional``)."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string{' or None' if optional else ''}, got {describe(value)}.")
    return value


def _labels(value, name: str, n: int | None = None) -> list:
    """A list of strings (class names, titles) from a list, tuple or array of them, ``n`` long if given."""
    if isinstance(value, (str, bytes, dict)) or value is None or not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be a list of strings, got {describe(value)}.")
    items = list(value)
    bad = [x for x in items if not isinstance(x, (str, np.str_))]
    if bad:
        raise TypeError(f"{name} must be a list of strings, got an element {describe(bad[0])}.")
    if not items:
        raise ValueError(f"{name} is empty; it needs at least one string.")
    if n is not None and len(items) != n:
        raise ValueError(f"{name} must hold {n} strings, got {len(items)}.")
    return [str(x) for x in items]


def _figsize(value, name: str = "figsize") -> tuple:
    """A ``(width, height)`` pair of positive inches."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name} must be a (width, height) pair of inches, got {describe(value)}.")
    return tuple(real(v, f"{name} {part}", low=0, low_open=True) for v, part in zip(value, ("width", "height")))


def _curve(value, name: str, n: int | None = None, *, what: str = "", finite: bool = True, low=None) -> np.ndarray:
    """A non-empty 1-D float array, ``n`` long if given (``what`` names what it must match)."""
    arr = array(value, name, ndim=1, finite=finite)
    if n is not None and arr.size != n:
        raise ValueError(f"{name} must hold {n} values{what}, got {arr.size}.")
    if low is not None and np.any(arr < low):
        raise ValueError(f"{name} must be >= {low:g} everywhere, got a minimum of {float(np.nanmin(arr)):g}.")
    return arr


def _positive_curve(value, name: str, n: int | None = None, *, what: str = "") -> np.ndarray:
    """A 1-D array of positive values, as drawn on a log axis."""
    arr = _curve(value, name, n, what=what)
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be positive (it is drawn on a log axis), got a minimum of {float(arr.min()):g}.")
    return arr


def _image(value, name: str, *, unit: bool = False, colour: bool = True) -> np.ndarray:
    """A 2-D image (or ``(m, n, 3)`` colour image when ``colour``); ``unit`` asks for values in [0, 1]."""
    arr = array(value, name, ndim=(2, 3) if colour else 2)
    if arr.ndim == 3 and arr.shape[2] != 3:
        raise ValueError(f"{name} must be (m, n) gray or (m, n, 3) colour, got shape {arr.shape}.")
    if unit and (arr.min() < -1e-6 or arr.max() > 1 + 1e-6):
        raise ValueError(
            f"{name} must hold pixel values in [0, 1], got values from {arr.min():g} to {arr.max():g} "
            "(divide 8-bit pixels by 255)."
        )
    return arr


def _ints(value, name: str, *, low: int | None = None, what: str = "integers") -> list:
    """A non-empty list of Python ints from a list, tuple, range or 1-D integer array."""
    if isinstance(value, (str, bytes, dict)) or value is None or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be a list of {what}, got {describe(value)}.")
    if isinstance(value, (np.ndarray, torch.Tensor)) and value.ndim != 1:
        raise ValueError(f"{name} must be a 1-D list of {what}, got shape {tuple(value.shape)}.")
    items = [integer(v, f"each of {name}", low=low) for v in value]
    if not items:
        raise ValueError(f"{name} is empty; it needs at least one value.")
    return items


def _reals(value, name: str, *, low=None, low_open: bool = False, finite: bool = True) -> list:
    """A non-empty list of Python floats (each checked as a real number)."""
    if isinstance(value, (str, bytes, dict)) or value is None or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be a list of numbers, got {describe(value)}.")
    if isinstance(value, (np.ndarray, torch.Tensor)) and value.ndim != 1:
        raise ValueError(f"{name} must be a 1-D list of numbers, got shape {tuple(value.shape)}.")
    items = [real(v, f"each of {name}", low=low, low_open=low_open, finite=finite) for v in value]
    if not items:
        raise ValueError(f"{name} is empty; it needs at least one value.")
    return items


def _image_data(value, name: str) -> ImageData:
    """``value`` if it is a non-empty ImageData whose labels index its classes."""
    if not isinstance(value, ImageData):
        raise TypeError(f"{name} must be an ImageData (from helpers.load), got {describe(value)}.")
    if len(value) == 0:
        raise ValueError(f"{name} holds no images.")
    labels = value.labels
    if int(labels.min()) < 0 or int(labels.max()) >= value.num_classes:
        raise ValueError(
            f"{name} has labels outside 0 … {value.num_classes - 1} for its {value.num_classes} classes "
            f"(from {int(labels.min())} to {int(labels.max())})."
        )
    if not value.images.is_floating_point():
        raise TypeError(f"{name}.images must be floating point (pixels in [0, 1]), got {value.images.dtype}.")
    return value


def _pixels(data: ImageData, images: torch.Tensor, name: str) -> torch.Tensor:
    """``images`` of ``data`` as pixel values in [0, 1] (normalised images are denormalised first)."""
    x = data.denormalize(images)
    if x.numel() and (float(x.min()) < -1e-4 or float(x.max()) > 1 + 1e-4):
        raise ValueError(
            f"{name}: the images of {data.title} ({data.split}) hold values from {float(x.min()):g} to "
            f"{float(x.max()):g}, not pixels in [0, 1]; load them with helpers.load (normalize=False)."
        )
    return x


def _conv(value, name: str):
    """``value`` if it is a ``torch.nn.Conv2d`` layer."""
    if not isinstance(value, torch.nn.Conv2d):
        raise TypeError(f"{name} must be a torch.nn.Conv2d layer, got {describe(value)}.")
    return value


_SOURCE = {"tuned": "tuned_ridge_curve"}  # which function of helpers.double_descent makes each argument


def _sweep_array(sweep: dict, key: str, ndim: int, n: int | None, what: str, name: str = "sweep") -> np.ndarray:
    """``sweep[key]`` as a finite, non-negative ``ndim``-D array with ``n`` entries on axis 1 (one per width)."""
    if not isinstance(sweep, dict) or key not in sweep:
        raise TypeError(
            f"{name} must be the dict that helpers.double_descent.{_SOURCE.get(name, 'sweep_widths')} returns "
            f"(with {key!r}), "
            f"got {describe(sweep)}."
        )
    arr = array(sweep[key], f"{name}[{key!r}]", ndim=ndim)
    if n is not None and arr.shape[1] != n:
        raise ValueError(
            f"values must be (seeds, {n}) for the {n} {what}: {name}[{key!r}] has shape {arr.shape}, "
            f"{arr.shape[1]} width(s) on axis 1."
        )
    if np.any(arr < 0):
        raise ValueError(f"{name}[{key!r}] holds negative values; errors, norms and σ are never negative.")
    return arr


def _swept(value, name: str, options: list, what: str):
    """The one of the swept ``options`` that ``value`` equals (booleans refused).

    Numbers are compared to a relative 1e-6, so that ``np.float32(0.2)`` finds the swept ``0.2``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, one of the {what} swept {options}; got {describe(value)}.")
    for option in options:
        if np.isclose(float(value), float(option), rtol=1e-6, atol=0.0):
            return option
    raise ValueError(f"{name} {value} was not swept; choose one of the {what} {options}.")


def to_display(images: torch.Tensor) -> np.ndarray:
    """Turn ``(N, C, H, W)`` tensors in [0, 1] into arrays ``imshow`` accepts.

    One channel gives ``(N, H, W)`` (draw with a gray colour map), three give
    ``(N, H, W, 3)``. Values are clipped to [0, 1].
    """
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a torch tensor of shape (N, 1 or 3, H, W), got {describe(images)}.")
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images must be a tensor of shape (N, 1 or 3, H, W), got shape {tuple(images.shape)}.")
    if not images.is_floating_point():
        raise TypeError(
            f"images must be a floating-point tensor with pixels in [0, 1], got {images.dtype}; "
            "convert 8-bit pixels with .float() / 255."
        )
    if images.numel() == 0:
        raise ValueError(f"images is empty (shape {tuple(images.shape)}).")
    if not bool(torch.isfinite(images).all()):
        raise ValueError("images contains NaN or infinite values; there is nothing meaningful to draw.")
    x = images.detach().cpu().float().clamp(0, 1).numpy()
    return x[:, 0] if x.shape[1] == 1 else x.transpose(0, 2, 3, 1)


def image_grid(data: ImageData, per_class: int = 8, *, seed: int = 0, title: str | None = None, ax_size: float = 0.9):
    """A grid with one row per class and ``per_class`` random examples in each row.

    Parameters
    ----------
    data : ImageData
    per_class : int
        Examples shown per class (columns).
    seed : int
        Which examples are drawn.
    """
    import matplotlib.pyplot as plt

    data = _image_data(data, "data")
    per_class = positive_int(per_class, "per_class")
    seed = integer(seed, "seed", low=0)
    title = _text(title, "title", optional=True)
    ax_size = real(ax_size, "ax_size", low=0, low_open=True)
    labels = data.labels.numpy()
    rng = np.random.default_rng(seed)
    k = data.num_classes
    empty = [data.classes[c] for c in range(k) if not np.any(labels == c)]
    if empty:
        raise ValueError(f"data: class {empty[0]!r} has no examples in this {data.split} split.")
    label_w, title_h = 1.3, 0.4  # inches for the class names and the title
    width, height = label_w + per_class * ax_size, title_h + k * ax_size
    fig, axes = plt.subplots(k, per_class, figsize=(width, height), squeeze=False)
    fig.subplots_adjust(
        left=label_w / width, right=0.995, bottom=0.005, top=1 - title_h / height, wspace=0.04, hspace=0.04
    )
    cmap = "gray" if data.images.shape[1] == 1 else None
    for c in range(k):
        pool = np.flatnonzero(labels == c)
        pick = rng.choice(pool, size=min(per_class, pool.size), replace=False)
        # only the images drawn are converted for display, not the whole split (600 MB for CIFAR-10)
        pixels = to_display(data.denormalize(data.images[torch.from_numpy(pick)]))
        for j in range(per_class):
            ax = axes[c, j]
            ax.set_xticks([])
            ax.set_yticks([])
            for side in ax.spines.values():
                side.set_visible(False)
            if j < pick.size:
                ax.imshow(pixels[j], cmap=cmap, vmin=0, vmax=1)
        axes[c, 0].set_ylabel(data.classes[c], rotation=0, ha="right", va="center", fontsize=9)
    fig.suptitle(title or f"{data.title} ({data.split} split)", y=1 - 0.08 / height, va="top")
    return fig


def class_count_bars(datasets: dict, *, ax=None):
    """Grouped bar chart of class counts; ``datasets`` maps a label to an ImageData."""
    import matplotlib.pyplot as plt

    _mapping(datasets, "datasets", "{label: ImageData}")
    for label, d in datasets.items():
        _image_data(d, f"datasets[{label!r}]")
    first = next(iter(datasets.values()))
    for label, d in datasets.items():
        if tuple(d.classes) != tuple(first.classes):
            raise ValueError(
                f"datasets[{label!r}] has other classes than the first dataset; "
                "the bars of one chart must count the same classes."
            )
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3))
    else:
        _axes(ax)
    names = list(datasets)
    width = 0.8 / max(len(names), 1)
    for i, label in enumerate(names):
        counts = datasets[label].class_counts()
        ax.bar(np.arange(counts.size) + (i - (len(names) - 1) / 2) * width, counts, width, label=label)
    ax.set_xticks(np.arange(first.num_classes), first.classes, rotation=30, ha="right")
    ax.set_ylabel("examples")
    ax.legend(fontsize=8)
    return ax.figure


def _imshow(ax, img, title=None):
    img = np.asarray(img)
    ax.imshow(np.clip(img, 0, 1), cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


def compression_view(fig, image, k: int, s=None):
    """Slider callback of "SVD from scratch": the image, its rank-k approximation and the spectrum.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        An empty figure to draw on.
    image : array, (m, n) or (m, n, 3), values in [0, 1]
    k : int
        The rank.
    s : array, optional
        Singular values of the (gray) image, to skip recomputing them.
    """
    from .svd import low_rank, psnr, storage

    _figure(fig)
    image = _image(image, "image", unit=True)
    m, n = image.shape[:2]
    k = integer(k, "rank k", low=1, high=min(m, n))
    approx = low_rank(image, k)
    channels = 1 if image.ndim == 2 else image.shape[2]
    st = storage(m, n, k, channels)
    if s is None:
        gray = image if image.ndim == 2 else image.mean(axis=2)
        s = np.linalg.svd(gray, compute_uv=False)
    else:
        s = _curve(s, "s (the singular values)", min(m, n), what=f", one per singular value of the {m}x{n} image")
        if np.any(s < 0):
            raise ValueError("s (the singular values) must be non-negative.")
        if np.any(s <= 0):
            s = np.maximum(s, np.finfo(float).tiny)  # exact zeros are fine, but not on a log axis
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.2]})
    _imshow(axes[0], image, "original")
    _imshow(
        axes[1],
        approx,
        f"rank {k}: PSNR {psnr(image, approx):.1f} dB\n{st['kept']:,} numbers, ratio {st['ratio']:.1f}:1",
    )
    ax = axes[2]
    ax.semilogy(np.arange(1, len(s) + 1), s, lw=1)
    ax.axvline(k, color="C3", lw=1)
    ax.set_xlabel("index i")
    ax.set_ylabel("singular value σᵢ")
    ax.set_title("spectrum (kept: left of the line)", fontsize=9)
    fig.tight_layout()
    return fig


def denoising_view(fig, clean, sigma: float, *, energy_fraction: float = 0.9, seed: int = 0):
    """Slider callback of "SVD from scratch": noisy image, three denoised versions, PSNR against rank."""
    from .svd import denoising_study

    _figure(fig)
    clean = _image(clean, "clean", colour=False)
    sigma = real(sigma, "sigma", low=0)
    energy_fraction = fraction(energy_fraction, "energy_fraction")
    seed = integer(seed, "seed", low=0)
    res = denoising_study(clean, sigma, energy_fraction=energy_fraction, seed=seed)
    grid = fig.add_gridspec(2, 4, height_ratios=[1, 0.9])
    _imshow(fig.add_subplot(grid[0, 0]), res["noisy"], f"noisy σ={sigma:g}\n{res['psnr_noisy']:.1f} dB")
    for j, (key, img, label) in enumerate(
        [
            ("k_oracle", "best", "oracle"),
            ("k_energy", "energy_image", f"{energy_fraction:.0%} energy"),
            ("k_gd", "gd_image", "Gavish–Donoho"),
        ]
    ):
        k = res[key]
        _imshow(fig.add_subplot(grid[0, j + 1]), res[img], f"{label}: rank {k}\n{res['psnr'][k]:.1f} dB")
    ax = fig.add_subplot(grid[1, :])
    ax.plot(res["ranks"], res["psnr"], lw=1, color="k")
    ax.axhline(res["psnr_noisy"], color="gray", ls=":", lw=1, label="noisy image")
    for key, label, c in (
        ("k_oracle", "oracle", "C2"),
        ("k_energy", f"{energy_fraction:.0%} energy", "C1"),
        ("k_gd", "Gavish–Donoho", "C3"),
    ):
        k = res[key]
        ax.plot([k], [res["psnr"][k]], "o", color=c, label=f"{label} (k={k})")
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlabel("rank k")
    ax.set_ylabel("PSNR vs clean (dB)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return res


def reconstruction_view(fig, originals: dict, reconstructions: dict, label: str = ""):
    """Slider callback of "Compressive sensing": each original above its reconstruction.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        An empty figure to draw on.
    originals, reconstructions : dict
        Image name -> 2-D array in [0, 1]; the same keys in both.
    label : str
        Shown above the figure (e.g. ``"M = 300"``).
    """
    _figure(fig)
    _mapping(originals, "originals", "{image name: 2-D image}")
    _mapping(reconstructions, "reconstructions", "{image name: 2-D image}")
    label = _text(label, "label")
    if set(originals) != set(reconstructions):
        raise ValueError(
            f"originals {list(originals)} and reconstructions {list(reconstructions)} must have the same image names."
        )
    names = list(originals)
    for name in names:
        x = _image(originals[name], f"originals[{name!r}]", unit=True, colour=False)
        x_hat = array(reconstructions[name], f"reconstructions[{name!r}]", ndim=2)
        if x_hat.shape != x.shape:
            raise ValueError(
                f"reconstructions[{name!r}] has shape {x_hat.shape} but originals[{name!r}] has {x.shape}."
            )
    axes = fig.subplots(2, len(names), squeeze=False)
    for j, name in enumerate(names):
        x, x_hat = np.asarray(originals[name], dtype=float), np.asarray(reconstructions[name], dtype=float)
        mse = float(np.mean((x - x_hat) ** 2))
        _imshow(axes[0, j], x, f"{name}: original")
        _imshow(axes[1, j], x_hat, f"reconstruction, MSE {mse:.2e}")
    if label:
        fig.suptitle(label)
    fig.tight_layout()
    return fig


def component_options(svd1: dict, svd2: dict) -> list[str]:
    """The labels of chapter 05's component slider: ``"layer L · component I"`` for every singular direction."""
    sizes = [_layer_svd(svd, name).shape[0] for svd, name in ((svd1, "svd1"), (svd2, "svd2"))]
    return [f"layer {layer} · component {i + 1}" for layer, r in zip((1, 2), sizes) for i in range(r)]


def _layer_svd(svd, name: str, conv=None) -> torch.Tensor:
    """The singular values of ``svd`` after checking it is :func:`helpers.conv_svd.layer_svd` (of ``conv``)."""
    _keys(svd, name, ("U", "S", "Vt"), "the dict helpers.conv_svd.layer_svd returns")
    u, s, vt = svd["U"], svd["S"], svd["Vt"]
    if not all(isinstance(t, torch.Tensor) for t in (u, s, vt)):
        raise TypeError(f"{name}['U'], ['S'] and ['Vt'] must be tensors, as helpers.conv_svd.layer_svd returns.")
    if s.dim() != 1 or s.numel() == 0 or u.dim() != 2 or vt.dim() != 2:
        raise ValueError(f"{name} must hold U (C_out, r), S (r,) and Vt (r, C_in·kh·kw), as layer_svd returns.")
    if u.shape[1] != s.shape[0] or vt.shape[0] != s.shape[0]:
        raise ValueError(
            f"{name} has U {tuple(u.shape)}, S {tuple(s.shape)} and Vt {tuple(vt.shape)}; they must share r."
        )
    if conv is not None:
        per_filter = conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1]
        if u.shape[0] != conv.out_channels or vt.shape[1] != per_filter:
            raise ValueError(
                f"{name} is not the SVD of this layer: U {tuple(u.shape)} and Vt {tuple(vt.shape)} for a "
                f"layer with {conv.out_channels} filters of {per_filter} weights."
            )
    return s


def component_view(fig, option: str, *, model, svd1: dict, svd2: dict, digit: torch.Tensor):
    """One singular direction of a TinyConvNet layer: its eigenfilter, its column of U, its response to a digit.

    The picture of the component slider in the chapter "Every convolutional
    layer is an SVD". Row one shows the eigenfilter (the row ``vᵢᵀ`` of
    ``Vᵀ`` cut into one 3×3 filter per input channel), the wide column the
    matching column ``uᵢ`` of ``U`` (how each output channel mixes it in),
    and row two the digit and ``zᵢ = vᵢᵀp`` over every patch ``p``.

    Parameters
    ----------
    fig : matplotlib Figure (empty)
    option : str
        ``"layer L · component I"`` (see :func:`component_options`), L in {1, 2}, I from 1.
    model : TinyConvNet
    svd1, svd2 : dict
        :func:`helpers.conv_svd.layer_svd` of ``model.conv1`` and ``model.conv2``.
    digit : tensor (1, 1, H, W)
        The input image, in the SVDs' dtype.
    """
    from .conv_svd import analytical_conv, weight_from_matrix

    _figure(fig)
    option = _text(option, "option")
    for part in ("conv1", "conv2", "pool"):
        if not hasattr(model, part):
            raise TypeError(f"model must be a TinyConvNet (with {part}), got {describe(model)}.")
    for part in ("conv1", "conv2"):
        _conv(getattr(model, part), f"model.{part}")
    _layer_svd(svd1, "svd1", model.conv1)
    _layer_svd(svd2, "svd2", model.conv2)
    if not isinstance(digit, torch.Tensor):
        raise TypeError(f"digit must be a (1, 1, H, W) tensor, got {describe(digit)}.")
    k1, k2 = model.conv1.kernel_size[0], model.conv2.kernel_size[0]
    smallest = 2 * k2 + k1 - 1
    if (
        digit.dim() != 4
        or digit.shape[0] != 1
        or digit.shape[1] != model.conv1.in_channels
        or digit.shape[2] != digit.shape[3]
        or digit.shape[2] < smallest
    ):
        raise ValueError(
            f"digit must be one square image of shape (1, {model.conv1.in_channels}, H, H) with H >= {smallest}, "
            f"got shape {tuple(digit.shape)}."
        )
    if not digit.is_floating_point():
        raise TypeError(f"digit must be a floating-point tensor, got {digit.dtype}.")
    if not bool(torch.isfinite(digit).all()):
        raise ValueError("digit contains NaN or infinite values.")
    match = re.fullmatch(r"\s*layer\s+(\d+)\s*·\s*component\s+(\d+)\s*", option)
    if match is None:
        raise ValueError(f"option must read 'layer L · component I', got {option!r}.")
    layer, i = int(match.group(1)), int(match.group(2)) - 1
    if layer not in (1, 2):
        raise ValueError(f"option {option!r}: TinyConvNet has convolutional layers 1 and 2, not {layer}.")
    svd, conv = (svd1, model.conv1) if layer == 1 else (svd2, model.conv2)
    if not 0 <= i < len(svd["S"]):
        raise ValueError(f"option {option!r}: layer {layer} has components 1 to {len(svd['S'])}, not {i + 1}.")
    if conv.in_channels > 8:
        raise ValueError(f"model: component_view draws at most 8 input channels; layer {layer} has {conv.in_channels}.")
    filt = weight_from_matrix(svd["Vt"][i : i + 1], conv)[0].numpy()
    # 8 filter columns, a gap, and a wide column for U's bar chart spanning both rows
    grid = fig.add_gridspec(
        2, 10, width_ratios=[1] * 8 + [0.5, 3], wspace=0.25, hspace=0.35, left=0.02, right=0.98, top=0.86, bottom=0.1
    )
    lim = np.abs(filt).max()
    for c in range(filt.shape[0]):
        ax = fig.add_subplot(grid[0, c])
        ax.imshow(filt[c], cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"in {c + 1}", fontsize=9)
    ax = fig.add_subplot(grid[:, 9])
    ax.bar(np.arange(1, svd["U"].shape[0] + 1), svd["U"][:, i].numpy(), color="C1")
    ax.set_title(f"column {i + 1} of U", fontsize=10)
    ax.set_xlabel("output channel", fontsize=9)
    ax.tick_params(labelsize=8)
    with torch.no_grad():
        # layer 2 sees the pooled layer-1 activations, computed in the SVD's dtype without touching the model
        inp = digit if layer == 1 else model.pool(analytical_conv(digit, model.conv1, svd1, relu=True))
        _, z = analytical_conv(inp, conv, svd, return_coords=True)
    side = inp.shape[-1] - conv.kernel_size[0] + 1
    ax = fig.add_subplot(grid[1, :4])
    ax.imshow(digit[0, 0].numpy(), cmap="gray")  # normalised pixels: let imshow scale them
    ax.set_title("input digit", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    ax = fig.add_subplot(grid[1, 4:8])
    zi = z[0, i].reshape(side, side).numpy()
    lim = np.abs(zi).max()
    ax.imshow(zi, cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.set_title(f"zᵢ = vᵢᵀp over all patches (σ = {svd['S'][i]:.3f})", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.suptitle(option)
    return fig


def measurements_view(fig, m: int, *, originals: dict, results: dict):
    """The M slider of "Compressive sensing": each image above its reconstruction from ``m`` measurements.

    ``results[name, m]["x_hat"]`` is the reconstruction of ``originals[name]``
    (the chapter's sweep over image names and numbers of measurements).
    """
    _figure(fig)
    m = positive_int(m, "the number of measurements m")
    _mapping(originals, "originals", "{image name: 2-D image}")
    _mapping(results, "results", "{(image name, M): reconstruction} (helpers.cs.error_sweep)")
    missing = [name for name in originals if (name, m) not in results]
    if missing:
        raise ValueError(f"no reconstruction from M = {m} for {missing}; choose an M that was swept.")
    for name in originals:
        _keys(results[name, m], f"results[{name!r}, {m}]", ("x_hat",), "a reconstruction of helpers.cs.error_sweep")
    return reconstruction_view(fig, originals, {n: results[n, m]["x_hat"] for n in originals}, f"M = {m}")


def band(ax, x, values, label: str, color: str):
    """Plot the mean over seeds (axis 0 of ``values``) with the min–max band when there are several seeds.

    Used by the chapter "Over-parameterisation and double descent" for every
    curve over widths.
    """
    from matplotlib.colors import is_color_like

    _axes(ax)
    x = _curve(x, "x")
    values = array(values, "values")
    if values.ndim != 2 or values.shape[1] != len(x):
        raise ValueError(f"values must be (seeds, {len(x)}) for {len(x)} x values, got shape {values.shape}.")
    label = _text(label, "label")
    if isinstance(color, (bool, np.bool_)) or not is_color_like(color):
        raise ValueError(f"color must be a Matplotlib colour such as 'C0' or 'red', got {describe(color)}.")
    ax.plot(x, values.mean(0), "o-", ms=3, color=color, label=label)
    if values.shape[0] > 1:
        ax.fill_between(x, values.min(0), values.max(0), color=color, alpha=0.2)


def spectrum_view(fig, width: int, *, sweep: dict, widths, seeds, n: int):
    """The width slider of the double-descent chapter: the spectrum of the features and where the width sits.

    Parameters
    ----------
    fig : matplotlib Figure (empty)
    width : int
        One of ``widths``: the number N of random features.
    sweep : dict
        The result of :func:`helpers.double_descent.sweep_widths` over ``widths`` and ``seeds``.
    n : int
        The number of training examples (the interpolation threshold N = n).
    """
    _figure(fig)
    widths = _ints(widths, "widths", low=1)
    width = _swept(width, "width", widths, "widths")
    seeds = _ints(seeds, "seeds", low=0)
    n = positive_int(n, "n (the number of training examples)")
    _keys(sweep, "sweep", ("spectra", "test_mse"), "the dict helpers.double_descent.sweep_widths returns")
    test_mse = _sweep_array(sweep, "test_mse", 4, len(widths), "widths")
    if (seeds[0], width) not in sweep["spectra"]:
        raise ValueError(f"sweep has no spectrum for seed {seeds[0]} and width {width}; pass the sweep's seeds.")
    s = _curve(sweep["spectra"][seeds[0], width], f"sweep['spectra'][{seeds[0]}, {width}]", low=0)
    ratio = np.array(widths) / n
    ax1, ax2 = fig.subplots(1, 2)
    ax1.semilogy(np.arange(1, len(s) + 1), s)
    ax1.set(xlabel="i", ylabel="σᵢ", title=f"spectrum of F, N = {width} (N/n = {width / n:.2f})", ylim=(1e-6, None))
    ax2.loglog(ratio, test_mse[0, :, 0, 0], color="gray")
    j = widths.index(width)
    ax2.loglog([ratio[j]], [test_mse[0, j, 0, 0]], "o", color="C3", ms=9)
    ax2.axvline(1, color="gray", ls=":", lw=1)
    ax2.set(xlabel="N / n", ylabel="test MSE", title="where this width sits")
    fig.tight_layout()
    return fig


def noise_view(fig, noise: float, *, sweep: dict, ratio, ridges, noises):
    """The label-noise slider of the double-descent chapter: test error over N/n, least and most ridge.

    ``sweep`` is :func:`helpers.double_descent.sweep_widths` run with these
    ``ridges`` and ``noises``; ``ratio`` is N/n for its widths.
    """
    _figure(fig)
    noises = _reals(noises, "noises", low=0)
    noise = _swept(noise, "noise level", noises, "noise levels")
    ridges = _reals(ridges, "ridges", low=0)
    ratio = _positive_curve(ratio, "ratio (N/n)")
    test_mse = _sweep_array(sweep, "test_mse", 4, len(ratio), "values of ratio")
    if test_mse.shape[2:] != (len(ridges), len(noises)):
        raise ValueError(
            f"sweep['test_mse'] is {test_mse.shape}, [seed, width, ridge, noise]; it does not match "
            f"{len(ridges)} ridges and {len(noises)} noise levels."
        )
    ax = fig.subplots()
    d = noises.index(noise)
    for c in (0, len(ridges) - 1):
        band(ax, ratio, test_mse[:, :, c, d], f"λ = {ridges[c]:g}", f"C{c}")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="N / n",
        ylabel="test MSE",
        title=f"{noise:.0%} of the training labels flipped",
        ylim=(0.1, 1e7),
    )
    ax.axvline(1, color="gray", ls=":", lw=1)
    ax.legend(loc="upper right")
    return fig


# ---------------------------------------------------------------- "The datasets"


def _check_image_data(datasets, what: str = "datasets") -> list:
    if isinstance(datasets, (ImageData, str, bytes, dict)) or not hasattr(datasets, "__iter__"):
        raise TypeError(f"{what} must be a non-empty list of ImageData (from helpers.load), got {describe(datasets)}.")
    datasets = list(datasets)
    if not datasets:
        raise ValueError(f"{what} is empty; it must be a non-empty list of ImageData (from helpers.load).")
    if not all(isinstance(d, ImageData) for d in datasets):
        raise TypeError(f"{what} must be a non-empty list of ImageData (from helpers.load).")
    return [_image_data(d, f"each of {what}") for d in datasets]


def _bare(ax):
    ax.set_xticks([])
    ax.set_yticks([])


def class_count_panels(groups: dict, *, figsize=(14, 3.2)):
    """One :func:`class_count_bars` panel per dataset, side by side.

    Introduced in the chapter "The datasets" ("Class counts").

    Parameters
    ----------
    groups : dict
        Panel title -> ``{split label: ImageData}`` (e.g. ``{"MNIST": {"train": ..., "test": ...}}``).
    """
    import matplotlib.pyplot as plt

    _mapping(groups, "groups", "{panel title: {split label: ImageData}}")
    figsize = _figsize(figsize)
    for title, splits in groups.items():
        _text(title, "each panel title (key of groups)")
        if not isinstance(splits, dict):
            raise TypeError(f"groups[{title!r}] must be a dict {{split: ImageData}}, not {type(splits).__name__}.")
        _check_image_data(splits.values(), f"the values of groups[{title!r}]")
        classes = {tuple(d.classes) for d in splits.values()}
        if len(classes) != 1:
            raise ValueError(f"the splits of groups[{title!r}] have different classes; one panel counts one dataset.")
    fig, axes = plt.subplots(1, len(groups), figsize=figsize, squeeze=False)
    for ax, (title, splits) in zip(axes[0], groups.items()):
        class_count_bars(splits, ax=ax)
        ax.set_title(title)
    fig.tight_layout()
    return fig


def pixel_histograms(datasets, *, max_images: int, bins: int = 64, figsize=(14, 3)):
    """Histogram (log counts) of the pixel values of the first ``max_images`` images of each split.

    Introduced in the chapter "The datasets" ("Pixel statistics"); the
    images must hold raw pixel values in [0, 1] (not normalised).
    """
    import matplotlib.pyplot as plt

    datasets = _check_image_data(datasets)
    max_images = positive_int(max_images, "max_images")
    bins = positive_int(bins, "bins")
    figsize = _figsize(figsize)
    pixels = [_pixels(d, d.images[:max_images], "datasets") for d in datasets]
    fig, axes = plt.subplots(1, len(datasets), figsize=figsize, squeeze=False)
    for ax, d, x in zip(axes[0], datasets, pixels):
        ax.hist(x.flatten().numpy(), bins=bins, range=(0, 1), color="C0", log=True)
        ax.set_title(d.title)
        ax.set_xlabel("pixel value")
    axes[0, 0].set_ylabel("count (log scale)")
    fig.tight_layout()
    return fig


def class_mean_images(datasets, *, figsize=(12, 4)):
    """The mean image of every class: one row per split, one column per class.

    Introduced in the chapter "The datasets"; the images must hold raw pixel
    values in [0, 1] (not normalised).
    """
    import matplotlib.pyplot as plt

    datasets = _check_image_data(datasets)
    figsize = _figsize(figsize)
    for d in datasets:
        missing = [d.classes[c] for c in range(d.num_classes) if not bool((d.labels == c).any())]
        if missing:
            raise ValueError(
                f"datasets: {d.title} ({d.split}) has no images of class(es) {missing}; there is no mean to draw."
            )
    means = [
        [
            to_display(_pixels(d, d.images[d.labels == c], "datasets").mean(0, keepdim=True))[0]
            for c in range(d.num_classes)
        ]
        for d in datasets
    ]
    cols = max(d.num_classes for d in datasets)
    fig, axes = plt.subplots(len(datasets), cols, figsize=figsize, squeeze=False)
    for row, d, pixels in zip(axes, datasets, means):
        for c, ax in enumerate(row):
            _bare(ax)
            if c >= d.num_classes:
                ax.set_visible(False)
                continue
            pix = pixels[c]
            ax.imshow(pix, cmap="gray" if pix.ndim == 2 else None, vmin=0, vmax=1)
            ax.set_title(d.classes[c], fontsize=7)
    fig.tight_layout()
    return fig


def colour_and_gray(colour: ImageData, gray: ImageData, indices, *, figsize=(12, 2.8)):
    """The images at ``indices`` in colour (top row) and in gray (bottom row), titled with their class.

    Introduced in the chapter "The datasets" ("Grayscale CIFAR-10");
    ``colour`` and ``gray`` are the same split loaded with and without
    ``grayscale=True``.
    """
    import matplotlib.pyplot as plt

    _image_data(colour, "colour")
    _image_data(gray, "gray")
    figsize = _figsize(figsize)
    if colour.images.shape[1] != 3:
        raise ValueError(f"colour must hold colour images (3 channels), got {colour.images.shape[1]} channel(s).")
    if len(colour) != len(gray) or gray.images.shape[1] != 1 or not torch.equal(colour.labels, gray.labels):
        raise ValueError("gray must be the same split as colour, loaded with grayscale=True.")
    indices = _ints(indices, "indices", what="image positions")
    if min(indices) < 0 or max(indices) >= len(colour):
        raise ValueError(f"indices must be a non-empty list of positions below {len(colour)}, got {indices}.")
    pick = torch.tensor(indices)
    shown = (
        to_display(_pixels(colour, colour.images[pick], "colour")),
        to_display(_pixels(gray, gray.images[pick], "gray")),
    )
    fig, axes = plt.subplots(2, len(indices), figsize=figsize, squeeze=False)
    for j, i in enumerate(indices):
        axes[0, j].imshow(shown[0][j])
        axes[1, j].imshow(shown[1][j], cmap="gray", vmin=0, vmax=1)
        axes[0, j].set_title(colour.classes[int(colour.labels[i])], fontsize=8)
    for ax in axes.flat:
        _bare(ax)
    axes[0, 0].set_ylabel("colour")
    axes[1, 0].set_ylabel("gray")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------ "SVD from scratch"


def singular_value_errors(s_true, errors: dict, *, floor: float = 1e-17, figsize=(7, 3.5)):
    """Relative error of computed singular values against the true ones, on log axes, with √ε marked.

    Introduced in the chapter "SVD from scratch" (why libraries do not go
    through AᵀA). ``errors`` maps a method's label to its relative errors,
    one per entry of ``s_true``; errors below ``floor`` (exact results) are
    drawn at ``floor``.
    """
    import matplotlib.pyplot as plt

    s_true = _positive_curve(s_true, "s_true (the true singular values)")
    _mapping(errors, "errors", "{method label: relative error per σ}")
    floor = real(floor, "floor", low=0, low_open=True)
    figsize = _figsize(figsize)
    for label, err in errors.items():
        _text(label, "each method label (key of errors)")
        err = array(err, f"errors[{label!r}]")
        if err.shape != s_true.shape:
            raise ValueError(f"errors[{label!r}] has shape {err.shape}; it needs one error per σ, {s_true.shape}.")
        if np.any(err < 0):
            raise ValueError(f"errors[{label!r}] holds negative values; relative errors are never negative.")
    fig, ax = plt.subplots(figsize=figsize)
    for (label, err), marker in zip(errors.items(), "os^vd"):
        ax.loglog(s_true, np.maximum(np.asarray(err, dtype=float), floor), f"{marker}-", label=label)
    ax.axvline(np.sqrt(np.finfo(float).eps), color="gray", ls=":", label="√ε")
    ax.invert_xaxis()
    ax.set_xlabel("true singular value σᵢ")
    ax.set_ylabel("relative error")
    ax.legend(fontsize=8)
    return fig


def rank_one_figure(image, terms, s, ks, *, figsize=(12, 4.4)):
    """Top row: the rank-one terms σᵢuᵢvᵢᵀ; bottom row: the sums of the first k terms for each k in ``ks``.

    Introduced in the chapter "SVD from scratch" ("The rank-one expansion").

    Parameters
    ----------
    image : array (m, n), values in [0, 1]
    terms : array (t, m, n)
        :func:`helpers.svd.rank_one_terms` of ``image``.
    s : array
        The singular values of ``image`` (for the titles).
    ks : sequence of t ints
        The ranks of the partial sums shown below the terms.
    """
    import matplotlib.pyplot as plt

    from .svd import low_rank

    image = _image(image, "image", unit=True, colour=False)
    terms = array(terms, "terms", ndim=3)
    ks = _ints(ks, "ks", low=1, what="ranks k")
    figsize = _figsize(figsize)
    if terms.shape[1:] != image.shape or len(ks) != len(terms):
        raise ValueError(
            f"terms must be (t, m, n) for the {image.shape} image with one k per term; "
            f"got terms {terms.shape} and {len(ks)} ks."
        )
    if max(ks) > min(image.shape):
        raise ValueError(f"ks must be ranks k from 1 to {min(image.shape)} for the {image.shape} image, got {ks}.")
    s = _curve(s, "s (the singular values)", low=0)
    if s.size < len(terms):
        raise ValueError(f"s (the singular values) must hold at least one per term ({len(terms)}), got {s.size}.")
    fig, axes = plt.subplots(2, len(terms), figsize=figsize, squeeze=False)
    for i, (term, k) in enumerate(zip(terms, ks)):
        axes[0, i].imshow(term, cmap="gray")
        axes[0, i].set_title(f"term {i + 1}: σ={s[i]:.1f}", fontsize=8)
        axes[1, i].imshow(np.clip(low_rank(image, k), 0, 1), cmap="gray", vmin=0, vmax=1)
        axes[1, i].set_title(f"sum of first {k}", fontsize=8)
    for ax in axes.flat:
        _bare(ax)
    fig.tight_layout()
    return fig


def truncation_panels(s, sweep: dict, marks: dict, *, figsize=(11, 6.5)):
    """Four panels of a truncated SVD: spectrum, cumulative energy, error against Eckart–Young, PSNR and ratio.

    Introduced in the chapter "SVD from scratch" ("Compression").

    Parameters
    ----------
    s : array
        Singular values of the image.
    sweep : dict
        :func:`helpers.svd.truncation_sweep` of the image.
    marks : dict
        Label -> rank, marked on the energy panel (e.g. ``{"90%": 12}``).
    """
    import matplotlib.pyplot as plt

    from .svd import energy

    if not isinstance(sweep, dict):
        raise TypeError(f"sweep must be the result of helpers.svd.truncation_sweep (a dict), got {describe(sweep)}.")
    missing = [k for k in ("ks", "rel_err", "predicted", "psnr", "ratio") if k not in sweep]
    if missing:
        raise ValueError(f"sweep lacks {missing}; pass the result of helpers.svd.truncation_sweep.")
    s = _curve(s, "s (the singular values)", low=0)
    _mapping(marks, "marks", "{label: rank k}", empty=True)
    marks = {
        _text(label, "each label of marks"): integer(k, f"marks[{label!r}]", low=1, high=s.size)
        for label, k in marks.items()
    }
    figsize = _figsize(figsize)
    ks = _ints(sweep["ks"], "sweep['ks']", low=1, what="ranks k")
    curves = {
        key: _curve(sweep[key], f"sweep[{key!r}]", len(ks), what=" (one per k)", low=0)
        for key in ("rel_err", "predicted", "ratio")
    }
    psnr = array(sweep["psnr"], "sweep['psnr']", ndim=1, finite=False)
    if psnr.size != len(ks):
        raise ValueError(f"sweep['psnr'] must hold {len(ks)} values (one per k), got {psnr.size}.")
    if np.isnan(psnr).any():
        raise ValueError("sweep['psnr'] contains NaN; every rank k needs a PSNR (inf for an exact copy).")
    r = np.arange(1, len(s) + 1)
    fig, axes = plt.subplots(2, 2, figsize=figsize, layout="constrained")
    ax = axes[0, 0]
    ax.semilogy(r, s)
    ax.set(title="singular values", xlabel="i", ylabel="σᵢ")
    ax = axes[0, 1]
    ax.semilogx(r, energy(s))
    for label, k in marks.items():
        ax.axvline(k, ls=":", color="gray")
        ax.text(k, 0.5, f" {label}: k={k}", fontsize=8, transform=ax.get_xaxis_transform())
    ax.set(title="cumulative energy Σᵢ≤ₖσᵢ² / Σσᵢ²", xlabel="k")
    ax = axes[1, 0]
    ax.loglog(ks, curves["rel_err"], "o", ms=4, label="measured ‖A−A_k‖/‖A‖")
    ax.loglog(ks, curves["predicted"], "-", label="Eckart–Young √(Σᵢ>ₖσᵢ²)/‖A‖")
    ax.set(title="relative error", xlabel="k")
    ax.legend(fontsize=8)
    ax = axes[1, 1]
    ax.semilogx(ks, psnr, "o-", ms=3, color="C2")
    ax.set(title="PSNR and compression ratio", xlabel="k", ylabel="PSNR (dB)")
    ax2 = ax.twinx()
    ax2.loglog(ks, curves["ratio"], color="C1")
    ax2.axhline(1, color="C1", ls=":", lw=1)
    ax2.set_ylabel("compression ratio (full / kept)", color="C1")
    return fig


def eigenimages(vt, shape, *, count: int = 16, cols: int = 8, figsize=(12, 3.4)):
    """The first ``count`` rows of ``vt`` drawn as images of ``shape`` (red positive, blue negative).

    Introduced in the chapter "SVD from scratch" ("eigen-digits"): the right
    singular vectors of a stack of images are images themselves.
    """
    import matplotlib.pyplot as plt

    vt = array(vt, "vt", ndim=2)
    shape = shape_of(shape, "shape", length=2, what="image shape (height, width)")
    figsize = _figsize(figsize)
    if vt.shape[1] != int(np.prod(shape)):
        raise ValueError(f"vt must be (k, {int(np.prod(shape))}) for images of shape {tuple(shape)}; got {vt.shape}.")
    count = integer(count, "count", low=1)
    if count > vt.shape[0]:
        raise ValueError(f"count must be between 1 and the {vt.shape[0]} rows of vt, got {count}.")
    cols = positive_int(cols, "cols")
    rows = -(-count // cols)
    fig, axes = plt.subplots(rows, cols, figsize=figsize, squeeze=False)
    for i, ax in enumerate(axes.flat):
        _bare(ax)
        if i >= count:
            ax.set_visible(False)
            continue
        v = vt[i].reshape(shape)
        lim = np.abs(v).max()
        ax.imshow(v, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(f"v{i + 1}", fontsize=8)
    fig.suptitle(f"the first {count} right singular vectors (red positive, blue negative)")
    fig.tight_layout()
    return fig


# ------------------------------------------------------ "Training TinyConvNet"


def learning_curves(history, *, reference: dict | None = None, figsize=(11, 3.6)):
    """Loss and accuracy per epoch, training and test, from a training history.

    Introduced in the chapter "Training TinyConvNet".

    Parameters
    ----------
    history : helpers.train.History
        Or anything with lists ``train_loss``, ``test_loss``, ``train_acc``,
        ``test_acc`` (accuracies as fractions), one entry per epoch.
    reference : dict, optional
        Label -> accuracy in percent, drawn as dotted lines (e.g. a report's result).
    """
    import matplotlib.pyplot as plt

    keys = ("train_loss", "test_loss", "train_acc", "test_acc")
    if not all(hasattr(history, k) for k in keys):
        raise TypeError(f"history must have {', '.join(keys)} (a helpers.train.History), got {describe(history)}.")
    lengths = set()
    for k in keys:
        value = getattr(history, k)
        if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
            raise TypeError(f"history.{k} must be a list with one value per epoch, got {describe(value)}.")
        lengths.add(len(value))
    if len(lengths) != 1 or 0 in lengths:
        raise ValueError("history must hold one value per epoch in each list, for at least one epoch.")
    curves = {k: _curve(getattr(history, k), f"history.{k}", low=0) for k in keys}
    for k in ("train_acc", "test_acc"):
        if curves[k].max() > 1:
            raise ValueError(f"history.{k} must hold accuracies as fractions in [0, 1], got up to {curves[k].max():g}.")
    if reference is not None:
        _mapping(reference, "reference", "{label: accuracy in percent}", empty=True)
        reference = {
            _text(label, "each label of reference"): real(value, f"reference[{label!r}]", low=0, high=100)
            for label, value in reference.items()
        }
    figsize = _figsize(figsize)
    ep = np.arange(1, lengths.pop() + 1)
    fig, axes = plt.subplots(1, 2, figsize=figsize)
    axes[0].plot(ep, curves["train_loss"], "o-", label="training")
    axes[0].plot(ep, curves["test_loss"], "s-", label="test")
    axes[0].set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    axes[0].legend()
    axes[1].plot(ep, 100 * curves["train_acc"], "o-", label="training")
    axes[1].plot(ep, 100 * curves["test_acc"], "s-", label="test")
    for label, value in (reference or {}).items():
        axes[1].axhline(value, color="gray", ls=":", label=f"{label}: {value}%")
    axes[1].set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    axes[1].legend()
    fig.tight_layout()
    return fig


def confusion_panels(cm, classes, *, figsize=(12, 5)):
    """A confusion matrix beside its off-diagonal part (the errors only, in red).

    Introduced in the chapter "Training TinyConvNet". ``cm[i, j]`` counts the
    examples of true class i predicted as j.
    """
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    classes = _labels(classes, "classes")
    figsize = _figsize(figsize)
    cm = array(cm, "cm (the confusion matrix)", ndim=2, dtype=None)
    if cm.dtype == np.bool_:
        raise TypeError("cm (the confusion matrix) must hold counts, got a boolean array.")
    if cm.shape[0] != cm.shape[1] or cm.shape[0] != len(classes):
        raise ValueError(f"cm must be square with one row per class ({len(classes)} in classes); got shape {cm.shape}.")
    if np.any(cm < 0) or np.any(cm != np.round(cm)):
        raise ValueError("cm (the confusion matrix) must hold counts: non-negative whole numbers.")
    cm = cm.astype(np.int64)
    off = cm.copy()
    np.fill_diagonal(off, 0)
    fig, axes = plt.subplots(1, 2, figsize=figsize)
    ConfusionMatrixDisplay(cm, display_labels=classes).plot(ax=axes[0], colorbar=False, values_format="d")
    axes[0].set_title("confusion matrix")
    ConfusionMatrixDisplay(off, display_labels=classes).plot(ax=axes[1], colorbar=False, values_format="d", cmap="Reds")
    axes[1].set_title("errors only (diagonal removed)")
    fig.tight_layout()
    return fig


def image_gallery(images, titles, *, cols: int = 6, title: str | None = None, figsize=(12, 4.6)):
    """Gray images in a grid, each with its title (e.g. label, prediction and confidence).

    Introduced in the chapter "Training TinyConvNet" (the most confidently
    wrong test digits).

    Parameters
    ----------
    images : array or tensor (N, H, W)
        Drawn with a gray colour map, scaled per image.
    titles : list of N str
    """
    import matplotlib.pyplot as plt

    images = array(images, "images", ndim=3)
    if isinstance(titles, (str, bytes)) or not hasattr(titles, "__len__"):
        raise TypeError(f"titles must be a list of strings, one per image, got {describe(titles)}.")
    if len(titles) != len(images):
        raise ValueError(
            f"images must be (N, H, W), N >= 1, with one title each; got {images.shape} and {len(titles)} titles."
        )
    titles = _labels(titles, "titles", len(images))
    cols = positive_int(cols, "cols")
    title = _text(title, "title", optional=True)
    figsize = _figsize(figsize)
    rows = -(-len(images) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=figsize, squeeze=False)
    for ax, img, text in zip(axes.flat, images, titles):
        ax.imshow(img, cmap="gray")
        ax.set_title(text, fontsize=8)
    for ax in axes.flat:
        _bare(ax)
    for ax in axes.flat[len(images) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# --- chapter "CNNs against random projections" -------------------------------------------------


def projection_view(projection, ratios: dict, eps: float, *, image_shape, n_points: int, rows: int = 4):
    """Rows of a random projection's matrix as images, and histograms of squared-distance ratios.

    Chapter "CNNs against random projections". ``ratios`` maps a label (which
    points) to the ratios ‖Rx − Ry‖² / ‖x − y‖² of all their pairs
    (:func:`helpers.projections.squared_distance_ratios`); dotted lines mark
    the Johnson–Lindenstrauss band 1 ± ``eps`` (infinite bands are not drawn).
    """
    import matplotlib.pyplot as plt

    from .projections import Projection

    if not isinstance(projection, Projection):
        raise TypeError(
            f"projection must be a helpers.projections.Projection (e.g. random_projection(m, d)), "
            f"got {describe(projection)}."
        )
    h, w = shape_of(image_shape, "image_shape", length=2, what="image shape (height, width)")
    if h * w != projection.d:
        raise ValueError(
            f"image_shape {tuple(image_shape)} has {h * w} pixels but the projection reads {projection.d}."
        )
    try:
        rows = integer(rows, "rows", low=1, high=projection.m)
    except ValueError:
        raise ValueError(f"rows must be an integer from 1 to M = {projection.m}, got {rows!r}.") from None
    if not isinstance(ratios, dict):
        raise TypeError(f"ratios must be a dict {{label: squared-distance ratios}}, got {describe(ratios)}.")
    if not ratios:
        raise ValueError("ratios is empty; give at least one set of squared-distance ratios.")
    ratios = {
        _text(label, "each label of ratios"): _curve(r, f"ratios[{label!r}]", low=0) for label, r in ratios.items()
    }
    eps = real(eps, "eps", low=0, low_open=True, finite=False)
    n_points = positive_int(n_points, "n_points")
    fig, axes = plt.subplots(1, rows + 2, figsize=(12, 2.4), gridspec_kw={"width_ratios": [1] * rows + [0.3, 3]})
    for j in range(rows):
        axes[j].imshow(projection.matrix[j].reshape(h, w).numpy(), cmap="RdBu_r")
        axes[j].set_title(f"row {j} of R", fontsize=9)
        axes[j].axis("off")
    axes[rows].axis("off")
    hist = axes[rows + 1]
    for label, r in ratios.items():
        hist.hist(r, bins=60, histtype="step", density=True, label=label)
    for v in (1 - eps, 1 + eps):
        if np.isfinite(v):
            hist.axvline(v, color="C3", ls=":")
    hist.set(
        xlabel="‖Rx − Ry‖² / ‖x − y‖²",
        title=f"squared-distance ratios, {n_points} points, M = {projection.m}",
    )
    hist.legend(fontsize=7)
    fig.tight_layout()
    return fig


def tap_gradients_view(nets: dict, images: torch.Tensor, labels: torch.Tensor):
    """Per network (a row) and convolution (a panel): the loss gradient's norm per kernel tap.

    Chapter "CNNs against random projections". Each panel shows
    :func:`helpers.train.tap_gradient_norms` on one batch, relative to the
    layer's largest tap, and writes on every tap how many real pixels of one
    image it reads (:func:`helpers.models.tap_reach`): a tap that reads none
    gets no gradient. ``nets`` maps a row label to a network whose layers are
    named ``conv1`` … (:class:`helpers.models.ReportCNN`).
    """
    import matplotlib.pyplot as plt

    from .models import conv_input_sizes, tap_reach
    from .train import tap_gradient_norms

    if not isinstance(nets, dict):
        raise TypeError(f"nets must be a dict {{label: network}}, got {describe(nets)}.")
    if not nets:
        raise ValueError("nets is empty; give {label: network} for at least one network.")
    for label, net in nets.items():
        _text(label, "each label of nets")
        if not isinstance(net, torch.nn.Module):
            raise TypeError(f"nets[{label!r}] must be a torch.nn.Module, got {describe(net)}.")
        convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
        if not convs:
            raise ValueError(f"nets[{label!r}] has no Conv2d layers: there are no taps to draw.")
        if isinstance(images, torch.Tensor) and images.dim() == 4 and images.shape[1] != convs[0].in_channels:
            raise ValueError(
                f"images have {images.shape[1]} channel(s) but nets[{label!r}] reads {convs[0].in_channels}."
            )
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be an (N, C, H, W) tensor, got {describe(images)}.")
    if images.dim() != 4:
        raise ValueError(f"images must be an (N, C, H, W) tensor, got shape {tuple(images.shape)}.")
    images = image_batch(images, "images")
    if not bool(torch.isfinite(images).all()):
        raise ValueError("images contains NaN or infinite values.")
    if not isinstance(labels, torch.Tensor):
        raise TypeError(f"labels must be a 1-D integer tensor of class indices, got {describe(labels)}.")
    if labels.dim() != 1 or labels.shape[0] != images.shape[0]:
        raise ValueError(f"labels must hold one class per image ({images.shape[0]}), got shape {tuple(labels.shape)}.")
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise TypeError(f"labels must be integer class indices, got {labels.dtype}.")
    input_shape = tuple(images.shape[1:])
    sizes = {label: conv_input_sizes(net, input_shape) for label, net in nets.items()}
    all_norms = {label: tap_gradient_norms(net, images, labels) for label, net in nets.items()}
    cols = max(len(s) for s in sizes.values())
    fig, axes = plt.subplots(len(nets), cols, figsize=(2.75 * cols, 2.8 * len(nets)), squeeze=False)
    for row, (label, net) in zip(axes, nets.items()):
        norms = all_norms[label]
        for ax, (layer, size) in zip(row, sizes[label].items()):
            top = norms[layer].max()
            g = (norms[layer] / top if top > 0 else norms[layer]).numpy()
            ax.imshow(g, cmap="viridis", vmin=0, vmax=1)
            for (a, b), count in np.ndenumerate(tap_reach(net.get_submodule(layer), size).numpy()):
                colour = "white" if g[a, b] < 0.5 else "black"
                ax.text(b, a, str(count), ha="center", va="center", color=colour)
            ax.set(title=f"{layer} on {size[0]}×{size[1]}", xticks=[], yticks=[])
        row[0].set_ylabel(label)
    fig.suptitle("gradient norm per tap, relative to the layer's largest (number: real pixels the tap reads)")
    fig.tight_layout()
    return fig


def _check_accuracy(accuracy: dict, curves, n: int, per: str) -> None:
    """Check each dataset of ``accuracy`` has every one of ``curves``, with ``n`` fractions (one per ``per``)."""
    _mapping(accuracy, "accuracy", "{dataset name: {curve: accuracies}}")
    for name, acc in accuracy.items():
        _keys(acc, f"accuracy[{name!r}]", curves, f"a dict of {', '.join(curves)} accuracies")
        for curve in curves:
            values = acc[curve]
            if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
                raise TypeError(f"accuracy[{name!r}][{curve!r}] must be a list of accuracies, got {describe(values)}.")
            if len(values) != n:
                raise ValueError(f"accuracy[{name!r}] must hold one value per {per} ({n}).")
            _accuracies(values, f"accuracy[{name!r}][{curve!r}]", n)


def _dataset_panels(accuracy: dict, curves, n: int, per: str):
    """One panel per dataset of ``accuracy``, after checking each curve has ``n`` values (one per ``per``)."""
    import matplotlib.pyplot as plt

    _check_accuracy(accuracy, curves, n, per)
    fig, axes = plt.subplots(1, len(accuracy), figsize=(6 * len(accuracy), 4), squeeze=False)
    return fig, axes[0]


def _accuracies(values, name: str, n: int | None = None) -> np.ndarray:
    """A 1-D array of accuracies as fractions in [0, 1] (not percent)."""
    arr = _curve(values, name, n)
    if arr.min() < 0 or arr.max() > 1:
        raise ValueError(
            f"{name} must hold accuracies as fractions in [0, 1], got values from {arr.min():g} to {arr.max():g}."
        )
    return arr


def _report_entry(report, name: str, model: str, label: str = "report") -> float:
    """The mean of ``report[name][model] = (mean, std)``, an accuracy as a fraction."""
    _mapping(report, label, "{dataset name: {model: (mean, std)}}")
    if name not in report:
        raise ValueError(f"{label} has no entry for {name!r}; it has {list(report)}.")
    _keys(report[name], f"{label}[{name!r}]", (model,), "a dict {model: (mean, std)}")
    entry = report[name][model]
    if isinstance(entry, (str, bytes)) or not isinstance(entry, (tuple, list)) or len(entry) != 2:
        raise TypeError(f"{label}[{name!r}][{model!r}] must be a (mean, std) pair, got {describe(entry)}.")
    return fraction(entry[0], f"the mean of {label}[{name!r}][{model!r}]", zero=True)


def _titles(titles, names) -> dict:
    """``titles`` if it maps every dataset name in ``names`` to a string."""
    _mapping(titles, "titles", "{dataset name: panel title}")
    for name in names:
        if name not in titles:
            raise ValueError(f"titles has no title for {name!r}; it has {list(titles)}.")
        _text(titles[name], f"titles[{name!r}]")
    return titles


def accuracy_vs_m_view(m_values, accuracy: dict, *, report: dict, titles: dict):
    """Test accuracy against M, random projection against principal components, one panel per dataset.

    Chapter "CNNs against random projections". ``accuracy[name]`` is the
    first result of :func:`helpers.projections.sweep_dimensions` (fractions
    per M of ``m_values``); ``report[name]["mlp"]`` the report's MLP accuracy
    as ``(mean, std)`` fractions (the mean is drawn as a dotted line);
    ``titles[name]`` the panel's title.
    """
    m_values = _ints(m_values, "m_values", low=1)
    _check_accuracy(accuracy, ("random", "pca"), len(m_values), "M of m_values")
    for name in accuracy:
        _report_entry(report, name, "mlp")
    _titles(titles, accuracy)
    fig, axes = _dataset_panels(accuracy, ("random", "pca"), len(m_values), "M of m_values")
    for ax, (name, acc) in zip(axes, accuracy.items()):
        ax.plot(m_values, 100 * np.asarray(acc["random"]), "o-", label="random projection")
        ax.plot(m_values, 100 * np.asarray(acc["pca"]), "s--", label="top principal components")
        ax.axhline(100 * report[name]["mlp"][0], color="gray", ls=":", label="report, MLP")
        ax.set(xscale="log", xlabel="M", ylabel="test accuracy (%)", title=titles[name])
        ax.set_xticks(m_values, [str(v) for v in m_values])
        ax.legend()
    fig.tight_layout()
    return fig


def _cross_validated(runs, name: str, model: str):
    """``runs[name][model]`` after checking it is a ModelRun (``train_n`` and a ``cv`` with ``mean`` and ``std``)."""
    label = "cross_validated"
    _mapping(runs, label, "{dataset name: {model: ModelRun}}")
    if name not in runs:
        raise ValueError(f"{label} has no entry for {name!r}; it has {list(runs)}.")
    _keys(runs[name], f"{label}[{name!r}]", (model,), "a dict {model: helpers.projections.ModelRun}")
    run = runs[name][model]
    what = f"{label}[{name!r}][{model!r}]"
    if not hasattr(run, "train_n") or not hasattr(getattr(run, "cv", None), "mean") or not hasattr(run.cv, "std"):
        raise TypeError(
            f"{what} must be a helpers.projections.ModelRun (train_n, cv.mean, cv.std), got {describe(run)}."
        )
    positive_int(run.train_n, f"{what}.train_n")
    fraction(run.cv.mean, f"{what}.cv.mean", zero=True)
    real(run.cv.std, f"{what}.cv.std", low=0)
    return run


def accuracy_vs_size_view(sizes, accuracy: dict, *, cross_validated: dict, report: dict, titles: dict, m: int):
    """Test accuracy against the training-set size, CNN and MLP, one panel per dataset.

    Chapter "CNNs against random projections". ``accuracy[name]`` is
    :func:`helpers.projections.sweep_training_size` (``{"cnn": [...], "mlp":
    [...]}``, fractions per size of ``sizes``); ``cross_validated[name][model]``
    a :class:`helpers.projections.ModelRun`, drawn as a separate point at its
    fold's training size with its spread; ``report[name][model]`` the
    report's accuracy as ``(mean, std)`` (the mean is a dotted line); ``m``
    the MLP's projected dimension.
    """
    sizes = _ints(sizes, "sizes", low=1)
    m = positive_int(m, "m")
    _check_accuracy(accuracy, ("cnn", "mlp"), len(sizes), "size of sizes")
    for name in accuracy:
        for model in ("cnn", "mlp"):
            _report_entry(report, name, model)
            _cross_validated(cross_validated, name, model)
    _titles(titles, accuracy)
    fig, axes = _dataset_panels(accuracy, ("cnn", "mlp"), len(sizes), "size of sizes")
    for ax, (name, acc) in zip(axes, accuracy.items()):
        for j, model in enumerate(("cnn", "mlp")):
            label = "CNN" if model == "cnn" else f"MLP, M = {m}"
            colour = f"C{j}"
            ax.plot(sizes, 100 * np.asarray(acc[model]), "o-", color=colour, label=f"{label}: test accuracy")
            run = cross_validated[name][model]
            ax.errorbar(
                run.train_n,
                100 * run.cv.mean,
                yerr=100 * run.cv.std,
                fmt="D",
                color=colour,
                mfc="white",
                capsize=3,
                label=f"{label}: cross-validated",
            )
            ax.axhline(100 * report[name][model][0], color=colour, ls=":", lw=1, label=f"report, {model.upper()} (CV)")
        ax.set(xscale="log", xlabel="training images", ylabel="accuracy (%)", title=titles[name])
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _measurement(value, name: str, keys) -> dict:
    """A measurement dict of helpers.lowrank: ``acc`` a fraction, every other key of ``keys`` a positive number."""
    _keys(value, name, keys, "a measurement of helpers.lowrank (measure or layer_sweep)")
    for key in keys:
        if key == "acc":
            fraction(value[key], f"{name}['acc'] (an accuracy as a fraction)", zero=True)
        else:
            real(value[key], f"{name}[{key!r}]", low=0, low_open=True)
    return value


def _accuracy_table(value, name: str) -> dict:
    """``{rank or (k1, k2): accuracy}`` with accuracies as fractions in [0, 1]."""
    _mapping(value, name, "{rank: accuracy as a fraction}")
    for key, acc in value.items():
        fraction(acc, f"{name}[{key!r}] (an accuracy as a fraction)", zero=True)
    return value


def eckart_young_figure(curves: dict):
    """The truncation error of each layer beside the Eckart–Young formula, and the energy kept, over the rank.

    Section "A rank sweep on TinyConvNet" of the chapter "Low-rank
    compression". ``curves`` maps a layer name to
    :func:`helpers.lowrank.eckart_young_curves` of that layer.
    """
    import matplotlib.pyplot as plt

    what = "mapping at least one layer name to lowrank.eckart_young_curves(layer)"
    if not isinstance(curves, dict):
        raise TypeError(f"curves must be a dict {what}, got {describe(curves)}.")
    if not curves:
        raise ValueError("curves must map at least one layer name to lowrank.eckart_young_curves(layer).")
    for name, c in curves.items():
        _text(name, "each layer name of curves")
        _keys(c, f"curves[{name!r}]", ("k", "measured", "formula", "energy"), "lowrank.eckart_young_curves(layer)")
        k = _ints(c["k"], f"curves[{name!r}]['k']", low=1, what="ranks k")
        for key in ("measured", "formula"):
            _curve(c[key], f"curves[{name!r}][{key!r}]", len(k), what=" (one per k)", low=0)
        e = _curve(c["energy"], f"curves[{name!r}]['energy']", len(k), what=" (one per k)", low=0)
        if e.max() > 1 + 1e-9:
            raise ValueError(f"curves[{name!r}]['energy'] must be fractions of the energy, at most 1.")
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
    for j, (name, c) in enumerate(curves.items()):
        axes[0].plot(c["k"], c["measured"], "o-", color=f"C{j}", label=f"{name}: measured ‖W − W_k‖/‖W‖")
        axes[0].plot(c["k"], c["formula"], "x", color="k", ms=5, label="Eckart–Young formula" if j else None)
        axes[1].plot(c["k"], c["energy"], "o-", color=f"C{j}", label=name)
    axes[0].set(xlabel="rank k", ylabel="relative error", title="reconstruction error")
    axes[1].set(xlabel="rank k", ylabel="energy kept", title="energy Σ_{i≤k} σᵢ² / ‖W‖²")
    for ax in axes:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def rank_grid_figure(acc: dict, k1s, k2s, *, base: float):
    """Accuracy of TinyConvNet with one layer truncated at a time, and with both, over the (k₁, k₂) grid.

    Section "A rank sweep on TinyConvNet" of the chapter "Low-rank
    compression". ``acc`` is :func:`helpers.lowrank.accuracy_grid` over
    ``k1s`` × ``k2s`` (the largest of each is the full rank), ``base`` the
    uncompressed network's accuracy (fractions).
    """
    import matplotlib.pyplot as plt

    _accuracy_table(acc, "acc")
    k1s, k2s = _ints(k1s, "k1s", low=1, what="ranks k₁"), _ints(k2s, "k2s", low=1, what="ranks k₂")
    base = fraction(base, "base (the uncompressed accuracy, a fraction)", zero=True)
    missing = [(a, b) for a in k1s for b in k2s if (a, b) not in acc]
    if missing:
        raise ValueError(f"acc has no accuracy for the rank pairs {missing[:3]}; sweep k1s × k2s first.")
    r1, r2 = max(k1s), max(k2s)
    grid = np.array([[acc[a, b] for b in k2s] for a in k1s])
    fig, axes = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [1, 1.3]})
    axes[0].plot(k1s, [100 * acc[k, r2] for k in k1s], "o-", label="conv1 truncated to k (conv2 full)")
    axes[0].plot(k2s, [100 * acc[r1, k] for k in k2s], "s-", label="conv2 truncated to k (conv1 full)")
    axes[0].axhline(100 * base, color="gray", ls=":", label="uncompressed")
    axes[0].set(xlabel="rank k", ylabel="test accuracy (%)", title="one layer at a time")
    axes[0].legend(fontsize=8)
    im = axes[1].imshow(100 * grid, origin="lower", aspect="auto", cmap="viridis")
    axes[1].set_xticks(range(len(k2s)), k2s)
    axes[1].set_yticks(range(len(k1s)), k1s)
    fig.colorbar(im, ax=axes[1], label="test accuracy (%)")
    axes[1].set(xlabel="k₂ (conv2)", ylabel="k₁ (conv1)", title="both layers truncated")
    fig.tight_layout()
    return fig


def truncated_filters_view(fig, k: int, *, conv, accuracy: dict):
    """The k₁ slider of "Low-rank compression": conv1's filters and their rank-k truncation, and the accuracy.

    Parameters
    ----------
    fig : matplotlib Figure (empty)
    k : int
        The rank of conv1, one of the keys of ``accuracy``.
    conv : torch.nn.Conv2d
        A layer with one input channel (TinyConvNet's conv1).
    accuracy : dict
        ``{k: accuracy}`` (fractions) of the network with this layer at rank k.
    """
    from .lowrank import truncate_conv

    _figure(fig)
    k = integer(k, "rank k", low=1)
    _conv(conv, "conv")
    _accuracy_table(accuracy, "accuracy")
    for key in accuracy:
        integer(key, "each rank (key) of accuracy", low=1)
    if conv.in_channels != 1:
        raise ValueError(
            f"conv must have one input channel: truncated_filters_view draws single-channel filters; "
            f"this layer has {conv.in_channels}."
        )
    if k not in accuracy:
        raise ValueError(f"no accuracy for rank {k} in accuracy; rank k must be one of {sorted(accuracy)}.")
    w = conv.weight.detach()[:, 0].numpy()
    wk = truncate_conv(conv, k).weight.detach()[:, 0].numpy()
    n = w.shape[0]
    grid = fig.add_gridspec(2, n + 2)
    lim = np.abs(w).max()
    for i in range(n):
        for row, filt in ((0, w), (1, wk)):
            ax = fig.add_subplot(grid[row, i])
            ax.imshow(filt[i], cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_ylabel("original" if row == 0 else f"rank {k}", fontsize=8)
    ks = sorted(accuracy)
    ax = fig.add_subplot(grid[:, n:])
    ax.plot(ks, [100 * accuracy[j] for j in ks], "o-", ms=3)
    ax.plot([k], [100 * accuracy[k]], "o", color="C3", ms=8)
    ax.set_title(f"accuracy {100 * accuracy[k]:.2f}%", fontsize=9)
    ax.set_xlabel("k₁", fontsize=8)
    ax.tick_params(labelsize=7)
    return fig


def conv2_rank_view(fig, k: int, *, acc: dict, k1s, base: float, sigma):
    """The k₂ slider of "Low-rank compression": accuracy over k₁ with conv2 at rank k, and the σᵢ kept.

    Parameters
    ----------
    fig : matplotlib Figure (empty)
    k : int
        The rank of conv2.
    acc : dict
        ``{(k1, k2): accuracy}`` from :func:`helpers.lowrank.accuracy_grid`.
    k1s : list of int
        The ranks of conv1 in ``acc``.
    base : float
        The uncompressed network's accuracy.
    sigma : array
        conv2's singular values, largest first.
    """
    _figure(fig)
    k = integer(k, "rank k", low=1)
    _accuracy_table(acc, "acc")
    k1s = _ints(k1s, "k1s", low=1, what="ranks k₁")
    base = fraction(base, "base (the uncompressed accuracy, a fraction)", zero=True)
    s = _curve(sigma, "sigma (conv2's singular values)", low=0)
    missing = [j for j in k1s if (j, k) not in acc]
    if missing:
        raise ValueError(f"acc has no accuracy for conv2 at rank k = {k} with conv1 at {missing}; choose a swept k₂.")
    ax = fig.add_subplot(1, 2, 1)
    ax.plot(k1s, [100 * acc[j, k] for j in k1s], "o-")
    ax.axhline(100 * base, color="gray", ls=":")
    ax.set(xlabel="k₁ (conv1)", ylabel="test accuracy (%)", title=f"conv2 at rank k₂ = {k}", ylim=(0, 100))
    ax = fig.add_subplot(1, 2, 2)
    ax.bar(range(1, len(s) + 1), s, color=["C0" if i < k else "lightgray" for i in range(len(s))])
    ax.set(xlabel="i", ylabel="σᵢ", title="conv2 singular values kept")
    return fig


def breakeven_figure(layers: dict):
    """Parameters and multiply–adds of a factorized layer over its rank, against the original's.

    Section "A truncated layer is two convolutions" of the chapter "Low-rank
    compression". ``layers`` maps a title to ``(conv, positions)``: a
    ``Conv2d`` and its number of output positions H'·W'. The vertical line is
    the break-even rank C_out·C_in·kh·kw / (C_in·kh·kw + C_out).
    """
    import matplotlib.pyplot as plt

    from .lowrank import factorized_counts

    if not isinstance(layers, dict):
        raise TypeError(f"layers must be a dict {{title: (conv, output positions)}}, got {describe(layers)}.")
    if not layers:
        raise ValueError("layers must map at least one title to (conv, output positions).")
    for name, entry in layers.items():
        _text(name, "each title of layers")
        if isinstance(entry, (str, bytes)) or not isinstance(entry, (tuple, list)) or len(entry) != 2:
            raise TypeError(f"layers[{name!r}] must be a (conv, output positions) pair, got {describe(entry)}.")
        _conv(entry[0], f"the conv of layers[{name!r}]")
        positive_int(entry[1], f"the output positions of layers[{name!r}]")
    fig, axes = plt.subplots(1, len(layers), figsize=(6 * len(layers), 3.6), squeeze=False)
    for ax, (name, (conv, pos)) in zip(axes[0], layers.items()):
        o, n = conv.weight.shape[0], conv.weight[0].numel()
        ks = np.arange(1, min(o, n) + 1)
        counts = [factorized_counts(conv, int(k), pos) for k in ks]
        ax.plot(ks, [c["params_k"] for c in counts], label="parameters, factorized")
        ax.axhline(counts[0]["params"], color="C0", ls=":", label="parameters, original")
        ax.plot(ks, [c["macs_k"] for c in counts], color="C1", label="multiply–adds, factorized")
        ax.axhline(counts[0]["macs"], color="C1", ls=":", label="multiply–adds, original")
        even = o * n / (n + o)
        ax.axvline(even, color="gray", lw=1)
        ax.set(xlabel="rank k", title=f"{name}: break-even k = {even:.1f}", yscale="log")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def layer_sweep_figure(sweep: dict, *, base: float, max_drop: float):
    """Accuracy drop, layer multiply–adds and measured speed-up of each layer factorized alone, over the rank.

    Section "Layer by layer" of the chapter "Low-rank compression"; ``sweep``
    is :func:`helpers.lowrank.layer_sweep`.
    """
    import matplotlib.pyplot as plt

    if not isinstance(sweep, dict):
        raise TypeError(f"sweep must be the dict helpers.lowrank.layer_sweep returns, got {describe(sweep)}.")
    if not sweep:
        raise ValueError("sweep is empty: run helpers.lowrank.layer_sweep first.")
    for key, m in sweep.items():
        if not isinstance(key, tuple) or len(key) != 2 or not isinstance(key[0], str):
            raise TypeError(f"the keys of sweep must be (layer name, rank) pairs, got {describe(key)}.")
        integer(key[1], f"the rank of sweep key {key!r}", low=1)
        _measurement(m, f"sweep[{key!r}]", ("acc", "layer_macs", "speedup"))
    base = fraction(base, "base (the uncompressed accuracy, a fraction)", zero=True)
    max_drop = real(max_drop, "max_drop (percentage points)", low=0)
    names = list(dict.fromkeys(name for name, _ in sweep))
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    panels = (
        (lambda m: 100 * (base - m["acc"]), max_drop, "accuracy drop (points)", "accuracy, selection half"),
        (lambda m: m["layer_macs"], 1, "layer multiply–adds (fraction)", "theoretical cost"),
        (lambda m: m["speedup"], 1, "whole-network speed-up", "measured, batch 256"),
    )
    for ax, (value, line, ylabel, title) in zip(axes, panels):
        for j, name in enumerate(names):
            ks = [k for n, k in sweep if n == name]
            ax.plot(ks, [value(sweep[name, k]) for k in ks], "o-", color=f"C{j}", label=name)
        ax.axhline(line, color="gray", ls=":")
        ax.set(xscale="log", xlabel="rank k", ylabel=ylabel, title=title)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def fraction_sweep_figure(whole: dict, *, base: float, max_drop: float):
    """Measured against theoretical speed-up, and accuracy drop against measured speed-up, per rank fraction.

    Section "The whole network" of the chapter "Low-rank compression";
    ``whole`` maps a rank fraction f to :func:`helpers.lowrank.measure` of
    the network at that fraction.
    """
    import matplotlib.pyplot as plt

    if not isinstance(whole, dict):
        raise TypeError(f"whole must be a dict {{rank fraction: lowrank.measure(...)}}, got {describe(whole)}.")
    if not whole:
        raise ValueError("whole is empty: measure at least one rank fraction.")
    for f, m in whole.items():
        fraction(f, "each rank fraction (key) of whole")
        _measurement(m, f"whole[{f!r}]", ("acc", "macs", "t1", "t256"))
    base = fraction(base, "base (the uncompressed accuracy, a fraction)", zero=True)
    max_drop = real(max_drop, "max_drop (percentage points)", low=0)
    fractions = list(whole)
    theory = [1 / whole[f]["macs"] for f in fractions]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    ax = axes[0]
    ax.plot(theory, [whole[f]["t256"] for f in fractions], "o-", label="batch 256")
    ax.plot(theory, [whole[f]["t1"] for f in fractions], "s-", label="batch 1")
    ax.plot([1, max(theory)], [1, max(theory)], color="gray", ls=":", label="measured = theoretical")
    ax.set(
        xlabel="theoretical speed-up (multiply–adds saved)",
        ylabel="measured speed-up",
        title="theory against the clock",
    )
    ax.legend()
    ax = axes[1]
    drops = [100 * (base - whole[f]["acc"]) for f in fractions]
    ax.plot([whole[f]["t256"] for f in fractions], drops, "o-")
    for f, drop in zip(fractions, drops):
        ax.annotate(f"f={f:.3g}", (whole[f]["t256"], drop), fontsize=7)
    ax.axhline(max_drop, color="gray", ls=":")
    ax.set(xlabel="measured speed-up, batch 256", ylabel="accuracy drop (points)", title="accuracy against speed")
    fig.tight_layout()
    return fig


def scheme_figure(schemes: dict, *, base: float, max_drop: float):
    """Accuracy against measured speed-up for each compression scheme.

    Section "Beyond one SVD" of the chapter "Low-rank compression";
    ``schemes`` is :func:`helpers.lowrank.scheme_sweep` (``{scheme: {f: measurement}}``).
    """
    import matplotlib.pyplot as plt

    if not isinstance(schemes, dict):
        raise TypeError(f"schemes must be the dict helpers.lowrank.scheme_sweep returns, got {describe(schemes)}.")
    if not schemes:
        raise ValueError("schemes is empty: run helpers.lowrank.scheme_sweep first.")
    for scheme, results in schemes.items():
        _text(scheme, "each scheme name of schemes")
        _mapping(results, f"schemes[{scheme!r}]", "{rank fraction: measurement}", empty=True)
        for f, m in results.items():
            _measurement(m, f"schemes[{scheme!r}][{f!r}]", ("acc", "t256"))
    base = fraction(base, "base (the uncompressed accuracy, a fraction)", zero=True)
    max_drop = real(max_drop, "max_drop (percentage points)", low=0)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for j, (scheme, results) in enumerate(schemes.items()):
        pts = sorted((m["t256"], 100 * m["acc"]) for m in results.values())
        if pts:
            ax.plot(*zip(*pts), "o-", color=f"C{j}", label=scheme)
    ax.axhline(100 * base, color="gray", ls=":", label="uncompressed")
    ax.axhline(100 * base - max_drop, color="gray", ls="--", lw=1, label=f"{max_drop:g} point below")
    ax.set(xlabel="measured speed-up, batch 256", ylabel="test accuracy (%)", title="accuracy–speed curves")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# ------------------------------------------------------ "Compressive sensing"


def _no_ticks(axes):
    for ax in np.ravel(axes):
        ax.set_xticks([])
        ax.set_yticks([])


def dct_spectra(fig, images: dict):
    """Each image above the log-magnitude of its 2-D DCT coefficients.

    The first figure of the chapter "Compressive sensing": where an image's
    energy sits in the DCT decides how many measurements it needs.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        An empty figure to draw on.
    images : dict
        Image name -> 2-D array in [0, 1].
    """
    from .cs import dct2

    _figure(fig)
    _mapping(images, "images", "{name: 2-D image}")
    images = {
        _text(name, "each image name of images"): _image(img, f"images[{name!r}]", unit=True, colour=False)
        for name, img in images.items()
    }
    axes = fig.subplots(2, len(images), squeeze=False)
    for j, (name, img) in enumerate(images.items()):
        axes[0, j].imshow(img, cmap="gray", vmin=0, vmax=1)
        axes[0, j].set_title(name)
        c = np.abs(dct2(np.asarray(img, dtype=float)))
        im = axes[1, j].imshow(np.log10(c + 1e-8), cmap="magma", vmin=-6, vmax=1)
        axes[1, j].set_title("log₁₀ |DCT coefficient|", fontsize=9)
    _no_ticks(axes)
    fig.colorbar(im, ax=axes[1, :].tolist(), shrink=0.8)
    return fig


def measurement_patterns(fig, phi, shape: tuple):
    """The rows of a measurement matrix Φ drawn as images of ``shape`` (chapter "Compressive sensing")."""
    _figure(fig)
    phi = array(phi, "phi", ndim=2)
    shape = shape_of(shape, "shape", length=2, what="image shape (height, width)")
    if phi.shape[1] != int(np.prod(shape)):
        raise ValueError(f"phi must be (M, {int(np.prod(shape))}) for images of shape {tuple(shape)}, got {phi.shape}.")
    axes = fig.subplots(1, phi.shape[0], squeeze=False)[0]
    for i, ax in enumerate(axes):
        ax.imshow(phi[i].reshape(shape), cmap="RdBu_r")
        ax.set_title(f"φ{i + 1}", fontsize=8)
    _no_ticks(axes)
    return fig


def lasso_convergence(fig, gaps: dict, f_star: float, *, level: float = 1e-3, title: str = ""):
    """Relative objective gap (F(c_k) − F*)/F* against the iteration, one line per solver.

    The ISTA/FISTA comparison of the chapter "Compressive sensing". ``gaps``
    maps a solver's name to its gaps F(c_k) − F* per iteration; ``level`` is
    drawn as a dotted line.
    """
    _figure(fig)
    _mapping(gaps, "gaps", "{solver name: gap per iteration}")
    gaps = {
        _text(name, "each solver name of gaps"): _curve(gap, f"gaps[{name!r}]", low=0) for name, gap in gaps.items()
    }
    f_star = real(f_star, "f_star (the lowest objective)")
    if not f_star > 0:
        raise ValueError(f"f_star (the lowest objective) must be positive, got {f_star}.")
    level = real(level, "level", low=0, low_open=True)
    title = _text(title, "title")
    ax = fig.subplots()
    for name, gap in gaps.items():
        ax.loglog(np.arange(1, gap.size + 1), np.maximum(gap, 1e-16) / f_star, label=name)
    ax.axhline(level, color="gray", ls=":", lw=1)
    ax.set(xlabel="iteration k", ylabel="(F(c_k) − F*) / F*", title=title)
    ax.legend()
    return fig


def error_curves(fig, m_values, *, results: dict, baseline: dict, names, report: dict | None = None):
    """MSE and MAE against the number of measurements M, the book's and the report's.

    The report's experiment in the chapter "Compressive sensing": for each
    image in ``names``, ℓ1 reconstructions (``results``, solid), the
    minimum-norm baseline (``baseline``, dotted) and, where ``report`` has the
    image, the report's numbers (dashed). ``results`` and ``baseline`` are
    :func:`helpers.cs.error_sweep` outputs; ``report`` is
    ``{image: {M: (MSE, MAE)}}``.
    """
    _figure(fig)
    m_values = _ints(m_values, "m_values", low=1)
    names = _labels(list(names) if isinstance(names, dict) else names, "names")
    _mapping(results, "results", "{(image name, M): reconstruction} (helpers.cs.error_sweep)")
    _mapping(baseline, "baseline", "{(image name, M): reconstruction} (helpers.cs.error_sweep)")
    missing = [(n, m) for n in names for m in m_values if (n, m) not in results or (n, m) not in baseline]
    if missing:
        raise ValueError(
            f"no reconstruction in results and baseline for {missing[:3]}; sweep every image of names over every M "
            "of m_values first."
        )
    for src, label in ((results, "results"), (baseline, "baseline")):
        for n in names:
            for m in m_values:
                what = f"{label}[{n!r}, {m}]"
                _keys(src[n, m], what, ("mse", "mae"), "a reconstruction of helpers.cs.error_sweep")
                for key in ("mse", "mae"):
                    real(src[n, m][key], f"{what}[{key!r}]", low=0)
    report = {} if report is None else _mapping(report, "report", "{image: {M: (MSE, MAE)}}", empty=True)
    for n in names:
        if n not in report:
            continue
        _mapping(report[n], f"report[{n!r}]", "{M: (MSE, MAE)}")
        for m in m_values:
            entry = report[n].get(m)
            if isinstance(entry, (str, bytes)) or not isinstance(entry, (tuple, list)) or len(entry) != 2:
                raise ValueError(
                    f"report[{n!r}] must give an (MSE, MAE) pair for every M, got {describe(entry)} at M = {m}."
                )
            for value, part in zip(entry, ("MSE", "MAE")):
                real(value, f"the {part} of report[{n!r}][{m}]", low=0)
    axes = fig.subplots(1, 2)
    for ax, (col, label) in zip(axes, ((0, "MSE"), (1, "MAE"))):
        key = label.lower()
        for j, name in enumerate(names):
            style = {"color": f"C{j}"}
            ax.semilogy(m_values, [results[name, m][key] for m in m_values], "o-", label=f"{name} (book, ℓ1)", **style)
            ax.semilogy(
                m_values, [baseline[name, m][key] for m in m_values], ":", label=f"{name} (book, min-norm)", **style
            )
            if name in report:
                ax.semilogy(
                    m_values,
                    [report[name][m][col] for m in m_values],
                    "s--",
                    mfc="none",
                    alpha=0.7,
                    label=f"{name} (report)",
                    **style,
                )
        ax.set(xlabel="number of samples M", ylabel=label, title=f"{label} against M")
    axes[1].legend(fontsize=7, ncol=1, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig


def reconstruction_grid(fig, images: dict, m_shown, *, results: dict, baseline: dict):
    """Each image (row) beside its ℓ1 and minimum-norm reconstructions at a few M (chapter "Compressive sensing")."""
    _figure(fig)
    _mapping(images, "images", "{name: 2-D image}")
    m_shown = _ints(m_shown, "m_shown", low=1)
    _mapping(results, "results", "{(image name, M): reconstruction} (helpers.cs.error_sweep)")
    _mapping(baseline, "baseline", "{(image name, M): reconstruction} (helpers.cs.error_sweep)")
    missing = [(n, m) for n in images for m in m_shown if (n, m) not in results or (n, m) not in baseline]
    if missing:
        raise ValueError(
            f"no reconstruction in results and baseline for {missing[:3]}; choose values of M that were swept "
            "for m_shown."
        )
    for name, img in images.items():
        img = _image(img, f"images[{name!r}]", unit=True, colour=False)
        for src, label in ((results, "results"), (baseline, "baseline")):
            for m in m_shown:
                what = f"{label}[{name!r}, {m}]"
                _keys(src[name, m], what, ("x_hat",), "a reconstruction of helpers.cs.error_sweep")
                x_hat = array(src[name, m]["x_hat"], f"{what}['x_hat']", ndim=2)
                if x_hat.shape != img.shape:
                    raise ValueError(f"{what}['x_hat'] has shape {x_hat.shape} but images[{name!r}] has {img.shape}.")
    axes = fig.subplots(len(images), 1 + 2 * len(m_shown), squeeze=False)
    for row, (name, img) in enumerate(images.items()):
        axes[row, 0].imshow(img, cmap="gray", vmin=0, vmax=1)
        axes[row, 0].set_title(f"{name}", fontsize=9)
        for j, m in enumerate(m_shown):
            for off, (src, lab) in enumerate(((results, "ℓ1"), (baseline, "min-norm"))):
                ax = axes[row, 1 + 2 * j + off]
                ax.imshow(np.clip(src[name, m]["x_hat"], 0, 1), cmap="gray", vmin=0, vmax=1)
                ax.set_title(f"M={m}, {lab}", fontsize=8)
    _no_ticks(axes)
    fig.tight_layout()
    return fig


def mse_curves(fig, m_values, curves: dict, *, title: str = ""):
    """Semilog MSE against M, one line per entry of ``curves`` (label -> MSE per M); chapter "Compressive sensing"."""
    _figure(fig)
    m_values = _ints(m_values, "m_values", low=1)
    _mapping(curves, "curves", "{label: MSE for each M}")
    title = _text(title, "title")
    checked = {}
    for label, mse in curves.items():
        _text(label, "each label of curves")
        mse = _curve(mse, f"curves[{label!r}]", low=0)
        if len(mse) != len(m_values):
            raise ValueError(f"curves[{label!r}] has {len(mse)} values for {len(m_values)} values of M (m_values).")
        checked[label] = mse
    ax = fig.subplots()
    for j, (label, mse) in enumerate(checked.items()):
        ax.semilogy(m_values, mse, ("o-", "s--", "^:")[j % 3], label=label)
    ax.set(xlabel="M", ylabel="MSE", title=title)
    ax.legend()
    return fig


def phase_transition(fig, prob, deltas, rhos, *, theory: tuple, crossing):
    """The empirical probability of exact recovery over (δ, ρ) with the computed ℓ1 phase transition.

    Chapter "Compressive sensing", section "The phase transition". ``prob``
    is :func:`helpers.cs.recovery_grid`'s output (rows ρ, columns δ, cell
    centres of a uniform grid), ``theory`` the curve ``(δ, ρ(δ))`` and
    ``crossing`` the empirical 50% crossing for each δ.
    """
    _figure(fig)
    deltas = _curve(deltas, "deltas")
    rhos = _curve(rhos, "rhos")
    for arr, name in ((deltas, "deltas"), (rhos, "rhos")):
        if arr.min() <= 0 or arr.max() >= 1 or np.any(np.diff(arr) <= 0):
            raise ValueError(f"{name} must be increasing cell centres strictly between 0 and 1, got {arr}.")
    prob = array(prob, "prob", ndim=2)
    if prob.shape != (rhos.size, deltas.size):
        raise ValueError(f"prob must be (len(rhos), len(deltas)) = ({rhos.size}, {deltas.size}), got {prob.shape}.")
    if prob.min() < 0 or prob.max() > 1:
        raise ValueError(f"prob must hold probabilities in [0, 1], got values from {prob.min():g} to {prob.max():g}.")
    crossing = array(crossing, "crossing", ndim=1)
    if len(crossing) != deltas.size:
        raise ValueError(f"crossing needs one value per δ ({deltas.size}), got {len(crossing)}.")
    if isinstance(theory, (str, bytes)) or not isinstance(theory, (tuple, list)) or len(theory) != 2:
        raise TypeError(f"theory must be a (δ, ρ(δ)) pair of arrays, got {describe(theory)}.")
    theory = (_curve(theory[0], "theory δ"), _curve(theory[1], "theory ρ(δ)"))
    if theory[0].size != theory[1].size:
        raise ValueError(f"theory must pair each δ with one ρ(δ); got {theory[0].size} and {theory[1].size} values.")
    ax = fig.subplots()
    mesh = ax.pcolormesh(np.r_[0, deltas + deltas[0]], np.r_[0, rhos + rhos[0]], prob, cmap="viridis", vmin=0, vmax=1)
    ax.plot(*theory, "w-", lw=2, label="theory (statistical dimension)")
    ax.plot(deltas, crossing, "r.", label="empirical 50% crossing")
    fig.colorbar(mesh, label="probability of exact recovery")
    ax.set(xlabel="δ = M/N", ylabel="ρ = k/M", xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper left", fontsize=8)
    return fig


def jl_distortion(fig, sweep: dict, n_points: int):
    """Worst and 99th-percentile squared-distance distortion against M, with the JL guarantee.

    Chapter "Compressive sensing", section "Johnson–Lindenstrauss";
    ``sweep`` is :func:`helpers.cs.jl_sweep`'s output for ``n_points`` points.
    """
    _figure(fig)
    if not isinstance(sweep, dict) or not {"M", "worst", "q99", "bound"} <= set(sweep):
        raise TypeError(
            f"sweep must be the dict helpers.cs.jl_sweep returns (keys M, worst, q99, bound), got {describe(sweep)}."
        )
    m = np.array(_ints(sweep["M"], "sweep['M']", low=1))
    worst = _curve(sweep["worst"], "sweep['worst']", m.size, what=" (one per M)", low=0)
    q99 = _curve(sweep["q99"], "sweep['q99']", m.size, what=" (one per M)", low=0)
    bound = array(sweep["bound"], "sweep['bound']", ndim=1, finite=False)
    if bound.size != m.size or np.isnan(bound).any() or np.any(bound < 0):
        raise ValueError(f"sweep['bound'] must hold {m.size} non-negative values (inf where M is too small), none NaN.")
    n_points = positive_int(n_points, "n_points")
    ax = fig.subplots()
    ax.loglog(m, worst, "o-", label="worst pair")
    ax.loglog(m, q99, "s-", label="99th percentile")
    finite = np.isfinite(bound)
    ax.loglog(m[finite], bound[finite], "k--", label="JL guarantee")
    ax.set(xlabel="projected dimension M", ylabel="|squared-distance ratio − 1|", title=f"{n_points:,} MNIST digits")
    ax.legend(fontsize=8)
    return fig


# ------------------------------- "Parametric models and convolutions as structured matrices"


def taylor_curves(fig, checks: dict, *, title: str = "Taylor test"):
    """Zeroth- and first-order errors of Taylor tests on log-log axes, one colour per check.

    ``checks`` maps a name to a :func:`helpers.structured.taylor_test`
    result; introduced in the chapter "Parametric models and convolutions as
    structured matrices" (section "Checking derivatives").
    """
    _figure(fig)
    _mapping(checks, "checks", "{name: result of structured.taylor_test}")
    title = _text(title, "title")
    curves = {}
    for name, res in checks.items():
        _text(name, "each name of checks")
        if not isinstance(res, dict):
            raise TypeError(f"checks[{name!r}] is not a taylor_test result (a dict), got {describe(res)}.")
        if not {"h", "e0", "e1"} <= set(res):
            raise ValueError(f"checks[{name!r}] is not a taylor_test result (needs keys h, e0, e1).")
        h = _positive_curve(res["h"], f"checks[{name!r}]['h']")
        e0 = _curve(res["e0"], f"checks[{name!r}]['e0']", h.size, what=" (one per step h)", low=0)
        e1 = _curve(res["e1"], f"checks[{name!r}]['e1']", h.size, what=" (one per step h)", low=0)
        curves[name] = (h, e0, e1)
    ax = fig.subplots()
    for j, (name, (h, e0, e1)) in enumerate(curves.items()):
        ax.loglog(h, e0, "--", color=f"C{j}", label=f"{name}: zeroth order")
        ax.loglog(h, e1, "-", color=f"C{j}", label=f"{name}: first order")
    ax.set(xlabel="step h", ylabel="error", title=title)
    ax.legend(fontsize=7)
    return fig


def matrix_images(fig, matrices: dict):
    """Matrices side by side as images with a symmetric colour scale (title -> matrix, dense or sparse).

    Chapter "Parametric models and convolutions as structured matrices":
    Toeplitz against circulant.
    """
    _figure(fig)
    _mapping(matrices, "matrices", "{title: matrix}")
    dense = {}
    for title, k in matrices.items():
        _text(title, "each title of matrices")
        k = k.toarray() if hasattr(k, "toarray") else k
        k = array(k, f"matrices[{title!r}]", empty=True)
        if k.ndim != 2:
            raise ValueError(f"matrices[{title!r}] must be a 2-D matrix, got shape {k.shape}.")
        if k.size == 0:
            raise ValueError(f"matrices[{title!r}] is empty (shape {k.shape}).")
        dense[title] = k
    axes = fig.subplots(1, len(dense), squeeze=False)[0]
    for ax, (title, k) in zip(axes, dense.items()):
        lim = np.abs(k).max() or 1.0
        ax.imshow(k, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(title)
    return fig


def convolution_timing_curves(fig, timings: dict, image_sizes, kernel_sizes):
    """Milliseconds per convolution against kernel size, direct and FFT, one panel per library.

    ``timings`` is :func:`helpers.bench.convolution_timings`'s output; chapter
    "Parametric models and convolutions as structured matrices", section "Speed".
    """
    _figure(fig)
    image_sizes = _ints(image_sizes, "image_sizes", low=1)
    kernel_sizes = _ints(kernel_sizes, "kernel_sizes", low=1)
    libs = ("torch", "scipy")
    _keys(
        timings,
        "timings",
        [f"{lib} {kind}" for lib in libs for kind in ("direct", "FFT")],
        "the dict helpers.bench.convolution_timings returns",
    )
    checked = {}
    for lib in libs:
        for kind in ("direct", "FFT"):
            # NaN marks a configuration that was skipped (k > n, or too slow): drawn as a gap
            what = f"timings[{lib + ' ' + kind!r}]"
            arr = array(timings[f"{lib} {kind}"], what, finite=False)
            if np.isinf(arr).any() or np.isnan(arr).all():
                raise ValueError(f"{what} must hold finite times in seconds (NaN only where a size was skipped).")
            if np.any(arr[~np.isnan(arr)] <= 0):
                raise ValueError(f"{what} must hold positive times in seconds.")
            checked[f"{lib} {kind}"] = arr
            if arr.shape != (len(image_sizes), len(kernel_sizes)):
                raise ValueError(
                    f"timings[{lib + ' ' + kind!r}] must be (image sizes, kernel sizes) = "
                    f"({len(image_sizes)}, {len(kernel_sizes)}), got {arr.shape}: one row per entry of "
                    "image_sizes, one column per entry of kernel_sizes."
                )
    axes = fig.subplots(1, 2)
    for ax, lib in zip(axes, libs):
        for a, n in enumerate(image_sizes):
            ax.loglog(kernel_sizes, checked[f"{lib} direct"][a] * 1e3, "o-", color=f"C{a}", label=f"{n}² direct")
            ax.loglog(kernel_sizes, checked[f"{lib} FFT"][a] * 1e3, "s--", color=f"C{a}", label=f"{n}² FFT")
        ax.set(xlabel="kernel size k", ylabel="milliseconds per convolution", title=lib)
    axes[1].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


# ------------------------------------------- "Every convolutional layer is an SVD"


def layer_spectra(spectra: dict, *, levels=(0.95, 0.99), figsize=(11, 3.6)):
    """Singular values (log scale) and cumulative energy of several layers, one curve per layer.

    Introduced in the chapter "Every convolutional layer is an SVD" ("The SVD
    of both layers"). ``spectra`` maps a curve's label to its singular values,
    largest first; the energy panel marks each of ``levels`` with a dotted line.
    """
    import matplotlib.pyplot as plt

    from .svd import energy

    _mapping(spectra, "spectra", "{label: singular values}")
    levels = [fraction(v, "each of levels") for v in _reals(levels, "levels")]
    figsize = _figsize(figsize)
    checked = {}
    for name, s in spectra.items():
        _text(name, "each label of spectra")
        sv = array(s, f"the singular values of {name!r}", empty=True)
        if sv.ndim != 1 or sv.size == 0:
            raise ValueError(f"the singular values of {name!r} must be a non-empty 1-D array, got shape {sv.shape}.")
        if np.any(sv < 0) or not np.any(sv > 0):
            raise ValueError(f"the singular values of {name!r} must be non-negative and not all zero.")
        checked[name] = sv
    fig, axes = plt.subplots(1, 2, figsize=figsize)
    for name, sv in checked.items():
        i = np.arange(1, sv.size + 1)
        axes[0].semilogy(i, sv, "o-", label=name)
        axes[1].plot(i, energy(sv), "o-", label=name)
    for level in levels:
        axes[1].axhline(level, color="gray", ls=":", lw=1)
    axes[0].set(xlabel="i", ylabel="σᵢ", title="singular values")
    axes[1].set(xlabel="k", ylabel="Σᵢ≤ₖ σᵢ² / Σ σᵢ²", title="cumulative energy")
    for ax in axes:
        ax.legend()
    fig.tight_layout()
    return fig


def operator_spectra(layers: dict, *, bins: int = 40, figsize=(11, 3.6)):
    """Each layer's operator singular values (histogram) against its patch matrix's, one panel per layer.

    Introduced in the chapter "Every convolutional layer is an SVD" ("The
    layer as an operator"). ``layers`` maps a panel title to a pair
    ``(operator, patch)``: all singular values of the layer as a map on
    images (:func:`helpers.conv_svd.operator_singular_values`) and those of
    its patch matrix W. The patch values are drawn as vertical lines, and
    the bound 3σ₁(W) that no operator value exceeds (3 x 3 kernels) as a
    dashed line.
    """
    import matplotlib.pyplot as plt

    _mapping(layers, "layers", "{title: (operator singular values, patch singular values)}")
    bins = integer(bins, "bins", low=2, high=1000)
    figsize = _figsize(figsize)
    checked = {}
    for title, pair in layers.items():
        _text(title, "each title of layers")
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(
                f"layers[{title!r}] must be a pair (operator, patch) of singular values, got {describe(pair)}."
            )
        values = []
        for part, sv in zip(("operator", "patch"), pair):
            sv = array(sv, f"the {part} singular values of {title!r}", ndim=1)
            if np.any(sv < 0) or not np.any(sv > 0):
                raise ValueError(f"the {part} singular values of {title!r} must be non-negative and not all zero.")
            values.append(sv)
        checked[title] = values
    fig, axes = plt.subplots(1, len(checked), figsize=figsize, squeeze=False)
    for ax, (title, (op, patch)) in zip(axes[0], checked.items()):
        ax.hist(op, bins=bins, color="tab:blue", alpha=0.8, label=f"operator ({op.size:,} values)")
        for i, v in enumerate(patch):
            ax.axvline(v, color="tab:orange", lw=1, label=f"patch matrix W ({patch.size})" if i == 0 else None)
        ax.axvline(3 * patch.max(), color="black", ls="--", lw=1, label="3σ₁(W)")
        ax.set(xlabel="singular value", ylabel="count", title=title)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def relu_mask_growth(sizes, counts, *, channels: int = 8, report: tuple | None = None, figsize=(6.5, 3.4)):
    """Distinct ReLU activation masks against the number of patches drawn, with the 2^channels ceiling.

    Introduced in the chapter "Every convolutional layer is an SVD" ("ReLU
    regions"); ``sizes`` and ``counts`` come from
    :func:`helpers.conv_svd.relu_mask_counts`. ``report`` is an optional
    ``(patches, masks)`` point from the original report.
    """
    import matplotlib.pyplot as plt

    sizes = _ints(sizes, "sizes", low=1, what="sample sizes")
    counts = _ints(counts, "counts", low=0, what="mask counts")
    if len(sizes) != len(counts):
        raise ValueError(f"need one count per sample size, got {len(counts)} counts for {len(sizes)} sizes.")
    channels = integer(channels, "channels", low=1, high=62)
    possible = 2**channels
    if max(counts) > possible:
        raise ValueError(f"counts must be at most 2^channels = {possible} distinct masks, got {max(counts)}.")
    if report is not None:
        if isinstance(report, (str, bytes)) or not isinstance(report, (tuple, list)) or len(report) != 2:
            raise TypeError(f"report must be a (patches, masks) pair of integers or None, got {describe(report)}.")
        report = (positive_int(report[0], "report patches"), integer(report[1], "report masks", low=0))
    figsize = _figsize(figsize)
    fig, ax = plt.subplots(figsize=figsize)
    ax.semilogx(sizes, counts, "o-")
    ax.axhline(possible, color="gray", ls=":", label=f"$2^{{{channels}}}$ = {possible} possible")
    if report is not None:
        label = f"report: {report[1]} of {possible} at {report[0]} patches"
        ax.plot([report[0]], [report[1]], "s", color="C3", label=label)
    ax.set(xlabel="patches sampled", ylabel="distinct activation masks", title="layer 1 ReLU regions")
    ax.legend(fontsize=8)
    return fig


def coordinate_spread(coords, *, every: int = 50, figsize=(8, 3.4)):
    """A box plot per component of the coordinates sᵢ = σᵢzᵢ of real patches (outliers not drawn).

    Introduced in the chapter "Every convolutional layer is an SVD".
    ``coords`` is (components, patches); every ``every``-th patch is drawn,
    which keeps the plot quick without changing the boxes visibly.
    """
    import matplotlib.pyplot as plt

    coords = array(coords, "coords", empty=True)
    if coords.ndim != 2 or coords.size == 0:
        raise ValueError(f"coords must be (components, patches), got shape {coords.shape}.")
    every = positive_int(every, "every")
    figsize = _figsize(figsize)
    fig, ax = plt.subplots(figsize=figsize)
    ax.boxplot(list(coords[:, ::every]), showfliers=False)
    ax.set(xlabel="component i", ylabel="sᵢ = σᵢ zᵢ", title="layer-1 coordinates of real patches")
    return fig


def eigenfilters_and_filters(eigenfilters, singular_values, weights, *, figsize=(12, 3.4)):
    """The eigenfilters (rows of Vᵀ, with their σᵢ) above the learned filters of a one-channel conv layer.

    Introduced in the chapter "Every convolutional layer is an SVD" ("What the
    singular vectors look like"). ``eigenfilters`` is
    :func:`helpers.conv_svd.eigenfilters` of the layer, (r, 1, kh, kw);
    ``weights`` the layer's weight, (C_out, 1, kh, kw), with C_out = r.
    """
    import matplotlib.pyplot as plt

    ef = array(eigenfilters, "eigenfilters")
    w = array(weights, "weights")
    s = array(singular_values, "singular_values")
    figsize = _figsize(figsize)
    if np.any(s < 0):
        raise ValueError("singular_values must be non-negative.")
    if ef.ndim != 4 or ef.shape[1] != 1 or w.shape != ef.shape or s.shape != (ef.shape[0],):
        raise ValueError(
            "need eigenfilters and weights of the same shape (r, 1, kh, kw) (a layer with one input channel and as "
            f"many filters as components) and r singular values; got {ef.shape}, {w.shape} and {s.shape}."
        )
    r = ef.shape[0]
    fig, axes = plt.subplots(2, r, figsize=figsize, squeeze=False)
    for i in range(r):
        for row, img, title in ((0, ef[i, 0], f"v{i + 1}, σ={s[i]:.2f}"), (1, w[i, 0], f"filter {i + 1}")):
            lim = np.abs(img).max()
            axes[row, i].imshow(img, cmap="RdBu_r", vmin=-lim, vmax=lim)
            axes[row, i].set_title(title, fontsize=8)
    _no_ticks(axes)
    axes[0, 0].set_ylabel("eigenfilters")
    axes[1, 0].set_ylabel("learned")
    fig.tight_layout()
    return fig


# ------------------------------------------ "Over-parameterisation and double descent"


def _finish_threshold_panels(fig, axes):
    """Mark the interpolation threshold on every panel, add their legends and tighten the layout."""
    _threshold(axes)
    for ax in axes:
        ax.legend()
    fig.tight_layout()
    return fig


def _threshold(axes):
    """The interpolation threshold N = n as a dotted line on each of ``axes``."""
    for ax in np.ravel(axes):
        ax.axvline(1, color="gray", ls=":", lw=1)


def _sweep_arrays(sweep: dict, keys, name: str = "sweep", n: int | None = None, ndim: int = 4) -> list:
    """The arrays ``sweep[k]`` for ``keys``, each ``ndim``-D with ``n`` widths on axis 1 (when given)."""
    if not isinstance(sweep, dict) or any(k not in sweep for k in keys):
        raise TypeError(
            f"{name} must be the dict that helpers.double_descent.{_SOURCE.get(name, 'sweep_widths')} returns "
            f"(with {list(keys)}), "
            f"got {describe(sweep)}."
        )
    return [_sweep_array(sweep, k, ndim, n, "values of ratio", name) for k in keys]


def double_descent_curves(ratio, sweep: dict, *, figsize=(12, 4)):
    """Squared error and classification error over N/n, test and training, without ridge or label noise.

    Introduced in the chapter "Over-parameterisation and double descent":
    ``sweep`` is :func:`helpers.double_descent.sweep_widths`, whose first
    ridge and noise level (λ = 0, clean labels) are drawn; ``ratio`` is N/n
    for its widths.
    """
    import matplotlib.pyplot as plt

    ratio = _positive_curve(ratio, "ratio (N/n)")
    keys = ("test_mse", "train_mse", "test_err", "train_err")
    test_mse, train_mse, test_err, train_err = _sweep_arrays(sweep, keys, n=ratio.size)
    figsize = _figsize(figsize)
    fig, axes = plt.subplots(1, 2, figsize=figsize)
    band(axes[0], ratio, test_mse[:, :, 0, 0], "test", "C3")
    band(axes[0], ratio, train_mse[:, :, 0, 0] + 1e-16, "training", "C0")  # an exact fit is 0: not on a log axis
    axes[0].set(xscale="log", yscale="log", xlabel="N / n", ylabel="mean squared error", title="squared error")
    band(axes[1], ratio, 100 * test_err[:, :, 0, 0], "test", "C3")
    band(axes[1], ratio, 100 * train_err[:, :, 0, 0], "training", "C0")
    axes[1].set(xscale="log", xlabel="N / n", ylabel="classification error (%)", title="classification error")
    return _finish_threshold_panels(fig, axes)


def sigma_min_and_norm(ratio, sweep: dict, *, figsize=(12, 3.8)):
    """The smallest non-zero singular value of the features and the norm of the minimum-norm weights over N/n.

    Introduced in the chapter "Over-parameterisation and double descent" ("The
    SVD explanation"); ``sweep`` as for :func:`double_descent_curves`.
    """
    import matplotlib.pyplot as plt

    ratio = _positive_curve(ratio, "ratio (N/n)")
    sigma_min = _sweep_array(sweep, "sigma_min", 2, ratio.size, "values of ratio")
    norm = _sweep_array(sweep, "norm", 4, ratio.size, "values of ratio")
    figsize = _figsize(figsize)
    fig, axes = plt.subplots(1, 2, figsize=figsize)
    band(axes[0], ratio, sigma_min, "σ_min of the feature matrix", "C2")
    axes[0].set(xscale="log", yscale="log", xlabel="N / n", title="smallest non-zero singular value")
    band(axes[1], ratio, norm[:, :, 0, 0], "‖β‖ (minimum norm)", "C4")
    axes[1].set(xscale="log", yscale="log", xlabel="N / n", title="norm of the fitted weights")
    return _finish_threshold_panels(fig, axes)


def ridge_curves(ratio, sweep: dict, ridges, *, figsize=(7, 4)):
    """Test MSE over N/n for every ridge strength λ of the sweep (clean labels).

    Introduced in the chapter "Over-parameterisation and double descent"
    ("Regularisation flattens the peak"); ``ridges`` are the λ the sweep ran.
    """
    import matplotlib.pyplot as plt

    ratio = _positive_curve(ratio, "ratio (N/n)")
    (test_mse,) = _sweep_arrays(sweep, ("test_mse",), n=ratio.size)
    ridges = _reals(ridges, "ridges", low=0)
    figsize = _figsize(figsize)
    if len(ridges) != test_mse.shape[2]:
        raise ValueError(f"the sweep has {test_mse.shape[2]} ridge strengths but {len(ridges)} were given in ridges.")
    fig, ax = plt.subplots(figsize=figsize)
    for c, lam in enumerate(ridges):
        band(ax, ratio, test_mse[:, :, c, 0], f"λ = {lam:g}", f"C{c}")
    ax.set(xscale="log", yscale="log", xlabel="N / n", ylabel="test MSE", title="ridge penalties")
    _threshold(ax)
    ax.legend()
    return fig


def tuned_ridge_curves(ratio, sweep: dict, tuned: dict, *, figsize=(7, 4)):
    """Test MSE over N/n without ridge against ridge with λ tuned per width on validation data.

    Introduced in the chapter "Over-parameterisation and double descent";
    ``tuned`` is :func:`helpers.double_descent.tuned_ridge_curve` over the
    same widths.
    """
    import matplotlib.pyplot as plt

    ratio = _positive_curve(ratio, "ratio (N/n)")
    (test_mse,) = _sweep_arrays(sweep, ("test_mse",), n=ratio.size)
    (tuned_mse,) = _sweep_arrays(tuned, ("test_mse",), "tuned", n=ratio.size, ndim=2)
    figsize = _figsize(figsize)
    fig, ax = plt.subplots(figsize=figsize)
    band(ax, ratio, test_mse[:, :, 0, 0], "λ = 0 (minimum norm)", "C3")
    band(ax, ratio, tuned_mse, "λ tuned per width on validation digits", "C2")
    ax.set(xscale="log", yscale="log", xlabel="N / n", ylabel="test MSE", title="unregularised against tuned ridge")
    _threshold(ax)
    ax.legend()
    return fig


def network_width_curves(rows, n_train: int, *, figsize=(7, 3.8)):
    """Training and test error of networks of growing width against parameters per training example.

    Introduced in the chapter "Over-parameterisation and double descent" ("A
    network"); ``rows`` is :func:`helpers.double_descent.train_width_sweep`
    and ``n_train`` the number of training examples.
    """
    import matplotlib.pyplot as plt

    what = "the non-empty list of dicts that train_width_sweep returns"
    if isinstance(rows, (str, bytes, dict)) or not isinstance(rows, (list, tuple)):
        raise TypeError(f"rows must be {what}, got {describe(rows)}.")
    if not rows:
        raise ValueError(f"rows is empty; it must be {what}.")
    if any(not isinstance(r, dict) or not {"parameters", "train_err", "test_err"} <= set(r) for r in rows):
        raise TypeError(f"rows must be {what}.")
    n_train = positive_int(n_train, "n_train")
    figsize = _figsize(figsize)
    params = np.array([positive_int(r["parameters"], f"rows[{i}]['parameters']") for i, r in enumerate(rows)]) / n_train
    errors = {
        key: 100
        * np.array(
            [fraction(r[key], f"rows[{i}][{key!r}] (an error as a fraction)", zero=True) for i, r in enumerate(rows)]
        )
        for key in ("train_err", "test_err")
    }
    fig, ax = plt.subplots(figsize=figsize)
    ax.plot(params, errors["train_err"], "o-", label="training error (on noisy labels)")
    ax.plot(params, errors["test_err"], "s-", label="test error (clean labels)")
    ax.set(xscale="log", xlabel="parameters / training examples", ylabel="error (%)")
    ax.set_title("TinyConvNet of growing width")
    ax.legend()
    return fig
