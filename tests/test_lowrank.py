"""Low-rank compression helpers (chapter "Low-rank compression")."""

import numpy as np
import pytest
import torch
from torch import nn

from helpers import lowrank as L
from helpers.bench import inference_time, module_times
from helpers.models import ReportCNN, TinyConvNet, count_macs, count_parameters


@pytest.fixture(autouse=True)
def no_grad():
    with torch.no_grad():
        yield


def conv(c_in=3, c_out=8, k=3, **kw):
    torch.manual_seed(0)
    return nn.Conv2d(c_in, c_out, k, **kw)


@pytest.mark.parametrize("kw", [{}, {"padding": 1}, {"stride": 2}, {"padding": 1, "bias": False}])
def test_two_convolutions_equal_convolution_with_wk(kw):
    layer = conv(4, 8, 3, **kw)
    x = torch.randn(5, 4, 12, 12)
    for k in (1, 3, 8):
        wk = L.truncate_conv(layer, k)
        two = L.factorize_conv(layer, k)
        assert [m.kernel_size for m in two] == [(3, 3), (1, 1)]
        assert two[0].out_channels == k
        assert float((two(x) - wk(x)).abs().max()) < 1e-5
    # at full rank both equal the original layer
    assert float((L.factorize_conv(layer, 8)(x) - layer(x)).abs().max()) < 1e-5


def test_separable_scheme_is_exact_at_full_rank_and_has_the_right_shapes():
    layer = conv(4, 6, 3, padding=1)
    x = torch.randn(2, 4, 10, 10)
    sep = L.separable_conv(layer, 3)
    assert [m.kernel_size for m in sep] == [(3, 1), (1, 3)]
    assert sep(x).shape == layer(x).shape
    full = L.separable_conv(layer, min(4 * 3, 6 * 3))
    assert float((full(x) - layer(x)).abs().max()) < 1e-5
    # error decreases with k
    errs = [float((L.separable_conv(layer, k)(x) - layer(x)).norm()) for k in (1, 4, 8, 12)]
    assert errs == sorted(errs, reverse=True)


def test_reconstruction_error_follows_eckart_young():
    layer = conv(6, 16, 3)
    s = L.singular_values(layer).numpy()
    measured = L.relative_errors(layer)
    formula = np.sqrt([np.sum(s[k:] ** 2) for k in range(1, len(s) + 1)]) / np.sqrt(np.sum(s**2))
    assert measured.shape == (16,)
    np.testing.assert_allclose(measured, formula, atol=1e-12)
    assert measured[-1] < 1e-12


def test_counts_match_hand_computed_values():
    layer = nn.Conv2d(2, 4, 3)  # W is 4 x 18
    c = L.factorized_counts(layer, 2, positions=10)
    assert c == {"params": 4 * 18 + 4, "params_k": 2 * 18 + 4 * 2 + 4, "macs": 10 * 72, "macs_k": 10 * 2 * (18 + 4)}
    two = L.factorize_conv(layer, 2)
    assert count_parameters(two) == c["params_k"]
    # an 8x8 input gives 6x6 = 36 output positions
    assert count_macs(two, (2, 8, 8)) == L.factorized_counts(layer, 2, 36)["macs_k"]
    sep = L.separable_conv(layer, 2)  # 2 filters 2x3x1, then 4 filters 2x1x3
    assert count_parameters(sep) == 2 * 2 * 3 + 4 * 2 * 3 + 4


def test_breakeven_rank_by_hand():
    # 32 x 9: k * (9 + 32) < 288 -> k <= 7
    assert L.breakeven_rank(nn.Conv2d(1, 32, 3)) == 7
    # 64 x 288: k * 352 < 18432 -> k <= 52
    assert L.breakeven_rank(nn.Conv2d(32, 64, 3)) == 52
    for conv in (nn.Conv2d(1, 32, 3), nn.Conv2d(32, 64, 3), nn.Conv2d(3, 4, 1)):
        k = L.breakeven_rank(conv)
        if k:
            c = L.factorized_counts(conv, k)
            assert c["macs_k"] < c["macs"]
        if k + 1 <= min(conv.weight.shape[0], conv.weight[0].numel()):
            c = L.factorized_counts(conv, k + 1)
            assert c["macs_k"] >= c["macs"]


def test_compress_replaces_layers_and_keeps_the_original():
    net = ReportCNN(1, 28).eval()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    names = list(L.conv_layers(net))
    assert names == ["conv1", "conv2", "conv3", "conv4"]
    small = L.compress(net, {"conv2": 8, "conv3": 16}).eval()
    assert isinstance(small.conv2, nn.Sequential) and isinstance(net.conv2, nn.Conv2d)
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k])
    assert count_macs(small, (1, 28, 28)) < count_macs(net, (1, 28, 28))
    x = torch.randn(3, 1, 28, 28)
    full = L.compress(net, {n: min(c.weight.shape[0], c.weight[0].numel()) for n, c in L.conv_layers(net).items()})
    assert float((full.eval()(x) - net(x)).abs().max()) < 1e-4
    # 'same' padding: 28 -> 14 -> 7 -> 3 after the pools
    assert L.output_positions(net, (1, 28, 28)) == {"conv1": 784, "conv2": 196, "conv3": 49, "conv4": 9}


def test_rank_choices():
    net = ReportCNN(1, 28)
    e = L.ranks_for_energy(net, 0.9)
    assert set(e) == set(L.conv_layers(net))
    assert L.ranks_for_energy(net, 1.0)["conv2"] == 64
    conv2 = net.conv2
    s2 = L.singular_values(conv2) ** 2
    k = e["conv2"]
    assert float(s2[:k].sum() / s2.sum()) >= 0.9 > float(s2[: k - 1].sum() / s2.sum())
    b = L.ranks_for_budget(net, (1, 28, 28), 0.3, layers=["conv2", "conv3"])
    pos = L.output_positions(net, (1, 28, 28))
    convs = L.conv_layers(net)
    spent = sum(L.factorized_counts(convs[n], b[n], pos[n])["macs_k"] for n in b)
    total = sum(L.factorized_counts(convs[n], 1, pos[n])["macs"] for n in b)
    assert spent <= 0.3 * total and all(v >= 1 for v in b.values())


def test_bad_input():
    layer = conv(3, 8, 3)  # rank at most 8
    with pytest.raises(ValueError, match="rank k must be an integer from 1 to 8"):
        L.factorize_conv(layer, 0)
    with pytest.raises(ValueError, match="rank k must be an integer from 1 to 8"):
        L.truncate_conv(layer, 9)
    with pytest.raises(ValueError, match="from 1 to 9, the full rank of the 9 x 24"):
        L.separable_conv(layer, 10)
    with pytest.raises(ValueError, match="groups=2"):
        L.factorize_conv(nn.Conv2d(4, 8, 3, groups=2), 2)
    with pytest.raises(ValueError, match=r"dilation=\(2, 2\)"):
        L.separable_conv(nn.Conv2d(4, 8, 3, dilation=2), 2)
    with pytest.raises(ValueError, match="has no Conv2d layers"):
        L.compress(nn.Sequential(nn.Linear(4, 2)), {})
    with pytest.raises(ValueError, match="has no Conv2d layers"):
        L.ranks_for_energy(nn.Linear(4, 2), 0.9)
    with pytest.raises(ValueError, match="no Conv2d layer named \\['conv9'\\]"):
        L.compress(TinyConvNet(), {"conv9": 2})
    with pytest.raises(ValueError, match="unknown scheme"):
        L.compress(TinyConvNet(), {"conv1": 2}, scheme="tucker")
    with pytest.raises(ValueError, match="threshold must be an energy fraction"):
        L.ranks_for_energy(TinyConvNet(), 0)
    with pytest.raises(TypeError, match="expected a torch.nn.Conv2d"):
        L.factorize_conv(nn.Linear(3, 3), 1)


def test_inference_time_reports_a_positive_median_and_restores_threads():
    before = torch.get_num_threads()
    t = inference_time(TinyConvNet(), (1, 28, 28), 4, threads=1, repeats=3, min_time=0.001)
    assert t > 0 and torch.get_num_threads() == before
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        inference_time(TinyConvNet(), (1, 28, 28), 0)


def test_module_times_follow_the_forward_pass():
    net = ReportCNN(1, 28)
    small = L.compress(net, {"conv2": 4})
    a, b = module_times(net.features, small.features, x=torch.randn(8, 1, 28, 28), rounds=2, min_time=0.001)
    assert [n for n, _ in a] == [n for n, _ in b] == list(net.features._modules)
    assert [n for n, _ in a][:4] == ["conv1", "relu1", "pool1", "conv2"]
    assert all(t > 0 for _, t in a + b)
    with pytest.raises(TypeError, match="expects torch.nn.Sequential"):
        module_times(TinyConvNet(), x=torch.randn(1, 1, 28, 28))
    with pytest.raises(ValueError, match="same names"):
        module_times(net.features, net[-4:], x=torch.randn(1, 1, 28, 28))


def test_speedup_and_paired_times():
    from helpers.bench import paired_times, speedup

    net = ReportCNN(1, 28)
    res = speedup(net, L.compress(net, {"conv2": 2}), torch.randn(4, 1, 28, 28), threads=1, rounds=3, min_time=0.001)
    assert set(res) == {"baseline", "candidate", "speedup", "low", "high", "rounds"} and res["speedup"] > 0
    assert res["low"] <= res["high"] and res["rounds"] == 3
    raw = paired_times({"a": lambda: 1}, rounds=4, min_time=0.0, samples=True)
    assert len(raw["a"]) == 4 and all(v > 0 for v in raw["a"])
    assert res["low"] <= res["speedup"] <= res["high"]  # the median of the per-round ratios
    t = paired_times({"a": lambda: sum(range(100)), "b": lambda: sum(range(10000))}, rounds=3, min_time=0.001)
    assert 0 < t["a"] < t["b"]
    with pytest.raises(ValueError, match="rounds must be a positive integer"):
        paired_times({"a": lambda: 1}, rounds=0)
    with pytest.raises(ValueError, match="inputs must be a batch"):
        speedup(net, net, torch.randn(3))
