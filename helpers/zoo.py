"""Trained models shared between chapters: trained once, then loaded from the cache.

Introduced in the chapter "Training TinyConvNet". A later chapter asks for the
same model with the same settings and gets the cached checkpoint; if there is
none (a reader who skipped a chapter, a fresh machine) it is trained here.
"""

from __future__ import annotations

from .config import Config
from .data import load_splits
from .models import ReportCNN, TinyConvNet
from .train import train_or_load

__all__ = [
    "TINYCONVNET_FULL",
    "TINYCONVNET_QUICK",
    "tinyconvnet_settings",
    "tinyconvnet_mnist",
    "REPORTCNN_FULL",
    "REPORTCNN_QUICK",
    "reportcnn_fashion",
]

# Full mode: the report's 20 epochs, with a cosine learning-rate schedule (a
# constant rate ended near 98.6-98.8% in our trials; annealing settles the
# last epochs). Quick mode: one epoch on 10,000 digits.
TINYCONVNET_FULL = {
    "epochs": 20,
    "batch_size": 64,
    "lr": 2e-3,
    "optimizer": "adam",
    "schedule": "cosine",
    "train_subset": None,
}
TINYCONVNET_QUICK = {
    "epochs": 1,
    "batch_size": 64,
    "lr": 2e-3,
    "optimizer": "adam",
    "schedule": "cosine",
    "train_subset": 10_000,
}


def tinyconvnet_settings(cfg: Config, **overrides) -> dict:
    """The training settings for ``cfg``'s mode, with any overrides applied (unknown keys refused)."""
    base = dict(TINYCONVNET_QUICK if cfg.quick else TINYCONVNET_FULL)
    unknown = set(overrides) - set(base)
    if unknown:
        raise TypeError(f"unknown TinyConvNet setting(s) {sorted(unknown)}; known: {sorted(base)}.")
    base.update({k: v for k, v in overrides.items() if v is not None or k == "train_subset"})
    return base


def _train_with(s: dict, cfg: Config, make_model, train, test, name: str, retrain: bool, progress: bool):
    """``train_or_load`` with a zoo entry's settings ``s``: one place passes them, so every entry keys alike."""
    return train_or_load(
        make_model,
        train,
        test,
        name=name,
        retrain=retrain,
        device=cfg.device,
        progress=progress,
        epochs=s["epochs"],
        batch_size=s["batch_size"],
        lr=s["lr"],
        optimizer=s["optimizer"],
        schedule=s["schedule"],
        seed=cfg.seed,
    )


def tinyconvnet_mnist(cfg: Config, *, data_root=None, progress: bool = True, retrain: bool = False, **overrides):
    """TinyConvNet trained on MNIST (normalised), from the cache when possible.

    Returns
    -------
    model, history, loaded, (train, test), settings
    """
    s = tinyconvnet_settings(cfg, **overrides)
    train, test = load_splits("mnist", root=data_root, normalize=True, train_subset=s["train_subset"], seed=cfg.seed)
    model, history, loaded = _train_with(s, cfg, TinyConvNet, train, test, "tinyconvnet-mnist", retrain, progress)
    return model, history, loaded, (train, test), s


# The report CNN on Fashion-MNIST (grayscale, normalised), trained on the whole
# training split the first time the chapter "Low-rank compression" asks for it
# (it takes about 3 minutes on a 2-core CPU) and cached. Same optimiser as the
# cross-validation in "CNNs against random projections", with 6 epochs instead
# of 8 to keep the compression chapter's first run short.
REPORTCNN_FULL = {
    "epochs": 6,
    "batch_size": 128,
    "lr": 2e-3,
    "optimizer": "adam",
    "schedule": "cosine",
    "train_subset": None,
}
REPORTCNN_QUICK = {
    "epochs": 1,
    "batch_size": 128,
    "lr": 2e-3,
    "optimizer": "adam",
    "schedule": "cosine",
    "train_subset": 5_000,
}


def reportcnn_fashion(cfg: Config, *, data_root=None, progress: bool = True, retrain: bool = False):
    """The report's CNN trained on all of Fashion-MNIST (quick mode: 5,000 images, one epoch), cached.

    The model lives on ``cfg.device`` and has never seen the test split.

    Returns
    -------
    model, history, loaded, (train, test), settings
    """
    s = dict(REPORTCNN_QUICK if cfg.quick else REPORTCNN_FULL)
    train, test = load_splits(
        "fashion-mnist", root=data_root, grayscale=True, normalize=True, train_subset=s["train_subset"], seed=cfg.seed
    )
    model, history, loaded = _train_with(
        s, cfg, lambda: ReportCNN(1, 28), train, None, "reportcnn-fashion", retrain, progress
    )
    return model, history, loaded, (train, test), s
