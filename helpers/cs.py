"""Compressive sensing: random measurements, sparse recovery, phase transitions.

Introduced in the chapter "Compressive sensing and random projections". The
random-projection chapter reuses :func:`measurement_matrix` and
:func:`jl_epsilon`.

An image ``x`` (n1 x n2) is measured as ``y = Φ x`` with a random M x N
matrix Φ (N = n1·n2). It is recovered by assuming it is sparse in the
orthonormal 2-D DCT, ``x = Ψ c``, and solving the LASSO

    minimise  ½‖Φ Ψ c − y‖² + λ‖c‖₁

with ISTA or FISTA. The DCT is applied with :mod:`scipy.fft` (never as a
4096 x 4096 matrix). Exact recovery of sparse vectors (the phase transition)
uses basis pursuit, min ‖x‖₁ subject to Ax = y, solved as a linear programme
with :func:`scipy.optimize.linprog`.

Every function checks its input with :mod:`helpers.validate`: a wrong type,
shape, NaN, a boolean where a number is meant, an unknown ensemble or method,
or a Lipschitz constant far below ‖A‖₂² (ISTA would diverge) raises a
``ValueError``/``TypeError`` that names the argument.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import fft, optimize, stats

from . import validate
from .svd import positive_int, rank_for_energy

__all__ = [
    "REPORT_ERRORS",
    "chapter_images",
    "energy_coefficients",
    "iterations_to_reach",
    "error_sweep",
    "error_table",
    "format_error_table",
    "crossing_rho",
    "jl_sweep",
    "dct2",
    "idct2",
    "measurement_matrix",
    "DCTSensing",
    "soft_threshold",
    "ista",
    "fista",
    "SolverResult",
    "min_norm",
    "reconstruct",
    "mse_mae",
    "basis_pursuit",
    "recovery_probability",
    "recovery_grid",
    "statistical_dimension_l1",
    "donoho_tanner_rho",
    "pairwise_distortion",
    "mutual_coherence",
    "jl_epsilon",
]

ENSEMBLES = ("gaussian", "bernoulli")


def _finite(a, name: str, ndim=None) -> np.ndarray:
    """A non-empty, finite, real float64 array (``validate.array`` with the chapter's wording)."""
    return validate.array(a, name, ndim=ndim)


def _ensemble(ensemble) -> str:
    return validate.choice(ensemble, "ensemble", ENSEMBLES)


def _counts(values, name: str, one: str) -> list[int]:
    """A non-empty list of positive integers, each ``one`` (e.g. "number of measurements M")."""
    if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a list of positive integers (each a {one}), got {validate.describe(values)}.")
    values = list(values)
    if not values:
        raise ValueError(f"{name} is empty: give at least one {one}.")
    return [validate.positive_int(v, f"each entry of {name} (a {one})") for v in values]


def _image(image, name: str = "image") -> np.ndarray:
    image = _finite(image, name)
    if image.ndim != 2:
        raise ValueError(f"{name} must be 2-D (a grayscale image), got shape {image.shape}.")
    return image


def _number_or_nan(value, name: str) -> float:
    """A real number, where NaN stands for "no value" (a table's empty cell)."""
    if isinstance(value, (float, np.floating)) and np.isnan(value):
        return float(value)
    return validate.real(value, name, finite=False)


def _reals(value, name: str) -> np.ndarray:
    """A number or an array of numbers, refusing booleans, strings, complex values and NaN."""
    arr = validate.array(value, name, dtype=None)
    if arr.dtype.kind == "b":
        raise TypeError(f"{name} must be a number or an array of numbers, got {validate.describe(value)}.")
    return arr.astype(np.float64)


def dct2(x) -> np.ndarray:
    """Orthonormal 2-D DCT-II (``scipy.fft.dctn`` with ``norm="ortho"``) of an image."""
    return fft.dctn(_finite(x, "x", ndim=2), norm="ortho")


def idct2(c) -> np.ndarray:
    """Inverse of :func:`dct2`."""
    return fft.idctn(_finite(c, "c", ndim=2), norm="ortho")


def measurement_matrix(m: int, n: int, ensemble: str = "gaussian", seed: int = 0) -> np.ndarray:
    """A random M x N sensing matrix with columns of expected unit norm.

    ``"gaussian"``: i.i.d. N(0, 1/M) entries; ``"bernoulli"``: ±1/√M with equal
    probability.

    Raises
    ------
    ValueError
        If M or N is not positive, or the ensemble is unknown.
    """
    m, n = positive_int(m, "number of measurements M"), positive_int(n, "signal length N")
    ensemble = _ensemble(ensemble)
    rng = np.random.default_rng(validate.seed(seed))
    if ensemble == "gaussian":
        return rng.standard_normal((m, n)) / np.sqrt(m)
    return rng.choice([-1.0, 1.0], size=(m, n)) / np.sqrt(m)


@dataclass
class DCTSensing:
    """The operator c ↦ Φ Ψ c for images of ``shape``, with Ψ the inverse 2-D DCT.

    ``forward`` takes DCT coefficients (an array of ``shape``) to M
    measurements; ``adjoint`` maps back. Ψ is orthonormal, so the Lipschitz
    constant of the LASSO gradient is ‖Φ‖₂².
    """

    phi: np.ndarray
    shape: tuple

    def __post_init__(self):
        self.phi = _finite(self.phi, "Φ (phi)", ndim=2)
        self.shape = validate.shape(self.shape, "shape", length=2, what="image shape (n1, n2)")
        n = int(np.prod(self.shape))
        if self.phi.shape[1] != n:
            raise ValueError(
                f"Φ has {self.phi.shape[1]} columns but images of shape {tuple(self.shape)} have "
                f"{n} pixels; build Φ with N = {n}."
            )

    def forward(self, c: np.ndarray) -> np.ndarray:
        """Φ Ψ c: the M measurements of the image with DCT coefficients ``c`` (an array of ``shape``)."""
        c = _finite(c, "coefficients c")
        if c.shape != self.shape:
            raise ValueError(f"coefficients c must have the image shape {self.shape}, got {c.shape}.")
        return self.phi @ fft.idctn(c, norm="ortho").ravel()

    def adjoint(self, r: np.ndarray) -> np.ndarray:
        """Ψᵀ Φᵀ r: DCT coefficients (an array of ``shape``) from M residuals ``r``."""
        r = _finite(r, "residual r", ndim=1)
        if r.size != self.phi.shape[0]:
            raise ValueError(f"residual r must have one entry per measurement ({self.phi.shape[0]}), got {r.size}.")
        return fft.dctn((self.phi.T @ r).reshape(self.shape), norm="ortho")

    def lipschitz(self) -> float:
        return float(np.linalg.norm(self.phi, 2) ** 2)


def soft_threshold(x: np.ndarray, t: float) -> np.ndarray:
    """The proximal operator of t‖·‖₁: shrink every entry towards zero by t (a threshold t >= 0)."""
    x = _finite(x, "x")
    t = validate.real(t, "threshold t", low=0)
    return _shrink(x, t)


def _shrink(x: np.ndarray, t: float) -> np.ndarray:
    return np.sign(x) * np.maximum(np.abs(x) - t, 0.0)


@dataclass
class SolverResult:
    """Solution and per-iteration objective of ISTA/FISTA."""

    x: np.ndarray
    objective: list = field(default_factory=list)

    def __post_init__(self):
        self.x = validate.array(self.x, "x", finite=False)
        if isinstance(self.objective, (str, bytes, dict)) or not hasattr(self.objective, "__iter__"):
            raise TypeError(f"objective must be a list of numbers, got {validate.describe(self.objective)}.")
        self.objective = [validate.real(v, "each objective value", finite=False) for v in self.objective]

    @property
    def iterations(self) -> int:
        return len(self.objective)


def _prox_grad(
    forward: Callable,
    adjoint: Callable,
    y,
    lam: float,
    lipschitz: float,
    iters: int,
    x0,
    accelerate: bool,
    record: bool,
    check_lipschitz: bool = True,
) -> SolverResult:
    forward = validate.function(forward, "forward", "x -> A x")
    adjoint = validate.function(adjoint, "adjoint", "r -> Aᵀ r")
    y = _finite(y, "measurements y", ndim=1)
    lam = validate.real(lam, "λ (lam)", low=0)
    lipschitz = validate.real(lipschitz, "the Lipschitz constant lipschitz", low=0, low_open=True)
    iters = positive_int(iters, "number of iterations")
    record = validate.boolean(record, "record")
    aty = _finite(adjoint(y), "the output of adjoint(y)")
    if x0 is None:
        x = np.zeros_like(aty)
    else:
        x = _finite(x0, "x0").copy()
        if x.shape != aty.shape:
            raise ValueError(f"x0 must have the shape of adjoint(y), {aty.shape}, got {x.shape}.")
    ax = _finite(forward(x), "the output of forward(x)")
    if ax.shape != y.shape:
        raise ValueError(f"forward(x) returned shape {ax.shape} but y has shape {y.shape}; A x must be like y.")
    if check_lipschitz:
        _check_lipschitz(forward, adjoint, aty.shape, lipschitz)
    z, t = x.copy(), 1.0
    step = 1.0 / lipschitz
    obj = []
    for _ in range(iters):
        point = z if accelerate else x
        grad = adjoint(forward(point) - y)
        x_new = _shrink(point - step * grad, lam * step)
        if not np.all(np.isfinite(x_new)):
            raise ValueError(
                f"the iterations diverged (NaN or infinite values); lipschitz = {lipschitz:g} must be at "
                "least ‖A‖₂², the largest squared singular value of A."
            )
        if accelerate:
            t_new = (1 + np.sqrt(1 + 4 * t * t)) / 2
            z = x_new + ((t - 1) / t_new) * (x_new - x)
            t = t_new
        x = x_new
        if record:  # costs one more application of A per iteration
            r = forward(x) - y
            obj.append(0.5 * float(r @ r) + lam * float(np.abs(x).sum()))
    return SolverResult(x=x, objective=obj)


def _check_lipschitz(forward: Callable, adjoint: Callable, shape: tuple, lipschitz: float, steps: int = 12) -> None:
    """Refuse a ``lipschitz`` below half of ‖A‖₂² (estimated from below by power iteration): ISTA would diverge."""
    v = np.random.default_rng(0).standard_normal(shape)
    estimate = 0.0
    for _ in range(steps):
        norm = float(np.linalg.norm(v))
        if norm == 0 or not np.isfinite(norm):
            return
        v = v / norm
        av = np.asarray(forward(v), dtype=float)
        estimate = float(av.ravel() @ av.ravel())  # Rayleigh quotient: a lower bound on ‖A‖₂²
        v = np.asarray(adjoint(av), dtype=float)
    if lipschitz < 0.5 * estimate:
        raise ValueError(
            f"the Lipschitz constant lipschitz = {lipschitz:g} is below half of ‖A‖₂² (at least {estimate:.4g}); "
            "the iterations would diverge. Pass ‖A‖₂², e.g. np.linalg.norm(A, 2) ** 2 or DCTSensing.lipschitz()."
        )


def ista(
    forward, adjoint, y, lam: float, lipschitz: float, iters: int = 500, x0=None, record: bool = True
) -> SolverResult:
    """ISTA (proximal gradient) for ½‖Ax − y‖² + λ‖x‖₁; objective error O(1/k).

    ``forward``/``adjoint`` apply A and Aᵀ; ``lipschitz`` is ‖A‖₂². With
    ``record`` the objective is stored after every iteration.
    """
    return _prox_grad(forward, adjoint, y, lam, lipschitz, iters, x0, False, record)


def fista(
    forward, adjoint, y, lam: float, lipschitz: float, iters: int = 500, x0=None, record: bool = True
) -> SolverResult:
    """FISTA (Beck & Teboulle 2009): ISTA with momentum; objective error O(1/k²)."""
    return _prox_grad(forward, adjoint, y, lam, lipschitz, iters, x0, True, record)


def min_norm(phi: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The minimum-norm solution of Φx = y (``numpy.linalg.lstsq``): the naive baseline."""
    phi, y = _finite(phi, "Φ (phi)", ndim=2), _finite(y, "measurements y", ndim=1)
    if phi.shape[0] != y.shape[0]:
        raise ValueError(f"Φ {phi.shape} and y {y.shape} do not match: Φ must be M x N and y of length M.")
    return np.linalg.lstsq(phi, y, rcond=None)[0]


def mse_mae(x: np.ndarray, x_hat: np.ndarray) -> tuple[float, float]:
    """Mean squared and mean absolute error."""
    x, x_hat = _finite(x, "x"), _finite(x_hat, "x_hat")
    if x.shape != x_hat.shape:
        raise ValueError(f"the shapes of x {x.shape} and x_hat {x_hat.shape} differ.")
    d = x - x_hat
    return float(np.mean(d**2)), float(np.mean(np.abs(d)))


def reconstruct(
    image: np.ndarray,
    m: int,
    *,
    ensemble: str = "gaussian",
    seed: int = 0,
    lam_rel: float = 1e-3,
    iters: int = 1000,
    method: str = "fista",
    record: bool = False,
    phi: np.ndarray | None = None,
) -> dict:
    """Measure ``image`` with M random projections and recover it.

    Parameters
    ----------
    image : (n1, n2) array
    m : int
        Number of measurements, 1 <= M <= N (more than N measurements of an
        N-pixel image would make the problem over-determined: no need for
        sparsity).
    ensemble : {"gaussian", "bernoulli"}
    lam_rel : float
        λ as a fraction of ‖AᵀY‖_∞ (the smallest λ for which c = 0 is optimal).
    method : {"fista", "ista", "min-norm"}
    phi : (M, N) array, optional
        A measurement matrix of your own (for instance rows of the DCT, as in
        the exercise on coherence); replaces ``ensemble`` and ``seed``.

    Returns
    -------
    dict
        ``x_hat`` (image), ``mse``, ``mae``, ``objective`` (per iteration when
        ``record``, else empty), ``phi``, ``y``.
    """
    image = _image(image)
    n = image.size
    m = positive_int(m, "number of measurements M")
    if m > n:
        raise ValueError(f"M = {m} measurements exceed the N = {n} pixels; use M <= {n}.")
    ensemble, seed = _ensemble(ensemble), validate.seed(seed)
    lam_rel = validate.real(lam_rel, "lam_rel (λ as a fraction of ‖Aᵀy‖∞)", low=0)
    iters = positive_int(iters, "number of iterations")
    method = validate.choice(method, "method", ("fista", "ista", "min-norm"))
    record = validate.boolean(record, "record")
    if phi is None:
        phi = measurement_matrix(m, n, ensemble, seed)
    else:
        phi = _finite(phi, "measurement matrix phi", ndim=2)
        if phi.shape != (m, n):
            raise ValueError(f"phi must have shape (M, N) = ({m}, {n}) for M = {m} and this image, got {phi.shape}.")
    y = phi @ image.ravel()
    if method == "min-norm":
        x_hat = min_norm(phi, y).reshape(image.shape)
        obj = []
    elif method in ("fista", "ista"):
        op = DCTSensing(phi, image.shape)
        lam = lam_rel * float(np.abs(op.adjoint(y)).max())
        # the exact ‖ΦΨ‖₂² from the SVD: no need for ista's power-iteration check
        res = _prox_grad(op.forward, op.adjoint, y, lam, op.lipschitz(), iters, None, method == "fista", record, False)
        x_hat, obj = idct2(res.x), res.objective
    mse, mae = mse_mae(image, x_hat)
    return {"x_hat": x_hat, "mse": mse, "mae": mae, "objective": obj, "phi": phi, "y": y}


# ----------------------------------------------------------- phase transition


def basis_pursuit(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """min ‖x‖₁ subject to A x = y, as the linear programme x = u − v, u, v >= 0."""
    a, y = _finite(a, "A (a)", ndim=2), _finite(y, "y", ndim=1)
    if a.shape[0] != y.shape[0]:
        raise ValueError(f"A {a.shape} and y {y.shape} do not match: A must be M x N and y of length M.")
    m, n = a.shape
    res = optimize.linprog(np.ones(2 * n), A_eq=np.hstack([a, -a]), b_eq=y, bounds=(0, None), method="highs")
    if res.status == 2:
        raise ValueError("A x = y has no solution: y is not in the range of A (check that A and y belong together).")
    if res.status != 0:
        raise RuntimeError(f"the linear programme failed: {res.message}")
    return res.x[:n] - res.x[n:]


def recovery_probability(n: int, m: int, k: int, trials: int, seed: int = 0, tol: float = 1e-4) -> float:
    """Fraction of ``trials`` in which basis pursuit recovers a random k-sparse x from M Gaussian measurements."""
    n, m, trials = positive_int(n, "signal length N (n)"), positive_int(m, "M"), positive_int(trials, "trials")
    if m > n:
        raise ValueError(f"M = {m} exceeds N = {n}; the phase transition is defined for M <= N.")
    k = validate.integer(k, f"sparsity k (between 0 and N = {n})", low=0, high=n)
    tol = validate.real(tol, "tolerance tol", low=0, low_open=True)
    rng = np.random.default_rng(validate.seed(seed))
    wins = 0
    for _ in range(trials):
        x = np.zeros(n)
        support = rng.choice(n, size=k, replace=False)
        x[support] = rng.standard_normal(k)
        a = rng.standard_normal((m, n))
        x_hat = basis_pursuit(a, a @ x)
        wins += np.linalg.norm(x_hat - x) <= tol * max(np.linalg.norm(x), 1e-12)
    return wins / trials


def _fractions(values, name: str) -> np.ndarray:
    """A non-empty 1-D list of fractions in (0, 1]."""
    v = validate.array(values, name, ndim=1, dtype=None)
    if v.dtype.kind == "b":
        raise TypeError(f"{name} must be a list of fractions in (0, 1], got booleans {v.tolist()}.")
    v = v.astype(np.float64)
    if not np.all((v > 0) & (v <= 1)):
        raise ValueError(f"{name} must be a non-empty 1-D list of fractions in (0, 1], got {v!r}.")
    return v


def _grid_column(args):
    n, m, ks, trials, seeds = args
    return [recovery_probability(n, m, k, trials, seed=s) for k, s in zip(ks, seeds)]


def recovery_grid(n: int, deltas, rhos, trials: int, seed: int = 0, workers: int | None = None) -> np.ndarray:
    """Recovery probabilities over a (δ = M/N, ρ = k/M) grid: the empirical phase transition.

    Entry ``[j, i]`` is :func:`recovery_probability` at M = round(δᵢ N) (at
    least 1) and k = round(ρⱼ M), with seed ``seed + 1000 i + j``, so the grid
    is the same whatever ``workers`` is. Each linear programme runs on one
    core, so the columns are shared out over ``workers`` processes (default:
    one per CPU core; ``1`` runs them here, one after the other).
    """
    n, trials = positive_int(n, "signal length N (n)"), positive_int(trials, "trials")
    seed = validate.seed(seed)
    deltas, rhos = _fractions(deltas, "deltas"), _fractions(rhos, "rhos")
    if workers is None:
        import os

        workers = os.cpu_count() or 1
    workers = min(positive_int(workers, "workers"), deltas.size)
    jobs = []
    for i, d in enumerate(deltas):
        m = max(1, int(round(d * n)))
        jobs.append((n, m, [int(round(r * m)) for r in rhos], trials, [seed + 1000 * i + j for j in range(rhos.size)]))
    if workers == 1:
        columns = [_grid_column(job) for job in jobs]
    else:
        import multiprocessing
        import sys
        from concurrent.futures import ProcessPoolExecutor

        # Linux: fork, which starts at once and also works from a script
        # without an `if __name__ == "__main__"` guard; the children run
        # NumPy and SciPy only, never the parent's PyTorch thread pools.
        # Elsewhere fork is unsafe or missing: spawn (a script then needs the guard).
        ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            columns = list(pool.map(_grid_column, jobs))
    return np.array(columns).T


def statistical_dimension_l1(eps: float) -> float:
    """Normalised statistical dimension of the ℓ1 descent cone at an εN-sparse vector.

    ψ(ε) = inf_{τ >= 0} ε(1 + τ²) + (1 − ε)·2[(1 + τ²)Q(τ) − τφ(τ)]
    (Amelunxen, Lotz, McCoy & Tropp 2014), with Q the Gaussian tail and φ
    its density. Basis pursuit succeeds with high probability when M/N > ψ(k/N).
    """
    eps = validate.real(eps, "sparsity fraction ε = k/N (eps)", low=0, high=1)
    if eps in (0.0, 1.0):
        return float(eps)

    def bound(tau):
        tail = 2 * ((1 + tau**2) * stats.norm.sf(tau) - tau * stats.norm.pdf(tau))
        return eps * (1 + tau**2) + (1 - eps) * tail

    res = optimize.minimize_scalar(bound, bounds=(0.0, 10.0), method="bounded", options={"xatol": 1e-12})
    return float(res.fun)


def donoho_tanner_rho(delta) -> np.ndarray:
    """The ℓ1 phase transition ρ(δ) = k/M at δ = M/N, computed from :func:`statistical_dimension_l1`."""
    deltas = np.atleast_1d(_reals(delta, "delta (δ = M/N)"))
    if np.any((deltas <= 0) | (deltas > 1)):
        got = f"{deltas[0]:g}" if deltas.size == 1 else f"values from {deltas.min():g} to {deltas.max():g}"
        raise ValueError(f"delta: δ = M/N must lie in (0, 1], got {got}.")
    out = []
    for d in deltas.ravel():
        if d >= 1:
            out.append(1.0)
            continue
        eps = optimize.brentq(lambda e, d=d: statistical_dimension_l1(e) - d, 1e-12, 1 - 1e-12, xtol=1e-13)
        out.append(eps / d)
    out = np.asarray(out).reshape(deltas.shape)
    return out if np.ndim(delta) else float(out[0])


# --------------------------------------------------------- Johnson–Lindenstrauss


def pairwise_distortion(x: np.ndarray, m: int, seed: int = 0, ensemble: str = "gaussian") -> np.ndarray:
    """Ratios ‖Rxᵢ − Rxⱼ‖ / ‖xᵢ − xⱼ‖ over all pairs, for a random M x D projection R.

    ``x`` is an (n, D) array of points; pairs at distance zero are skipped.
    """
    from scipy.spatial.distance import pdist

    x = _finite(x, "points x")
    if x.ndim != 2:
        raise ValueError(f"points x must be an (n, D) array, got shape {x.shape}.")
    if x.shape[0] < 2:
        raise ValueError(f"points x must hold at least two points (rows) to have a distance, got {x.shape[0]}.")
    m = positive_int(m, "projected dimension M (m)")
    r = measurement_matrix(m, x.shape[1], ensemble, seed)
    before, after = pdist(x), pdist(x @ r.T)
    keep = before > 0
    if not keep.any():
        raise ValueError("points x are all the same point: no pair has a distance to distort.")
    return after[keep] / before[keep]


def mutual_coherence(phi: np.ndarray, shape: tuple) -> float:
    """Mutual coherence μ(Φ, Ψ) = √N · max |⟨φᵢ/‖φᵢ‖, ψⱼ⟩| between measurement rows and the 2-D DCT basis.

    Introduced in the exercise on coherence of the chapter "Compressive
    sensing". ``phi`` is (M, N) with N = prod(shape); ψⱼ are the orthonormal
    DCT basis images (the columns of Ψ with x = Ψc, c = ``dct2(x)``), so
    ⟨φᵢ, ψⱼ⟩ is coefficient j of ``dct2(φᵢ)``. μ runs from 1 (every
    measurement sees every coefficient equally: incoherent) to √N (some
    measurement sees one coefficient only).
    """
    phi = _finite(phi, "measurement matrix phi", ndim=2)
    shape = validate.shape(shape, "shape", length=2, what="image shape (n1, n2)")
    n = int(np.prod(shape))
    if phi.shape[1] != n:
        raise ValueError(f"phi must be an (M, {n}) array for images of shape {tuple(shape)}, got {phi.shape}.")
    norms = np.linalg.norm(phi, axis=1)
    if np.any(norms == 0):
        raise ValueError("phi has an all-zero row; every measurement must see something.")
    inner = np.stack([dct2(row.reshape(shape)).ravel() for row in phi]) / norms[:, None]
    return float(np.sqrt(n) * np.abs(inner).max())


def jl_epsilon(n_samples: int, m: int) -> float:
    """The distortion ε that the Johnson–Lindenstrauss lemma guarantees for n points in M dimensions.

    Inverts :func:`sklearn.random_projection.johnson_lindenstrauss_min_dim`
    (M >= 4 ln n / (ε²/2 − ε³/3)); returns ``inf`` when M is too small for any ε < 1.
    """
    from sklearn.random_projection import johnson_lindenstrauss_min_dim

    n_samples, m = positive_int(n_samples, "n_samples"), positive_int(m, "M (m)")
    if n_samples < 2:
        raise ValueError(f"n_samples must be at least 2 (the lemma bounds distances between pairs), got {n_samples}.")
    if johnson_lindenstrauss_min_dim(n_samples, eps=0.999999) > m:
        return float("inf")
    if johnson_lindenstrauss_min_dim(n_samples, eps=1e-6) <= m:
        return 1e-6
    return float(optimize.brentq(lambda e: johnson_lindenstrauss_min_dim(n_samples, eps=e) - m, 1e-6, 0.999999))


# ------------------------------------------------- the chapter's experiments

#: Table 1 of the report (Dulewicz 2025): ``{image: {M: (MSE, MAE)}}`` of its
#: reconstructions from M random samples, quoted beside the book's own numbers
#: in the chapter "Compressive sensing" (section "Error against the number of samples").
REPORT_ERRORS = {
    "smooth": {
        50: (0.073211, 0.206209),
        100: (0.037500, 0.146185),
        200: (0.003654, 0.046571),
        300: (0.000423, 0.015975),
        400: (0.000141, 0.009167),
        500: (0.000070, 0.006400),
        600: (0.000050, 0.005382),
    },
    "textured": {
        50: (0.017756, 0.105444),
        100: (0.014255, 0.095968),
        200: (0.002000, 0.035190),
        300: (0.002278, 0.038092),
        400: (0.001605, 0.031892),
        500: (0.001512, 0.031116),
        600: (0.001401, 0.029822),
    },
}


def chapter_images(side: int = 64) -> dict:
    """The three test images of the chapter "Compressive sensing", ``side`` x ``side``, values in [0, 1].

    * ``"smooth"``: ½ + ¼ sin(2πu) cos(πv) + ⅕ exp(−[(u − 0.3)² + (v − 0.6)²]/0.05)
      on a grid of [0, 1]², rescaled to [0, 1];
    * ``"textured"``: the top-left 4·side x 4·side pixels of scikit-image's
      ``grass()`` photograph, downsampled with anti-aliasing;
    * ``"brick"``: the top-left side x side pixels of ``brick()``.

    Raises
    ------
    ValueError
        If ``side`` is not a positive integer of at most 128 (the bundled
        photographs are 512 pixels wide).
    """
    import skimage

    side = positive_int(side, "side")
    if side > 128:
        raise ValueError(f"side must be at most 128 (grass() is 512 pixels wide), got {side}.")
    u = np.linspace(0, 1, side)
    uu, vv = np.meshgrid(u, u)
    smooth = (
        0.5
        + 0.25 * np.sin(2 * np.pi * uu) * np.cos(np.pi * vv)
        + 0.2 * np.exp(-((uu - 0.3) ** 2 + (vv - 0.6) ** 2) / 0.05)
    )
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min())
    grass = skimage.util.img_as_float(skimage.data.grass())[: 4 * side, : 4 * side]
    textured = skimage.transform.resize(grass, (side, side), anti_aliasing=True)
    brick = skimage.util.img_as_float(skimage.data.brick())[:side, :side]
    return {"smooth": smooth, "textured": textured, "brick": brick}


def energy_coefficients(image: np.ndarray, fraction: float = 0.999) -> int:
    """How many of the largest 2-D DCT coefficients hold ``fraction`` of the image's energy.

    The chapter "Compressive sensing" uses it to say how compressible an image
    is: the fewer coefficients, the fewer measurements a reconstruction needs.
    """
    image = _image(image)
    fraction = validate.fraction(fraction, "fraction")
    magnitudes = np.sort(np.abs(dct2(image).ravel()))[::-1]
    if not magnitudes.any():
        raise ValueError("the image is all zeros: it has no energy to count.")
    return rank_for_energy(magnitudes, fraction)


def iterations_to_reach(gap, target: float) -> tuple[int, bool]:
    """The first iteration (1-based) whose objective gap is at most ``target``.

    Used by the chapter "Compressive sensing" to compare ISTA with FISTA.
    Returns ``(k, True)``, or ``(len(gap), False)`` when no iteration gets
    there (then ``k`` is a lower bound).
    """
    gap = validate.array(gap, "gap (one value per iteration)", ndim=1)
    target = validate.real(target, "target", low=0)
    hit = np.flatnonzero(gap <= target)
    return (int(hit[0]) + 1, True) if hit.size else (len(gap), False)


def error_sweep(images: dict, m_values, *, seed: int = 0, **options) -> dict:
    """Reconstruct every image from every number of measurements M.

    The experiment of the chapter "Compressive sensing" (section "Error
    against the number of samples"). Image ``name`` at M uses a fresh
    measurement matrix with seed ``seed + M`` (the same Φ for every image and
    method at that M). ``options`` go to :func:`reconstruct` (``method``,
    ``ensemble``, ``lam_rel``, ``iters``).

    Returns
    -------
    dict
        ``{(name, M): result of reconstruct}``.
    """
    if not isinstance(images, dict) or not images:
        raise TypeError(f"images must be a non-empty dict {{name: 2-D image}}, got {validate.describe(images)}.")
    images = {name: _image(img, f"images[{name!r}]") for name, img in images.items()}
    m_values = _counts(m_values, "m_values", "number of measurements M")
    seed = validate.seed(seed)
    if "phi" in options:
        raise TypeError("error_sweep chooses 'phi' for every M itself (seed + M); leave it out.")
    unknown = sorted(set(options) - {"method", "ensemble", "lam_rel", "iters", "record"})
    if unknown:
        raise TypeError(
            f"error_sweep got unknown option(s) {', '.join(unknown)}; "
            "it passes only method, ensemble, lam_rel, iters and record to reconstruct."
        )
    return {(name, m): reconstruct(img, m, seed=seed + m, **options) for name, img in images.items() for m in m_values}


def error_table(results: dict, baseline: dict, names, m_values, report: dict | None = None) -> list[dict]:
    """Rows comparing the ℓ1 reconstructions with the minimum-norm baseline and the report.

    For the chapter "Compressive sensing". ``results`` and ``baseline`` are
    :func:`error_sweep` outputs; ``report`` is :data:`REPORT_ERRORS` (NaN where
    it has no value). Each row: ``image``, ``M``, ``mse``, ``mae``,
    ``mse_report``, ``mae_report``, ``mse_min_norm`` and ``ratio`` (min-norm
    MSE over ℓ1 MSE: above 1 when ℓ1 wins).
    """
    report = REPORT_ERRORS if report is None else report
    for name, value in (("results", results), ("baseline", baseline), ("report", report)):
        if not isinstance(value, dict):
            raise TypeError(f"{name} must be a dict (the output of error_sweep), got {validate.describe(value)}.")
    if isinstance(names, (str, bytes)) or not hasattr(names, "__iter__"):
        raise TypeError(f"names must be a list of image names, got {validate.describe(names)}.")
    names = list(names)
    if not names:
        raise ValueError("names is empty: give at least one image name.")
    for name in names:
        try:
            hash(name)
        except TypeError:
            raise TypeError(f"each entry of names must be an image name (a key of images), got {name!r}.") from None
    m_values = _counts(m_values, "m_values", "number of measurements M")
    rows = []
    for name in names:
        for m in m_values:
            if (name, m) not in results or (name, m) not in baseline:
                raise ValueError(f"no reconstruction of {name!r} from M = {m}; run error_sweep over it first.")
            r, b = results[name, m], baseline[name, m]
            for which, entry in (("results", r), ("baseline", b)):
                if not isinstance(entry, dict) or not {"mse", "mae"} <= set(entry):
                    raise TypeError(
                        f"{which}[{name!r}, {m}] must be a result of reconstruct (a dict with 'mse' and 'mae'), "
                        f"got {validate.describe(entry)}."
                    )
            mse = validate.real(r["mse"], f"results[{name!r}, {m}]['mse']", low=0)
            mae = validate.real(r["mae"], f"results[{name!r}, {m}]['mae']", low=0)
            mse_base = validate.real(b["mse"], f"baseline[{name!r}, {m}]['mse']", low=0)
            entry = report.get(name, {})
            if not isinstance(entry, dict):
                raise TypeError(f"report[{name!r}] must be a dict {{M: (MSE, MAE)}}, got {validate.describe(entry)}.")
            rep = entry.get(m, (np.nan, np.nan))
            if isinstance(rep, (str, bytes)) or not hasattr(rep, "__len__") or len(rep) != 2:
                raise TypeError(f"report[{name!r}][{m}] must be a pair (MSE, MAE), got {validate.describe(rep)}.")
            rep = tuple(_number_or_nan(v, f"report[{name!r}][{m}]") for v in rep)
            if mse > 0:
                ratio = mse_base / mse
            else:
                ratio = float("inf") if mse_base > 0 else float("nan")
            rows.append(
                {
                    "image": name,
                    "M": m,
                    "mse": mse,
                    "mae": mae,
                    "mse_report": rep[0],
                    "mae_report": rep[1],
                    "mse_min_norm": mse_base,
                    "ratio": ratio,
                }
            )
    return rows


def format_error_table(rows: list[dict]) -> str:
    """The rows of :func:`error_table` as a fixed-width text table."""
    keys = ("image", "M", "mse", "mae", "mse_report", "mae_report", "mse_min_norm", "ratio")
    if isinstance(rows, (str, bytes, dict)) or not hasattr(rows, "__iter__"):
        raise TypeError(f"rows must be the list of dicts error_table returns, got {validate.describe(rows)}.")
    rows = list(rows)
    if not rows:
        raise ValueError("rows is empty: there is nothing to tabulate.")
    for i, r in enumerate(rows):
        if not isinstance(r, dict) or not set(keys) <= set(r):
            raise TypeError(
                f"rows[{i}] must be a row of error_table (a dict with keys {', '.join(keys)}), "
                f"got {validate.describe(r)}."
            )
        for key in keys[1:]:
            _number_or_nan(r[key], f"rows[{i}][{key!r}]")
    lines = [
        f"{'image':<9}{'M':>5} | {'MSE book':>10} {'MSE report':>11} | {'MAE book':>9} {'MAE report':>11}"
        f" | {'MSE min-norm':>12} {'min-norm/ℓ1':>11}"
    ]
    for r in rows:
        lines.append(
            f"{r['image']:<9}{r['M']:>5} | {r['mse']:>10.6f} {r['mse_report']:>11.6f} | "
            f"{r['mae']:>9.6f} {r['mae_report']:>11.6f} | {r['mse_min_norm']:>12.6f} {r['ratio']:>11.1f}"
        )
    return "\n".join(lines)


def crossing_rho(prob: np.ndarray, rhos, cell: float, level: float = 0.5) -> list[float]:
    """Where the empirical success rate of each δ column first falls below ``level``.

    For the phase transition of the chapter "Compressive sensing": ``prob``
    is :func:`recovery_grid`'s output (rows ρ, columns δ), ``rhos`` the cell
    centres and ``cell`` the cell height. The crossing is the lower edge of the
    first cell below ``level`` (1.0 if the column never falls below it).
    """
    prob = validate.array(prob, "prob")
    rhos = _fractions(rhos, "rhos")
    if prob.ndim != 2 or prob.shape[0] != rhos.size:
        raise ValueError(f"prob must be (len(rhos), number of δ) = ({rhos.size}, ...), got shape {prob.shape}.")
    if np.any((prob < 0) | (prob > 1)):
        raise ValueError("prob must hold success rates in [0, 1] (recovery_grid's output).")
    cell = validate.real(cell, "cell (the grid spacing in ρ)", low=0, low_open=True)
    level = validate.fraction(level, "level", zero=True)
    cross = []
    for i in range(prob.shape[1]):
        below = np.flatnonzero(prob[:, i] < level)
        cross.append(rhos[below[0]] - 0.5 * cell if below.size else 1.0)
    return cross


def jl_sweep(x: np.ndarray, m_values, seed: int = 0) -> dict:
    """Squared-distance distortion of random projections of ``x`` to each M, with the JL guarantee.

    The experiment of the chapter "Compressive sensing" (section
    "Johnson–Lindenstrauss"). For each M, the ratios
    ‖Rxᵢ − Rxⱼ‖²/‖xᵢ − xⱼ‖² over all pairs (:func:`pairwise_distortion`, seed
    ``seed``) give the worst and the 99th percentile of |ratio − 1|;
    ``bound`` is :func:`jl_epsilon` (``inf`` when M is too small).

    Returns
    -------
    dict of lists ``{"M", "worst", "q99", "bound"}``.
    """
    m_values = _counts(m_values, "m_values", "projected dimension M")
    x = _finite(x, "points x", ndim=2)
    seed = validate.seed(seed)
    out = {"M": m_values, "worst": [], "q99": [], "bound": []}
    for m in m_values:
        dev = np.abs(pairwise_distortion(x, m, seed=seed) ** 2 - 1)
        out["worst"].append(float(dev.max()))
        out["q99"].append(float(np.quantile(dev, 0.99)))
        out["bound"].append(jl_epsilon(len(x), m))
    return out
