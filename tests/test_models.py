import pytest
import torch

from helpers.models import TinyConvNet, count_parameters


def test_tinyconvnet_matches_the_report():
    net = TinyConvNet()
    assert net.conv1.bias is None and net.conv2.bias is None
    # each conv layer is a matrix: out_channels x (in_channels * 3 * 3)
    assert net.conv1.weight.flatten(1).shape == (8, 9)
    assert net.conv2.weight.flatten(1).shape == (16, 72)
    assert net.fc.in_features == 400 and net.fc.out_features == 10
    assert count_parameters(net) == 8 * 9 + 16 * 72 + 400 * 10 + 10
    assert net(torch.zeros(5, 1, 28, 28)).shape == (5, 10)


def test_width_multiplies_channels():
    net = TinyConvNet(width=3)
    assert net.conv1.out_channels == 24 and net.conv2.out_channels == 48
    assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_bad_input():
    with pytest.raises(ValueError, match="width must be a positive integer"):
        TinyConvNet(width=0)
    with pytest.raises(ValueError, match=r"input x must have shape \(N, C, H, W\), got shape \(1, 32, 32\)"):
        TinyConvNet()(torch.zeros(1, 32, 32))


def test_tinyconvnet_checks_its_input_after_conv1_is_factorized():
    # lowrank.compress replaces conv1 with a Sequential; the channel check must not read conv1
    from helpers import lowrank

    model = lowrank.compress(TinyConvNet(), {"conv1": 2})
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    with pytest.raises(ValueError, match="1 channel"):
        model(torch.zeros(2, 3, 28, 28))
