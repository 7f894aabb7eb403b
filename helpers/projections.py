"""Linear maps from images to M-dimensional vectors: random and learned (PCA).

Introduced in the chapter "CNNs against random projections". A
:class:`Projection` is an affine map ``x ↦ ((x − centre) Rᵀ) / scale`` from
flattened images (D pixels) to M features, applied in one matrix product:

* :func:`random_projection` draws R with i.i.d. N(0, 1/M) entries (the
  ensemble of the compressive-sensing chapter, :func:`helpers.cs.measurement_matrix`),
  which preserves pairwise distances up to the Johnson–Lindenstrauss
  distortion. Its ``scale`` is the data-independent constant √(D/M), so that
  a normalised image (about unit variance per pixel) gives features of about
  unit variance, which suits the MLP that reads them. The constant changes no
  distance ratio.
* :func:`pca_projection` takes R to be the top-M right singular vectors of the
  centred training data (the principal axes), optionally whitened by the
  singular values: the learned projection that the SVD chapters predict is the
  best M-dimensional linear summary in squared error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .cs import measurement_matrix
from .data import ImageData

__all__ = ["Projection", "random_projection", "pca_projection", "project"]


def _check_dims(m, d) -> tuple[int, int]:
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
        raise ValueError(f"the input dimension D must be a positive integer, got {d!r}.")
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"the projected dimension M must be a positive integer, got {m!r}.")
    if m > d:
        raise ValueError(
            f"M={m} is larger than the {d} pixels of an image: a projection is meant to reduce the "
            f"dimension; use M <= {d}."
        )
    return int(m), int(d)


def _flat(x, what: str = "images") -> torch.Tensor:
    if isinstance(x, ImageData):
        x = x.images
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{what} must be an ImageData, a tensor or an array, not {type(x).__name__}.")
    if x.dim() < 2:
        raise ValueError(f"{what} must have a leading batch dimension, got shape {tuple(x.shape)}.")
    x = x.reshape(x.shape[0], -1)
    if not torch.isfinite(x).all():
        raise ValueError(f"{what} contain NaN or infinite values.")
    return x


@dataclass
class Projection:
    """The affine map ``x ↦ ((x − centre) Rᵀ) / scale`` from D pixels to M features.

    Attributes
    ----------
    matrix : torch.Tensor
        R, shape (M, D), float32.
    centre : torch.Tensor or None
        Subtracted from every flattened image first (PCA), shape (D,).
    scale : torch.Tensor
        Divides each feature, shape (M,).
    kind : str
        ``"random"`` or ``"pca"``.
    seed : int or None
        The seed a random projection was drawn with.
    """

    matrix: torch.Tensor
    centre: torch.Tensor | None
    scale: torch.Tensor
    kind: str
    seed: int | None = None

    @property
    def m(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def d(self) -> int:
        return int(self.matrix.shape[1])

    def __call__(self, images, batch_size: int = 8192) -> torch.Tensor:
        """Project images (N, C, H, W) or vectors (N, D) to an (N, M) float32 tensor."""
        x = _flat(images)
        if x.shape[1] != self.d:
            raise ValueError(
                f"this projection expects {self.d} pixels per image, got {x.shape[1]}; build it with D={x.shape[1]}."
            )
        r = self.matrix.to(x.device)
        out = []
        for i in range(0, x.shape[0], batch_size):
            xb = x[i : i + batch_size].float()
            if self.centre is not None:
                xb = xb - self.centre.to(x.device)
            out.append(xb @ r.T)
        return torch.cat(out) / self.scale.to(x.device)

    def top(self, m: int) -> Projection:
        """The projection onto the first ``m`` of its directions (for PCA: the top ``m`` principal axes)."""
        if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or not 1 <= m <= self.m:
            raise ValueError(f"m must be an integer from 1 to {self.m}, got {m!r}.")
        return Projection(
            matrix=self.matrix[:m].clone(),
            centre=self.centre,
            scale=self.scale[:m].clone(),
            kind=self.kind,
            seed=self.seed,
        )

    def __repr__(self) -> str:
        seed = f", seed={self.seed}" if self.seed is not None else ""
        return f"Projection({self.kind}, D={self.d} -> M={self.m}{seed})"


def random_projection(m: int, d: int, *, seed: int = 0, ensemble: str = "gaussian") -> Projection:
    """A random M x D projection with N(0, 1/M) entries (or ±1/√M, ``ensemble="bernoulli"``).

    The same ``seed`` gives the same matrix on every machine (NumPy's PCG64).
    Features are divided by the constant √(D/M); see the module docstring.

    Raises
    ------
    ValueError
        If M or D is not a positive integer, or M > D.
    """
    m, d = _check_dims(m, d)
    r = torch.from_numpy(measurement_matrix(m, d, ensemble, seed)).float()
    scale = torch.full((m,), float(np.sqrt(d / m)))
    return Projection(matrix=r, centre=None, scale=scale, kind="random", seed=int(seed))


def pca_projection(train, m: int, *, whiten: bool = True) -> tuple[Projection, np.ndarray]:
    """Projection onto the top-M principal axes of ``train`` (images or vectors).

    Computed from the SVD of the centred (N, D) data matrix in float64:
    ``X − mean = U Σ Vᵀ``; R is the first M rows of Vᵀ. With ``whiten`` each
    feature is divided by σᵢ/√(N−1), its standard deviation on ``train``.

    Returns
    -------
    projection, explained
        ``explained[i]`` is the fraction of the training variance captured by
        the first ``i + 1`` axes (for every axis, not only the first M).

    Raises
    ------
    ValueError
        If M exceeds D or the rank bound min(N − 1, D) of the centred data.
    """
    x = _flat(train, "training data").double()
    n, d = x.shape
    m, d = _check_dims(m, d)
    if n < 2:
        raise ValueError(f"PCA needs at least 2 training examples, got {n}.")
    if m > min(n - 1, d):
        raise ValueError(
            f"M={m} principal axes need at least M+1 training examples; got {n}, so use M <= {min(n - 1, d)}."
        )
    centre = x.mean(0)
    _, s, vt = torch.linalg.svd(x - centre, full_matrices=False)
    energy = (s**2).numpy()
    explained = np.cumsum(energy) / energy.sum()
    if whiten:
        std = s[:m] / np.sqrt(n - 1)
        if (std <= 1e-12 * s[0]).any():
            raise ValueError(f"the training data have fewer than M={m} non-degenerate directions; lower M.")
        scale = std.float()
    else:
        scale = torch.ones(m)
    proj = Projection(matrix=vt[:m].float().contiguous(), centre=centre.float(), scale=scale, kind="pca")
    return proj, explained


def project(projection: Projection, data: ImageData) -> tuple[torch.Tensor, torch.Tensor]:
    """``(features, labels)`` of a dataset, ready for :func:`helpers.train.fit`."""
    if not isinstance(data, ImageData):
        raise TypeError(f"data must be an ImageData from helpers.data.load, not {type(data).__name__}.")
    return projection(data.images), data.labels
