"""The singular value decomposition and what it does to images.

Introduced in the chapter "SVD from scratch". Later chapters reuse
:func:`low_rank`, :func:`energy` and :func:`rank_for_energy` on the weight
matrices of trained networks.

All functions take NumPy arrays (or anything ``numpy.asarray`` accepts) and
check their input: a wrong rank, shape, NaN or negative noise level raises a
``ValueError`` that says what to change.
"""

from __future__ import annotations

import numpy as np

from . import validate

__all__ = [
    "svd_via_eig",
    "low_rank",
    "rank_one_terms",
    "eckart_young_error",
    "storage",
    "energy",
    "rank_for_energy",
    "stable_rank",
    "psnr",
    "add_noise",
    "gavish_donoho_lambda",
    "gavish_donoho_rank",
    "denoise",
    "denoising_study",
    "bundled_image",
    "truncation_sweep",
    "nearest_centroid_accuracies",
    "subspace_bases",
    "subspace_predict",
    "check_rank",
    "positive_int",
]


def _matrix(a, name: str = "A", allow_colour: bool = False) -> np.ndarray:
    arr = validate.array(a, name)
    ok = arr.ndim == 2 or (allow_colour and arr.ndim == 3 and arr.shape[2] in (3, 4))
    if not ok:
        want = "a 2-D matrix (or an H x W x 3 colour image)" if allow_colour else "a 2-D matrix"
        raise ValueError(f"{name} must be {want}; got an array of shape {arr.shape}.")
    return arr


def _singular_values(s, name: str = "s") -> np.ndarray:
    s = validate.array(s, name, ndim=1)
    if np.any(s < 0):
        raise ValueError(f"{name} must hold non-negative singular values; got a minimum of {s.min():g}.")
    return s


def check_rank(k, top: int, what: str) -> int:
    """``k`` as an ``int`` if it is a rank from 1 to ``top``; the book's one rank validator.

    Used by :func:`low_rank` here, by ``helpers.conv_svd.truncated_weight``
    and by the factorizations of ``helpers.lowrank``. ``what`` says where
    ``top`` comes from (e.g. "the full rank of this 8 x 9 weight matrix") and
    goes into the message.

    Raises
    ------
    TypeError
        If ``k`` is not an integer (``bool`` included).
    ValueError
        If ``k`` is outside 1 … ``top``.
    """
    top = validate.integer(top, "top (the largest rank allowed)", low=0)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"rank k must be an integer from 1 to {top} ({what}), not {validate.describe(k)}.")
    if not 1 <= k <= top:
        raise ValueError(f"rank k must be an integer from 1 to {top}, {what}; got {k}.")
    return int(k)


def positive_int(value, name: str) -> int:
    """``value`` as an ``int`` if it is an integer of at least 1; the book's one such validator.

    ``name`` says what the number is (e.g. "number of measurements M") and goes
    into the message. Used by ``helpers.cs``, ``helpers.double_descent`` and
    ``helpers.projections``.

    Raises
    ------
    TypeError
        If ``value`` is not an integer (``bool`` included).
    ValueError
        If ``value`` < 1.
    """
    return validate.positive_int(value, name)


def _rank(k, m: int, n: int) -> int:
    return check_rank(k, min(m, n), f"min(m, n) for a {m}x{n} matrix")


def _ranks(ks, top: int, what: str) -> list[int]:
    if isinstance(ks, (str, bytes)) or not hasattr(ks, "__iter__"):
        raise TypeError(f"ks must be a list of ranks, got {validate.describe(ks)}.")
    ks = list(np.asarray(ks, dtype=object).ravel()) if isinstance(ks, np.ndarray) else list(ks)
    if not ks:
        raise ValueError("ks is empty: give at least one rank.")
    return [check_rank(k, top, what) for k in ks]


def svd_via_eig(a) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The SVD the textbook way: from the eigendecomposition of AᵀA.

    Steps (each shown separately in the chapter): eigenvalues and eigenvectors
    of the symmetric matrix AᵀA, sorted in decreasing order; singular values
    σᵢ = √λᵢ; right singular vectors V = eigenvectors; left singular vectors
    uᵢ = A vᵢ / σᵢ for σᵢ > 0; U completed to an orthonormal basis of ℝᵐ with
    the left null space.

    This is the lesson, not a method to use: forming AᵀA squares the
    condition number, so singular values below about √(max(m, n)·eps)·σ₁
    cannot be resolved; they are returned as zero. Use ``numpy.linalg.svd``
    in practice.

    Returns
    -------
    U : (m, m), s : (min(m, n),), Vt : (n, n)
        Such that ``U[:, :r] @ diag(s) @ Vt[:r]`` reproduces ``a``.
    """
    a = _matrix(a)
    m, n = a.shape
    lam, v = np.linalg.eigh(a.T @ a)  # ascending, orthonormal columns
    order = np.argsort(lam)[::-1]
    lam, v = lam[order], v[:, order]
    r = min(m, n)
    s = np.sqrt(np.clip(lam[:r], 0.0, None))  # rounding can make tiny λ negative
    # λ = σ² carries an absolute rounding error of about eps·λ₁, so only the
    # σᵢ with λᵢ above that level give reliable uᵢ = A vᵢ / σᵢ; the rest are
    # treated as zero and their uᵢ come from the completion below.
    tol = max(m, n) * np.finfo(float).eps * (lam[0] if lam.size else 0.0)
    nonzero = int(np.sum(lam[:r] > tol))
    s[nonzero:] = 0.0  # unresolvable by this route: reported as zero
    u = np.zeros((m, m))
    u[:, :nonzero] = (a @ v[:, :nonzero]) / s[:nonzero]
    # Complete U: an orthonormal basis of the complement of span(u_1..u_p), the left null space.
    if nonzero < m:
        q, _ = np.linalg.qr(np.hstack([u[:, :nonzero], np.eye(m)]))
        u[:, nonzero:] = q[:, nonzero:m]
    return u, s, v.T


def low_rank(a, k: int) -> np.ndarray:
    """Best rank-``k`` approximation (Eckart–Young) of a matrix or of each channel of a colour image.

    Parameters
    ----------
    a : array, shape (m, n) or (m, n, c)
    k : int, 1 <= k <= min(m, n)
    """
    a = _matrix(a, allow_colour=True)
    if a.ndim == 3:
        return np.stack([low_rank(a[:, :, c], k) for c in range(a.shape[2])], axis=2)
    k = _rank(k, *a.shape)
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    return (u[:, :k] * s[:k]) @ vt[:k]


def rank_one_terms(a, k: int) -> np.ndarray:
    """The first ``k`` terms σᵢ uᵢ vᵢᵀ of the rank-one expansion, shape (k, m, n)."""
    a = _matrix(a)
    k = _rank(k, *a.shape)
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    return np.einsum("i,mi,in->imn", s[:k], u[:, :k], vt[:k])


def eckart_young_error(s, k: int) -> float:
    """‖A − A_k‖_F predicted from the singular values: √(Σ_{i>k} σᵢ²)."""
    s = _singular_values(s)
    if np.any(np.diff(s) > 0):
        raise ValueError("s must hold the singular values in decreasing order, as np.linalg.svd returns them.")
    k = validate.integer(k, "rank k", low=0, high=s.size)
    return float(np.sqrt(np.sum(s[k:] ** 2)))


def storage(m: int, n: int, k: int, channels: int = 1) -> dict:
    """Numbers kept by a rank-``k`` SVD of an m x n image against the full image.

    A rank-k factorisation keeps k(m + n + 1) numbers per channel (U_k, σ, V_k).
    """
    m, n = validate.positive_int(m, "m"), validate.positive_int(n, "n")
    channels = validate.positive_int(channels, "channels")
    k = _rank(k, m, n)
    kept = channels * k * (m + n + 1)
    full = channels * m * n
    return {"kept": kept, "full": full, "ratio": full / kept}


def energy(s) -> np.ndarray:
    """Cumulative energy Σ_{i<=k} σᵢ² / Σ σᵢ² for k = 1..len(s)."""
    s = _singular_values(s)
    total = np.sum(s**2)
    if total == 0:
        raise ValueError("all singular values are zero: the matrix has no energy to share out.")
    return np.cumsum(s**2) / total


def rank_for_energy(s, fraction: float) -> int:
    """Smallest k whose first k singular values hold at least ``fraction`` of the energy."""
    fraction = validate.fraction(fraction, "fraction (of the energy, e.g. 0.95)")
    cum = energy(s)
    # tiny tolerance so that fraction=1 is reached despite rounding in cumsum
    return int(min(np.searchsorted(cum, fraction - 1e-12) + 1, cum.size))


def stable_rank(s) -> float:
    """Stable rank ‖W‖_F² / ‖W‖_2² = Σ σᵢ² / σ₁² from the singular values ``s`` (any order).

    Introduced in the chapter "Every convolutional layer is an SVD" and used
    again in "Low-rank compression". It equals the rank when all non-zero
    singular values are equal and is never larger: it measures how much the
    largest singular value dominates.
    """
    energy(s)  # validates s: non-empty, finite, non-negative, not all zero
    s = _singular_values(s)
    return float(np.sum(s**2) / np.max(s) ** 2)


def psnr(clean, estimate, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB (scikit-image's definition)."""
    from skimage.metrics import peak_signal_noise_ratio

    clean, estimate = _matrix(clean, "clean", True), _matrix(estimate, "estimate", True)
    data_range = validate.real(data_range, "data_range", low=0, low_open=True)
    if clean.shape != estimate.shape:
        raise ValueError(f"clean {clean.shape} and estimate {estimate.shape} must have the same shape.")
    return float(peak_signal_noise_ratio(clean, estimate, data_range=data_range))


def add_noise(image, sigma: float, seed: int = 0) -> np.ndarray:
    """``image`` plus i.i.d. Gaussian noise of standard deviation ``sigma`` (not clipped)."""
    image = _matrix(image, "image", allow_colour=True)
    sigma = validate.real(sigma, "noise level sigma", low=0)
    seed = validate.integer(seed, "seed", low=0)
    rng = np.random.default_rng(seed)
    return image + sigma * rng.standard_normal(image.shape)


def gavish_donoho_lambda(beta: float) -> float:
    """λ*(β) of Gavish & Donoho (2014) for known noise level, with β = m/n <= 1.

    The optimal hard threshold for singular values of an m x n matrix with
    white noise of level σ is τ = λ*(β) √n σ.
    """
    beta = validate.fraction(beta, "aspect ratio beta = m/n")
    return float(np.sqrt(2 * (beta + 1) + 8 * beta / (beta + 1 + np.sqrt(beta**2 + 14 * beta + 1))))


def gavish_donoho_rank(s, shape: tuple, sigma: float) -> tuple[int, float]:
    """Number of singular values above the Gavish–Donoho threshold, and the threshold."""
    s = _singular_values(s)
    if not isinstance(shape, (tuple, list)) or len(shape) != 2:
        raise TypeError(f"shape must be the (m, n) pair of the matrix, got {validate.describe(shape)}.")
    m, n = sorted(validate.positive_int(d, "each entry of shape") for d in shape)
    sigma = validate.real(sigma, "noise level sigma", low=0)
    tau = gavish_donoho_lambda(m / n) * np.sqrt(n) * sigma
    return int(np.sum(s > tau)), float(tau)


def denoise(noisy, k: int) -> np.ndarray:
    """Truncate a noisy image to rank ``k`` (an alias of :func:`low_rank` named for the chapter)."""
    return low_rank(_matrix(noisy, "noisy", allow_colour=True), k)


def denoising_study(clean, sigma: float, *, energy_fraction: float = 0.9, seed: int = 0) -> dict:
    """Add noise to ``clean``, truncate at every rank, and compare three ways to pick the rank.

    The three choices: the *oracle* rank (best PSNR against the clean image,
    which a real denoiser cannot know), the rank holding ``energy_fraction``
    of the noisy image's energy, and the Gavish–Donoho hard threshold for a
    known noise level.

    Returns
    -------
    dict
        ``noisy``, ``s`` (singular values of the noisy image), ``ranks``
        (0..r), ``psnr`` (PSNR of the rank-k truncation for each rank; rank 0
        is the zero image), ``psnr_noisy``, ``k_oracle``, ``k_energy``,
        ``k_gd``, ``tau`` (the Gavish–Donoho threshold), and the three
        denoised images ``best``, ``energy_image``, ``gd_image``.
    """
    clean = _matrix(clean, "clean")
    energy_fraction = validate.fraction(energy_fraction, "energy_fraction")
    noisy = add_noise(clean, sigma, seed)
    u, s, vt = np.linalg.svd(noisy, full_matrices=False)
    r = s.size
    # Build the truncations incrementally: A_k = A_{k-1} + σ_k u_k v_kᵀ.
    approx = np.zeros_like(noisy)
    scores = [psnr(clean, approx)]
    for k in range(r):
        approx += s[k] * np.outer(u[:, k], vt[k])
        scores.append(psnr(clean, approx))
    scores = np.asarray(scores)
    k_oracle = int(np.argmax(scores))
    k_energy = rank_for_energy(s, energy_fraction)
    k_gd, tau = gavish_donoho_rank(s, noisy.shape, sigma)

    def trunc(k):
        return (u[:, :k] * s[:k]) @ vt[:k]

    return {
        "noisy": noisy,
        "s": s,
        "ranks": np.arange(r + 1),
        "psnr": scores,
        "psnr_noisy": psnr(clean, noisy),
        "k_oracle": k_oracle,
        "k_energy": k_energy,
        "k_gd": k_gd,
        "tau": tau,
        "best": trunc(k_oracle),
        "energy_image": trunc(k_energy),
        "gd_image": trunc(k_gd),
    }


def bundled_image(name: str, *, gray: bool, half: bool = False) -> np.ndarray:
    """One of scikit-image's bundled images (no network) as floats in [0, 1].

    Introduced in the chapter "SVD from scratch", which halves each side in
    quick mode (the same lessons at a quarter of the cost).

    Parameters
    ----------
    name : str
        A function of ``skimage.data``, e.g. ``"camera"`` or ``"astronaut"``.
    gray : bool
        Convert a colour image to one channel (a gray image stays as it is).
    half : bool
        Rescale each side by 0.5, with anti-aliasing.

    Returns
    -------
    array, (m, n) when gray, else (m, n) or (m, n, 3)
    """
    import skimage

    gray, half = validate.boolean(gray, "gray"), validate.boolean(half, "half")
    if not isinstance(name, str):
        raise TypeError(f"name must be the name of a scikit-image image, e.g. 'camera'; got {validate.describe(name)}.")
    if (
        name.startswith("_")
        or name in {"download_all", "lfw_subset"}
        or not callable(getattr(skimage.data, name, None))
    ):
        raise ValueError(f"{name!r} is not one of scikit-image's bundled images; try 'camera', 'coins' or 'astronaut'.")
    img = getattr(skimage.data, name)()
    if gray and img.ndim == 3:
        img = skimage.color.rgb2gray(img)
    img = skimage.util.img_as_float(img)
    if half:
        img = skimage.transform.rescale(img, 0.5, anti_aliasing=True, channel_axis=None if img.ndim == 2 else 2)
    return img


def truncation_sweep(image, ks, s=None) -> dict:
    """Truncate a gray image at each rank in ``ks``: measured and predicted error, PSNR, compression ratio.

    The sweep behind the compression figure of the chapter "SVD from
    scratch". The predicted error is Eckart–Young's √(Σ_{i>k} σᵢ²); both
    errors are relative to ‖A‖_F, and the PSNR is that of the truncation
    clipped to [0, 1].

    Parameters
    ----------
    image : array (m, n)
    ks : sequence of int
        Ranks, each between 1 and min(m, n).
    s : array, optional
        The singular values of ``image`` (computed when not given).

    Returns
    -------
    dict of arrays, one entry per rank
        ``ks``, ``rel_err``, ``predicted``, ``psnr``, ``ratio``.
    """
    image = _matrix(image, "image")
    ks = _ranks(ks, min(image.shape), f"min(m, n) for a {image.shape[0]}x{image.shape[1]} image")
    s = np.linalg.svd(image, compute_uv=False) if s is None else _singular_values(s)
    if s.shape != (min(image.shape),):
        raise ValueError(f"s must hold the {min(image.shape)} singular values of the image, got shape {s.shape}.")
    norm_f = np.linalg.norm(image)
    rel_err, predicted, psnrs, ratios = [], [], [], []
    for k in ks:
        approx = low_rank(image, k)
        rel_err.append(np.linalg.norm(image - approx) / norm_f)
        predicted.append(eckart_young_error(s, k) / norm_f)
        psnrs.append(psnr(image, np.clip(approx, 0, 1)))
        ratios.append(storage(*image.shape, k)["ratio"])
    return {
        "ks": np.array(ks),
        "rel_err": np.array(rel_err),
        "predicted": np.array(predicted),
        "psnr": np.array(psnrs),
        "ratio": np.array(ratios),
    }


def nearest_centroid_accuracies(train_x, train_y, test_x, test_y, ks) -> list[float]:
    """Test accuracy of a nearest-centroid classifier on the first ``k`` columns, for each ``k`` in ``ks``.

    Introduced in the chapter "SVD from scratch", where the columns are the
    singular coordinates ``(x - mean) @ Vt.T`` of MNIST digits (or the raw
    pixels, with ``k`` = all of them).

    Parameters
    ----------
    train_x, test_x : arrays (N, d), (N_test, d)
    train_y, test_y : arrays (N,), (N_test,) of labels
    ks : sequence of int, each between 1 and d
    """
    import warnings

    from sklearn.neighbors import NearestCentroid

    train_x, test_x = validate.array(train_x, "train_x"), validate.array(test_x, "test_x")
    train_y = validate.array(train_y, "train_y", dtype=None)
    test_y = validate.array(test_y, "test_y", dtype=None)
    if train_x.ndim != 2 or test_x.ndim != 2 or train_x.shape[1] != test_x.shape[1]:
        raise ValueError(
            f"train_x and test_x must be 2-D with the same number of columns; got {train_x.shape} and {test_x.shape}."
        )
    if train_y.shape != (len(train_x),) or test_y.shape != (len(test_x),):
        raise ValueError("train_y and test_y must hold one label per row of train_x and test_x.")
    d = train_x.shape[1]
    ks = _ranks(ks, d, f"the {d} columns of train_x")
    acc = []
    with warnings.catch_warnings():
        # constant columns (MNIST's corner pixels are 0 in every image) make
        # scikit-learn warn about their zero spread, harmless for nearest centroid
        warnings.filterwarnings("ignore", message=".*within_class_std_dev_.*")
        for k in ks:
            clf = NearestCentroid().fit(train_x[:, :k], train_y)
            acc.append(float((clf.predict(test_x[:, :k]) == test_y).mean()))
    return acc


def subspace_bases(images, labels, k_max: int) -> np.ndarray:
    """One orthonormal basis per class: the first ``k_max`` left singular vectors of its images.

    The classical SVD classifier (Eldén, *Matrix Methods in Data Mining and
    Pattern Recognition*, ch. 10). Introduced in the chapter "SVD from
    scratch".

    Parameters
    ----------
    images : array (N, d)
        One flattened image per row (not centred).
    labels : array (N,)
        Integer classes 0 … C − 1; every class needs at least ``k_max`` images.
    k_max : int
        The largest subspace dimension a prediction will use (at most d).

    Returns
    -------
    array (C, d, k_max)
        ``bases[c]`` has orthonormal columns spanning the dominant directions of class c.
    """
    images = validate.array(images, "images", ndim=2)
    labels = validate.labels(labels, "labels", n=len(images))
    k_max = validate.integer(k_max, "k_max (the largest subspace dimension)", low=1, high=images.shape[1])
    classes = int(labels.max()) + 1
    counts = np.bincount(labels, minlength=classes)
    if counts.min() < k_max:
        c = int(counts.argmin())
        raise ValueError(f"class {c} has {counts[c]} images, fewer than k_max = {k_max}; lower k_max or add images.")
    bases = np.empty((classes, images.shape[1], k_max))
    for c in range(classes):
        u, _, _ = np.linalg.svd(images[labels == c].T, full_matrices=False)
        bases[c] = u[:, :k_max]
    return bases


def subspace_predict(bases, images, ks) -> np.ndarray:
    """The class whose subspace is nearest, for each image and each dimension k in ``ks``.

    The residual of x to the span of a class's first k basis vectors U_k is
    ‖x − U_k U_kᵀ x‖, and since U_k has orthonormal columns its square is
    ‖x‖² − Σ_{i≤k} (u_iᵀ x)²: one matrix product gives every k at once.

    Returns
    -------
    array (len(ks), N) of int
        ``predictions[j, i]``: the predicted class of image i with k = ks[j].
    """
    bases = validate.array(bases, "bases", ndim=3)
    images = validate.array(images, "images", ndim=2)
    if images.shape[1] != bases.shape[1]:
        raise ValueError(f"images have {images.shape[1]} pixels but the bases have {bases.shape[1]} rows.")
    ks = _ranks(ks, bases.shape[2], f"the {bases.shape[2]} basis vectors per class")
    coef2 = (images @ bases) ** 2  # (classes, N, k_max): every u_iᵀx at once
    norms2 = np.einsum("nd,nd->n", images, images)
    predictions = []
    for k in ks:
        residual2 = norms2[None, :] - coef2[:, :, :k].sum(axis=2)  # (classes, N)
        predictions.append(residual2.argmin(axis=0))
    return np.asarray(predictions)
