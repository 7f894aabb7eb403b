import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import svd  # noqa: E402
from helpers.plotting import compression_view, denoising_view  # noqa: E402

RNG = np.random.default_rng(0)


def random_low_rank(m, n, r, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, r)) @ rng.standard_normal((r, n)) + noise * rng.standard_normal((m, n))


@pytest.mark.parametrize("shape", [(2, 4), (4, 2), (50, 30), (30, 50), (7, 7)])
def test_svd_via_eig_reconstructs_well_conditioned_matrices(shape):
    a = RNG.standard_normal(shape)
    u, s, vt = svd.svd_via_eig(a)
    r = min(shape)
    assert u.shape == (shape[0], shape[0]) and vt.shape == (shape[1], shape[1]) and s.shape == (r,)
    assert np.abs((u[:, :r] * s) @ vt[:r] - a).max() < 1e-12
    assert np.allclose(u.T @ u, np.eye(shape[0]), atol=1e-12)
    assert np.allclose(vt @ vt.T, np.eye(shape[1]), atol=1e-12)
    assert np.allclose(s, np.linalg.svd(a, compute_uv=False), rtol=1e-10)


def test_svd_via_eig_textbook_example():
    a = np.array([[1.0, 2, 1, 0], [2, 0, 1, 1]])
    u, s, vt = svd.svd_via_eig(a.T)
    assert np.allclose(s, [3.0, np.sqrt(3.0)])
    # the completed columns span the left null space of Aᵀ
    assert np.allclose(a @ u[:, 2:], 0, atol=1e-12)


def test_svd_via_eig_loses_small_singular_values_lapack_keeps_them():
    n = 20
    q1, _ = np.linalg.qr(RNG.standard_normal((n, n)))
    q2, _ = np.linalg.qr(RNG.standard_normal((n, n)))
    s_true = np.logspace(0, -12, n)
    m = (q1 * s_true) @ q2.T
    rel_eig = abs(svd.svd_via_eig(m)[1][-1] - s_true[-1]) / s_true[-1]
    rel_lapack = abs(np.linalg.svd(m, compute_uv=False)[-1] - s_true[-1]) / s_true[-1]
    assert rel_eig > 0.5  # lost: below √eps·σ₁
    assert rel_lapack < 1e-3  # kept to a few digits


def test_svd_via_eig_rank_deficient():
    a = random_low_rank(6, 5, 2)
    u, s, vt = svd.svd_via_eig(a)
    assert np.allclose(u.T @ u, np.eye(6), atol=1e-10)
    assert np.abs((u[:, :5] * s) @ vt[:5] - a).max() < 1e-10


def test_low_rank_eckart_young():
    a = RNG.standard_normal((40, 25))
    s = np.linalg.svd(a, compute_uv=False)
    for k in (1, 5, 24, 25):
        err = np.linalg.norm(a - svd.low_rank(a, k))
        assert err == pytest.approx(svd.eckart_young_error(s, k), rel=1e-8, abs=1e-10)
        assert np.linalg.matrix_rank(svd.low_rank(a, k)) == k
    assert np.allclose(svd.low_rank(a, 25), a)


def test_low_rank_colour_is_per_channel():
    img = RNG.random((16, 12, 3))
    out = svd.low_rank(img, 3)
    assert out.shape == img.shape
    assert np.allclose(out[:, :, 1], svd.low_rank(img[:, :, 1], 3))


def test_rank_one_terms_sum_to_the_truncation():
    a = RNG.standard_normal((10, 8))
    terms = svd.rank_one_terms(a, 4)
    assert terms.shape == (4, 10, 8)
    assert np.allclose(terms.sum(0), svd.low_rank(a, 4))
    assert all(np.linalg.matrix_rank(t) == 1 for t in terms)


def test_storage_energy_and_rank_for_energy():
    st = svd.storage(512, 512, 10)
    assert st == {"kept": 10 * 1025, "full": 512 * 512, "ratio": 512 * 512 / (10 * 1025)}
    assert svd.storage(10, 20, 2, channels=3)["kept"] == 3 * 2 * 31
    s = np.array([3.0, 2.0, 1.0])
    assert np.allclose(svd.energy(s), np.array([9, 13, 14]) / 14)
    assert svd.rank_for_energy(s, 0.5) == 1
    assert svd.rank_for_energy(s, 0.9) == 2
    assert svd.rank_for_energy(s, 1.0) == 3


def test_psnr_matches_definition():
    a = np.zeros((4, 4))
    b = np.full((4, 4), 0.1)
    assert svd.psnr(a, b) == pytest.approx(10 * np.log10(1 / 0.01))


def test_gavish_donoho_square_matrix_constant():
    # for square matrices λ*(1) = 4/√3 (Gavish & Donoho 2014)
    assert svd.gavish_donoho_lambda(1.0) == pytest.approx(4 / np.sqrt(3))


def test_gavish_donoho_recovers_the_rank_of_a_noisy_low_rank_matrix():
    sigma = 0.1
    clean = random_low_rank(200, 300, 5) * 0.5
    noisy = clean + sigma * np.random.default_rng(1).standard_normal(clean.shape)
    k, tau = svd.gavish_donoho_rank(np.linalg.svd(noisy, compute_uv=False), noisy.shape, sigma)
    assert k == 5
    assert tau == pytest.approx(svd.gavish_donoho_lambda(200 / 300) * np.sqrt(300) * sigma)


def test_denoising_study_picks_sensible_ranks():
    clean = random_low_rank(60, 80, 4) / 10
    res = svd.denoising_study(clean, 0.05, energy_fraction=0.9, seed=2)
    assert res["psnr"].shape == (61,) and res["ranks"][-1] == 60
    assert res["psnr"][res["k_oracle"]] == res["psnr"].max()
    assert res["psnr"][res["k_oracle"]] > res["psnr_noisy"]  # truncation helps
    assert abs(res["k_gd"] - 4) <= 1
    assert res["psnr"][res["k_gd"]] >= res["psnr"][res["k_oracle"]] - 1.0
    # reproducible
    again = svd.denoising_study(clean, 0.05, energy_fraction=0.9, seed=2)
    assert np.array_equal(res["noisy"], again["noisy"])


# ------------------------------------------------------------ slider callbacks


def test_compression_view_draws_for_any_rank():
    img = RNG.random((32, 24))
    for k in (1, 10, 24):
        fig = plt.figure()
        compression_view(fig, img, k)
        assert len(fig.axes) == 3
        assert f"rank {k}" in fig.axes[1].get_title()
        plt.close(fig)
    fig = plt.figure()
    compression_view(fig, RNG.random((16, 16, 3)), 4)
    plt.close(fig)


def test_denoising_view_returns_the_study():
    clean = random_low_rank(30, 40, 3) / 10
    fig = plt.figure()
    res = denoising_view(fig, clean, 0.05)
    assert {"k_oracle", "k_gd", "k_energy"} <= set(res)
    assert len(fig.axes) == 5
    plt.close(fig)


# ------------------------------------------------------------- bad input


def test_rank_zero_and_too_large():
    a = RNG.standard_normal((5, 3))
    with pytest.raises(ValueError, match=r"rank k must be an integer from 1 to 3, min\(m, n\) for a 5x3 matrix; got 0"):
        svd.low_rank(a, 0)
    with pytest.raises(ValueError, match="got 4"):
        svd.low_rank(a, 4)
    with pytest.raises(TypeError, match="rank k must be an integer"):
        svd.low_rank(a, 2.0)
    with pytest.raises(ValueError, match="got 0"):
        svd.storage(10, 10, 0)


def test_not_a_matrix():
    with pytest.raises(ValueError, match=r"must be a 2-D matrix; got an array of shape \(5,\)"):
        svd.svd_via_eig(np.ones(5))
    with pytest.raises(ValueError, match=r"shape \(2, 2, 2, 2\)"):
        svd.low_rank(np.ones((2, 2, 2, 2)), 1)
    with pytest.raises(ValueError, match="is empty"):
        svd.low_rank(np.ones((0, 3)), 1)


def test_nans_are_refused():
    a = np.ones((4, 4))
    a[1, 2] = np.nan
    with pytest.raises(ValueError, match="contains 1 NaN or infinite value"):
        svd.low_rank(a, 1)
    with pytest.raises(ValueError, match="NaN"):
        svd.svd_via_eig(a)
    with pytest.raises(ValueError, match="NaN"):
        svd.add_noise(a, 0.1)


@pytest.mark.parametrize("sigma", [-0.1, float("nan"), "0.1"])
def test_bad_noise_level(sigma):
    with pytest.raises((TypeError, ValueError), match="noise level sigma must be a"):
        svd.add_noise(np.ones((4, 4)), sigma)
    with pytest.raises((TypeError, ValueError), match="noise level sigma"):
        svd.denoising_study(np.ones((4, 4)), sigma)


def test_other_bad_inputs():
    with pytest.raises(ValueError, match=r"fraction \(of the energy, e.g. 0.95\) must be in \(0, 1\]"):
        svd.rank_for_energy([3.0, 1.0], 1.5)
    with pytest.raises(ValueError, match="all singular values are zero"):
        svd.energy([0.0, 0.0])
    with pytest.raises(ValueError, match="decreasing order"):
        svd.eckart_young_error([1.0, 2.0], 1)
    with pytest.raises(ValueError, match="same shape"):
        svd.psnr(np.ones((3, 3)), np.ones((3, 4)))
    with pytest.raises(ValueError, match="beta"):
        svd.gavish_donoho_lambda(1.5)


def test_stable_rank():
    from helpers.svd import stable_rank

    assert stable_rank([2.0, 2.0, 2.0]) == pytest.approx(3.0)  # equal singular values: the rank
    assert stable_rank([3.0, 0.0]) == pytest.approx(1.0)
    assert stable_rank([1.0, 3.0]) == pytest.approx(10 / 9)  # order does not matter
    a = np.random.default_rng(0).standard_normal((6, 4))
    s = np.linalg.svd(a, compute_uv=False)
    assert stable_rank(s) == pytest.approx(np.linalg.norm(a) ** 2 / np.linalg.norm(a, 2) ** 2)
    assert 1 <= stable_rank(s) <= 4
    with pytest.raises(ValueError, match="non-negative"):
        stable_rank([-1.0, 2.0])
    with pytest.raises(ValueError, match="all singular values are zero"):
        stable_rank([0.0, 0.0])


def test_component_view_draws_every_component_of_both_layers():
    import matplotlib.pyplot as plt
    import torch

    from helpers.conv_svd import layer_svd
    from helpers.models import TinyConvNet
    from helpers.plotting import component_options, component_view

    torch.manual_seed(0)
    model = TinyConvNet().eval()
    svd1, svd2 = layer_svd(model.conv1), layer_svd(model.conv2)
    digit = torch.rand(1, 1, 28, 28, dtype=torch.float64)
    options = component_options(svd1, svd2)
    assert options[0] == "layer 1 · component 1" and options[-1] == f"layer 2 · component {len(svd2['S'])}"
    assert len(options) == len(svd1["S"]) + len(svd2["S"])
    for option in (options[0], options[len(svd1["S"])], options[-1]):
        fig = plt.figure(figsize=(11, 5))
        component_view(fig, option, model=model, svd1=svd1, svd2=svd2, digit=digit)
        # eight filter panels (one per input channel of layer 2; layer 1 has one), U's bars, digit, response
        n_in = 1 if option.startswith("layer 1") else model.conv2.in_channels
        assert len(fig.axes) == n_in + 3
        plt.close(fig)
    for bad in ("layer 3 · component 1", "layer 1 · component 99", "component one"):
        with pytest.raises(ValueError):
            component_view(plt.figure(), bad, model=model, svd1=svd1, svd2=svd2, digit=digit)
    plt.close("all")


# ------------------------------------------- chapter helpers: images, sweeps, features


def test_bundled_image_gray_colour_and_half():
    cam = svd.bundled_image("camera", gray=True)
    assert cam.shape == (512, 512) and cam.dtype == np.float64
    assert 0 <= cam.min() and cam.max() <= 1
    half = svd.bundled_image("camera", gray=True, half=True)
    assert half.shape == (256, 256)
    colour = svd.bundled_image("astronaut", gray=False, half=True)
    assert colour.shape == (256, 256, 3) and 0 <= colour.min() and colour.max() <= 1
    assert svd.bundled_image("astronaut", gray=True).ndim == 2


@pytest.mark.parametrize("name", ["no_such_image", "_private", 3, "data_dir"])
def test_bundled_image_refuses_unknown_names(name):
    with pytest.raises((TypeError, ValueError), match="bundled images|name of a scikit-image image"):
        svd.bundled_image(name, gray=True)


def test_truncation_sweep_meets_eckart_young():
    img = np.clip(random_low_rank(40, 30, 5, noise=0.05) / 10 + 0.5, 0, 1)
    ks = [1, 2, 5, 10, 30]
    sweep = svd.truncation_sweep(img, ks)
    assert set(sweep) == {"ks", "rel_err", "predicted", "psnr", "ratio"}
    assert all(sweep[key].shape == (len(ks),) for key in sweep)
    assert np.abs(sweep["rel_err"] - sweep["predicted"]).max() < 1e-10
    assert sweep["rel_err"][-1] < 1e-12  # full rank: exact
    assert np.all(np.diff(sweep["rel_err"]) <= 1e-12)  # more terms, never worse
    assert sweep["ratio"][0] == pytest.approx(40 * 30 / (1 * (40 + 30 + 1)))
    s = np.linalg.svd(img, compute_uv=False)
    again = svd.truncation_sweep(img, ks, s=s)
    assert all(np.array_equal(again[key], sweep[key]) for key in sweep)


def test_truncation_sweep_bad_input():
    img = RNG.random((10, 8))
    with pytest.raises(ValueError, match="from 1 to 8, min"):
        svd.truncation_sweep(img, [0, 3])
    with pytest.raises(ValueError, match="empty"):
        svd.truncation_sweep(img, [])
    with pytest.raises(ValueError, match="8 singular values"):
        svd.truncation_sweep(img, [1], s=np.ones(5))


def test_nearest_centroid_accuracies_on_separable_data():
    rng = np.random.default_rng(0)
    centres = np.array([[5.0, 0, 0], [-5.0, 0, 0]])
    y, yt = np.arange(200) % 2, np.arange(100) % 2
    x = centres[y] + rng.standard_normal((200, 3))
    xt = centres[yt] + rng.standard_normal((100, 3))
    acc = svd.nearest_centroid_accuracies(x, y, xt, yt, [1, 3])
    assert len(acc) == 2 and all(isinstance(a, float) for a in acc)
    assert acc[0] > 0.95 and acc[1] > 0.95  # the first column separates the classes
    # noise in the first column only: the classes are then told apart by nothing
    assert svd.nearest_centroid_accuracies(x[:, 1:], y, xt[:, 1:], yt, [2])[0] < 0.8
    assert svd.nearest_centroid_accuracies(x, y, xt, yt, [1, 3]) == acc  # deterministic


def test_nearest_centroid_accuracies_bad_input():
    x, y = RNG.random((20, 4)), np.arange(20) % 2
    with pytest.raises(ValueError, match="from 1 to 4, the 4 columns of train_x"):
        svd.nearest_centroid_accuracies(x, y, x, y, [5])
    with pytest.raises(ValueError, match="same number of columns"):
        svd.nearest_centroid_accuracies(x, y, x[:, :3], y, [1])
    with pytest.raises(ValueError, match="one label per row"):
        svd.nearest_centroid_accuracies(x, y[:10], x, y, [1])


def test_check_rank_and_positive_int():
    assert svd.check_rank(np.int64(3), 4, "the rank of X") == 3
    with pytest.raises(ValueError, match="rank k must be an integer from 1 to 4, the rank of X; got 5"):
        svd.check_rank(5, 4, "the rank of X")
    with pytest.raises(TypeError, match="rank k must be an integer"):
        svd.check_rank(True, 4, "the rank of X")
    assert svd.positive_int(np.int32(2), "n") == 2
    with pytest.raises(ValueError, match="n must be a positive integer, got 0"):
        svd.positive_int(0, "n")
    with pytest.raises(TypeError, match="n must be an integer, got 1.5"):
        svd.positive_int(1.5, "n")


def test_rank_for_energy_never_exceeds_the_number_of_values():
    s = np.array([2.0, 1.0])  # energies 0.8 and 1.0
    assert svd.rank_for_energy(s, 1.0) == 2
    assert svd.rank_for_energy(s, 0.8) == 1
    assert all(1 <= svd.rank_for_energy(RNG.random(7), f) <= 7 for f in (0.1, 0.9, 1.0))


def _subspace_data(n_per=30, d=12, dim=2, classes=3, noise=1e-3, seed=0):
    rng = np.random.default_rng(seed)
    spans = [np.linalg.qr(rng.standard_normal((d, dim)))[0] for _ in range(classes)]
    x = np.vstack([rng.standard_normal((n_per, dim)) @ q.T for q in spans])
    y = np.repeat(np.arange(classes), n_per)
    return x + noise * rng.standard_normal(x.shape), y


def test_subspace_classifier_finds_classes_that_live_in_subspaces():
    x, y = _subspace_data()
    bases = svd.subspace_bases(x, y, 4)
    assert bases.shape == (3, 12, 4)
    for c in range(3):  # orthonormal columns
        assert np.allclose(bases[c].T @ bases[c], np.eye(4), atol=1e-12)
    rng = np.random.default_rng(2)
    fresh = np.vstack([rng.standard_normal((10, 2)) @ bases[c][:, :2].T for c in range(3)])
    pred = svd.subspace_predict(bases, fresh, [2, 4])
    assert pred.shape == (2, 30)
    assert (pred == np.repeat(np.arange(3), 10)).all()


def test_subspace_predict_is_the_smallest_residual():
    x, y = _subspace_data(dim=3, noise=0.3)
    bases = svd.subspace_bases(x, y, 5)
    xt = np.random.default_rng(3).standard_normal((40, 12))
    for k, pred in zip([1, 3, 5], svd.subspace_predict(bases, xt, [1, 3, 5])):
        res = np.stack([np.linalg.norm(xt.T - b[:, :k] @ (b[:, :k].T @ xt.T), axis=0) for b in bases])
        assert (pred == res.argmin(0)).all()


def test_subspace_classifier_refuses_what_it_cannot_do():
    x, y = _subspace_data()
    with pytest.raises(ValueError, match="class 0 has 2 images, fewer than k_max = 4"):
        svd.subspace_bases(x[28:], y[28:], 4)
    bases = svd.subspace_bases(x, y, 4)
    with pytest.raises(ValueError, match="rank k must be an integer from 1 to 4"):
        svd.subspace_predict(bases, x, [5])
    with pytest.raises(ValueError, match="images have 11 pixels but the bases have 12 rows"):
        svd.subspace_predict(bases, x[:, :11], [2])
