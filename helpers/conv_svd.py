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
"""

from __future__ import annotations

import copy

import torch
from torch import nn

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
]


def check_conv(conv, *, patches: bool = True) -> nn.Conv2d:
    """Refuse the Conv2d layers an analysis does not cover, with the reason and the fix.

    The book's one Conv2d validator. Every analysis needs groups=1 and no
    dilation (one matrix W, contiguous patches).

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
        If ``conv`` is not a ``torch.nn.Conv2d``.
    ValueError
        If the layer has a setting the analysis does not cover.
    """
    if not isinstance(conv, nn.Conv2d):
        raise TypeError(f"expected a torch.nn.Conv2d layer, got {type(conv).__name__}; pass e.g. model.conv1.")
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
            f"this analysis covers stride 1, no padding, no dilation and groups=1; the layer has "
            f"{', '.join(unsupported)}. (Padding and stride change which patches exist, not W: "
            "apply F.pad/slicing to the input or output yourself and use weight_matrix().)"
        )
    if unsupported:
        raise ValueError(
            f"the low-rank factorization covers ordinary convolutions (groups=1, no dilation, numeric "
            f"zero padding); this layer has {', '.join(unsupported)}. A grouped convolution is one matrix "
            "per group: factorize each group's weights separately."
        )
    return conv


def weight_matrix(conv: nn.Conv2d, dtype=torch.float64, *, patches: bool = True, device=None) -> torch.Tensor:
    """The layer as a C_out x (C_in·kh·kw) matrix, in ``unfold``'s column order.

    The book's one conv weight → matrix reshape; :func:`weight_from_matrix`
    is its inverse. ``patches`` is passed to :func:`check_conv`. The matrix
    stays on the layer's device unless ``device`` is given.
    """
    check_conv(conv, patches=patches)
    w = conv.weight.detach().to(dtype).reshape(conv.out_channels, -1)
    return w if device is None else w.to(device)


def weight_from_matrix(matrix: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
    """The inverse of :func:`weight_matrix`: rows of a (r x C_in·kh·kw) matrix as r filters (r, C_in, kh, kw).

    With r = C_out this is a weight for ``conv``; with the rows of Vᵀ it gives
    the eigenfilters, or the first convolution of a factorized layer.
    """
    per_filter = conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1]
    if matrix.dim() != 2 or matrix.shape[1] != per_filter:
        raise ValueError(
            f"expected a matrix with C_in·kh·kw = {per_filter} columns for this layer, got shape {tuple(matrix.shape)}."
        )
    return matrix.reshape(-1, conv.in_channels, *conv.kernel_size)


def weight_svd(conv: nn.Conv2d, dtype=torch.float64, *, patches: bool = True, device=None):
    """``(W, U, S, Vt)``: the layer's weight matrix and its thin SVD W = U diag(S) Vt, in ``dtype``.

    The book's one truncated-SVD plumbing for conv layers, with
    :func:`rank_k` and :func:`weight_from_matrix`; ``patches`` and ``device``
    as in :func:`weight_matrix`.
    """
    w = weight_matrix(conv, dtype, patches=patches, device=device)
    u, s, vt = torch.linalg.svd(w, full_matrices=False)
    return w, u, s, vt


def rank_k(u: torch.Tensor, s: torch.Tensor, vt: torch.Tensor, k: int) -> torch.Tensor:
    """The truncated SVD U_k Σ_k V_kᵀ from thin SVD factors (k = len(s) gives back W)."""
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
    if x.dim() != 4 or x.shape[1] != conv.in_channels:
        raise ValueError(f"input must be (N, {conv.in_channels}, H, W) for this layer, got {tuple(x.shape)}.")
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
    if svd is None:
        svd = layer_svd(conv, x.dtype)
    p = patches(x, conv)
    dt = x.dtype
    u, s, vt = svd["U"].to(dt), svd["S"].to(dt), svd["Vt"].to(dt)
    z = vt @ p  # (N, r, L)
    y = u @ (s[:, None] * z)  # (N, C_out, L)
    if conv.bias is not None:
        y = y + conv.bias.detach().to(dt)[:, None]
    h_out = x.shape[2] - conv.kernel_size[0] + 1
    w_out = x.shape[3] - conv.kernel_size[1] + 1
    y = y.reshape(x.shape[0], conv.out_channels, h_out, w_out)
    if relu:
        y = torch.relu(y)
    return (y, z) if return_coords else y


def _check_tinyconvnet(model):
    for name in ("conv1", "conv2", "pool", "fc"):
        if not hasattr(model, name):
            raise TypeError(f"expected a TinyConvNet (with {name}); got {type(model).__name__}.")


def analytical_tinyconvnet(model, x: torch.Tensor, svds: tuple | None = None) -> torch.Tensor:
    """TinyConvNet's logits with both conv layers computed analytically (SVD coordinates)."""
    _check_tinyconvnet(model)
    s1, s2 = svds if svds is not None else (layer_svd(model.conv1, x.dtype), layer_svd(model.conv2, x.dtype))
    h = model.pool(analytical_conv(x, model.conv1, s1, relu=True))
    h = model.pool(analytical_conv(h, model.conv2, s2, relu=True))
    fc_w, fc_b = model.fc.weight.detach().to(x.dtype), model.fc.bias.detach().to(x.dtype)
    return h.flatten(1) @ fc_w.T + fc_b


def relu_mask_counts(conv: nn.Conv2d, x: torch.Tensor, sizes, seed: int = 0) -> list[int]:
    """Number of distinct ReLU activation patterns 1[Wp + b > 0] among random patches.

    Patches are drawn without replacement from all patches of ``x``; for each
    sample size in ``sizes`` the count of distinct masks is returned (at most
    2^C_out). The samples are nested, so the counts never decrease.
    """
    p = patches(x, conv).transpose(1, 2).reshape(-1, conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1])
    sizes = [int(n) for n in sizes]
    if not sizes or min(sizes) < 1 or max(sizes) > p.shape[0]:
        raise ValueError(f"sample sizes must be between 1 and the {p.shape[0]:,} available patches, got {sizes}.")
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(p.shape[0], generator=gen)[: max(sizes)]
    w = weight_matrix(conv, p.dtype)
    pre = p[order] @ w.T
    if conv.bias is not None:
        pre = pre + conv.bias.detach().to(p.dtype)
    # distinct rows of the 0/1 mask matrix, exact for any number of filters (no packing into an integer)
    bits = (pre > 0).to(torch.uint8)
    return [int(torch.unique(bits[:n], dim=0).shape[0]) for n in sizes]


def truncated_weight(conv: nn.Conv2d, k: int, dtype=torch.float32) -> torch.Tensor:
    """The conv weight with W replaced by its best rank-k approximation (same shape as conv.weight)."""
    svd = layer_svd(conv)
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
    if not isinstance(svds, (tuple, list)) or len(svds) != 2 or not all(isinstance(s, dict) for s in svds):
        raise TypeError("svds must be the pair (layer_svd(model.conv1), layer_svd(model.conv2)).")
    unknown = [d for d in dtypes if d not in _DTYPE_TAGS]
    if unknown or not dtypes:
        raise ValueError(f"dtypes must be among torch.float32 and torch.float64, got {list(dtypes)}.")
    svd1, svd2 = svds
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
    if not isinstance(errors, dict) or "outputs" not in errors:
        raise TypeError("pass the dict that forward_pass_errors returns.")
    lines = [
        f"{'':<9}{'dtype':>8}{'max |analytical − PyTorch|':>28}{'relative to max|output|':>26}"
        f"{'PyTorch itself vs float64':>28}"
    ]
    for (key, tag), row in errors["outputs"].items():
        lines.append(f"{key:<9}{'float' + tag:>8}{row['abs']:>28.1e}{row['rel']:>26.1e}{row['own']:>28.1e}")
    return "\n".join(lines)
