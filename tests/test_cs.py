import numpy as np
import pytest

from helpers import cs

RNG = np.random.default_rng(0)


def sparse_problem(n=128, m=64, k=5, seed=0):
    rng = np.random.default_rng(seed)
    x = np.zeros(n)
    x[rng.choice(n, k, replace=False)] = rng.standard_normal(k) * 3
    a = rng.standard_normal((m, n)) / np.sqrt(m)
    return a, x, a @ x


def test_dct_is_orthonormal():
    img = RNG.random((8, 12))
    assert np.allclose(cs.idct2(cs.dct2(img)), img)
    assert np.linalg.norm(cs.dct2(img)) == pytest.approx(np.linalg.norm(img))


def test_measurement_matrices():
    g = cs.measurement_matrix(400, 50, "gaussian", seed=1)
    b = cs.measurement_matrix(400, 50, "bernoulli", seed=1)
    assert g.shape == b.shape == (400, 50)
    assert np.allclose((g**2).sum(0).mean(), 1.0, atol=0.05)  # unit-norm columns on average
    assert set(np.unique(b * np.sqrt(400))) == {-1.0, 1.0}
    assert np.array_equal(g, cs.measurement_matrix(400, 50, "gaussian", seed=1))


def test_dct_sensing_adjoint():
    op = cs.DCTSensing(cs.measurement_matrix(30, 64, seed=2), (8, 8))
    c, r = RNG.standard_normal((8, 8)), RNG.standard_normal(30)
    assert float(op.forward(c) @ r) == pytest.approx(float(np.sum(c * op.adjoint(r))))
    assert op.lipschitz() == pytest.approx(np.linalg.norm(op.phi, 2) ** 2)


def test_soft_threshold():
    assert np.allclose(cs.soft_threshold(np.array([-3.0, -0.5, 0.0, 0.2, 2.0]), 1.0), [-2, 0, 0, 0, 1])


def test_fista_and_ista_solve_a_lasso_with_known_answer():
    # orthonormal A: the LASSO solution is soft_threshold(Aᵀy, λ) exactly
    q, _ = np.linalg.qr(RNG.standard_normal((20, 20)))
    y = RNG.standard_normal(20)
    lam = 0.3
    exact = cs.soft_threshold(q.T @ y, lam)
    for solver in (cs.fista, cs.ista):
        res = solver(lambda x: q @ x, lambda r: q.T @ r, y, lam, 1.0, iters=50)
        assert np.allclose(res.x, exact, atol=1e-10)


def test_fista_recovers_a_sparse_vector_and_beats_ista():
    a, x, y = sparse_problem()
    L = np.linalg.norm(a, 2) ** 2
    f = cs.fista(lambda v: a @ v, lambda r: a.T @ r, y, 1e-4, L, iters=3000)
    i = cs.ista(lambda v: a @ v, lambda r: a.T @ r, y, 1e-4, L, iters=3000)
    assert np.linalg.norm(f.x - x) / np.linalg.norm(x) < 1e-2
    assert f.iterations == 3000 and len(i.objective) == 3000
    assert f.objective[200] < i.objective[200]
    assert np.all(np.diff(i.objective) <= 1e-12)  # ISTA is monotone


def test_basis_pursuit_exact_recovery_and_failure():
    a, x, y = sparse_problem(n=100, m=50, k=5)
    assert np.allclose(cs.basis_pursuit(a, y), x, atol=1e-6)
    a, x, y = sparse_problem(n=100, m=20, k=15, seed=3)  # far above the transition
    assert np.linalg.norm(cs.basis_pursuit(a, y) - x) > 1e-2


def test_recovery_probability_extremes():
    assert cs.recovery_probability(60, 40, 2, trials=3) == 1.0
    assert cs.recovery_probability(60, 10, 9, trials=3) == 0.0


def test_min_norm_solution_is_consistent_and_minimal():
    a, _, y = sparse_problem()
    x = cs.min_norm(a, y)
    assert np.allclose(a @ x, y)
    assert np.allclose(x, np.linalg.pinv(a) @ y)


def test_reconstruct_smooth_image():
    u = np.linspace(0, 1, 16)
    img = np.outer(np.cos(np.pi * u), np.cos(np.pi * u)) * 0.5 + 0.5
    res = cs.reconstruct(img, 60, iters=500)
    base = cs.reconstruct(img, 60, method="min-norm")
    assert res["x_hat"].shape == img.shape
    assert res["mse"] < base["mse"] / 10
    assert res["objective"] == [] and len(cs.reconstruct(img, 60, iters=5, record=True)["objective"]) == 5


def test_statistical_dimension_and_donoho_tanner_known_points():
    assert cs.statistical_dimension_l1(0.0) == 0.0 and cs.statistical_dimension_l1(1.0) == 1.0
    # ρ(δ = 0.5) ≈ 0.385 for the ℓ1 (cross-polytope) transition
    assert cs.donoho_tanner_rho(0.5) == pytest.approx(0.385, abs=0.01)
    rho = cs.donoho_tanner_rho(np.array([0.1, 0.3, 0.5, 0.7, 0.9]))
    assert np.all(np.diff(rho) > 0) and rho[0] > 0.15 and rho[-1] < 1
    # the curve is consistent with ψ: δ = ψ(ρ δ)
    for d, r in zip([0.1, 0.3, 0.5, 0.7, 0.9], rho):
        assert cs.statistical_dimension_l1(r * d) == pytest.approx(d, abs=1e-8)


def test_jl_distortion_and_bound():
    x = RNG.standard_normal((50, 300))
    ratios = cs.pairwise_distortion(x, 200, seed=0)
    assert ratios.shape == (50 * 49 // 2,)
    eps = cs.jl_epsilon(50, 200)
    # the book's convention: ε bounds the *squared*-distance ratios (scikit-learn's), checked on squares
    assert np.abs(ratios**2 - 1).max() < eps < 1
    from sklearn.random_projection import johnson_lindenstrauss_min_dim

    assert johnson_lindenstrauss_min_dim(50, eps=eps) == pytest.approx(200, abs=1)
    assert cs.jl_epsilon(50, 5) == float("inf")
    assert cs.jl_epsilon(50, 1000) < eps


# --------------------------------------------------------------- bad input


@pytest.mark.parametrize("m", [0, -3])
def test_nonpositive_measurements(m):
    with pytest.raises(ValueError, match="number of measurements M must be a positive integer"):
        cs.measurement_matrix(m, 10)
    with pytest.raises(ValueError, match="M must be a positive integer"):
        cs.reconstruct(np.ones((4, 4)), m)


def test_more_measurements_than_pixels():
    with pytest.raises(ValueError, match="M = 17 measurements exceed the N = 16 pixels"):
        cs.reconstruct(np.ones((4, 4)), 17)
    with pytest.raises(ValueError, match="M = 11 exceeds N = 10"):
        cs.recovery_probability(10, 11, 2, 1)


def test_mismatched_shapes():
    with pytest.raises(ValueError, match="Φ has 10 columns but images of shape \\(4, 4\\) have 16 pixels"):
        cs.DCTSensing(np.ones((3, 10)), (4, 4))
    with pytest.raises(ValueError, match="do not match"):
        cs.min_norm(np.ones((3, 10)), np.ones(4))
    with pytest.raises(ValueError, match="do not match"):
        cs.basis_pursuit(np.ones((3, 10)), np.ones(4))
    with pytest.raises(ValueError, match="shapes"):
        cs.mse_mae(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="image must be 2-D"):
        cs.reconstruct(np.ones(16), 4)


def test_non_finite_data():
    img = np.ones((4, 4))
    img[0, 0] = np.nan
    with pytest.raises(ValueError, match="image contains 1 NaN or infinite value"):
        cs.reconstruct(img, 4)
    with pytest.raises(ValueError, match="measurements y contains 1 NaN or infinite"):
        cs.fista(lambda x: x, lambda r: r, np.array([1.0, np.inf]), 0.1, 1.0, 10)
    with pytest.raises(ValueError, match="points x contains 12 NaN or infinite"):
        cs.pairwise_distortion(np.full((3, 4), np.nan), 2)


def test_zero_iterations_and_bad_parameters():
    with pytest.raises(ValueError, match="number of iterations must be a positive integer, got 0"):
        cs.fista(lambda x: x, lambda r: r, np.ones(3), 0.1, 1.0, iters=0)
    with pytest.raises(ValueError, match="number of iterations must be a positive integer"):
        cs.reconstruct(np.ones((4, 4)), 4, iters=0)
    with pytest.raises(ValueError, match=r"λ \(lam\) must be a number >= 0"):
        cs.ista(lambda x: x, lambda r: r, np.ones(3), -1.0, 1.0)
    with pytest.raises(ValueError, match="Lipschitz constant lipschitz must be a number > 0"):
        cs.ista(lambda x: x, lambda r: r, np.ones(3), 0.1, 0.0)
    with pytest.raises(ValueError, match="ensemble must be one of 'gaussian', 'bernoulli'; got 'uniform'"):
        cs.measurement_matrix(3, 4, "uniform")
    with pytest.raises(ValueError, match="method must be one of 'fista', 'ista', 'min-norm'; got 'omp'"):
        cs.reconstruct(np.ones((4, 4)), 4, method="omp")
    with pytest.raises(ValueError, match=r"sparsity k \(between 0 and N = 10\) must be an integer from 0 to 10"):
        cs.recovery_probability(10, 5, 11, 1)
    with pytest.raises(ValueError, match="δ = M/N must lie in"):
        cs.donoho_tanner_rho(1.5)
    with pytest.raises(ValueError, match=r"ε = k/N \(eps\) must be in \[0, 1\]"):
        cs.statistical_dimension_l1(-0.1)


def test_recovery_grid_is_the_same_serial_and_in_parallel():
    deltas, rhos = [0.2, 0.5, 0.9], [0.1, 0.6]
    serial = cs.recovery_grid(40, deltas, rhos, 3, seed=5, workers=1)
    parallel = cs.recovery_grid(40, deltas, rhos, 3, seed=5, workers=2)
    assert serial.shape == (2, 3) and np.array_equal(serial, parallel)
    # entry [j, i] is recovery_probability at M = δᵢN, k = ρⱼM with seed + 1000 i + j
    m = round(0.5 * 40)
    assert serial[1, 1] == cs.recovery_probability(40, m, round(0.6 * m), 3, seed=5 + 1000 + 1)
    assert serial[0, 2] == 1.0  # many measurements, very sparse: always recovered


@pytest.mark.parametrize(
    "kwargs", [dict(deltas=[]), dict(deltas=[0.5, 1.5]), dict(rhos=[0.0]), dict(workers=0), dict(trials=0)]
)
def test_recovery_grid_rejects_bad_input(kwargs):
    args = dict(n=20, deltas=[0.5], rhos=[0.5], trials=1, **{})
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError)):
        cs.recovery_grid(**args)


def test_mutual_coherence_and_dct_row_measurements():
    from helpers import cs

    shape, n = (8, 8), 64
    rows = np.random.default_rng(0).choice(n, 20, replace=False)
    # rows of the DCT matrix D (c = D x) are idct2 of unit vectors: Φ Ψ is then a selection
    phi_rows = np.stack([cs.idct2(np.eye(n)[r].reshape(shape)).ravel() for r in rows])
    psi = np.stack([cs.idct2(np.eye(n)[j].reshape(shape)).ravel() for j in range(n)], axis=1)
    assert np.allclose(phi_rows @ psi, np.eye(n)[rows], atol=1e-12)
    assert cs.mutual_coherence(phi_rows, shape) == pytest.approx(np.sqrt(n))
    gauss = cs.measurement_matrix(20, n, seed=0)
    mu = cs.mutual_coherence(gauss, shape)
    assert 1 <= mu < 0.7 * np.sqrt(n)
    # a spike in the DCT domain measured by an orthonormal basis with μ = 1 would be a flat pattern
    assert cs.mutual_coherence(np.eye(n)[:5], shape) <= np.sqrt(n)
    with pytest.raises(ValueError, match="all-zero row"):
        cs.mutual_coherence(np.zeros((2, n)), shape)
    with pytest.raises(ValueError, match=r"\(M, 64\) array"):
        cs.mutual_coherence(np.ones((2, 10)), shape)


def test_reconstruct_with_a_given_phi():
    from helpers import cs

    img = np.outer(np.linspace(0, 1, 8), np.linspace(1, 0, 8))
    phi = cs.measurement_matrix(30, 64, seed=3)
    a = cs.reconstruct(img, 30, seed=3, iters=50)
    b = cs.reconstruct(img, 30, phi=phi, iters=50)
    assert np.allclose(a["x_hat"], b["x_hat"])
    with pytest.raises(ValueError, match=r"phi must have shape \(M, N\) = \(30, 64\)"):
        cs.reconstruct(img, 30, phi=phi[:10])


def test_measurements_view_shows_each_image_above_its_reconstruction():
    import matplotlib.pyplot as plt

    from helpers.plotting import measurements_view

    rng = np.random.default_rng(0)
    originals = {"smooth": rng.random((8, 8)), "textured": rng.random((8, 8))}
    results = {(n, m): {"x_hat": img * 0.5} for n, img in originals.items() for m in (10, 20)}
    fig = measurements_view(plt.figure(), 20, originals=originals, results=results)
    assert len(fig.axes) == 4 and fig._suptitle.get_text() == "M = 20"
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:2] == ["smooth: original", "textured: original"]
    assert all(t.startswith("reconstruction, MSE") for t in titles[2:])
    with pytest.raises(ValueError, match="no reconstruction from M = 30"):
        measurements_view(plt.figure(), 30, originals=originals, results=results)
    plt.close("all")


# ------------------------------------------------- the chapter's experiments


def test_chapter_images_are_in_the_unit_range_and_deterministic():
    a, b = cs.chapter_images(32), cs.chapter_images(32)
    assert list(a) == ["smooth", "textured", "brick"]
    for name, img in a.items():
        assert img.shape == (32, 32) and 0 <= img.min() and img.max() <= 1
        assert np.array_equal(img, b[name])
    assert a["smooth"].min() == 0 and a["smooth"].max() == 1  # rescaled to [0, 1]
    with pytest.raises(ValueError, match="at most 128"):
        cs.chapter_images(256)
    with pytest.raises(TypeError, match="side must be an integer"):
        cs.chapter_images(32.0)


def test_energy_coefficients_counts_the_largest_dct_coefficients():
    c = np.zeros((8, 8))
    c[0, 0], c[1, 2], c[3, 3] = 3.0, 2.0, 1.0  # energies 9, 4, 1 of 14
    img = cs.idct2(c)
    assert cs.energy_coefficients(img, 9 / 14) == 1
    assert cs.energy_coefficients(img, 0.9) == 2
    assert cs.energy_coefficients(img, 1.0) == 3
    with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\]"):
        cs.energy_coefficients(img, 0)
    with pytest.raises(ValueError, match="all zeros"):
        cs.energy_coefficients(np.zeros((4, 4)))


def test_iterations_to_reach():
    assert cs.iterations_to_reach([5.0, 1.0, 0.1, 0.01], 0.1) == (3, True)
    assert cs.iterations_to_reach([5.0, 1.0], 0.1) == (2, False)
    with pytest.raises(ValueError, match=r"gap \(one value per iteration\) is empty"):
        cs.iterations_to_reach([], 0.1)


def test_error_sweep_uses_one_matrix_per_m_and_matches_reconstruct():
    images = {"a": np.random.default_rng(0).random((8, 8)), "b": np.random.default_rng(1).random((8, 8))}
    sweep = cs.error_sweep(images, [16, 32], seed=3, iters=20)
    assert list(sweep) == [("a", 16), ("a", 32), ("b", 16), ("b", 32)]
    one = cs.reconstruct(images["b"], 32, seed=35, iters=20)
    assert np.array_equal(sweep["b", 32]["x_hat"], one["x_hat"])
    assert np.array_equal(sweep["a", 16]["phi"], sweep["b", 16]["phi"])
    base = cs.error_sweep(images, [16, 32], seed=3, method="min-norm")
    rows = cs.error_table(sweep, base, ["a"], [16, 32], report={"a": {16: (0.5, 0.25)}})
    assert [(r["image"], r["M"]) for r in rows] == [("a", 16), ("a", 32)]
    assert rows[0]["mse_report"] == 0.5 and np.isnan(rows[1]["mae_report"])
    assert rows[1]["ratio"] == base["a", 32]["mse"] / sweep["a", 32]["mse"]
    text = cs.format_error_table(rows).splitlines()
    assert len(text) == 3 and text[0].startswith("image") and text[1].startswith("a")
    with pytest.raises(ValueError, match="no reconstruction of 'a' from M = 64"):
        cs.error_table(sweep, base, ["a"], [64])
    with pytest.raises(TypeError, match="chooses 'phi'"):
        cs.error_sweep(images, [16], phi=np.eye(16, 64))
    with pytest.raises(TypeError, match="non-empty dict"):
        cs.error_sweep([], [16])
    assert set(cs.REPORT_ERRORS) == {"smooth", "textured"}


def test_crossing_rho_is_the_lower_edge_of_the_first_failing_cell():
    rhos = (np.arange(4) + 0.5) / 4
    prob = np.array([[1.0, 1.0], [0.9, 0.6], [0.2, 0.6], [0.0, 0.5]])
    assert cs.crossing_rho(prob, rhos, 0.25) == [0.5, 1.0]
    with pytest.raises(ValueError, match=r"prob must be \(len\(rhos\)"):
        cs.crossing_rho(prob[:2], rhos, 0.25)


def test_jl_sweep_matches_pairwise_distortion():
    x = np.random.default_rng(0).standard_normal((30, 50))
    sweep = cs.jl_sweep(x, [5, 40], seed=2)
    assert sweep["M"] == [5, 40] and len(sweep["worst"]) == 2
    dev = np.abs(cs.pairwise_distortion(x, 40, seed=2) ** 2 - 1)
    assert sweep["worst"][1] == dev.max() and sweep["q99"][1] <= sweep["worst"][1]
    assert np.isinf(sweep["bound"][0]) and sweep["bound"][1] == cs.jl_epsilon(30, 40)
    with pytest.raises(ValueError, match="at least one projected dimension"):
        cs.jl_sweep(x, [])
