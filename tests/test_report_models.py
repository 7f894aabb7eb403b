import inspect

import pytest
import torch

from helpers import models
from helpers.models import (
    MLP,
    ReportCNN,
    TinyConvNet,
    conv_input_sizes,
    count_macs,
    count_parameters,
    dead_parameters,
    tap_reach,
)


@pytest.mark.parametrize("size, side", [(28, 3), (32, 4)])
def test_report_cnn_shapes(size, side):
    net = ReportCNN(1, size)
    assert net.fc1.in_features == 128 * side * side
    assert net(torch.zeros(3, 1, size, size)).shape == (3, 10)
    # every convolution is 'same': 28 -> 14 -> 7 -> 3, 32 -> 16 -> 8 -> 4
    assert [c.padding for c in (net.conv1, net.conv2, net.conv3, net.conv4)] == [(1, 1)] * 4
    assert list(conv_input_sizes(net, (1, size, size)).values()) == [(size // d, size // d) for d in (1, 2, 4, 8)]
    assert [n for n, m in net.named_modules() if isinstance(m, torch.nn.Conv2d)] == ["conv1", "conv2", "conv3", "conv4"]
    assert net[:3](torch.zeros(2, 1, size, size)).shape == (2, 32, size // 2, size // 2)


# Every model in helpers.models, at every input it accepts. A model added to
# helpers.models without an entry here fails test_every_model_is_checked.
SHAPES = {
    "TinyConvNet": [(lambda: TinyConvNet(), (1, 28, 28)), (lambda: TinyConvNet(width=3, in_channels=3), (3, 28, 28))],
    "ReportCNN": [(lambda c=c, s=s: ReportCNN(c, s), (c, s, s)) for c in (1, 3) for s in (28, 32)],
    "MLP": [(lambda: MLP(64), (64,)), (lambda: MLP(784), (1, 28, 28))],
}


def test_every_model_is_checked():
    classes = {
        n
        for n, obj in vars(models).items()
        if inspect.isclass(obj) and issubclass(obj, torch.nn.Module) and obj.__module__ == models.__name__
    }
    assert classes == set(SHAPES)


@pytest.mark.parametrize(
    "make, shape",
    [c for cases in SHAPES.values() for c in cases],
    ids=[f"{n}-{'x'.join(map(str, s))}-{i}" for n, cases in SHAPES.items() for i, (_, s) in enumerate(cases)],
)
def test_no_weight_is_untrainable_by_construction(make, shape):
    """The architecture lets a gradient reach every weight (ReLUs and dropout linearised, see dead_parameters)."""
    net = make()
    assert dead_parameters(net, shape) == {}
    for name, size in (
        conv_input_sizes(net, shape).items() if any(isinstance(m, torch.nn.Conv2d) for m in net.modules()) else []
    ):
        conv = dict(net.named_modules())[name]
        assert bool((tap_reach(conv, size) > 0).all()), f"{name}: a tap never sees a real pixel on {size}"


def test_padding_only_the_last_convolution_kills_eight_taps():
    """The book's earlier network: conv4 on a 1x1 map, 8 of 9 taps see only padding."""
    net = ReportCNN(1, 28, padding="last")
    assert count_parameters(net) == 258_058
    assert conv_input_sizes(net, (1, 28, 28))["conv4"] == (1, 1)
    reach = tap_reach(net.conv4, 1)
    assert reach.tolist() == [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
    assert dead_parameters(net, (1, 28, 28)) == {"conv4.weight": 128 * 128 * 8}
    # the dead taps really get no gradient, with the true ReLUs and a real loss
    x = torch.randn(16, 1, 28, 28)
    torch.nn.functional.cross_entropy(net(x), torch.arange(16) % 10).backward()
    g = net.conv4.weight.grad.abs().sum(dim=(0, 1))
    assert float(g[1, 1]) > 0 and float(g.sum() - g[1, 1]) == 0
    # on 32x32 conv4 sees 2x2 and every tap some real pixel
    assert dead_parameters(ReportCNN(1, 32, padding="last"), (1, 32, 32)) == {}


def test_tap_reach_counts_by_hand():
    conv = torch.nn.Conv2d(1, 1, 3, padding=1)
    # on 4x4, the corner tap (0, 0) reads pixel (i-1, j-1): real for i, j in 1..3
    assert tap_reach(conv, 4).tolist() == [[9, 12, 9], [12, 16, 12], [9, 12, 9]]
    assert tap_reach(torch.nn.Conv2d(1, 1, 3), (5, 3)).tolist() == [[3] * 3] * 3
    with pytest.raises(ValueError, match="does not fit"):
        tap_reach(torch.nn.Conv2d(1, 1, 3), 2)
    with pytest.raises(TypeError, match="Conv2d"):
        tap_reach(torch.nn.Linear(2, 2), 3)
    with pytest.raises(ValueError, match="input_size must be"):
        tap_reach(conv, 0)


def test_dead_parameters_on_small_cases():
    # a 3x3 map max-pooled by 2 keeps only the top-left 2x2: the third row and column are cut off
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten())
    assert dead_parameters(net, (1, 5, 5)) == {}  # every tap still reaches some kept position
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 1, 1), torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(1, 1)
    )
    assert dead_parameters(net, (1, 3, 3)) == {}
    lin = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    with torch.no_grad():
        lin[3].weight[:, 1] = 0  # hidden unit 1 feeds nothing: its incoming weights are cut off
    assert dead_parameters(lin, (4,)) == {"1.weight": 4, "1.bias": 1}


def test_mlp_matches_the_report():
    net = MLP(256)
    linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert [m.out_features for m in linears] == [512, 256, 128, 10]
    drops = [m.p for m in net.modules() if isinstance(m, torch.nn.Dropout)]
    assert drops == [0.3, 0.3, 0.2]
    assert net(torch.zeros(4, 256)).shape == (4, 10)


def test_count_macs_by_hand():
    net = TinyConvNet()
    # conv1: 26*26 outputs * 8 filters * 9; conv2: 11*11 * 16 * 72; fc: 400*10
    assert count_macs(net, (1, 28, 28)) == 26 * 26 * 8 * 9 + 11 * 11 * 16 * 72 + 400 * 10
    assert count_macs(MLP(100), (100,)) == 100 * 512 + 512 * 256 + 256 * 128 + 128 * 10
    assert count_parameters(MLP(100)) == 100 * 512 + 512 + 512 * 256 + 256 + 256 * 128 + 128 + 1290


def test_bad_input():
    with pytest.raises(ValueError, match="image_size must be 28 .* or 32"):
        ReportCNN(1, 64)
    with pytest.raises(ValueError, match="padding must be 'same'"):
        ReportCNN(1, 28, padding="valid")
    with pytest.raises(ValueError, match=r"ReportCNN's input x must have 28 x 28 images, got 32 x 32"):
        ReportCNN(1, 28)(torch.zeros(1, 1, 32, 32))
    with pytest.raises(ValueError, match="MLP expects 10 features per example in its input x, got 12"):
        MLP(10)(torch.zeros(2, 12))
    with pytest.raises(ValueError, match="in_features must be a positive integer"):
        MLP(0)


def test_tap_gradient_norms_show_the_dead_taps():
    from helpers.train import tap_gradient_norms

    torch.manual_seed(0)
    net = ReportCNN(1, 28, padding="last").train()
    x, y = torch.randn(8, 1, 28, 28), torch.arange(8) % 10
    norms = tap_gradient_norms(net, x, y)
    assert list(norms) == ["conv1", "conv2", "conv3", "conv4"] and all(g.shape == (3, 3) for g in norms.values())
    g4 = norms["conv4"]
    assert float(g4[1, 1]) > 0 and float(g4.sum() - g4[1, 1]) == 0
    assert all(bool((norms[n] > 0).all()) for n in ("conv1", "conv2", "conv3"))
    assert net.training and all(p.grad is None for p in net.parameters())
    assert bool((tap_gradient_norms(ReportCNN(1, 28), x, y)["conv4"] > 0).all())
    with pytest.raises(ValueError, match="no Conv2d"):
        tap_gradient_norms(MLP(784), x, y)
    with pytest.raises(ValueError, match="8 inputs but 3 labels"):
        tap_gradient_norms(net, x, y[:3])


def test_replace_submodule():
    from helpers.models import replace_submodule

    net = ReportCNN(1, 28)
    replace_submodule(net, "relu2", torch.nn.Identity())
    assert isinstance(net.relu2, torch.nn.Identity) and isinstance(net.features.relu2, torch.nn.Identity)
    seq = torch.nn.Sequential(torch.nn.Sequential(torch.nn.ReLU()))
    replace_submodule(seq, "0.0", torch.nn.Tanh())
    assert isinstance(seq[0][0], torch.nn.Tanh)
    with pytest.raises(ValueError, match="no submodule named 'conv9'"):
        replace_submodule(net, "conv9", torch.nn.Identity())
    with pytest.raises(TypeError, match="must be a torch.nn.Module"):
        replace_submodule(net, "conv1", "conv")
