"""Fitting, evaluating and cross-validating networks on in-memory tensors.

Introduced in the chapter "The datasets" (as machinery) and first used in
"Training TinyConvNet". The data stay as whole tensors on the device; an epoch
is a random permutation sliced into batches, with no per-sample Python work.

:func:`train_or_load` caches the trained weights under
``<cache>/checkpoints``, keyed by everything that determines them (the
architecture, the data, the seed and the training settings), so a later
chapter reloads a model instead of training it again. Checkpoints are written
atomically: an interrupted run leaves no half-written file behind.

The training settings (epochs, batch size, learning rate, optimiser, seed,
schedule) are one frozen :class:`FitConfig`: the argument of :func:`fit`,
:func:`cross_validate` and :func:`train_or_load` and the settings part of the
checkpoint's key. Its field defaults are the only place the defaults are
written; the functions also take the settings as keywords
(``fit(model, train, epochs=3, lr=1e-2)``) and build the config from them.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import validate
from .cache import atomic_write, cache_key, cache_path, code_fingerprint
from .config import get_device, seed_everything
from .data import ImageData
from .models import _run, cpu_layout

__all__ = [
    "FitConfig",
    "History",
    "CVResult",
    "fit",
    "evaluate",
    "predict",
    "cross_validate",
    "stratified_folds",
    "train_or_load",
    "checkpoint_path",
    "tap_gradient_norms",
]

OPTIMIZERS = ("adam", "sgd", "adamw")
SCHEDULES = (None, "cosine")


def _maker(make_model) -> Callable[[], nn.Module]:
    """``make_model`` checked to be callable; calling the result checks that it returns a model."""
    if not callable(make_model) or isinstance(make_model, nn.Module):
        raise TypeError(
            f"make_model must be a function that returns a new model (e.g. lambda: TinyConvNet()), "
            f"got {validate.describe(make_model)}."
        )

    def make() -> nn.Module:
        model = make_model()
        if not isinstance(model, nn.Module):
            raise TypeError(f"make_model must return a torch.nn.Module, but it returned {validate.describe(model)}.")
        return model

    return make


def _text(value, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {validate.describe(value)}.")
    return value


@dataclass(frozen=True)
class FitConfig:
    """The settings of a training run: the argument of :func:`fit` and the cache key of :func:`train_or_load`.

    Introduced in the chapter "Training TinyConvNet". The defaults below are
    the only place the book writes its training defaults; every function that
    trains takes a ``FitConfig`` (``config=``) or the same settings as
    keywords, which :meth:`build` turns into one. Two configs with the same
    settings are equal and give the same checkpoint; a config is frozen, so a
    variant is made with :meth:`replace`. Values are checked and normalised
    when the config is made (``lr=1`` and ``lr=1.0`` are the same setting,
    ``"Adam"`` is ``"adam"``).

    Parameters
    ----------
    epochs : int
        Passes over the training set.
    batch_size : int
        Examples per gradient step.
    lr : float
        The (initial) learning rate.
    optimizer : {"adam", "adamw", "sgd"}
    weight_decay : float
        L2 penalty (decoupled for AdamW).
    momentum : float
        SGD's momentum; ignored by Adam and AdamW.
    seed : int
        Seeds the shuffling (and everything else, via
        :func:`helpers.config.seed_everything`).
    schedule : {None, "cosine"}
        ``"cosine"`` anneals the learning rate from ``lr`` to zero over the
        run (updated after every batch).

    Examples
    --------
    >>> config = FitConfig(epochs=3, lr=1e-2)
    >>> config.replace(seed=1).seed
    1
    """

    epochs: int = 1
    batch_size: int = 128
    lr: float = 1e-3
    optimizer: str = "adam"
    weight_decay: float = 0.0
    momentum: float = 0.9
    seed: int = 0
    schedule: str | None = None

    def __post_init__(self):
        norm = {
            "epochs": validate.positive_int(self.epochs, "epochs"),
            "batch_size": validate.positive_int(self.batch_size, "batch_size"),
            "lr": validate.real(self.lr, "lr (the learning rate)", low=0.0, low_open=True),
            "weight_decay": validate.real(self.weight_decay, "weight_decay", low=0.0),
            "momentum": validate.real(self.momentum, "momentum", low=0.0),
        }
        if not isinstance(self.optimizer, str):
            raise TypeError(
                f"optimizer must be a string, one of {', '.join(OPTIMIZERS)}; got {validate.describe(self.optimizer)}."
            )
        optimizer = self.optimizer.lower()
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; use one of {', '.join(OPTIMIZERS)}.")
        if self.schedule is not None and not isinstance(self.schedule, str):
            raise TypeError(f"schedule must be None or 'cosine', got {validate.describe(self.schedule)}.")
        schedule = self.schedule.lower() if isinstance(self.schedule, str) else self.schedule
        if schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; use None or 'cosine'.")
        norm.update(
            optimizer=optimizer, schedule=schedule, seed=validate.integer(self.seed, "seed", low=0, high=2**32 - 1)
        )
        for name, value in norm.items():
            object.__setattr__(self, name, value)

    @classmethod
    def settings(cls) -> tuple[str, ...]:
        """The names of the settings, in order."""
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def build(cls, config: FitConfig | None = None, **settings) -> FitConfig:
        """``config`` (default: all defaults) with the keyword ``settings`` changed.

        This is how :func:`fit`, :func:`cross_validate` and :func:`train_or_load`
        accept both ``config=FitConfig(...)`` and the settings as keywords.

        Raises
        ------
        TypeError
            If ``config`` is not a ``FitConfig``, or a setting is unknown.
        ValueError
            If a setting has a bad value.
        """
        if config is None:
            config = cls()
        elif not isinstance(config, cls):
            raise TypeError(
                f"config must be a helpers.train.FitConfig, got {type(config).__name__}; "
                f"write config=FitConfig(**settings) or pass the settings as keywords."
            )
        unknown = sorted(set(settings) - set(cls.settings()))
        if unknown:
            hints = [m for u in unknown for m in difflib.get_close_matches(u, cls.settings(), n=1)]
            hint = f" (did you mean {', '.join(map(repr, hints))}?)" if hints else ""
            raise TypeError(f"unknown training setting(s) {unknown}{hint}; known: {', '.join(cls.settings())}.")
        return dataclasses.replace(config, **settings) if settings else config

    def replace(self, **changes) -> FitConfig:
        """A copy with ``changes`` applied (unknown settings refused, like :meth:`build`)."""
        return self.build(self, **changes)

    def as_dict(self) -> dict:
        """The settings as a plain dict (what the checkpoint key and its metadata hold)."""
        return dataclasses.asdict(self)


@dataclass
class History:
    """Per-epoch record of a training run (lists indexed by epoch)."""

    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    test_loss: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    seconds: list = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def as_dict(self) -> dict:
        return {k: list(v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, d: dict) -> History:
        if not isinstance(d, dict):
            raise TypeError(f"d must be a dict of per-epoch lists (History.as_dict()), got {validate.describe(d)}.")
        return cls(**{k: list(d.get(k, [])) for k in cls.__dataclass_fields__})


@dataclass
class CVResult:
    """Scores of a stratified k-fold cross-validation.

    ``std`` is the population standard deviation of the fold scores
    (``numpy.std`` with ``ddof=0``, as scikit-learn users usually report it).
    """

    scores: list
    histories: list

    def __post_init__(self):
        scores = validate.array(self.scores, "scores (the fold accuracies)", ndim=1)
        if ((scores < 0) | (scores > 1)).any():
            raise ValueError(f"scores (the fold accuracies) must lie in [0, 1], got {scores.tolist()}.")
        if not isinstance(self.histories, (list, tuple)) or len(self.histories) != len(scores):
            raise ValueError(
                f"histories must be a list of one History per fold ({len(scores)}), "
                f"got {validate.describe(self.histories)}."
            )
        self.scores = [float(v) for v in scores]

    @property
    def mean(self) -> float:
        return float(np.mean(self.scores))

    @property
    def std(self) -> float:
        return float(np.std(self.scores))

    def __str__(self) -> str:
        return f"{self.mean:.4f} ± {self.std:.4f} over {len(self.scores)} folds"


def _as_tensors(data, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The (inputs, labels) of ``data``, checked: floating inputs, integer class labels >= 0, equal lengths."""
    if isinstance(data, ImageData):
        return data.images, data.labels
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        if isinstance(data, (tuple, list)):
            given = f"a {type(data).__name__} of {len(data)} item(s)"
        else:
            given = validate.describe(data)
        raise TypeError(
            f"{what} must be an ImageData (from helpers.data.load) or a tuple (inputs, labels) of tensors, not {given}."
        )
    x, y = data
    for part, value in (("inputs", x), ("labels", y)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(
                f"{what} must be a tuple (inputs, labels) of tensors, but its {part} are {validate.describe(value)}."
            )
    if x.dim() == 0 or y.dim() == 0:
        raise ValueError(
            f"{what}: inputs and labels must be batches (N, ...), got shapes {tuple(x.shape)} and {tuple(y.shape)}."
        )
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"{what}: {x.shape[0]} inputs but {y.shape[0]} labels; they must match.")
    if x.shape[0] == 0:
        raise ValueError(f"{what} is empty.")
    if not x.is_floating_point():
        raise TypeError(
            f"{what}: inputs must be floating-point, got {x.dtype}; convert them with .float() "
            "(and scale pixels to [0, 1])."
        )
    validate.tensor(x, f"{what} inputs")  # NaN, infinities
    if y.dim() != 1:
        raise ValueError(f"{what}: labels must have shape (N,), got {tuple(y.shape)}.")
    if y.dtype == torch.bool or y.dtype.is_complex:
        raise TypeError(f"{what}: labels must be integer class indices, got dtype {y.dtype}.")
    if y.dtype.is_floating_point:
        # float labels that are whole numbers are accepted; anything else would be truncated silently
        bad = y[~torch.isfinite(y) | (y != y.round())]
        if bad.numel():
            raise ValueError(
                f"{what}: labels must be integer class indices, got non-integer floats "
                f"(e.g. {bad[0].item()}); pass the class indices as labels.long()."
            )
    y = y.long()
    low = int(y.min())
    if low < 0:
        raise ValueError(f"{what}: labels must be class indices 0, 1, 2, ..., got {low}.")
    return x, y


def _check_classes(y: torch.Tensor, logits: torch.Tensor, what: str) -> None:
    """Every label is a class the model has an output for."""
    if logits.dim() != 2:
        raise ValueError(
            f"the model must return one row of class scores per example, shape (N, classes); "
            f"it returned shape {tuple(logits.shape)}."
        )
    high, classes = int(y.max()), logits.shape[1]
    if high >= classes:
        raise ValueError(
            f"{what}: labels go up to {high} but the model has {classes} outputs (classes 0 to {classes - 1}); "
            "build it with the right num_classes."
        )


def _probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor, what: str, dev: torch.device) -> None:
    """One example through ``model`` (eval mode, no gradients), so that inputs it cannot take or labels it
    has no output for are refused here, in words, and not by torch in the middle of an epoch."""
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = _run(model, x[:1].to(dev), f"{what} inputs")
    finally:
        model.train(was)
    _check_classes(y, out, what)


def _make_optimizer(config: FitConfig, params):
    lr, weight_decay = config.lr, config.weight_decay
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    return torch.optim.SGD(params, lr=lr, momentum=config.momentum, weight_decay=weight_decay)


def _progress(iterable, enabled: bool, desc: str):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, unit="epoch", leave=True)


@torch.inference_mode()
def predict(
    model: nn.Module, inputs: torch.Tensor, *, batch_size: int = 256, device: str | torch.device = "auto"
) -> torch.Tensor:
    """Model outputs for ``inputs``, computed in batches, returned on the CPU.

    The default batch of 256 was the fastest on a 2-core CPU for the book's
    CNNs when it was chosen (larger batches' activations no longer fit the
    caches); ``benchmarks/bench_training.py`` measures the networks' throughput.
    """
    validate.module(model)
    if not isinstance(inputs, torch.Tensor):
        raise TypeError(f"inputs must be a torch tensor (N, ...), got {validate.describe(inputs)}.")
    if not inputs.is_floating_point():
        raise TypeError(
            f"inputs must be floating-point, got {inputs.dtype}; "
            "convert them with .float() (and scale pixels to [0, 1])."
        )
    if inputs.dim() == 0:
        raise ValueError("inputs must be a batch (N, ...), got a 0-d tensor.")
    validate.tensor(inputs, "inputs")  # empty, NaN, infinities
    batch_size = validate.positive_int(batch_size, "batch_size")
    dev = get_device(device)
    was_training = model.training
    model.to(dev).eval()
    try:
        with cpu_layout(model, dev):
            outs = [_run(model, inputs[:batch_size].to(dev, non_blocking=True), "inputs").float().cpu()]
            outs += [
                model(inputs[i : i + batch_size].to(dev, non_blocking=True)).float().cpu()
                for i in range(batch_size, inputs.shape[0], batch_size)
            ]
    finally:
        model.train(was_training)
    return torch.cat(outs)


def evaluate(model: nn.Module, data, *, batch_size: int = 256, device: str | torch.device = "auto") -> dict:
    """Mean cross-entropy loss and accuracy of ``model`` on ``data``.

    Returns
    -------
    dict
        ``{"loss": float, "accuracy": float, "predictions": LongTensor}``.
    """
    validate.module(model)
    x, y = _as_tensors(data, "data")
    logits = predict(model, x, batch_size=batch_size, device=device)
    _check_classes(y, logits, "data")
    loss = nn.functional.cross_entropy(logits, y.cpu()).item()
    pred = logits.argmax(1)
    return {"loss": float(loss), "accuracy": float((pred == y.cpu()).float().mean()), "predictions": pred}


def tap_gradient_norms(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
    """The cross-entropy gradient of every Conv2d's weight, as one norm per kernel tap.

    Introduced in the chapter "CNNs against random projections", where it shows
    that a convolution run on a map smaller than its kernel leaves taps dead.
    For each layer the gradient ``(C_out, C_in, kh, kw)`` of the mean loss on
    ``images`` is reduced to the (kh, kw) Frobenius norms over both channel
    axes. The model is evaluated in eval mode (no dropout) and left with no
    gradients stored and its training mode unchanged.

    Returns
    -------
    dict
        ``{layer name: FloatTensor (kh, kw)}`` in definition order.
    """
    validate.module(model)
    for name, value in (("images", images), ("labels", labels)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name} must be a torch tensor, got {validate.describe(value)}.")
    x, y = _as_tensors((images, labels), "images and labels")
    convs = {n: m for n, m in model.named_modules() if isinstance(m, nn.Conv2d)}
    if not convs:
        raise ValueError(f"{type(model).__name__} has no Conv2d layers: there are no taps to measure.")
    dev = next(model.parameters()).device
    was = model.training
    model.eval()
    try:
        model.zero_grad(set_to_none=True)
        logits = _run(model, x.to(dev), "images")
        _check_classes(y, logits, "labels")
        nn.functional.cross_entropy(logits, y.to(dev)).backward()
        return {n: c.weight.grad.detach().norm(dim=(0, 1)).cpu() for n, c in convs.items()}
    finally:
        model.zero_grad(set_to_none=True)
        model.train(was)


def fit(
    model: nn.Module,
    train,
    test=None,
    *,
    config: FitConfig | None = None,
    device: str | torch.device = "auto",
    progress: bool = True,
    desc: str = "training",
    **settings,
) -> History:
    """Train ``model`` with cross-entropy on in-memory data.

    Parameters
    ----------
    model : torch.nn.Module
        Trained in place (and left on ``device``).
    train, test : ImageData or (inputs, labels)
        ``test`` is evaluated after every epoch when given.
    config : FitConfig, optional
        The training settings (epochs, batch size, learning rate, optimiser,
        seed, schedule); default ``FitConfig()``.
    device : {"auto", "cpu", "cuda"}
    progress : bool
        Show a progress bar (notebook widget or terminal) with the latest loss
        and accuracy.
    desc : str
        The progress bar's label.
    **settings
        Any :class:`FitConfig` field (``epochs=3, lr=1e-2``), changing
        ``config``'s value; an unknown name raises ``TypeError``.

    Returns
    -------
    History
    """
    validate.module(model)
    config = FitConfig.build(config, **settings)
    progress = validate.boolean(progress, "progress")
    desc = _text(desc, "desc")
    epochs, batch_size = config.epochs, config.batch_size
    x, y = _as_tensors(train, "train")
    held_out = None if test is None else _as_tensors(test, "test")
    dev = get_device(device)
    gen = seed_everything(config.seed)
    model.to(dev).eval()
    # on the CPU the model trains channels-last (see helpers.models.cpu_layout)
    with cpu_layout(model, dev):
        _probe(model, x, y, "train", dev)
        if held_out is not None:
            _probe(model, *held_out, "test", dev)
        model.train()
        opt = _make_optimizer(config, model.parameters())
        # The whole training set moves to the device once, not batch by batch.
        x, y = x.to(dev), y.to(dev)
        n = x.shape[0]
        steps = epochs * ((n + batch_size - 1) // batch_size)
        cosine = config.schedule == "cosine"
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps) if cosine else None
        history = History()
        bar = _progress(range(epochs), progress, desc)
        for _ in bar:
            start = time.perf_counter()
            model.train()
            order = torch.randperm(n, generator=gen).to(dev)
            total_loss = torch.zeros((), device=dev)
            correct = torch.zeros((), device=dev, dtype=torch.long)
            for i in range(0, n, batch_size):
                idx = order[i : i + batch_size]
                xb, yb = x[idx], y[idx]
                out = model(xb)
                loss = nn.functional.cross_entropy(out, yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if sched is not None:
                    sched.step()
                # Accumulate on the device; one synchronisation per epoch, not per batch.
                total_loss += loss.detach() * yb.shape[0]
                correct += (out.detach().argmax(1) == yb).sum()
            history.train_loss.append(float(total_loss) / n)
            history.train_acc.append(float(correct) / n)
            if test is not None:
                res = evaluate(model, test, device=dev)
                history.test_loss.append(res["loss"])
                history.test_acc.append(res["accuracy"])
                model.train()
            history.seconds.append(time.perf_counter() - start)
            if progress:
                post = {"loss": f"{history.train_loss[-1]:.4f}", "acc": f"{history.train_acc[-1]:.4f}"}
                if history.test_acc:
                    post["test_acc"] = f"{history.test_acc[-1]:.4f}"
                bar.set_postfix(post)
    model.eval()
    return history


def stratified_folds(labels, k: int = 5, *, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """The ``k`` (train, validation) index pairs of a shuffled stratified k-fold split.

    Every example is in exactly one validation fold, and each class is spread
    over the folds as evenly as its count allows (scikit-learn's
    :class:`~sklearn.model_selection.StratifiedKFold`).

    Raises
    ------
    ValueError
        If ``k`` < 2 or some class has fewer than ``k`` examples.
    """
    from sklearn.model_selection import StratifiedKFold

    raw = labels
    labels = validate.array(labels, "labels", ndim=1, dtype=None)
    if labels.dtype.kind == "b":
        raise TypeError(f"labels must be integer class indices, got booleans ({validate.describe(raw)}).")
    if labels.dtype.kind == "f":
        if not np.all(labels == np.round(labels)):
            raise ValueError("labels must be integer class indices, got non-integer floats.")
        labels = labels.astype(np.int64)
    k = validate.integer(k, "k")
    if k < 2:
        raise ValueError(f"k must be an integer of at least 2 folds, got {k}.")
    seed = validate.integer(seed, "seed", low=0, high=2**32 - 1)
    _, counts = np.unique(labels, return_counts=True)
    smallest = int(counts.min())
    if k > smallest:
        raise ValueError(
            f"k={k} folds need at least {k} examples of every class, but the rarest class has "
            f"{smallest}; use k <= {smallest} or more data."
        )
    folds = StratifiedKFold(n_splits=int(k), shuffle=True, random_state=seed)
    return [(tr, va) for tr, va in folds.split(np.zeros(len(labels)), labels)]


def cross_validate(
    make_model: Callable[[], nn.Module],
    data,
    *,
    k: int = 5,
    config: FitConfig | None = None,
    device: str | torch.device = "auto",
    progress: bool = True,
    curves: bool = False,
    **settings,
) -> CVResult:
    """Stratified k-fold cross-validation of a freshly built model per fold.

    Parameters
    ----------
    make_model : callable
        Returns a new, untrained model; called once per fold.
    data : ImageData or (inputs, labels)
    k : int
        Number of folds (at least 2, at most the size of the smallest class).
    config : FitConfig, optional
        The training settings of every fold. Its ``seed`` seeds the fold
        assignment and, as ``seed + fold``, each fold's training.
    device : {"auto", "cpu", "cuda"}
    curves : bool
        Evaluate the held-out fold after every epoch (validation curves in
        ``histories``). By default it is evaluated once, after training, which
        is all the score needs and saves an inference pass per epoch.
    **settings
        Any :class:`FitConfig` field (``epochs``, ``batch_size``, ``lr``,
        ``seed``, ...), changing ``config``'s value.
    """
    make_model = _maker(make_model)
    config = FitConfig.build(config, **settings)
    progress = validate.boolean(progress, "progress")
    curves = validate.boolean(curves, "curves")
    seed = config.seed
    x, y = _as_tensors(data, "data")
    folds = stratified_folds(y, k, seed=seed)
    get_device(device)
    # a throw-away model checks that it takes these inputs and labels (each fold reseeds before building its own)
    probe = make_model()
    p = next(probe.parameters(), None)
    _probe(probe, x, y, "data", p.device if p is not None else torch.device("cpu"))
    del probe
    scores, histories = [], []
    for fold, (tr, va) in enumerate(folds):
        tr_t, va_t = torch.from_numpy(tr), torch.from_numpy(va)
        seed_everything(seed + fold)
        model = make_model()
        held_out = (x[va_t], y[va_t])
        hist = fit(
            model,
            (x[tr_t], y[tr_t]),
            held_out if curves else None,
            config=config.replace(seed=seed + fold),
            device=device,
            progress=progress,
            desc=f"fold {fold + 1}/{k}",
        )
        if curves:
            scores.append(hist.test_acc[-1])
        else:
            res = evaluate(model, held_out, device=device)
            hist.test_loss.append(res["loss"])
            hist.test_acc.append(res["accuracy"])
            scores.append(res["accuracy"])
        histories.append(hist)
    return CVResult(scores=scores, histories=histories)


def _fingerprint(data, what: str = "data") -> dict | str:
    if data is None:
        return None
    if isinstance(data, ImageData):
        return data.fingerprint
    x, y = _as_tensors(data, what)
    # Plain tensors: hash their content (cheap next to training).
    digest = hashlib.sha256()
    for t in (x, y):
        digest.update(str((tuple(t.shape), t.dtype)).encode())
        digest.update(t.detach().cpu().contiguous().numpy().tobytes())
    return {"tensors": digest.hexdigest()[:16]}


def _check_name(name) -> str:
    if not isinstance(name, str) or not name.strip() or "/" in name or "\\" in name:
        raise ValueError(f"checkpoint name must be a non-empty string without '/', got {validate.describe(name)}.")
    return name


def checkpoint_path(
    name: str, model: nn.Module, train, test=None, *, config: FitConfig | None = None, **settings
) -> Path:
    """Where :func:`train_or_load` keeps the checkpoint for these inputs.

    The key holds the name, the architecture, the data, every field of the
    :class:`FitConfig` (``config`` with the keyword ``settings`` applied) and
    the code that trains: the same inputs give the same path in every
    session, and a change to any of them gives another.
    """
    _check_name(name)
    validate.module(model)
    config = FitConfig.build(config, **settings)
    if train is None:
        raise TypeError(
            "train must be the training data, an ImageData or a tuple (inputs, labels) of tensors; got None."
        )
    key = cache_key(
        name=name,
        model=type(model).__qualname__,
        architecture=repr(model),
        shapes=[list(p.shape) for p in model.state_dict().values()],
        train=_fingerprint(train, "train"),
        test=_fingerprint(test, "test"),
        settings=config.as_dict(),
        # the code that trains (data, models, training loop, zoo settings)
        code=code_fingerprint(),
    )
    return cache_path("checkpoints", f"{name}-{key}.pt")


def train_or_load(
    make_model: Callable[[], nn.Module],
    train,
    test=None,
    *,
    name: str,
    config: FitConfig | None = None,
    retrain: bool = False,
    device: str | torch.device = "auto",
    progress: bool = True,
    **settings,
) -> tuple[nn.Module, History, bool]:
    """Train a model once and reload it from the cache ever after.

    Parameters
    ----------
    make_model : callable
        Returns a new, untrained model (built after seeding with the config's seed).
    train, test : ImageData or (inputs, labels)
    name : str
        A short name for the file (e.g. ``"tinyconvnet-mnist"``).
    config : FitConfig, optional
        The training settings, all of them part of the cache key (see
        :func:`checkpoint_path`); default ``FitConfig()``.
    retrain : bool
        Ignore (and replace) a cached checkpoint.
    device : {"auto", "cpu", "cuda"}
        Where to train, and where the returned model lives. Not part of the
        cache key: a model trained on a GPU is reloaded on the CPU.
    **settings
        Any :class:`FitConfig` field (``epochs=3, lr=1e-2``), changing
        ``config``'s value; an unknown name raises ``TypeError``.

    Returns
    -------
    model, history, loaded
        ``loaded`` is ``True`` when the weights came from the cache.
    """
    make_model = _maker(make_model)
    _check_name(name)
    config = FitConfig.build(config, **settings)
    retrain = validate.boolean(retrain, "retrain")
    progress = validate.boolean(progress, "progress")
    dev = get_device(device)
    _as_tensors(train, "train")
    if test is not None:
        _as_tensors(test, "test")
    seed_everything(config.seed)
    model = make_model()
    path = checkpoint_path(name, model, train, test, config=config)
    if path.is_file() and not retrain:
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
            model.load_state_dict(blob["state_dict"])
            return model.to(dev).eval(), History.from_dict(blob["history"]), True
        except Exception as err:  # keep the damaged file for inspection, then retrain
            aside = path.with_name(path.name + f".damaged-{int(time.time())}")
            path.rename(aside)
            warnings.warn(
                f"checkpoint {path} could not be loaded ({err}); moved it to {aside} and training again.", stacklevel=2
            )
    history = fit(model, train, test, config=config, device=dev, progress=progress, desc=name)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    blob = {
        "state_dict": state,
        "history": history.as_dict(),
        "meta": {"name": name, "device": str(dev), "torch": str(torch.__version__), "settings": config.as_dict()},
    }
    atomic_write(path, lambda tmp: torch.save(blob, tmp))
    return model.eval(), history, False
