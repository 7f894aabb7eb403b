"""Parametric models and convolutions as structured matrices.

Introduced in the chapter "Parametric models and convolutions as structured
matrices". The derivative checks (:func:`taylor_test`, :func:`adjoint_test`)
are reused wherever a chapter differentiates something by hand.

Conventions
-----------
* ``mat``/``vec`` are column-major (Fortran order), as in the lecture notes:
  ``K(θ) = mat(Qθ)`` with ``vec(K)[i + n*j] = K[i, j]``.
* A 1-D stencil ``θ`` has odd length 2k+1 and acts as a true convolution,
  ``z_i = Σ_{j=-k..k} θ[k+j] · y_{i-j}``; for k = 1 that is
  ``z_i = θ₁y_{i+1} + θ₂y_i + θ₃y_{i-1}`` in the lecture's 1-based notation.
  The 2-D stencil is the same along each axis.
* Deep-learning libraries compute *correlation*: ``torch.nn.functional.conv2d``
  with the stencil flipped in both axes gives our convolution.

Every function checks what it is given with :mod:`helpers.validate`: a stencil
of even size or larger than the signal or image, a shape that is not a pair of
positive integers, NaN, or a function (``taylor_test``, ``adjoint_test``) whose
output has the wrong shape raises a ``ValueError``/``TypeError`` naming the
argument, never a silently wrong (broadcast) answer.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from . import validate
from .svd import eckart_young_error

__all__ = [
    "mat",
    "vec",
    "ParametricModel",
    "diagonal_model",
    "antisymmetric_model",
    "mmatrix_model",
    "taylor_test",
    "adjoint_test",
    "conv1d_matrix",
    "circulant_first_column",
    "circulant_eigenvalues",
    "conv1d_fft",
    "conv1d_fft_transpose",
    "conv1d_jvp",
    "conv1d_vjp",
    "bccb_matrix",
    "bccb_first_column",
    "conv2d_fft",
    "conv2d_torch_circular",
    "multichannel_matrix",
    "multichannel_conv_fft",
    "best_separable",
    "eigenvalue_mismatch",
]


# ------------------------------------------------------------------ helpers


def _output(value, name: str) -> np.ndarray:
    """What a reader's function returned, as a finite real array."""
    return validate.array(value, f"the output of {name}")


def _stencil1d(theta, n: int | None = None, name: str = "the stencil theta") -> tuple[np.ndarray, int]:
    theta = validate.array(theta, name, ndim=1)
    if theta.size % 2 == 0:
        raise ValueError(
            f"{name} has even length {theta.size}; use an odd length 2k+1 so it has a centre "
            "(pad with a zero if needed)."
        )
    if n is not None and theta.size > n:
        raise ValueError(f"{name} (length {theta.size}) is longer than the signal (length {n}).")
    return theta, theta.size // 2


def _stencil2d(theta, shape: tuple | None = None, name: str = "the stencil theta", ndim=2) -> np.ndarray:
    """A 2-D stencil (``ndim=4``: a (C_out, C_in, kh, kw) bank of them) with odd sides that fits ``shape``."""
    theta = validate.array(theta, name, ndim=ndim)
    kh, kw = theta.shape[-2:]
    if kh % 2 == 0 or kw % 2 == 0:
        raise ValueError(f"{name} has {kh} x {kw} taps; both sides must be odd (2k+1) so it has a centre.")
    if shape is not None and (kh > shape[0] or kw > shape[1]):
        raise ValueError(
            f"{name} ({kh} x {kw}) is larger than the image {tuple(shape)}; use a smaller stencil or a larger image."
        )
    return theta


def mat(v, shape: tuple) -> np.ndarray:
    """Column-major reshape of a vector to a matrix of ``shape`` (rows, cols)."""
    v = validate.array(v, "v", ndim=1, finite=False, dtype=None)
    shape = validate.shape(shape, "shape", length=2, what="pair (rows, cols)")
    if v.size != shape[0] * shape[1]:
        raise ValueError(f"v has {v.size} entries but a {shape[0]} x {shape[1]} matrix needs {shape[0] * shape[1]}.")
    return np.reshape(v, shape, order="F")


def vec(a) -> np.ndarray:
    """Column-major flattening of a matrix."""
    a = validate.array(a, "a", ndim=2, finite=False, dtype=None)
    return np.reshape(a, -1, order="F")


# --------------------------------------------------------- parametric models


class ParametricModel:
    """A linear parametric model ``K(θ) = mat(Qθ)`` with a sparse Q.

    Parameters
    ----------
    q : scipy.sparse matrix, (rows*cols) x p
    shape : (rows, cols)
    nonnegative : bool
        The model is only defined for θ >= 0 (the M-matrix).
    name : str
    """

    def __init__(self, q, shape: tuple, nonnegative: bool = False, name: str = "model"):
        self.shape = validate.shape(shape, "shape", length=2, what="pair (rows, cols)")
        if sp.issparse(q):
            if q.dtype.kind not in "biuf":
                raise TypeError(f"Q must hold real numbers, got a sparse matrix of dtype {q.dtype}.")
            if q.ndim != 2:
                raise ValueError(f"Q must be a 2-D (sparse) matrix, got shape {q.shape}.")
            self.q = sp.csr_matrix(q, dtype=np.float64)
            if not np.all(np.isfinite(self.q.data)):
                raise ValueError("Q contains NaN or infinite values.")
        else:
            self.q = sp.csr_matrix(validate.array(q, "Q", ndim=2))
        rows, cols = self.shape
        if self.q.shape[0] != rows * cols:
            raise ValueError(
                f"Q has {self.q.shape[0]} rows but K is {rows} x {cols} = {rows * cols} entries; they must match."
            )
        self.nonnegative = validate.boolean(nonnegative, "nonnegative")
        if not isinstance(name, str):
            raise TypeError(f"name must be a string, got {validate.describe(name)}.")
        self.name = name

    @property
    def p(self) -> int:
        """Number of parameters."""
        return self.q.shape[1]

    def _theta(self, theta, name: str, check_sign: bool) -> np.ndarray:
        theta = validate.array(theta, name, ndim=1)
        if theta.size != self.p:
            raise ValueError(f"the {self.name} model has {self.p} parameters, got {name} of length {theta.size}.")
        if check_sign and self.nonnegative and np.any(theta < 0):
            raise ValueError(
                f"the {self.name} model requires θ >= 0 (entry {int(np.argmin(theta))} is "
                f"{theta.min():g}); project onto θ >= 0, e.g. np.maximum(θ, 0)."
            )
        return theta

    def K(self, theta) -> np.ndarray:
        """The matrix K(θ) = mat(Qθ)."""
        return mat(self.q @ self._theta(theta, "theta", True), self.shape)

    def jvp(self, v) -> np.ndarray:
        """J v = mat(Q v) (K is linear in θ, so J does not depend on θ; v may have any sign)."""
        return mat(self.q @ self._theta(v, "direction v", False), self.shape)

    def vjp(self, w) -> np.ndarray:
        """Jᵀ w = Qᵀ vec(w) for a matrix w of K's shape."""
        w = validate.array(w, "w", ndim=2)
        if w.shape != self.shape:
            raise ValueError(f"w must have K's shape {self.shape}, got {w.shape}.")
        return self.q.T @ vec(w)


def diagonal_model(n: int) -> ParametricModel:
    """K(θ) = diag(θ), θ ∈ ℝⁿ."""
    n = _size(n)
    rows = np.arange(n) * (n + 1)  # vec index of K[i, i]
    q = sp.coo_matrix((np.ones(n), (rows, np.arange(n))), shape=(n * n, n))
    return ParametricModel(q, (n, n), name="diagonal")


def antisymmetric_model(n: int) -> ParametricModel:
    """K(θ) = −K(θ)ᵀ with the n(n−1)/2 entries above the diagonal as θ (row by row)."""
    n = _size(n)
    rows, cols, vals = [], [], []
    t = 0
    for i in range(n):
        for j in range(i + 1, n):
            rows += [i + n * j, j + n * i]
            cols += [t, t]
            vals += [1.0, -1.0]
            t += 1
    q = sp.coo_matrix((vals, (rows, cols)), shape=(n * n, t))
    return ParametricModel(q, (n, n), name="antisymmetric")


def mmatrix_model(n: int) -> ParametricModel:
    """The M-matrix model: K_ij = −θ (i ≠ j, row by row), K_ii = Σ of the row's θ; θ >= 0.

    Every row sums to zero, like a discretised differential operator. For
    n = 3 this is the lecture's example, with its 9 x 6 matrix Q.
    """
    n = _size(n)
    rows, cols, vals = [], [], []
    t = 0
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            rows += [i + n * j, i + n * i]
            cols += [t, t]
            vals += [-1.0, 1.0]
            t += 1
    q = sp.coo_matrix((vals, (rows, cols)), shape=(n * n, t))
    return ParametricModel(q, (n, n), nonnegative=True, name="M-matrix")


def _size(n, name: str = "the matrix size n") -> int:
    return validate.positive_int(n, name)


# ----------------------------------------------------------- derivative checks


def taylor_test(f: Callable, jvp: Callable, x, v, hs=None) -> dict:
    """Taylor test of a Jacobian-vector product.

    For decreasing steps h, the zeroth-order error ‖f(x + hv) − f(x)‖ must fall
    like h and the first-order error ‖f(x + hv) − f(x) − h·J(x)v‖ like h²,
    unless the Jacobian is wrong. Returns the errors and their log-log slopes
    (fitted over the steps where the first-order error is above rounding).

    Parameters
    ----------
    f : callable, x -> array
    jvp : callable, (x, v) -> J(x) v
    x, v : arrays of the same shape
    hs : sequence of float, optional (default 2^-2 ... 2^-17)
    """
    validate.function(f, "f", "x -> array")
    validate.function(jvp, "jvp", "(x, v) -> J(x) v")
    x = validate.array(x, "x")
    v = validate.array(v, "direction v")
    if x.shape != v.shape:
        raise ValueError(f"x {x.shape} and direction v {v.shape} must have the same shape.")
    if not np.any(v):
        raise ValueError("direction v is all zeros; the Taylor test needs a direction to step along.")
    if hs is None:
        hs = 2.0 ** -np.arange(2, 18)
    else:
        hs = validate.array(hs, "step sizes hs", ndim=1)
        if hs.size < 3 or np.any(hs <= 0) or np.unique(hs).size < 3:
            raise ValueError(f"step sizes hs must be at least three different positive numbers, got {hs.tolist()}.")
    fx = _output(f(x), "f(x)")
    jv = _output(jvp(x, v), "jvp(x, v)")
    if jv.shape != fx.shape:
        raise ValueError(
            f"jvp(x, v) returned shape {jv.shape} but f(x) has shape {fx.shape}; J(x) v must have f's shape."
        )

    def step(h):
        fh = validate.array(f(x + h * v), "the output of f(x + h v)", finite=False)
        if fh.shape != fx.shape:
            raise ValueError(f"f(x + h v) returned shape {fh.shape} but f(x) has shape {fx.shape}.")
        return fh - fx

    diffs = [step(h) for h in hs]
    e0 = np.array([np.linalg.norm(d) for d in diffs])
    e1 = np.array([np.linalg.norm(d - h * jv) for d, h in zip(diffs, hs)])
    floor = 1e3 * np.finfo(float).eps * max(np.linalg.norm(fx), 1.0)

    def slope(e):
        keep = e > floor
        if keep.sum() < 2:
            return float("nan")
        return float(np.polyfit(np.log(hs[keep]), np.log(e[keep]), 1)[0])

    return {"h": hs, "e0": e0, "e1": e1, "slope0": slope(e0), "slope1": slope(e1)}


def adjoint_test(jvp: Callable, vjp: Callable, v, w) -> float:
    """Relative mismatch |⟨Jv, w⟩ − ⟨v, Jᵀw⟩| / max(|⟨Jv, w⟩|, |⟨v, Jᵀw⟩|).

    ``jvp(v)`` must return an array of ``w``'s shape and ``vjp(w)`` one of
    ``v``'s shape (otherwise the inner products would broadcast into nonsense).
    """
    validate.function(jvp, "jvp", "v -> J v")
    validate.function(vjp, "vjp", "w -> Jᵀ w")
    v = validate.array(v, "v")
    w = validate.array(w, "w")
    jv = _output(jvp(v), "jvp(v)")
    if jv.shape != w.shape:
        raise ValueError(f"jvp(v) returned shape {jv.shape} but w has shape {w.shape}; they must match.")
    jtw = _output(vjp(w), "vjp(w)")
    if jtw.shape != v.shape:
        raise ValueError(f"vjp(w) returned shape {jtw.shape} but v has shape {v.shape}; they must match.")
    a = float(np.sum(jv * w))
    b = float(np.sum(v * jtw))
    scale = max(abs(a), abs(b))
    return abs(a - b) / scale if scale > 0 else 0.0


# --------------------------------------------------------------- 1-D convolution


def conv1d_matrix(theta, n: int, bc: str = "periodic") -> sp.csr_matrix:
    """The n x n sparse matrix of convolution with ``theta``.

    ``bc="zero"`` gives a Toeplitz (banded) matrix, ``bc="periodic"`` a
    circulant one (the band wraps around the corners).
    """
    n = _size(n, "the signal length n")
    theta, k = _stencil1d(theta, n)
    bc = validate.choice(bc, "the boundary condition bc", ("zero", "periodic"))
    # z_i = Σ_j θ[k+j] y_{i-j}: entry (i, i-j) holds θ[k+j], i.e. diagonal offset -j.
    offsets = [-j for j in range(-k, k + 1)]
    values = [theta[k + j] for j in range(-k, k + 1)]
    K = sp.diags(values, offsets, shape=(n, n), format="lil")
    if bc == "periodic":
        for j in range(-k, k + 1):
            if j == 0:
                continue
            for i in range(n):
                col = i - j
                if col < 0 or col >= n:
                    K[i, col % n] = K[i, col % n] + theta[k + j]
    return K.tocsr()


def circulant_first_column(theta, n: int) -> np.ndarray:
    """First column of the periodic convolution matrix, built without the matrix.

    Place the stencil at the start of a length-n vector and shift it left by k
    (the lecture's ``circshift`` hint): c[i] = θ[k+i], c[n−j] = θ[k−j].
    """
    n = _size(n, "the signal length n")
    theta, k = _stencil1d(theta, n)
    c = np.zeros(n)
    c[: theta.size] = theta
    return np.roll(c, -k)


def circulant_eigenvalues(theta, n: int) -> np.ndarray:
    """Eigenvalues λ = F c of the periodic convolution matrix (c its first column), for any odd stencil."""
    return np.fft.fft(circulant_first_column(theta, n))


def _signals(y, name: str = "y") -> np.ndarray:
    y = validate.array(y, name)
    if y.ndim == 0:
        raise ValueError(f"{name} must be an array whose last axis is the signal, got a single number.")
    return y


def conv1d_fft(theta, y) -> np.ndarray:
    """K(θ) y with periodic boundaries as real(ifft(λ ⊙ fft(y))), along the last axis.

    ``y`` may hold many examples, shape (..., n): no loop over them.
    """
    y = _signals(y)
    lam = circulant_eigenvalues(theta, y.shape[-1])
    return np.real(np.fft.ifft(lam * np.fft.fft(y, axis=-1), axis=-1))


def conv1d_fft_transpose(theta, y) -> np.ndarray:
    """K(θ)ᵀ y = real(ifft(conj(λ) ⊙ fft(y))) (K is real, so Kᵀ = K*)."""
    y = _signals(y)
    lam = circulant_eigenvalues(theta, y.shape[-1])
    return np.real(np.fft.ifft(np.conj(lam) * np.fft.fft(y, axis=-1), axis=-1))


def conv1d_jvp(y, v) -> np.ndarray:
    """Derivative of z(θ) = K(θ) y in direction v: K(v) y (z is linear in θ)."""
    y = _signals(y)
    v, _ = _stencil1d(v, y.shape[-1], "the direction v")
    return conv1d_fft(v, y)


def conv1d_vjp(y, w, p: int) -> np.ndarray:
    """Jᵀ w for z(θ) = K(θ) y with a stencil of length p, summed over examples.

    (Jᵀw)[k+j] = Σ_examples Σ_i w_i y_{i−j}: a circular cross-correlation of w
    and y, computed with FFTs for all examples at once.
    """
    y, w = _signals(y), _signals(w, "w")
    if y.shape != w.shape:
        raise ValueError(f"y {y.shape} and w {w.shape} must have the same shape.")
    n = y.shape[-1]
    p = validate.positive_int(p, "the stencil length p")
    if p % 2 == 0 or p > n:
        raise ValueError(f"the stencil length p must be odd (2k+1) and at most the signal length {n}, got {p}.")
    k = p // 2
    corr = np.real(np.fft.ifft(np.fft.fft(w, axis=-1) * np.conj(np.fft.fft(y, axis=-1)), axis=-1))
    corr = corr.reshape(-1, n).sum(0)
    return np.array([corr[j % n] for j in range(-k, k + 1)])


# --------------------------------------------------------------- 2-D convolution


def bccb_first_column(theta, shape: tuple) -> np.ndarray:
    """The stencil placed in an image of ``shape`` and shifted so its centre is at (0, 0).

    Its 2-D FFT gives the eigenvalues of the block-circulant-with-circulant-
    blocks (BCCB) matrix; as a vector (row-major) it is that matrix's first column.
    """
    shape = validate.shape(shape, "the image shape", length=2, what="pair (rows, cols)")
    theta = _stencil2d(theta, shape)
    c = np.zeros(shape)
    c[: theta.shape[0], : theta.shape[1]] = theta
    return np.roll(c, (-(theta.shape[0] // 2), -(theta.shape[1] // 2)), axis=(0, 1))


def bccb_matrix(theta, shape: tuple) -> sp.csr_matrix:
    """The (H·W) x (H·W) BCCB matrix of periodic 2-D convolution (images flattened row-major)."""
    shape = validate.shape(shape, "the image shape", length=2, what="pair (rows, cols)")
    theta = _stencil2d(theta, shape)
    h, w = shape
    kh, kw = theta.shape[0] // 2, theta.shape[1] // 2
    K = sp.csr_matrix((h * w, h * w))
    for a in range(-kh, kh + 1):
        for b in range(-kw, kw + 1):
            t = theta[kh + a, kw + b]
            if t == 0:
                continue
            # z[i, j] += t · y[i−a, j−b]: shifts by a rows and b columns, periodic
            sr = sp.diags([1.0] * h, 0, shape=(h, h), format="csr")[np.r_[[(i - a) % h for i in range(h)]]]
            sc = sp.diags([1.0] * w, 0, shape=(w, w), format="csr")[np.r_[[(j - b) % w for j in range(w)]]]
            K = K + t * sp.kron(sr, sc, format="csr")
    return K.tocsr()


def conv2d_fft(theta, y) -> np.ndarray:
    """Periodic 2-D convolution through ``fft2``/``ifft2``, over the last two axes of ``y``."""
    y = validate.array(y, "y")
    if y.ndim < 2:
        raise ValueError(f"y must be an image (..., H, W), got shape {y.shape}.")
    lam = np.fft.fft2(bccb_first_column(theta, y.shape[-2:]))
    return np.real(np.fft.ifft2(lam * np.fft.fft2(y, axes=(-2, -1)), axes=(-2, -1)))


def conv2d_torch_circular(theta, y) -> np.ndarray:
    """The same convolution with ``torch.nn.functional.conv2d`` (float64, circular padding).

    ``theta`` is (kh, kw) for one channel or (C_out, C_in, kh, kw); ``y`` is
    (H, W) or (C_in, H, W). conv2d correlates, so the stencil is flipped.
    """
    import torch
    import torch.nn.functional as F

    yy = validate.array(y, "y", ndim=(2, 3))
    th = _stencil2d(theta, yy.shape[-2:], ndim=(2, 4))
    single = th.ndim == 2
    if single:
        th = th[None, None]
    if yy.ndim == 2:
        yy = yy[None]
    if th.shape[1] != yy.shape[0]:
        raise ValueError(
            f"channel mismatch: the stencil theta expects {th.shape[1]} input channels but y has {yy.shape[0]}."
        )
    kh, kw = th.shape[2] // 2, th.shape[3] // 2
    x = torch.from_numpy(yy)[None]
    x = F.pad(x, (kw, kw, kh, kh), mode="circular")
    out = F.conv2d(x, torch.from_numpy(np.ascontiguousarray(th[:, :, ::-1, ::-1]))).numpy()[0]
    return out[0] if single else out


def multichannel_matrix(theta, shape: tuple) -> sp.csr_matrix:
    """Block matrix of BCCB blocks for C_in -> C_out channels: block (o, i) convolves with theta[o, i]."""
    shape = validate.shape(shape, "the image shape", length=2, what="pair (rows, cols)")
    theta = _stencil2d(theta, shape, "the stencil bank theta", ndim=4)
    return sp.bmat(
        [[bccb_matrix(theta[o, i], shape) for i in range(theta.shape[1])] for o in range(theta.shape[0])], format="csr"
    )


def multichannel_conv_fft(theta, y) -> np.ndarray:
    """Multi-channel periodic convolution: out[o] = Σ_i theta[o, i] * y[i], by FFTs."""
    y = validate.array(y, "y (C_in, H, W)", ndim=3)
    theta = _stencil2d(theta, y.shape[1:], "the stencil bank theta", ndim=4)
    if theta.shape[1] != y.shape[0]:
        raise ValueError(
            f"channel mismatch: the stencil bank theta expects {theta.shape[1]} input channels but y has "
            f"{y.shape[0]}; transpose or select channels so they agree."
        )
    fy = np.fft.fft2(y)
    out = np.empty((theta.shape[0],) + y.shape[1:])
    for o in range(theta.shape[0]):
        acc = sum(np.fft.fft2(bccb_first_column(theta[o, i], y.shape[1:])) * fy[i] for i in range(y.shape[0]))
        out[o] = np.real(np.fft.ifft2(acc))
    return out


def best_separable(theta) -> tuple[np.ndarray, np.ndarray, float]:
    """The best separable (rank-one) approximation a·bᵀ of a 2-D stencil, by the SVD.

    Returns ``a``, ``b`` and the relative Frobenius error σ₂..‖/‖θ‖ (zero iff
    the stencil is separable).
    """
    theta = _stencil2d(theta)
    u, s, vt = np.linalg.svd(theta)
    a, b = u[:, 0] * np.sqrt(s[0]), vt[0] * np.sqrt(s[0])
    err = eckart_young_error(s, 1) / float(np.sqrt(np.sum(s**2))) if s[0] > 0 else 0.0
    return a, b, err


def eigenvalue_mismatch(dense, predicted) -> float:
    """Largest distance from an eigenvalue in ``dense`` to its nearest partner in ``predicted``.

    The chapter "Parametric models and convolutions as structured matrices"
    compares ``numpy.linalg.eigvals`` of a circulant (or BCCB) matrix with the
    FFT of its first column. ``eigvals`` returns eigenvalues in no particular
    order, so each one is matched to the nearest predicted value before the
    distances are compared.
    """
    dense = _eigenvalues(dense, "dense")
    predicted = _eigenvalues(predicted, "predicted")
    if dense.size != predicted.size:
        raise ValueError(
            f"give two equally long lists of eigenvalues: dense has {dense.size}, predicted has {predicted.size}."
        )
    return float(np.max(np.min(np.abs(dense[:, None] - predicted[None, :]), axis=1)))


def _eigenvalues(values, name: str) -> np.ndarray:
    """Eigenvalues as a flat complex array: real or complex numbers, non-empty and finite."""
    if isinstance(values, (str, bytes)) or values is None:
        raise TypeError(f"{name} must be an array of (complex) eigenvalues, got {validate.describe(values)}.")
    if hasattr(values, "detach"):  # a torch tensor
        values = values.detach().cpu().numpy()
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name} must be an array of (complex) eigenvalues, got {validate.describe(values)} ({err})."
        ) from None
    if arr.dtype.kind not in "iufc":
        raise TypeError(f"{name} must be an array of (complex) eigenvalues, got an array of dtype {arr.dtype}.")
    arr = arr.astype(np.complex128).ravel()
    if arr.size == 0:
        raise ValueError(f"{name} is empty; give at least one eigenvalue.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return arr
