import pytest
import torch
from torch import nn

import helpers
from helpers import conv_svd as CS
from helpers.models import TinyConvNet
from helpers.zoo import tinyconvnet_mnist, tinyconvnet_settings


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return TinyConvNet().eval()


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-5), (torch.float64, 1e-12)])
def test_svd_reconstructs_the_weights(net, dtype, tol):
    for conv, shape in ((net.conv1, (8, 9)), (net.conv2, (16, 72))):
        s = CS.layer_svd(conv, dtype)
        assert tuple(s["W"].shape) == shape
        assert s["error"] < tol
        # Parseval: ‖W‖_F² = Σσᵢ²
        fro = s["W"].pow(2).sum()
        assert abs(float(fro - s["S"].pow(2).sum())) / float(fro) < (1e-5 if dtype == torch.float32 else 1e-12)


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-5), (torch.float64, 1e-12)])
def test_analytical_forward_matches_pytorch(net, dtype, tol):
    m = TinyConvNet()
    m.load_state_dict(net.state_dict())
    m = m.to(dtype).eval()
    x = torch.randn(16, 1, 28, 28, generator=torch.Generator().manual_seed(1)).to(dtype)
    s1, s2 = CS.layer_svd(m.conv1), CS.layer_svd(m.conv2)
    with torch.no_grad():
        out = m.conv1(x)
        assert float((CS.analytical_conv(x, m.conv1, s1) - out).abs().max()) / float(out.abs().max()) < tol
        h1 = m.pool(torch.relu(out))
        out2 = m.conv2(h1)
        assert float((CS.analytical_conv(h1, m.conv2, s2) - out2).abs().max()) / float(out2.abs().max()) < tol
        logits = m(x)
        ana = CS.analytical_tinyconvnet(m, x, (s1, s2))
        assert float((ana - logits).abs().max()) / float(logits.abs().max()) < tol


def test_bias_is_handled(net):
    conv = nn.Conv2d(2, 4, 3, bias=True).double()
    x = torch.randn(3, 2, 9, 9, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(CS.analytical_conv(x, conv), conv(x), atol=1e-12)
        assert torch.allclose(CS.analytical_conv(x, conv, relu=True), torch.relu(conv(x)), atol=1e-12)


def test_relu_mask_counts_are_bounded_and_grow(net):
    x = torch.randn(50, 1, 28, 28, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    counts = CS.relu_mask_counts(net.conv1, x, [10, 100, 1000, 30000])
    assert counts == sorted(counts) and counts[-1] <= 256 and counts[0] <= 10
    assert counts[-1] > counts[0]


def test_truncated_weight_and_eigenfilters(net):
    w2 = CS.truncated_weight(net.conv1, 2, dtype=torch.float64)
    assert w2.shape == net.conv1.weight.shape
    assert torch.linalg.matrix_rank(w2.reshape(8, 9).double()) == 2
    full = CS.truncated_weight(net.conv1, 8)
    assert torch.allclose(full, net.conv1.weight.detach(), atol=1e-6)
    ef = CS.eigenfilters(net.conv2)
    assert ef.shape == (16, 8, 3, 3)
    v = ef.reshape(16, -1)
    assert torch.allclose(v @ v.T, torch.eye(16, dtype=v.dtype), atol=1e-12)


# ------------------------------------------------------------------ bad input


def test_not_a_conv_layer(net):
    with pytest.raises(TypeError, match="expected a torch.nn.Conv2d layer, got Linear; pass e.g. model.conv1"):
        CS.layer_svd(net.fc)
    with pytest.raises(TypeError, match="expected a TinyConvNet"):
        CS.analytical_tinyconvnet(nn.Sequential(), torch.zeros(1, 1, 28, 28))


@pytest.mark.parametrize(
    "kwargs, what",
    [
        ({"stride": 2}, "stride=(2, 2)"),
        ({"padding": 1}, "padding=(1, 1)"),
        ({"dilation": 2}, "dilation=(2, 2)"),
        ({"groups": 2}, "groups=2"),
    ],
)
def test_unsupported_layer_options(kwargs, what):
    conv = nn.Conv2d(2, 4, 3, bias=False, **kwargs)
    with pytest.raises(ValueError, match=f"covers stride 1, no padding.*{what.replace('(', '.').replace(')', '.')}"):
        CS.layer_svd(conv)


def test_rank_above_the_matrix_rank(net):
    with pytest.raises(ValueError, match=r"between 1 and the weight matrix's rank 8 \(a 8 x 9 matrix\); got 9"):
        CS.truncated_weight(net.conv1, 9)
    with pytest.raises(ValueError, match="got 0"):
        CS.truncated_weight(net.conv1, 0)
    deficient = nn.Conv2d(1, 4, 3, bias=False)
    with torch.no_grad():
        deficient.weight.copy_(torch.ones(4, 1, 3, 3))  # rank one
    with pytest.raises(ValueError, match="rank 1"):
        CS.truncated_weight(deficient, 2)


def test_wrong_input_shape(net):
    with pytest.raises(ValueError, match=r"input must be \(N, 8, H, W\) for this layer, got \(2, 1, 12, 12\)"):
        CS.analytical_conv(torch.zeros(2, 1, 12, 12), net.conv2)
    with pytest.raises(ValueError, match="sample sizes must be between 1 and the"):
        CS.relu_mask_counts(net.conv1, torch.zeros(1, 1, 28, 28), [10**6])


def test_zoo_settings(monkeypatch):
    cfg = helpers.setup(quick=True, device="cpu")
    assert tinyconvnet_settings(cfg)["epochs"] == 1
    assert tinyconvnet_settings(cfg, epochs=3)["epochs"] == 3
    assert tinyconvnet_settings(helpers.setup(quick=False, device="cpu"))["epochs"] == 20
    with pytest.raises(TypeError, match="unknown TinyConvNet setting"):
        tinyconvnet_settings(cfg, epoch=3)


def test_zoo_trains_then_loads(real_data):
    cfg = helpers.setup(quick=True, device="cpu")
    m1, h1, loaded1, (train, test), s = tinyconvnet_mnist(cfg, progress=False, train_subset=2000)
    m2, h2, loaded2, _, _ = tinyconvnet_mnist(cfg, progress=False, train_subset=2000)
    assert (loaded1, loaded2) == (False, True) and len(train) == 2000
    assert h1.as_dict() == h2.as_dict()
    assert h1.test_acc[-1] > 0.5
