"""Self-check cells for the exercises: is an answer right, without showing the right answer.

Used by the cells tagged ``self-check`` in the chapters and kept in the
student handouts (``tools/handouts.py``). Each check recomputes what it needs
here, out of the student's sight, and either prints a confirmation or raises
an ``AssertionError`` with a hint that does not give the answer away.

A missing or malformed answer (``None``, a string, ``True``, an array where
one number is meant) is "not yet": an ``AssertionError`` saying what
``answer`` should be. A mistake in the cell itself (an unknown exercise label,
context the check does not take, a context value of the wrong kind) raises a
``ValueError``/``TypeError`` naming it.
"""

from __future__ import annotations

import difflib
import inspect
import os

import numpy as np

from . import validate

__all__ = ["check", "CHECKS"]


def _what(answer) -> str:
    """What the reader's ``answer`` is, in the words of a hint: its type, and its value or shape."""
    kind = type(answer).__name__
    shape = getattr(answer, "shape", None)
    if shape is not None and not isinstance(answer, (np.generic,)):
        return f"{kind} of shape {tuple(shape)}"
    text = repr(answer)
    return f"{kind} ({text if len(text) <= 40 else text[:37] + '...'})"


def _number(answer, label):
    """The reader's ``answer`` as a finite float; anything else is "not yet" (an AssertionError with a hint)."""
    if answer is None:
        raise AssertionError(f"{label}: no answer yet. Set `answer` in the cell above, then run this cell again.")
    if hasattr(answer, "detach") and hasattr(answer, "cpu"):  # a torch tensor, possibly on the GPU
        answer = answer.detach().cpu()
    # strings, booleans and complex numbers are not read as numbers ("15" would pass float(), True would be 1)
    refused = isinstance(answer, (str, bytes, bool, np.bool_, complex, np.complexfloating, dict, set))
    try:
        arr = np.asarray(answer)
        if refused or arr.dtype.kind not in "iuf" or arr.size != 1:
            raise TypeError
        value = float(arr.reshape(()))
    except (TypeError, ValueError, RuntimeError):
        raise AssertionError(f"{label}: `answer` should be a single number, got {_what(answer)}.") from None
    if not np.isfinite(value):
        raise AssertionError(f"{label}: `answer` is {value}; it should be a finite number.")
    return value


# --- the context a check is given (data, models, labels): wrong values are the notebook's, not the reader's answer,
# so they raise TypeError/ValueError naming the argument, as every helper does


def _has(obj, attr: str, name: str, what: str):
    if not hasattr(obj, attr):
        raise TypeError(f"{name} must be {what}, got {validate.describe(obj)}.")
    return getattr(obj, attr)


def _report_cnn(model):
    from .models import ReportCNN

    if not isinstance(model, ReportCNN):
        raise TypeError(f"model must be the report CNN (helpers.models.ReportCNN), got {validate.describe(model)}.")
    return model


def _conv(model, layer: str, what: str):
    import torch

    if not isinstance(model, torch.nn.Module) or not isinstance(getattr(model, layer, None), torch.nn.Conv2d):
        raise TypeError(f"model must be {what} (a network with a Conv2d {layer}), got {validate.describe(model)}.")
    return getattr(model, layer)


def _gray_mean(answer, data=None):
    if data is None:
        raise TypeError("pass data=<the grayscale ImageData> to this check.")
    images = _has(data, "images", "data", "the grayscale ImageData")
    images = validate.tensor(images, "data.images")
    ok = abs(_number(answer, "datasets-ex-gray") - float(images.mean())) < 2e-3
    return (
        ok,
        "grayscale conversion is a fixed weighted sum of R, G and B; average the channel means with those weights.",
    )


def _subset_overlap(answer, labels=None):
    from .data import stratified_indices

    if labels is None:
        raise TypeError("pass labels=<the Fashion-MNIST training labels> to this check.")
    labels = validate.labels(labels, "labels", num_classes=10)
    if len(labels) < 500:
        raise ValueError(
            f"labels must be the Fashion-MNIST training labels (the subsets hold 500 of them), got only {len(labels)}."
        )
    value = _number(answer, "datasets-ex-subset")
    a, b = (set(stratified_indices(labels, 500, seed=s).tolist()) for s in (1, 2))
    return value == len(a & b), "intersect the two index sets from helpers.data.stratified_indices (seeds 1 and 2)."


def _coins_energy(answer):
    import skimage

    from .svd import rank_for_energy

    value = _number(answer, "svd-ex-energy")
    coins = skimage.util.img_as_float(skimage.data.coins())
    expected = rank_for_energy(np.linalg.svd(coins, compute_uv=False), 0.99)
    return value == expected, "the smallest k with σ₁² + … + σ_k² ≥ 0.99 Σσᵢ² (svd.rank_for_energy does it)."


def _eig_match(answer):
    value = _number(answer, "param-ex-2")
    return 0 <= value < 1e-10, (
        "eigvals returns the eigenvalues in no particular order: match each to its nearest "
        "FFT eigenvalue before taking the largest distance."
    )


def _confused_pair(answer, true=None, pred=None):
    if true is None or pred is None:
        raise TypeError("pass true=<test labels> and pred=<predictions> to this check.")
    true = validate.labels(true, "true", num_classes=10)
    pred = validate.labels(pred, "pred", num_classes=10, n=len(true))
    if answer is None:
        raise AssertionError("train-ex-confusion: no answer yet. Set `answer` to a pair of digits, e.g. (4, 9).")
    try:
        if isinstance(answer, (str, bytes, dict, set)):
            raise TypeError
        digits = list(answer)
        # whole numbers only: int(4.7) would quietly read as 4
        if any(isinstance(v, (bool, np.bool_)) or not float(v).is_integer() for v in digits):
            raise ValueError
        pair = tuple(sorted(int(v) for v in digits))
    except (TypeError, ValueError, OverflowError):
        raise AssertionError(
            f"train-ex-confusion: `answer` should be a pair of digits, e.g. (4, 9); got {_what(answer)}."
        ) from None
    cm = np.zeros((10, 10), dtype=int)
    np.add.at(cm, (true, pred), 1)
    np.fill_diagonal(cm, 0)
    sym = np.triu(cm + cm.T)
    best = {tuple(sorted(map(int, ij))) for ij in zip(*np.nonzero(sym == sym.max()))}
    return len(
        pair
    ) == 2 and pair in best, "add the off-diagonal confusion matrix to its transpose and take the largest entry."


def _tiny(label, hint):
    def check(answer):
        value = _number(answer, label)
        return 0 <= value < 1e-10, hint

    return check


def _test_norm_mean(answer, root=None):
    from .data import load

    if root is not None and not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be the data root (a path, or None), got {validate.describe(root)}.")
    value = _number(answer, "datasets-ex-normalise")
    expected = float(load("mnist", "test", root=root, normalize=True).images.mean())
    return abs(value - expected) < 1e-6, (
        "load the test split with normalize=True and average all its pixels; "
        "it is standardised with the training split's statistics."
    )


def _jl_worst(answer, points=None):
    from .cs import pairwise_distortion

    if points is None:
        raise TypeError("pass points=<the (n, 784) array X of the section> to this check.")
    points = validate.array(points, "points", ndim=2)
    if len(points) < 2:
        raise ValueError(f"points must hold at least two points (rows), got {len(points)}.")
    value = _number(answer, "cs-ex-jl")
    expected = float(np.abs(pairwise_distortion(points, 100, seed=0) ** 2 - 1).max())
    return abs(value - expected) < 1e-9, (
        "square the ratios cs.pairwise_distortion(X, 100, seed=0) returns, "
        "subtract 1 and take the largest absolute value."
    )


def _samples_peak(answer):
    value = _number(answer, "dd-ex-samples")
    return 800 <= value <= 1250, (
        "sweep n at fixed N = 1000 (include n = 1000), fit the minimum-norm solution "
        "for each, and take the n whose test MSE is highest."
    )


def _rank_one(answer):
    return abs(_number(answer, "svd-ex-rank-one") - 15.0) < 1e-6, "σ₁ of xyᵀ is a product of two norms."


def _phase_transition(answer):
    from .cs import donoho_tanner_rho

    k = _number(answer, "cs-ex-pt")
    expected = float(donoho_tanner_rho(0.5)) * 100
    return abs(k - expected) <= 3, "read ρ = k/M off the curve at δ = M/N = 0.5, then multiply by M."


def _coherence(answer, shape=None):
    if shape is None:
        raise TypeError("pass shape=<the image's shape> to this check.")
    if isinstance(shape, (str, bytes)) or not isinstance(shape, (tuple, list)) or not shape:
        raise TypeError(f"shape must be the image's shape, a tuple such as (64, 64), got {validate.describe(shape)}.")
    shape = tuple(validate.positive_int(v, "each entry of shape") for v in shape)
    value = _number(answer, "cs-ex-coherence")
    return abs(value - float(np.sqrt(np.prod(shape)))) < 1e-6, (
        "build Φ from rows of the DCT matrix D (c = D x): row r is cs.idct2 of the r-th unit image, not "
        "cs.dct2 (that gives a column). Then every row sees exactly one DCT coefficient."
    )


def _conv_params(answer):
    value = _number(answer, "param-ex-7")
    expected = (3 * 32**2) * (64 * 32**2) / (64 * 3 * 3 * 3)
    return abs(value / expected - 1) < 1e-3, (
        "divide the dense layer's weights (every input value to every one of the 64·32·32 output values) by "
        "the convolution's (each of the 64 filters spans all 3 input channels)."
    )


def _tiny_params(answer):
    from .models import TinyConvNet, count_parameters

    return _number(answer, "train-ex-params") == count_parameters(TinyConvNet()), (
        "count the weights of conv1, conv2 and fc, and do not forget fc's bias."
    )


def _invisible_images(answer, model=None):
    import torch

    if model is None:
        raise TypeError("pass model=<the TinyConvNet> to this check.")
    conv = _conv(model, "conv1", "the TinyConvNet")
    if conv.in_channels != 1:
        raise ValueError(f"model must be the TinyConvNet of MNIST (1 input channel), got {conv.in_channels} channels.")
    value = _number(answer, "convsvd-ex-null")
    w = conv.weight.detach().double().cpu()
    eye = torch.eye(28 * 28, dtype=torch.float64).reshape(-1, w.shape[1], 28, 28)
    a = torch.nn.functional.conv2d(eye, w).reshape(28 * 28, -1).T
    expected = float(torch.linalg.svdvals(a)[-1])
    return abs(value - expected) <= 1e-6 * max(expected, 1e-12), (
        "A has one column per pixel: the flattened output of conv1 (no bias) on the image that is 1 at that "
        "pixel and 0 elsewhere; `answer` is its smallest singular value (torch.linalg.svdvals, float64)."
    )


def _blank_fires(answer, model=None, data=None):
    import torch

    if model is None or data is None:
        raise TypeError("pass model=<the TinyConvNet> and data=<the normalised MNIST split> to this check.")
    conv = _conv(model, "conv1", "the TinyConvNet")
    if conv.in_channels != 1 or tuple(conv.kernel_size) != (3, 3):
        raise ValueError("model must be the TinyConvNet of MNIST (conv1: 1 input channel, 3 x 3 kernels).")
    mean = _has(data, "mean", "data", "the normalised MNIST split (an ImageData with mean and std)")
    std = _has(data, "std", "data", "the normalised MNIST split (an ImageData with mean and std)")
    try:
        mean = validate.real(mean[0], "data.mean[0]")
        std = validate.real(std[0], "data.std[0]", low=0.0, low_open=True)
    except (TypeError, IndexError, KeyError):
        raise TypeError(f"data.mean and data.std must be sequences of numbers, got {mean!r} and {std!r}.") from None
    value = _number(answer, "convsvd-ex-bias")
    blank = torch.full((1, 1, 3, 3), (0.0 - mean) / std)
    with torch.no_grad():
        expected = int((model.conv1.cpu()(blank) > 0).sum())
    return value == expected, (
        "a background pixel is 0 before normalisation; normalise it with the split's mean "
        "and std, fill a 3x3 patch with it and count the filters with a positive output."
    )


def _operator_norm(answer, model=None):
    from .conv_svd import operator_singular_values

    if model is None:
        raise TypeError("pass model=<the TinyConvNet> to this check.")
    conv = _conv(model, "conv2", "the TinyConvNet")
    if tuple(conv.weight.shape) != (16, 8, 3, 3):
        raise ValueError(f"model must be the TinyConvNet (conv2: 16 x 8 x 3 x 3), got {tuple(conv.weight.shape)}.")
    value = _number(answer, "convsvd-ex-opnorm")
    expected = float(operator_singular_values(conv, 26)[0])
    return abs(value - expected) <= 1e-6 * expected, (
        "take torch.fft.fft2 of conv2's weight with s=(26, 26), move the two frequency axes to the front, "
        "and take the largest of all the singular values (torch.linalg.svdvals) of the 16 x 8 matrices."
    )


def _worst_recall(answer, true=None, pred=None):
    if true is None or pred is None:
        raise TypeError("pass true=<test labels> and pred=<predictions> to this check.")
    true = validate.labels(true, "true", num_classes=10)
    pred = validate.labels(pred, "pred", num_classes=10, n=len(true))
    value = _number(answer, "svd-ex-subspace")
    recall = [float((pred[true == d] == d).mean()) if np.any(true == d) else 1.0 for d in range(10)]
    return value == int(np.argmin(recall)), (
        "for each digit d, the fraction of the test images of d predicted as d; the answer is the digit "
        "where that fraction is smallest."
    )


def _breakeven(answer):
    return abs(_number(answer, "lr-ex-breakeven") - 288 / 41) < 0.01, (
        "solve k (C_in·9 + C_out) = C_out·C_in·9 for C_in = 1, C_out = 32."
    )


def _energy_rank(answer, model=None):
    from .lowrank import ranks_for_energy

    if model is None:
        raise TypeError("pass model=<the report CNN> to this check.")
    _report_cnn(model)
    return _number(answer, "lr-ex-energy") == ranks_for_energy(model, 0.9)["conv2"], (
        "the smallest k whose σ₁² + … + σ_k² reaches 90% of ‖W‖_F² for conv2's 64 x 288 matrix."
    )


def _pca_beats_random(answer, images=None, projection=None):
    import torch

    if images is None or projection is None:
        raise TypeError("pass images=<the 2,000 training images> and projection=<the random projection> to this check.")
    images = validate.tensor(images, "images")
    if images.dim() < 2 or len(images) < 2:
        raise ValueError(f"images must be a batch of at least two images, got shape {tuple(images.shape)}.")
    matrix = _has(projection, "matrix", "projection", "the random projection (helpers.projections.random_projection)")
    matrix = validate.tensor(matrix, "projection.matrix", ndim=2)
    if matrix.shape[1] != images[0].numel():
        raise ValueError(
            f"projection expects {matrix.shape[1]} pixels per image but the images have {images[0].numel()}."
        )
    value = _number(answer, "rp-ex-pca-random")
    x = images.flatten(1).double()
    x = x - x.mean(0)
    q, _ = torch.linalg.qr(matrix.double().T)
    _, _, vt = torch.linalg.svd(x, full_matrices=False)
    m = matrix.shape[0]
    err = lambda b: float(((x - x @ b @ b.T) ** 2).sum())
    expected = err(q) / err(vt[:m].T)
    return value >= 1 and abs(value / expected - 1) < 1e-6, (
        "centre the images, project onto an orthonormal basis of R's rows (QR of Rᵀ) and onto the top M right "
        "singular vectors, and divide the two sums of squared residuals (random over PCA)."
    )


def _data_aware(answer, model=None, images=None, data=None):
    import torch

    from .lowrank import compress
    from .train import evaluate

    if model is None or images is None or data is None:
        raise TypeError(
            "pass model=<the report CNN>, images=<the 1,000 training images> and data=<the selection "
            "half> to this check."
        )
    _report_cnn(model)
    images = validate.image_batch(images, "images", channels=model.conv1.in_channels)
    validate.tensor(images, "images")
    value = _number(answer, "lr-ex-data")
    conv = model.conv2
    with torch.no_grad():
        h = model[:3](images)
        p = torch.nn.functional.unfold(h, 3, padding=1).transpose(1, 2).reshape(-1, conv.weight[0].numel()).double()
        w = conv.weight.reshape(conv.out_channels, -1).double()
        y = w @ p.T
        _, vecs = torch.linalg.eigh(y @ y.T)  # the left singular vectors of Y, largest last
        u = vecs[:, -8:]
        net = compress(model, {"conv2": conv.out_channels}, scheme="truncate")
        net.conv2.weight.copy_((u @ u.T @ w).reshape(conv.weight.shape).float())
    expected = evaluate(net, data)["accuracy"]
    return abs(value - expected) < 2e-3, (
        "take U_k from the SVD of Y = W Pᵀ (conv2's outputs on the patches, "
        "unfold with padding=1), replace conv2's W by U_k U_kᵀ W, and evaluate "
        "on eval_fm; `answer` is an accuracy in [0, 1]."
    )


def _jl_dim(answer):
    from sklearn.random_projection import johnson_lindenstrauss_min_dim

    return _number(answer, "rp-ex-jl") == johnson_lindenstrauss_min_dim(60000, eps=0.1), (
        "scikit-learn's johnson_lindenstrauss_min_dim answers this for n samples and ε."
    )


def _norm_bound(answer, features=None, labels=None):
    from .double_descent import SVDFit, one_hot, random_relu_features

    if features is None or labels is None:
        raise TypeError("pass features=<the centred training images X> and labels=<their labels> to this check.")
    features = validate.array(features, "features", ndim=2)
    labels = validate.labels(labels, "labels", num_classes=10, n=len(features))
    value = _number(answer, "dd-ex-sigma")
    f, _ = random_relu_features(features, len(features), seed=0)
    fit = SVDFit(f)
    y = one_hot(labels)[:, 0]
    expected = np.linalg.norm(fit.coefficients(y)) / (abs(fit.u[:, -1] @ y) / fit.s[-1])
    return value >= 1 - 1e-9 and abs(value / expected - 1) < 1e-6, (
        "features with N = n and seed 0, y = the one-hot column of digit 0; divide ‖β‖ of the minimum-norm fit "
        "by |u_rᵀy|/σ_r (u_r: the last column of fit_.u, σ_r: the last singular value)."
    )


def _gd_min_norm(answer):
    value = _number(answer, "dd-ex-gd")
    return 0 <= value < 1e-8, (
        "`answer` should be ‖b − VVᵀb‖/‖b‖, the part of the iterate outside the row space "
        "of F (V: right singular vectors, fit_.vt.T), relative to ‖b‖."
    )


CHECKS = {
    "datasets-ex-subset": _subset_overlap,
    "datasets-ex-gray": _gray_mean,
    "datasets-ex-normalise": _test_norm_mean,
    "svd-ex-transpose": _tiny(
        "svd-ex-transpose",
        "compare the singular values of M and M.T in the same (descending) "
        "order; the largest difference should be rounding error.",
    ),
    "svd-ex-energy": _coins_energy,
    "param-ex-2": _eig_match,
    "param-ex-3": _tiny(
        "param-ex-3",
        "use the eigenvalues lam2 = fft(first column of K), multiply fft(y16) by them "
        "and take the real part of the inverse FFT; divide the norm of the difference "
        "by norm(K @ y16).",
    ),
    "train-ex-confusion": _confused_pair,
    "svd-ex-rank-one": _rank_one,
    "svd-ex-subspace": _worst_recall,
    "cs-ex-pt": _phase_transition,
    "cs-ex-coherence": _coherence,
    "cs-ex-jl": _jl_worst,
    "param-ex-7": _conv_params,
    "train-ex-params": _tiny_params,
    "convsvd-ex-orthogonal": _tiny(
        "convsvd-ex-orthogonal",
        "V is svd1['Vt'] (8 x 9, float64): compute V @ V.T - I and take the largest absolute entry.",
    ),
    "convsvd-ex-null": _invisible_images,
    "convsvd-ex-bias": _blank_fires,
    "convsvd-ex-opnorm": _operator_norm,
    "lr-ex-breakeven": _breakeven,
    "lr-ex-energy": _energy_rank,
    "lr-ex-data": _data_aware,
    "rp-ex-jl": _jl_dim,
    "rp-ex-pca-random": _pca_beats_random,
    "dd-ex-sigma": _norm_bound,
    "dd-ex-gd": _gd_min_norm,
    "dd-ex-samples": _samples_peak,
}


class _UnknownExercise(ValueError, KeyError):
    """An unknown exercise label: a ValueError by the book's standard, and a KeyError as it always was."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def check(label: str, answer, **context) -> bool:
    """Check ``answer`` to exercise ``label``; prints ✓ or raises AssertionError with a hint.

    A missing or malformed ``answer`` (``None``, a string, an array where a
    number is meant) is "not yet": an ``AssertionError`` that says what
    ``answer`` should be. An unknown ``label`` (``ValueError``, naming the
    closest labels) or context the check does not take or cannot use
    (``TypeError``/``ValueError`` naming it) is a mistake in the cell, not in the
    answer.
    """
    if not isinstance(label, str):
        raise TypeError(
            f"label must be the exercise's label, a string such as 'svd-ex-energy', got {validate.describe(label)}."
        )
    if label not in CHECKS:
        close = difflib.get_close_matches(label, CHECKS, n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise _UnknownExercise(f"no self-check for exercise {label!r} (label).{hint} Known: {', '.join(CHECKS)}.")
    takes = [name for name in inspect.signature(CHECKS[label]).parameters if name != "answer"]
    unknown = sorted(set(context) - set(takes))
    if unknown:
        wanted = f"only {', '.join(f'{name}=' for name in takes)}" if takes else "no context, only the answer"
        raise TypeError(
            f"check({label!r}) got unexpected context {', '.join(f'{k}=' for k in unknown)}; it takes {wanted}."
        )
    ok, hint = CHECKS[label](answer, **context)
    if not ok:
        raise AssertionError(f"{label}: not right yet. Hint: {hint}")
    print(f"✓ {label}: your answer is right.")
    return True
