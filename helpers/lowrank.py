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
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

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


def conv_layers(model: nn.Module) -> dict[str, nn.Conv2d]:
    """The model's Conv2d layers by qualified name, in definition order."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected a torch.nn.Module, got {type(model).__name__}.")
    layers = {name: mod for name, mod in model.named_modules() if isinstance(mod, nn.Conv2d)}
    if not layers:
        raise ValueError(f"{type(model).__name__} has no Conv2d layers: there is nothing to factorize.")
    return layers


def singular_values(conv: nn.Conv2d) -> torch.Tensor:
    """Singular values (float64, descending) of the layer's weight matrix."""
    return torch.linalg.svdvals(weight_matrix(conv, patches=False, device="cpu"))


def _check_rank(k, r: int, what: str) -> int:
    return check_rank(k, r, f"the full rank of {what}")


def relative_errors(conv: nn.Conv2d) -> np.ndarray:
    """‖W − W_k‖_F / ‖W‖_F for k = 1 … r, computed by truncating and measuring (not by formula)."""
    w, u, s, vt = _svd(conv)
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
    norm = np.sqrt(np.sum(s**2))
    return {
        "k": np.arange(1, len(s) + 1),
        "measured": relative_errors(conv),
        "formula": np.array([eckart_young_error(s, k) for k in range(1, len(s) + 1)]) / norm,
        "energy": energy(s),
    }


def _check_ranks(values, what: str) -> list[int]:
    values = list(values)
    if not values or any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1 for k in values):
        raise ValueError(f"{what} must be a non-empty list of positive integer ranks, got {values!r}.")
    return [int(k) for k in values]


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

    if not isinstance(ranks, dict) or len(ranks) != 2:
        raise ValueError(f"ranks must map exactly two layer names to lists of ranks, got {ranks!r}.")
    (first, k1s), (second, k2s) = ranks.items()
    k1s, k2s = _check_ranks(k1s, f"the ranks of {first}"), _check_ranks(k2s, f"the ranks of {second}")
    acc = {}
    for k1 in k1s:
        for k2 in k2s:
            net = compress(model, {first: k1, second: k2}, scheme=scheme)
            acc[k1, k2] = evaluate(net, data)["accuracy"]
    return acc


def _named_convs(model: nn.Module, names) -> dict[str, nn.Conv2d]:
    """The Conv2d layers of ``model`` called ``names``; a ValueError names any that do not exist."""
    convs = conv_layers(model)
    missing = sorted(set(names) - set(convs))
    if missing:
        raise ValueError(f"no Conv2d layer named {missing}; the conv layers are {list(convs)}.")
    return convs


def full_ranks(model: nn.Module, layers=None) -> dict[str, int]:
    """``{name: min(C_out, C_in·kh·kw)}``, the full rank of each named conv layer's weight matrix (all if None)."""
    names = list(conv_layers(model)) if layers is None else list(layers)
    convs = _named_convs(model, names)
    return {n: min(convs[n].weight.shape[0], convs[n].weight[0].numel()) for n in names}


def ranks_at_fraction(model: nn.Module, fraction: float, layers=None) -> dict[str, int]:
    """The same fraction of every named layer's full rank, rounded up: ``{name: ⌈f·r⌉}``.

    Section "The whole network" of the chapter "Low-rank compression".
    """
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
        raise ValueError(f"fraction must be a number in (0, 1], got {fraction!r}.")
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
    if not isinstance(inputs, torch.Tensor) or inputs.dim() != 4 or inputs.shape[1] != conv.in_channels:
        shape = tuple(inputs.shape) if isinstance(inputs, torch.Tensor) else type(inputs).__name__
        raise ValueError(f"inputs must be a batch (N, {conv.in_channels}, H, W) for this layer, got {shape}.")
    r = len(singular_values(conv))
    diffs, rels = [], []
    with torch.no_grad():
        for k in range(1, r + 1):
            ref = truncate_conv(conv, k)(inputs)
            d = float((factorize_conv(conv, k)(inputs) - ref).abs().max())
            diffs.append(d)
            rels.append(d / float(ref.abs().max()))
    return np.array(diffs), np.array(rels)


def separable_ranks(model: nn.Module, ranks: dict) -> dict[str, int]:
    """``ranks`` capped at the full rank of each layer's separable arrangement, min(C_in·kh, C_out·kw)."""
    convs = _named_convs(model, ranks)
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
    return dict(timing)


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

    if not isinstance(batches, dict) or set(batches) != {1, 256}:
        raise ValueError(f"batches must be {{1: one image, 256: a batch of 256}}, got keys {sorted(batches)!r}.")
    timing = _timing(timing)
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
    convs = _named_convs(model, grid)
    pos = output_positions(model, input_shape)
    base_macs = count_macs(model, input_shape)
    results = {}
    for name, ks in grid.items():
        for k in _check_ranks(ks, f"the ranks of {name}"):
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

    for label, net in (("baseline", baseline), ("candidate", candidate)):
        if not isinstance(getattr(net, "features", None), nn.Sequential):
            raise TypeError(f"{label} needs a .features Sequential (a ReportCNN), got {type(net).__name__}.")
    timing = _timing(timing)
    unc, small = module_times(baseline.features, candidate.features, x=inputs, **timing)
    whole = speedup(baseline.features, candidate.features, inputs, **timing)
    return {
        "baseline": dict(unc),
        "candidate": dict(small),
        "one_call": {"baseline": whole["baseline"], "candidate": whole["candidate"]},
    }


def step_table(times: dict, model: nn.Module, ranks: dict, *, input_shape: tuple, label: str) -> str:
    """The markdown table of :func:`step_times`: multiply–adds, milliseconds and speed-ups per step.

    Section "Where the time goes" of the chapter "Low-rank compression".
    ``ranks`` are the compressed network's ranks (layers not named were kept);
    ``label`` names its column (e.g. ``"f = 1/8"``).
    """
    convs = conv_layers(model)
    pos = output_positions(model, input_shape)
    unc, small, one = times["baseline"], times["candidate"], times["one_call"]
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
    fractions = list(fractions)
    missing = [f for f in fractions if f not in svd]
    if missing:
        raise ValueError(f"svd has no measurement for the fractions {missing}; measure them first.")
    bench = dict(data=data, batches=batches, input_shape=input_shape, **_timing(timing))
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
    convs = _named_convs(model, ranks)
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
    layers = list(layers)
    _named_convs(model, layers)
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
    layers = list(layers)
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

    total = count_macs(model, input_shape)
    pos = output_positions(model, input_shape)
    out = {}
    for name, conv in conv_layers(model).items():
        macs = factorized_counts(conv, 1, pos[name])["macs"]
        out[name] = {
            "shape": tuple(conv.weight.shape),
            "positions": pos[name],
            "macs": macs,
            "share": 100 * macs / total,
        }
    return out
