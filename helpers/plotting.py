"""Figures shared by several chapters.

Introduced in the chapter "The datasets". Functions return the Matplotlib
figure so a chapter can save or further annotate it.
"""

from __future__ import annotations

import numpy as np
import torch

from .data import ImageData

__all__ = ["to_display", "image_grid", "class_count_bars", "compression_view", "denoising_view", "reconstruction_view"]


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
    from .conv_svd import analytical_conv

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
    filt = svd["Vt"][i].reshape(conv.in_channels, *conv.kernel_size).numpy()
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
