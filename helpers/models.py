"""Network architectures used across the book.

Each class names the chapter that introduces it. Models know nothing of data
loading or training (see :mod:`helpers.train`).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["TinyConvNet", "count_parameters"]


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
