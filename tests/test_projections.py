"""Random and PCA projections (chapter "CNNs against random projections") and the CV folds."""

import numpy as np
import pytest
import torch
from scipy.spatial.distance import pdist

from helpers import projections
from helpers.cs import jl_epsilon
from helpers.data import ImageData
from helpers.train import stratified_folds


def test_random_projection_shape_and_seed_determinism():
    x = torch.randn(50, 1, 28, 28)
    a = projections.random_projection(64, 784, seed=3)
    b = projections.random_projection(64, 784, seed=3)
    c = projections.random_projection(64, 784, seed=4)
    assert a.matrix.shape == (64, 784) and a(x).shape == (50, 64) and a(x).dtype == torch.float32
    assert torch.equal(a(x), b(x))
    assert not torch.allclose(a(x), c(x))
    assert repr(a) == "Projection(random, D=784 -> M=64, seed=3)"
    # flattened vectors and images give the same features
    assert torch.equal(a(x), a(x.flatten(1)))


def test_random_projection_feature_scale_is_about_one():
    # unit-variance pixels give unit-variance features (the constant sqrt(D/M) scaling)
    x = torch.randn(2000, 1024)
    feats = projections.random_projection(128, 1024, seed=0)(x)
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
        proj = projections.random_projection(m, d, seed=seed)
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
    proj, explained = projections.pca_projection(torch.from_numpy(x), 3)
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
    raw, _ = projections.pca_projection(torch.from_numpy(x), 3, whiten=False)
    zr = raw(torch.from_numpy(x)).double()
    back = zr @ raw.matrix.double() + raw.centre.double()
    assert float((back - torch.from_numpy(x)).abs().max()) < 0.1


@pytest.mark.parametrize(
    "m, d, error, match",
    [
        (0, 784, ValueError, "M must be a positive integer, got 0"),
        (-5, 784, ValueError, "M must be a positive integer"),
        (2.5, 784, TypeError, "M must be an integer, got 2.5"),
        (785, 784, ValueError, "M=785 is larger than the 784 pixels"),
        (10, 0, ValueError, "D must be a positive integer"),
    ],
)
def test_random_projection_bad_dimensions(m, d, error, match):
    with pytest.raises(error, match=match):
        projections.random_projection(m, d)


def test_pca_bad_input():
    x = torch.randn(10, 50)
    with pytest.raises(ValueError, match="M=10 principal axes need at least M\\+1 training examples"):
        projections.pca_projection(x, 10)
    with pytest.raises(ValueError, match="M=51 is larger than the 50 pixels"):
        projections.pca_projection(torch.randn(100, 50), 51)
    with pytest.raises(ValueError, match="NaN or infinite"):
        projections.pca_projection(torch.full((10, 5), float("nan")), 2)
    with pytest.raises(ValueError, match="expects 50 pixels per image, but the images have 49"):
        projections.random_projection(5, 50)(torch.randn(3, 49))
    with pytest.raises(TypeError, match="must be an ImageData, a tensor or an array"):
        projections.random_projection(5, 50)([1, 2, 3])


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
    with pytest.raises(ValueError, match="1-D"):
        stratified_folds(np.zeros((2, 2)), 2)


# --- the chapter's experiments: tiny data, one epoch, checked for shapes, determinism and errors


def _images(n=40, side=28, seed=0, classes=10):
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % classes
    # a class-dependent brightness, so that the networks have something to learn
    images = torch.randn(n, 1, side, side, generator=g) + labels.view(-1, 1, 1, 1).float() / classes
    return ImageData(images, labels, tuple("abcdefghij"[:classes]), "fashion-mnist", "train", "made up", True)


TINY_FIT = {"epochs": 1, "batch_size": 16, "lr": 1e-3}
FIT = {"cnn": TINY_FIT, "mlp": TINY_FIT}


def test_mlp_accuracy_is_a_deterministic_fraction():
    x, y = torch.randn(50, 12), torch.arange(50) % 5
    train, test = (x[:40], y[:40]), (x[40:], y[40:])
    a = projections.mlp_accuracy(train, test, settings=TINY_FIT, seed=1, device="cpu")
    b = projections.mlp_accuracy(train, test, settings=TINY_FIT, seed=1, device="cpu")
    assert isinstance(a, float) and 0 <= a <= 1 and a == b
    # the accuracy is a count of the 10 test examples
    assert round(a * 10) == pytest.approx(a * 10)


def test_mlp_accuracy_bad_input():
    x, y = torch.randn(20, 6), torch.arange(20) % 2
    with pytest.raises(ValueError, match="must not hold \\['seed'\\]"):
        projections.mlp_accuracy((x, y), (x, y), settings=dict(TINY_FIT, seed=3))
    with pytest.raises(TypeError, match="settings must be a dict"):
        projections.mlp_accuracy((x, y), (x, y), settings=[1])
    with pytest.raises(ValueError, match="train has 6 features per example but test has 5"):
        projections.mlp_accuracy((x, y), (x[:, :5], y), settings=TINY_FIT)
    with pytest.raises(ValueError, match="must be an \\(N, M\\) matrix"):
        projections.mlp_accuracy((x.view(20, 2, 3), y), (x, y), settings=TINY_FIT)
    with pytest.raises(ValueError, match="20 feature vectors but 19 labels"):
        projections.mlp_accuracy((x, y[:19]), (x, y), settings=TINY_FIT)
    with pytest.raises(TypeError, match="tuple \\(features, labels\\)"):
        projections.mlp_accuracy(x, (x, y), settings=TINY_FIT)


def test_compare_models_three_models_with_their_costs():
    from helpers.models import MLP, ReportCNN, count_parameters

    train = _images(40)
    proj = projections.random_projection(16, 784, seed=0)
    runs = projections.compare_models(train, proj, k=2, settings=FIT, seed=0, device="cpu")
    assert tuple(runs) == projections.MODELS
    assert runs["cnn"].params == count_parameters(ReportCNN(1, 28))
    assert runs["mlp"].params == count_parameters(MLP(16))
    assert runs["raw"].params == count_parameters(MLP(784))
    for run in runs.values():
        assert len(run.cv.scores) == 2 and all(0 <= s <= 1 for s in run.cv.scores)
        assert run.train_n == 20 and run.macs > 0 and run.epoch_s > 0 and run.total_s >= run.epoch_s
        row = run.row()
        assert set(row) == {"mean", "std", "params", "macs", "per10k"}
        assert row["mean"] == pytest.approx(100 * run.cv.mean) and row["macs"] == pytest.approx(run.macs / 1e6)
        assert row["per10k"] == pytest.approx(run.epoch_s / 20 * 1e4)
    # the same seed gives the same folds and the same networks
    again = projections.compare_models(train, proj, k=2, settings=FIT, seed=0, device="cpu")
    assert all(again[m].cv.scores == runs[m].cv.scores for m in runs)


def test_compare_models_bad_input():
    train = _images(20)
    proj = projections.random_projection(16, 784)
    with pytest.raises(ValueError, match="expects 1024 pixels but the images have 784"):
        projections.compare_models(train, projections.random_projection(16, 1024), k=2, settings=FIT)
    with pytest.raises(ValueError, match="settings must be a dict \\{'cnn'"):
        projections.compare_models(train, proj, k=2, settings={"cnn": TINY_FIT})
    with pytest.raises(ValueError, match="must not hold \\['device'\\]"):
        projections.compare_models(train, proj, k=2, settings={"cnn": TINY_FIT, "mlp": dict(device="cpu")})
    with pytest.raises(TypeError, match="train must be an ImageData"):
        projections.compare_models(train.images, proj, k=2, settings=FIT)
    with pytest.raises(TypeError, match="projection must be a Projection"):
        projections.compare_models(train, "random", k=2, settings=FIT)


def test_sweep_dimensions_one_accuracy_per_m_and_kind():
    train, test = _images(80, side=8, seed=0), _images(20, side=8, seed=1)
    acc, explained = projections.sweep_dimensions(train, test, [4, 8], settings=TINY_FIT, seed=0, device="cpu")
    assert set(acc) == {"random", "pca"} and all(len(v) == 2 for v in acc.values())
    assert all(0 <= a <= 1 for v in acc.values() for a in v)
    assert explained.shape == (64,) and np.all(np.diff(explained) >= -1e-12) and explained[-1] == pytest.approx(1)
    again, _ = projections.sweep_dimensions(train, test, [4, 8], settings=TINY_FIT, seed=0, device="cpu")
    assert again == acc
    with pytest.raises(ValueError, match="m_values is empty"):
        projections.sweep_dimensions(train, test, [], settings=TINY_FIT)
    with pytest.raises(ValueError, match="M=65 is larger than the 64 pixels"):
        projections.sweep_dimensions(train, test, [4, 65], settings=TINY_FIT)
    with pytest.raises(TypeError, match="test must be an ImageData"):
        projections.sweep_dimensions(train, test.images, [4], settings=TINY_FIT)


def test_epochs_for_gives_at_least_min_steps():
    settings = {"epochs": 2, "batch_size": 128}
    assert projections.epochs_for(settings, 10000, 200) == 3  # 200 steps of 128 need 2.56 epochs
    assert projections.epochs_for(settings, 100000, 200) == 2  # the settings' epochs are a minimum
    assert projections.epochs_for(settings, 500, 200) == 52
    with pytest.raises(ValueError, match="n must be a positive integer, got 0"):
        projections.epochs_for(settings, 0, 200)
    with pytest.raises(ValueError, match="min_steps must be a positive integer"):
        projections.epochs_for(settings, 10, 0)
    with pytest.raises(TypeError, match="min_steps must be an integer"):
        projections.epochs_for(settings, 10, 1.5)
    with pytest.raises(ValueError, match="settings lacks \\['batch_size'\\]"):
        projections.epochs_for({"epochs": 1}, 10, 5)


def test_sweep_training_size_one_accuracy_per_subset():
    subsets = [_images(20, seed=2), _images(30, seed=3)]
    test = _images(20, seed=4)
    proj = projections.random_projection(16, 784, seed=0)
    kwargs = dict(settings=FIT, min_steps=2, seed=0, device="cpu")
    acc = projections.sweep_training_size(subsets, test, proj, **kwargs)
    assert set(acc) == {"cnn", "mlp"} and all(len(v) == 2 for v in acc.values())
    assert all(0 <= a <= 1 for v in acc.values() for a in v)
    assert projections.sweep_training_size(subsets, test, proj, **kwargs) == acc
    with pytest.raises(ValueError, match="subsets is empty"):
        projections.sweep_training_size([], test, proj, **kwargs)
    with pytest.raises(TypeError, match="subsets\\[1\\] must be an ImageData"):
        projections.sweep_training_size([subsets[0], subsets[1].images], test, proj, **kwargs)


def test_squared_distance_ratios_are_those_of_the_matrix():
    x = torch.randn(12, 1, 8, 8, generator=torch.Generator().manual_seed(5))
    proj = projections.random_projection(32, 64, seed=2)
    ratios = projections.squared_distance_ratios(proj, x)
    assert ratios.shape == (12 * 11 // 2,)
    flat = x.flatten(1).double()
    r = proj.matrix.double()
    # the first pair of pdist's order is (0, 1)
    first = float(((flat[0] - flat[1]) @ r.T).pow(2).sum() / (flat[0] - flat[1]).pow(2).sum())
    assert ratios[0] == pytest.approx(first, rel=1e-5)
    with pytest.raises(ValueError, match="defined for a random projection, got a pca one"):
        projections.squared_distance_ratios(projections.pca_projection(x, 4)[0], x)
    with pytest.raises(ValueError, match="at least two points"):
        projections.squared_distance_ratios(proj, x[:1])
    with pytest.raises(ValueError, match="two of the points coincide"):
        projections.squared_distance_ratios(proj, torch.cat([x[:2], x[:1]]))
