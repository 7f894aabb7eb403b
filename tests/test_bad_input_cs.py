"""Bad input to every public function of ``helpers.cs`` (see ``tests/badinput.py``)."""

import numpy as np
import pytest
from badinput import BAD, NAN, bad_cases, check_bad, check_good, good_cases, spec

from helpers import cs

RNG = np.random.default_rng(0)
IMG = RNG.random((8, 8))
PHI = cs.measurement_matrix(16, 64, seed=1)
OP = cs.DCTSensing(PHI, (8, 8))
Q, _ = np.linalg.qr(RNG.standard_normal((6, 6)))  # orthonormal: ‖A‖₂² = 1
POINTS = RNG.standard_normal((6, 10))
GAP = np.array([5.0, 1.0, 0.1, 0.01])
PROB = np.array([[1.0, 1.0], [0.9, 0.6], [0.2, 0.6], [0.0, 0.5]])
RHOS = (np.arange(4) + 0.5) / 4


def _solver_args():
    return {
        "forward": lambda x: Q @ x,
        "adjoint": lambda r: Q.T @ r,
        "y": np.ones(6),
        "lam": 0.1,
        "lipschitz": 1.0,
        "iters": 20,
        "x0": None,
        "record": True,
    }


def _sweep():
    images = {"a": IMG}
    results = cs.error_sweep(images, [16, 32], seed=0, iters=10)
    baseline = cs.error_sweep(images, [16, 32], seed=0, method="min-norm")
    return results, baseline


RESULTS, BASELINE = _sweep()
ROWS = cs.error_table(RESULTS, BASELINE, ["a"], [16, 32])

# Kinds of this module's own arguments (lists of bad values).
SHAPE = [None, "88", 8, (8,), (8, 8, 8), (0, 8), (-1, 8), (2.5, 8), (True, 8), ("8", 8)]
M_LIST = [[], 16, "16", None, [0], [16, -1], [2.5], [True], [None]]
FRACTIONS = [[], "abc", None, [0.0], [0.5, 1.5], [NAN], [[0.5]], [True], np.array([True]), [0.5j]]
X0 = ["abc", np.ones(2), np.array([1.0, NAN, 0, 0, 0, 0]), np.ones(6) * 1j]
CALLABLE = BAD["callable"]
SOLVER_EXTRA = [
    ("forward", lambda x: np.ones(2)),  # A x must be shaped like y
    ("forward", lambda x: "abc"),
    ("adjoint", lambda r: np.full(6, NAN)),
    ("lipschitz", 0.01),  # far below ‖A‖₂² = 1: the iterations would diverge
    ("y", np.ones((6, 1))),
]
SOLVER_SAYS = {
    "forward": "forward",
    "adjoint": "adjoint",
    "y": "measurements y",
    "lam": "λ (lam)",
    "lipschitz": "lipschitz",
    "iters": "number of iterations",
    "x0": "x0",
}

SPECS = [
    spec(
        cs.dct2, {"x": IMG}, {"x": "image"}, extra=[("x", np.ones((2, 2, 2)))], says={"x": ("x must", "x is", "x con")}
    ),
    spec(cs.idct2, {"c": IMG}, {"c": "image"}, extra=[("c", np.ones(4))], says={"c": ("c must", "c is", "c con")}),
    spec(
        cs.measurement_matrix,
        {"m": 4, "n": 6, "ensemble": "bernoulli", "seed": 0},
        {"m": "pos_int", "n": "pos_int", "ensemble": "name", "seed": "seed"},
        says={"m": "number of measurements M", "n": "signal length N"},
    ),
    spec(
        cs.DCTSensing,
        {"phi": PHI, "shape": (8, 8)},
        {"phi": "matrix", "shape": SHAPE},
        extra=[("shape", (4, 4)), ("phi", PHI[:, :10])],
        says={"phi": "Φ", "shape": ("shape", "pixels")},
    ),
    spec(
        OP.forward,
        {"c": IMG},
        {"c": "image"},
        extra=[("c", np.ones((4, 4))), ("c", np.ones(64))],
        says={"c": "coefficients c"},
    ),
    spec(OP.adjoint, {"r": np.ones(16)}, {"r": "vector"}, extra=[("r", np.ones(15))], says={"r": "residual r"}),
    spec(cs.soft_threshold, {"x": GAP, "t": 0.5}, {"x": "values", "t": "nonneg"}, says={"t": "threshold t"}),
    spec(
        cs.SolverResult,
        {"x": np.ones(3), "objective": [1.0, 0.5]},
        {"x": ["abc", None, np.ones(0), np.ones(3) * 1j], "objective": ["abc", 3, None, [1.0, "a"], [True]]},
        says={"x": ("x must", "x is"), "objective": "objective"},
    ),
    *[
        spec(
            solver,
            _solver_args,
            {
                "forward": CALLABLE,
                "adjoint": CALLABLE,
                "y": "vector",
                "lam": "nonneg",
                "lipschitz": "positive",
                "iters": "pos_int",
                "x0": X0,
                "record": "flag",
            },
            extra=SOLVER_EXTRA,
            says=SOLVER_SAYS,
        )
        for solver in (cs.ista, cs.fista)
    ],
    spec(
        cs.min_norm,
        {"phi": PHI, "y": np.ones(16)},
        {"phi": "matrix", "y": "vector"},
        extra=[("y", np.ones(15))],
        says={"phi": "Φ", "y": ("measurements y", "and y (")},
    ),
    spec(
        cs.reconstruct,
        {
            "image": IMG,
            "m": 16,
            "ensemble": "gaussian",
            "seed": 0,
            "lam_rel": 1e-3,
            "iters": 5,
            "method": "fista",
            "record": False,
            "phi": None,
        },
        {
            "image": "image",
            "m": "pos_int",
            "ensemble": "name",
            "seed": "seed",
            "lam_rel": "nonneg",
            "iters": "pos_int",
            "method": "name",
            "record": "flag",
            "phi": ["abc", np.ones(64), np.ones((16, 10)), np.full((16, 64), NAN), PHI * 1j],
        },
        extra=[("m", 65), ("image", np.ones(64))],
        says={"m": ("M", "measurements"), "lam_rel": "lam_rel", "iters": "number of iterations"},
    ),
    spec(
        cs.mse_mae,
        {"x": IMG, "x_hat": IMG * 0.9},
        {"x": "values", "x_hat": "values"},
        extra=[("x_hat", np.ones(3))],
        says={"x": ("x must", "x is", "x con", "x ("), "x_hat": "x_hat"},
    ),
    spec(
        cs.basis_pursuit,
        {"a": Q[:4], "y": np.ones(4)},
        {"a": "matrix", "y": "vector"},
        extra=[("y", np.ones(3)), ("a", np.zeros((4, 6)))],  # zero A: y is out of its range
        says={"a": "A", "y": "y"},
    ),
    spec(
        cs.recovery_probability,
        {"n": 10, "m": 5, "k": 1, "trials": 1, "seed": 0, "tol": 1e-4},
        {"n": "pos_int", "m": "pos_int", "k": "nonneg_int", "trials": "pos_int", "seed": "seed", "tol": "positive"},
        extra=[("k", 11), ("m", 11)],
        says={"n": "N", "m": "M", "k": "sparsity k", "tol": "tolerance tol"},
    ),
    spec(
        cs.recovery_grid,
        {"n": 10, "deltas": [0.5], "rhos": [0.5], "trials": 1, "seed": 0, "workers": 1},
        {
            "n": "pos_int",
            "deltas": FRACTIONS,
            "rhos": FRACTIONS,
            "trials": "pos_int",
            "seed": "seed",
            "workers": "pos_int",
        },
        says={"n": "N"},
        skip={"workers": [None]},  # None: one process per core
    ),
    spec(
        cs.statistical_dimension_l1,
        {"eps": 0.1},
        {"eps": [True, -0.1, 1.5, NAN, 1j, "0.5", None]},
        says={"eps": "ε = k/N"},
    ),
    spec(
        cs.donoho_tanner_rho,
        {"delta": 0.5},
        {"delta": [True, 0.0, -0.1, 1.5, NAN, "0.5", None, [], [0.5, NAN], np.array([True]), [0.5j]]},
        says={"delta": ("delta", "δ = M/N")},
    ),
    spec(
        cs.pairwise_distortion,
        {"x": POINTS, "m": 3, "seed": 0, "ensemble": "gaussian"},
        {"x": "matrix", "m": "pos_int", "seed": "seed", "ensemble": "name"},
        extra=[("x", POINTS[:1]), ("x", np.ones((4, 10)))],  # one point; all points the same
        says={"x": "points x", "m": "projected dimension M"},
    ),
    spec(
        cs.mutual_coherence,
        {"phi": PHI, "shape": (8, 8)},
        {"phi": "matrix", "shape": SHAPE},
        extra=[("shape", (4, 4)), ("phi", np.zeros((2, 64)))],
        says={"shape": ("shape", "(M, 16)")},
    ),
    spec(
        cs.jl_epsilon,
        {"n_samples": 10, "m": 500},
        {"n_samples": "pos_int", "m": "pos_int"},
        extra=[("n_samples", 1)],
        says={"m": "M (m)"},
    ),
    spec(cs.chapter_images, {"side": 8}, {"side": "pos_int"}, extra=[("side", 129)]),
    spec(
        cs.energy_coefficients,
        {"image": IMG, "fraction": 0.9},
        {"image": "image", "fraction": "fraction"},
        extra=[("image", np.zeros((4, 4))), ("image", np.ones(16))],
        says={"image": ("image", "all zeros")},
    ),
    spec(
        cs.iterations_to_reach,
        {"gap": GAP, "target": 0.1},
        {"gap": "vector", "target": "nonneg"},
        says={"gap": "gap"},
    ),
    spec(
        cs.error_sweep,
        {"images": {"a": IMG}, "m_values": [16], "seed": 0, "iters": 5},
        {"images": ["abc", None, {}, [IMG]], "m_values": M_LIST, "seed": "seed", "iters": "pos_int"},
        extra=[
            ("images", {"a": np.ones(64)}),
            ("images", {"a": np.full((8, 8), NAN)}),
            ("m_values", [65]),
            ("phi", PHI),
            ("lam", 0.1),  # not an option of reconstruct: a typo for lam_rel
            ("method", "omp"),
        ],
        says={
            "images": "images",
            "m_values": ("m_values", "M"),
            "iters": "number of iterations",
            "phi": "phi",
            "lam": "lam",
            "method": "method",
        },
    ),
    spec(
        cs.error_table,
        {"results": RESULTS, "baseline": BASELINE, "names": ["a"], "m_values": [16, 32], "report": None},
        {
            "results": ["abc", None, [1, 2], {("a", 16): "x", ("a", 32): "x"}],
            "baseline": ["abc", None, {("a", 16): {"mse": NAN, "mae": 0.1}, ("a", 32): {"mse": 0.1, "mae": 0.1}}],
            "names": ["a", None, 3, [], ["b"], [["a"]]],
            "m_values": M_LIST,
            "report": ["abc", 3, [1], {"a": 3}, {"a": {16: 0.5}}, {"a": {16: ("x", 0.1)}}],
        },
        extra=[("m_values", [64])],
        says={
            "results": ("results", "reconstruction of"),
            "baseline": ("baseline", "reconstruction of"),
            "names": ("names", "reconstruction of 'b'"),
            "m_values": ("m_values", "M = "),
            "report": "report",
        },
    ),
    spec(
        cs.format_error_table,
        {"rows": ROWS},
        {"rows": ["abc", None, 3, [], [{"image": "a"}], [ROWS[0], "x"], {"image": "a"}, [{**ROWS[0], "mse": "0.1"}]]},
    ),
    spec(
        cs.crossing_rho,
        {"prob": PROB, "rhos": RHOS, "cell": 0.25, "level": 0.5},
        {"prob": "matrix", "rhos": FRACTIONS, "cell": "positive", "level": "prob"},
        extra=[("prob", PROB[:2]), ("prob", PROB * 2), ("rhos", RHOS[:3])],
        says={"cell": "cell", "rhos": ("rhos", "len(rhos)")},
    ),
    spec(
        cs.jl_sweep,
        {"x": POINTS, "m_values": [3, 5], "seed": 0},
        {"x": "matrix", "m_values": M_LIST, "seed": "seed"},
        extra=[("x", POINTS[:1])],
        says={"x": "points x", "m_values": ("m_values", "M")},
    ),
]


@pytest.mark.parametrize("s, arg, value", bad_cases(SPECS))
def test_bad_input_is_refused_by_name(s, arg, value):
    check_bad(s, arg, value)


@pytest.mark.parametrize("s", good_cases(SPECS))
def test_numpy_scalars_are_accepted(s):
    check_good(s)


def test_numpy_scalars_in_shapes_lists_and_fractions():
    shape = (np.int64(8), np.int32(8))
    assert cs.DCTSensing(PHI, shape).shape == (8, 8)
    assert cs.mutual_coherence(PHI, shape) >= 1
    assert cs.recovery_grid(np.int64(10), [np.float32(0.5)], np.array([0.5]), np.int64(1), workers=np.int64(1)).shape
    assert cs.jl_sweep(POINTS, [np.int64(3)], seed=np.int64(0))["M"] == [3]
    assert cs.donoho_tanner_rho(np.float32(0.5)) == pytest.approx(cs.donoho_tanner_rho(0.5), rel=1e-6)
    assert cs.statistical_dimension_l1(np.float64(0.0)) == 0.0
    assert cs.statistical_dimension_l1(np.float32(0.1)) == pytest.approx(cs.statistical_dimension_l1(0.1), rel=1e-6)
    assert cs.recovery_probability(np.int64(10), np.int64(5), np.int64(1), np.int64(1), tol=np.float32(1e-4)) == 1.0


# ------------------------------------------------------------ regression tests


def test_a_lipschitz_constant_far_too_small_is_refused_not_diverging():
    # used to return huge or NaN coefficients without a word
    with pytest.raises(ValueError, match="lipschitz = 0.001 is below half of"):
        cs.ista(lambda x: Q @ x, lambda r: Q.T @ r, np.ones(6), 0.1, 1e-3, iters=200)
    # between ‖A‖²/2 and ‖A‖² ISTA still converges: accepted
    res = cs.ista(lambda x: Q @ x, lambda r: Q.T @ r, np.ones(6), 0.1, 0.6, iters=200)
    assert np.allclose(res.x, cs.soft_threshold(Q.T @ np.ones(6), 0.1), atol=1e-6)


def test_forward_must_return_measurements_shaped_like_y():
    # a (6, 1) column against y of shape (6,) used to broadcast into a (6, 6) residual
    with pytest.raises(ValueError, match=r"forward\(x\) returned shape \(6, 1\) but y has shape \(6,\)"):
        cs.fista(lambda x: (Q @ x)[:, None], lambda r: Q.T @ r.ravel(), np.ones(6), 0.1, 1.0, iters=5)


def test_negative_lam_rel_is_named():
    # used to fail inside the solver as "λ must be ...", which a caller of reconstruct never passed
    with pytest.raises(ValueError, match="lam_rel"):
        cs.reconstruct(IMG, 16, lam_rel=-1.0, iters=5)


def test_basis_pursuit_with_y_outside_the_range_of_a_is_a_value_error():
    with pytest.raises(ValueError, match="not in the range of A"):
        cs.basis_pursuit(np.zeros((3, 5)), np.ones(3))


def test_a_single_point_or_sample_is_refused():
    # jl_sweep used to fail with numpy's "zero-size array to reduction operation maximum"
    with pytest.raises(ValueError, match="at least two points"):
        cs.jl_sweep(POINTS[:1], [3])
    # jl_epsilon(1, M) used to fail inside scipy's brentq
    with pytest.raises(ValueError, match="n_samples must be at least 2"):
        cs.jl_epsilon(1, 10)


def test_error_sweep_refuses_an_unknown_option_and_a_bare_number():
    with pytest.raises(TypeError, match="unknown option"):
        cs.error_sweep({"a": IMG}, [16], lam=0.1)
    with pytest.raises(TypeError, match="m_values must be a list"):
        cs.error_sweep({"a": IMG}, 16)


def test_error_table_of_a_perfect_reconstruction_has_an_infinite_ratio():
    perfect = {("a", 16): {"mse": 0.0, "mae": 0.0}}
    base = {("a", 16): {"mse": 0.5, "mae": 0.5}}
    (row,) = cs.error_table(perfect, base, ["a"], [16], report={})
    assert row["ratio"] == float("inf")


def test_booleans_are_not_fractions_or_seeds():
    with pytest.raises(TypeError, match="delta"):
        cs.donoho_tanner_rho(True)
    with pytest.raises(TypeError, match="seed"):
        cs.measurement_matrix(3, 4, seed=True)
