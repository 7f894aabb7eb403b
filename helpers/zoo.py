"""Trained models shared between chapters: trained once, then loaded from the cache.

Introduced in the chapter "Training TinyConvNet". A later chapter asks for the
same model with the same settings and gets the cached checkpoint; if there is
none (a reader who skipped a chapter, a fresh machine) it is trained here.

Each entry has two :class:`Recipe` s, one per mode: its training settings (a
:class:`helpers.train.FitConfig`, whose unset fields keep ``fit``'s defaults)
and the size of its training set. The seed is always the chapter's
(``cfg.seed``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from . import validate
from .config import Config
from .data import load_splits
from .models import ReportCNN, TinyConvNet
from .train import FitConfig, train_or_load

__all__ = [
    "Recipe",
    "TINYCONVNET_FULL",
    "TINYCONVNET_QUICK",
    "tinyconvnet_recipe",
    "tinyconvnet_settings",
    "tinyconvnet_mnist",
    "REPORTCNN_FULL",
    "REPORTCNN_QUICK",
    "reportcnn_recipe",
    "reportcnn_fashion",
]


@dataclass(frozen=True)
class Recipe:
    """How a zoo model is trained: its training settings and the size of its training set.

    Parameters
    ----------
    fit : FitConfig
        The training settings (the seed is replaced by the chapter's).
    train_subset : int or None
        A stratified subset of the training split, or ``None`` for all of it.
    """

    fit: FitConfig
    train_subset: int | None = None

    def __post_init__(self):
        if not isinstance(self.fit, FitConfig):
            raise TypeError(
                f"fit must be a helpers.train.FitConfig (e.g. FitConfig(epochs=3)), got {validate.describe(self.fit)}."
            )
        if self.train_subset is not None:
            object.__setattr__(self, "train_subset", validate.positive_int(self.train_subset, "train_subset"))

    def with_overrides(self, what: str, **overrides) -> Recipe:
        """This recipe with some settings changed; ``None`` keeps a setting (except ``train_subset``).

        ``what`` names the model in the error for an unknown setting. The seed
        cannot be overridden: it is the chapter's ``cfg.seed``.
        """
        if not isinstance(what, str):
            raise TypeError(f"what must be the model's name as a string, got {validate.describe(what)}.")
        known = [*(f for f in FitConfig.settings() if f != "seed"), "train_subset"]
        unknown = set(overrides) - set(known)
        if unknown:
            raise TypeError(f"unknown {what} setting(s) {sorted(unknown)}; known: {sorted(known)}.")
        subset = overrides.pop("train_subset", self.train_subset)
        changes = {k: v for k, v in overrides.items() if v is not None}
        return Recipe(self.fit.replace(**changes), subset)

    def as_dict(self) -> dict:
        """Every setting in one flat dict (what the chapters print)."""
        return {**self.fit.as_dict(), "train_subset": self.train_subset}


# Full mode: the report's 20 epochs, with a cosine learning-rate schedule (a
# constant rate ended near 98.6-98.8% in our trials; annealing settles the
# last epochs). Quick mode: one epoch on 10,000 digits.
TINYCONVNET_FULL = Recipe(FitConfig(epochs=20, batch_size=64, lr=2e-3, optimizer="adam", schedule="cosine"))
TINYCONVNET_QUICK = Recipe(TINYCONVNET_FULL.fit.replace(epochs=1), train_subset=10_000)


def _recipe(cfg: Config, full: Recipe, quick: Recipe, what: str, overrides: dict) -> Recipe:
    if not isinstance(cfg, Config):
        raise TypeError(f"expected the chapter's Config (cfg = helpers.setup(...)), got {type(cfg).__name__}.")
    recipe = (quick if cfg.quick else full).with_overrides(what, **overrides)
    return Recipe(recipe.fit.replace(seed=cfg.seed), recipe.train_subset)


def _root(data_root):
    """``data_root`` checked: ``None`` (the environment's or the default) or a non-empty path."""
    if data_root is None:
        return None
    if not isinstance(data_root, (str, os.PathLike)) or not str(data_root).strip():
        raise TypeError(
            f"data_root must be None or the path of a folder holding the datasets, got {validate.describe(data_root)}."
        )
    return data_root


def _train(recipe: Recipe, cfg: Config, make_model, train, test, name: str, retrain: bool, progress: bool):
    """``train_or_load`` with a recipe's training settings on ``cfg``'s device: one call for every entry."""
    return train_or_load(
        make_model, train, test, name=name, config=recipe.fit, retrain=retrain, device=cfg.device, progress=progress
    )


def tinyconvnet_recipe(cfg: Config, **overrides) -> Recipe:
    """TinyConvNet's recipe for ``cfg``'s mode and seed, with any overrides applied (unknown keys refused)."""
    return _recipe(cfg, TINYCONVNET_FULL, TINYCONVNET_QUICK, "TinyConvNet", overrides)


def tinyconvnet_settings(cfg: Config, **overrides) -> dict:
    """:func:`tinyconvnet_recipe` as a flat dict of settings."""
    return tinyconvnet_recipe(cfg, **overrides).as_dict()


def tinyconvnet_mnist(cfg: Config, *, data_root=None, progress: bool = True, retrain: bool = False, **overrides):
    """TinyConvNet trained on MNIST (normalised), from the cache when possible.

    ``overrides`` change the recipe (``epochs=3``, ``train_subset=2000``, ...;
    see :func:`tinyconvnet_recipe`).

    Returns
    -------
    model, history, loaded, (train, test), settings
        ``settings`` is the recipe as a dict (:meth:`Recipe.as_dict`).
    """
    recipe = tinyconvnet_recipe(cfg, **overrides)
    progress, retrain = validate.boolean(progress, "progress"), validate.boolean(retrain, "retrain")
    data_root = _root(data_root)
    train, test = load_splits("mnist", root=data_root, normalize=True, train_subset=recipe.train_subset, seed=cfg.seed)
    model, history, loaded = _train(recipe, cfg, TinyConvNet, train, test, "tinyconvnet-mnist", retrain, progress)
    return model, history, loaded, (train, test), recipe.as_dict()


# The report CNN on Fashion-MNIST (grayscale, normalised), trained on the whole
# training split the first time the chapter "Low-rank compression" asks for it
# (it takes about 3 minutes on a 2-core CPU) and cached. Same optimiser as the
# cross-validation in "CNNs against random projections", with 6 epochs instead
# of 8 to keep the compression chapter's first run short.
REPORTCNN_FULL = Recipe(FitConfig(epochs=6, batch_size=128, lr=2e-3, optimizer="adam", schedule="cosine"))
REPORTCNN_QUICK = Recipe(REPORTCNN_FULL.fit.replace(epochs=1), train_subset=5_000)


def reportcnn_recipe(cfg: Config, **overrides) -> Recipe:
    """The report CNN's recipe for ``cfg``'s mode and seed, with any overrides applied (unknown keys refused)."""
    return _recipe(cfg, REPORTCNN_FULL, REPORTCNN_QUICK, "report CNN", overrides)


def reportcnn_fashion(cfg: Config, *, data_root=None, progress: bool = True, retrain: bool = False, **overrides):
    """The report's CNN trained on all of Fashion-MNIST (quick mode: 5,000 images, one epoch), cached.

    The model lives on ``cfg.device`` and has never seen the test split.
    ``overrides`` change the recipe (see :func:`reportcnn_recipe`).

    Returns
    -------
    model, history, loaded, (train, test), settings
        ``settings`` is the recipe as a dict (:meth:`Recipe.as_dict`).
    """
    recipe = reportcnn_recipe(cfg, **overrides)
    progress, retrain = validate.boolean(progress, "progress"), validate.boolean(retrain, "retrain")
    data_root = _root(data_root)
    train, test = load_splits(
        "fashion-mnist",
        root=data_root,
        grayscale=True,
        normalize=True,
        train_subset=recipe.train_subset,
        seed=cfg.seed,
    )
    make_model = lambda: ReportCNN(1, 28)
    model, history, loaded = _train(recipe, cfg, make_model, train, None, "reportcnn-fashion", retrain, progress)
    return model, history, loaded, (train, test), recipe.as_dict()
