import numpy as np
import pytest

from helpers import double_descent

RNG = np.random.default_rng(0)


def toy(n=80, d=20, n_test=200, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((d, 3))
    x, xt = rng.standard_normal((n, d)), rng.standard_normal((n_test, d))
    return x, (x @ w).argmax(1), xt, (xt @ w).argmax(1)


def test_features_are_seeded_and_reusable():
    x = RNG.standard_normal((5, 4))
    f1, w = double_descent.random_relu_features(x, 7, seed=3)
    f2, _ = double_descent.random_relu_features(x, 7, seed=3)
    assert f1.shape == (5, 7) and np.array_equal(f1, f2) and np.all(f1 >= 0)
    ft, _ = double_descent.random_relu_features(x[:2], 0, weights=w)
    assert np.array_equal(ft, f1[:2])


def test_min_norm_fit_equals_pinv_and_ridge_equals_closed_form():
    f = RNG.standard_normal((10, 25))
    y = RNG.standard_normal((10, 3))
    fit = double_descent.SVDFit(f)
    assert np.allclose(fit.coefficients(y), np.linalg.pinv(f) @ y)
    lam = 0.5
    ridge = np.linalg.solve(f.T @ f + lam * np.eye(25), f.T @ y)
    assert np.allclose(fit.coefficients(y, lam), ridge)
    assert fit.sigma_min == pytest.approx(np.linalg.svd(f, compute_uv=False)[-1])


def test_label_noise_flips_the_requested_fraction():
    y = np.arange(1000) % 10
    noisy = double_descent.add_label_noise(y, 0.2, seed=1)
    assert np.sum(noisy != y) == 200
    assert np.array_equal(double_descent.add_label_noise(y, 0.0), y)
    assert np.all(double_descent.add_label_noise(y, 1.0) != y)


def test_double_descent_on_a_toy_problem():
    x, y, xt, yt = toy()
    n = len(x)
    widths = [10, 20, 40, 60, n, 100, 160, 320, 800]
    res = double_descent.sweep_widths(
        x, y, xt, yt, widths, seeds=(0, 1), ridges=(0.0, 1.0), noises=(0.0, 0.3), num_classes=3
    )
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
    with pytest.raises(ValueError, match="width N must be a positive integer, got 0"):
        double_descent.random_relu_features(np.ones((3, 2)), 0)
    x, y, xt, yt = toy()
    with pytest.raises(ValueError, match="width N must be a positive integer"):
        double_descent.sweep_widths(x, y, xt, yt, [0, 10])


def test_negative_ridge():
    with pytest.raises(ValueError, match="ridge strength λ must be a number >= 0, got -1"):
        double_descent.SVDFit(np.ones((3, 3))).coefficients(np.ones(3), -1.0)
    x, y, xt, yt = toy()
    with pytest.raises(ValueError, match="ridge strength"):
        double_descent.sweep_widths(x, y, xt, yt, [10], ridges=(-0.1,))


@pytest.mark.parametrize("bad", [-0.1, 1.5, "0.2"])
def test_noise_fraction_outside_unit_interval(bad):
    with pytest.raises((TypeError, ValueError), match="noise fraction must be"):
        double_descent.add_label_noise(np.arange(10), bad)
    x, y, xt, yt = toy()
    with pytest.raises((TypeError, ValueError), match="noise fraction"):
        double_descent.sweep_widths(x, y, xt, yt, [10], noises=(bad,))


def test_other_bad_input():
    with pytest.raises(ValueError, match="inputs x must be a 2-D array, got shape \\(3,\\)"):
        double_descent.random_relu_features(np.ones(3), 2)
    with pytest.raises(ValueError, match="targets must have 3 rows \\(one per example\\), got shape \\(2, 1\\)"):
        double_descent.SVDFit(np.ones((3, 4))).coefficients(np.ones((2, 1)))
    with pytest.raises(ValueError, match="labels must be class indices 0..9"):
        double_descent.one_hot([0, 10])


def test_coefficients_of_a_target_vector_match_the_matrix_case():
    rng = np.random.default_rng(0)
    f, y = rng.standard_normal((5, 8)), rng.standard_normal(5)
    fit_ = double_descent.SVDFit(f)
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
    res = double_descent.sweep_widths(x, y, xt, yt, widths, seeds=seeds, ridges=ridges, noises=noises, num_classes=3)
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


# ------------------------------------------------ the chapter's sizes and summaries


def test_as_vectors_flattens_tensors_and_arrays_to_float64():
    import torch

    images = torch.arange(24, dtype=torch.float32).reshape(2, 1, 3, 4)
    v = double_descent.as_vectors(images)
    assert v.shape == (2, 12) and v.dtype == np.float64
    np.testing.assert_array_equal(v, images.flatten(1).numpy().astype(np.float64))
    np.testing.assert_array_equal(double_descent.as_vectors(images.numpy()), v)
    with pytest.raises(ValueError, match=r"images must be a non-empty array of shape \(n, ...\), got shape \(5,\)"):
        double_descent.as_vectors(np.ones(5))


@pytest.mark.parametrize("n, count", [(1000, 22), (300, 10), (50, 7)])
def test_log_widths_span_n_over_20_to_10n_and_contain_n(n, count):
    widths = double_descent.log_widths(n, count)
    # the chapter's grid, as it was written before it moved here
    assert widths == sorted(set(np.unique(np.geomspace(n / 20, 10 * n, count).astype(int)).tolist() + [n]))
    assert n in widths and widths == sorted(set(widths)) and widths[-1] == 10 * n
    assert all(isinstance(w, int) for w in widths)


def test_log_widths_small_n_and_bad_input():
    assert min(double_descent.log_widths(5, 4)) == 1  # n/20 rounds down to 0: widths stay >= 1
    with pytest.raises(ValueError, match="number of training examples n must be a positive integer, got 0"):
        double_descent.log_widths(0, 5)
    with pytest.raises(TypeError, match="count of widths must be an integer"):
        double_descent.log_widths(100, 2.5)
    with pytest.raises(ValueError, match="need down > 0, up > 0 and up·down > 1"):
        double_descent.log_widths(100, 5, down=0.5, up=1)


def test_largest_rise_above_the_running_minimum():
    assert double_descent.largest_rise([3.0, 2.0, 1.0]) == 0.0
    assert double_descent.largest_rise([1.0, 0.5, 0.6, 0.55]) == pytest.approx(0.2)
    assert double_descent.largest_rise([1.0, 1.1]) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="at least two positive values"):
        double_descent.largest_rise([1.0])
    with pytest.raises(ValueError, match="at least two positive values"):
        double_descent.largest_rise([1.0, 0.0])


def test_train_width_sweep_is_seeded_and_reports_each_width(capsys):
    import torch

    from helpers.models import TinyConvNet, count_parameters

    gen = torch.Generator().manual_seed(0)
    images, labels = torch.randn(48, 1, 28, 28, generator=gen), torch.randint(0, 10, (48,), generator=gen)
    test = (torch.randn(20, 1, 28, 28, generator=gen), torch.randint(0, 10, (20,), generator=gen))
    kwargs = {"epochs": 1, "seed": 3, "device": "cpu", "batch_size": 16}
    rows = double_descent.train_width_sweep(images, labels, test, [1, 2], verbose=True, **kwargs)
    assert [r["width"] for r in rows] == [1, 2]
    assert [r["parameters"] for r in rows] == [count_parameters(TinyConvNet(width=w)) for w in (1, 2)]
    assert all(0 <= r["train_err"] <= 1 and 0 <= r["test_err"] <= 1 for r in rows)
    assert capsys.readouterr().out.count("parameters, training error") == 2
    assert double_descent.train_width_sweep(images, labels, test, [1, 2], **kwargs) == rows
    with pytest.raises(ValueError, match="labels has 47 entries but there are 48 training images"):
        double_descent.train_width_sweep(images, labels[:47], test, [1], **kwargs)
    with pytest.raises(ValueError, match="at least one width"):
        double_descent.train_width_sweep(images, labels, test, [], **kwargs)
    with pytest.raises(ValueError, match="width must be a positive integer, got 0"):
        double_descent.train_width_sweep(images, labels, test, [0], **kwargs)
    recipe = double_descent.network_recipe().replace(seed=3, batch_size=16)
    assert double_descent.train_width_sweep(images, labels, test, [1, 2], epochs=1, device="cpu", config=recipe) == rows
    with pytest.raises(TypeError, match="did you mean 'batch_size'"):
        double_descent.train_width_sweep(images, labels, test, [1], epochs=1, device="cpu", batchsize=8)


def test_network_recipe_is_the_chapters_training_recipe():
    recipe = double_descent.network_recipe()
    assert (recipe.batch_size, recipe.lr, recipe.schedule, recipe.optimizer) == (64, 2e-3, "cosine", "adam")
