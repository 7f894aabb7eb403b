"""Figures shared by several chapters.

Introduced in the chapter "The datasets". Functions return the Matplotlib
figure so a chapter can save or further annotate it.
"""

from __future__ import annotations

import numpy as np
import torch

from .data import ImageData

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
    "relu_mask_growth",
    "coordinate_spread",
    "eigenfilters_and_filters",
    "double_descent_curves",
    "sigma_min_and_norm",
    "ridge_curves",
    "tuned_ridge_curves",
    "network_width_curves",
]


def to_display(images: torch.Tensor) -> np.ndarray:
    """Turn ``(N, C, H, W)`` tensors in [0, 1] into arrays ``imshow`` accepts.

    One channel gives ``(N, H, W)`` (draw with a gray colour map), three give
    ``(N, H, W, 3)``. Values are clipped to [0, 1].
    """
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] not in (1, 3):
        shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
        raise ValueError(f"expected a tensor of shape (N, 1 or 3, H, W), got {shape}.")
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

    if isinstance(per_class, bool) or not isinstance(per_class, int) or per_class < 1:
        raise ValueError(f"per_class must be a positive integer, got {per_class!r}.")
    labels = data.labels.numpy()
    rng = np.random.default_rng(seed)
    k = data.num_classes
    label_w, title_h = 1.3, 0.4  # inches for the class names and the title
    width, height = label_w + per_class * ax_size, title_h + k * ax_size
    fig, axes = plt.subplots(k, per_class, figsize=(width, height), squeeze=False)
    fig.subplots_adjust(
        left=label_w / width, right=0.995, bottom=0.005, top=1 - title_h / height, wspace=0.04, hspace=0.04
    )
    cmap = "gray" if data.images.shape[1] == 1 else None
    for c in range(k):
        pool = np.flatnonzero(labels == c)
        if pool.size == 0:
            raise ValueError(f"class {data.classes[c]!r} has no examples in this {data.split} split.")
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

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3))
    names = list(datasets)
    width = 0.8 / max(len(names), 1)
    for i, label in enumerate(names):
        counts = datasets[label].class_counts()
        ax.bar(np.arange(counts.size) + (i - (len(names) - 1) / 2) * width, counts, width, label=label)
    first = datasets[names[0]]
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

    approx = low_rank(image, k)
    m, n = image.shape[:2]
    channels = 1 if np.ndim(image) == 2 else image.shape[2]
    st = storage(m, n, k, channels)
    if s is None:
        gray = image if np.ndim(image) == 2 else np.asarray(image).mean(axis=2)
        s = np.linalg.svd(gray, compute_uv=False)
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
    if set(originals) != set(reconstructions):
        raise ValueError(
            f"originals {sorted(originals)} and reconstructions {sorted(reconstructions)} "
            "must have the same image names."
        )
    names = list(originals)
    axes = fig.subplots(2, len(names), squeeze=False)
    for j, name in enumerate(names):
        x, x_hat = np.asarray(originals[name]), np.asarray(reconstructions[name])
        mse = float(np.mean((x - x_hat) ** 2))
        _imshow(axes[0, j], x, f"{name}: original")
        _imshow(axes[1, j], x_hat, f"reconstruction, MSE {mse:.2e}")
    if label:
        fig.suptitle(label)
    fig.tight_layout()
    return fig


def component_options(svd1: dict, svd2: dict) -> list[str]:
    """The labels of chapter 05's component slider: ``"layer L · component I"`` for every singular direction."""
    return [f"layer {layer} · component {i + 1}" for layer, s in ((1, svd1), (2, svd2)) for i in range(len(s["S"]))]


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

    parts = option.split()
    try:
        layer, i = int(parts[1]), int(parts[-1]) - 1
    except (IndexError, ValueError):
        raise ValueError(f"option must read 'layer L · component I', got {option!r}.") from None
    if layer not in (1, 2):
        raise ValueError(f"TinyConvNet has convolutional layers 1 and 2, not {layer}.")
    svd, conv = (svd1, model.conv1) if layer == 1 else (svd2, model.conv2)
    if not 0 <= i < len(svd["S"]):
        raise ValueError(f"layer {layer} has components 1 to {len(svd['S'])}, not {i + 1}.")
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
    missing = [name for name in originals if (name, m) not in results]
    if missing:
        raise ValueError(f"no reconstruction from M = {m} for {missing}; choose an M that was swept.")
    return reconstruction_view(fig, originals, {n: results[n, m]["x_hat"] for n in originals}, f"M = {m}")


def band(ax, x, values, label: str, color: str):
    """Plot the mean over seeds (axis 0 of ``values``) with the min–max band when there are several seeds.

    Used by the chapter "Over-parameterisation and double descent" for every
    curve over widths.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[1] != len(x):
        raise ValueError(f"values must be (seeds, {len(x)}) for {len(x)} x values, got shape {values.shape}.")
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
    widths = list(widths)
    if width not in widths:
        raise ValueError(f"width {width} was not swept; choose one of {widths}.")
    ratio = np.array(widths) / n
    ax1, ax2 = fig.subplots(1, 2)
    s = sweep["spectra"][seeds[0], width]
    ax1.semilogy(np.arange(1, len(s) + 1), s)
    ax1.set(xlabel="i", ylabel="σᵢ", title=f"spectrum of F, N = {width} (N/n = {width / n:.2f})", ylim=(1e-6, None))
    ax2.loglog(ratio, sweep["test_mse"][0, :, 0, 0], color="gray")
    j = widths.index(width)
    ax2.loglog([ratio[j]], [sweep["test_mse"][0, j, 0, 0]], "o", color="C3", ms=9)
    ax2.axvline(1, color="gray", ls=":", lw=1)
    ax2.set(xlabel="N / n", ylabel="test MSE", title="where this width sits")
    fig.tight_layout()
    return fig


def noise_view(fig, noise: float, *, sweep: dict, ratio, ridges, noises):
    """The label-noise slider of the double-descent chapter: test error over N/n, least and most ridge.

    ``sweep`` is :func:`helpers.double_descent.sweep_widths` run with these
    ``ridges`` and ``noises``; ``ratio`` is N/n for its widths.
    """
    noises = list(noises)
    if noise not in noises:
        raise ValueError(f"noise level {noise} was not swept; choose one of {noises}.")
    ax = fig.subplots()
    d = noises.index(noise)
    for c in (0, len(ridges) - 1):
        band(ax, ratio, sweep["test_mse"][:, :, c, d], f"λ = {ridges[c]:g}", f"C{c}")
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
    datasets = list(datasets)
    if not datasets or not all(isinstance(d, ImageData) for d in datasets):
        raise TypeError(f"{what} must be a non-empty list of ImageData (from helpers.load).")
    return datasets


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

    if not isinstance(groups, dict) or not groups:
        raise TypeError("groups must be a non-empty dict: panel title -> {split label: ImageData}.")
    for title, splits in groups.items():
        if not isinstance(splits, dict):
            raise TypeError(f"groups[{title!r}] must be a dict {{split: ImageData}}, not {type(splits).__name__}.")
        _check_image_data(splits.values(), f"the values of groups[{title!r}]")
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
    if isinstance(max_images, bool) or not isinstance(max_images, int) or max_images < 1:
        raise ValueError(f"max_images must be a positive integer, got {max_images!r}.")
    fig, axes = plt.subplots(1, len(datasets), figsize=figsize, squeeze=False)
    for ax, d in zip(axes[0], datasets):
        x = d.images[:max_images]
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
    cols = max(d.num_classes for d in datasets)
    fig, axes = plt.subplots(len(datasets), cols, figsize=figsize, squeeze=False)
    for row, d in zip(axes, datasets):
        for c, ax in enumerate(row):
            _bare(ax)
            if c >= d.num_classes:
                ax.set_visible(False)
                continue
            pix = to_display(d.images[d.labels == c].mean(0, keepdim=True))[0]
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

    _check_image_data([colour, gray], "colour and gray")
    if len(colour) != len(gray) or gray.images.shape[1] != 1:
        raise ValueError("gray must be the same split as colour, loaded with grayscale=True.")
    indices = [int(i) for i in np.asarray(indices).ravel()]
    if not indices or min(indices) < 0 or max(indices) >= len(colour):
        raise ValueError(f"indices must be a non-empty list of positions below {len(colour)}.")
    fig, axes = plt.subplots(2, len(indices), figsize=figsize, squeeze=False)
    for j, i in enumerate(indices):
        axes[0, j].imshow(to_display(colour.images[i : i + 1])[0])
        axes[1, j].imshow(to_display(gray.images[i : i + 1])[0], cmap="gray", vmin=0, vmax=1)
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

    s_true = np.asarray(s_true, dtype=float)
    for label, err in errors.items():
        if np.shape(err) != s_true.shape:
            raise ValueError(f"errors[{label!r}] has shape {np.shape(err)}; it needs one error per σ, {s_true.shape}.")
    fig, ax = plt.subplots(figsize=figsize)
    for (label, err), marker in zip(errors.items(), "os^vd"):
        ax.loglog(s_true, np.maximum(err, floor), f"{marker}-", label=label)
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

    terms = np.asarray(terms)
    if terms.ndim != 3 or terms.shape[1:] != np.shape(image) or len(ks) != len(terms):
        raise ValueError(
            f"terms must be (t, m, n) for the {np.shape(image)} image with one k per term; "
            f"got terms {terms.shape} and {len(ks)} ks."
        )
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

    missing = {"ks", "rel_err", "predicted", "psnr", "ratio"} - set(sweep)
    if missing:
        raise ValueError(f"sweep lacks {sorted(missing)}; pass the result of helpers.svd.truncation_sweep.")
    s = np.asarray(s, dtype=float)
    r = np.arange(1, len(s) + 1)
    ks = sweep["ks"]
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
    ax.loglog(ks, sweep["rel_err"], "o", ms=4, label="measured ‖A−A_k‖/‖A‖")
    ax.loglog(ks, sweep["predicted"], "-", label="Eckart–Young √(Σᵢ>ₖσᵢ²)/‖A‖")
    ax.set(title="relative error", xlabel="k")
    ax.legend(fontsize=8)
    ax = axes[1, 1]
    ax.semilogx(ks, sweep["psnr"], "o-", ms=3, color="C2")
    ax.set(title="PSNR and compression ratio", xlabel="k", ylabel="PSNR (dB)")
    ax2 = ax.twinx()
    ax2.loglog(ks, sweep["ratio"], color="C1")
    ax2.axhline(1, color="C1", ls=":", lw=1)
    ax2.set_ylabel("compression ratio (full / kept)", color="C1")
    return fig


def eigenimages(vt, shape, *, count: int = 16, cols: int = 8, figsize=(12, 3.4)):
    """The first ``count`` rows of ``vt`` drawn as images of ``shape`` (red positive, blue negative).

    Introduced in the chapter "SVD from scratch" ("eigen-digits"): the right
    singular vectors of a stack of images are images themselves.
    """
    import matplotlib.pyplot as plt

    vt = np.asarray(vt)
    if vt.ndim != 2 or vt.shape[1] != int(np.prod(shape)):
        raise ValueError(f"vt must be (k, {int(np.prod(shape))}) for images of shape {tuple(shape)}; got {vt.shape}.")
    if not 1 <= count <= vt.shape[0]:
        raise ValueError(f"count must be between 1 and the {vt.shape[0]} rows of vt, got {count}.")
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
        raise TypeError(f"history must have {', '.join(keys)} (a helpers.train.History).")
    lengths = {len(getattr(history, k)) for k in keys}
    if len(lengths) != 1 or 0 in lengths:
        raise ValueError("history must hold one value per epoch in each list, for at least one epoch.")
    ep = np.arange(1, lengths.pop() + 1)
    fig, axes = plt.subplots(1, 2, figsize=figsize)
    axes[0].plot(ep, history.train_loss, "o-", label="training")
    axes[0].plot(ep, history.test_loss, "s-", label="test")
    axes[0].set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    axes[0].legend()
    axes[1].plot(ep, 100 * np.array(history.train_acc), "o-", label="training")
    axes[1].plot(ep, 100 * np.array(history.test_acc), "s-", label="test")
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

    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] != len(classes):
        raise ValueError(f"cm must be square with one row per class ({len(classes)}); got shape {cm.shape}.")
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

    images = np.asarray(images)
    if images.ndim != 3 or len(titles) != len(images) or len(images) == 0:
        raise ValueError(
            f"images must be (N, H, W), N >= 1, with one title each; got {images.shape} and {len(titles)} titles."
        )
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

    h, w = image_shape
    if h * w != projection.d:
        raise ValueError(
            f"image_shape {tuple(image_shape)} has {h * w} pixels but the projection reads {projection.d}."
        )
    if isinstance(rows, bool) or not isinstance(rows, int) or not 1 <= rows <= projection.m:
        raise ValueError(f"rows must be an integer from 1 to M = {projection.m}, got {rows!r}.")
    if not ratios:
        raise ValueError("ratios is empty; give at least one set of squared-distance ratios.")
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

    if not nets:
        raise ValueError("nets is empty; give {label: network} for at least one network.")
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        raise ValueError(f"images must be an (N, C, H, W) tensor, got {getattr(images, 'shape', type(images))}.")
    input_shape = tuple(images.shape[1:])
    sizes = {label: conv_input_sizes(net, input_shape) for label, net in nets.items()}
    cols = max(len(s) for s in sizes.values())
    fig, axes = plt.subplots(len(nets), cols, figsize=(2.75 * cols, 2.8 * len(nets)), squeeze=False)
    for row, (label, net) in zip(axes, nets.items()):
        norms = tap_gradient_norms(net, images, labels)
        for ax, (layer, size) in zip(row, sizes[label].items()):
            g = (norms[layer] / norms[layer].max()).numpy()
            ax.imshow(g, cmap="viridis", vmin=0, vmax=1)
            for (a, b), count in np.ndenumerate(tap_reach(getattr(net, layer), size).numpy()):
                colour = "white" if g[a, b] < 0.5 else "black"
                ax.text(b, a, str(count), ha="center", va="center", color=colour)
            ax.set(title=f"{layer} on {size[0]}×{size[1]}", xticks=[], yticks=[])
        row[0].set_ylabel(label)
    fig.suptitle("gradient norm per tap, relative to the layer's largest (number: real pixels the tap reads)")
    fig.tight_layout()
    return fig


def _dataset_panels(accuracy: dict, curves, n: int, per: str):
    """One panel per dataset of ``accuracy``, after checking each curve has ``n`` values (one per ``per``)."""
    import matplotlib.pyplot as plt

    for name, acc in accuracy.items():
        if any(len(acc[curve]) != n for curve in curves):
            raise ValueError(f"accuracy[{name!r}] must hold one value per {per} ({n}).")
    fig, axes = plt.subplots(1, len(accuracy), figsize=(6 * len(accuracy), 4), squeeze=False)
    return fig, axes[0]


def accuracy_vs_m_view(m_values, accuracy: dict, *, report: dict, titles: dict):
    """Test accuracy against M, random projection against principal components, one panel per dataset.

    Chapter "CNNs against random projections". ``accuracy[name]`` is the
    first result of :func:`helpers.projections.sweep_dimensions` (fractions
    per M of ``m_values``); ``report[name]["mlp"]`` the report's MLP accuracy
    as ``(mean, std)`` fractions (the mean is drawn as a dotted line);
    ``titles[name]`` the panel's title.
    """
    m_values = list(m_values)
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
    sizes = list(sizes)
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


def eckart_young_figure(curves: dict):
    """The truncation error of each layer beside the Eckart–Young formula, and the energy kept, over the rank.

    Section "A rank sweep on TinyConvNet" of the chapter "Low-rank
    compression". ``curves`` maps a layer name to
    :func:`helpers.lowrank.eckart_young_curves` of that layer.
    """
    import matplotlib.pyplot as plt

    if not curves:
        raise ValueError("curves must map at least one layer name to lowrank.eckart_young_curves(layer).")
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

    k1s, k2s = list(k1s), list(k2s)
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

    if conv.in_channels != 1:
        raise ValueError(f"truncated_filters_view draws single-channel filters; this layer has {conv.in_channels}.")
    if k not in accuracy:
        raise ValueError(f"no accuracy for rank {k}; choose one of {sorted(accuracy)}.")
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
    k1s = list(k1s)
    missing = [j for j in k1s if (j, k) not in acc]
    if missing:
        raise ValueError(f"no accuracy for conv2 at rank {k} with conv1 at {missing}; choose a swept k₂.")
    s = np.asarray(sigma)
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

    if not layers:
        raise ValueError("layers must map at least one title to (conv, output positions).")
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

    if not sweep:
        raise ValueError("sweep is empty: run helpers.lowrank.layer_sweep first.")
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

    if not whole:
        raise ValueError("whole is empty: measure at least one rank fraction.")
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

    if not schemes:
        raise ValueError("schemes is empty: run helpers.lowrank.scheme_sweep first.")
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

    if not isinstance(images, dict) or not images:
        raise TypeError("images must be a non-empty dict {name: 2-D image}.")
    axes = fig.subplots(2, len(images), squeeze=False)
    for j, (name, img) in enumerate(images.items()):
        if np.ndim(img) != 2:
            raise ValueError(f"image {name!r} must be 2-D (grayscale), got shape {np.shape(img)}.")
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
    phi = np.asarray(phi)
    if phi.ndim != 2 or phi.shape[1] != int(np.prod(shape)):
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
    if not isinstance(gaps, dict) or not gaps:
        raise TypeError("gaps must be a non-empty dict {solver name: gap per iteration}.")
    if not f_star > 0:
        raise ValueError(f"f_star (the lowest objective) must be positive, got {f_star}.")
    ax = fig.subplots()
    for name, gap in gaps.items():
        gap = np.asarray(gap, dtype=float)
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
    m_values, names, report = list(m_values), list(names), report or {}
    missing = [(n, m) for n in names for m in m_values if (n, m) not in results or (n, m) not in baseline]
    if missing:
        raise ValueError(f"no reconstruction for {missing[:3]}; sweep every image over every M first.")
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
    m_shown = list(m_shown)
    missing = [(n, m) for n in images for m in m_shown if (n, m) not in results or (n, m) not in baseline]
    if missing:
        raise ValueError(f"no reconstruction for {missing[:3]}; choose values of M that were swept.")
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
    m_values = list(m_values)
    if not isinstance(curves, dict) or not curves:
        raise TypeError("curves must be a non-empty dict {label: MSE for each M}.")
    ax = fig.subplots()
    for j, (label, mse) in enumerate(curves.items()):
        if len(mse) != len(m_values):
            raise ValueError(f"curve {label!r} has {len(mse)} values for {len(m_values)} values of M.")
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
    prob, deltas, rhos = np.asarray(prob), np.asarray(deltas), np.asarray(rhos)
    if prob.shape != (rhos.size, deltas.size):
        raise ValueError(f"prob must be (len(rhos), len(deltas)) = ({rhos.size}, {deltas.size}), got {prob.shape}.")
    if len(crossing) != deltas.size:
        raise ValueError(f"crossing needs one value per δ ({deltas.size}), got {len(crossing)}.")
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
    if not isinstance(sweep, dict) or not {"M", "worst", "q99", "bound"} <= set(sweep):
        raise TypeError("sweep must be the dict helpers.cs.jl_sweep returns (keys M, worst, q99, bound).")
    m = np.asarray(sweep["M"])
    bound = np.asarray(sweep["bound"], dtype=float)
    ax = fig.subplots()
    ax.loglog(m, sweep["worst"], "o-", label="worst pair")
    ax.loglog(m, sweep["q99"], "s-", label="99th percentile")
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
    if not isinstance(checks, dict) or not checks:
        raise TypeError("checks must be a non-empty dict {name: result of structured.taylor_test}.")
    ax = fig.subplots()
    for j, (name, res) in enumerate(checks.items()):
        if not {"h", "e0", "e1"} <= set(res):
            raise ValueError(f"checks[{name!r}] is not a taylor_test result (needs keys h, e0, e1).")
        ax.loglog(res["h"], res["e0"], "--", color=f"C{j}", label=f"{name}: zeroth order")
        ax.loglog(res["h"], res["e1"], "-", color=f"C{j}", label=f"{name}: first order")
    ax.set(xlabel="step h", ylabel="error", title=title)
    ax.legend(fontsize=7)
    return fig


def matrix_images(fig, matrices: dict):
    """Matrices side by side as images with a symmetric colour scale (title -> matrix, dense or sparse).

    Chapter "Parametric models and convolutions as structured matrices":
    Toeplitz against circulant.
    """
    if not isinstance(matrices, dict) or not matrices:
        raise TypeError("matrices must be a non-empty dict {title: matrix}.")
    axes = fig.subplots(1, len(matrices), squeeze=False)[0]
    for ax, (title, k) in zip(axes, matrices.items()):
        k = k.toarray() if hasattr(k, "toarray") else np.asarray(k)
        if k.ndim != 2:
            raise ValueError(f"{title!r} must be a 2-D matrix, got shape {k.shape}.")
        lim = np.abs(k).max()
        ax.imshow(k, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(title)
    return fig


def convolution_timing_curves(fig, timings: dict, image_sizes, kernel_sizes):
    """Milliseconds per convolution against kernel size, direct and FFT, one panel per library.

    ``timings`` is :func:`helpers.bench.convolution_timings`'s output; chapter
    "Parametric models and convolutions as structured matrices", section "Speed".
    """
    image_sizes, kernel_sizes = list(image_sizes), list(kernel_sizes)
    libs = ("torch", "scipy")
    for lib in libs:
        for kind in ("direct", "FFT"):
            arr = np.asarray(timings.get(f"{lib} {kind}"))
            if arr.shape != (len(image_sizes), len(kernel_sizes)):
                raise ValueError(
                    f"timings[{lib + ' ' + kind!r}] must be (image sizes, kernel sizes) = "
                    f"({len(image_sizes)}, {len(kernel_sizes)}), got {arr.shape}."
                )
    axes = fig.subplots(1, 2)
    for ax, lib in zip(axes, libs):
        for a, n in enumerate(image_sizes):
            ax.loglog(kernel_sizes, timings[f"{lib} direct"][a] * 1e3, "o-", color=f"C{a}", label=f"{n}² direct")
            ax.loglog(kernel_sizes, timings[f"{lib} FFT"][a] * 1e3, "s--", color=f"C{a}", label=f"{n}² FFT")
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

    if not isinstance(spectra, dict) or not spectra:
        raise TypeError("spectra must be a non-empty dict {label: singular values}.")
    fig, axes = plt.subplots(1, 2, figsize=figsize)
    for name, s in spectra.items():
        sv = np.asarray(s, dtype=float)
        if sv.ndim != 1 or sv.size == 0:
            raise ValueError(f"the singular values of {name!r} must be a non-empty 1-D array, got shape {sv.shape}.")
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


def relu_mask_growth(sizes, counts, *, channels: int = 8, report: tuple | None = None, figsize=(6.5, 3.4)):
    """Distinct ReLU activation masks against the number of patches drawn, with the 2^channels ceiling.

    Introduced in the chapter "Every convolutional layer is an SVD" ("ReLU
    regions"); ``sizes`` and ``counts`` come from
    :func:`helpers.conv_svd.relu_mask_counts`. ``report`` is an optional
    ``(patches, masks)`` point from the original report.
    """
    import matplotlib.pyplot as plt

    sizes, counts = list(sizes), list(counts)
    if not sizes or len(sizes) != len(counts):
        raise ValueError(f"need one count per sample size, got {len(counts)} counts for {len(sizes)} sizes.")
    possible = 2**channels
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

    coords = np.asarray(coords, dtype=float)
    if coords.ndim != 2 or coords.shape[1] == 0:
        raise ValueError(f"coords must be (components, patches), got shape {coords.shape}.")
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"every must be a positive integer, got {every!r}.")
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

    ef = np.asarray(eigenfilters.detach() if hasattr(eigenfilters, "detach") else eigenfilters, dtype=float)
    w = np.asarray(weights.detach() if hasattr(weights, "detach") else weights, dtype=float)
    s = np.asarray(singular_values, dtype=float)
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


def _sweep_arrays(sweep: dict, keys) -> list:
    if not isinstance(sweep, dict) or any(k not in sweep for k in keys):
        raise TypeError(f"sweep must be the dict that helpers.double_descent.sweep_widths returns (with {list(keys)}).")
    return [np.asarray(sweep[k]) for k in keys]


def double_descent_curves(ratio, sweep: dict, *, figsize=(12, 4)):
    """Squared error and classification error over N/n, test and training, without ridge or label noise.

    Introduced in the chapter "Over-parameterisation and double descent":
    ``sweep`` is :func:`helpers.double_descent.sweep_widths`, whose first
    ridge and noise level (λ = 0, clean labels) are drawn; ``ratio`` is N/n
    for its widths.
    """
    import matplotlib.pyplot as plt

    test_mse, train_mse, test_err, train_err = _sweep_arrays(sweep, ("test_mse", "train_mse", "test_err", "train_err"))
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

    sigma_min, norm = _sweep_arrays(sweep, ("sigma_min", "norm"))
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

    (test_mse,) = _sweep_arrays(sweep, ("test_mse",))
    ridges = list(ridges)
    if len(ridges) != test_mse.shape[2]:
        raise ValueError(f"the sweep has {test_mse.shape[2]} ridge strengths but {len(ridges)} were given.")
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

    (test_mse,) = _sweep_arrays(sweep, ("test_mse",))
    (tuned_mse,) = _sweep_arrays(tuned, ("test_mse",))
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

    rows = list(rows)
    if not rows or any(not {"parameters", "train_err", "test_err"} <= set(r) for r in rows):
        raise TypeError("rows must be the non-empty list of dicts that train_width_sweep returns.")
    if isinstance(n_train, bool) or not isinstance(n_train, int) or n_train < 1:
        raise ValueError(f"n_train must be a positive integer, got {n_train!r}.")
    params = np.array([r["parameters"] for r in rows]) / n_train
    fig, ax = plt.subplots(figsize=figsize)
    ax.plot(params, [100 * r["train_err"] for r in rows], "o-", label="training error (on noisy labels)")
    ax.plot(params, [100 * r["test_err"] for r in rows], "s-", label="test error (clean labels)")
    ax.set(xscale="log", xlabel="parameters / training examples", ylabel="error (%)")
    ax.set_title("TinyConvNet of growing width")
    ax.legend()
    return fig
