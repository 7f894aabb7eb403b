import numpy as np
import pytest

from helpers import double_descent as DD

RNG = np.random.default_rng(0)


def toy(n=80, d=20, n_test=200, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((d, 3))
    x, xt = rng.standard_normal((n, d)), rng.standard_normal((n_test, d))
    return x, (x @ w).argmax(1), xt, (xt @ w).argmax(1)


def test_features_are_seeded_and_reusable():
    x = RNG.standard_normal((5, 4))
    f1, w = DD.random_relu_features(x, 7, seed=3)
    f2, _ = DD.random_relu_features(x, 7, seed=3)
    assert f1.shape == (5, 7) and np.array_equal(f1, f2) and np.all(f1 >= 0)
    ft, _ = DD.random_relu_features(x[:2], 0, weights=w)
    assert np.array_equal(ft, f1[:2])


def test_min_norm_fit_equals_pinv_and_ridge_equals_closed_form():
    f = RNG.standard_normal((10, 25))
    y = RNG.standard_normal((10, 3))
    fit = DD.SVDFit(f)
    assert np.allclose(fit.coefficients(y), np.linalg.pinv(f) @ y)
    lam = 0.5
    ridge = np.linalg.solve(f.T @ f + lam * np.eye(25), f.T @ y)
    assert np.allclose(fit.coefficients(y, lam), ridge)
    assert fit.sigma_min == pytest.approx(np.linalg.svd(f, compute_uv=False)[-1])


def test_label_noise_flips_the_requested_fraction():
    y = np.arange(1000) % 10
    noisy = DD.add_label_noise(y, 0.2, seed=1)
    assert np.sum(noisy != y) == 200
    assert np.array_equal(DD.add_label_noise(y, 0.0), y)
    assert np.all(DD.add_label_noise(y, 1.0) != y)


def test_double_descent_on_a_toy_problem():
    x, y, xt, yt = toy()
    n = len(x)
    widths = [10, 20, 40, 60, n, 100, 160, 320, 800]
    res = DD.sweep_widths(x, y, xt, yt, widths, seeds=(0, 1), ridges=(0.0, 1.0), noises=(0.0, 0.3), num_classes=3)
    mse = res["test_mse"][:, :, 0, 0].mean(0)
    peak = int(np.argmax(mse))
    assert 1 / 1.5 <= widths[peak] / n <= 1.5
    assert mse[-1] < mse[peak]
    assert int(np.argmax(res["norm"][:, :, 0, 0].mean(0))) == peak
    assert int(np.argmin(res["sigma_min"].mean(0))) == peak
    # ridge lowers the peak; interpolation above the threshold
    assert res["test_mse"][:, :, 1, 0].mean(0).max() < mse.max()
    assert np.all(res["train_err"][:, widths.index(n) + 1 :, 0, 0] == 0)
    assert res["test_mse"][:, peak, 0, 1].mean() > mse[peak] * 0.5


# ------------------------------------------------------------------ bad input


def test_width_zero():
    with pytest.raises(ValueError, match="width N must be at least 1, got 0"):
        DD.random_relu_features(np.ones((3, 2)), 0)
    x, y, xt, yt = toy()
    with pytest.raises(ValueError, match="width N must be at least 1"):
        DD.sweep_widths(x, y, xt, yt, [0, 10])


def test_negative_ridge():
    with pytest.raises(ValueError, match="ridge strength λ must be a finite number >= 0, got -1"):
        DD.SVDFit(np.ones((3, 3))).coefficients(np.ones(3), -1.0)
    x, y, xt, yt = toy()
    with pytest.raises(ValueError, match="ridge strength"):
        DD.sweep_widths(x, y, xt, yt, [10], ridges=(-0.1,))


@pytest.mark.parametrize("bad", [-0.1, 1.5, "0.2"])
def test_noise_fraction_outside_unit_interval(bad):
    with pytest.raises(ValueError, match="noise fraction must be in \\[0, 1\\]"):
        DD.add_label_noise(np.arange(10), bad)
    x, y, xt, yt = toy()
    with pytest.raises(ValueError, match="noise fraction"):
        DD.sweep_widths(x, y, xt, yt, [10], noises=(bad,))


def test_other_bad_input():
    with pytest.raises(ValueError, match="inputs must be an \\(n, d\\) array"):
        DD.random_relu_features(np.ones(3), 2)
    with pytest.raises(ValueError, match="targets must have 3 rows \\(one per example\\), got shape \\(2, 1\\)"):
        DD.SVDFit(np.ones((3, 4))).coefficients(np.ones((2, 1)))
    with pytest.raises(ValueError, match="labels must lie in 0..9"):
        DD.one_hot([0, 10])


def test_coefficients_of_a_target_vector_match_the_matrix_case():
    rng = np.random.default_rng(0)
    f, y = rng.standard_normal((5, 8)), rng.standard_normal(5)
    fit_ = DD.SVDFit(f)
    beta = fit_.coefficients(y)
    assert beta.shape == (8,)
    np.testing.assert_allclose(beta, fit_.coefficients(y[:, None])[:, 0])
    np.testing.assert_allclose(beta, np.linalg.pinv(f) @ y, atol=1e-10)


def test_tuned_ridge_picks_lambda_on_validation_only():
    from helpers.double_descent import tuned_ridge_curve

    rng = np.random.default_rng(0)
    x = rng.standard_normal((120, 20))
    labels = (x[:, 0] > 0).astype(int)
    xtr, xv, xt = x[:40], x[40:80], x[80:]
    ytr, yv, yt = labels[:40], labels[40:80], labels[80:]
    ridges = [0.0, 1e-2, 1e-1, 1.0]
    out = tuned_ridge_curve(xtr, ytr, xv, yv, xt, yt, [10, 40, 80], ridges, seeds=[0, 1], num_classes=2)
    assert out["lam"].shape == (2, 3) and out["val_mse"].shape == (2, 3, 4)
    # the chosen λ is the validation argmin, and changing the test labels never changes it
    assert np.array_equal(out["lam"], np.array(ridges)[out["val_mse"].argmin(-1)])
    other = tuned_ridge_curve(xtr, ytr, xv, yv, xt, 1 - yt, [10, 40, 80], ridges, seeds=[0, 1], num_classes=2)
    assert np.array_equal(other["lam"], out["lam"])
    # at the threshold (N = n = 40) the unregularised fit is worst on validation data, so some λ > 0 wins
    assert np.all(out["lam"][:, 1] > 0)
    with pytest.raises(ValueError, match="at least one ridge"):
        tuned_ridge_curve(xtr, ytr, xv, yv, xt, yt, [10], [], num_classes=2)


def test_the_chapters_slider_pictures_draw_from_a_sweep():
    import matplotlib.pyplot as plt

    from helpers.plotting import band, noise_view, spectrum_view

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((40, 6)), rng.integers(0, 3, 40)
    xt, yt = rng.standard_normal((30, 6)), rng.integers(0, 3, 30)
    widths, seeds, ridges, noises = [10, 40, 80], (0, 1), (0.0, 1.0), (0.0, 0.2)
    res = DD.sweep_widths(x, y, xt, yt, widths, seeds=seeds, ridges=ridges, noises=noises, num_classes=3)
    ratio = np.array(widths) / 40
    fig = spectrum_view(plt.figure(), 40, sweep=res, widths=widths, seeds=seeds, n=40)
    assert len(fig.axes) == 2 and "N/n = 1.00" in fig.axes[0].get_title()
    fig = noise_view(plt.figure(), 0.2, sweep=res, ratio=ratio, ridges=ridges, noises=noises)
    assert "20% of the training labels flipped" in fig.axes[0].get_title()
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["λ = 0", "λ = 1"]
    with pytest.raises(ValueError, match="width 50 was not swept"):
        spectrum_view(plt.figure(), 50, sweep=res, widths=widths, seeds=seeds, n=40)
    with pytest.raises(ValueError, match="noise level 0.5 was not swept"):
        noise_view(plt.figure(), 0.5, sweep=res, ratio=ratio, ridges=ridges, noises=noises)
    # band: the mean over seeds, with a min-max band only when there are several
    _, ax = plt.subplots()
    band(ax, ratio, np.array([[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]]), "two seeds", "C0")
    assert list(ax.lines[0].get_ydata()) == [2.0, 3.0, 4.0] and len(ax.collections) == 1
    band(ax, ratio, np.array([[1.0, 2.0, 3.0]]), "one seed", "C1")
    assert len(ax.collections) == 1
    with pytest.raises(ValueError, match="values must be"):
        band(ax, ratio, np.ones(3), "flat", "C2")
    plt.close("all")
