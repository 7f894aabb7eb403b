"""helpers.plotting: every figure and slider callback draws without a kernel.

Each test calls a figure function directly, as a slider would, and checks what
it drew (axes, images, lines) and that bad input is refused with a clear error.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from helpers import plotting  # noqa: E402

# ------------------------------------------- "Compressive sensing" and "Parametric models"


def _cs_sweep(names=("a", "b"), ms=(10, 20)):
    rng = np.random.default_rng(0)
    images = {n: rng.random((8, 8)) for n in names}
    results = {(n, m): {"x_hat": images[n] * 0.9, "mse": 1.0 / m, "mae": 0.5 / m} for n in names for m in ms}
    baseline = {(n, m): {"x_hat": images[n] * 0.5, "mse": 2.0 / m, "mae": 1.0 / m} for n in names for m in ms}
    return images, results, baseline


def test_dct_spectra_and_measurement_patterns():
    images, _, _ = _cs_sweep()
    fig = plotting.dct_spectra(plt.figure(), images)
    assert [ax.get_title() for ax in fig.axes[:4:2]] == ["a", "log₁₀ |DCT coefficient|"]
    assert len(fig.axes) == 5  # 2 x 2 panels and the colour bar
    with pytest.raises(ValueError, match="must be a 2-D array"):
        plotting.dct_spectra(plt.figure(), {"rgb": np.zeros((4, 4, 3))})
    phi = np.random.default_rng(0).standard_normal((3, 16))
    fig = plotting.measurement_patterns(plt.figure(), phi, (4, 4))
    assert [ax.get_title() for ax in fig.axes] == ["φ1", "φ2", "φ3"]
    assert fig.axes[0].images[0].get_array().shape == (4, 4)
    with pytest.raises(ValueError, match=r"phi must be \(M, 9\)"):
        plotting.measurement_patterns(plt.figure(), phi, (3, 3))
    plt.close("all")


def test_lasso_convergence_and_mse_curves():
    gaps = {"ISTA": np.geomspace(1, 1e-3, 50), "FISTA": np.geomspace(1, 1e-8, 50)}
    fig = plotting.lasso_convergence(plt.figure(), gaps, 2.0, title="t")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()[:2]] == ["ISTA", "FISTA"]
    assert np.allclose(ax.get_lines()[0].get_ydata(), gaps["ISTA"] / 2.0)
    with pytest.raises(ValueError, match="must be positive"):
        plotting.lasso_convergence(plt.figure(), gaps, 0.0)
    fig = plotting.mse_curves(plt.figure(), [1, 2, 3], {"Gaussian": [3, 2, 1], "Bernoulli": [3, 2, 1.5]})
    assert len(fig.axes[0].get_lines()) == 2
    with pytest.raises(ValueError, match="has 2 values for 3 values of M"):
        plotting.mse_curves(plt.figure(), [1, 2, 3], {"short": [1, 2]})
    plt.close("all")


def test_error_curves_and_reconstruction_grid():
    images, results, baseline = _cs_sweep()
    report = {"a": {10: (0.2, 0.1), 20: (0.1, 0.05)}}
    fig = plotting.error_curves(
        plt.figure(), [10, 20], results=results, baseline=baseline, names=["a", "b"], report=report
    )
    mse_ax, mae_ax = fig.axes
    assert len(mse_ax.get_lines()) == 5  # two images x (ℓ1, min-norm) and the report's "a"
    assert np.allclose(mse_ax.get_lines()[0].get_ydata(), [0.1, 0.05])
    assert np.allclose(mae_ax.get_lines()[2].get_ydata(), [0.1, 0.05])  # the report's MAE
    with pytest.raises(ValueError, match="no reconstruction"):
        plotting.error_curves(plt.figure(), [10, 30], results=results, baseline=baseline, names=["a"])
    fig = plotting.reconstruction_grid(plt.figure(), images, [10, 20], results=results, baseline=baseline)
    assert len(fig.axes) == 2 * 5
    assert fig.axes[1].get_title() == "M=10, ℓ1" and fig.axes[2].get_title() == "M=10, min-norm"
    with pytest.raises(ValueError, match="choose values of M that were swept"):
        plotting.reconstruction_grid(plt.figure(), images, [30], results=results, baseline=baseline)
    plt.close("all")


def test_phase_transition_and_jl_distortion():
    deltas = rhos = (np.arange(4) + 0.5) / 4
    prob = np.tril(np.ones((4, 4)))
    fig = plotting.phase_transition(
        plt.figure(), prob, deltas, rhos, theory=(deltas, 0.5 * deltas), crossing=[0.25] * 4
    )
    assert len(fig.axes) == 2 and fig.axes[0].get_xlim() == (0, 1)
    with pytest.raises(ValueError, match="one value per δ"):
        plotting.phase_transition(plt.figure(), prob, deltas, rhos, theory=(deltas, deltas), crossing=[0.2])
    sweep = {"M": [10, 100], "worst": [0.9, 0.3], "q99": [0.5, 0.1], "bound": [float("inf"), 0.8]}
    fig = plotting.jl_distortion(plt.figure(), sweep, 1000)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3 and list(lines[2].get_xdata()) == [100]  # an infinite bound is not drawn
    assert fig.axes[0].get_title() == "1,000 MNIST digits"
    with pytest.raises(TypeError, match="jl_sweep"):
        plotting.jl_distortion(plt.figure(), {"M": [1]}, 10)
    plt.close("all")


def test_taylor_curves_matrix_images_and_timing_curves():
    from helpers import structured

    res = structured.taylor_test(np.sin, lambda x, v: np.cos(x) * v, np.ones(3), np.ones(3))
    fig = plotting.taylor_curves(plt.figure(), {"sin": res})
    assert len(fig.axes[0].get_lines()) == 2
    with pytest.raises(ValueError, match="not a taylor_test result"):
        plotting.taylor_curves(plt.figure(), {"bad": {"h": [1]}})
    k = structured.conv1d_matrix(np.array([1.0, -2.0, 1.0]), 6)
    fig = plotting.matrix_images(plt.figure(), {"circulant": k, "dense": k.toarray()})
    assert [ax.get_title() for ax in fig.axes] == ["circulant", "dense"]
    assert fig.axes[0].images[0].get_clim() == (-2.0, 2.0)
    with pytest.raises(ValueError, match="must be a 2-D matrix"):
        plotting.matrix_images(plt.figure(), {"vector": np.ones(3)})
    timings = {f"{lib} {kind}": np.ones((2, 3)) * 1e-3 for lib in ("torch", "scipy") for kind in ("direct", "FFT")}
    fig = plotting.convolution_timing_curves(plt.figure(), timings, [8, 16], [3, 5, 7])
    assert [ax.get_title() for ax in fig.axes] == ["torch", "scipy"]
    assert len(fig.axes[0].get_lines()) == 4 and np.allclose(fig.axes[0].get_lines()[0].get_ydata(), 1.0)
    with pytest.raises(ValueError, match=r"must be \(image sizes, kernel sizes\) = \(3, 3\)"):
        plotting.convolution_timing_curves(plt.figure(), timings, [8, 16, 32], [3, 5, 7])
    plt.close("all")


# --------------------------------------------------------------------- "The datasets"


def _image_data(name="mnist", split="train", n=40, channels=1, seed=0):
    from helpers.data import DATASETS, ImageData

    gen = torch.Generator().manual_seed(seed)
    images = torch.rand(n, channels, 8, 8, generator=gen)
    labels = torch.arange(n) % 10
    return ImageData(images, labels, DATASETS[name]["classes"], name, split, "made up for a test", True)


def test_class_count_panels_one_panel_per_dataset():
    groups = {
        "MNIST": {"train": _image_data(), "test": _image_data(split="test", n=20)},
        "CIFAR-10": {"train": _image_data("cifar10", channels=3)},
    }
    fig = plotting.class_count_panels(groups)
    assert [ax.get_title() for ax in fig.axes] == ["MNIST", "CIFAR-10"]
    heights = [bar.get_height() for bar in fig.axes[0].patches]
    assert heights == [4] * 10 + [2] * 10  # train then test, one bar per class
    with pytest.raises(ValueError, match="non-empty dict"):
        plotting.class_count_panels({})
    with pytest.raises(TypeError, match="ImageData"):
        plotting.class_count_panels({"MNIST": {"train": np.zeros(3)}})
    plt.close("all")


def test_pixel_histograms_and_class_means():
    splits = [_image_data(), _image_data("cifar10", channels=3)]
    fig = plotting.pixel_histograms(splits, max_images=10)
    assert [ax.get_title() for ax in fig.axes] == ["MNIST", "CIFAR-10"]
    counted = sum(bar.get_height() for bar in fig.axes[1].patches)
    assert counted == 10 * 3 * 8 * 8  # the first 10 images, every channel and pixel
    with pytest.raises(ValueError, match="positive integer"):
        plotting.pixel_histograms(splits, max_images=0)
    fig = plotting.class_mean_images(splits)
    assert len(fig.axes) == 20 and fig.axes[0].get_title() == "0"
    mean0 = splits[0].images[splits[0].labels == 0].mean(0)[0].numpy()
    assert np.allclose(fig.axes[0].images[0].get_array(), mean0)
    assert fig.axes[10].images[0].get_array().shape == (8, 8, 3)
    with pytest.raises(ValueError, match="ImageData"):
        plotting.class_mean_images([])
    plt.close("all")


def test_colour_and_gray_pairs_each_image_with_its_gray_version():
    from helpers.data import to_grayscale

    colour = _image_data("cifar10", channels=3)
    gray = _image_data("cifar10")
    gray.images = to_grayscale(colour.images)
    fig = plotting.colour_and_gray(colour, gray, [0, 5, 7])
    assert len(fig.axes) == 6
    assert [ax.get_title() for ax in fig.axes[:3]] == ["airplane", "dog", "horse"]
    assert np.allclose(fig.axes[4].images[0].get_array(), gray.images[5, 0].numpy())
    with pytest.raises(ValueError, match="grayscale=True"):
        plotting.colour_and_gray(colour, colour, [0])
    with pytest.raises(ValueError, match="below 40"):
        plotting.colour_and_gray(colour, gray, [40])
    plt.close("all")


# ---------------------------------------------------------------- "SVD from scratch"


def test_singular_value_errors_draws_one_curve_per_method():
    s = np.logspace(0, -6, 5)
    errors = {"a": np.zeros(5), "b": np.full(5, 1e-3)}
    fig = plotting.singular_value_errors(s, errors)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["a", "b", "√ε"]
    assert np.all(lines[0].get_ydata() == 1e-17)  # exact results drawn at the floor
    assert ax.xaxis_inverted()
    with pytest.raises(ValueError, match="one error per σ"):
        plotting.singular_value_errors(s, {"short": np.zeros(3)})
    plt.close("all")


def test_rank_one_figure_and_truncation_panels():
    from helpers import svd

    rng = np.random.default_rng(0)
    img = rng.random((12, 10))
    s = np.linalg.svd(img, compute_uv=False)
    terms = svd.rank_one_terms(img, 3)
    fig = plotting.rank_one_figure(img, terms, s, ks=[1, 2, 10])
    assert len(fig.axes) == 6
    assert fig.axes[5].get_title() == "sum of first 10"
    assert np.allclose(fig.axes[5].images[0].get_array(), np.clip(img, 0, 1))  # all terms: the image
    with pytest.raises(ValueError, match="one k per term"):
        plotting.rank_one_figure(img, terms, s, ks=[1, 2])
    sweep = svd.truncation_sweep(img, [1, 2, 5])
    fig = plotting.truncation_panels(s, sweep, marks={"90%": 2})
    assert len(fig.axes) == 5  # four panels and the twin axis of the ratio
    assert np.allclose(fig.axes[2].get_lines()[0].get_ydata(), sweep["rel_err"])
    with pytest.raises(ValueError, match="truncation_sweep"):
        plotting.truncation_panels(s, {"ks": [1]}, marks={})
    plt.close("all")


def test_eigenimages_draws_rows_as_images():
    vt = np.linalg.qr(np.random.default_rng(0).standard_normal((16, 16)))[0]
    fig = plotting.eigenimages(vt, (4, 4), count=5, cols=4)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 5 and visible[4].get_title() == "v5"
    assert np.allclose(visible[1].images[0].get_array(), vt[1].reshape(4, 4))
    with pytest.raises(ValueError, match="images of shape"):
        plotting.eigenimages(vt, (3, 3))
    with pytest.raises(ValueError, match="count must be"):
        plotting.eigenimages(vt, (4, 4), count=17)
    plt.close("all")


# ------------------------------------------------------------ "Training TinyConvNet"


def test_learning_curves_from_a_history():
    from types import SimpleNamespace

    history = SimpleNamespace(
        train_loss=[1.0, 0.5, 0.3], test_loss=[0.9, 0.6, 0.4], train_acc=[0.8, 0.9, 0.95], test_acc=[0.8, 0.88, 0.9]
    )
    fig = plotting.learning_curves(history, reference={"report": 98.71})
    loss, acc = fig.axes
    assert list(loss.get_lines()[0].get_xdata()) == [1, 2, 3]
    assert np.allclose(acc.get_lines()[1].get_ydata(), [80, 88, 90])  # percent
    assert acc.get_lines()[2].get_label() == "report: 98.71%"
    with pytest.raises(TypeError, match="History"):
        plotting.learning_curves({"train_loss": [1.0]})
    with pytest.raises(ValueError, match="one value per epoch"):
        plotting.learning_curves(SimpleNamespace(train_loss=[1], test_loss=[], train_acc=[1], test_acc=[1]))
    plt.close("all")


def test_confusion_panels_and_image_gallery():
    cm = np.array([[5, 1, 0], [0, 4, 2], [1, 0, 6]])
    fig = plotting.confusion_panels(cm, ["a", "b", "c"])
    full, errors = fig.axes[:2]
    assert np.array_equal(full.images[0].get_array(), cm)
    assert np.all(np.diag(errors.images[0].get_array()) == 0)
    with pytest.raises(ValueError, match="one row per class"):
        plotting.confusion_panels(cm, ["a", "b"])
    images = np.random.default_rng(0).random((5, 6, 6))
    fig = plotting.image_gallery(images, [f"#{i}" for i in range(5)], cols=3, title="five")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["#0", "#1", "#2", "#3", "#4"]
    assert fig._suptitle.get_text() == "five"
    with pytest.raises(ValueError, match="one title each"):
        plotting.image_gallery(images, ["only one"])
    plt.close("all")


# --- chapter "CNNs against random projections"


def test_projection_view_draws_rows_of_r_and_one_histogram_per_point_set():
    from helpers.projections import random_projection

    proj = random_projection(8, 64, seed=0)
    ratios = {"a": np.random.default_rng(0).normal(1, 0.1, 45), "b": np.random.default_rng(1).normal(1, 0.2, 45)}
    fig = plotting.projection_view(proj, ratios, 0.3, image_shape=(8, 8), n_points=10, rows=3)
    axes = fig.axes
    assert len(axes) == 5 and all(len(ax.images) == 1 for ax in axes[:3])
    assert axes[0].images[0].get_array().shape == (8, 8)
    hist = axes[-1]
    assert len(hist.patches) == 2 and len(hist.lines) == 2  # two histograms, the band's two edges
    assert "10 points, M = 8" in hist.get_title()
    # an infinite band (M too small for the lemma) draws no edges
    fig2 = plotting.projection_view(proj, ratios, float("inf"), image_shape=(8, 8), n_points=10)
    assert len(fig2.axes[-1].lines) == 0
    with pytest.raises(ValueError, match="has 63 pixels but the projection reads 64"):
        plotting.projection_view(proj, ratios, 0.3, image_shape=(7, 9), n_points=10)
    with pytest.raises(ValueError, match="rows must be an integer from 1 to M = 8"):
        plotting.projection_view(proj, ratios, 0.3, image_shape=(8, 8), n_points=10, rows=9)
    with pytest.raises(ValueError, match="ratios is empty"):
        plotting.projection_view(proj, {}, 0.3, image_shape=(8, 8), n_points=10)
    plt.close("all")


def test_tap_gradients_view_one_row_per_network_one_panel_per_convolution():
    from helpers.models import ReportCNN

    torch.manual_seed(0)
    nets = {"last": ReportCNN(1, 28, padding="last"), "same": ReportCNN(1, 28)}
    images, labels = torch.randn(8, 1, 28, 28), torch.arange(8) % 10
    fig = plotting.tap_gradients_view(nets, images, labels)
    assert len(fig.axes) == 8
    # every panel is a 3x3 image of relative norms with one count per tap
    for ax in fig.axes:
        g = ax.images[0].get_array()
        assert g.shape == (3, 3) and float(g.max()) == pytest.approx(1.0)
        assert len(ax.texts) == 9
    # padding only conv4 on a 1x1 map: only the centre tap reads a pixel, and only it gets gradient
    conv4 = fig.axes[3]
    assert [t.get_text() for t in conv4.texts] == ["0", "0", "0", "0", "1", "0", "0", "0", "0"]
    g = np.asarray(conv4.images[0].get_array())
    assert g[1, 1] == 1 and np.allclose(np.delete(g.ravel(), 4), 0)
    assert conv4.get_title() == "conv4 on 1×1" and fig.axes[0].get_ylabel() == "last"
    with pytest.raises(ValueError, match="nets is empty"):
        plotting.tap_gradients_view({}, images, labels)
    with pytest.raises(ValueError, match="images must be an \\(N, C, H, W\\) tensor"):
        plotting.tap_gradients_view(nets, images[0], labels)
    plt.close("all")


REPORT_07 = {"a": {"cnn": (0.8, 0.01), "mlp": (0.7, 0.02)}, "b": {"cnn": (0.4, 0.05), "mlp": (0.3, 0.01)}}


def test_accuracy_vs_m_view_two_curves_and_the_report_per_dataset():
    ms = [16, 64, 256]
    acc = {n: {"random": [0.5, 0.6, 0.7], "pca": [0.6, 0.65, 0.68]} for n in ("a", "b")}
    fig = plotting.accuracy_vs_m_view(ms, acc, report=REPORT_07, titles={"a": "A", "b": "B"})
    assert len(fig.axes) == 2
    ax = fig.axes[0]
    assert ax.get_title() == "A" and len(ax.lines) == 3
    assert list(ax.lines[0].get_ydata()) == pytest.approx([50, 60, 70])
    assert list(ax.lines[2].get_ydata()) == pytest.approx([70, 70])  # the report's MLP, in %
    with pytest.raises(ValueError, match="one value per M of m_values \\(3\\)"):
        plotting.accuracy_vs_m_view(ms, {"a": {"random": [0.5], "pca": [0.5]}}, report=REPORT_07, titles={"a": "A"})
    plt.close("all")


def test_accuracy_vs_size_view_curves_cross_validated_points_and_report():
    from types import SimpleNamespace

    sizes = [100, 200]
    acc = {"b": {"cnn": [0.2, 0.3], "mlp": [0.15, 0.2]}}
    run = SimpleNamespace(train_n=1000, cv=SimpleNamespace(mean=0.35, std=0.02))
    fig = plotting.accuracy_vs_size_view(
        sizes, acc, cross_validated={"b": {"cnn": run, "mlp": run}}, report=REPORT_07, titles={"b": "B"}, m=64
    )
    ax = fig.axes[0]
    assert ax.get_title() == "B" and ax.get_xscale() == "log"
    assert list(ax.lines[0].get_ydata()) == pytest.approx([20, 30])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "MLP, M = 64: test accuracy" in labels and "report, CNN (CV)" in labels
    with pytest.raises(ValueError, match="one value per size of sizes \\(2\\)"):
        plotting.accuracy_vs_size_view(
            sizes, {"b": {"cnn": [0.2], "mlp": [0.2]}}, cross_validated={}, report=REPORT_07, titles={"b": "B"}, m=64
        )
    plt.close("all")


# ------------------------------------------- "Every convolutional layer is an SVD"


def test_layer_spectra_one_curve_per_layer_and_the_energy_levels():
    spectra = {"layer 1": torch.tensor([2.0, 1.0, 0.5]), "layer 2": np.array([3.0, 2.0, 1.0, 0.1])}
    fig = plotting.layer_spectra(spectra, levels=(0.9,))
    left, right = fig.axes
    assert [line.get_label() for line in left.get_lines()] == ["layer 1", "layer 2"]
    np.testing.assert_allclose(right.get_lines()[0].get_ydata(), np.cumsum([4, 1, 0.25]) / 5.25)
    assert right.get_lines()[-1].get_ydata()[0] == 0.9  # the dotted level
    with pytest.raises(ValueError, match="non-empty dict"):
        plotting.layer_spectra({})
    with pytest.raises(ValueError, match="the singular values of 'bad' must be a non-empty 1-D array"):
        plotting.layer_spectra({"bad": np.ones((2, 2))})
    plt.close("all")


def test_relu_mask_growth_the_counts_the_ceiling_and_the_report_point():
    fig = plotting.relu_mask_growth([100, 1000], [10, 30], channels=8, report=(500, 40))
    ax = fig.axes[0]
    assert list(ax.get_lines()[0].get_ydata()) == [10, 30]
    assert list(ax.get_lines()[1].get_ydata()) == [256, 256]
    assert "report: 40 of 256 at 500 patches" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(plotting.relu_mask_growth([1], [1], channels=2).axes[0].get_lines()) == 2
    with pytest.raises(ValueError, match="one count per sample size, got 1 counts for 2 sizes"):
        plotting.relu_mask_growth([1, 2], [1])
    plt.close("all")


def test_coordinate_spread_one_box_per_component():
    coords = np.random.default_rng(0).standard_normal((3, 200))
    ax = plotting.coordinate_spread(coords, every=10).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]
    with pytest.raises(ValueError, match=r"coords must be \(components, patches\)"):
        plotting.coordinate_spread(np.ones(5))
    with pytest.raises(ValueError, match="every must be a positive integer, got 0"):
        plotting.coordinate_spread(coords, every=0)
    plt.close("all")


def test_eigenfilters_and_filters_two_rows_of_images():
    ef, w = torch.randn(4, 1, 3, 3), torch.randn(4, 1, 3, 3, requires_grad=True)
    fig = plotting.eigenfilters_and_filters(ef, torch.tensor([4.0, 3.0, 2.0, 1.0]), w)
    assert len(fig.axes) == 8
    assert [ax.get_title() for ax in fig.axes[:2]] == ["v1, σ=4.00", "v2, σ=3.00"]
    assert fig.axes[4].get_title() == "filter 1"
    np.testing.assert_allclose(fig.axes[4].images[0].get_array(), w[0, 0].detach().numpy())
    with pytest.raises(ValueError, match="need eigenfilters and weights of the same shape"):
        plotting.eigenfilters_and_filters(ef, [1.0] * 4, torch.randn(5, 1, 3, 3))
    plt.close("all")


# ------------------------------------------ "Over-parameterisation and double descent"


def _toy_sweep(widths=(5, 20, 40), seeds=(0, 1), ridges=(0.0, 1.0)):
    from helpers.double_descent import sweep_widths

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((20, 6)), rng.integers(0, 3, 20)
    xt, yt = rng.standard_normal((15, 6)), rng.integers(0, 3, 15)
    res = sweep_widths(x, y, xt, yt, list(widths), seeds=seeds, ridges=ridges, noises=(0.0,), num_classes=3)
    return res, np.array(widths) / 20


def test_double_descent_curves_sigma_min_and_norm():
    res, ratio = _toy_sweep()
    fig = plotting.double_descent_curves(ratio, res)
    mse, err = fig.axes
    np.testing.assert_allclose(mse.get_lines()[0].get_ydata(), res["test_mse"][:, :, 0, 0].mean(0))
    np.testing.assert_allclose(err.get_lines()[1].get_ydata(), 100 * res["train_err"][:, :, 0, 0].mean(0))
    assert mse.get_yscale() == "log" and mse.get_lines()[-1].get_xdata()[0] == 1  # the threshold
    fig = plotting.sigma_min_and_norm(ratio, res)
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), res["sigma_min"].mean(0))
    np.testing.assert_allclose(fig.axes[1].get_lines()[0].get_ydata(), res["norm"][:, :, 0, 0].mean(0))
    with pytest.raises(TypeError, match="the dict that helpers.double_descent.sweep_widths returns"):
        plotting.double_descent_curves(ratio, {"test_mse": res["test_mse"]})
    with pytest.raises(ValueError, match="values must be"):
        plotting.sigma_min_and_norm(ratio[:2], res)
    plt.close("all")


def test_ridge_and_tuned_ridge_curves():
    res, ratio = _toy_sweep()
    ax = plotting.ridge_curves(ratio, res, (0.0, 1.0)).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["λ = 0", "λ = 1"]
    with pytest.raises(ValueError, match="the sweep has 2 ridge strengths but 3 were given"):
        plotting.ridge_curves(ratio, res, (0.0, 1.0, 2.0))
    tuned = {"test_mse": res["test_mse"][:, :, 1, 0]}
    ax = plotting.tuned_ridge_curves(ratio, res, tuned).axes[0]
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), tuned["test_mse"].mean(0))
    with pytest.raises(TypeError, match="with \\['test_mse'\\]"):
        plotting.tuned_ridge_curves(ratio, res, {})
    plt.close("all")


def test_network_width_curves_against_parameters_per_example():
    rows = [
        {"width": 1, "parameters": 100, "train_err": 0.5, "test_err": 0.6},
        {"width": 2, "parameters": 400, "train_err": 0.0, "test_err": 0.4},
    ]
    ax = plotting.network_width_curves(rows, 50).axes[0]
    train, test = ax.get_lines()
    assert list(train.get_xdata()) == [2.0, 8.0] and list(train.get_ydata()) == [50.0, 0.0]
    assert list(test.get_ydata()) == [60.0, 40.0] and ax.get_xscale() == "log"
    with pytest.raises(TypeError, match="the non-empty list of dicts that train_width_sweep returns"):
        plotting.network_width_curves([{"width": 1}], 50)
    with pytest.raises(ValueError, match="n_train must be a positive integer, got 0"):
        plotting.network_width_curves(rows, 0)
    plt.close("all")


# --- chapter "Low-rank compression"


def _lowrank_measurement(acc, t256, macs=0.5):
    return {"acc": acc, "t256": t256, "t1": 1.0, "macs": macs, "t256_low": t256 - 0.1, "t256_high": t256 + 0.1}


def test_eckart_young_figure_and_rank_grid_figure():
    from helpers import lowrank
    from helpers.models import TinyConvNet

    torch.manual_seed(0)
    net = TinyConvNet()
    curves = {n: lowrank.eckart_young_curves(getattr(net, n)) for n in ("conv1", "conv2")}
    fig = plotting.eckart_young_figure(curves)
    err, energy = fig.axes
    assert len(err.lines) == 4 and len(energy.lines) == 2  # measured + formula per layer; energy per layer
    np.testing.assert_allclose(energy.lines[1].get_ydata(), curves["conv2"]["energy"])
    plt.close(fig)
    with pytest.raises(ValueError, match="at least one layer"):
        plotting.eckart_young_figure({})
    k1s, k2s = [1, 8], [1, 4, 16]
    acc = {(a, b): (a + b) / 24 for a in k1s for b in k2s}
    fig = plotting.rank_grid_figure(acc, k1s, k2s, base=0.9)
    one, grid = fig.axes[:2]
    np.testing.assert_allclose(one.lines[0].get_ydata(), [100 * acc[1, 16], 100 * acc[8, 16]])
    np.testing.assert_allclose(one.lines[1].get_ydata(), [100 * acc[8, k] for k in k2s])
    assert grid.images[0].get_array().shape == (2, 3)
    plt.close(fig)
    with pytest.raises(ValueError, match="no accuracy for the rank pairs"):
        plotting.rank_grid_figure(acc, k1s, [1, 2], base=0.9)


def test_truncated_filters_and_conv2_rank_views_draw_for_one_slider_value():
    from helpers.models import TinyConvNet

    torch.manual_seed(0)
    net = TinyConvNet()
    fig = plt.figure()
    plotting.truncated_filters_view(fig, 2, conv=net.conv1, accuracy={1: 0.5, 2: 0.8, 8: 0.95})
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 16  # 8 filters, original and rank 2
    curve = fig.axes[-1]
    assert curve.get_title() == "accuracy 80.00%" and list(curve.lines[1].get_xdata()) == [2]
    plt.close(fig)
    with pytest.raises(ValueError, match="no accuracy for rank 3"):
        plotting.truncated_filters_view(plt.figure(), 3, conv=net.conv1, accuracy={1: 0.5})
    with pytest.raises(ValueError, match="single-channel filters"):
        plotting.truncated_filters_view(plt.figure(), 1, conv=net.conv2, accuracy={1: 0.5})
    plt.close("all")
    acc = {(a, b): 0.1 * a + 0.01 * b for a in (1, 8) for b in (1, 16)}
    sigma = np.linspace(2, 0.1, 16)
    fig = plt.figure()
    plotting.conv2_rank_view(fig, 16, acc=acc, k1s=[1, 8], base=0.9, sigma=sigma)
    curve, bars = fig.axes
    np.testing.assert_allclose(curve.lines[0].get_ydata(), [100 * acc[1, 16], 100 * acc[8, 16]])
    assert len(bars.patches) == 16 and curve.get_title() == "conv2 at rank k₂ = 16"
    plt.close(fig)
    with pytest.raises(ValueError, match="choose a swept k₂"):
        plotting.conv2_rank_view(plt.figure(), 4, acc=acc, k1s=[1, 8], base=0.9, sigma=sigma)
    plt.close("all")


def test_breakeven_figure_marks_the_break_even_rank():
    layer = torch.nn.Conv2d(8, 16, 3)
    fig = plotting.breakeven_figure({"a": (layer, 121), "b": (torch.nn.Conv2d(1, 4, 3), 10)})
    assert len(fig.axes) == 2
    ax = fig.axes[0]
    assert ax.get_title() == f"a: break-even k = {16 * 72 / (72 + 16):.1f}"
    assert len(ax.lines[0].get_xdata()) == 16  # ranks 1 … min(16, 72)
    plt.close(fig)
    with pytest.raises(ValueError, match="at least one title"):
        plotting.breakeven_figure({})


def test_layer_sweep_fraction_sweep_and_scheme_figures():
    sweep = {
        ("conv2", 4): {"acc": 0.8, "layer_macs": 0.1, "net_macs": 0.5, "speedup": 1.5},
        ("conv2", 8): {"acc": 0.85, "layer_macs": 0.2, "net_macs": 0.6, "speedup": 1.3},
        ("conv3", 8): {"acc": 0.88, "layer_macs": 0.2, "net_macs": 0.8, "speedup": 1.1},
    }
    fig = plotting.layer_sweep_figure(sweep, base=0.9, max_drop=1.0)
    drop, cost, speed = fig.axes
    np.testing.assert_allclose(drop.lines[0].get_ydata(), [10, 5])
    assert len(speed.lines[1].get_xdata()) == 1 and cost.get_xscale() == "log"
    plt.close(fig)
    whole = {0.25: _lowrank_measurement(0.85, 1.8, 0.3), 0.5: _lowrank_measurement(0.89, 1.3, 0.6)}
    fig = plotting.fraction_sweep_figure(whole, base=0.9, max_drop=1.0)
    clock, accuracy = fig.axes
    np.testing.assert_allclose(clock.lines[0].get_xdata(), [1 / 0.3, 1 / 0.6])
    np.testing.assert_allclose(accuracy.lines[0].get_ydata(), [5, 1])
    assert len(accuracy.texts) == 2
    plt.close(fig)
    schemes = {"svd": whole, "separable": {0.5: _lowrank_measurement(0.7, 2.0)}, "svd + fine-tuning": {}}
    fig = plotting.scheme_figure(schemes, base=0.9, max_drop=1.0)
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert labels[:2] == ["svd", "separable"] and "svd + fine-tuning" not in labels
    np.testing.assert_allclose(fig.axes[0].lines[0].get_xdata(), [1.3, 1.8])  # sorted by speed
    plt.close(fig)
    for draw, empty in (
        (plotting.layer_sweep_figure, {}),
        (plotting.fraction_sweep_figure, {}),
        (plotting.scheme_figure, {}),
    ):
        with pytest.raises(ValueError, match="empty"):
            draw(empty, base=0.9, max_drop=1.0)
