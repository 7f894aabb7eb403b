"""Network architectures used across the book.

Each class names the chapter that introduces it. Models know nothing of data
loading or training (see :mod:`helpers.train`).

Every model checks its input ``x`` before PyTorch sees it: a wrong number of
channels, a wrong image size, integer pixels or float64 images for float32
weights, or a batch on another device get a message that says what the model
takes (``TinyConvNet's input x must have 28 x 28 images, got 32 x 32``)
instead of a shape error from inside ``conv2d``. The checks read only shapes,
dtypes and devices, never the values, so they cost nothing in a training loop
(no CUDA synchronisation).
"""

from __future__ import annotations

import numbers
from collections import OrderedDict

import torch
from torch import nn

from . import validate

# The channels-last context lives with the other speed settings in helpers.perf;
# helpers.train and chapter 06 know it by this name.
from .perf import channels_last as cpu_layout

__all__ = [
    "TinyConvNet",
    "ReportCNN",
    "MLP",
    "count_parameters",
    "count_macs",
    "probe_forward",
    "cpu_layout",
    "conv_input_sizes",
    "tap_reach",
    "dead_parameters",
    "replace_submodule",
]


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
        width = validate.positive_int(width, "width")
        in_channels = validate.positive_int(in_channels, "in_channels")
        num_classes = validate.positive_int(num_classes, "num_classes")
        c1, c2 = 8 * width, 16 * width
        self.in_channels = in_channels  # kept: conv1 may be factorized into a Sequential later
        self.conv1 = nn.Conv2d(in_channels, c1, kernel_size=3, bias=False)
        self.conv2 = nn.Conv2d(c1, c2, kernel_size=3, bias=False)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(c2 * 5 * 5, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The flattened input of the final linear layer."""
        _check_input(self, x, channels=self.in_channels, size=28)
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        return x.flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))


def _check_input(model: nn.Module, x, *, channels: int | None = None, size: int | None = None) -> None:
    """Refuse an input that ``model`` cannot take, in the book's words, before torch sees it.

    Cheap checks only (type, shape, dtype, device; never a pass over the
    values): this runs in every forward pass of every training loop.
    """
    what = f"{type(model).__name__}'s input x"
    if size is None:  # any (N, ...) tensor
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{what} must be a torch tensor of shape (N, ...), got {validate.describe(x)}.")
        if not x.is_floating_point():
            raise TypeError(
                f"{what} must be a floating-point tensor (e.g. float32), got {x.dtype}; convert it with .float()."
            )
        if x.dim() < 2 or x.shape[0] == 0:
            raise ValueError(f"{what} must be a non-empty batch of shape (N, ...), got shape {tuple(x.shape)}.")
    else:
        validate.image_batch(x, what, channels=channels, size=size)
    p = next(model.parameters(), None)
    if p is not None and x.dtype != p.dtype:
        fix = ".float()" if p.dtype == torch.float32 else f".to({p.dtype})"
        raise TypeError(f"{what} is {x.dtype} but the model's weights are {p.dtype}; convert it with x{fix}.")
    if p is not None and x.device != p.device:
        raise ValueError(
            f"{what} is on {x.device} but the model is on {p.device}; move it with x.to({str(p.device)!r})."
        )


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters of a model."""
    validate.module(model)
    trainable_only = validate.boolean(trainable_only, "trainable_only")
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


class ReportCNN(nn.Sequential):
    """The CNN of the report "CNN Neural Network Compression using SVD Decomposition".

    Introduced in the chapter "CNNs against random projections"; compressed in
    "Low-rank compression". Four 3x3 convolutions with 32, 64, 128 and 128
    filters, max-pooling after the first three, a dense layer of 128 with
    dropout 0.5 and the output layer, ReLU after every convolution and the
    hidden dense layer. The steps are named, so that chapters, caches and
    :func:`helpers.lowrank.compress` say ``conv4``, not ``features.9``::

        conv1 relu1 pool1  conv2 relu2 pool2  conv3 relu3 pool3  conv4 relu4
        flatten fc1 relu5 dropout fc2

    Every convolution uses 'same' padding (``padding=1``): a 28x28 image is
    28 → 14 → 7 → 3 after the three pools (conv4 on 3x3, flatten 128·3·3) and
    a 32x32 image 32 → 16 → 8 → 4 (flatten 128·4·4).

    Why not the report's own reading? The seed (``000_c2d4b846b0eb73a8.txt``)
    writes ``Conv2D(32, (3,3), relu)`` etc., which in Keras means 'valid'
    convolutions. Three valid-conv/pool stages take 28x28 to 1x1 and 32x32 to
    2x2, too small for a fourth 'valid' 3x3 convolution, so the literal network
    cannot run on these images. An earlier version of the book padded only
    conv4 (``padding="last"``, kept here for the chapter that shows what went
    wrong): on 28x28 images conv4 then sees a single real pixel, 8 of its 9
    taps only ever multiply zero padding and never get a gradient, and 131,072
    of the network's weights stay at their initial values.

    Parameters
    ----------
    in_channels : int
    image_size : {28, 32}
        28 for MNIST and Fashion-MNIST, 32 for CIFAR-10.
    num_classes : int
    padding : {"same", "last"}
        "same" (the book's network) or "last", the broken variant described
        above; only for demonstrations.
    """

    def __init__(self, in_channels: int = 1, image_size: int = 28, num_classes: int = 10, padding: str = "same"):
        in_channels = validate.positive_int(in_channels, "in_channels")
        num_classes = validate.positive_int(num_classes, "num_classes")
        if not _is_int(image_size) or image_size not in (28, 32):
            raise ValueError(
                f"image_size must be 28 (MNIST, Fashion-MNIST) or 32 (CIFAR-10), got {validate.describe(image_size)}."
            )
        image_size = int(image_size)
        if not isinstance(padding, str) or padding not in ("same", "last"):
            raise ValueError(
                f"padding must be 'same' (the book's network) or 'last' (the broken variant that "
                f"pads only conv4), got {padding!r}."
            )
        pads = (1, 1, 1, 1) if padding == "same" else (0, 0, 0, 1)
        side = {("same", 28): 3, ("same", 32): 4, ("last", 28): 1, ("last", 32): 2}[padding, image_size]
        widths = (in_channels, 32, 64, 128, 128)
        steps = []
        for i in range(4):
            steps += [
                (f"conv{i + 1}", nn.Conv2d(widths[i], widths[i + 1], 3, padding=pads[i])),
                (f"relu{i + 1}", nn.ReLU()),
            ]
            if i < 3:
                steps.append((f"pool{i + 1}", nn.MaxPool2d(2)))
        steps += [
            ("flatten", nn.Flatten()),
            ("fc1", nn.Linear(128 * side * side, 128)),
            ("relu5", nn.ReLU()),
            ("dropout", nn.Dropout(0.5)),
            ("fc2", nn.Linear(128, num_classes)),
        ]
        super().__init__(OrderedDict(steps))
        self.image_size = image_size
        self.padding = padding

    def extra_repr(self) -> str:
        return f"image_size={self.image_size}, padding={self.padding!r}"

    @property
    def features(self) -> nn.Sequential:
        """The convolutional part, conv1 … relu4, as a Sequential sharing this model's modules."""
        names = list(self._modules)
        return nn.Sequential(OrderedDict((n, self._modules[n]) for n in names[: names.index("flatten")]))

    def __getitem__(self, idx):
        # nn.Sequential slices by calling type(self)(OrderedDict), which this constructor does not take
        if isinstance(idx, slice):
            return nn.Sequential(OrderedDict(list(self._modules.items())[idx]))
        return super().__getitem__(idx)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        conv1 = self._modules.get("conv1")
        channels = conv1.in_channels if isinstance(conv1, nn.Conv2d) else None
        _check_input(self, x, channels=channels, size=self.image_size)
        return super().forward(x)


class MLP(nn.Module):
    """The report's MLP on projected vectors: Dense(512) → Dropout(0.3) → Dense(256) →
    Dropout(0.3) → Dense(128) → Dropout(0.2) → Dense(10), ReLU after each hidden layer.

    Introduced in the chapter "CNNs against random projections". Inputs of any
    shape are flattened.
    """

    def __init__(self, in_features: int, num_classes: int = 10, hidden=(512, 256, 128), dropout=(0.3, 0.3, 0.2)):
        super().__init__()
        in_features = validate.positive_int(in_features, "in_features")
        num_classes = validate.positive_int(num_classes, "num_classes")
        for label, value in (("hidden", hidden), ("dropout", dropout)):
            if not isinstance(value, (tuple, list)):
                raise TypeError(
                    f"{label} must be a tuple (one entry per hidden layer), got {validate.describe(value)}."
                )
        hidden = [validate.positive_int(h, "each hidden layer width in hidden") for h in hidden]
        dropout = [
            validate.real(p, "each dropout probability in dropout", low=0.0, high=1.0, high_open=True) for p in dropout
        ]
        if len(hidden) != len(dropout):
            raise ValueError(
                f"hidden and dropout must have the same length, got {len(hidden)} widths "
                f"and {len(dropout)} probabilities."
            )
        layers, width = [nn.Flatten()], in_features
        for h, p in zip(hidden, dropout):
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(p)]
            width = h
        layers.append(nn.Linear(width, num_classes))
        self.net = nn.Sequential(*layers)
        self.in_features = in_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(self, x)
        if x[0].numel() != self.in_features:
            raise ValueError(
                f"MLP expects {self.in_features} features per example in its input x, got {x[0].numel()} "
                f"(shape {tuple(x.shape)})."
            )
        return self.net(x)


def replace_submodule(model: nn.Module, name: str, module: nn.Module) -> None:
    """Put ``module`` in place of ``model``'s submodule with the qualified ``name`` (e.g. ``"conv2"``, ``"net.3"``).

    Shared by :func:`dead_parameters` and :func:`helpers.lowrank.compress`.
    """
    validate.module(model)
    if not isinstance(module, nn.Module):
        raise TypeError(f"the replacement module must be a torch.nn.Module, got {validate.describe(module)}.")
    if not isinstance(name, str):
        raise TypeError(f"name must be a submodule's qualified name as a string, got {validate.describe(name)}.")
    if not name or name not in dict(model.named_modules()):
        raise ValueError(
            f"{type(model).__name__} has no submodule named {name!r}; "
            f"its submodules are {[n for n, _ in model.named_modules() if n]}."
        )
    parent = model
    *path, last = name.split(".")
    for part in path:
        parent = getattr(parent, part)
    setattr(parent, last, module)


def probe_forward(model: nn.Module, input_shape: tuple, hooks: dict) -> None:
    """Run one all-zero example of ``input_shape`` through ``model`` with forward hooks attached.

    ``hooks`` maps a module type to ``hook(module, inputs, output)``, attached
    to every submodule of that type for this one pass (eval mode, no
    gradients), then removed; the model's training mode is restored.
    """
    validate.module(model)
    input_shape = validate.shape(input_shape, "input_shape", what="example shape such as (1, 28, 28)")
    if not isinstance(hooks, dict):
        raise TypeError(f"hooks must be a dict {{module type: hook function}}, got {validate.describe(hooks)}.")
    for kind, hook in hooks.items():
        if not (isinstance(kind, type) and issubclass(kind, nn.Module)) or not callable(hook):
            raise TypeError(
                f"hooks must map module types to functions hook(module, inputs, output), got {kind!r}: {hook!r}."
            )
    p = next(model.parameters(), None)
    x = torch.zeros(
        (1, *input_shape),
        device=p.device if p is not None else None,
        dtype=p.dtype if p is not None and p.is_floating_point() else None,
    )
    handles = [
        m.register_forward_hook(hook) for kind, hook in hooks.items() for m in model.modules() if isinstance(m, kind)
    ]
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            _run(model, x, "input_shape")
    finally:
        for h in handles:
            h.remove()
        model.train(was)


def _run(model: nn.Module, x: torch.Tensor, name: str):
    """``model(x)``, with torch's shape and dtype errors turned into a ValueError that names ``name``."""
    try:
        return model(x)
    except torch.cuda.OutOfMemoryError:
        raise
    except (RuntimeError, IndexError) as err:
        raise ValueError(
            f"{type(model).__name__} cannot run on {name} of shape {tuple(x.shape[1:])} per example "
            f"(PyTorch said: {str(err).splitlines()[0]})."
        ) from None
    except (ValueError, TypeError) as err:  # the model's own check (see _check_input): say which argument it was
        kind = ValueError if isinstance(err, ValueError) else TypeError
        raise kind(f"{type(model).__name__} cannot run on {name} of shape {tuple(x.shape[1:])}: {err}") from None


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


def conv_input_sizes(model: nn.Module, input_shape: tuple) -> dict[str, tuple[int, int]]:
    """The spatial size (H, W) of the input that each Conv2d of ``model`` sees, by qualified name.

    Introduced in the chapter "CNNs against random projections" (the box on
    dead weights). ``input_shape`` is one example's (C, H, W).
    """
    validate.module(model)
    names = {m: n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)}
    sizes = {}

    def record(mod, inp, out):
        sizes[names[mod]] = tuple(int(s) for s in inp[0].shape[-2:])

    probe_forward(model, input_shape, {nn.Conv2d: record})
    return sizes


def tap_reach(conv: nn.Conv2d, input_size) -> torch.Tensor:
    """How many real (non-padding) input pixels each tap of ``conv`` multiplies, over one input image.

    Introduced in the chapter "CNNs against random projections". Tap (a, b) of
    a kh x kw kernel reads input pixel (i·s + a − p, j·s + b − p) for output
    position (i, j); it touches a real pixel only when that index lies inside
    the H x W input, and never otherwise. A tap whose count is 0 multiplies
    zero padding at every position of every image, so its weights get no
    gradient and never train. Returns an integer tensor of shape (kh, kw).
    """
    if not isinstance(conv, nn.Conv2d):
        raise TypeError(f"conv must be a torch.nn.Conv2d layer, got {validate.describe(conv)}.")
    if isinstance(conv.padding, str) or tuple(conv.dilation) != (1, 1):
        raise ValueError(
            "tap_reach handles conv layers with numeric padding and no dilation; this conv has "
            f"padding={conv.padding!r}, dilation={tuple(conv.dilation)}."
        )
    if _is_int(input_size):
        input_size = (input_size, input_size)
    if (
        not isinstance(input_size, (tuple, list))
        or len(input_size) != 2
        or any(not _is_int(n) or n < 1 for n in input_size)
    ):
        raise ValueError(
            f"input_size must be a positive int or an (H, W) pair of them, got {validate.describe(input_size)}."
        )
    input_size = tuple(int(n) for n in input_size)
    counts = []
    for n, k, p, s in zip(input_size, conv.kernel_size, conv.padding, conv.stride):
        outputs = (n + 2 * p - k) // s + 1
        if outputs < 1:
            raise ValueError(
                f"a {tuple(conv.kernel_size)} kernel with padding {tuple(conv.padding)} does not fit "
                f"an input_size of {tuple(input_size)}: the layer has no output."
            )
        counts.append(torch.tensor([sum(0 <= i * s + a - p < n for i in range(outputs)) for a in range(k)]))
    return counts[0][:, None] * counts[1][None, :]


def dead_parameters(model: nn.Module, input_shape: tuple, batch: int = 4, seed: int = 0) -> dict[str, int]:
    """Per parameter, how many of its entries the architecture itself cuts off from every gradient.

    Introduced in the chapter "CNNs against random projections". A copy of the
    model in float64 is *linearised*: ReLUs become identities, max-pooling
    becomes average pooling over the same windows (so every position a pool
    keeps passes gradient, and positions it drops pass none), dropout is off.
    One backward pass of a random combination of the outputs for ``batch``
    random inputs then gives every weight a non-zero gradient unless the
    geometry blocks it: a tap that only ever multiplies padding, a unit whose
    output a pool discards. Units that a ReLU happens to switch off for some
    inputs are *not* counted; at initialisation that happens by chance and is
    no design fault. Returns ``{name: count}`` for parameters with a dead entry.
    """
    validate.module(model)
    input_shape = validate.shape(input_shape, "input_shape", what="example shape such as (1, 28, 28)")
    batch = validate.positive_int(batch, "batch")
    seed = validate.integer(seed, "seed", low=0, high=2**63 - 1)
    if next(model.parameters(), None) is None:
        raise ValueError(f"model ({type(model).__name__}) has no parameters to check.")
    import copy

    lin = copy.deepcopy(model).double().cpu().eval()
    for name, mod in list(lin.named_modules()):
        if isinstance(mod, (nn.ReLU, nn.Dropout)):
            replacement = nn.Identity()
        elif isinstance(mod, nn.MaxPool2d):
            replacement = nn.AvgPool2d(mod.kernel_size, mod.stride, mod.padding, ceil_mode=mod.ceil_mode)
        else:
            continue
        replace_submodule(lin, name, replacement)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((batch,) + tuple(input_shape), generator=gen, dtype=torch.float64)
    lin.zero_grad(set_to_none=True)
    out = _run(lin, x, "input_shape")
    (out * torch.randn(out.shape, generator=gen, dtype=torch.float64)).sum().backward()
    dead = {}
    for name, p in lin.named_parameters():
        n = int((p.grad == 0).sum()) if p.grad is not None else p.numel()
        if n:
            dead[name] = n
    return dead
