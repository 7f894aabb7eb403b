"""Random and PCA projections (chapter "CNNs against random projections") and the CV folds."""

import numpy as np
import pytest
import torch
from scipy.spatial.distance import pdist

from helpers import projections as P
from helpers.cs import jl_epsilon
from helpers.train import stratified_folds


def test_random_projection_shape_and_seed_determinism():
    x = torch.randn(50, 1, 28, 28)
    a = P.random_projection(64, 784, seed=3)
    b = P.random_projection(64, 784, seed=3)
    c = P.random_projection(64, 784, seed=4)
    assert a.matrix.shape == (64, 784) and a(x).shape == (50, 64) and a(x).dtype == torch.float32
    assert torch.equal(a(x), b(x))
    assert not torch.allclose(a(x), c(x))
    assert repr(a) == "Projection(random, D=784 -> M=64, seed=3)"
    # flattened vectors and images give the same features
    assert torch.equal(a(x), a(x.flatten(1)))


def test_random_projection_feature_scale_is_about_one():
    # unit-variance pixels give unit-variance features (the constant sqrt(D/M) scaling)
    x = torch.randn(2000, 1024)
    feats = P.random_projection(128, 1024, seed=0)(x)
    assert 0.9 < float(feats.var()) < 1.1


def test_random_projection_preserves_distances_within_the_jl_bound():
    # data from a generator unrelated to the projections' seeds (the same PCG64 stream would correlate them)
    rng = np.random.default_rng(12345)
    n, d, m = 60, 1024, 400
    x = rng.standard_normal((n, d)) * rng.uniform(0.5, 2, size=(n, 1))
    eps = jl_epsilon(n, m)
    assert 0 < eps < 1
    violations = []
    for seed in range(20):
        proj = P.random_projection(m, d, seed=seed)
        # undo the constant feature scaling: R itself has N(0, 1/M) entries
        y = proj(torch.from_numpy(x).float()).double().numpy() * float(proj.scale[0])
        ratio = pdist(y) ** 2 / pdist(x) ** 2
        violations.append(int(np.sum(np.abs(ratio - 1) > eps)))
    # With M from the lemma, each pair leaves the band (1 ± eps) with probability at most 2/n^2,
    # so a draw has fewer than one violating pair on average out of n(n-1)/2.
    assert np.mean(violations) < 1
    assert sum(v == 0 for v in violations) >= 15


def test_pca_projection_is_the_svd():
    rng = np.random.default_rng(1)
    # data with a clear 3-dimensional structure plus small noise
    basis = rng.standard_normal((3, 20))
    x = rng.standard_normal((500, 3)) * [5.0, 3.0, 2.0] @ basis + 0.01 * rng.standard_normal((500, 20))
    proj, explained = P.pca_projection(torch.from_numpy(x), 3)
    assert explained.shape == (20,) and explained[2] > 0.999 and explained[-1] == pytest.approx(1.0)
    # orthonormal rows, and whitened features of unit variance and zero mean on the training data
    r = proj.matrix.double()
    assert torch.allclose(r @ r.T, torch.eye(3, dtype=torch.float64), atol=1e-5)
    z = proj(torch.from_numpy(x)).double()
    assert torch.allclose(z.var(0), torch.ones(3, dtype=torch.float64), atol=1e-4)
    assert float(z.mean(0).abs().max()) < 1e-4
    # the top-2 projection is the first two features of the top-3 one
    assert torch.equal(proj.top(2)(torch.from_numpy(x)), z.float()[:, :2]) or torch.allclose(
        proj.top(2)(torch.from_numpy(x)).double(), z[:, :2], atol=1e-6
    )
    with pytest.raises(ValueError, match="m must be an integer from 1 to 3"):
        proj.top(4)
    # reconstruction from 3 axes is almost exact
    raw, _ = P.pca_projection(torch.from_numpy(x), 3, whiten=False)
    zr = raw(torch.from_numpy(x)).double()
    back = zr @ raw.matrix.double() + raw.centre.double()
    assert float((back - torch.from_numpy(x)).abs().max()) < 0.1


@pytest.mark.parametrize(
    "m, d, match",
    [
        (0, 784, "M must be a positive integer, got 0"),
        (-5, 784, "M must be a positive integer"),
        (2.5, 784, "M must be a positive integer"),
        (785, 784, "M=785 is larger than the 784 pixels"),
        (10, 0, "D must be a positive integer"),
    ],
)
def test_random_projection_bad_dimensions(m, d, match):
    with pytest.raises(ValueError, match=match):
        P.random_projection(m, d)


def test_pca_bad_input():
    x = torch.randn(10, 50)
    with pytest.raises(ValueError, match="M=10 principal axes need at least M\\+1 training examples"):
        P.pca_projection(x, 10)
    with pytest.raises(ValueError, match="M=51 is larger than the 50 pixels"):
        P.pca_projection(torch.randn(100, 50), 51)
    with pytest.raises(ValueError, match="NaN or infinite"):
        P.pca_projection(torch.full((10, 5), float("nan")), 2)
    with pytest.raises(ValueError, match="expects 50 pixels per image, got 49"):
        P.random_projection(5, 50)(torch.randn(3, 49))
    with pytest.raises(TypeError, match="must be an ImageData, a tensor or an array"):
        P.random_projection(5, 50)([1, 2, 3])


def test_stratified_folds_are_disjoint_cover_and_stratified():
    labels = np.repeat(np.arange(4), [40, 20, 10, 30])
    folds = stratified_folds(labels, 5, seed=0)
    assert len(folds) == 5
    seen = np.concatenate([va for _, va in folds])
    assert np.array_equal(np.sort(seen), np.arange(len(labels)))  # every example validated exactly once
    for tr, va in folds:
        assert not set(tr) & set(va)
        assert len(tr) + len(va) == len(labels)
        # each class contributes a fifth of its examples to every validation fold
        assert np.array_equal(np.bincount(labels[va], minlength=4), [8, 4, 2, 6])
    # the same seed gives the same folds, another seed different ones
    again = stratified_folds(torch.from_numpy(labels), 5, seed=0)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again))
    other = stratified_folds(labels, 5, seed=1)
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(folds, other))


def test_stratified_folds_bad_k():
    labels = np.repeat(np.arange(3), 4)
    with pytest.raises(ValueError, match="k must be an integer of at least 2 folds, got 1"):
        stratified_folds(labels, 1)
    with pytest.raises(
        ValueError, match="k=5 folds need at least 5 examples of every class, but the rarest class has 4"
    ):
        stratified_folds(labels, 5)
    with pytest.raises(ValueError, match="non-empty 1-D"):
        stratified_folds(np.zeros((2, 2)), 2)
