"""helpers.selfcheck: every exercise's check accepts a right answer and refuses a wrong one with a hint.

The right answers are computed here on small stand-ins for the chapters'
data (a random network, a few hundred fake labels, the fake MNIST of
``conftest.fake_root``), where possible by another route than the check's own.
"""

import copy
import functools
import types

import numpy as np
import pytest
import torch

from helpers import selfcheck
from helpers.models import ReportCNN, TinyConvNet, count_parameters


@functools.cache
def _gray():
    images = torch.rand(20, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    data = types.SimpleNamespace(images=images)
    return float(images.mean()), dict(data=data)


@functools.cache
def _subset():
    from helpers.data import stratified_indices

    labels = np.arange(1000) % 10
    a, b = (set(stratified_indices(labels, 500, seed=s).tolist()) for s in (1, 2))
    return len(a & b), dict(labels=labels)


def _normalise(root):
    from helpers.data import load

    test = load("mnist", "test", root=root)
    train = load("mnist", "train", root=root)
    mean, std = float(train.images.mean()), float(train.images.std())
    return float(((test.images - mean) / std).mean()), dict(root=root)


@functools.cache
def _coins_energy():
    import skimage

    s = np.linalg.svd(skimage.util.img_as_float(skimage.data.coins()), compute_uv=False)
    energy = np.cumsum(s**2) / np.sum(s**2)
    return int(np.searchsorted(energy, 0.99) + 1), {}


@functools.cache
def _confusion():
    # 4 and 9 are confused 3 + 2 times, every other pair at most twice
    true = np.array([4, 4, 4, 9, 9, 1, 1, 7, 3, 3, 3])
    pred = np.array([9, 9, 9, 4, 4, 7, 7, 1, 3, 3, 3])
    return (9, 4), dict(true=true, pred=pred)


@functools.cache
def _phase_transition():
    from helpers.cs import donoho_tanner_rho

    return float(donoho_tanner_rho(0.5)) * 100, {}


@functools.cache
def _jl():
    from helpers.cs import pairwise_distortion

    x = np.random.default_rng(0).standard_normal((12, 784))
    ratios = pairwise_distortion(x, 100, seed=0)
    assert ratios.shape == (12 * 11 // 2,)  # one ratio per pair
    return float(np.abs(ratios**2 - 1).max()), dict(points=x)


@functools.cache
def _conv1_null_space():
    torch.manual_seed(0)
    model = TinyConvNet()
    w = model.conv1.weight.detach().double()[:, 0]  # (C, 3, 3)
    c, k = w.shape[0], w.shape[-1]
    # the matrix of the bias-free 'valid' convolution, written entry by entry from the kernel
    a = torch.zeros(c, 28 - k + 1, 28 - k + 1, 28, 28, dtype=torch.float64)
    rows = torch.arange(28 - k + 1)
    for di in range(k):
        for dj in range(k):
            a[:, rows[:, None], rows[None, :], rows[:, None] + di, rows[None, :] + dj] = w[:, di, dj, None, None]
    a = a.reshape(-1, 28 * 28)
    # σ_min² is the smallest eigenvalue of AᵀA (784 x 784): cheaper than the SVD the check does
    return float(torch.linalg.eigvalsh(a.T @ a).min().sqrt()), dict(model=model)


@functools.cache
def _blank_fires():
    torch.manual_seed(0)
    model = TinyConvNet()
    data = types.SimpleNamespace(mean=(0.13,), std=(0.31,))
    blank = torch.full((1, 1, 28, 28), -0.13 / 0.31)
    with torch.no_grad():
        centre = model.conv1(blank)[0, :, 10, 10]
    return int((centre > 0).sum()), dict(model=model, data=data)


@functools.cache
def _energy_rank():
    torch.manual_seed(0)
    model = ReportCNN(1, 28)
    s = torch.linalg.svdvals(model.conv2.weight.detach().reshape(64, -1).double()).numpy()
    energy = np.cumsum(s**2) / np.sum(s**2)
    return int(np.searchsorted(energy, 0.9) + 1), dict(model=model)


@functools.cache
def _data_aware():
    from helpers.train import evaluate

    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    model = ReportCNN(1, 28).eval()
    images = torch.randn(30, 1, 28, 28, generator=g)
    data = (torch.randn(64, 1, 28, 28, generator=g), torch.randint(0, 10, (64,), generator=g))
    conv = model.conv2
    with torch.no_grad():
        h = model.pool1(model.relu1(model.conv1(images)))
        patches = torch.nn.functional.unfold(h, 3, padding=1).transpose(1, 2).reshape(-1, 32 * 9).double()
        w = conv.weight.reshape(64, -1).double()
        u = torch.linalg.svd(w @ patches.T, full_matrices=False)[0][:, :8]
        net = copy.deepcopy(model)
        net.conv2.weight.copy_((u @ u.T @ w).reshape(conv.weight.shape).float())
    return evaluate(net, data, device="cpu")["accuracy"], dict(model=model, images=images, data=data)


@functools.cache
def _pca_random():
    g = torch.Generator().manual_seed(0)
    images = torch.rand(60, 1, 6, 6, generator=g)
    projection = types.SimpleNamespace(matrix=torch.randn(5, 36, generator=g))
    x = images.flatten(1).double().numpy()
    x = x - x.mean(0)
    r = projection.matrix.double().numpy()
    onto_r = x @ np.linalg.pinv(r) @ r
    vt = np.linalg.svd(x, full_matrices=False)[2][:5]
    onto_pca = x @ vt.T @ vt
    ratio = np.sum((x - onto_r) ** 2) / np.sum((x - onto_pca) ** 2)
    return float(ratio), dict(images=images, projection=projection)


@functools.cache
def _jl_dim():
    from sklearn.random_projection import johnson_lindenstrauss_min_dim

    return int(johnson_lindenstrauss_min_dim(60000, eps=0.1)), {}


@functools.cache
def _norm_bound():
    from helpers.double_descent import random_relu_features

    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 20))
    labels = np.arange(30) % 10
    f, _ = random_relu_features(x, 30, seed=0)
    y = (labels == 0).astype(float)
    beta = np.linalg.pinv(f) @ y
    u, s, _ = np.linalg.svd(f, full_matrices=False)
    return float(np.linalg.norm(beta) / (abs(u[:, -1] @ y) / s[-1])), dict(features=x, labels=labels)


@functools.cache
def _operator_norm():
    torch.manual_seed(0)
    model = TinyConvNet()
    w = model.conv2.weight.detach().double()
    k_hat = torch.fft.fft2(w, s=(26, 26)).permute(2, 3, 0, 1)  # one 16 x 8 matrix per frequency
    return float(torch.linalg.svdvals(k_hat).max()), dict(model=model)


def _worst_recall():
    true = np.repeat(np.arange(10), 5)
    pred = true.copy()
    pred[true == 7] = [7, 1, 1, 7, 2]  # digit 7: 2 of 5 right, every other digit 5 of 5
    return 7, dict(true=true, pred=pred)


# label -> a function giving (a right answer, the context the check needs)
RIGHT = {
    "datasets-ex-subset": _subset,
    "datasets-ex-gray": _gray,
    "datasets-ex-normalise": _normalise,
    "svd-ex-transpose": lambda: (1e-15, {}),
    "svd-ex-energy": _coins_energy,
    "param-ex-2": lambda: (3e-14, {}),
    "param-ex-3": lambda: (0.0, {}),
    "train-ex-confusion": _confusion,
    "svd-ex-rank-one": lambda: (15.0, {}),
    "svd-ex-subspace": _worst_recall,
    "cs-ex-pt": _phase_transition,
    "cs-ex-coherence": lambda: (8.0, dict(shape=(8, 8))),
    "cs-ex-jl": _jl,
    "param-ex-7": lambda: ((3 * 32**2) * (64 * 32**2) / (64 * 3 * 3 * 3), {}),
    "train-ex-params": lambda: (count_parameters(TinyConvNet()), {}),
    "convsvd-ex-orthogonal": lambda: (2e-16, {}),
    "convsvd-ex-null": _conv1_null_space,
    "convsvd-ex-bias": _blank_fires,
    "convsvd-ex-opnorm": _operator_norm,
    "lr-ex-breakeven": lambda: (288 / 41, {}),
    "lr-ex-energy": _energy_rank,
    "lr-ex-data": _data_aware,
    "rp-ex-jl": _jl_dim,
    "rp-ex-pca-random": _pca_random,
    "dd-ex-sigma": _norm_bound,
    "dd-ex-gd": lambda: (1e-12, {}),
    "dd-ex-samples": lambda: (1000, {}),
}


def _wrong(right):
    """An answer that is clearly wrong: a different pair, or a number 50% (at least 2) away."""
    if isinstance(right, tuple):
        return (1, 2)
    value = float(right)
    return value + max(0.5 * abs(value), 2.0) if value < 0.5 or value > 1 else value - 0.2


def test_every_check_is_tested_here():
    assert sorted(RIGHT) == sorted(selfcheck.CHECKS)


@pytest.mark.parametrize("label", sorted(RIGHT))
def test_check_accepts_the_right_answer_and_refuses_a_wrong_one(label, fake_root, capsys):
    make = RIGHT[label]
    right, context = make(fake_root) if label == "datasets-ex-normalise" else make()
    assert selfcheck.check(label, right, **context) is True
    assert f"✓ {label}: your answer is right." in capsys.readouterr().out
    with pytest.raises(AssertionError, match=rf"^{label}: not right yet\. Hint: \S"):
        selfcheck.check(label, _wrong(right), **context)


@pytest.mark.parametrize("label", sorted(set(RIGHT) - {"train-ex-confusion"}))
def test_a_missing_or_malformed_answer_is_explained(label, fake_root):
    make = RIGHT[label]
    _, context = make(fake_root) if label == "datasets-ex-normalise" else make()
    with pytest.raises(AssertionError, match=rf"^{label}: no answer yet\. Set `answer`"):
        selfcheck.check(label, None, **context)
    with pytest.raises(AssertionError, match=rf"^{label}: `answer` should be a single number, got str"):
        selfcheck.check(label, "many", **context)
    with pytest.raises(AssertionError, match=rf"^{label}: `answer` is nan; it should be a finite number"):
        selfcheck.check(label, float("nan"), **context)


def test_the_confusion_check_explains_a_missing_or_malformed_pair():
    _, context = _confusion()
    with pytest.raises(AssertionError, match="no answer yet. Set `answer` to a pair of digits"):
        selfcheck.check("train-ex-confusion", None, **context)
    with pytest.raises(AssertionError, match="should be a pair of digits"):
        selfcheck.check("train-ex-confusion", 4, **context)
    with pytest.raises(AssertionError, match="not right yet"):
        selfcheck.check("train-ex-confusion", (4, 9, 1), **context)


@pytest.mark.parametrize(
    "label, needs",
    [
        ("datasets-ex-gray", "data="),
        ("datasets-ex-subset", "labels="),
        ("train-ex-confusion", "true=.*pred="),
        ("svd-ex-subspace", "true=.*pred="),
        ("cs-ex-jl", "points="),
        ("cs-ex-coherence", "shape="),
        ("convsvd-ex-null", "model="),
        ("convsvd-ex-bias", "model=.*data="),
        ("convsvd-ex-opnorm", "model="),
        ("lr-ex-energy", "model="),
        ("lr-ex-data", "model=.*images=.*data="),
        ("rp-ex-pca-random", "images=.*projection="),
        ("dd-ex-sigma", "features=.*labels="),
    ],
)
def test_a_check_without_its_context_says_what_to_pass(label, needs):
    with pytest.raises(TypeError, match=rf"pass {needs}"):
        selfcheck.check(label, 1.0)


def test_an_unknown_exercise_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match=r"no self-check for exercise 'nope' \(label\)\. Known: datasets-ex-subset"):
        selfcheck.check("nope", 1)
    with pytest.raises(ValueError, match="Did you mean 'svd-ex-energy'"):
        selfcheck.check("svd-ex-enrgy", 1)
