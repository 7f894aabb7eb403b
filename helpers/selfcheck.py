"""Self-check cells for the exercises: is an answer right, without showing the right answer.

Used by the cells tagged ``self-check`` in the chapters and kept in the
student handouts (``tools/handouts.py``). Each check recomputes what it needs
here, out of the student's sight, and either prints a confirmation or raises
an ``AssertionError`` with a hint that does not give the answer away.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check", "CHECKS"]


def _number(answer, label):
    if answer is None:
        raise AssertionError(f"{label}: no answer yet. Set `answer` in the cell above, then run this cell again.")
    try:
        value = float(np.asarray(answer, dtype=float).reshape(()))
    except (TypeError, ValueError):
        raise AssertionError(f"{label}: `answer` should be a single number, got {type(answer).__name__}.") from None
    if not np.isfinite(value):
        raise AssertionError(f"{label}: `answer` is {value}; it should be a finite number.")
    return value


def _gray_mean(answer, data=None):
    if data is None:
        raise TypeError("pass data=<the grayscale ImageData> to this check.")
    ok = abs(_number(answer, "datasets-ex-gray") - float(data.images.mean())) < 2e-3
    return (
        ok,
        "grayscale conversion is a fixed weighted sum of R, G and B; average the channel means with those weights.",
    )


def _subset_overlap(answer, labels=None):
    from .data import stratified_indices

    if labels is None:
        raise TypeError("pass labels=<the Fashion-MNIST training labels> to this check.")
    value = _number(answer, "datasets-ex-subset")
    a, b = (set(stratified_indices(np.asarray(labels), 500, seed=s).tolist()) for s in (1, 2))
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
    if answer is None:
        raise AssertionError("train-ex-confusion: no answer yet. Set `answer` to a pair of digits, e.g. (4, 9).")
    try:
        pair = tuple(sorted(int(v) for v in answer))
    except (TypeError, ValueError):
        raise AssertionError("train-ex-confusion: `answer` should be a pair of digits, e.g. (4, 9).") from None
    true, pred = np.asarray(true), np.asarray(pred)
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
    value = _number(answer, "cs-ex-jl")
    expected = float(np.abs(pairwise_distortion(np.asarray(points), 100, seed=0) ** 2 - 1).max())
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
    value = _number(answer, "convsvd-ex-null")
    w = model.conv1.weight.detach().double().cpu()
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
    value = _number(answer, "convsvd-ex-bias")
    blank = torch.full((1, 1, 3, 3), (0.0 - data.mean[0]) / data.std[0])
    with torch.no_grad():
        expected = int((model.conv1.cpu()(blank) > 0).sum())
    return value == expected, (
        "a background pixel is 0 before normalisation; normalise it with the split's mean "
        "and std, fill a 3x3 patch with it and count the filters with a positive output."
    )


def _breakeven(answer):
    return abs(_number(answer, "lr-ex-breakeven") - 288 / 41) < 0.01, (
        "solve k (C_in·9 + C_out) = C_out·C_in·9 for C_in = 1, C_out = 32."
    )


def _energy_rank(answer, model=None):
    from .lowrank import ranks_for_energy

    if model is None:
        raise TypeError("pass model=<the report CNN> to this check.")
    return _number(answer, "lr-ex-energy") == ranks_for_energy(model, 0.9)["conv2"], (
        "the smallest k whose σ₁² + … + σ_k² reaches 90% of ‖W‖_F² for conv2's 64 x 288 matrix."
    )


def _pca_beats_random(answer, images=None, projection=None):
    import torch

    if images is None or projection is None:
        raise TypeError("pass images=<the 2,000 training images> and projection=<the random projection> to this check.")
    value = _number(answer, "rp-ex-pca-random")
    x = images.flatten(1).double()
    x = x - x.mean(0)
    q, _ = torch.linalg.qr(projection.matrix.double().T)
    _, _, vt = torch.linalg.svd(x, full_matrices=False)
    m = projection.matrix.shape[0]
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
    value = _number(answer, "dd-ex-sigma")
    f, _ = random_relu_features(np.asarray(features), len(features), seed=0)
    fit = SVDFit(f)
    y = one_hot(np.asarray(labels))[:, 0]
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
    "lr-ex-breakeven": _breakeven,
    "lr-ex-energy": _energy_rank,
    "lr-ex-data": _data_aware,
    "rp-ex-jl": _jl_dim,
    "rp-ex-pca-random": _pca_beats_random,
    "dd-ex-sigma": _norm_bound,
    "dd-ex-gd": _gd_min_norm,
    "dd-ex-samples": _samples_peak,
}


def check(label: str, answer, **context) -> bool:
    """Check ``answer`` to exercise ``label``; prints ✓ or raises AssertionError with a hint."""
    if label not in CHECKS:
        raise KeyError(f"no self-check for exercise {label!r}; known: {', '.join(CHECKS)}.")
    ok, hint = CHECKS[label](answer, **context)
    if not ok:
        raise AssertionError(f"{label}: not right yet. Hint: {hint}")
    print(f"✓ {label}: your answer is right.")
    return True
