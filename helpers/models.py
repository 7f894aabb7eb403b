"""Network architectures used across the book.

Each class names the chapter that introduces it. Models know nothing of data
loading or training (see :mod:`helpers.train`).
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

__all__ = ["TinyConvNet", "ReportCNN", "MLP", "count_parameters", "count_macs", "probe_forward", "cpu_layout"]


class TinyConvNet(nn.Module):
    """The minimal CNN of the report "Linear Algebraic Approaches to Image Classification".

    Introduced in the chapter "Training TinyConvNet"; dissected with the SVD in
    "Every convolutional layer is an SVD". Neither convolution has a bias, so
    each layer is exactly a matrix (8x9 and 16x72) applied to image patches.

    conv1 ``Conv2d(1, 8, 3)`` -> ReLU -> MaxPool(2) -> conv2 ``Conv2d(8, 16, 3)``
    -> ReLU -> MaxPool(2) -> fc ``Linear(16*5*5, 10)``, for 28x28 inputs.

    Parameters
    ----------
    width : int
        Multiplies the number of channels (8 and 16 when ``width=1``); used by
        the over-parameterisation chapter.
    in_channels, num_classes : int
    """

    def __init__(self, width: int = 1, in_channels: int = 1, num_classes: int = 10):
        super().__init__()
        for label, value in (("width", width), ("in_channels", in_channels), ("num_classes", num_classes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{label} must be a positive integer, got {value!r}.")
        c1, c2 = 8 * width, 16 * width
        self.conv1 = nn.Conv2d(in_channels, c1, kernel_size=3, bias=False)
        self.conv2 = nn.Conv2d(c1, c2, kernel_size=3, bias=False)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(c2 * 5 * 5, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The flattened input of the final linear layer."""
        if x.dim() != 4 or x.shape[-2:] != (28, 28):
            raise ValueError(
                f"TinyConvNet expects a batch of shape (N, C, 28, 28), got {tuple(x.shape)}."
            )
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        return x.flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters of a model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


class ReportCNN(nn.Module):
    """The CNN of the report "CNN Neural Network Compression using SVD Decomposition".

    Introduced in the chapter "CNNs against random projections"; compressed in
    "Low-rank compression". Conv(32) → MaxPool → Conv(64) → MaxPool →
    Conv(128) → MaxPool → Conv(128) → Flatten → Dense(128) → Dropout(0.5) →
    Dense(10), ReLU after every convolution and the hidden dense layer.

    The report used 'valid' convolutions throughout, but after three
    valid-conv/pool stages a 28x28 image is 1x1 and a 32x32 image 2x2, too
    small for a fourth 3x3 'valid' convolution. Only the last convolution
    therefore gets ``padding=1`` ('same'); the first three stay 'valid'.
    """

    def __init__(self, in_channels: int = 1, image_size: int = 28, num_classes: int = 10):
        super().__init__()
        for label, value in (("in_channels", in_channels), ("num_classes", num_classes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{label} must be a positive integer, got {value!r}.")
        if image_size not in (28, 32):
            raise ValueError(f"image_size must be 28 (MNIST, Fashion-MNIST) or 32 (CIFAR-10), got {image_size!r}.")
        self.image_size = image_size
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(128, 128, 3, padding=1), nn.ReLU(),
        )
        side = {28: 1, 32: 2}[image_size]
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(128 * side * side, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[-1] != self.image_size or x.shape[-2] != self.image_size:
            raise ValueError(f"ReportCNN({self.image_size}) expects (N, C, {self.image_size}, {self.image_size}), "
                             f"got {tuple(x.shape)}.")
        return self.classifier(self.features(x))


class MLP(nn.Module):
    """The report's MLP on projected vectors: Dense(512) → Dropout(0.3) → Dense(256) →
    Dropout(0.3) → Dense(128) → Dropout(0.2) → Dense(10), ReLU after each hidden layer.

    Introduced in the chapter "CNNs against random projections". Inputs of any
    shape are flattened.
    """

    def __init__(self, in_features: int, num_classes: int = 10, hidden=(512, 256, 128), dropout=(0.3, 0.3, 0.2)):
        super().__init__()
        if isinstance(in_features, bool) or not isinstance(in_features, int) or in_features < 1:
            raise ValueError(f"in_features must be a positive integer, got {in_features!r}.")
        if len(hidden) != len(dropout):
            raise ValueError("hidden and dropout must have the same length.")
        layers, width = [nn.Flatten()], in_features
        for h, p in zip(hidden, dropout):
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(p)]
            width = h
        layers.append(nn.Linear(width, num_classes))
        self.net = nn.Sequential(*layers)
        self.in_features = in_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x[0].numel() != self.in_features:
            raise ValueError(f"MLP expects {self.in_features} features per example, got {x[0].numel()}.")
        return self.net(x)


def probe_forward(model: nn.Module, input_shape: tuple, hooks: dict) -> None:
    """Run one all-zero example of ``input_shape`` through ``model`` with forward hooks attached.

    ``hooks`` maps a module type to ``hook(module, inputs, output)``, attached
    to every submodule of that type for this one pass (eval mode, no
    gradients), then removed; the model's training mode is restored.
    """
    handles = [m.register_forward_hook(hook) for kind, hook in hooks.items()
               for m in model.modules() if isinstance(m, kind)]
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros((1,) + tuple(input_shape), device=next(model.parameters()).device))
    finally:
        for h in handles:
            h.remove()
        model.train(was)


def count_macs(model: nn.Module, input_shape: tuple) -> int:
    """Multiply-adds of one forward pass for one example of ``input_shape`` (C, H, W) or (D,).

    Counts Conv2d and Linear layers (the rest is negligible), with forward hooks.
    """
    total = 0

    def conv_hook(mod, inp, out):
        nonlocal total
        total += out[0].numel() * (mod.in_channels // mod.groups) * mod.kernel_size[0] * mod.kernel_size[1]

    def linear_hook(mod, inp, out):
        nonlocal total
        total += mod.in_features * mod.out_features

    probe_forward(model, input_shape, {nn.Conv2d: conv_hook, nn.Linear: linear_hook})
    return int(total)


@contextlib.contextmanager
def cpu_layout(model: nn.Module, device: torch.device):
    """Run ``model`` in the channels-last memory layout while on the CPU, then restore it.

    PyTorch's CPU convolutions (oneDNN) are fastest on NHWC tensors: on a
    2-core CPU ``ReportCNN`` trains about 1.4x and infers about 2x faster
    channels-last than in the default NCHW layout
    (``benchmarks/bench_training.py`` prints both). :func:`helpers.train.fit`,
    :func:`helpers.train.predict` and the timings of :mod:`helpers.bench` all
    run models this way. Only the layout in memory changes, not the tensors'
    shapes or values, so outputs agree to float rounding; the parameters are
    the same objects afterwards (an optimiser holding them stays valid), back
    in the default layout that the analysis chapters' ``view`` calls expect.
    Models without a ``Conv2d``, and every model on CUDA, are left alone.
    """
    convs = [m.weight for m in model.modules() if isinstance(m, nn.Conv2d)]
    # nested calls (evaluate inside fit) find the layout already set and leave it to the outer one
    convert = device.type == "cpu" and not all(w.is_contiguous(memory_format=torch.channels_last)
                                               for w in convs)
    if convert:
        model.to(memory_format=torch.channels_last)
    try:
        yield model
    finally:
        if convert:
            model.to(memory_format=torch.contiguous_format)
