"""Every convolutional layer is an SVD: the analysis of trained conv layers.

Introduced in the chapter "Every convolutional layer is an SVD"; the low-rank
compression chapter reuses the one Conv2d validator :func:`check_conv`, the
weight → matrix reshape :func:`weight_matrix` and its inverse
:func:`weight_from_matrix`, and the truncated-SVD plumbing :func:`weight_svd`
and :func:`rank_k` (the rank and energy rules come from :mod:`helpers.svd`).

A convolution with C_in input channels, C_out filters of size kh x kw, stride
1, no padding and no dilation is a matrix W (C_out x C_in·kh·kw) applied to
every image patch p (a column of ``torch.nn.functional.unfold``). With the SVD
W = UΣVᵀ the layer reads, patch by patch,

    z = Vᵀp   (coordinates in the eigenfilter basis)
    s = σ ⊙ z (scaled by the singular values)
    y = U s (+ b)
    h = ReLU(y).

Every function checks what it is given (with :mod:`helpers.validate`) before
torch sees it: a layer that is not a Conv2d (a Linear, a transposed or 1-D
convolution), one with complex, NaN or uninitialised weights, or a setting the
analysis does not cover; images of the wrong channel count, size or dtype, or
with NaN; ranks out of range; SVD factors of another layer; bad dtypes and
device names. Each is refused with a ``TypeError``/``ValueError`` that names
the argument.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

import numpy as np
import torch
from torch import nn

from . import validate
from .svd import check_rank

__all__ = [
    "check_conv",
    "weight_matrix",
    "weight_from_matrix",
    "weight_svd",
    "rank_k",
    "layer_svd",
    "analytical_conv",
    "analytical_tinyconvnet",
    "patches",
    "relu_mask_counts",
    "truncated_weight",
    "eigenfilters",
    "forward_pass_errors",
    "forward_pass_table",
    "circular_conv_matrix",
    "operator_singular_values",
    "operator_norm",
    "jacobian_norms",
]

#: The dtypes an SVD can be computed in (torch.linalg.svd has no half precision).
_SVD_DTYPES = (torch.float32, torch.float64)
#: The dtypes a weight can be returned in.
_FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def _dtype(dtype, name: str = "dtype", options: tuple = _SVD_DTYPES) -> torch.dtype:
    """``dtype`` if it is one of the floating torch dtypes ``options``; never an integer or complex dtype."""
    listed = ", ".join(str(d) for d in options)
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"{name} must be a torch dtype ({listed}), got {validate.describe(dtype)}.")
    if dtype not in options:
        raise ValueError(f"{name} must be one of {listed}, got {dtype}.")
    return dtype


def _device(device, name: str = "device"):
    """``None`` (stay where the layer is) or a device that exists here, as a ``torch.device``."""
    if device is None:
        return None
    from .config import get_device

    if isinstance(device, str) and device.strip().lower() == "auto":
        return get_device("auto")
    if not isinstance(device, (str, torch.device)):
        raise TypeError(
            f"{name} must be a device name such as 'cpu' or 'cuda' (or None), got {validate.describe(device)}."
        )
    try:
        return get_device(device)
    except (TypeError, ValueError) as err:
        text = str(err)
        raise type(err)(text if name in text else f"{name}: {text}") from None


def _conv_layer(conv, name: str = "conv") -> nn.Conv2d:
    """``conv`` if it is an initialised Conv2d with real, finite weights (any stride, padding or groups)."""
    if isinstance(conv, nn.modules.conv._ConvTransposeNd):
        raise TypeError(
            f"{name} must be a torch.nn.Conv2d layer, got a transposed convolution ({type(conv).__name__}), "
            "which this analysis does not cover."
        )
    if not isinstance(conv, nn.Conv2d):
        raise TypeError(
            f"{name} must be a torch.nn.Conv2d layer, got {validate.describe(conv)}; pass e.g. model.conv1."
        )
    if isinstance(conv.weight, nn.parameter.UninitializedParameter):
        raise ValueError(
            f"{name} is a lazy layer whose weights are not initialised yet; run one batch through it first."
        )
    for label, p in (("weights", conv.weight), ("bias", conv.bias)):
        if p is None:
            continue
        if p.is_complex() or not p.is_floating_point():
            raise TypeError(f"{name} has {p.dtype} {label}; the analysis needs real floating-point weights.")
        if not bool(torch.isfinite(p.detach()).all()):
            raise ValueError(f"{name} has NaN or infinite {label}; there is no SVD to analyse.")
    return conv


def check_conv(conv, *, patches: bool = True) -> nn.Conv2d:
    """Refuse the Conv2d layers an analysis does not cover, with the reason and the fix.

    The book's one Conv2d validator. Every analysis needs groups=1 and no
    dilation (one matrix W, contiguous patches), and real, finite weights.

    Parameters
    ----------
    conv : torch.nn.Conv2d
    patches : bool
        ``True`` (this chapter's patch-matrix analysis, :func:`patches`,
        :func:`analytical_conv`): also stride 1 and no padding. ``False``
        (the factorizations of the chapter "Low-rank compression"): any
        stride and numeric zero padding, but no ``padding="same"`` and no
        padding mode other than ``"zeros"``.

    Raises
    ------
    TypeError
        If ``conv`` is not a ``torch.nn.Conv2d`` (a transposed convolution
        included) or has complex weights.
    ValueError
        If the layer has a setting the analysis does not cover, or NaN/infinite weights.
    """
    return _check_conv(conv, validate.boolean(patches, "patches"))


def _check_conv(conv, patches: bool, name: str = "conv") -> nn.Conv2d:
    """:func:`check_conv` for a layer the reader knows by ``name`` (e.g. ``model.conv1``)."""
    _conv_layer(conv, name)
    unsupported = []
    if patches and tuple(conv.stride) != (1, 1):
        unsupported.append(f"stride={tuple(conv.stride)}")
    if patches and conv.padding not in ((0, 0), "valid"):
        unsupported.append(f"padding={conv.padding}")
    if tuple(conv.dilation) != (1, 1):
        unsupported.append(f"dilation={tuple(conv.dilation)}")
    if conv.groups != 1:
        unsupported.append(f"groups={conv.groups}")
    if not patches and isinstance(conv.padding, str) and conv.padding != "valid":
        unsupported.append(f"padding={conv.padding!r}")
    if not patches and conv.padding_mode != "zeros":
        unsupported.append(f"padding_mode={conv.padding_mode!r}")
    if unsupported and patches:
        raise ValueError(
            f"this analysis covers stride 1, no padding, no dilation and groups=1; the layer {name} has "
            f"{', '.join(unsupported)}. (Padding and stride change which patches exist, not W: "
            "apply F.pad/slicing to the input or output yourself and use weight_matrix().)"
        )
    if unsupported:
        raise ValueError(
            f"the low-rank factorization covers ordinary convolutions (groups=1, no dilation, numeric "
            f"zero padding); the layer {name} has {', '.join(unsupported)}. A grouped convolution is one matrix "
            "per group: factorize each group's weights separately."
        )
    return conv


def _factors(u, s, vt, names: tuple[str, str, str] = ("u", "s", "vt")):
    """Thin SVD factors (m x r, r, r x n) as tensors of one dtype on one device, checked."""
    u = validate.tensor(u, names[0], ndim=2)
    s = validate.tensor(s, names[1], ndim=1)
    vt = validate.tensor(vt, names[2], ndim=2)
    together = f"{names[0]}, {names[1]} and {names[2]}"
    if u.shape[1] != s.shape[0] or vt.shape[0] != s.shape[0]:
        raise ValueError(
            f"{together} must be thin SVD factors of shapes (m, r), (r,) and (r, n), got "
            f"{tuple(u.shape)}, {tuple(s.shape)} and {tuple(vt.shape)}."
        )
    if len({u.device, s.device, vt.device}) > 1:
        raise ValueError(f"{together} must be on one device, got {u.device}, {s.device} and {vt.device}.")
    if bool((s < 0).any()) or bool((s[1:] > s[:-1]).any()):
        raise ValueError(
            f"{names[1]} must hold singular values, non-negative and in decreasing order (as torch.linalg.svd gives)."
        )
    dt = torch.promote_types(torch.promote_types(u.dtype, s.dtype), vt.dtype)
    return u.to(dt), s.to(dt), vt.to(dt)


def _check_svd(svd, conv: nn.Conv2d, name: str = "svd") -> dict:
    """``svd`` if it is :func:`layer_svd` of ``conv`` (or a truncation of it): U, S, Vt that fit the layer."""
    if not isinstance(svd, dict) or not all(key in svd for key in ("U", "S", "Vt")):
        given = f"a dict with keys {sorted(map(str, svd))}" if isinstance(svd, dict) else validate.describe(svd)
        raise TypeError(f"{name} must be the dict layer_svd(conv) returns (with U, S and Vt), got {given}.")
    u, s, vt = _factors(svd["U"], svd["S"], svd["Vt"], (f"{name}['U']", f"{name}['S']", f"{name}['Vt']"))
    per_filter = conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1]
    if u.shape[0] != conv.out_channels or vt.shape[1] != per_filter:
        raise ValueError(
            f"{name} does not belong to this layer: it factors a {u.shape[0]} x {vt.shape[1]} matrix, the layer's W "
            f"is {conv.out_channels} x {per_filter}; pass layer_svd of the same layer."
        )
    return {**svd, "U": u, "S": s, "Vt": vt}


def _images(x, conv: nn.Conv2d, name: str = "x", size=None) -> torch.Tensor:
    """A finite floating (N, C_in, H, W) batch that the layer's kernel fits (no padding)."""
    x = validate.image_batch(x, name, channels=conv.in_channels, size=size)
    kh, kw = conv.kernel_size
    if x.shape[2] < kh or x.shape[3] < kw:
        raise ValueError(
            f"{name} has {x.shape[2]} x {x.shape[3]} images, smaller than the layer's {kh} x {kw} kernel: "
            "there are no patches."
        )
    if x.is_complex() or not bool(torch.isfinite(x.detach()).all()):
        raise ValueError(f"{name} contains NaN or infinite values; clean the images first.")
    return x


def weight_matrix(conv: nn.Conv2d, dtype=torch.float64, *, patches: bool = True, device=None) -> torch.Tensor:
    """The layer as a C_out x (C_in·kh·kw) matrix, in ``unfold``'s column order.

    The book's one conv weight → matrix reshape; :func:`weight_from_matrix`
    is its inverse. ``patches`` is passed to :func:`check_conv`. The matrix
    stays on the layer's device unless ``device`` is given. ``dtype`` is a
    floating torch dtype.
    """
    check_conv(conv, patches=patches)
    dtype = _dtype(dtype, options=_FLOAT_DTYPES)
    device = _device(device)
    w = conv.weight.detach().to(dtype).reshape(conv.out_channels, -1)
    return w if device is None else w.to(device)


def weight_from_matrix(matrix: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
    """The inverse of :func:`weight_matrix`: rows of a (r x C_in·kh·kw) matrix as r filters (r, C_in, kh, kw).

    With r = C_out this is a weight for ``conv``; with the rows of Vᵀ it gives
    the eigenfilters, or the first convolution of a factorized layer.
    """
    _conv_layer(conv)
    matrix = validate.tensor(matrix, "matrix", ndim=2)
    per_filter = conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1]
    if matrix.shape[1] != per_filter:
        raise ValueError(
            f"matrix must have C_in·kh·kw = {per_filter} columns for this layer, got shape {tuple(matrix.shape)}."
        )
    return matrix.reshape(-1, conv.in_channels, *conv.kernel_size)


def weight_svd(conv: nn.Conv2d, dtype=torch.float64, *, patches: bool = True, device=None):
    """``(W, U, S, Vt)``: the layer's weight matrix and its thin SVD W = U diag(S) Vt, in ``dtype``.

    The book's one truncated-SVD plumbing for conv layers, with
    :func:`rank_k` and :func:`weight_from_matrix`; ``patches`` and ``device``
    as in :func:`weight_matrix`; ``dtype`` is torch.float32 or torch.float64.
    """
    dtype = _dtype(dtype)
    w = weight_matrix(conv, dtype, patches=patches, device=device)
    u, s, vt = torch.linalg.svd(w, full_matrices=False)
    return w, u, s, vt


def rank_k(u: torch.Tensor, s: torch.Tensor, vt: torch.Tensor, k: int) -> torch.Tensor:
    """The truncated SVD U_k Σ_k V_kᵀ from thin SVD factors (k = len(s) gives back W)."""
    u, s, vt = _factors(u, s, vt)
    k = check_rank(k, len(s), "the number of singular values in s")
    return (u[:, :k] * s[:k]) @ vt[:k]


def layer_svd(conv: nn.Conv2d, dtype=torch.float64) -> dict:
    """SVD of a conv layer's weight matrix.

    Returns
    -------
    dict
        ``W``, ``U`` (C_out x r), ``S`` (r,), ``Vt`` (r x C_in·kh·kw) with
        r = min(C_out, C_in·kh·kw), and the reconstruction error
        ``max|W − UΣVᵀ|``.
    """
    w, u, s, vt = weight_svd(conv, dtype)
    err = float((rank_k(u, s, vt, len(s)) - w).abs().max())
    return {"W": w, "U": u, "S": s, "Vt": vt, "error": err}


def patches(x: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
    """im2col: the (N, C_in·kh·kw, L) patch columns that ``conv`` sees."""
    check_conv(conv)
    x = _images(x, conv)
    return nn.functional.unfold(x, conv.kernel_size)


def analytical_conv(
    x: torch.Tensor, conv: nn.Conv2d, svd: dict | None = None, relu: bool = False, return_coords: bool = False
):
    """The layer's output computed in SVD coordinates over im2col patches.

    Parameters
    ----------
    x : (N, C_in, H, W) tensor
    conv : the layer (a bias, if present, is added to y)
    svd : the result of :func:`layer_svd` (computed in ``x``'s dtype if omitted)
    relu : apply the ReLU
    return_coords : also return z = Vᵀp, shape (N, r, L)
    """
    check_conv(conv)
    relu = validate.boolean(relu, "relu")
    return_coords = validate.boolean(return_coords, "return_coords")
    x = _images(x, conv)
    if svd is None:
        svd = layer_svd(conv, x.dtype if x.dtype in _SVD_DTYPES else torch.float64)
    svd = _check_svd(svd, conv)
    p = patches(x, conv)
    dt = x.dtype
    u, s, vt = (svd[key].to(x.device, dt) for key in ("U", "S", "Vt"))
    z = vt @ p  # (N, r, L)
    y = u @ (s[:, None] * z)  # (N, C_out, L)
    if conv.bias is not None:
        y = y + conv.bias.detach().to(x.device, dt)[:, None]
    h_out = x.shape[2] - conv.kernel_size[0] + 1
    w_out = x.shape[3] - conv.kernel_size[1] + 1
    y = y.reshape(x.shape[0], conv.out_channels, h_out, w_out)
    if relu:
        y = torch.relu(y)
    return (y, z) if return_coords else y


def _check_tinyconvnet(model, name: str = "model"):
    """``model`` if it has conv1 and conv2 (Conv2d), pool and fc (Linear), as TinyConvNet does."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"{name} must be a TinyConvNet (a torch.nn.Module), got {validate.describe(model)}.")
    kinds = {"conv1": nn.Conv2d, "conv2": nn.Conv2d, "pool": nn.Module, "fc": nn.Linear}
    for part, kind in kinds.items():
        if not isinstance(getattr(model, part, None), kind):
            raise TypeError(
                f"{name} must be a TinyConvNet (with {part}, a {kind.__name__}); got {type(model).__name__}."
            )
    _check_conv(model.conv1, True, f"{name}.conv1")
    _check_conv(model.conv2, True, f"{name}.conv2")
    return model


def _model_images(model, x, name: str = "x") -> torch.Tensor:
    """A batch for a TinyConvNet-like model: its channels, 28 x 28 for a TinyConvNet, finite."""
    from .models import TinyConvNet

    return _images(x, model.conv1, name, size=28 if isinstance(model, TinyConvNet) else None)


def _svd_pair(svds, model, name: str = "svds"):
    if not isinstance(svds, (tuple, list)) or len(svds) != 2 or not all(isinstance(s, dict) for s in svds):
        raise TypeError(f"{name} must be the pair (layer_svd(model.conv1), layer_svd(model.conv2)).")
    return (
        _check_svd(svds[0], model.conv1, f"{name}[0]"),
        _check_svd(svds[1], model.conv2, f"{name}[1]"),
    )


def analytical_tinyconvnet(model, x: torch.Tensor, svds: tuple | None = None) -> torch.Tensor:
    """TinyConvNet's logits with both conv layers computed analytically (SVD coordinates)."""
    _check_tinyconvnet(model)
    x = _model_images(model, x)
    if svds is None:
        dt = x.dtype if x.dtype in _SVD_DTYPES else torch.float64
        svds = (layer_svd(model.conv1, dt), layer_svd(model.conv2, dt))
    s1, s2 = _svd_pair(svds, model)
    h = model.pool(analytical_conv(x, model.conv1, s1, relu=True))
    if h.shape[2] < model.conv2.kernel_size[0] or h.shape[3] < model.conv2.kernel_size[1]:
        raise ValueError(f"x has {x.shape[2]} x {x.shape[3]} images, too small for this model's conv2.")
    h = model.pool(analytical_conv(h, model.conv2, s2, relu=True))
    if h[0].numel() != model.fc.in_features:
        raise ValueError(
            f"x has {x.shape[2]} x {x.shape[3]} images, which give {h[0].numel()} features, but model.fc takes "
            f"{model.fc.in_features}: use images of the size the model was built for (28 x 28 for TinyConvNet)."
        )
    fc_w, fc_b = model.fc.weight.detach().to(x.device, x.dtype), model.fc.bias
    out = h.flatten(1) @ fc_w.T
    return out if fc_b is None else out + fc_b.detach().to(x.device, x.dtype)


def _sample_sizes(sizes, name: str = "sizes") -> list[int]:
    if isinstance(sizes, torch.Tensor):
        sizes = sizes.tolist()
    if isinstance(sizes, np.ndarray):
        sizes = sizes.tolist() if sizes.ndim else [sizes.item()]
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Iterable):
        raise TypeError(f"{name} must be a list of sample sizes such as [100, 1000], got {validate.describe(sizes)}.")
    sizes = [validate.integer(n, f"each sample size in {name}", low=1) for n in sizes]
    if not sizes:
        raise ValueError(f"{name} is empty: give at least one sample size.")
    return sizes


def relu_mask_counts(conv: nn.Conv2d, x: torch.Tensor, sizes, seed: int = 0) -> list[int]:
    """Number of distinct ReLU activation patterns 1[Wp + b > 0] among random patches.

    Patches are drawn without replacement from all patches of ``x``; for each
    sample size in ``sizes`` the count of distinct masks is returned (at most
    2^C_out). The samples are nested, so the counts never decrease.
    """
    sizes = _sample_sizes(sizes)
    seed = validate.integer(seed, "seed", low=0)
    p = patches(x, conv).transpose(1, 2).reshape(-1, conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1])
    if max(sizes) > p.shape[0]:
        raise ValueError(f"sample sizes must be between 1 and the {p.shape[0]:,} available patches, got sizes={sizes}.")
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(p.shape[0], generator=gen)[: max(sizes)].to(p.device)
    w = weight_matrix(conv, p.dtype, device=p.device)
    pre = p[order] @ w.T
    if conv.bias is not None:
        pre = pre + conv.bias.detach().to(p.device, p.dtype)
    # distinct rows of the 0/1 mask matrix, exact for any number of filters (no packing into an integer)
    bits = (pre > 0).to(torch.uint8)
    return [int(torch.unique(bits[:n], dim=0).shape[0]) for n in sizes]


def truncated_weight(conv: nn.Conv2d, k: int, dtype=torch.float32) -> torch.Tensor:
    """The conv weight with W replaced by its best rank-k approximation (same shape as conv.weight)."""
    dtype = _dtype(dtype, options=_FLOAT_DTYPES)
    svd = layer_svd(conv)
    if float(svd["S"][0]) == 0.0:
        raise ValueError("conv's weights are all zero (rank 0): there is no rank-k approximation to take.")
    rank = int((svd["S"] > svd["S"][0] * max(svd["W"].shape) * torch.finfo(torch.float64).eps).sum())
    m, n = svd["W"].shape
    k = check_rank(k, rank, f"the weight matrix's rank (a {m} x {n} matrix)")
    return weight_from_matrix(rank_k(svd["U"], svd["S"], svd["Vt"], k), conv).to(dtype)


def eigenfilters(conv: nn.Conv2d) -> torch.Tensor:
    """Rows of Vᵀ reshaped as filters: (r, C_in, kh, kw)."""
    return weight_from_matrix(layer_svd(conv)["Vt"], conv)


#: The dtypes :func:`forward_pass_errors` compares, by the tag its results use.
_DTYPE_TAGS = {torch.float32: "32", torch.float64: "64"}


def forward_pass_errors(model, x: torch.Tensor, svds: tuple, dtypes=(torch.float32, torch.float64)) -> dict:
    """How far TinyConvNet computed in SVD coordinates is from PyTorch's forward pass.

    The check of the chapter "Every convolutional layer is an SVD": for each
    dtype the model and the input are cast to it, the SVD factors (computed
    once, in float64) are rounded to it, as a network stored in that dtype
    would hold them, and three outputs are compared: layer 1
    (:func:`analytical_conv` against ``conv1``), layer 2 (on PyTorch's pooled
    layer-1 activations) and the logits (:func:`analytical_tinyconvnet`
    against the model). The yardstick is PyTorch's own float64 forward pass.
    The model itself is not changed.

    Parameters
    ----------
    model : TinyConvNet
        Any module with ``conv1``, ``conv2``, ``pool`` and ``fc`` as in
        :class:`helpers.models.TinyConvNet`.
    x : tensor (N, C_in, H, W)
        The input images.
    svds : tuple of two dicts
        :func:`layer_svd` of ``model.conv1`` and ``model.conv2``.
    dtypes : sequence of torch dtypes
        Among ``torch.float32`` and ``torch.float64``.

    Returns
    -------
    dict
        ``weights``: {tag: [max|W1 − UΣVᵀ|, max|W2 − UΣVᵀ|]} with the factors
        in that dtype, tag ``"32"`` or ``"64"``; ``outputs``: {(output, tag):
        {"abs", "rel", "own"}} for output ``"layer 1"``, ``"layer 2"``,
        ``"logits"``: max|analytical − PyTorch|, the same divided by the
        largest float64 output, and PyTorch's own error in that dtype against
        float64, divided likewise.
    """
    _check_tinyconvnet(model)
    x = _model_images(model, x)
    device = next(model.parameters()).device
    if x.device != device:
        raise ValueError(f"x is on {x.device} but the model is on {device}; move it with x.to({str(device)!r}).")
    svd1, svd2 = _svd_pair(svds, model)
    for i, s in enumerate((svd1, svd2)):
        w = s.get("W")
        if not isinstance(w, torch.Tensor) or tuple(w.shape) != (s["U"].shape[0], s["Vt"].shape[1]):
            raise TypeError(
                f"svds[{i}] must hold the weight matrix W as layer_svd returns it, got {validate.describe(w)}."
            )
    if isinstance(dtypes, (torch.dtype, str, bytes)) or not isinstance(dtypes, Iterable):
        raise TypeError(
            f"dtypes must be a sequence of torch dtypes such as (torch.float32, torch.float64), "
            f"got {validate.describe(dtypes)}."
        )
    dtypes = list(dtypes)
    unknown = [d for d in dtypes if not isinstance(d, torch.dtype) or d not in _DTYPE_TAGS]
    if unknown or not dtypes:
        raise ValueError(f"dtypes must be among torch.float32 and torch.float64, got {dtypes}.")
    m64 = copy.deepcopy(model).double().eval()
    x64 = x.double()
    with torch.no_grad():
        truth = {"layer 1": m64.conv1(x64)}
        truth["layer 2"] = m64.conv2(m64.pool(torch.relu(m64.conv1(x64))))
        truth["logits"] = m64(x64)
    out = {"weights": {}, "outputs": {}}
    for dtype in dtypes:
        tag = _DTYPE_TAGS[dtype]
        m = copy.deepcopy(model).to(dtype).eval()
        xd = x.to(dtype)
        out["weights"][tag] = [
            float(
                (rank_k(s["U"].to(dtype), s["S"].to(dtype), s["Vt"].to(dtype), len(s["S"])) - s["W"].to(dtype))
                .abs()
                .max()
            )
            for s in (svd1, svd2)
        ]
        with torch.no_grad():
            h1 = m.pool(torch.relu(m.conv1(xd)))
            ana = {
                "layer 1": analytical_conv(xd, m.conv1, svd1),
                "layer 2": analytical_conv(h1, m.conv2, svd2),
                "logits": analytical_tinyconvnet(m, xd, (svd1, svd2)),
            }
            ref = {"layer 1": m.conv1(xd), "layer 2": m.conv2(h1), "logits": m(xd)}
        for key in ana:
            scale = float(truth[key].abs().max())
            gap = float((ana[key] - ref[key]).abs().max())
            own = float((ref[key].double() - truth[key]).abs().max())
            out["outputs"][key, tag] = {"abs": gap, "rel": gap / scale, "own": own / scale}
    return out


def forward_pass_table(errors: dict) -> str:
    """The result of :func:`forward_pass_errors` as a text table, one row per output and dtype."""
    if not isinstance(errors, dict) or not isinstance(errors.get("outputs"), dict) or not errors["outputs"]:
        raise TypeError(f"errors must be the dict that forward_pass_errors returns, got {validate.describe(errors)}.")
    for key, row in errors["outputs"].items():
        if not (isinstance(key, tuple) and len(key) == 2 and all(isinstance(part, str) for part in key)):
            raise TypeError(f"errors['outputs'] must be keyed by (output, dtype tag) pairs, got the key {key!r}.")
        if not isinstance(row, dict) or not all(col in row for col in ("abs", "rel", "own")):
            raise TypeError(f"errors['outputs'][{key!r}] must be a dict with 'abs', 'rel' and 'own', got {row!r}.")
        for col in ("abs", "rel", "own"):
            validate.real(row[col], f"errors['outputs'][{key!r}][{col!r}]", low=0.0, finite=False)
    lines = [
        f"{'':<9}{'dtype':>8}{'max |analytical − PyTorch|':>28}{'relative to max|output|':>26}"
        f"{'PyTorch itself vs float64':>28}"
    ]
    for (key, tag), row in errors["outputs"].items():
        lines.append(f"{key:<9}{'float' + tag:>8}{row['abs']:>28.1e}{row['rel']:>26.1e}{row['own']:>28.1e}")
    return "\n".join(lines)


# ------------------------------------------------- the layer as an operator on images


def _kernel(weight, name: str = "weight") -> torch.Tensor:
    """A layer's 4-D kernel (c_out, c_in, kh, kw) in float64, from a Conv2d or the tensor itself."""
    if isinstance(weight, nn.Module):
        conv = _conv_layer(weight, name)
        if conv.groups != 1 or conv.dilation != (1, 1) or conv.stride != (1, 1):
            raise ValueError(
                f"{name} must have groups=1, dilation 1 and stride 1 for the FFT route, got groups={conv.groups}, "
                f"dilation={conv.dilation}, stride={conv.stride}."
            )
        weight = conv.weight
    w = validate.tensor(weight, name, ndim=4)
    return w.detach().to("cpu", torch.float64)


def _image_size(n, w: torch.Tensor, name: str = "n") -> int:
    n = validate.positive_int(n, f"{name} (the image size)")
    if n < max(w.shape[2:]):
        raise ValueError(
            f"{name} (the image size) must be at least the kernel size {tuple(w.shape[2:])}, got {n}: "
            "a circular convolution wraps a kernel around the image only once."
        )
    return n


def circular_conv_matrix(weight, n: int) -> torch.Tensor:
    """The layer as one dense matrix on n x n images with circular (periodic) padding, in float64.

    Column ``j`` is the layer's output, flattened, for the ``j``-th unit
    image (channel-major, then rows, then columns), so the matrix has shape
    ``(c_out·n², c_in·n²)``. Built by applying ``conv2d`` to every unit image:
    for checking the FFT route on small sizes, not for large layers.
    """
    w = _kernel(weight)
    n = _image_size(n, w)
    c_out, c_in, kh, kw = w.shape
    if c_in * n * n > 20_000:
        raise ValueError(
            f"n (the image size) = {n} gives a dense matrix with {c_in * n * n:,} columns, too large to build; "
            "use a smaller n, or operator_singular_values, which never forms it."
        )
    basis = torch.eye(c_in * n * n, dtype=torch.float64).reshape(-1, c_in, n, n)
    top, left = (kh - 1) // 2, (kw - 1) // 2
    padded = nn.functional.pad(basis, (left, kw - 1 - left, top, kh - 1 - top), mode="circular")
    return nn.functional.conv2d(padded, w).reshape(c_in * n * n, c_out * n * n).T


def operator_singular_values(weight, n: int) -> torch.Tensor:
    """All singular values of the layer as a linear map on n x n images with circular padding, largest first.

    Sedghi, Gupta & Long (ICLR 2019): the 2-D DFT block-diagonalises the
    layer into one ``c_out x c_in`` matrix K̂(ω) per frequency ω, the FFT of
    the kernel zero-padded to n x n; the layer's singular values are theirs,
    ``n² · min(c_out, c_in)`` in all. ``weight`` is a Conv2d (stride 1,
    groups 1, no dilation) or its 4-D weight tensor.
    """
    w = _kernel(weight)
    n = _image_size(n, w)
    k_hat = torch.fft.fft2(w, s=(n, n))  # (c_out, c_in, n, n): K̂(ω) for every frequency ω
    per_frequency = torch.linalg.svdvals(k_hat.permute(2, 3, 0, 1))  # (n, n, min(c_out, c_in))
    return per_frequency.flatten().sort(descending=True).values


def operator_norm(conv, input_shape, *, tol: float = 1e-10) -> float:
    """The spectral norm ‖A‖₂ of a Conv2d layer with its own padding and stride (bias left out).

    ``A`` is the layer as a linear map on inputs of shape ``input_shape`` =
    (C, H, W). It is never formed: ``conv2d`` gives A v and its adjoint Aᵀy
    (``conv_transpose2d``) comes from autograd. Power iteration on AᵀA
    converges slowly when the top two singular values are close, so the
    largest one is found by its Krylov-subspace refinement, Lanczos
    (ARPACK, through ``scipy.sparse.linalg.svds``), in float64 to relative
    accuracy ``tol``.
    """
    from scipy.sparse.linalg import LinearOperator, svds

    conv = _conv_layer(conv)
    input_shape = validate.shape(input_shape, "input_shape", length=3, what="image shape (C, H, W)")
    if input_shape[0] != conv.in_channels:
        raise ValueError(f"input_shape has {input_shape[0]} channels but the layer takes {conv.in_channels}.")
    tol = validate.real(tol, "tol", low=0, low_open=True, high=1e-2)
    w = conv.weight.detach().to("cpu", torch.float64)

    def forward(v):
        return nn.functional.conv2d(v, w, None, conv.stride, conv.padding, conv.dilation, conv.groups)

    try:
        out_shape = forward(torch.zeros(1, *input_shape, dtype=torch.float64)).shape[1:]
    except RuntimeError:
        raise ValueError(f"input_shape {input_shape} is too small for the layer's kernel {conv.kernel_size}.") from None
    n_in, n_out = int(np.prod(input_shape)), int(np.prod(out_shape))
    if min(n_in, n_out) < 2:
        raise ValueError(f"input_shape {input_shape} gives a {n_out} x {n_in} operator; use larger images.")

    def matvec(v):
        return forward(torch.from_numpy(np.ascontiguousarray(v, dtype=np.float64)).reshape(1, *input_shape)).ravel()

    def rmatvec(y):
        v = torch.zeros(1, *input_shape, dtype=torch.float64, requires_grad=True)
        y = torch.from_numpy(np.ascontiguousarray(y, dtype=np.float64)).reshape(1, *out_shape)
        (adjoint,) = torch.autograd.grad(forward(v), v, grad_outputs=y)  # Aᵀy: A is linear
        return adjoint.ravel()

    op = LinearOperator(
        (n_out, n_in),
        matvec=lambda v: matvec(v).numpy(),
        rmatvec=lambda y: rmatvec(y).numpy(),
        dtype=np.float64,
    )
    rng = np.random.default_rng(0)
    top = svds(op, k=1, tol=tol, return_singular_vectors=False, v0=rng.standard_normal(min(n_in, n_out)))
    return float(top[0])


def jacobian_norms(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """‖J(x)‖₂, the spectral norm of the Jacobian of the logits with respect to each input image.

    One backward pass per output (the images are independent, so each pass
    gives that row of every image's Jacobian); then the largest singular
    value of each (outputs x pixels) Jacobian. A network of ReLU, max-pooling
    and linear layers is linear near almost every x, so each value is a lower
    bound on its Lipschitz constant.
    """
    model = validate.module(model)
    x = validate.tensor(x, "x", ndim=4)
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        out = model(x)
        if out.dim() != 2:
            raise ValueError(f"model must return logits of shape (N, classes), got shape {tuple(out.shape)}.")
        rows = [
            torch.autograd.grad(out[:, k].sum(), x, retain_graph=k < out.shape[1] - 1)[0].flatten(1)
            for k in range(out.shape[1])
        ]
    jac = torch.stack(rows, dim=1).double()  # (N, classes, pixels)
    return torch.linalg.matrix_norm(jac, ord=2)
