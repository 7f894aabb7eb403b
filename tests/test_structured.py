import numpy as np
import pytest
import torch

from helpers import structured
from helpers.bench import machine_description, median_time

RNG = np.random.default_rng(0)


def test_mmatrix_q_is_the_lecture_matrix():
    lecture = np.array(
        [
            [1, 1, 0, 0, 0, 0],
            [0, 0, -1, 0, 0, 0],
            [0, 0, 0, 0, -1, 0],
            [-1, 0, 0, 0, 0, 0],
            [0, 0, 1, 1, 0, 0],
            [0, 0, 0, 0, 0, -1],
            [0, -1, 0, 0, 0, 0],
            [0, 0, 0, -1, 0, 0],
            [0, 0, 0, 0, 1, 1],
        ]
    )
    m = structured.mmatrix_model(3)
    assert np.array_equal(m.q.toarray(), lecture)
    K = m.K(np.arange(1.0, 7.0))
    assert np.allclose(K, [[3, -1, -2], [-3, 7, -4], [-5, -6, 11]])
    assert np.allclose(K.sum(1), 0)


@pytest.mark.parametrize(
    "make, p", [(structured.diagonal_model, 5), (structured.antisymmetric_model, 10), (structured.mmatrix_model, 20)]
)
def test_models_shapes_and_jacobians(make, p):
    m = make(5)
    assert m.p == p and m.shape == (5, 5)
    th = np.abs(RNG.standard_normal(p))
    K = m.K(th)
    # linear: K(θ) = J θ, and the adjoint test passes
    assert np.allclose(m.jvp(th), K)
    assert structured.adjoint_test(m.jvp, m.vjp, RNG.standard_normal(p), RNG.standard_normal((5, 5))) < 1e-12


def test_model_properties():
    assert np.allclose(structured.diagonal_model(4).K([1.0, 2, 3, 4]), np.diag([1.0, 2, 3, 4]))
    A = structured.antisymmetric_model(6).K(RNG.standard_normal(15))
    assert np.allclose(A, -A.T)
    assert np.abs(np.linalg.eigvals(A).real).max() < 1e-12


def test_taylor_test_detects_a_wrong_jacobian():
    f = lambda x: np.sin(x)
    good = structured.taylor_test(f, lambda x, v: np.cos(x) * v, np.ones(4), np.ones(4))
    bad = structured.taylor_test(f, lambda x, v: 1.1 * np.cos(x) * v, np.ones(4), np.ones(4))
    assert abs(good["slope0"] - 1) < 0.1 and abs(good["slope1"] - 2) < 0.1
    assert abs(bad["slope1"] - 1) < 0.1


def test_adjoint_test_detects_a_wrong_transpose():
    a = RNG.standard_normal((4, 3))
    assert structured.adjoint_test(lambda v: a @ v, lambda w: a.T @ w, np.ones(3), np.ones(4)) < 1e-14
    assert structured.adjoint_test(lambda v: a @ v, lambda w: 2 * a.T @ w, np.ones(3), np.ones(4)) > 0.1


@pytest.mark.parametrize("p", [1, 3, 5, 9])
def test_conv1d_matrix_fft_and_eigenvalues_agree(p):
    n = 16
    th = RNG.standard_normal(p)
    K = structured.conv1d_matrix(th, n, "periodic").toarray()
    y = RNG.standard_normal((7, n))
    assert np.abs(K @ y.T - structured.conv1d_fft(th, y).T).max() < 1e-12
    assert np.abs(K.T @ y.T - structured.conv1d_fft_transpose(th, y).T).max() < 1e-12
    lam = np.linalg.eigvals(K)
    lam_f = structured.circulant_eigenvalues(th, n)
    assert np.max(np.min(np.abs(lam[:, None] - lam_f[None, :]), axis=1)) < 1e-12
    assert np.array_equal(structured.circulant_first_column(th, n), K[:, 0])


def test_conv1d_definition_and_zero_boundary():
    th = np.array([1.0, 2.0, 3.0])  # z_i = 1·y_{i+1} + 2·y_i + 3·y_{i-1}
    y = np.array([1.0, 10.0, 100.0, 1000.0])
    Kz = structured.conv1d_matrix(th, 4, "zero").toarray()
    assert np.allclose(Kz @ y, [2 + 10, 3 + 20 + 100, 30 + 200 + 1000, 300 + 2000])
    Kp = structured.conv1d_matrix(th, 4, "periodic").toarray()
    assert np.allclose(Kp @ y, [3000 + 2 + 10, 3 + 20 + 100, 30 + 200 + 1000, 300 + 2000 + 1])


def test_conv1d_jacobians():
    y = RNG.standard_normal((20, 12))
    v, w = RNG.standard_normal(5), RNG.standard_normal((20, 12))
    assert (
        structured.adjoint_test(lambda v: structured.conv1d_jvp(y, v), lambda w: structured.conv1d_vjp(y, w, 5), v, w)
        < 1e-12
    )
    # against torch autograd in float64
    yt = torch.from_numpy(y)

    def f(th):
        return torch.stack([torch.roll(yt, j, dims=-1) for j in range(-2, 3)], -1) @ th

    th = torch.from_numpy(RNG.standard_normal(5))
    assert np.allclose(f(th).numpy(), structured.conv1d_fft(th.numpy(), y))
    assert torch.autograd.gradcheck(f, (th.clone().requires_grad_(),))
    _, pull = torch.func.vjp(f, th)
    assert np.allclose(pull(torch.from_numpy(w))[0].numpy(), structured.conv1d_vjp(y, w, 5))


def test_bccb_conv2d_and_torch_agree():
    th = RNG.standard_normal((3, 5))
    img = RNG.standard_normal((7, 9))
    K = structured.bccb_matrix(th, img.shape)
    ref = (K @ img.ravel()).reshape(img.shape)
    assert np.abs(structured.conv2d_fft(th, img) - ref).max() < 1e-10
    assert np.abs(structured.conv2d_torch_circular(th, img) - ref).max() < 1e-10
    assert np.array_equal(structured.bccb_first_column(th, img.shape).ravel(), K.toarray()[:, 0])
    lam = np.linalg.eigvals(K.toarray())
    lam_f = np.fft.fft2(structured.bccb_first_column(th, img.shape)).ravel()
    assert np.max(np.min(np.abs(lam[:, None] - lam_f[None, :]), axis=1)) < 1e-12


def test_multichannel():
    th = RNG.standard_normal((4, 3, 3, 3))
    y = RNG.standard_normal((3, 8, 8))
    ref = structured.conv2d_torch_circular(th, y)
    assert np.abs(structured.multichannel_conv_fft(th, y) - ref).max() < 1e-10
    assert np.abs((structured.multichannel_matrix(th, (8, 8)) @ y.ravel()).reshape(4, 8, 8) - ref).max() < 1e-10


def test_best_separable():
    a, b = RNG.standard_normal(5), RNG.standard_normal(5)
    _, _, err = structured.best_separable(np.outer(a, b))
    assert err < 1e-12
    u, v, err = structured.best_separable(np.array([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]))
    assert 0 < err < 1 and u.shape == v.shape == (3,)


def test_median_time_and_machine():
    t = median_time(lambda: sum(range(1000)), repeats=3, min_time=0.001)
    assert 0 < t < 0.1
    assert "cores" in machine_description()
    with pytest.raises(ValueError, match="repeats must be a positive integer"):
        median_time(lambda: None, repeats=0)


# ---------------------------------------------------------------- bad input


def test_even_and_empty_stencils():
    with pytest.raises(ValueError, match="even length 4; use an odd length"):
        structured.conv1d_matrix(np.ones(4), 10)
    with pytest.raises(ValueError, match="stencil theta is empty"):
        structured.circulant_eigenvalues(np.array([]), 10)
    with pytest.raises(ValueError, match="both sides must be odd"):
        structured.bccb_first_column(np.ones((2, 3)), (8, 8))
    with pytest.raises(ValueError, match="stencil theta is empty"):
        structured.conv2d_fft(np.ones((0, 0)), np.ones((4, 4)))


def test_stencil_longer_than_signal():
    with pytest.raises(ValueError, match=r"stencil theta \(length 7\) is longer than the signal \(length 5\)"):
        structured.conv1d_fft(np.ones(7), np.ones(5))
    with pytest.raises(ValueError, match="larger than the image"):
        structured.bccb_matrix(np.ones((5, 5)), (3, 3))


def test_mismatched_channels():
    with pytest.raises(ValueError, match="expects 3 input channels but y has 2"):
        structured.multichannel_conv_fft(np.ones((4, 3, 3, 3)), np.ones((2, 8, 8)))
    with pytest.raises(ValueError, match="expects 3 input channels but y has 2"):
        structured.conv2d_torch_circular(np.ones((4, 3, 3, 3)), np.ones((2, 8, 8)))


def test_negative_theta_for_the_mmatrix():
    m = structured.mmatrix_model(3)
    with pytest.raises(ValueError, match=r"requires θ >= 0 \(entry 2 is -1\)"):
        m.K([1.0, 1, -1, 1, 1, 1])
    m.jvp([1.0, 1, -1, 1, 1, 1])  # a direction may point anywhere


def test_other_bad_input():
    with pytest.raises(ValueError, match="has 6 parameters, got theta of length 5"):
        structured.mmatrix_model(3).K(np.ones(5))
    with pytest.raises(ValueError, match="boundary condition bc must be one of 'zero', 'periodic'; got 'reflect'"):
        structured.conv1d_matrix(np.ones(3), 8, "reflect")
    with pytest.raises(ValueError, match="must have the same shape"):
        structured.conv1d_vjp(np.ones((2, 8)), np.ones((3, 8)), 3)
    with pytest.raises(ValueError, match="NaN"):
        structured.conv1d_fft(np.ones(3), np.array([1.0, np.nan, 1, 1]))
    with pytest.raises(ValueError, match="same shape"):
        structured.taylor_test(np.sin, lambda x, v: v, np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="matrix size n must be a positive integer"):
        structured.antisymmetric_model(0)


def test_eigenvalue_mismatch_ignores_order():
    lam = np.fft.fft(structured.circulant_first_column(np.array([1.0, -2.0, 0.5]), 8))
    assert structured.eigenvalue_mismatch(lam[::-1], lam) == 0
    assert structured.eigenvalue_mismatch([1.0, 2.0], [2.0, 1.5]) == 0.5
    with pytest.raises(ValueError, match="equally long"):
        structured.eigenvalue_mismatch([1.0], [1.0, 2.0])
