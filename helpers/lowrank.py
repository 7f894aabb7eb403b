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

The chapter's experiments, with their data and timing settings as arguments:
:func:`eckart_young_curves` and :func:`accuracy_grid` (the rank sweep on
TinyConvNet), :func:`factorization_errors` (the two convolutions against
W_k), :func:`layer_costs`, :func:`layer_sweep`, :func:`measure` (accuracy,
size, cost and measured speed-ups of one compressed network),
:func:`step_times` and :func:`step_table` (where the time goes),
:func:`scheme_sweep` with :func:`finetune` and :func:`fastest_within` (beyond
one SVD), and :func:`rank_rules`, :func:`worth_factorizing` and
:func:`rule_table` (choosing the ranks). Timings go through
:mod:`helpers.bench`, which sets the number of CPU threads for the
measurement only.

Every function checks its arguments before any work is done (so a long sweep
does not fail half-way): models without the named conv layers, ranks outside
1 … the layer's full rank, rank lists and fractions that are not lists of
numbers, input shapes and images the network cannot take, layers with NaN,
complex or grouped weights (the layer is named), data that is not
(inputs, labels), bad device names and timing settings (``threads``,
``rounds``, ``min_time``) are refused with a ``TypeError``/``ValueError`` that
names the argument.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterable

import numpy as np
import torch
from torch import nn

from . import validate
from .conv_svd import check_conv, rank_k, weight_from_matrix, weight_matrix, weight_svd
from .models import probe_forward, replace_submodule
from .svd import check_rank, eckart_young_error, energy, rank_for_energy

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
    "eckart_young_curves",
    "factorization_errors",
    "accuracy_grid",
    "full_ranks",
    "ranks_at_fraction",
    "separable_ranks",
    "measure",
    "layer_sweep",
    "step_times",
    "step_table",
    "finetune",
    "scheme_sweep",
    "fastest_within",
    "worth_factorizing",
    "rank_rules",
    "rule_table",
    "layer_costs",
]


def check_factorizable(conv) -> nn.Conv2d:
    """Refuse layers the factorizations do not cover (groups, dilation, padding modes), saying why.

    :func:`helpers.conv_svd.check_conv` with ``patches=False``: any stride
    and numeric zero padding are fine here.
    """
    return check_conv(conv, patches=False)


# ---------------------------------------------------------------------------
# Checks of what a reader passes in, built on helpers.validate.
# ---------------------------------------------------------------------------


def _probe(model: nn.Module, input_shape, hooks: dict, name: str = "input_shape") -> None:
    """:func:`helpers.models.probe_forward`, with a model that cannot take ``input_shape`` named as such."""
    try:
        probe_forward(model, input_shape, hooks)
    except (RuntimeError, ValueError, TypeError, IndexError) as err:
        text = str(err)
        if name in text:
            raise
        raise ValueError(
            f"{name} {tuple(input_shape)} does not fit {type(model).__name__}: one image of that shape cannot "
            f"pass through it ({text.splitlines()[0] if text else type(err).__name__})."
        ) from None


def _names(layers, convs: dict, name: str = "layers") -> list[str]:
    """A non-empty list of distinct names of Conv2d layers in ``convs``."""
    if isinstance(layers, (str, bytes)) or isinstance(layers, dict) or not isinstance(layers, Iterable):
        raise TypeError(
            f"{name} must be a list of conv layer names such as ['conv2'], got {validate.describe(layers)}."
        )
    layers = list(layers)
    if not layers:
        raise ValueError(f"{name} is empty: name at least one of the conv layers {list(convs)}.")
    bad = [n for n in layers if not isinstance(n, str)]
    if bad:
        raise TypeError(f"{name} must hold layer names (strings), got {bad[0]!r}; the conv layers are {list(convs)}.")
    missing = sorted(set(layers) - set(convs))
    if missing:
        raise ValueError(f"no Conv2d layer named {missing} (in {name}); the conv layers are {list(convs)}.")
    if len(set(layers)) != len(layers):
        raise ValueError(f"{name} names a layer twice: {layers}.")
    return layers


def _full_rank(conv: nn.Conv2d, scheme: str = "svd") -> int:
    """The largest rank ``scheme`` takes for ``conv``."""
    o, c, kh, kw = conv.weight.shape
    return min(c * kh, o * kw) if scheme == "separable" else min(o, c * kh * kw)


def _rank_dict(ranks, convs: dict, name: str = "ranks", scheme: str | None = "svd", empty: bool = False) -> dict:
    """``{layer name: k}`` with known names and ranks from 1 to the layer's full rank (any k >= 1 if no scheme)."""
    if not isinstance(ranks, dict):
        raise TypeError(f"{name} must be a dict {{layer name: rank k}}, got {validate.describe(ranks)}.")
    if ranks or not empty:
        _names(list(ranks), convs, f"the layer names of {name}")
    out = {}
    for n, k in ranks.items():
        if scheme is None:
            out[n] = validate.positive_int(k, f"{name}[{n!r}], a rank k,")
        else:
            out[n] = _layer_rank(k, convs[n], n, name, scheme)
    return out


def _layer_rank(k, conv: nn.Conv2d, layer: str, name: str, scheme: str = "svd") -> int:
    o, c, kh, kw = conv.weight.shape
    top = _full_rank(conv, scheme)
    shape = (
        f"{c * kh} x {o * kw} separable arrangement" if scheme == "separable" else f"{o} x {c * kh * kw} weight matrix"
    )
    return check_rank(k, top, f"the full rank of {layer}'s {shape} (in {name})")


def _fractions(values, name: str, *, empty: bool = False) -> list[float]:
    """A list of fractions in (0, 1]."""
    if isinstance(values, (str, bytes, dict)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a list of fractions in (0, 1], got {validate.describe(values)}.")
    values = list(values)
    if not values and not empty:
        raise ValueError(f"{name} is empty: give at least one fraction in (0, 1].")
    return [validate.fraction(v, f"each entry of {name}") for v in values]


def _data(data, name: str, input_shape=None):
    """``data`` (ImageData or (inputs, labels)) after the checks of :mod:`helpers.train`, and its image shape."""
    from .train import _as_tensors

    x, _ = _as_tensors(data, name)
    if input_shape is not None and tuple(x.shape[1:]) != tuple(input_shape):
        raise ValueError(
            f"{name} holds images of shape {tuple(x.shape[1:])}, but input_shape is {tuple(input_shape)}; "
            "pass the images the network takes."
        )
    return data


def _batch(inputs, name: str, model: nn.Module, input_shape=None) -> torch.Tensor:
    """A finite (N, C, H, W) batch in the dtype and on the device of ``model``'s weights."""
    if input_shape is None:
        first = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
        channels = first.in_channels if first is not None else None
        size = getattr(model, "image_size", None)  # a ReportCNN knows its image size
        size = size if isinstance(size, int) else None
    else:
        channels, size = input_shape[0], tuple(input_shape[1:])
    x = validate.image_batch(inputs, name, channels=channels, size=size)
    if not bool(torch.isfinite(x.detach()).all()):
        raise ValueError(f"{name} contains NaN or infinite values; clean the images first.")
    p = next(model.parameters(), None)
    if p is not None and (x.dtype != p.dtype or x.device != p.device):
        raise TypeError(
            f"{name} is {x.dtype} on {x.device} but the network's weights are {p.dtype} on {p.device}; "
            f"convert it with .to({p.dtype}) and move it there."
        )
    return x


@contextlib.contextmanager
def _in_layer(name: str):
    """Say which of the model's layers a refusal is about: ``conv has NaN weights`` → ``layer 'conv2': ...``."""
    try:
        yield
    except (TypeError, ValueError) as err:
        raise type(err)(f"the model's layer {name!r}: {err}") from None


def _nonzero(conv: nn.Conv2d) -> None:
    if not bool(conv.weight.detach().abs().sum() > 0):
        raise ValueError("conv's weights are all zero: relative errors (divided by ‖W‖) are undefined.")


def _device(device, name: str = "device"):
    from .config import get_device

    if not isinstance(device, (str, torch.device)) and device is not None:
        raise TypeError(f"{name} must be 'auto', 'cpu', 'cuda' or a torch.device, got {validate.describe(device)}.")
    get_device(device)  # refuses unknown names and devices this machine does not have
    return device


def conv_layers(model: nn.Module) -> dict[str, nn.Conv2d]:
    """The model's Conv2d layers by qualified name, in definition order."""
    validate.module(model)
    layers = {name: mod for name, mod in model.named_modules() if isinstance(mod, nn.Conv2d)}
    if not layers:
        raise ValueError(f"model ({type(model).__name__}) has no Conv2d layers: there is nothing to factorize.")
    return layers


def singular_values(conv: nn.Conv2d) -> torch.Tensor:
    """Singular values (float64, descending) of the layer's weight matrix."""
    return torch.linalg.svdvals(weight_matrix(conv, patches=False, device="cpu"))


def _check_rank(k, r: int, what: str) -> int:
    return check_rank(k, r, f"the full rank of {what}")


def relative_errors(conv: nn.Conv2d) -> np.ndarray:
    """‖W − W_k‖_F / ‖W‖_F for k = 1 … r, computed by truncating and measuring (not by formula)."""
    w, u, s, vt = _svd(conv)
    _nonzero(conv)
    norm = torch.linalg.norm(w)
    return np.array([float(torch.linalg.norm(w - rank_k(u, s, vt, k)) / norm) for k in range(1, len(s) + 1)])


def _svd(conv: nn.Conv2d):
    """``(W, U, S, Vt)`` in float64 on the CPU."""
    return weight_svd(conv, patches=False, device="cpu")


def truncate_conv(conv: nn.Conv2d, k: int) -> nn.Conv2d:
    """A copy of ``conv`` whose weight is the rank-k truncation W_k (same shape, same cost)."""
    _, u, s, vt = _svd(conv)
    k = _check_rank(k, len(s), f"this {conv.out_channels} x {vt.shape[1]} weight matrix")
    new = copy.deepcopy(conv)
    with torch.no_grad():
        new.weight.copy_(weight_from_matrix(rank_k(u, s, vt, k), conv).to(conv.weight.dtype))
    return new


def factorize_conv(conv: nn.Conv2d, k: int) -> nn.Sequential:
    """W_k as two convolutions: k filters (rows of V_kᵀ), then a 1x1 convolution U_k Σ_k (+ bias)."""
    _, u, s, vt = _svd(conv)
    k = _check_rank(k, len(s), f"this {conv.out_channels} x {vt.shape[1]} weight matrix")
    dev, dtype = conv.weight.device, conv.weight.dtype
    first = nn.Conv2d(conv.in_channels, k, conv.kernel_size, stride=conv.stride, padding=conv.padding, bias=False)
    second = nn.Conv2d(k, conv.out_channels, 1, bias=conv.bias is not None)
    with torch.no_grad():
        first.weight.copy_(weight_from_matrix(vt[:k], conv))
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
    positions = validate.positive_int(positions, "positions")
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
    input_shape = validate.shape(input_shape, "input_shape", length=3, what="image shape (C, H, W)")
    names = {conv: name for name, conv in layers.items()}
    sizes = {}

    def record(mod, inp, out):
        sizes[names[mod]] = int(out.shape[-1] * out.shape[-2])

    _probe(model, input_shape, {nn.Conv2d: record})
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
    if not isinstance(scheme, str) or scheme not in builders:
        raise ValueError(f"unknown scheme {scheme!r}; use one of {', '.join(builders)}.")
    layers = conv_layers(model)
    ranks = _rank_dict(ranks, layers, scheme=scheme, empty=True)
    for name in ranks:
        with _in_layer(name):
            check_factorizable(layers[name])
    new = copy.deepcopy(model)
    for name, k in ranks.items():
        replace_submodule(new, name, builders[scheme](layers[name], k))
    return new


def ranks_for_energy(model: nn.Module, threshold: float) -> dict[str, int]:
    """Per layer, the smallest k whose singular values keep ``threshold`` of ‖W‖_F² (0 < threshold ≤ 1)."""
    threshold = validate.fraction(threshold, "threshold (an energy fraction)")
    out = {}
    for name, conv in conv_layers(model).items():
        with _in_layer(name):
            out[name] = rank_for_energy(singular_values(conv).numpy(), threshold)
    return out


def ranks_for_budget(
    model: nn.Module, input_shape: tuple, fraction: float, layers: list | None = None
) -> dict[str, int]:
    """Ranks that fit the named layers into ``fraction`` of their multiply–adds, chosen greedily.

    Every layer keeps at least rank 1. Singular components are then added in
    order of relative energy σᵢ²/‖W‖_F² per multiply–add until the budget is
    spent, so layers whose spectra fall fast give up more.
    """
    fraction = validate.fraction(fraction, "fraction")
    convs = conv_layers(model)
    names = list(convs) if layers is None else _names(layers, convs)
    for n in names:
        with _in_layer(n):
            check_factorizable(convs[n])
    pos = output_positions(model, input_shape)
    budget = fraction * sum(factorized_counts(convs[n], 1, pos[n])["macs"] for n in names)
    ranks, candidates, spent = {}, [], 0.0
    for n in names:
        with _in_layer(n):
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


# ---------------------------------------------------------------------------
# The chapter's experiments: sweeps, measurements, rank choices and tables.
# The chapter "Low-rank compression" calls these with its data and its timing
# settings; they hold the loops and the bookkeeping so that its cells show the
# calls and the results.
# ---------------------------------------------------------------------------


def eckart_young_curves(conv: nn.Conv2d) -> dict:
    """The measured truncation error of a layer beside the Eckart–Young formula, and the energy kept.

    Section "A rank sweep on TinyConvNet" of the chapter "Low-rank compression".

    Parameters
    ----------
    conv : torch.nn.Conv2d

    Returns
    -------
    dict
        ``"k"`` (ranks 1 … r), ``"measured"`` (‖W − W_k‖_F/‖W‖_F, from
        :func:`relative_errors`), ``"formula"`` (√(Σ_{i>k} σᵢ²)/‖W‖_F) and
        ``"energy"`` (Σ_{i≤k} σᵢ²/‖W‖_F²), each an array of length r.
    """
    s = singular_values(conv).numpy()
    _nonzero(conv)
    norm = np.sqrt(np.sum(s**2))
    return {
        "k": np.arange(1, len(s) + 1),
        "measured": relative_errors(conv),
        "formula": np.array([eckart_young_error(s, k) for k in range(1, len(s) + 1)]) / norm,
        "energy": energy(s),
    }


def _check_ranks(values, what: str, conv: nn.Conv2d | None = None, layer: str = "", scheme: str = "svd") -> list[int]:
    """A non-empty list of positive integer ranks (at most the layer's full rank when ``conv`` is given)."""
    if isinstance(values, (str, bytes, dict)) or not isinstance(values, Iterable):
        raise TypeError(f"{what} must be a non-empty list of positive integer ranks, got {validate.describe(values)}.")
    values = list(values)
    try:
        out = [validate.integer(k, "rank", low=1) for k in values]
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a non-empty list of positive integer ranks, got {values!r}.") from None
    if not out:
        raise ValueError(f"{what} must be a non-empty list of positive integer ranks, got [].")
    if conv is not None:
        out = [_layer_rank(k, conv, layer, what, scheme) for k in out]
    return out


def accuracy_grid(model: nn.Module, data, ranks: dict, *, scheme: str = "truncate") -> dict:
    """Accuracy of ``model`` with two layers truncated, over a grid of rank pairs.

    Section "A rank sweep on TinyConvNet" of the chapter "Low-rank
    compression": every pair (k₁, k₂) of the two lists is tried.

    Parameters
    ----------
    model : torch.nn.Module
    data : ImageData or (inputs, labels)
        The images the accuracies are measured on (the selection half).
    ranks : dict
        ``{layer name: list of ranks}`` for exactly two conv layers, e.g.
        ``{"conv1": [1, 4, 8], "conv2": [1, 8, 16]}``.
    scheme : str
        As in :func:`compress`; ``"truncate"`` keeps the layers' shapes.

    Returns
    -------
    dict
        ``{(k1, k2): accuracy}``, the first layer's rank first.
    """
    from .train import evaluate

    validate.module(model)
    if not isinstance(scheme, str) or scheme not in ("svd", "separable", "truncate"):
        raise ValueError(f"unknown scheme {scheme!r}; use one of svd, separable, truncate.")
    if not isinstance(ranks, dict) or len(ranks) != 2:
        raise ValueError(f"ranks must map exactly two layer names to lists of ranks, got {validate.describe(ranks)}.")
    convs = conv_layers(model)
    (first, k1s), (second, k2s) = ranks.items()
    _names([first, second], convs, "the layer names of ranks")
    k1s = _check_ranks(k1s, f"the ranks of {first}", convs[first], first, scheme)
    k2s = _check_ranks(k2s, f"the ranks of {second}", convs[second], second, scheme)
    _data(data, "data")
    acc = {}
    for k1 in k1s:
        for k2 in k2s:
            net = compress(model, {first: k1, second: k2}, scheme=scheme)
            acc[k1, k2] = evaluate(net, data)["accuracy"]
    return acc


def _named_convs(model: nn.Module, names, what: str = "layers") -> dict[str, nn.Conv2d]:
    """The Conv2d layers of ``model`` called ``names``; a ValueError names any that do not exist."""
    convs = conv_layers(model)
    _names(names, convs, what)
    return convs


def full_ranks(model: nn.Module, layers=None) -> dict[str, int]:
    """``{name: min(C_out, C_in·kh·kw)}``, the full rank of each named conv layer's weight matrix (all if None)."""
    convs = conv_layers(model)
    names = list(convs) if layers is None else _names(layers, convs)
    return {n: min(convs[n].weight.shape[0], convs[n].weight[0].numel()) for n in names}


def ranks_at_fraction(model: nn.Module, fraction: float, layers=None) -> dict[str, int]:
    """The same fraction of every named layer's full rank, rounded up: ``{name: ⌈f·r⌉}``.

    Section "The whole network" of the chapter "Low-rank compression".
    """
    fraction = validate.fraction(fraction, "fraction")
    return {n: int(np.ceil(fraction * r)) for n, r in full_ranks(model, layers).items()}


def factorization_errors(conv: nn.Conv2d, inputs: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """How far the two-convolution layer is from the convolution by W_k, at every rank k.

    Section "A truncated layer is two convolutions" of the chapter "Low-rank
    compression". For k = 1 … r, the largest absolute difference between
    :func:`factorize_conv` and :func:`truncate_conv` on ``inputs``, and that
    difference relative to the largest output of the convolution by W_k.

    Returns
    -------
    (absolute, relative) : two arrays of length r
    """
    check_factorizable(conv)
    inputs = _batch(inputs, "inputs", conv)
    kh, kw = conv.kernel_size
    ph, pw = (0, 0) if conv.padding == "valid" else conv.padding
    if inputs.shape[2] + 2 * ph < kh or inputs.shape[3] + 2 * pw < kw:
        raise ValueError(
            f"inputs has {inputs.shape[2]} x {inputs.shape[3]} images, too small for the layer's {kh} x {kw} kernel "
            f"with padding {(ph, pw)}: there is no output."
        )
    r = len(singular_values(conv))
    diffs, rels = [], []
    with torch.no_grad():
        for k in range(1, r + 1):
            ref = truncate_conv(conv, k)(inputs)
            d = float((factorize_conv(conv, k)(inputs) - ref).abs().max())
            scale = float(ref.abs().max())
            if scale == 0:
                raise ValueError(
                    f"the convolution by W_{k} is zero on these inputs: the relative error is undefined; "
                    "pass inputs that are not all zero."
                )
            diffs.append(d)
            rels.append(d / scale)
    return np.array(diffs), np.array(rels)


def separable_ranks(model: nn.Module, ranks: dict) -> dict[str, int]:
    """``ranks`` capped at the full rank of each layer's separable arrangement, min(C_in·kh, C_out·kw)."""
    convs = conv_layers(model)
    ranks = _rank_dict(ranks, convs, scheme=None)
    out = {}
    for n, k in ranks.items():
        o, c, kh, kw = convs[n].weight.shape
        out[n] = min(k, c * kh, o * kw)
    return out


_TIMING = ("threads", "rounds", "min_time")


def _timing(timing: dict) -> dict:
    """The timing settings passed on to :mod:`helpers.bench`; anything else is refused."""
    unknown = sorted(set(timing) - set(_TIMING))
    if unknown:
        raise TypeError(f"unknown timing settings {unknown}; the timings take {', '.join(_TIMING)}.")
    out = dict(timing)
    if out.get("threads") is not None:
        out["threads"] = validate.positive_int(out["threads"], "threads (CPU threads for the timings)")
    if "rounds" in out:
        out["rounds"] = validate.positive_int(out["rounds"], "rounds (timing rounds)")
    if "min_time" in out:
        out["min_time"] = validate.real(
            out["min_time"], "min_time (seconds per timing)", low=0.0, low_open=True, high=3600.0
        )
    return out


def _batches(batches, model: nn.Module, input_shape) -> dict:
    if not isinstance(batches, dict) or set(batches) != {1, 256}:
        keys = sorted(map(repr, batches)) if isinstance(batches, dict) else validate.describe(batches)
        raise ValueError(f"batches must be {{1: one image, 256: a batch of 256}}, got {keys}.")
    return {b: _batch(x, f"batches[{b}]", model, input_shape) for b, x in batches.items()}


def measure(
    net: nn.Module,
    baseline: nn.Module,
    *,
    data,
    batches: dict,
    input_shape: tuple,
    **timing,
) -> dict:
    """Accuracy, relative size and cost, and measured speed-ups of ``net`` against ``baseline``.

    The measurement behind every compressed network of the chapter
    "Low-rank compression" (sections "The whole network" to "Choosing the
    ranks").

    Parameters
    ----------
    net, baseline : torch.nn.Module
        The compressed network and the original.
    data : ImageData or (inputs, labels)
        Where the accuracy is measured (the selection half).
    batches : dict
        ``{1: one image, 256: a batch of 256}`` (tensors): the inputs of the
        batch-1 and batch-256 timings.
    input_shape : tuple
        ``(C, H, W)`` of one image, for the multiply–add count.
    **timing
        ``threads``, ``rounds`` and ``min_time``, passed to
        :func:`helpers.bench.speedup` (whose defaults apply to what is not
        given); ``threads`` is set for the timings only and restored afterwards.

    Returns
    -------
    dict
        ``"net"``, ``"acc"`` (on ``data``), ``"macs"`` and ``"params"``
        (fractions of the baseline's), ``"t1"`` and ``"t256"`` (median
        speed-ups at batch 1 and 256) and ``"t256_low"``/``"t256_high"``
        (quartiles of the batch-256 per-round speed-ups).
    """
    from .bench import speedup
    from .models import count_macs, count_parameters
    from .train import evaluate

    timing = _timing(timing)
    validate.module(net, "net")
    validate.module(baseline, "baseline")
    input_shape = validate.shape(input_shape, "input_shape", length=3, what="image shape (C, H, W)")
    output_positions(baseline, input_shape)  # the shape fits the network
    batches = _batches(batches, baseline, input_shape)
    _data(data, "data", input_shape)
    t256 = speedup(baseline, net, batches[256], **timing)
    return {
        "net": net,
        "acc": evaluate(net, data)["accuracy"],
        "macs": count_macs(net, input_shape) / count_macs(baseline, input_shape),
        "params": count_parameters(net) / count_parameters(baseline),
        "t1": speedup(baseline, net, batches[1], **timing)["speedup"],
        "t256": t256["speedup"],
        "t256_low": t256["low"],
        "t256_high": t256["high"],
    }


def layer_sweep(
    model: nn.Module,
    grid: dict,
    *,
    data,
    inputs,
    input_shape: tuple,
    **timing,
) -> dict:
    """Each layer factorized alone at a range of ranks: accuracy, multiply–adds and measured speed-up.

    Section "Layer by layer" of the chapter "Low-rank compression".

    Parameters
    ----------
    model : torch.nn.Module
    grid : dict
        ``{layer name: list of ranks}``; layers are swept one after the other.
    data : ImageData or (inputs, labels)
        Where the accuracy is measured (the selection half).
    inputs : torch.Tensor
        The batch the whole network is timed on.
    input_shape : tuple
        ``(C, H, W)`` of one image.
    **timing
        ``threads``, ``rounds``, ``min_time``, as in :func:`measure`.

    Returns
    -------
    dict
        ``{(name, k): {"acc", "layer_macs", "net_macs", "speedup"}}``: the
        accuracy, the layer's and the network's multiply–adds as fractions of
        the original's, and the median speed-up of the whole network.
    """
    from .bench import speedup
    from .models import count_macs
    from .train import evaluate

    timing = _timing(timing)
    validate.module(model)
    if not isinstance(grid, dict):
        raise TypeError(f"grid must be a dict {{layer name: list of ranks}}, got {validate.describe(grid)}.")
    convs = _named_convs(model, list(grid), "the layer names of grid")
    grid = {name: _check_ranks(ks, f"the ranks of {name} in grid", convs[name], name) for name, ks in grid.items()}
    pos = output_positions(model, input_shape)  # checks input_shape and that it fits the network
    input_shape = validate.shape(input_shape, "input_shape", length=3, what="image shape (C, H, W)")
    _data(data, "data", input_shape)
    inputs = _batch(inputs, "inputs", model, input_shape)
    base_macs = count_macs(model, input_shape)
    results = {}
    for name, ks in grid.items():
        for k in ks:
            net = compress(model, {name: k})
            c = factorized_counts(convs[name], k, pos[name])
            results[name, k] = {
                "acc": evaluate(net, data)["accuracy"],
                "layer_macs": c["macs_k"] / c["macs"],
                "net_macs": count_macs(net, input_shape) / base_macs,
                "speedup": speedup(model, net, inputs, **timing)["speedup"],
            }
    return results


def step_times(
    baseline: nn.Module,
    candidate: nn.Module,
    inputs,
    **timing,
) -> dict:
    """Seconds per step of the convolutional part of two networks, step by step and as one call.

    Section "Where the time goes" of the chapter "Low-rank compression".
    Both networks must have a ``features`` Sequential with the same step
    names (a :class:`helpers.models.ReportCNN` and a compressed copy).

    Returns
    -------
    dict
        ``"baseline"`` and ``"candidate"``: ``{step: seconds}`` from
        :func:`helpers.bench.module_times`; ``"one_call"``: ``{"baseline": s,
        "candidate": s}``, the same steps as one forward pass, timed in
        alternation by :func:`helpers.bench.speedup`.
    """
    from .bench import module_times, speedup

    timing = _timing(timing)
    for label, net in (("baseline", baseline), ("candidate", candidate)):
        validate.module(net, label)
        if not isinstance(getattr(net, "features", None), nn.Sequential):
            raise TypeError(f"{label} needs a .features Sequential (a ReportCNN), got {type(net).__name__}.")
    if list(baseline.features._modules) != list(candidate.features._modules):
        raise ValueError(
            "baseline and candidate must have the same steps in .features (a ReportCNN and a compressed copy), "
            f"got {list(baseline.features._modules)} and {list(candidate.features._modules)}."
        )
    inputs = _batch(inputs, "inputs", baseline)
    unc, small = module_times(baseline.features, candidate.features, x=inputs, **timing)
    whole = speedup(baseline.features, candidate.features, inputs, **timing)
    return {
        "baseline": dict(unc),
        "candidate": dict(small),
        "one_call": {"baseline": whole["baseline"], "candidate": whole["candidate"]},
    }


def _seconds(values, name: str) -> dict:
    if not isinstance(values, dict) or not values:
        raise TypeError(f"{name} must be a non-empty dict {{step: seconds}}, got {validate.describe(values)}.")
    return {k: validate.real(v, f"{name}[{k!r}]", low=0.0, low_open=True) for k, v in values.items()}


def _step_times(times) -> tuple[dict, dict, dict]:
    """The three parts of :func:`step_times`'s result, checked: positive seconds, the same steps."""
    if not isinstance(times, dict) or not all(key in times for key in ("baseline", "candidate", "one_call")):
        raise TypeError(f"times must be the dict that step_times returns, got {validate.describe(times)}.")
    unc = _seconds(times["baseline"], "times['baseline']")
    small = _seconds(times["candidate"], "times['candidate']")
    one = _seconds(times["one_call"], "times['one_call']")
    if list(unc) != list(small) or set(one) != {"baseline", "candidate"}:
        raise ValueError("times must be the dict that step_times returns: the same steps for baseline and candidate.")
    return unc, small, one


def step_table(times: dict, model: nn.Module, ranks: dict, *, input_shape: tuple, label: str) -> str:
    """The markdown table of :func:`step_times`: multiply–adds, milliseconds and speed-ups per step.

    Section "Where the time goes" of the chapter "Low-rank compression".
    ``ranks`` are the compressed network's ranks (layers not named were kept);
    ``label`` names its column (e.g. ``"f = 1/8"``).
    """
    convs = conv_layers(model)
    if not isinstance(label, str) or not label.strip():
        raise TypeError(
            f"label must be a non-empty string naming the compressed network, got {validate.describe(label)}."
        )
    ranks = _rank_dict(ranks, convs, empty=True)
    unc, small, one = _step_times(times)
    pos = output_positions(model, input_shape)
    lines = [
        f"| step | multiply–adds per image | ms, uncompressed | ms, {label} | measured speed-up "
        "| theoretical speed-up |",
        "|---|---|---|---|---|---|",
    ]
    for step in unc:
        if step in convs:
            macs = f"{factorized_counts(convs[step], 1, pos[step])['macs']:,}"
            if step in ranks:
                c = factorized_counts(convs[step], ranks[step], pos[step])
                theory = f"{c['macs'] / c['macs_k']:.2f}"
            else:
                theory = "1 (kept)"
        else:
            macs, theory = "–", "1"
        lines.append(
            f"| {step} | {macs} | {1e3 * unc[step]:.2f} | {1e3 * small[step]:.2f} | "
            f"{unc[step] / small[step]:.2f} | {theory} |"
        )
    sum_unc, sum_small = sum(unc.values()), sum(small.values())
    lines.append(f"| sum of the steps | | {1e3 * sum_unc:.2f} | {1e3 * sum_small:.2f} | {sum_unc / sum_small:.2f} | |")
    lines.append(
        f"| the same steps as one call | | {1e3 * one['baseline']:.2f} | {1e3 * one['candidate']:.2f} | "
        f"{one['baseline'] / one['candidate']:.2f} | |"
    )
    return "\n".join(lines)


def finetune(net: nn.Module, data, *, epochs: int, device="auto", seed: int = 0) -> nn.Module:
    """A few epochs of training of a factorized network, starting from its truncated weights.

    Section "Beyond one SVD" of the chapter "Low-rank compression": Adam,
    learning rate 2·10⁻⁴, batches of 128. Returns ``net`` on the CPU in eval
    mode.
    """
    from .train import fit

    validate.module(net, "net")
    _data(data, "data")
    epochs = validate.positive_int(epochs, "epochs")
    device = _device(device)
    seed = validate.integer(seed, "seed", low=0)
    with torch.enable_grad():  # also when called under torch.no_grad()
        fit(net, data, None, epochs=epochs, batch_size=128, lr=2e-4, device=device, progress=False, seed=seed)
    return net.cpu().eval()


def scheme_sweep(
    model: nn.Module,
    fractions,
    *,
    layers,
    svd: dict,
    finetune_fractions,
    finetune_data,
    finetune_epochs: int,
    device="auto",
    seed: int = 0,
    data,
    batches: dict,
    input_shape: tuple,
    **timing,
) -> dict:
    """The separable scheme and SVD with fine-tuning at the same rank fractions as plain SVD.

    Section "Beyond one SVD" of the chapter "Low-rank compression". For every
    fraction f the separable network (ranks ⌈f·r⌉ capped by
    :func:`separable_ranks`) is measured, and for f in ``finetune_fractions``
    the SVD network is fine-tuned (:func:`finetune`) and measured.

    Parameters
    ----------
    svd : dict
        ``{f: measurement}`` of the plain SVD networks (from :func:`measure`),
        reused as they are.
    data, batches, input_shape, **timing
        As in :func:`measure`.

    Returns
    -------
    dict
        ``{"svd": {f: m}, "separable": {f: m}, "svd + fine-tuning": {f: m}}``
        with measurements as :func:`measure` returns them.
    """
    timing = _timing(timing)
    validate.module(model)
    fractions = _fractions(fractions, "fractions")
    layers = _names(layers, conv_layers(model))
    if not isinstance(svd, dict):
        raise TypeError(f"svd must be a dict {{f: measurement}} from measure(), got {validate.describe(svd)}.")
    missing = [f for f in fractions if f not in svd]
    if missing:
        raise ValueError(f"svd has no measurement for the fractions {missing}; measure them first.")
    finetune_fractions = _fractions(finetune_fractions, "finetune_fractions", empty=True)
    stray = [f for f in finetune_fractions if f not in fractions]
    if stray:
        raise ValueError(f"finetune_fractions {stray} are not among fractions {fractions}; they would be skipped.")
    _data(finetune_data, "finetune_data")
    finetune_epochs = validate.positive_int(finetune_epochs, "finetune_epochs")
    device = _device(device)
    seed = validate.integer(seed, "seed", low=0)
    input_shape = validate.shape(input_shape, "input_shape", length=3, what="image shape (C, H, W)")
    output_positions(model, input_shape)  # the shape fits the network
    _data(data, "data", input_shape)
    batches = _batches(batches, model, input_shape)
    bench = dict(data=data, batches=batches, input_shape=input_shape, **timing)
    schemes = {"svd": {}, "separable": {}, "svd + fine-tuning": {}}
    for f in fractions:
        ranks = ranks_at_fraction(model, f, layers)
        schemes["svd"][f] = svd[f]
        sep = compress(model, separable_ranks(model, ranks), scheme="separable")
        schemes["separable"][f] = measure(sep, model, **bench)
        if f in finetune_fractions:
            tuned = finetune(compress(model, ranks), finetune_data, epochs=finetune_epochs, device=device, seed=seed)
            schemes["svd + fine-tuning"][f] = measure(tuned, model, **bench)
    return schemes


def fastest_within(results: dict, *, base: float, max_drop: float, report, base_report: float) -> dict:
    """The fastest network of one scheme within ``max_drop`` points of the original, and its report accuracy.

    Section "Beyond one SVD" of the chapter "Low-rank compression". The
    choice is made on the selection half (the ``"acc"`` of each measurement,
    against ``base``); the chosen network is then evaluated once on
    ``report``.

    Parameters
    ----------
    results : dict
        ``{f: measurement}`` (from :func:`measure`).
    base, base_report : float
        The original network's accuracy on the selection and report halves (fractions).
    max_drop : float
        The accuracy drop allowed, in percentage points.
    report : ImageData or (inputs, labels)

    Returns
    -------
    dict
        ``"f"`` (the rank fraction), ``"speed"``, ``"low"``, ``"high"`` (the
        batch-256 speed-up and its quartiles), ``"theory"`` (1 / multiply–add
        fraction), ``"ratio"`` (measured / theoretical), ``"test"`` (report
        accuracy, %) and ``"drop"`` (report-half drop, points); all NaN when
        no network of the scheme stays within ``max_drop``.
    """
    from .train import evaluate

    if not isinstance(results, dict):
        raise TypeError(
            f"results must be a dict {{f: measurement}} from measure() (empty when none was made), "
            f"got {validate.describe(results)}."
        )
    for f, m in results.items():
        need = ("net", "acc", "t256", "t256_low", "t256_high", "macs")
        if not isinstance(m, dict) or not all(key in m for key in need):
            raise TypeError(f"results[{f!r}] must be a measurement from measure() (with {', '.join(need)}).")
        validate.fraction(m["acc"], f"results[{f!r}]['acc']", zero=True)
    base = validate.fraction(base, "base (an accuracy, as a fraction)", zero=True)
    base_report = validate.fraction(base_report, "base_report (an accuracy, as a fraction)", zero=True)
    max_drop = validate.real(max_drop, "max_drop (percentage points)", low=0.0, high=100.0)
    _data(report, "report")
    ok = [f for f, m in results.items() if 100 * (base - m["acc"]) <= max_drop]
    if not ok:
        return dict.fromkeys(("f", "speed", "low", "high", "theory", "ratio", "test", "drop"), float("nan"))
    f = max(ok, key=lambda f: results[f]["t256"])
    m = results[f]
    test = evaluate(m["net"], report)["accuracy"]  # once, on the report half
    return {
        "f": f,
        "speed": m["t256"],
        "low": m["t256_low"],
        "high": m["t256_high"],
        "theory": 1 / m["macs"],
        "ratio": m["t256"] * m["macs"],
        "test": 100 * test,
        "drop": 100 * (base_report - test),
    }


def worth_factorizing(model: nn.Module, ranks: dict) -> dict[str, int]:
    """The entries of ``ranks`` at or below their layer's break-even rank: factorizing the others costs more.

    Section "Choosing the ranks" of the chapter "Low-rank compression".
    """
    convs = conv_layers(model)
    ranks = _rank_dict(ranks, convs)
    return {n: k for n, k in ranks.items() if k <= breakeven_rank(convs[n])}


def rank_rules(model: nn.Module, input_shape: tuple, *, energy, budget, layers) -> dict[str, dict]:
    """The ranks each rule picks: an energy threshold per layer, or one multiply–add budget.

    Section "Choosing the ranks" of the chapter "Low-rank compression".

    Parameters
    ----------
    model : torch.nn.Module
    input_shape : tuple
        ``(C, H, W)`` of one image (the budget counts multiply–adds).
    energy : list of float
        Energy thresholds in (0, 1]: per layer the smallest k keeping that
        fraction of ‖W‖_F² (:func:`ranks_for_energy`).
    budget : list of float
        Fractions in (0, 1] of the layers' multiply–adds (:func:`ranks_for_budget`).
    layers : list of str
        The layers to compress.

    Returns
    -------
    dict
        ``{rule: {layer: k}}`` with rules ``"energy ≥ t"`` and then
        ``"budget b of the multiply–adds"``, in the order given.
    """
    layers = _names(layers, conv_layers(model))
    energy = _fractions(energy, "energy", empty=True)
    budget = _fractions(budget, "budget", empty=True)
    if not energy and not budget:
        raise ValueError("energy and budget are both empty: give at least one rule.")
    output_positions(model, input_shape)  # the shape fits the network
    rules = {}
    for thr in energy:
        ranks = ranks_for_energy(model, thr)
        rules[f"energy ≥ {thr:g}"] = {n: k for n, k in ranks.items() if n in layers}
    for frac in budget:
        rules[f"budget {frac:g} of the multiply–adds"] = ranks_for_budget(model, input_shape, frac, layers=layers)
    return rules


def rule_table(choices: dict, model: nn.Module, layers, report, base_report: float) -> str:
    """The markdown table of the rank rules: ranks, report accuracy, size, cost and speed-ups.

    Section "Choosing the ranks" of the chapter "Low-rank compression".

    Parameters
    ----------
    choices : dict
        ``{rule: (ranks, measurement)}``, the measurement from :func:`measure`
        of the network with :func:`worth_factorizing` of the ranks.
    model : torch.nn.Module
        The uncompressed network (for the break-even ranks and its own row).
    layers : list of str
        The compressed layers, in the order of the table's ranks column.
    report : ImageData or (inputs, labels)
        Where each network's accuracy is measured (the report half).
    base_report : float
        The uncompressed network's accuracy on ``report`` (a fraction).
    """
    from .train import evaluate

    convs = conv_layers(model)
    layers = _names(layers, convs)
    if not isinstance(choices, dict) or not choices:
        raise TypeError(
            f"choices must be a non-empty dict {{rule: (ranks, measurement)}}, got {validate.describe(choices)}."
        )
    need = ("net", "params", "macs", "t1", "t256", "t256_low", "t256_high")
    for rule, choice in choices.items():
        if not (isinstance(choice, (tuple, list)) and len(choice) == 2 and isinstance(choice[1], dict)):
            raise TypeError(
                f"choices[{rule!r}] must be a pair (ranks, measurement from measure()), "
                f"got {validate.describe(choice)}."
            )
        ranks = _rank_dict(choice[0], convs, f"choices[{rule!r}]'s ranks")
        if set(layers) - set(ranks):
            raise ValueError(f"choices[{rule!r}]'s ranks have no rank for {sorted(set(layers) - set(ranks))}.")
        if not all(key in choice[1] for key in need):
            raise TypeError(f"choices[{rule!r}] must hold a measurement from measure() (with {', '.join(need)}).")
    _data(report, "report")
    base_report = validate.fraction(base_report, "base_report (an accuracy, as a fraction)", zero=True)
    full = ", ".join(str(r) for r in full_ranks(model, layers).values())
    lines = [
        f"| rule | ranks ({', '.join(layers)}) | accuracy, report half (%) | parameters | multiply–adds "
        "| speed-up, batch 1 | speed-up, batch 256 (quartiles) |",
        "|" + "---|" * 7,
        f"| uncompressed | {full} | {100 * base_report:.2f} | 1.00 | 1.00 | 1.00 | 1.00 |",
    ]
    for rule, (ranks, m) in choices.items():
        shown = ", ".join(
            str(ranks[n]) if ranks[n] <= breakeven_rank(convs[n]) else f"({ranks[n]}: kept)" for n in layers
        )
        lines.append(
            f"| {rule} | {shown} | {100 * evaluate(m['net'], report)['accuracy']:.2f} | "
            f"{m['params']:.2f} | {m['macs']:.2f} | {m['t1']:.2f} | "
            f"{m['t256']:.2f} ({m['t256_low']:.2f}–{m['t256_high']:.2f}) |"
        )
    return "\n".join(lines)


def layer_costs(model: nn.Module, input_shape: tuple) -> dict[str, dict]:
    """Per conv layer: weight shape, output positions, multiply–adds and share of the network's.

    Section "Where compression pays" of the chapter "Low-rank compression".

    Returns
    -------
    dict
        ``{name: {"shape": tuple, "positions": int, "macs": int, "share": float}}``,
        ``share`` in percent of :func:`helpers.models.count_macs` of the model.
    """
    from .models import count_macs

    pos = output_positions(model, input_shape)  # checks the model and the shape first
    total = count_macs(model, input_shape)
    out = {}
    for name, conv in conv_layers(model).items():
        with _in_layer(name):
            macs = factorized_counts(conv, 1, pos[name])["macs"]
        out[name] = {
            "shape": tuple(conv.weight.shape),
            "positions": pos[name],
            "macs": macs,
            "share": 100 * macs / total,
        }
    return out
