import pytest
import torch

from helpers.models import MLP, ReportCNN, TinyConvNet, count_macs, count_parameters


@pytest.mark.parametrize("size, flat", [(28, 128), (32, 512)])
def test_report_cnn_shapes(size, flat):
    net = ReportCNN(1, size)
    assert net.classifier[1].in_features == flat
    assert net(torch.zeros(3, 1, size, size)).shape == (3, 10)
    # only the last convolution is padded
    convs = [m for m in net.features if isinstance(m, torch.nn.Conv2d)]
    assert [c.padding for c in convs] == [(0, 0), (0, 0), (0, 0), (1, 1)]


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
    with pytest.raises(ValueError, match=r"ReportCNN\(28\) expects \(N, C, 28, 28\)"):
        ReportCNN(1, 28)(torch.zeros(1, 1, 32, 32))
    with pytest.raises(ValueError, match="MLP expects 10 features per example, got 12"):
        MLP(10)(torch.zeros(2, 12))
    with pytest.raises(ValueError, match="in_features must be a positive integer"):
        MLP(0)
