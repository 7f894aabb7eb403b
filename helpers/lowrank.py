"""Low-rank compression of convolutional layers.

Introduced in the chapter "Low-rank compression". A convolution with weight
W (C_out x C_in·kh·kw as a matrix, see :mod:`helpers.conv_svd`) and SVD
W = UΣVᵀ is replaced by its rank-k truncation W_k = U_k Σ_k V_kᵀ, which can
be computed as **two convolutions**:

1. k filters of size C_in x kh x kw, the rows of V_kᵀ (same stride and
   padding as the original layer, no bias);
2. a 1x1 convolution from k to C_out channels with weights U_k Σ_k (and the
   original bias).

Per output position that costs k·(C_in·kh·kw + C_out) multiply–adds instead
of C_out·C_in·kh·kw, a saving when k < C_out·C_in·kh·kw / (C_in·kh·kw + C_out).

:func:`separable_conv` is Jaderberg et al.'s (2014) scheme 2: k vertical
kh x 1 filters followed by a horizontal 1 x kw convolution, from the SVD of
the kernel reshaped to a (C_in·kh) x (C_out·kw) matrix.

Rank choice: :func:`ranks_for_energy` (a per-layer energy threshold) and
:func:`ranks_for_budget` (one global multiply–add budget, spent greedily on the
singular components that keep the most relative energy per multiply–add).
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from .models import probe_forward, replace_submodule

__all__ = [
    "conv_layers",
    "check_factorizable",
    "singular_values",
    "relative_errors",
    "truncate_conv",
    "factorize_conv",
    "separable_conv",
    "factorized_counts",
    "compress",
    "ranks_for_energy",
    "ranks_for_budget",
    "output_positions",
    "breakeven_rank",
]


def check_factorizable(conv) -> nn.Conv2d:
    """Refuse layers the factorizations do not cover (groups, dilation), saying why."""
    if not isinstance(conv, nn.Conv2d):
        raise TypeError(f"expected a torch.nn.Conv2d layer, got {type(conv).__name__}.")
    problems = []
    if conv.groups != 1:
        problems.append(f"groups={conv.groups}")
    if tuple(conv.dilation) != (1, 1):
        problems.append(f"dilation={tuple(conv.dilation)}")
    if isinstance(conv.padding, str) and conv.padding != "valid":
        problems.append(f"padding={conv.padding!r}")
    if conv.padding_mode != "zeros":
        problems.append(f"padding_mode={conv.padding_mode!r}")
    if problems:
        raise ValueError(
            f"the low-rank factorization covers ordinary convolutions (groups=1, no dilation, numeric "
            f"zero padding); this layer has {', '.join(problems)}. A grouped convolution is one matrix "
            "per group: factorize each group's weights separately."
        )
    return conv


def conv_layers(model: nn.Module) -> dict[str, nn.Conv2d]:
    """The model's Conv2d layers by qualified name, in definition order."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected a torch.nn.Module, got {type(model).__name__}.")
    layers = {name: mod for name, mod in model.named_modules() if isinstance(mod, nn.Conv2d)}
    if not layers:
        raise ValueError(f"{type(model).__name__} has no Conv2d layers: there is nothing to factorize.")
    return layers


def _matrix(conv: nn.Conv2d) -> torch.Tensor:
    return conv.weight.detach().reshape(conv.out_channels, -1).double().cpu()


def singular_values(conv: nn.Conv2d) -> torch.Tensor:
    """Singular values (float64, descending) of the layer's weight matrix."""
    return torch.linalg.svdvals(_matrix(check_factorizable(conv)))


def _check_rank(k, r: int, what: str) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= r:
        raise ValueError(f"rank k must be an integer from 1 to {r}, the full rank of {what}; got {k!r}.")
    return int(k)


def relative_errors(conv: nn.Conv2d) -> np.ndarray:
    """‖W − W_k‖_F / ‖W‖_F for k = 1 … r, computed by truncating and measuring (not by formula)."""
    u, s, vt = _svd(conv)
    w = _matrix(conv)
    norm = torch.linalg.norm(w)
    return np.array([float(torch.linalg.norm(w - (u[:, :k] * s[:k]) @ vt[:k]) / norm) for k in range(1, len(s) + 1)])


def _svd(conv: nn.Conv2d):
    check_factorizable(conv)
    return torch.linalg.svd(_matrix(conv), full_matrices=False)


def truncate_conv(conv: nn.Conv2d, k: int) -> nn.Conv2d:
    """A copy of ``conv`` whose weight is the rank-k truncation W_k (same shape, same cost)."""
    u, s, vt = _svd(conv)
    k = _check_rank(k, len(s), f"this {conv.out_channels} x {vt.shape[1]} weight matrix")
    new = copy.deepcopy(conv)
    wk = (u[:, :k] * s[:k]) @ vt[:k]
    with torch.no_grad():
        new.weight.copy_(wk.reshape(conv.weight.shape).to(conv.weight.dtype))
    return new


def factorize_conv(conv: nn.Conv2d, k: int) -> nn.Sequential:
    """W_k as two convolutions: k filters (rows of V_kᵀ), then a 1x1 convolution U_k Σ_k (+ bias)."""
    u, s, vt = _svd(conv)
    k = _check_rank(k, len(s), f"this {conv.out_channels} x {vt.shape[1]} weight matrix")
    dev, dtype = conv.weight.device, conv.weight.dtype
    first = nn.Conv2d(conv.in_channels, k, conv.kernel_size, stride=conv.stride, padding=conv.padding, bias=False)
    second = nn.Conv2d(k, conv.out_channels, 1, bias=conv.bias is not None)
    with torch.no_grad():
        first.weight.copy_(vt[:k].reshape(k, conv.in_channels, *conv.kernel_size))
        second.weight.copy_((u[:, :k] * s[:k]).reshape(conv.out_channels, k, 1, 1))
        if conv.bias is not None:
            second.bias.copy_(conv.bias.detach())
    return nn.Sequential(first, second).to(device=dev, dtype=dtype)


def separable_conv(conv: nn.Conv2d, k: int) -> nn.Sequential:
    """Jaderberg's scheme 2: k vertical (kh x 1) filters, then C_out horizontal (1 x kw) ones.

    The kernel W[o, c, y, x] is arranged as the (C_in·kh) x (C_out·kw) matrix
    M[(c, y), (o, x)]; its rank-k truncation Σ sᵢ aᵢ bᵢᵀ gives the vertical
    filters √sᵢ aᵢ and the horizontal ones √sᵢ bᵢ.
    """
    check_factorizable(conv)
    o, c, kh, kw = conv.weight.shape
    m = conv.weight.detach().double().cpu().permute(1, 2, 0, 3).reshape(c * kh, o * kw)
    u, s, vt = torch.linalg.svd(m, full_matrices=False)
    k = _check_rank(k, len(s), f"the {c * kh} x {o * kw} separable arrangement of this kernel")
    root = s[:k].sqrt()
    vertical = (u[:, :k] * root).T.reshape(k, c, kh, 1)
    horizontal = (vt[:k].T * root).reshape(o, kw, k).permute(0, 2, 1).reshape(o, k, 1, kw)
    pad_h, pad_w = (0, 0) if conv.padding == "valid" else conv.padding
    st_h, st_w = conv.stride
    first = nn.Conv2d(c, k, (kh, 1), stride=(st_h, 1), padding=(pad_h, 0), bias=False)
    second = nn.Conv2d(k, o, (1, kw), stride=(1, st_w), padding=(0, pad_w), bias=conv.bias is not None)
    with torch.no_grad():
        first.weight.copy_(vertical)
        second.weight.copy_(horizontal)
        if conv.bias is not None:
            second.bias.copy_(conv.bias.detach())
    return nn.Sequential(first, second).to(device=conv.weight.device, dtype=conv.weight.dtype)


def factorized_counts(conv: nn.Conv2d, k: int, positions: int = 1) -> dict:
    """Parameters and multiply–adds (for ``positions`` output positions) before and after factorizing.

    ``positions`` is the number of output pixels H'·W' (see :func:`output_positions`).
    """
    check_factorizable(conv)
    o, c, kh, kw = conv.weight.shape
    k = _check_rank(k, min(o, c * kh * kw), f"this {o} x {c * kh * kw} weight matrix")
    bias = o if conv.bias is not None else 0
    return {
        "params": o * c * kh * kw + bias,
        "params_k": k * c * kh * kw + o * k + bias,
        "macs": positions * o * c * kh * kw,
        "macs_k": positions * k * (c * kh * kw + o),
    }


def breakeven_rank(conv: nn.Conv2d) -> int:
    """The largest rank k at which the two-convolution factorization still saves multiply–adds (0 if none).

    Saving means k·(C_in·kh·kw + C_out) < C_out·C_in·kh·kw.
    """
    check_factorizable(conv)
    o, c, kh, kw = conv.weight.shape
    n = c * kh * kw
    k = (o * n - 1) // (n + o)
    return int(min(k, min(o, n)))


def output_positions(model: nn.Module, input_shape: tuple) -> dict[str, int]:
    """Output pixels H'·W' of every Conv2d of ``model`` for one input of ``input_shape`` (C, H, W)."""
    layers = conv_layers(model)
    names = {conv: name for name, conv in layers.items()}
    sizes = {}

    def record(mod, inp, out):
        sizes[names[mod]] = int(out.shape[-1] * out.shape[-2])

    probe_forward(model, input_shape, {nn.Conv2d: record})
    return sizes


def compress(model: nn.Module, ranks: dict, scheme: str = "svd") -> nn.Module:
    """A copy of ``model`` with the named conv layers replaced; the original is left untouched.

    Parameters
    ----------
    ranks : dict
        ``{layer name: k}``; layers not named stay as they are.
    scheme : {"svd", "separable", "truncate"}
        Two-convolution SVD factorization, Jaderberg's separable scheme, or
        the same-shape truncated weight (no speed-up; for accuracy studies).
    """
    builders = {"svd": factorize_conv, "separable": separable_conv, "truncate": truncate_conv}
    if scheme not in builders:
        raise ValueError(f"unknown scheme {scheme!r}; use one of {', '.join(builders)}.")
    layers = conv_layers(model)
    unknown = set(ranks) - set(layers)
    if unknown:
        raise ValueError(f"no Conv2d layer named {sorted(unknown)} in the model; its conv layers are {list(layers)}.")
    new = copy.deepcopy(model)
    for name, k in ranks.items():
        replace_submodule(new, name, builders[scheme](layers[name], k))
    return new


def ranks_for_energy(model: nn.Module, threshold: float) -> dict[str, int]:
    """Per layer, the smallest k whose singular values keep ``threshold`` of ‖W‖_F² (0 < threshold ≤ 1)."""
    if not (isinstance(threshold, (int, float)) and 0 < threshold <= 1):
        raise ValueError(f"threshold must be an energy fraction in (0, 1], got {threshold!r}.")
    out = {}
    for name, conv in conv_layers(model).items():
        s2 = singular_values(conv) ** 2
        frac = torch.cumsum(s2, 0) / s2.sum()
        out[name] = int(min(int((frac < threshold - 1e-12).sum()) + 1, len(s2)))
    return out


def ranks_for_budget(
    model: nn.Module, input_shape: tuple, fraction: float, layers: list | None = None
) -> dict[str, int]:
    """Ranks that fit the named layers into ``fraction`` of their multiply–adds, chosen greedily.

    Every layer keeps at least rank 1. Singular components are then added in
    order of relative energy σᵢ²/‖W‖_F² per multiply–add until the budget is
    spent, so layers whose spectra fall fast give up more.
    """
    if not (isinstance(fraction, (int, float)) and 0 < fraction <= 1):
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}.")
    convs = conv_layers(model)
    names = list(convs) if layers is None else list(layers)
    missing = set(names) - set(convs)
    if missing:
        raise ValueError(f"no Conv2d layer named {sorted(missing)}; the conv layers are {list(convs)}.")
    pos = output_positions(model, input_shape)
    budget = fraction * sum(factorized_counts(convs[n], 1, pos[n])["macs"] for n in names)
    ranks, candidates, spent = {}, [], 0.0
    for n in names:
        s2 = (singular_values(convs[n]) ** 2).numpy()
        per_rank = factorized_counts(convs[n], 1, pos[n])["macs_k"]
        ranks[n] = 1
        spent += per_rank
        candidates += [(s2[i] / s2.sum() / per_rank, n, per_rank) for i in range(1, len(s2))]
    for _, n, cost in sorted(candidates, key=lambda c: -c[0]):
        if spent + cost > budget:
            continue
        ranks[n] += 1
        spent += cost
    return ranks
