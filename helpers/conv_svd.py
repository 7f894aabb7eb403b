"""Every convolutional layer is an SVD: the analysis of trained conv layers.

Introduced in the chapter "Every convolutional layer is an SVD"; the low-rank
compression chapter reuses :func:`layer_svd` and :func:`truncated_weight`.

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

import numpy as np
import torch
from torch import nn

__all__ = [
    "check_conv",
    "weight_matrix",
    "layer_svd",
    "analytical_conv",
    "analytical_tinyconvnet",
    "patches",
    "relu_mask_counts",
    "truncated_weight",
    "eigenfilters",
]


def check_conv(conv) -> nn.Conv2d:
    """Refuse what the patch-matrix analysis does not cover, with the reason and the fix."""
    if not isinstance(conv, nn.Conv2d):
        raise TypeError(f"expected a torch.nn.Conv2d layer, got {type(conv).__name__}; pass e.g. model.conv1.")
    unsupported = []
    if tuple(conv.stride) != (1, 1):
        unsupported.append(f"stride={tuple(conv.stride)}")
    if conv.padding not in ((0, 0), "valid"):
        unsupported.append(f"padding={conv.padding}")
    if tuple(conv.dilation) != (1, 1):
        unsupported.append(f"dilation={tuple(conv.dilation)}")
    if conv.groups != 1:
        unsupported.append(f"groups={conv.groups}")
    if unsupported:
        raise ValueError(
            f"this analysis covers stride 1, no padding, no dilation and groups=1; the layer has "
            f"{', '.join(unsupported)}. (Padding and stride change which patches exist, not W: "
            "apply F.pad/slicing to the input or output yourself and use weight_matrix().)"
        )
    return conv


def weight_matrix(conv: nn.Conv2d, dtype=torch.float64) -> torch.Tensor:
    """The layer as a C_out x (C_in·kh·kw) matrix, in ``unfold``'s column order."""
    check_conv(conv)
    return conv.weight.detach().to(dtype).reshape(conv.out_channels, -1)


def layer_svd(conv: nn.Conv2d, dtype=torch.float64) -> dict:
    """SVD of a conv layer's weight matrix.

    Returns
    -------
    dict
        ``W``, ``U`` (C_out x r), ``S`` (r,), ``Vt`` (r x C_in·kh·kw) with
        r = min(C_out, C_in·kh·kw), and the reconstruction error
        ``max|W − UΣVᵀ|``.
    """
    w = weight_matrix(conv, dtype)
    u, s, vt = torch.linalg.svd(w, full_matrices=False)
    err = float((u @ torch.diag(s) @ vt - w).abs().max())
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


def analytical_tinyconvnet(model, x: torch.Tensor, svds: tuple | None = None) -> torch.Tensor:
    """TinyConvNet's logits with both conv layers computed analytically (SVD coordinates)."""
    for name in ("conv1", "conv2", "pool", "fc"):
        if not hasattr(model, name):
            raise TypeError(f"expected a TinyConvNet (with {name}); got {type(model).__name__}.")
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
    bits = (pre > 0).to(torch.int64)
    codes = (bits * (2 ** torch.arange(conv.out_channels, dtype=torch.int64))).sum(1)
    return [int(torch.unique(codes[:n]).numel()) for n in sizes]


def truncated_weight(conv: nn.Conv2d, k: int, dtype=torch.float32) -> torch.Tensor:
    """The conv weight with W replaced by its best rank-k approximation (same shape as conv.weight)."""
    svd = layer_svd(conv)
    rank = int((svd["S"] > svd["S"][0] * max(svd["W"].shape) * torch.finfo(torch.float64).eps).sum())
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= rank:
        raise ValueError(
            f"rank k must be an integer between 1 and the weight matrix's rank {rank} "
            f"(a {svd['W'].shape[0]} x {svd['W'].shape[1]} matrix); got {k!r}."
        )
    wk = svd["U"][:, :k] @ torch.diag(svd["S"][:k]) @ svd["Vt"][:k]
    return wk.reshape(conv.weight.shape).to(dtype)


def eigenfilters(conv: nn.Conv2d) -> torch.Tensor:
    """Rows of Vᵀ reshaped as filters: (r, C_in, kh, kw)."""
    svd = layer_svd(conv)
    return svd["Vt"].reshape(-1, conv.in_channels, *conv.kernel_size)
