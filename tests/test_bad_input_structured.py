"""Bad input to every public function of ``helpers.structured`` (see ``tests/badinput.py``)."""

import numpy as np
import pytest
import scipy.sparse as sp
from badinput import BAD, NAN, bad_cases, check_bad, check_good, good_cases, spec

from helpers import structured

RNG = np.random.default_rng(0)
A = RNG.standard_normal((4, 3))
Y = RNG.standard_normal((3, 8))  # three signals of length 8
IMG = RNG.standard_normal((8, 8))
RGB = RNG.standard_normal((3, 8, 8))
T3 = np.array([1.0, -2.0, 0.5])
T33 = RNG.standard_normal((3, 3))
BANK = RNG.standard_normal((2, 3, 3, 3))  # (C_out, C_in, kh, kw)
MODEL = structured.mmatrix_model(3)  # 6 parameters, θ >= 0

# Kinds of this module's own arguments (lists of bad values).
SHAPE = [None, "88", 8, (8,), (8, 8, 8), (0, 8), (-1, 8), (2.5, 8), (True, 8), ("8", 8)]
STENCIL1 = [*BAD["vector"], np.ones(4), np.ones(9)]  # even length; longer than the signal (8)
STENCIL2 = [*BAD["image"], np.ones((2, 3)), np.ones((9, 9))]  # an even side; larger than the 8 x 8 image
BANK4 = [
    "abc",
    None,
    np.ones((3, 3)),
    np.ones((0, 3, 3, 3)),
    np.full((2, 3, 3, 3), NAN),
    np.ones((2, 3, 3, 3)) * 1j,
    np.ones((2, 3, 2, 2)),
    np.ones((2, 3, 9, 9)),
]
EIGS = ["abc", None, [], [1.0, NAN], ["a", "b"], [True, False], np.ones(5), {"a": 1}]
STEPS = ["abc", [0.1, 0.01], [0.1, -0.01, 0.001], [[0.1, 0.01, 0.001]], [NAN, 0.1, 0.01], [0.1, 0.1, 0.1], 0.1]
THETA_SAYS = ("theta", "θ")
F_SAYS = ("f must", "f(x)", "f(x + h v)")
X_SAYS = ("x must", "x is empty", "x contains", "x (")
V_SAYS = ("v must", "v is empty", "v contains", "direction v", "v has shape")
W_SAYS = ("w must", "w is empty", "w contains", "w has shape", "shape")

SPECS = [
    spec(
        structured.mat,
        {"v": np.arange(6.0), "shape": (2, 3)},
        {"v": ["abc", None, np.ones((2, 3)), np.ones(0), np.ones(6) * 1j], "shape": SHAPE},
        extra=[("shape", (2, 2)), ("shape", (6, 6))],
        says={"v": ("v must", "v is empty", "v has 6 entries"), "shape": ("shape", "v has")},
    ),
    spec(
        structured.vec,
        {"a": IMG},
        {"a": ["abc", None, np.ones(3), np.ones((0, 3)), np.ones((2, 2)) * 1j, np.ones((2, 2, 2))]},
        says={"a": ("a must", "a is empty")},
    ),
    spec(
        structured.ParametricModel,
        {"q": MODEL.q, "shape": (3, 3), "nonnegative": True, "name": "M-matrix"},
        {"q": "matrix", "shape": SHAPE, "nonnegative": "flag", "name": [3, None, True]},
        says={"q": "Q", "shape": ("shape", "Q has")},
        extra=[
            ("q", sp.csr_matrix(np.full((9, 2), NAN))),
            ("q", sp.csr_matrix(np.ones((9, 2)) * 1j)),
            ("q", np.ones((8, 6))),
            ("shape", (2, 3)),
        ],
    ),
    spec(
        MODEL.K,
        {"theta": np.ones(6)},
        {"theta": "vector"},
        extra=[("theta", np.ones(5)), ("theta", np.array([1.0, 1, -1, 1, 1, 1]))],
        says={"theta": THETA_SAYS},
    ),
    spec(MODEL.jvp, {"v": -np.ones(6)}, {"v": "vector"}, extra=[("v", np.ones(7))], says={"v": "direction v"}),
    spec(
        MODEL.vjp,
        {"w": np.ones((3, 3))},
        {"w": "matrix"},
        extra=[("w", np.ones((2, 2))), ("w", np.ones(9))],
        says={"w": ("w must", "w is empty", "w contains")},
    ),
    spec(structured.diagonal_model, {"n": 3}, {"n": "pos_int"}, says={"n": "matrix size n"}),
    spec(structured.antisymmetric_model, {"n": 3}, {"n": "pos_int"}, says={"n": "matrix size n"}),
    spec(structured.mmatrix_model, {"n": 3}, {"n": "pos_int"}, says={"n": "matrix size n"}),
    spec(
        structured.taylor_test,
        {"f": np.sin, "jvp": lambda x, v: np.cos(x) * v, "x": np.ones(3), "v": np.ones(3), "hs": None},
        {"f": "callable", "jvp": "callable", "x": "values", "v": "values", "hs": STEPS},
        says={"f": F_SAYS, "x": X_SAYS, "v": V_SAYS, "hs": "step sizes hs"},
        extra=[
            ("x", np.ones(4)),
            ("v", np.zeros(3)),
            ("v", np.ones((3, 1))),
            ("f", lambda x: "abc"),
            ("f", lambda x: np.full(x.shape, NAN)),
            ("f", lambda x: np.ones(2) if x[0] == 1 else np.ones(3)),  # changes shape away from x
            ("jvp", lambda x, v: 1.0),  # would broadcast against f(x)
            ("jvp", lambda x, v: np.cos(x)[:, None] * v),
            ("jvp", lambda x, v: None),
        ],
    ),
    spec(
        structured.adjoint_test,
        {"jvp": lambda v: A @ v, "vjp": lambda w: A.T @ w, "v": np.ones(3), "w": np.ones(4)},
        {"jvp": "callable", "vjp": "callable", "v": "values", "w": "values"},
        says={"jvp": "jvp", "vjp": "vjp", "v": V_SAYS, "w": W_SAYS},
        extra=[
            ("jvp", lambda v: (A @ v)[:, None]),  # (4, 1) against w (4,): broadcasts to (4, 4)
            ("jvp", lambda v: float(np.sum(A @ v))),
            ("jvp", lambda v: "abc"),
            ("vjp", lambda w: (A.T @ w)[:, None]),
            ("vjp", lambda w: np.full(3, NAN)),
            ("w", np.ones((4, 1))),
        ],
    ),
    spec(
        structured.conv1d_matrix,
        {"theta": T3, "n": 8, "bc": "periodic"},
        {"theta": STENCIL1, "n": "pos_int", "bc": "name"},
        says={"theta": "stencil theta", "n": ("signal length n", "stencil theta"), "bc": "boundary condition bc"},
    ),
    spec(
        structured.circulant_first_column,
        {"theta": T3, "n": 8},
        {"theta": STENCIL1, "n": "pos_int"},
        says={"theta": "stencil theta", "n": ("signal length n", "stencil theta")},
    ),
    spec(
        structured.circulant_eigenvalues,
        {"theta": T3, "n": 8},
        {"theta": STENCIL1, "n": "pos_int"},
        says={"theta": "stencil theta", "n": ("signal length n", "stencil theta")},
    ),
    spec(
        structured.conv1d_fft,
        {"theta": T3, "y": Y},
        {"theta": STENCIL1, "y": "values"},
        extra=[("y", 3.0), ("y", np.ones((3, 0)))],
        says={"theta": "stencil theta", "y": ("y must", "y is empty", "y contains")},
    ),
    spec(
        structured.conv1d_fft_transpose,
        {"theta": T3, "y": Y},
        {"theta": STENCIL1, "y": "values"},
        extra=[("y", 3.0), ("y", np.ones(2))],
        says={"theta": "stencil theta", "y": ("y must", "y is empty", "y contains", "signal")},
    ),
    spec(
        structured.conv1d_jvp,
        {"y": Y, "v": T3},
        {"y": "values", "v": STENCIL1},
        extra=[("y", 3.0)],
        says={"y": ("y must", "y is empty", "y contains"), "v": "direction v"},
    ),
    spec(
        structured.conv1d_vjp,
        {"y": Y, "w": Y, "p": 3},
        {"y": "values", "w": "values", "p": "pos_int"},
        extra=[("w", np.ones((2, 8))), ("w", np.ones(8)), ("p", 4), ("p", 9), ("y", 3.0)],
        says={
            "y": ("y must", "y is empty", "y contains"),
            "w": ("w must", "w is empty", "w contains", "w (", "and w"),
            "p": "stencil length p",
        },
    ),
    spec(
        structured.bccb_first_column,
        {"theta": T33, "shape": (8, 8)},
        {"theta": STENCIL2, "shape": SHAPE},
        extra=[("shape", (2, 2))],
        says={"theta": "stencil theta", "shape": ("image shape", "larger than the image")},
    ),
    spec(
        structured.bccb_matrix,
        {"theta": T33, "shape": (4, 4)},
        {"theta": STENCIL2[:-1], "shape": SHAPE},
        extra=[("theta", np.ones((5, 5)))],
        says={"theta": "stencil theta", "shape": ("image shape", "larger than the image")},
    ),
    spec(
        structured.conv2d_fft,
        {"theta": T33, "y": IMG},
        {"theta": STENCIL2, "y": "image"},
        extra=[("y", np.ones((2, 2)))],
        says={"theta": "stencil theta", "y": ("y must", "y is empty", "y contains", "larger than the image")},
    ),
    spec(
        structured.conv2d_torch_circular,
        {"theta": T33, "y": IMG},
        {"theta": STENCIL2, "y": "image"},
        extra=[
            ("theta", np.ones((1, 1, 2, 2))),
            ("theta", np.ones((1, 1, 9, 9))),
            ("theta", np.ones((2, 2, 3, 3))),  # 2 input channels, y has 1
            ("theta", np.ones((1, 3, 3))),
            ("y", np.ones((2, 2))),
            ("y", np.ones((1, 1, 8, 8))),
            ("y", RGB),  # 3 channels for a single-channel stencil
        ],
        says={
            "theta": "stencil theta",
            "y": ("y must", "y is empty", "y contains", "larger than the image", "but y has"),
        },
    ),
    spec(
        structured.multichannel_matrix,
        {"theta": BANK, "shape": (4, 4)},
        {"theta": BANK4, "shape": SHAPE},
        says={"theta": "stencil bank theta", "shape": ("image shape", "larger than the image")},
    ),
    spec(
        structured.multichannel_conv_fft,
        {"theta": BANK, "y": RGB},
        {"theta": BANK4, "y": ["abc", None, IMG, np.ones((0, 8, 8)), np.full((3, 8, 8), NAN), RGB * 1j]},
        extra=[("y", RGB[:2]), ("y", np.ones((3, 2, 2)))],
        says={"theta": "stencil bank theta", "y": ("y (C_in, H, W)", "but y has", "larger than the image")},
    ),
    spec(
        structured.best_separable,
        {"theta": T33},
        {"theta": STENCIL2[:-1]},
        says={"theta": "stencil theta"},
    ),
    spec(
        structured.eigenvalue_mismatch,
        {"dense": np.array([1.0 + 1j, 2.0]), "predicted": np.array([2.0, 1.0 + 1j])},
        {"dense": EIGS, "predicted": EIGS},
    ),
]


@pytest.mark.parametrize("s, arg, value", bad_cases(SPECS))
def test_bad_input_is_refused_by_name(s, arg, value):
    check_bad(s, arg, value)


@pytest.mark.parametrize("s", good_cases(SPECS))
def test_numpy_scalars_are_accepted(s):
    check_good(s)


def test_numpy_integers_are_accepted_in_shapes_and_lengths():
    shape = (np.int64(8), np.int32(8))
    assert structured.bccb_first_column(T33, shape).shape == (8, 8)
    assert structured.bccb_matrix(T33, (np.int64(4), 4)).shape == (16, 16)
    assert structured.mat(np.arange(6.0), (np.int64(2), np.int64(3))).shape == (2, 3)
    assert structured.conv1d_vjp(Y, Y, np.int64(3)).shape == (3,)
    assert structured.multichannel_matrix(BANK, shape).shape == (2 * 64, 3 * 64)
    assert structured.ParametricModel(MODEL.q, shape=[np.int64(3), 3]).p == 6


# ------------------------------------------------------------ regression tests


def test_torch_circular_refuses_a_stencil_larger_than_the_image_like_the_fft():
    # Used to return a 3 x 3 result computed from wrapped-around padding; conv2d_fft refused.
    theta, y = np.ones((5, 5)), np.ones((3, 3))
    with pytest.raises(ValueError, match=r"stencil theta \(5 x 5\) is larger than the image \(3, 3\)"):
        structured.conv2d_fft(theta, y)
    with pytest.raises(ValueError, match=r"stencil theta \(5 x 5\) is larger than the image \(3, 3\)"):
        structured.conv2d_torch_circular(theta, y)
    with pytest.raises(ValueError, match="larger than the image"):
        structured.conv2d_torch_circular(np.ones((2, 3, 5, 5)), np.ones((3, 4, 4)))


def test_torch_circular_refuses_an_even_stencil():
    # An even stencil has no centre: circular padding by kh // 2 gave a (H+1) x (W+1) result.
    with pytest.raises(ValueError, match="both sides must be odd"):
        structured.conv2d_torch_circular(np.ones((2, 2)), np.ones((6, 6)))


def test_adjoint_test_refuses_outputs_that_would_broadcast():
    # jvp(v) of shape (4, 1) against w of shape (4,) used to broadcast to a 4 x 4 product: a wrong number.
    with pytest.raises(ValueError, match=r"jvp\(v\) returned shape \(4, 1\) but w has shape \(4,\)"):
        structured.adjoint_test(lambda v: (A @ v)[:, None], lambda w: A.T @ w, np.ones(3), np.ones(4))


def test_taylor_test_refuses_a_jvp_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"jvp\(x, v\) returned shape \(\) but f\(x\) has shape \(3,\)"):
        structured.taylor_test(np.sin, lambda x, v: 1.0, np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="direction v is all zeros"):
        structured.taylor_test(np.sin, lambda x, v: np.cos(x) * v, np.ones(3), np.zeros(3))


def test_conv1d_vjp_refuses_a_boolean_or_even_length():
    # p=True used to be read as a stencil of length 1.
    with pytest.raises(TypeError, match="stencil length p must be an integer, got True"):
        structured.conv1d_vjp(Y, Y, True)
    with pytest.raises(ValueError, match="stencil length p must be odd"):
        structured.conv1d_vjp(Y, Y, 4)


def test_valid_calls_are_unchanged():
    # a few of the chapter's calls, with their exact answers
    assert np.array_equal(structured.mat(np.arange(6), (2, 3)), np.arange(6).reshape(2, 3, order="F"))
    assert structured.eigenvalue_mismatch([1.0, 2.0], [2.0, 1.5]) == 0.5
    assert structured.conv2d_torch_circular(T33, IMG).shape == (8, 8)
    assert structured.conv2d_torch_circular(BANK, RGB).shape == (2, 8, 8)
    res = structured.taylor_test(np.sin, lambda x, v: np.cos(x) * v, np.ones(3), np.ones(3), hs=[0.1, 0.05, 0.025])
    assert abs(res["slope1"] - 2) < 0.2
